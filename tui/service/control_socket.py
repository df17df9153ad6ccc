"""The control socket: JSON lines over a Unix socket in the state directory.

Requests are one JSON object per line with an ``op``:
``{"op": "snapshot"}``, ``{"op": "subscribe"}`` (then one update per line until the client
leaves), ``{"op": "force", "channel": 3, "powered": false, "seconds": 3600}`` (or
``"until": ISO``; neither = the configured default), ``{"op": "release", "channel": 3 | "all"}``,
``{"op": "refresh"}``, ``{"op": "history", "start": ISO, "end": ISO}`` (at most 31 days).
Every reply carries ``ok``; a bad request gets ``ok: false`` and an
``error`` line, and the connection and the service carry on.
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

from tui.core.errors import InputError
from tui.service.controller import Controller
from tui.service.history_view import MAX_VIEW_DAYS

log = logging.getLogger(__name__)

SOCKET_NAME = "control.sock"
MAX_LINE = 64 * 1024
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes, the last one a NUL


def socket_path(state_dir: Path) -> Path:
    return state_dir / SOCKET_NAME


class ControlServer:
    def __init__(self, controller: Controller, path: Path, group: str | None = None) -> None:
        self.controller = controller
        self.path = path
        self.group = group
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if len(os.fsencode(self.path)) > MAX_SOCKET_PATH:
            raise InputError(
                f"{self.path}: too long for a Unix socket (at most {MAX_SOCKET_PATH} bytes); "
                "set a shorter [service] state_dir"
            )
        gid = self._group_id()
        # We hold the service lock, so a socket file left here is a dead service's.
        self.path.unlink(missing_ok=True)
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_LINE
            )
        except OSError as error:
            raise InputError(
                f"{self.path}: cannot create the control socket ({error.strerror or error})"
            ) from None
        if gid is None:
            os.chmod(self.path, 0o600)
            return
        # The group must also be able to reach the socket inside the state directory.
        os.chown(self.path.parent, -1, gid)
        os.chmod(self.path.parent, 0o750)
        os.chown(self.path, -1, gid)
        os.chmod(self.path, 0o660)

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
        if self._server is not None:
            self._server.close()
            for task in list(self._clients):
                task.cancel()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
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
                except ValueError as error:
                    await _send(writer, {"ok": False, "error": f"malformed request: {error}"})
                    continue
                if request.get("op") == "subscribe":
                    await self._stream(writer)
                    break
                await _send(writer, await self._answer(request))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._clients.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

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
            log.exception("control request %r failed", op)
            return {**reply, "ok": False, "error": f"internal error: {error!r}"}
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
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f"seconds: expected a duration in seconds ≥ 0, got {value!r}")
    return timedelta(seconds=value)


def _until(request: dict[str, Any]) -> datetime | None:
    value = request.get("until")
    return None if value is None else _iso_time(value, "until")


def _iso_time(value: object, key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InputError(f"{key}: expected an ISO 8601 time with offset, got {value!r}")
    return moment


def _window(request: dict[str, Any]) -> tuple[datetime, datetime]:
    """``start`` and ``end`` of a history request: ISO times with offset, start before end."""
    start = _iso_time(request.get("start"), "start")
    end = _iso_time(request.get("end"), "end")
    if not start < end <= start + timedelta(days=MAX_VIEW_DAYS):
        raise InputError(f"end: expected after start and at most {MAX_VIEW_DAYS} days later")
    return start, end
