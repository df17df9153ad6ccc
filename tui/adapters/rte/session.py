"""One RTE application on RTE's data portal: its OAuth2 token and the HTTP session around it.

RTE gives one application one token for every API it is subscribed to (Ecowatt, Tempo), so
the Ecowatt and Tempo clients share a session: one token request serves both. This module knows
HTTP and the token, and nothing of any API's body, quota, cache or retries. Every request has a
timeout and verifies TLS. Nothing here puts the secret or the token in a log line, an exception
message or a repr: errors name the endpoint and the status, never a header.
"""

import asyncio
import logging
import math
import re
import zlib
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tui import __version__
from tui.adapters.rte.credentials import Credentials
from tui.adapters.rte.errors import status_words
from tui.core.bounds import MAX_RTE_BODY, TooLarge, check_size

TOKEN_PATH = "/token/oauth/"
# Renew this long before RTE's stated expiry: a token that dies in flight costs a 401 round trip.
TOKEN_MARGIN = timedelta(seconds=60)
DEFAULT_RETRY_AFTER = timedelta(seconds=900)
MAX_RETRY_AFTER = timedelta(days=1)  # the longest wait a Retry-After may impose
MAX_TOKEN_LIFETIME = 86_400.0  # RTE's tokens last 2 h; a longer claim is damage
PORTAL = "https://data.rte-france.com"

log = logging.getLogger("tui.rte.session")


class RteError(Exception):
    """A failed exchange with RTE; ``str()`` is one line for the user, safe to log."""

    status: int | None = None


class AuthError(RteError):
    """RTE rejected the credentials (bad id or secret)."""


class ForbiddenError(RteError):
    """403: the application is not subscribed to the API."""


class RateLimitError(RteError):
    """429: called too early; do not call again before ``retry_after`` has passed."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(RteError):
    """5xx or another unexpected status: RTE's side, likely to pass."""


class NetworkError(RteError):
    """No complete answer: timeout, connection refused, reset or truncated."""


class UnreachableError(NetworkError):
    """The connection itself failed (refused, no route, no name): nothing reached RTE, so no
    call was spent against its quota."""


class BodyError(RteError):
    """An answer that is not what RTE sends (not JSON, missing or bad fields)."""


class _Token:
    __slots__ = ("expires", "value")

    def __init__(self, value: str, expires: datetime) -> None:
        self.value = value
        self.expires = expires

    def __repr__(self) -> str:
        return f"_Token(expires={self.expires.isoformat()})"


_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def error_code(response: httpx.Response) -> str:
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


