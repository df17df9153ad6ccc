"""The control socket: JSON lines over a Unix socket in the state directory.

Requests are one JSON object per line with an ``op``:
``{"op": "snapshot"}``, ``{"op": "subscribe"}`` (then one update per line until the client
leaves), ``{"op": "force", "channel": 3, "powered": false, "seconds": 3600}`` (or
``"until": ISO``; neither = the configured default), ``{"op": "release", "channel": 3 | "all"}``,
``{"op": "refresh"}``, ``{"op": "history", "start": ISO, "end": ISO}`` (at most 31 days).
Every reply carries ``ok``; a bad request gets ``ok: false`` and an ``error`` line, and the
connection and the service carry on. Numbers and times are bounded by the one validation module
(``tui.core.durations``); a request in flight when the service stops gets a reply saying so.
"""

import asyncio
import contextlib
import errno
import grp
import json
import logging
import math
import os
import resource
import socket
import struct
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tui.core.bounds import MAX_SOCKET_LINE
from tui.core.durations import duration_from_seconds, parse_instant
from tui.core.errors import InputError
from tui.service.containment import CLOSE_GRACE, describe_error
from tui.service.history_view import MAX_VIEW_DAYS
from tui.service.interface import ControllerLink

log = logging.getLogger(__name__)

SOCKET_NAME = "control.sock"
MAX_LINE = MAX_SOCKET_LINE  # a request line; longer is refused and the connection closed
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes, the last one a NUL
# Connections at once (and never more than a quarter of the descriptor limit): beyond it a
# client is refused in one line, except the service's own user, who takes the place of the
# longest-idle connection; the last place is kept for that user.
MAX_CLIENTS = 64
IDLE_TIMEOUT = 60.0  # seconds a connection may wait without sending a request line
SLOW_SUBSCRIBER = 30.0  # seconds a subscriber may leave its socket full before it is cut off
EXHAUSTED_QUIET = 60.0  # seconds without a failed accept before it is said to be over
_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def socket_path(state_dir: Path) -> Path:
    return state_dir / SOCKET_NAME


class SocketUnavailable(InputError):
    """The socket cannot be created here and now (not a configuration mistake): the service
    runs on without it, and says so."""


def socket_problems(path: Path, group: str | None) -> list[str]:
    """What in the configuration would stop the socket being created (for `check` too)."""
    problems = []
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        problems.append(
            f"{path}: too long for a Unix socket (at most {MAX_SOCKET_PATH} bytes); "
            "set a shorter [service] state_dir"
        )
    if group:
        try:
            grp.getgrnam(group)
        except KeyError:
            problems.append(f"[service] socket_group: no group named {group!r} on this machine")
    return problems


