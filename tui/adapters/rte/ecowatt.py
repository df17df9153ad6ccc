"""Ecowatt v5 as parts of an RTE source: the signals download, the parser, the schedule, the words.

The HTTP side (``EcowattClient``) knows the signals endpoint and turns each answer into data or
an error a person can act on; the token and session are ``session``'s, shared with the Tempo
client (one RTE application, one token). Quota, cache, backoff and retries are the generic
``RteSource``'s; ``ecowatt_source`` puts the parts together.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tui.adapters.rte.cache import BodyCache
from tui.adapters.rte.errors import error_instead_of_data
from tui.adapters.rte.quota import QuotaGate
from tui.adapters.rte.session import (
    PORTAL,
    BodyError,
    ForbiddenError,
    RteApiClient,
    ServerError,
    body_of,
    rate_limited,
    unexpected,
    with_status,
)
from tui.adapters.rte.source import Backoff, RteSource, Words
from tui.core.forecast import Forecast, reach_words
from tui.core.signals import parse_signals

SIGNALS_PATH = "/open_api/ecowatt/v5/signals"
SANDBOX_PATH = "/open_api/ecowatt/v5/sandbox/signals"
API = "Ecowatt v5"
CADENCE = timedelta(minutes=30)
RTE_BACKOFF = Backoff(timedelta(minutes=15), timedelta(hours=2))
SANDBOX_BACKOFF = Backoff(timedelta(minutes=1), timedelta(minutes=30))

log = logging.getLogger("tui.rte.ecowatt")


class EcowattClient(RteApiClient):
    """Signals requests against ``base_url`` (RTE, or a test server), through a session."""

    @property
    def signals_url(self) -> str:
        return self.base_url + (SANDBOX_PATH if self.sandbox else SIGNALS_PATH)

    async def renew_token(self, now: datetime) -> None:
        """Get a fresh token (also how `check` proves the credentials work)."""
        try:
            await self.session.renew_token(now)
        except ForbiddenError as error:
            raise _forbidden("token", error.status) from None

    async def fetch_signals(self, now: datetime) -> bytes:
        """The signals body as RTE sent it; raises an RteError subclass on any failure."""
        try:
            response = await self.session.get(self.signals_url, now, what="the signals", api=API)
        except ForbiddenError as error:
            raise _forbidden("token", error.status) from None
        status = response.status_code
        if status == 200:
            body = body_of(response, "signals", "RTE answered with an empty body")
            refused = error_instead_of_data(body)
            if refused:
                raise with_status(
                    ServerError(f"RTE answered the signals with its error {refused}"), response
                )
            return body
        if status == 403:
            raise with_status(_forbidden("signals", status), response)
        if status == 429:
            raise rate_limited(response, now, "RTE's quota is used up")
        raise unexpected(response, "the signals")


def _forbidden(endpoint: str, status: int | None) -> ForbiddenError:
    error = ForbiddenError(
        f"RTE refused access to the {endpoint} (HTTP 403): subscribe the application to "
        f"Ecowatt v5 on RTE's portal ({PORTAL}); keys made for an older version get 403"
    )
    error.status = status
    return error


# -- the parts ---------------------------------------------------------------------------------


def parse_forecast(body: str | bytes, fetched: datetime, source: str) -> Forecast:
    """A signals body as a forecast; raises ForecastFormatError, or BodyError when it holds
    no hours."""
    forecast = parse_signals(body, fetched=fetched, source=source)
    if not forecast.slots:
        raise BodyError("RTE's answer holds no hours")
    return forecast


@dataclass(frozen=True)
class EcowattSchedule:
    """A forecast is due ``cadence`` after it was fetched; the quota gate spaces the calls."""

    cadence: timedelta = CADENCE
    spacing: timedelta | None = None

    def due(self, forecast: Forecast, now: datetime) -> datetime:
        fetched = forecast.fetched
        if fetched is None:
            return now
        # A fetch time after now means the clock went back: due now (the quota gate still
        # spaces the calls), never "in a day" or silently never.
        return fetched + self.cadence if fetched <= now else now

    def observe(self, forecast: Forecast, now: datetime) -> None:
        return None


def _log_line(forecast: Forecast, kind: str) -> str:
    return f"{kind} forecast: {len(forecast.slots)} hours{reach_words(forecast.until)}"


WORDS = Words[Forecast](what="forecast", describe=_log_line)


def cache_path(state_dir: Path, kind: str) -> Path:
    """Where the last good body of a live source is kept (sandbox data never passes for live)."""
    return state_dir / f"ecowatt-cache-{kind}.json"


def ecowatt_source(
    client: EcowattClient,
    *,
    kind: str,
    cache: BodyCache,
    gate: QuotaGate | None,
    cadence: timedelta = CADENCE,
    backoff: Backoff | None = None,
    rng: random.Random | None = None,
) -> RteSource[Forecast]:
    """``kind`` "rte" (production: pass the shared gate) or "sandbox" (no quota, no gate)."""
    return RteSource(
        client,
        kind=kind,
        download=client.fetch_signals,
        parse=parse_forecast,
        schedule=EcowattSchedule(cadence),
        words=WORDS,
        cache=cache,
        gate=gate,
        backoff=backoff or (RTE_BACKOFF if gate is not None else SANDBOX_BACKOFF),
        rng=rng,
    )
