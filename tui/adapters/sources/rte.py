"""The `rte` and `sandbox` sources: the Ecowatt client with quota, cache, backoff and messages.

Whatever goes wrong, the last good forecast stays in force (RefreshResult carries no forecast
then) and the message says how old it is. Production calls go through the shared QuotaGate, so
no two calls from any process sharing the state directory are closer than 900 s; a 429 pushes
the gate to its ``Retry-After``. Failures back off exponentially with jitter, never faster than
the quota. All timing comes from the ``now`` arguments (an injected clock), never from reading
the system clock here.
"""

import logging
import random
from datetime import datetime, timedelta

from tui.adapters.ecowatt.cache import ForecastCache
from tui.adapters.ecowatt.client import (
    BodyError,
    EcowattClient,
    EcowattError,
    RateLimitError,
)
from tui.adapters.ecowatt.quota import QuotaGate
from tui.adapters.sources.base import RefreshResult
from tui.core.forecast import Forecast, clock_time
from tui.core.signals import ForecastFormatError, parse_signals

log = logging.getLogger("tui.ecowatt.source")

CADENCE = timedelta(minutes=30)
RTE_BACKOFF = (timedelta(minutes=15), timedelta(hours=2))  # first delay, cap
SANDBOX_BACKOFF = (timedelta(minutes=1), timedelta(minutes=30))
MAX_DOUBLINGS = 16  # 2**16 times any first delay is past any cap
JITTER = 0.25  # each delay is stretched by up to this fraction, so clients do not synchronise


