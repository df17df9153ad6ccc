"""One RTE source, built from parts; ``ecowatt`` and ``tempo`` are two sets of parts.

The parts: a client (its session's token, for `delestage check`, and closing), a ``download``
(one request, the body as RTE sent it), a ``parse`` (body to data), a ``Schedule`` (when the data
needs a newer one), the shared ``QuotaGate`` (production only), a ``BodyCache``, a ``Backoff``
and ``Words`` (what the messages call the data). The source adds what is the same for every RTE
API:

- Whatever goes wrong, the last good data stays in force (RefreshResult carries no data then)
  and the message says how old it is.
- Production calls go through the shared QuotaGate, so no two calls from any process sharing
  the state directory are closer than its interval; a 429 pushes the gate to its
  ``Retry-After``.
- A schedule with a ``spacing`` is never called closer than that by this process, even on a
  manual refresh (the sandbox has no gate, and `r` pressed twice must not mean two calls).
- Failures back off exponentially with jitter, never faster than the quota.
- A body another process sharing the state directory fetched (the cache, newer than ours) is
  adopted, and ends our backoff: someone got through.

All timing comes from the ``now`` arguments (an injected clock), never from the system clock.
"""

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from tui.adapters.rte.cache import BodyCache, CachedBody
from tui.adapters.rte.quota import QuotaGate
from tui.adapters.rte.session import (
    BodyError,
    RateLimitError,
    RteError,
    RteSession,
    UnreachableError,
)
from tui.adapters.sources.base import Fetched, RefreshResult
from tui.core.forecast import clock_time
from tui.core.signals import ForecastFormatError

log = logging.getLogger("tui.rte.source")

MAX_DOUBLINGS = 16  # 2**16 times any first delay is past any cap
JITTER = 0.25  # each delay is stretched by up to this fraction, so clients do not synchronise


D = TypeVar("D", bound=Fetched)
D_contra = TypeVar("D_contra", bound=Fetched, contravariant=True)


class RteClient(Protocol):
    """An RTE API client: a token request (how `check` proves the credentials), its session
    (another API's client may share it: one application, one token) and closing."""

    @property
    def session(self) -> RteSession: ...

    async def renew_token(self, now: datetime) -> None: ...

    async def aclose(self) -> None: ...


class Schedule(Protocol[D_contra]):
    """When data of this API needs a newer one, by its publication rhythm."""

    @property
    def spacing(self) -> timedelta | None:
        """This process never calls closer than this, even on a manual refresh (None: the
        quota gate alone spaces the calls)."""
        ...

    def due(self, data: D_contra, now: datetime) -> datetime:
        """When ``data`` needs a newer one (``now`` or earlier: due now)."""
        ...

    def observe(self, data: D_contra, now: datetime) -> None:
        """A call at ``now`` brought ``data`` (a schedule may count what it lacked)."""
        ...


@dataclass(frozen=True)
class Backoff:
    """After failures: ``first``, doubling to at most ``cap``, each stretched by a jitter."""

    first: timedelta
    cap: timedelta

    def delay(self, failures: int, draw: float) -> timedelta:
        """The wait after ``failures`` failures in a row; ``draw`` in [0, 1) is the jitter."""
        # The exponent stops growing once past the cap: an outage of days must not overflow.
        doublings = min(max(failures - 1, 0), MAX_DOUBLINGS)
        return min(self.first * (1 << doublings), self.cap) * (1 + JITTER * draw)


@dataclass(frozen=True)
class Words(Generic[D]):
    """What the messages call the data, and the log line after a good fetch."""

    what: str  # "forecast", "Tempo calendar"
    describe: Callable[[D, str], str]  # (data, kind) -> one line


# (body, fetched, source kind) -> data; raises ForecastFormatError or BodyError.
Parser = Callable[[str | bytes, datetime, str], D]


# After a connection that never reached RTE: from a minute, doubling, to the usual cap.
UNREACHABLE_BACKOFF = Backoff(timedelta(minutes=1), timedelta(hours=2))


