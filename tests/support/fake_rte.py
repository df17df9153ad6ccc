"""A fake RTE for the tests: a real HTTP server on 127.0.0.1, in a thread.

It behaves as ``shared/reference/ecowatt-v5.md`` describes RTE: a token endpoint checking Basic
credentials, production and sandbox signals checking the bearer token and its expiry, the 900 s
production quota answered with 429 and ``Retry-After``. Faults are switched on per request with
``fail_next``. Time comes from an injectable clock, so the tests can make hours pass at once.

Its error answers are RTE's real ones, byte for byte where one was recorded
(tests/data/real-bodies/, see its PROVENANCE.md): ``ECOWATT_COMMON_T05`` with its CRLF and tabs,
a proxy's HTML "502 Bad Gateway", an empty body, a body of one space, and Tempo's 400s with the
long codes RTE writes (``TMPLIKSUPCON_TMPLIKCAL_F04``, whose real body is served as recorded).

    with FakeRte(clock=clock.now) as rte:
        rte.fail_next("500", "truncated")
        ... EcowattClient(rte.url, ...) ...
        assert rte.signals_calls == 3
"""

import base64
import contextlib
import functools
import json
import math
import re
import secrets
import struct
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tui.core.demo_forecast import demo_forecast
from tui.core.demo_tempo import demo_tempo
from tui.core.forecast import PARIS
from tui.core.signals import forecast_to_body
from tui.core.tempo import TempoCalendar, paris_at, published_at
from tui.core.tempo_body import calendar_to_body

CLIENT_ID = "3f0e5c1a-9b7d-4c2e-8a61-0d5b2c7e9f14"
CLIENT_SECRET = "b8c4d2e6-1a3f-4e5d-9c7b-6a2f8e0d4c13"
TOKEN_PATH = "/token/oauth/"
SIGNALS_PATH = "/open_api/ecowatt/v5/signals"
SANDBOX_PATH = "/open_api/ecowatt/v5/sandbox/signals"
QUOTA = timedelta(seconds=900)
TEMPO_PATH = "/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"
TEMPO_SANDBOX_PATH = "/open_api/tempo_like_supply_contract/v1/sandbox/tempo_like_calendars"
# RTE's date format for the Tempo query: Paris time with a colon in the offset.
TEMPO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
# Like RTE's Tempo sandbox: one fixed day of 2016, the calendar in an array, values an object.
TEMPO_SANDBOX_BODY: dict[str, object] = {
    "tempo_like_calendars": [
        {
            "start_date": "2016-03-12T00:00:00+01:00",
            "end_date": "2016-03-13T00:00:00+01:00",
            "values": {
                "start_date": "2016-03-12T00:00:00+01:00",
                "end_date": "2016-03-13T00:00:00+01:00",
                "value": "BLUE",
                "updated_date": "2016-03-11T10:20:00+01:00",
            },
        }
    ]
}
REAL_BODIES = Path(__file__).resolve().parent.parent / "data" / "real-bodies"


def real_body(name: str) -> bytes:
    """A real answer of RTE's (or of a proxy in front of it), byte for byte."""
    return (REAL_BODIES / name).read_bytes()