def default_max_clients() -> int:
    """MAX_CLIENTS, or a quarter of this process's descriptor limit when that is lower."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return MAX_CLIENTS
    if soft == resource.RLIM_INFINITY:
        return MAX_CLIENTS
    return max(2, min(MAX_CLIENTS, soft // 4))


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    """The user id of the process at the other end of a Unix socket (SO_PEERCRED)."""
    sock = writer.get_extra_info("socket")
    credentials = getattr(socket, "SO_PEERCRED", None)
    if sock is None or credentials is None:
        return None
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, credentials, 12))
    except (OSError, struct.error):
        return None
    return int(uid)


class ControlServer:
    def __init__(
        self,
        controller: ControllerLink,
        path: Path,
        group: str | None = None,
        *,
        max_clients: int | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        slow_subscriber: float = SLOW_SUBSCRIBER,
    ) -> None:
        self.controller = controller
        self.path = path
        self.group = group
        self.max_clients = max_clients if max_clients is not None else default_max_clients()
        self.idle_timeout = idle_timeout
        self.slow_subscriber = slow_subscriber
        self.refused = 0  # connections refused for the cap
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[None]] = set()
        # Connections waiting for a request line, oldest first: the first to give way.
        self._idle: dict[asyncio.Task[None], None] = {}
        self._exhausted: str | None = None  # accept() failing for want of descriptors
        self._exhausted_at = 0.0  # when it last failed (the loop's clock)
        self._quieted: asyncio.AbstractEventLoop | None = None
        self._cut, self._cut_said = 0, -math.inf  # subscribers cut off, and when last said

    async def start(self) -> None:
        problems = socket_problems(self.path, self.group)
        if problems:
            raise InputError(problems)
        self._quiet_exhausted_accepts(asyncio.get_running_loop())
        gid = self._group_id()
        try:
            # We hold the service lock, so a socket file left here is a dead service's.
            self.path.unlink(missing_ok=True)
            # asyncio accepts up to ``backlog`` connections at each wake, before any of them is
            # served (and refused or given a place): kept small, so that a flood holds little
            # more than the cap in descriptors, never the process's limit.
            self._server = await asyncio.start_unix_server(
                self._serve,
                path=str(self.path),
                limit=MAX_LINE,
                backlog=max(4, min(16, self.max_clients // 4)),
            )
            if gid is None:
                os.chmod(self.path, 0o600)
                return
            # The group must also be able to reach the socket inside the state directory.
            os.chown(self.path.parent, -1, gid)
            os.chmod(self.path.parent, 0o750)
            os.chown(self.path, -1, gid)
            os.chmod(self.path, 0o660)
        except OSError as error:
            raise SocketUnavailable(
                f"{self.path}: cannot create the control socket ({error.strerror or error})"
            ) from None

    def _group_id(self) -> int | None:
        if not self.group:
            return None
        try:
            return grp.getgrnam(self.group).gr_gid
        except KeyError:
            raise InputError(
                f"[service] socket_group: no group named {self.group!r} on this machine"
            ) from None

    async def close(self) -> None:
        """Stop accepting; let requests in flight finish (briefly), then end the rest."""
        if self._server is not None:
            self._server.close()
            if self._clients:
                await asyncio.wait(set(self._clients), timeout=CLOSE_GRACE)
            for task in list(self._clients):
                task.cancel()
            if self._clients:
                await asyncio.wait(set(self._clients), timeout=CLOSE_GRACE)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), CLOSE_GRACE)
            self._server = None
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)

    def _quiet_exhausted_accepts(self, loop: asyncio.AbstractEventLoop) -> None:
        """asyncio logs a traceback for every accept() that fails for want of descriptors
        (EMFILE), thousands a minute under a flood: say it once, then again when it is over."""
        if self._quieted is loop:
            return  # once per loop: a start tried again must not stack handlers
        self._quieted = loop
        previous = loop.get_exception_handler()

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            error = context.get("exception")
            if (
                isinstance(error, OSError)
                and error.errno in _EXHAUSTED
                and "accept" in str(context.get("message", ""))
            ):
                self._exhausted_at = loop.time()
                if self._exhausted is None:
                    self._exhausted = error.strerror or str(error)
                    log.warning(
                        "control socket: cannot accept connections (%s); clients wait until "
                        "descriptors are free",
                        self._exhausted,
                    )
                return
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_exception_handler(handler)

    def _admit(self, task: asyncio.Task[None], writer: asyncio.StreamWriter) -> bool:
        """Whether this new connection may stay: under the cap; the service's own user also
        when the others hold every place but the last, or by taking the longest-idle one's."""
        # Over once accept() has not failed for a while (asyncio retries every second).
        quiet = asyncio.get_running_loop().time() - self._exhausted_at > EXHAUSTED_QUIET
        if self._exhausted is not None and quiet:
            log.warning("control socket: accepting connections again")
            self._exhausted = None
        owner = peer_uid(writer) == os.geteuid()
        limit = self.max_clients if owner else self.max_clients - 1
        if len(self._clients) < limit:
            return True
        if owner:
            for idle in self._idle:
                if idle is not task and not idle.done():
                    del self._idle[idle]
                    idle.cancel()  # it closes its connection; this one takes its place
                    return True
        self.refused += 1
        return False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if not self._admit(task, writer):
            with contextlib.suppress(Exception):
                too_many = f"too many connections ({self.max_clients}); try again later"
                writer.write((json.dumps({"ok": False, "error": too_many}) + "\n").encode())
                writer.close()
            return
        self._clients.add(task)
        try:
            while True:
                self._idle[task] = None
                try:
                    line = await asyncio.wait_for(reader.readline(), self.idle_timeout)
                except TimeoutError:
                    break  # idle too long: its place goes to someone with something to ask
                except (ValueError, asyncio.LimitOverrunError):
                    await _send(writer, {"ok": False, "error": "request line too long"})
                    break
                finally:
                    self._idle.pop(task, None)
                if not line:
                    break
                if not line.strip():
                    continue
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise ValueError("expected a JSON object")
                except RecursionError:
                    await _send(
                        writer, {"ok": False, "error": "malformed request: nested too deep"}
                    )
                    continue
                except ValueError as error:
                    await _send(writer, {"ok": False, "error": f"malformed request: {error}"})
                    continue
                if request.get("op") == "subscribe":
                    await self._stream(writer)
                    break
                try:
                    reply = await self._answer(request)
                except asyncio.CancelledError:
                    # The service is stopping under this request: say so rather than hang up.
                    stopping = {"ok": False, "error": "the service is stopping; try again"}
                    with contextlib.suppress(Exception):
                        writer.write((json.dumps(stopping) + "\n").encode())
                    break
                await _send(writer, reply)
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception as error:  # one client's trouble never reaches the others
            log.warning("control client failed: %s", describe_error(error))
        finally:
            self._clients.discard(task)
            self._idle.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(writer.wait_closed(), CLOSE_GRACE)

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        async for update in self.controller.updates():
            message = {"ok": True, "update": update.to_dict()}
            writer.write((json.dumps(message, ensure_ascii=False) + "\n").encode())
            try:
                # A subscriber that does not read is cut off, not buffered for without end.
                await asyncio.wait_for(writer.drain(), self.slow_subscriber)
            except TimeoutError:
                self._cut_off()
                writer.transport.abort()
                return

    def _cut_off(self) -> None:
        """Say the first subscriber cut off, then at most one line a minute with the count."""
        now = asyncio.get_running_loop().time()
        self._cut += 1
        if now - self._cut_said >= EXHAUSTED_QUIET:
            more = f" ({self._cut} since the last word)" if self._cut > 1 else ""
            log.warning(
                "control socket: a subscriber stopped reading for %g s; cut off%s",
                self.slow_subscriber,
                more,
            )
            self._cut, self._cut_said = 0, now

    async def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        reply: dict[str, Any] = {"ok": True}
        if "id" in request:
            reply["id"] = request["id"]
        try:
            if op == "snapshot":
                reply["snapshot"] = (await self.controller.snapshot()).to_dict()
            elif op == "force":
                reply["message"] = await self.controller.force(
                    _channel(request),
                    _powered(request),
                    duration=_seconds(request),
                    until=_until(request),
                    order=_order(request),
                )
            elif op == "release":
                target = request.get("channel")
                reply["message"] = await self.controller.release(
                    None if target == "all" else _channel(request)
                )
            elif op == "refresh":
                reply["message"] = await self.controller.refresh()
            elif op == "history":
                start, end = _window(request)
                reply["history"] = (await self.controller.history_view(start, end)).to_dict()
            else:
                raise InputError(
                    f"op: unknown {op!r}; expected snapshot, subscribe, force, release, refresh, "
                    "history"
                )
        except InputError as error:
            return {**reply, "ok": False, "error": "; ".join(error.problems)}
        except Exception as error:  # a bug answers this request, not the whole connection
            log.error("control request %.40r failed: %s", op, describe_error(error))
            return {**reply, "ok": False, "error": f"internal error: {describe_error(error)}"}
        return reply