class RteSession:
    """The token and the requests of one RTE application against ``base_url``."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._credentials = credentials
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._token: _Token | None = None
        self._users = 0

    def __repr__(self) -> str:
        return f"RteSession({self.base_url!r})"

    def _client(self) -> httpx.AsyncClient:
        # Created on first use, inside the event loop that will use it.
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                transport=self._transport,
                headers={
                    "User-Agent": f"delestage/{__version__}",
                    "Accept-Encoding": ACCEPT_ENCODING,
                },
                follow_redirects=False,
            )
        return self._http

    def share(self) -> "RteSession":
        """Take a share of the session: it closes when the last sharer calls ``aclose``."""
        self._users += 1
        return self

    async def aclose(self) -> None:
        self._users = max(self._users - 1, 0)
        if self._users == 0 and self._http is not None:
            await self._http.aclose()
            self._http = None

    def forget_token(self) -> None:
        self._token = None

    # -- token --------------------------------------------------------------------------------

    async def renew_token(self, now: datetime) -> None:
        """Get a fresh token (also how `check` proves the credentials work)."""
        url = self.base_url + TOKEN_PATH
        log.debug("requesting an RTE token from %s", url)
        response = await self.send(
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
            code = error_code(response)
            raise with_status(
                AuthError(
                    f"RTE rejected the credentials from {self._credentials.origin} "
                    f"(HTTP {response.status_code}{' ' + code if code else ''}): check the "
                    f"application's client id and secret on RTE's portal ({PORTAL})"
                ),
                response,
            )
        if response.status_code == 403:
            raise with_status(
                ForbiddenError(
                    "RTE refused the token request (HTTP 403): check the application on "
                    f"RTE's portal ({PORTAL})"
                ),
                response,
            )
        if response.status_code != 200:
            raise unexpected(response, "the token request")
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
        log.info("got an RTE token, valid %d s", int(lifetime))

    async def _valid_token(self, now: datetime) -> _Token:
        if self._token is None or now >= self._token.expires:
            await self.renew_token(now)
        assert self._token is not None
        return self._token

    # -- data ---------------------------------------------------------------------------------

    async def get(
        self,
        url: str,
        now: datetime,
        *,
        what: str,
        api: str,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """GET a data endpoint with the bearer token, asking for JSON. A 401 gets one new token
        and one retry; a second 401 says the application may not be subscribed to ``api``."""
        response = await self._get(url, await self._valid_token(now), what, params)
        if response.status_code == 401:
            # Revoked or expired early: one new token, one retry, no more.
            log.info("RTE refused the token for %s (401): renewing it once", what)
            self._token = None
            response = await self._get(url, await self._valid_token(now), what, params)
            if response.status_code == 401:
                self._token = None
                raise with_status(
                    AuthError(
                        f"RTE refused a fresh token for {what} (HTTP 401): check that the "
                        f"application is subscribed to {api} on RTE's portal ({PORTAL})"
                    ),
                    response,
                )
        return response

    async def _get(
        self, url: str, token: _Token, what: str, params: dict[str, str] | None
    ) -> httpx.Response:
        return await self.send(
            "GET",
            url,
            headers={"Authorization": f"Bearer {token.value}", "Accept": "application/json"},
            what=what,
            params=params,
        )

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        what: str,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            # httpx's timeout bounds each network operation; this bounds the whole request,
            # so a server trickling bytes cannot hold the controller for longer.
            async with asyncio.timeout(self.timeout):
                client = self._client()
                request = client.build_request(
                    method,
                    url,
                    headers=headers,
                    content=content,
                    params=params,
                    timeout=self.timeout,
                )
                response = await client.send(request, stream=True)
                try:
                    body = await _bounded_body(response, what)
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError):
            raise NetworkError(
                f"RTE did not answer {what} within {self.timeout:g} s (timeout)"
            ) from None
        except httpx.ConnectError as error:
            raise UnreachableError(f"cannot connect to RTE for {what} ({_reason(error)})") from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as error:
            raise NetworkError(f"RTE's answer to {what} was cut short ({_reason(error)})") from None
        except httpx.HTTPError as error:
            raise NetworkError(
                f"request to RTE for {what} failed ({type(error).__name__}: {_reason(error)})"
            ) from None
        log.debug("%s %s: HTTP %d", method, url, response.status_code)
        # The body as read (decoded), in a response of its own: no encoding left to undo.
        kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _RAW]
        return httpx.Response(
            response.status_code, headers=kept, content=body, request=response.request
        )


_RAW = {"content-encoding", "content-length", "transfer-encoding"}
ACCEPT_ENCODING = "gzip, deflate"  # what _bounded_body decodes itself, a bounded piece at a time


async def _bounded_body(response: httpx.Response, what: str) -> bytes:
    """The decoded body, decoded here and read up to MAX_RTE_BODY and no further: a gzip bomb
    (a megabyte that decodes to a gigabyte) costs a megabyte of memory and fails as a body
    error. httpx's own decoder would inflate each network chunk whole (a thousandfold)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflate: Any = None
    if encoding in ("gzip", "x-gzip"):
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflate = zlib.decompressobj()
    elif encoding not in ("", "identity"):
        raise BodyError(f"RTE's answer to {what} has an unexpected encoding {encoding!r}")
    chunks: list[bytes] = []
    size = 0
    label = f"RTE's answer to {what}" + (" (decoded)" if inflate is not None else "")
    try:
        async for raw in response.aiter_raw(64 * 1024):
            data = raw
            while data:
                if inflate is None:
                    piece, data = data, b""
                else:
                    piece = inflate.decompress(data, MAX_RTE_BODY - size + 1)
                    data = inflate.unconsumed_tail
                size += len(piece)
                check_size(size, MAX_RTE_BODY, label)
                chunks.append(piece)
    except TooLarge as error:
        raise BodyError(str(error)) from None
    except zlib.error as error:
        raise BodyError(f"RTE's answer to {what} is not valid {encoding} ({error})") from None
    return b"".join(chunks)


def _reason(error: Exception) -> str:
    # httpx messages name the URL and the socket error, never a header; keep them on one line.
    text = " ".join(str(error).split())
    return text or type(error).__name__


def unexpected(response: httpx.Response, what: str) -> RteError:
    detail = status_words(response)  # RTE's code and description, or what came instead
    if response.status_code >= 500:
        return with_status(ServerError(f"RTE's server failed on {what} ({detail})"), response)
    return with_status(ServerError(f"RTE answered {what} with {detail}"), response)


def body_of(response: httpx.Response, what: str, empty: str) -> bytes:
    """A 200's body as RTE sent it; BodyError(``empty``) for a blank one (RTE sends those)."""
    body = response.content
    if not body.strip():
        raise BodyError(empty)
    log.debug("%s: HTTP 200, %d bytes", what, len(body))
    return body


def rate_limited(response: httpx.Response, now: datetime, said: str) -> RteError:
    """A 429 as ``said (HTTP 429, retry after N s)``, carrying its Retry-After."""
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
    seconds = int(retry_after.total_seconds())
    limited = RateLimitError(f"{said} (HTTP 429, retry after {seconds} s)", retry_after)
    return with_status(limited, response)


def with_status(error: RteError, response: httpx.Response) -> RteError:
    error.status = response.status_code
    return error


class RteApiClient:
    """What every RTE API client shares: a session (its own, or one shared with another API's
    client), the API root, and closing its share of the session."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        sandbox: bool = False,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        session: RteSession | None = None,
    ) -> None:
        self.session = (
            session or RteSession(base_url, credentials, timeout=timeout, transport=transport)
        ).share()
        self.base_url = self.session.base_url
        self.sandbox = sandbox
        self.timeout = self.session.timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, sandbox={self.sandbox})"

    async def aclose(self) -> None:
        await self.session.aclose()

    def forget_token(self) -> None:
        self.session.forget_token()