# RTE's transient 500 as seen in production (reference/ecowatt-v5.md), for Tempo and as "t03".
RTE_500_BODY = {
    "error": "COMMON_ERROR_T03",
    "error_description": "Error code unknown",
    "error_uri": "",
    "error_details": {"transaction_id": "Id-2a7f5e6b9c0d1e2f3a4b5c6d"},
}
T05_BODY = real_body("ac-err-ecowatt-common-t05.json")  # CRLF and tabs included
HTML_502_BODY = real_body("ac-err-502-html.json")
EMPTY_BODY = real_body("ac-err-empty.json")
SPACE_BODY = real_body("ac-err-single-space.json")
TEMPO_F04_BODY = real_body("tempo-err-f04-gladys-fixture.json")
TEMPO_CODE = "TMPLIKSUPCON_TMPLIKCAL_"  # RTE's prefix of the calendar query's 400 codes
# Descriptions shaped like F04's real one (the only one recorded); the others are not RTE's words.
TEMPO_DESCRIPTIONS = {
    "F01": 'The "start_date" and "end_date" fields must be given together.',
    "F02": 'The value of "start_date" field must be before "end_date".',
    "F03": "The period requested is too long.",
    "F05": "The period requested is too short.",
    "F06": "The format of a date field is incorrect.",
    "F07": 'The value of "fallback_status" field is incorrect.',
}
FAULTS = {
    "500",  # signals: the real ECOWATT_COMMON_T05 body; Tempo and token: COMMON_ERROR_T03
    "t03",  # COMMON_ERROR_T03 (500)
    "502",  # the real HTML page of a proxy's 502 Bad Gateway
    "blank-200",  # 200 with the real one-space body
    "empty-200",  # 200 with the real empty body
    "blank-500",  # the same bodies with a 500 (the recordings did not keep the status)
    "empty-500",
    "t05-200",  # the real T05 body with a 200
    "503",
    "slow",
    "truncated",
    "malformed",
    "expired",
    "403",
    "401",
    "empty",  # a well-formed answer without days: {"signals": []}
}
FAULTS.add("gzip-bomb")  # about 1 MB on the wire, 1 GiB of zeros once decoded
BOMB_DECODED = 1 << 30


@functools.cache
def gzip_bomb() -> bytes:
    """A valid gzip member of BOMB_DECODED zero bytes, about 1 MB: built from one deflate
    segment per MiB (each ended by a full flush, so every one after the first is the same
    bytes), in a second or two instead of compressing a gigabyte."""
    mib = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    middle = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    last = deflate.compress(mib) + deflate.flush(zlib.Z_FINISH)
    count = BOMB_DECODED >> 20
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(mib, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, BOMB_DECODED & 0xFFFFFFFF)
    return header + first + middle * (count - 2) + last + trailer


def _hours(levels: dict[int, int], count: int = 24) -> list[dict[str, int]]:
    return [{"pas": pas, "hvalue": levels.get(pas, 1)} for pas in range(count)]


# Like RTE's sandbox: fixed June 2022 data, days out of order, one day with hours missing.
SANDBOX_BODY: dict[str, object] = {
    "signals": [
        {
            "GenerationFichier": "2022-06-03T23:00:00+02:00",
            "jour": "2022-06-06T00:00:00+02:00",
            "dvalue": 2,
            "message": "Risque de coupures d'électricité.          ",
            "values": _hours({0: 0, 1: 0, 2: 0, 9: 2, 10: 2, 19: 2}),
        },
        {
            "GenerationFichier": "2022-06-03T23:00:00+02:00",
            "jour": "2022-06-04T00:00:00+02:00",
            "dvalue": 1,
            "message": "Situation normale.          ",
            "values": [h for h in _hours({3: 0, 4: 0}) if h["pas"] not in (5, 6, 7)],
        },
        {
            "GenerationFichier": "2022-06-03T23:00:00+02:00",
            "jour": "2022-06-07T00:00:00+02:00",
            "dvalue": 3,
            "message": "Coupures d'électricité programmées.   ",
            "values": _hours({8: 2, 9: 3, 10: 3, 11: 2, 18: 2}),
        },
        {
            "GenerationFichier": "2022-06-03T23:00:00+02:00",
            "jour": "2022-06-05T00:00:00+02:00",
            "dvalue": 1,
            "message": "Situation normale.          ",
            "values": _hours({13: 0, 14: 0, 15: 0}),
        },
    ]
}


def production_body(day: date) -> dict[str, object]:
    """Four days from ``day``, shaped as RTE's production answer."""
    return forecast_to_body(demo_forecast(day))


