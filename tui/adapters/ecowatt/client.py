"""The HTTP side of Ecowatt v5: an OAuth2 token, then the signals, with errors a person can act on.

This module knows HTTP and nothing of quotas, caches or retries (see ``sources.rte``). Every
request has a timeout and verifies TLS. Nothing here puts the secret or the token in a log
line, an exception message or a repr: errors name the endpoint and the status, never a header.
"""

import asyncio
import logging
import math
import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from tui import __version__
from tui.adapters.ecowatt.credentials import Credentials

TOKEN_PATH = "/token/oauth/"
SIGNALS_PATH = "/open_api/ecowatt/v5/signals"
SANDBOX_PATH = "/open_api/ecowatt/v5/sandbox/signals"
# Renew this long before RTE's stated expiry: a token that dies in flight costs a 401 round trip.
TOKEN_MARGIN = timedelta(seconds=60)
DEFAULT_RETRY_AFTER = timedelta(seconds=900)
MAX_RETRY_AFTER = timedelta(days=1)  # the longest wait a Retry-After may impose
MAX_TOKEN_LIFETIME = 86_400.0  # RTE's tokens last 2 h; a longer claim is damage
PORTAL = "https://data.rte-france.com"

log = logging.getLogger("tui.ecowatt.client")


class EcowattError(Exception):
    """A failed exchange with RTE; ``str()`` is one line for the user, safe to log."""

    status: int | None = None


class AuthError(EcowattError):
    """RTE rejected the credentials (bad id or secret)."""


class ForbiddenError(EcowattError):
    """403: the application is not subscribed to Ecowatt v5."""


class RateLimitError(EcowattError):
    """429: called too early; do not call again before ``retry_after`` has passed."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(EcowattError):
    """5xx or another unexpected status: RTE's side, likely to pass."""


class NetworkError(EcowattError):
    """No complete answer: timeout, connection refused, reset or truncated."""


class BodyError(EcowattError):
    """An answer that is not what RTE sends (not JSON, no signals, bad fields)."""


class _Token:
    __slots__ = ("expires", "value")

    def __init__(self, value: str, expires: datetime) -> None:
        self.value = value
        self.expires = expires

    def __repr__(self) -> str:
        return f"_Token(expires={self.expires.isoformat()})"


_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _error_code(response: httpx.Response) -> str:
    """RTE's ``error`` field (e.g. ``COMMON_ERROR_T03``), when the body has a plausible one."""
    try:
        document = response.json()
    except (ValueError, RecursionError):
        return ""
    code = document.get("error") if isinstance(document, dict) else None
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else ""


def parse_retry_after(value: str | None, now: datetime) -> timedelta:
    """``Retry-After`` in seconds or as an HTTP date; RTE's quota interval when absent or odd."""
    if not value:
        return DEFAULT_RETRY_AFTER
    text = value.strip()
    if text.isascii() and text.isdigit():
        # Bounded: RTE's quota is 15 min; a day covers any real wait, and 10**20 s is damage.
        return timedelta(seconds=min(int(text[:12]), MAX_RETRY_AFTER.total_seconds()))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:
        return DEFAULT_RETRY_AFTER
    return min(max(when - now, timedelta(0)), MAX_RETRY_AFTER)