class RteSource(Generic[D]):
    """``kind`` is "rte" (production, with a gate) or "sandbox" (RTE's fixed test data)."""

    def __init__(
        self,
        client: RteClient,
        *,
        kind: str,
        download: Callable[[datetime], Awaitable[bytes]],
        parse: Parser[D],
        schedule: Schedule[D],
        words: Words[D],
        cache: BodyCache,
        gate: QuotaGate | None,
        backoff: Backoff,
        rng: random.Random | None = None,
    ) -> None:
        self.kind = kind
        self.client = client
        self.download = download
        self.parse = parse
        self.schedule = schedule
        self.words = words
        self.cache = cache
        self.gate = gate
        self.backoff = backoff
        self._rng = rng or random.Random()
        self._last: D | None = None
        self.failures = 0
        self.retry_at: datetime | None = None  # backoff or Retry-After, this process
        self.last_call: datetime | None = None  # this process's; the gate's is on disk (rte)

    def __repr__(self) -> str:
        return f"RteSource(kind={self.kind!r}, {self.client!r})"

    @property
    def last(self) -> D | None:
        """The last good data this source knows (fetched, or from the cache)."""
        return self._last

    # -- the Source protocol ------------------------------------------------------------------

    def load_cached(self, now: datetime) -> D | None:
        self._adopt_cache()
        return self._last

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[D]:
        spacing = self.schedule.spacing
        if spacing is not None and self.last_call is not None:
            allowed = self.last_call + spacing
            if self.last_call <= now < allowed:
                return RefreshResult(
                    data=self._adopt_cache(),
                    error=f"quota: next call allowed at {clock_time(allowed, now)}",
                    retry_at=allowed,
                )
        adopted = self._adopt_cache()
        if adopted is not None and not manual and now < self.schedule.due(adopted, now):
            # Another process sharing the state directory fetched it a moment ago.
            return RefreshResult(data=adopted)
        if not manual and self.retry_at is not None and now < self.retry_at:
            return RefreshResult(
                data=adopted,
                error=f"waiting after an error: next try at {clock_time(self.retry_at, now)}",
                retry_at=self.retry_at,
            )
        previous = self.gate.last_call(now) if self.gate is not None else None
        if self.gate is not None:
            blocked = self.gate.try_reserve(now)
            if blocked is not None:
                return RefreshResult(
                    data=adopted,
                    error=f"quota: next call allowed at {clock_time(blocked, now)}",
                    retry_at=blocked,
                )
        return await self._fetch(now, previous)

    def next_refresh(self, now: datetime) -> datetime:
        if self.retry_at is not None:
            due = self.retry_at
        elif self._last is not None:
            due = self.schedule.due(self._last, now)
        else:
            due = now  # at start, or nothing usable yet
        if self.gate is not None:
            due = max(due, self.gate.next_allowed(now))
        return max(due, now)

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- for `delestage check` ---------------------------------------------------------------

    async def check_credentials(self, now: datetime) -> None:
        """Ask for a token (not counted by RTE's data quotas); raises RteError."""
        await self.client.renew_token(now)

    # -- internals ----------------------------------------------------------------------------

    def _parse(self, body: str | bytes, fetched: datetime) -> D:
        try:
            return self.parse(body, fetched, self.kind)
        except ForecastFormatError as error:
            raise BodyError(f"RTE's answer is not a valid {self.words.what} ({error})") from None

    async def _fetch(self, now: datetime, previous: datetime | None = None) -> RefreshResult[D]:
        mine, self.last_call = self.last_call, now
        try:
            body = await self.download(now)
            data = self._parse(body, now)
        except RateLimitError as error:
            return self._rate_limited(error, now)
        except UnreachableError as error:
            # Nothing reached RTE: no call was spent, so the quota does not make us wait; back
            # off from a minute (a network still coming up at boot), as after any failure.
            self.last_call = mine
            if self.gate is not None:
                self.gate.unreserve(now, previous)
            return self._failed(str(error), now, UNREACHABLE_BACKOFF)
        except RteError as error:
            return self._failed(str(error), now)
        except Exception as error:  # a bug must not stop the controller: keep the data
            log.exception("unexpected error while refreshing the %s", self.words.what)
            return self._failed(f"unexpected error ({type(error).__name__})", now)
        self.schedule.observe(data, now)
        try:
            self.cache.save(body, now)
        except OSError as error:
            what, path = self.words.what, self.cache.path
            log.warning("cannot write the %s cache %s (%s)", what, path, error)
        self._last = data
        self.failures = 0
        self.retry_at = None
        log.info("%s", self.words.describe(data, self.kind))
        return RefreshResult(data=data, called=True)

    def _rate_limited(self, error: RateLimitError, now: datetime) -> RefreshResult[D]:
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

    def _failed(
        self, reason: str, now: datetime, backoff: Backoff | None = None
    ) -> RefreshResult[D]:
        self.failures += 1
        retry = now + (backoff or self.backoff).delay(self.failures, self._rng.random())
        if self.gate is not None:
            retry = max(retry, self.gate.next_allowed(now))
        self.retry_at = retry
        message = f"{reason}; {self._keeping(now)}; next try at {clock_time(retry, now)}"
        log.warning("%s", message)
        return RefreshResult(error=message, called=True, retry_at=retry)

    def _keeping(self, now: datetime) -> str:
        fetched = self._last.fetched if self._last is not None else None
        if fetched is None:
            return f"no {self.words.what} yet"
        return f"keeping the {self.words.what} from {clock_time(fetched, now)}"

    def _adopt_cache(self) -> D | None:
        """Take the cached data when it is newer than ours; return it if taken."""
        cached = self.cache.read()
        if cached is None:
            return None
        mine = self._last.fetched if self._last is not None else None
        if mine is not None and cached.fetched <= mine:
            return None
        data = self._parse_cached(cached)
        if data is None:
            return None
        # Someone got through to RTE since our last failure: the backoff has nothing left to
        # wait for (a Retry-After, if any, is kept by the shared gate).
        self.failures = 0
        self.retry_at = None
        self._last = data
        return data

    def _parse_cached(self, cached: CachedBody) -> D | None:
        try:
            return self.parse(cached.body, cached.fetched, self.cache.source)
        except (ForecastFormatError, BodyError) as error:
            log.warning("ignoring the %s cache %s (%s)", self.words.what, self.cache.path, error)
            return None
