"""RTE's Tempo calendar ("Tempo Like Supply Contract" v1) as parts of an RTE source.

The HTTP side (``TempoClient``): the token and session are ``session``'s, shared with the
Ecowatt client: the same RTE application serves both once it is subscribed to both APIs. A 403
means it is not subscribed to Tempo, and says so in those words; a 400 names RTE's code as RTE
writes it (``TMPLIKSUPCON_TMPLIKCAL_F04``; the short ``F04`` is read too), what it means, and
RTE's own ``error_description``.

The schedule fits the publication: a call at start; then none until 10:40 (tomorrow's colour is
published at 10:30); after 10:40, calls until tomorrow is known, backing off from 15 minutes to
an hour; then nothing until 10:40 the next day. Never two calls within 15 minutes, even on a
manual refresh. Failures (5xx, timeouts, garbage) keep the cached calendar and back off like
Ecowatt's. ``tempo_source`` puts the parts together.
"""

import logging
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from tui.adapters.rte.cache import BodyCache
from tui.adapters.rte.errors import code_suffix, error_fields, error_instead_of_data
from tui.adapters.rte.quota import QuotaGate
from tui.adapters.rte.session import (
    PORTAL,
    ForbiddenError,
    RteApiClient,
    RteError,
    ServerError,
    body_of,
    rate_limited,
    unexpected,
    with_status,
)
from tui.adapters.rte.source import Backoff, RteSource, Words
from tui.core.forecast import PARIS, paris_midnight
from tui.core.tempo import TempoCalendar, describe_refused, describe_today_tomorrow, paris_at
from tui.core.tempo_body import parse_tempo

CALENDARS_PATH = "/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"
SANDBOX_PATH = "/open_api/tempo_like_supply_contract/v1/sandbox/tempo_like_calendars"
API = "Tempo (the Tempo Like Supply Contract API)"
# RTE's 400 codes for the calendar query (reference/tempo.md), by the suffix of the code RTE
# writes: TMPLIKSUPCON_TMPLIKCAL_F01 to _F07.
BAD_REQUEST = {
    "F01": "start_date and end_date must be given together",
    "F02": "start_date must be before end_date",
    "F03": "the period is over 366 days",
    "F04": "end_date is after D+2",
    "F05": "the period is under one day",
    "F06": "a date is not written YYYY-MM-DDThh:mm:ss+hh:mm",
    "F07": "fallback_status must be true or false",
}

MIN_INTERVAL = timedelta(minutes=15)  # never two Tempo calls closer than this
POLL_FROM = (10, 40)  # tomorrow's colour is published at 10:30: look from 10:40
UNPUBLISHED_CAP = timedelta(hours=1)  # retries while tomorrow is not out: 15, 30, 60, 60 min
FAILURE_BACKOFF = Backoff(MIN_INTERVAL, timedelta(hours=2))
QUOTA_NAME = "tempo-quota"

log = logging.getLogger("tui.rte.tempo")


class BadRequestError(RteError):
    """400: RTE refused the query's parameters (a bug here, or a clock far off)."""


def rte_date(day: date) -> str:
    """A Paris midnight as RTE wants it: ``2023-12-02T00:00:00+01:00`` (httpx encodes the +)."""
    return paris_midnight(day).astimezone(PARIS).isoformat()


def query(now: datetime) -> dict[str, str]:
    """Yesterday to the end of tomorrow (end exclusive, D+2 at most: RTE's F04 limit).

    Yesterday's colour is in force until 06:00; tomorrow's is absent until it is published.
    """
    today = now.astimezone(PARIS).date()
    return {
        "start_date": rte_date(today - timedelta(days=1)),
        "end_date": rte_date(today + timedelta(days=2)),
    }


class TempoClient(RteApiClient):
    """Calendar requests against ``base_url`` (RTE, or a test server), through a session."""

    @property
    def calendars_url(self) -> str:
        return self.base_url + (SANDBOX_PATH if self.sandbox else CALENDARS_PATH)

    async def renew_token(self, now: datetime) -> None:
        try:
            await self.session.renew_token(now)
        except ForbiddenError as error:
            raise _not_subscribed("token", error.status) from None

    async def fetch_calendars(self, now: datetime) -> bytes:
        """The calendars body as RTE sent it; raises an RteError subclass on any failure."""
        params = None if self.sandbox else query(now)  # the sandbox takes no parameters
        try:
            response = await self.session.get(
                self.calendars_url, now, what="the Tempo calendar", api=API, params=params
            )
        except ForbiddenError as error:
            raise _not_subscribed("token", error.status) from None
        status = response.status_code
        if status == 200:
            body = body_of(
                response, "Tempo calendar", "RTE answered the Tempo calendar with an empty body"
            )
            refused = error_instead_of_data(body)
            if refused:
                raise with_status(
                    ServerError(f"RTE answered the Tempo calendar with its error {refused}"),
                    response,
                )
            return body
        if status == 403:
            raise _not_subscribed("Tempo calendar", status)
        if status == 400:
            raise with_status(BadRequestError(_bad_request(response, params)), response)
        if status == 429:
            raise rate_limited(response, now, "RTE refused the Tempo call as too frequent")
        raise unexpected(response, "the Tempo calendar")