async def _send(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    writer.write((json.dumps(message, ensure_ascii=False) + "\n").encode())
    await writer.drain()


def _channel(request: dict[str, Any]) -> int:
    value = request.get("channel")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"channel: expected a channel index, got {value!r}")
    return value


def _order(request: dict[str, Any]) -> str | None:
    """A pilot channel's named order ("eco"); the controller says whether it fits the channel."""
    value = request.get("order")
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 20):
        raise InputError(f'order: expected a pilot order such as "eco", got {value!r:.40}')
    return value


def _powered(request: dict[str, Any]) -> bool:
    value = request.get("powered")
    if not isinstance(value, bool):
        raise InputError(f"powered: expected true or false, got {value!r}")
    return value


def _seconds(request: dict[str, Any]) -> timedelta | None:
    value = request.get("seconds")
    if value is None:
        return None
    try:
        duration = duration_from_seconds(value)
    except ValueError as error:
        raise InputError(str(error)) from None
    if value and not duration:
        # Below a microsecond: refused as too short, never read as 0 = "until released".
        raise InputError(f"seconds: {value!r} is too short for an override (at least 60)")
    return duration


def _until(request: dict[str, Any]) -> datetime | None:
    value = request.get("until")
    return None if value is None else _iso_time(value, "until")


def _iso_time(value: object, key: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as error:
        raise InputError(f"{key}: {error}") from None


def _window(request: dict[str, Any]) -> tuple[datetime, datetime]:
    """``start`` and ``end`` of a history request: ISO times with offset, start before end."""
    start = _iso_time(request.get("start"), "start")
    end = _iso_time(request.get("end"), "end")
    if not start < end <= start + timedelta(days=MAX_VIEW_DAYS):
        raise InputError(f"end: expected after start and at most {MAX_VIEW_DAYS} days later")
    return start, end
