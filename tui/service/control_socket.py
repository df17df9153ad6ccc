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
import grp
import json
import logging
import os
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


class ControlServer:
    def __init__(self, controller: ControllerLink, path: Path, group: str | None = None) -> None:
        self.controller = controller
        self.path = path
        self.group = group
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        problems = socket_problems(self.path, self.group)
        if problems:
            raise InputError(problems)
        gid = self._group_id()
        try:
            # We hold the service lock, so a socket file left here is a dead service's.
            self.path.unlink(missing_ok=True)
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_LINE
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

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    await _send(writer, {"ok": False, "error": "request line too long"})
                    break
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
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(writer.wait_closed(), CLOSE_GRACE)

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        async for update in self.controller.updates():
            await _send(writer, {"ok": True, "update": update.to_dict()})

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