def _bad_request(response: httpx.Response, params: dict[str, str] | None) -> str:
    """``RTE refused the Tempo query (HTTP 400 TMPLIKSUPCON_TMPLIKCAL_F04: end_date is after
    D+2; RTE says "..."; asked {...})``."""
    code, description = error_fields(response.content)
    short = code_suffix(code, set(BAD_REQUEST)) if code else ""
    meaning = BAD_REQUEST[short] if short else "a code not known here"
    said = f'; RTE says "{description}"' if description else ""
    return (
        f"RTE refused the Tempo query (HTTP 400 {code or 'without a code'}: {meaning}{said}; "
        f"asked {params})"
    )


def _not_subscribed(endpoint: str, status: int | None) -> ForbiddenError:
    error = ForbiddenError(
        f"RTE refused the {endpoint} (HTTP 403): the application is not subscribed to Tempo; "
        f'subscribe it to the "Tempo Like Supply Contract" API on RTE\'s portal ({PORTAL})'
    )
    error.status = status
    return error


# -- the parts ---------------------------------------------------------------------------------


def parse_calendar(body: str | bytes, fetched: datetime, source: str) -> TempoCalendar:
    """A calendars body as a Tempo calendar; raises ForecastFormatError."""
    return parse_tempo(body, fetched=fetched, source=source)


class TempoSchedule:
    """The publication schedule (see the module docstring), with its count of calls in a row
    that came back without tomorrow's colour."""

    spacing = MIN_INTERVAL

    def __init__(self) -> None:
        self.unpublished = 0  # calls in a row that came back without tomorrow

    def observe(self, calendar: TempoCalendar, now: datetime) -> None:
        today = now.astimezone(PARIS).date()
        if calendar.colour(today + timedelta(days=1)) is not None:
            self.unpublished = 0
        elif now >= paris_at(today, *POLL_FROM):
            self.unpublished += 1  # looked for tomorrow and it was not out yet

    def due(self, calendar: TempoCalendar, now: datetime) -> datetime:
        """When this calendar needs a newer one, by the publication schedule."""
        if calendar.fetched is None:
            return now
        # A fetch time ahead of now means the clock went back: count it as fetched now.
        fetched = min(calendar.fetched, now)
        today = now.astimezone(PARIS).date()
        tomorrow = today + timedelta(days=1)
        poll = paris_at(today, *POLL_FROM)
        if calendar.colour(tomorrow) is not None:
            return paris_at(tomorrow, *POLL_FROM)  # nothing more today
        earliest = fetched + MIN_INTERVAL
        if now < poll and calendar.colour(today) is not None:
            return max(poll, earliest)
        # After 10:40 without tomorrow (or without today at all): back off, at most an hour.
        doublings = min(max(self.unpublished - 1, 0), 8)
        return max(fetched + min(MIN_INTERVAL * (1 << doublings), UNPUBLISHED_CAP), earliest)


def describe_calendar(calendar: TempoCalendar, kind: str) -> str:
    when = calendar.fetched
    known = describe_today_tomorrow(calendar, when) if when else "no date"
    return f"{kind} Tempo calendar: {len(calendar.days)} days, {known}{describe_refused(calendar)}"


WORDS = Words[TempoCalendar](what="Tempo calendar", describe=describe_calendar)


def tempo_cache_path(state_dir: Path, kind: str) -> Path:
    return state_dir / f"tempo-cache-{kind}.json"


def tempo_gate(state_dir: Path) -> QuotaGate:
    """Production Tempo calls, rationed across processes in their own call-time file."""
    return QuotaGate(state_dir, MIN_INTERVAL, QUOTA_NAME)


def tempo_source(
    client: TempoClient,
    *,
    kind: str,
    cache: BodyCache,
    gate: QuotaGate | None,
    rng: random.Random | None = None,
) -> RteSource[TempoCalendar]:
    """``kind`` "rte" (pass ``tempo_gate``) or "sandbox" (the schedule alone spaces calls)."""
    return RteSource(
        client,
        kind=kind,
        download=client.fetch_calendars,
        parse=parse_calendar,
        schedule=TempoSchedule(),
        words=WORDS,
        cache=cache,
        gate=gate,
        backoff=FAILURE_BACKOFF,
        rng=rng,
    )