class EcowattClient:
    """Token and signals requests against ``base_url`` (RTE, or a test server)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        sandbox: bool = False,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.sandbox = sandbox
        self.timeout = timeout
        self._credentials = credentials
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._token: _Token | None = None

    def __repr__(self) -> str:
        return f"EcowattClient({self.base_url!r}, sandbox={self.sandbox})"

    @property
    def signals_url(self) -> str:
        return self.base_url + (SANDBOX_PATH if self.sandbox else SIGNALS_PATH)

    def _client(self) -> httpx.AsyncClient:
        # Created on first use, inside the event loop that will use it.
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                transport=self._transport,
                headers={"User-Agent": f"delestage/{__version__}"},
                follow_redirects=False,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def forget_token(self) -> None:
        self._token = None

    # -- token --------------------------------------------------------------------------------

    async def renew_token(self, now: datetime) -> None:
        """Get a fresh token (also how `check` proves the credentials work)."""
        url = self.base_url + TOKEN_PATH
        log.debug("requesting an Ecowatt token from %s", url)
        response = await self._send(
            "POST",
            url,
            headers={
                "Authorization": self._credentials.authorization(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
            content=b"grant_type=client_credentials",
            what="the token request",
        )
        if response.status_code in (400, 401):
            code = _error_code(response)
            raise _status(
                AuthError(
                    f"RTE rejected the credentials from {self._credentials.origin} "
                    f"(HTTP {response.status_code}{' ' + code if code else ''}): check the "
                    f"application's client id and secret on RTE's portal ({PORTAL})"
                ),
                response,
            )
        if response.status_code == 403:
            raise _status(ForbiddenError(_forbidden_text("token")), response)
        if response.status_code != 200:
            raise _unexpected(response, "the token request")
        try:
            document = response.json()
            value = document["access_token"]
            lifetime = float(document.get("expires_in", 0))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise BodyError("RTE's token answer is not the expected JSON") from None
        if not isinstance(value, str) or not value:
            raise BodyError("RTE's token answer holds no access_token")
        if not 0 < lifetime < math.inf:
            lifetime = 600.0  # unknown lifetime: renew often rather than use a dead token
        lifetime = min(lifetime, MAX_TOKEN_LIFETIME)
        margin = min(TOKEN_MARGIN, timedelta(seconds=lifetime / 2))
        self._token = _Token(value, now + timedelta(seconds=lifetime) - margin)
        log.info("got an Ecowatt token, valid %d s", int(lifetime))

    async def _valid_token(self, now: datetime) -> _Token:
        if self._token is None or now >= self._token.expires:
            await self.renew_token(now)
        assert self._token is not None
        return self._token

    # -- signals ------------------------------------------------------------------------------

    async def fetch_signals(self, now: datetime) -> bytes:
        """The signals body as RTE sent it; raises an EcowattError subclass on any failure."""
        token = await self._valid_token(now)
        response = await self._get_signals(token)
        if response.status_code == 401:
            # Revoked or expired early: one new token, one retry, no more.
            log.info("RTE refused the Ecowatt token (401): renewing it once")
            self._token = None
            token = await self._valid_token(now)
            response = await self._get_signals(token)
            if response.status_code == 401:
                self._token = None
                raise _status(
                    AuthError(
                        "RTE refused a fresh token for the signals (HTTP 401): check that the "
                        f"application is subscribed to Ecowatt v5 on RTE's portal ({PORTAL})"
                    ),
                    response,
                )
        status = response.status_code
        if status == 200:
            body = response.content
            if not body.strip():
                raise BodyError("RTE answered with an empty body")
            log.debug("signals: HTTP 200, %d bytes", len(body))
            return body
        if status == 403:
            raise _status(ForbiddenError(_forbidden_text("signals")), response)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
            seconds = int(retry_after.total_seconds())
            error = RateLimitError(
                f"RTE's quota is used up (HTTP 429, retry after {seconds} s)", retry_after
            )
            raise _status(error, response)
        raise _unexpected(response, "the signals")

    async def _get_signals(self, token: _Token) -> httpx.Response:
        return await self._send(
            "GET",
            self.signals_url,
            headers={"Authorization": f"Bearer {token.value}", "Accept": "application/json"},
            what="the signals",
        )

    async def _send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        what: str,
        content: bytes | None = None,
    ) -> httpx.Response:
        try:
            # httpx's timeout bounds each network operation; this bounds the whole request,
            # so a server trickling bytes cannot hold the controller for longer.
            async with asyncio.timeout(self.timeout):
                response = await self._client().request(
                    method, url, headers=headers, content=content, timeout=self.timeout
                )
        except (httpx.TimeoutException, TimeoutError):
            raise NetworkError(
                f"RTE did not answer {what} within {self.timeout:g} s (timeout)"
            ) from None
        except httpx.ConnectError as error:
            raise NetworkError(f"cannot connect to RTE for {what} ({_reason(error)})") from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as error:
            raise NetworkError(f"RTE's answer to {what} was cut short ({_reason(error)})") from None
        except httpx.HTTPError as error:
            raise NetworkError(
                f"request to RTE for {what} failed ({type(error).__name__}: {_reason(error)})"
            ) from None
        log.debug("%s %s: HTTP %d", method, url, response.status_code)
        return response


def _reason(error: Exception) -> str:
    # httpx messages name the URL and the socket error, never a header; keep them on one line.
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _forbidden_text(endpoint: str) -> str:
    return (
        f"RTE refused access to the {endpoint} (HTTP 403): subscribe the application to "
        f"Ecowatt v5 on RTE's portal ({PORTAL}); keys made for an older version get 403"
    )


def _unexpected(response: httpx.Response, what: str) -> EcowattError:
    code = _error_code(response)
    detail = f"HTTP {response.status_code}{' ' + code if code else ''}"
    if response.status_code >= 500:
        return _status(ServerError(f"RTE's server failed on {what} ({detail})"), response)
    return _status(ServerError(f"RTE answered {what} with {detail}"), response)


def _status(error: EcowattError, response: httpx.Response) -> EcowattError:
    error.status = response.status_code
    return error
