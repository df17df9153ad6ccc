"""The HTTP side of RTE's Tempo calendar ("Tempo Like Supply Contract" v1).

The token and session are ``rte_session``'s, shared with the Ecowatt client: the same RTE
application serves both once it is subscribed to both APIs. A 403 means it is not subscribed
to Tempo, and says so in those words; a 400 names RTE's code (F01 to F07) and what it means.
"""

import logging
from datetime import date, datetime, timedelta

from tui.adapters.rte_session import (
    PORTAL,
    BodyError,
    ForbiddenError,
    RateLimitError,
    RteApiClient,
    RteError,
    error_code,
    parse_retry_after,
    unexpected,
    with_status,
)
from tui.core.forecast import PARIS, paris_midnight

CALENDARS_PATH = "/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"
SANDBOX_PATH = "/open_api/tempo_like_supply_contract/v1/sandbox/tempo_like_calendars"
API = "Tempo (the Tempo Like Supply Contract API)"
# RTE's 400 codes for the calendar query (reference/tempo.md).
BAD_REQUEST = {
    "F01": "start_date and end_date must be given together",
    "F02": "start_date must be before end_date",
    "F03": "the period is over 366 days",
    "F04": "end_date is after D+2",
    "F05": "the period is under one day",
    "F06": "a date is not written YYYY-MM-DDThh:mm:ss+hh:mm",
    "F07": "fallback_status must be true or false",
}

log = logging.getLogger("tui.tempo.client")


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
            body = response.content
            if not body.strip():
                raise BodyError("RTE answered the Tempo calendar with an empty body")
            log.debug("Tempo calendar: HTTP 200, %d bytes", len(body))
            return body
        if status == 403:
            raise _not_subscribed("Tempo calendar", status)
        if status == 400:
            code = error_code(response)
            meaning = BAD_REQUEST.get(code, "unknown code")
            raise with_status(
                BadRequestError(
                    f"RTE refused the Tempo query (HTTP 400 {code or 'without a code'}: "
                    f"{meaning}; asked {params})"
                ),
                response,
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
            error = RateLimitError(
                f"RTE refused the Tempo call as too frequent (HTTP 429, retry after "
                f"{int(retry_after.total_seconds())} s)",
                retry_after,
            )
            raise with_status(error, response)
        raise unexpected(response, "the Tempo calendar")


def _not_subscribed(endpoint: str, status: int | None) -> ForbiddenError:
    error = ForbiddenError(
        f"RTE refused the {endpoint} (HTTP 403): the application is not subscribed to Tempo; "
        f'subscribe it to the "Tempo Like Supply Contract" API on RTE\'s portal ({PORTAL})'
    )
    error.status = status
    return error