class RteSource:
    """``kind`` is "rte" (production, quota) or "sandbox" (RTE's fixed test data, no quota).

    The Tempo source (``tempo.source``) is this with another download, parser and schedule:
    the hooks ``_download``, ``_parse``, ``_describe`` and ``what``.
    """

    what = "forecast"  # what the messages call the data

    def __init__(
        self,
        client: EcowattClient,
        *,
        kind: str,
        cache: ForecastCache,
        gate: QuotaGate | None,
        cadence: timedelta = CADENCE,
        backoff: tuple[timedelta, timedelta] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.kind = kind
        self.client = client
        self.cache = cache
        self.gate = gate
        self.cadence = cadence
        self.backoff_first, self.backoff_cap = backoff or (
            RTE_BACKOFF if gate is not None else SANDBOX_BACKOFF
        )
        self._rng = rng or random.Random()
        self._last: Forecast | None = None
        self.failures = 0
        self.retry_at: datetime | None = None  # backoff or Retry-After, this process

    def __repr__(self) -> str:
        return f"RteSource(kind={self.kind!r}, {self.client!r})"

    @property
    def last(self) -> Forecast | None:
        """The last good forecast this source knows (fetched, or from the cache)."""
        return self._last

    # -- protocol ---------------------------------------------------------------------------

    def load_cached(self, now: datetime) -> Forecast | None:
        self._adopt_cache()
        return self._last

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult:
        adopted = self._adopt_cache()
        if adopted is not None and not manual and self._fresh(adopted, now):
            # Another process sharing the state directory fetched it a moment ago.
            return RefreshResult(data=adopted)
        if not manual and self.retry_at is not None and now < self.retry_at:
            return RefreshResult(
                data=adopted,
                error=f"waiting after an error: next try at {clock_time(self.retry_at, now)}",
                retry_at=self.retry_at,
            )
        if self.gate is not None:
            blocked = self.gate.try_reserve(now)
            if blocked is not None:
                return RefreshResult(
                    data=adopted,
                    error=f"quota: next call allowed at {clock_time(blocked, now)}",
                    retry_at=blocked,
                )
        return await self._fetch(now)

    def next_refresh(self, now: datetime) -> datetime:
        if self.retry_at is not None:
            due = self.retry_at
        elif self._last is not None and self._last.fetched is not None:
            # A fetch time after now means the clock went back: due now (the quota gate
            # still spaces the calls), never "in a day" or silently never.
            fetched = self._last.fetched
            due = fetched + self.cadence if fetched <= now else now
        else:
            due = now
        if self.gate is not None:
            due = max(due, self.gate.next_allowed(now))
        return max(due, now)

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- for `delestage check` ---------------------------------------------------------------

    async def check_credentials(self, now: datetime) -> None:
        """Ask for a token (not counted by RTE's signals quota); raises EcowattError."""
        await self.client.renew_token(now)

    # -- internals ----------------------------------------------------------------------------

    async def _download(self, now: datetime) -> bytes:
        return await self.client.fetch_signals(now)

    def _parse(self, body: bytes, now: datetime) -> Forecast:
        try:
            forecast = parse_signals(body, fetched=now, source=self.kind)
        except ForecastFormatError as error:
            raise BodyError(f"RTE's answer is not a valid forecast ({error})") from None
        if not forecast.slots:
            raise BodyError("RTE's answer holds no hours")
        return forecast

    def _describe(self, forecast: Forecast) -> str:
        until = forecast.until.isoformat() if forecast.until else "-"
        return f"{self.kind} forecast: {len(forecast.slots)} hours until {until}"

    async def _fetch(self, now: datetime) -> RefreshResult:
        try:
            body = await self._download(now)
            forecast = self._parse(body, now)
        except RateLimitError as error:
            return self._rate_limited(error, now)
        except EcowattError as error:
            return self._failed(str(error), now)
        except Exception as error:  # a bug must not stop the controller: keep the forecast
            log.exception("unexpected error while refreshing the %s", self.what)
            return self._failed(f"unexpected error ({type(error).__name__})", now)
        try:
            self.cache.save(body, now)
        except OSError as error:
            log.warning("cannot write the %s cache %s (%s)", self.what, self.cache.path, error)
        self._last = forecast
        self.failures = 0
        self.retry_at = None
        log.info("%s", self._describe(forecast))
        return RefreshResult(data=forecast, called=True)

    def _rate_limited(self, error: RateLimitError, now: datetime) -> RefreshResult:
        until = now + error.retry_after
        if self.gate is not None:
            self.gate.defer(until, now)
            until = max(until, self.gate.next_allowed(now))
        self.failures += 1
        self.retry_at = until
        message = (
            f"RTE's quota is used up (HTTP 429): next call allowed at "
            f"{clock_time(until, now)}; {self._keeping(now)}"
        )
        log.warning("%s", message)
        return RefreshResult(error=message, called=True, retry_at=until)

    def _failed(self, reason: str, now: datetime) -> RefreshResult:
        self.failures += 1
        # The exponent stops growing once past the cap: an outage of days must not overflow.
        doublings = min(self.failures - 1, MAX_DOUBLINGS)
        delay = min(self.backoff_first * 2**doublings, self.backoff_cap)
        retry = now + delay * (1 + JITTER * self._rng.random())
        if self.gate is not None:
            retry = max(retry, self.gate.next_allowed(now))
        self.retry_at = retry
        message = f"{reason}; {self._keeping(now)}; next try at {clock_time(retry, now)}"
        log.warning("%s", message)
        return RefreshResult(error=message, called=True, retry_at=retry)

    def _keeping(self, now: datetime) -> str:
        if self._last is None or self._last.fetched is None:
            return f"no {self.what} yet"
        return f"keeping the {self.what} from {clock_time(self._last.fetched, now)}"

    def _fresh(self, forecast: Forecast, now: datetime) -> bool:
        fetched = forecast.fetched
        return fetched is not None and fetched <= now < fetched + self.cadence

    def _adopt_cache(self) -> Forecast | None:
        """Take the cached forecast when it is newer than ours; return it if taken."""
        cached = self.cache.read()
        if cached is None:
            return None
        mine = self._last.fetched if self._last is not None else None
        if mine is not None and cached.fetched <= mine:
            return None
        forecast = self.cache.parse(cached)
        if forecast is None:
            return None
        # Someone got through to RTE since our last failure: the backoff has nothing left to
        # wait for (a Retry-After, if any, is kept by the shared gate).
        self.failures = 0
        self.retry_at = None
        self._last = forecast
        return forecast
