"""The HTTP side of Ecowatt v5: the signals, with errors a person can act on.

The token and the HTTP session are ``rte_session``'s, shared with the Tempo client (one RTE
application, one token). This module knows the signals endpoint and nothing of quotas, caches
or retries (see ``sources.rte``).
"""

import logging
from datetime import datetime

from tui.adapters.rte_session import (
    MAX_RETRY_AFTER,
    PORTAL,
    AuthError,
    BodyError,
    ForbiddenError,
    NetworkError,
    RateLimitError,
    RteApiClient,
    RteError,
    ServerError,
    parse_retry_after,
    unexpected,
    with_status,
)

SIGNALS_PATH = "/open_api/ecowatt/v5/signals"
SANDBOX_PATH = "/open_api/ecowatt/v5/sandbox/signals"
API = "Ecowatt v5"

# The names the Ecowatt side has always used for RTE's errors.
EcowattError = RteError
__all__ = [
    "MAX_RETRY_AFTER",
    "AuthError",
    "BodyError",
    "EcowattClient",
    "EcowattError",
    "ForbiddenError",
    "NetworkError",
    "RateLimitError",
    "ServerError",
    "parse_retry_after",
]

log = logging.getLogger("tui.ecowatt.client")


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
        """The signals body as RTE sent it; raises an EcowattError subclass on any failure."""
        try:
            response = await self.session.get(self.signals_url, now, what="the signals", api=API)
        except ForbiddenError as error:
            raise _forbidden("token", error.status) from None
        status = response.status_code
        if status == 200:
            body = response.content
            if not body.strip():
                raise BodyError("RTE answered with an empty body")
            log.debug("signals: HTTP 200, %d bytes", len(body))
            return body
        if status == 403:
            raise with_status(_forbidden("signals", status), response)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
            seconds = int(retry_after.total_seconds())
            error = RateLimitError(
                f"RTE's quota is used up (HTTP 429, retry after {seconds} s)", retry_after
            )
            raise with_status(error, response)
        raise unexpected(response, "the signals")


def _forbidden(endpoint: str, status: int | None) -> ForbiddenError:
    error = ForbiddenError(
        f"RTE refused access to the {endpoint} (HTTP 403): subscribe the application to "
        f"Ecowatt v5 on RTE's portal ({PORTAL}); keys made for an older version get 403"
    )
    error.status = status
    return error