@dataclass
class Request:
    method: str
    path: str
    authorization: str  # "basic", "bearer", "none"
    status: int
    query: str = ""  # the raw query string, as sent
    accept: str = ""  # the Accept header


class FakeRte:
    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        token_lifetime: int = 7199,
        slow_seconds: float = 2.0,
        body: dict[str, object] | bytes | None = None,
    ) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.token_lifetime = token_lifetime
        self.slow_seconds = slow_seconds
        self.body = body
        self.sandbox_body: dict[str, object] = SANDBOX_BODY
        self.forbid_v5 = False  # a key made for another API version
        # Tempo: the calendar RTE knows (each day served once published: 10:30 the day
        # before, plus ``tempo_delay``); None: the demo calendar around the clock's date.
        self.tempo: TempoCalendar | None = None
        self.tempo_delay = timedelta(0)
        self.forbid_tempo = False  # an application not subscribed to Tempo
        self._tempo_faults: deque[str] = deque()
        self.retry_after: int | None = None  # a longer Retry-After than the window's rest
        self.requests: list[Request] = []  # recorded when answered
        self.arrived: list[str] = []  # every request's path, as it arrives (before any answer)
        self.issued: list[str] = []  # every access token handed out
        self.last_call: datetime | None = None
        self._tokens: dict[str, datetime] = {}
        self._faults: deque[str] = deque()
        self._token_faults: deque[str] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, *faults: str) -> None:
        """Answer the next signals requests (one fault each, in order) with these faults."""
        for fault in faults:
            assert fault in FAULTS, fault
        with self._lock:
            self._faults.extend(faults)

    def fail_next_tempo(self, *faults: str) -> None:
        """Answer the next Tempo requests (one fault each, in order) with these faults."""
        for fault in faults:
            assert fault in FAULTS, fault
        with self._lock:
            self._tempo_faults.extend(faults)

    @property
    def tempo_calls(self) -> int:
        return self.count(TEMPO_PATH)

    def fail_next_token(self, *faults: str) -> None:
        """The same for the token endpoint ("500", "503", "slow", "malformed", "401")."""
        with self._lock:
            self._token_faults.extend(faults)

    def count(self, path: str, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for request in self.requests
                if request.path == path and (status is None or request.status == status)
            )

    def arrivals(self, path: str) -> int:
        """Requests for ``path`` received so far, answered or not (one may hang: "slow")."""
        with self._lock:
            return self.arrived.count(path)

    @property
    def token_calls(self) -> int:
        return self.count(TOKEN_PATH)

    @property
    def signals_calls(self) -> int:
        return self.count(SIGNALS_PATH)

    def start(self) -> "FakeRte":
        server = _Server(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeRte":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- behaviour ----------------------------------------------------------------------------

    def _record(
        self, method: str, path: str, authorization: str, status: int, query: str, accept: str
    ) -> None:
        kind = authorization.split(" ", 1)[0].lower() if authorization else "none"
        with self._lock:
            self.requests.append(Request(method, path, kind, status, query, accept))

    def _take(self, queue: deque[str]) -> str | None:
        with self._lock:
            return queue.popleft() if queue else None

    def token(self, authorization: str) -> tuple[int, dict[str, str], bytes]:
        fault = self._take(self._token_faults)
        if fault is not None:
            return self._fault(fault)
        if authorization != f"Basic {self.basic}":
            return _json(401, {"error": "invalid_client", "error_description": "bad credentials"})
        value = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[value] = self.clock() + timedelta(seconds=self.token_lifetime)
            self.issued.append(value)
        return _json(
            200,
            {"access_token": value, "token_type": "Bearer", "expires_in": self.token_lifetime},
        )

    def signals(self, authorization: str, sandbox: bool) -> tuple[int, dict[str, str], bytes]:
        now = self.clock()
        fault, refused = self._authorize(self._faults, authorization, now, self.forbid_v5)
        if refused is not None:
            return refused
        if fault is not None:
            return self._fault(fault, ecowatt=True)
        if sandbox:
            return _json(200, self.sandbox_body)
        with self._lock:
            if self.last_call is not None and now - self.last_call < QUOTA:
                wait = math.ceil((self.last_call + QUOTA - now).total_seconds())
                wait = max(wait, self.retry_after or 0)
                return 429, {"Retry-After": str(wait), "Content-Length": "0"}, b""
            self.last_call = now
        body = self.body if self.body is not None else production_body(now.astimezone(PARIS).date())
        if isinstance(body, bytes):
            return 200, {"Content-Type": "application/json"}, body
        return _json(200, body)

    def _authorize(
        self, faults: deque[str], authorization: str, now: datetime, forbidden: bool
    ) -> tuple[str | None, tuple[int, dict[str, str], bytes] | None]:
        """The data endpoints' checks: the next fault (``expired`` forgets every token), then
        the bearer token (401), then the subscription (403). Returns (fault, refusal)."""
        fault = self._take(faults)
        if fault == "expired":
            with self._lock:
                self._tokens.clear()
            fault = None
        if not self._bearer_valid(authorization, now):
            return fault, _json(401, {"error": "invalid_token"})
        if forbidden:
            return fault, _json(403, {"error": "access_denied"})
        return fault, None

    def _bearer_valid(self, authorization: str, now: datetime) -> bool:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            expires = self._tokens.get(token)
        return expires is not None and now < expires

    def tempo_calendars(
        self, authorization: str, sandbox: bool, query: str
    ) -> tuple[int, dict[str, str], bytes]:
        """The Tempo endpoints, parameters checked as RTE does (reference/tempo.md)."""
        now = self.clock()
        fault, refused = self._authorize(self._tempo_faults, authorization, now, self.forbid_tempo)
        if refused is not None:
            return refused
        if fault is not None:
            return self._fault(fault)
        if sandbox:
            return _json(200, TEMPO_SANDBOX_BODY)
        # parse_qs decodes %2B to "+" and a bare "+" to a space, as a real server would.
        params = {key: values[0] for key, values in parse_qs(query).items()}
        today = now.astimezone(PARIS).date()
        checked = _tempo_range(params, today)
        if isinstance(checked, str):
            return _tempo_refusal(checked)
        first, end = checked
        calendar = self.tempo if self.tempo is not None else _demo_calendar(now)
        served = TempoCalendar(
            tuple(
                day
                for day in calendar.days
                if first <= day.day < end and now >= published_at(day.day) + self.tempo_delay
            )
        )
        return _json(200, calendar_to_body(served))

    def _fault(self, fault: str, ecowatt: bool = False) -> tuple[int, dict[str, str], bytes]:
        """One fault's answer; ``ecowatt``: for the signals (whose real 500 is T05)."""
        if fault == "500":
            return _raw(500, T05_BODY) if ecowatt else _json(500, RTE_500_BODY)
        if fault == "t03":
            return _json(500, RTE_500_BODY)
        if fault == "t05-200":
            return _raw(200, T05_BODY)
        if fault == "502":
            return 502, {"Content-Type": "text/html; charset=iso-8859-1"}, HTML_502_BODY
        if fault in ("blank-200", "blank-500", "empty-200", "empty-500"):
            kind, status = fault.split("-")
            return _raw(int(status), SPACE_BODY if kind == "blank" else EMPTY_BODY)
        if fault == "503":
            return 503, {"Content-Type": "text/html"}, b"<html>Service Unavailable</html>"
        if fault == "403":
            return _json(403, {"error": "access_denied"})
        if fault == "401":
            return _json(401, {"error": "invalid_client"})
        if fault == "slow":
            time.sleep(self.slow_seconds)
            return _json(200, SANDBOX_BODY)
        if fault == "malformed":
            return 200, {"Content-Type": "application/json"}, b'{"signals": [{"jour": "demain"'
        if fault == "empty":
            return _json(200, {"signals": []})
        if fault == "gzip-bomb":
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
            return 200, headers, gzip_bomb()
        if fault == "truncated":
            whole = json.dumps(SANDBOX_BODY).encode()
            # Promise the whole body, send a third of it, hang up.
            return 200, {"X-Truncate": str(len(whole) // 3)}, whole
        raise AssertionError(fault)


def _raw(status: int, body: bytes) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, body


def _tempo_refusal(short: str) -> tuple[int, dict[str, str], bytes]:
    """RTE's 400 for a calendar query: the long code, F04's body as recorded."""
    if short == "F04":
        return _raw(400, TEMPO_F04_BODY)
    return _json(
        400,
        {
            "error": TEMPO_CODE + short,
            "error_description": TEMPO_DESCRIPTIONS[short],
            "error_uri": "",
            "error_details": {"transaction_id": "Id-" + secrets.token_hex(12)},
        },
    )


def _demo_calendar(now: datetime) -> TempoCalendar:
    """The demo's yesterday, today and tomorrow (served once published, as RTE does)."""
    return demo_tempo(paris_at(now.astimezone(PARIS).date(), 12))


def _tempo_range(params: dict[str, str], today: date) -> tuple[date, date] | str:
    """The days asked for, or RTE's 400 code for the query."""
    fallback = params.get("fallback_status")
    if fallback is not None and fallback not in ("true", "false"):
        return "F07"
    start_text, end_text = params.get("start_date"), params.get("end_date")
    if (start_text is None) != (end_text is None):
        return "F01"
    if start_text is None or end_text is None:
        return today, today + timedelta(days=2)
    if not TEMPO_DATE.fullmatch(start_text) or not TEMPO_DATE.fullmatch(end_text):
        return "F06"
    start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
    if start >= end:
        return "F02"
    if end - start > timedelta(days=366):
        return "F03"
    if end.astimezone(PARIS).date() > today + timedelta(days=2):
        return "F04"
    if end - start < timedelta(days=1) - timedelta(hours=1):  # a 23-hour day is one day
        return "F05"
    return start.astimezone(PARIS).date(), end.astimezone(PARIS).date()


def _json(status: int, document: object) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(document).encode()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (one that refuses a gzip bomb) is not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as a production server sends: the headers and the body go out as two writes,
    # and with Nagle's algorithm the body then waited for the client's delayed ACK, 40 ms on
    # every answer of a kept-alive connection (4.8 s of the 6.5 s of a two-day service test).
    disable_nagle_algorithm = True
    server_version = "FakeRTE/1.0"

    def log_message(self, format: str, *args: object) -> None:
        return None  # keep test output clean

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        truncate = headers.pop("X-Truncate", None)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if truncate is not None:
            self.wfile.write(body[: int(truncate)])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _serve(self, method: str) -> None:
        fake: FakeRte = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        authorization = self.headers.get("Authorization", "")
        path, _, query = self.path.partition("?")
        with fake._lock:
            fake.arrived.append(path)
        if method == "POST" and path == TOKEN_PATH:
            answer = fake.token(authorization)
        elif method == "GET" and path in (SIGNALS_PATH, SANDBOX_PATH):
            answer = fake.signals(authorization, sandbox=path == SANDBOX_PATH)
        elif method == "GET" and path in (TEMPO_PATH, TEMPO_SANDBOX_PATH):
            answer = fake.tempo_calendars(authorization, path == TEMPO_SANDBOX_PATH, query)
        else:
            answer = _json(404, {"error": "not_found"})
        accept = self.headers.get("Accept", "")
        fake._record(method, path, authorization, answer[0], query, accept)
        # The client may have given up already (the timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(answer[0], dict(answer[1]), answer[2])

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


@contextmanager
def running(**options: object) -> Iterator[FakeRte]:
    with FakeRte(**options) as fake:  # type: ignore[arg-type]
        yield fake
