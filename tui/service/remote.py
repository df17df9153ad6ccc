"""A ControllerLink over the control socket: the TUI and the CLI attached to a running service."""

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tui.core.errors import InputError
from tui.core.i18n import _, number_text
from tui.service.control_socket import MAX_LINE, socket_path
from tui.service.history_view import HistoryView
from tui.service.snapshot import Snapshot, Update

CONNECT_TIMEOUT = 2.0
# How long a command waits for the service's answer (`--timeout`): a stopped or wedged service
# must not hang the caller.
DEFAULT_TIMEOUT = 5.0


class ServiceUnavailable(Exception):
    """No service answers on the control socket."""


class ServiceUnresponsive(ServiceUnavailable):
    """A service holds the socket but does not answer in time (stopped, wedged)."""


class ServiceForbidden(ServiceUnavailable):
    """A service runs, but this user may not use its control socket."""


async def _connect(path: Path) -> socket.socket:
    """A connected Unix socket. A listener whose queue is full (a flood of connections it has
    not accepted yet) answers a non-blocking connect with EAGAIN, which asyncio takes for a
    connection under way and hands back unconnected: wait and try again instead (bounded by
    the caller's timeout)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        while True:
            try:
                sock.connect(str(path))
                return sock
            except BlockingIOError:
                await asyncio.sleep(0.02)
    except BaseException:
        sock.close()
        raise


class RemoteController:
    def __init__(
        self, path: Path, pid: int | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.description = f"attached to PID {pid}" if pid else "attached"

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            sock = await asyncio.wait_for(_connect(self.path), min(CONNECT_TIMEOUT, self.timeout))
            return await asyncio.open_unix_connection(sock=sock, limit=16 * MAX_LINE)
        except PermissionError:
            raise ServiceForbidden(
                f"{self.path}: "
                + _(
                    "permission denied: a delestage service runs as another user; run as that "
                    "user, or set [service] socket_group to a group you are in"
                )
            ) from None
        except (FileNotFoundError, ConnectionRefusedError):
            raise ServiceUnavailable(
                _("no delestage service is running (nothing answers on {path})").format(
                    path=self.path
                )
            ) from None
        except (OSError, TimeoutError) as error:
            raise ServiceUnavailable(
                _("no delestage service answers on {path} ({error})").format(
                    path=self.path, error=error.__class__.__name__
                )
            ) from None

    async def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            line = await asyncio.wait_for(self._exchange(request), self.timeout)
        except TimeoutError:
            raise ServiceUnresponsive(
                _(
                    "the delestage service on {path} did not answer within {seconds} s "
                    "(stopped or overloaded?); try again, or raise --timeout"
                ).format(path=self.path, seconds=number_text(f"{self.timeout:g}"))
            ) from None
        except (ConnectionError, ValueError, asyncio.LimitOverrunError) as error:
            raise ServiceUnavailable(
                _("the service on {path} dropped the connection ({error})").format(
                    path=self.path, error=error.__class__.__name__
                )
            ) from None
        if not line:
            raise ServiceUnavailable(
                _("the service on {path} closed the connection").format(path=self.path)
            )
        try:
            reply: dict[str, Any] = json.loads(line)
        except (ValueError, RecursionError):
            raise ServiceUnavailable(
                _("the service on {path} answered garbage").format(path=self.path)
            ) from None
        if not isinstance(reply, dict):
            raise ServiceUnavailable(
                _("the service on {path} answered garbage").format(path=self.path)
            )
        if not reply.get("ok"):
            raise InputError(str(reply.get("error", "request refused")))
        return reply

    async def _exchange(self, request: dict[str, Any]) -> bytes:
        reader, writer = await self._open()
        try:
            writer.write((json.dumps(request) + "\n").encode())
            await writer.drain()
            return await reader.readline()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def snapshot(self) -> Snapshot:
        return Snapshot.from_dict((await self._call({"op": "snapshot"}))["snapshot"])

    async def updates(self) -> AsyncIterator[Update]:
        reader, writer = await self._open()
        try:
            writer.write(b'{"op": "subscribe"}\n')
            await writer.drain()
            while line := await reader.readline():
                yield Update.from_dict(json.loads(line)["update"])
        finally:
            writer.close()
        raise ServiceUnavailable("the service stopped")

    async def force(
        self,
        channel: int,
        powered: bool,
        *,
        duration: timedelta | None = None,
        until: datetime | None = None,
        order: str | None = None,
    ) -> str:
        request: dict[str, Any] = {"op": "force", "channel": channel, "powered": powered}
        if order is not None:
            request["order"] = order
        if duration is not None:
            request["seconds"] = duration.total_seconds()
        if until is not None:
            request["until"] = until.isoformat()
        return str((await self._call(request))["message"])

    async def release(self, channel: int | None) -> str:
        target: int | str = "all" if channel is None else channel
        return str((await self._call({"op": "release", "channel": target}))["message"])

    async def refresh(self) -> str:
        return str((await self._call({"op": "refresh"}))["message"])

    async def history_view(self, start: datetime, end: datetime) -> HistoryView:
        request = {"op": "history", "start": start.isoformat(), "end": end.isoformat()}
        return HistoryView.from_dict((await self._call(request))["history"])

    async def close(self) -> None:
        """Leaving never stops the service."""


async def connect(state_dir: Path, timeout: float = DEFAULT_TIMEOUT) -> RemoteController | None:
    """A link to the service running on this state directory, or None when none answers.

    Raises ServiceForbidden when one runs but refuses this user: starting a second controller
    then would only fight it for the board.
    """
    path = socket_path(state_dir)
    try:
        path.stat()
    except PermissionError:
        raise ServiceForbidden(
            f"{state_dir}: permission denied: the state directory belongs to another user; "
            "run as that user, or set [service] socket_group to a group you are in"
        ) from None
    except OSError:
        return None
    probe = RemoteController(path, timeout=timeout)
    try:
        snapshot = await probe.snapshot()
    except (ServiceForbidden, ServiceUnresponsive):
        raise  # a service is there: say so, never race it with a second controller
    except ServiceUnavailable:
        return None
    except (InputError, ValueError, KeyError, TypeError):
        return None
    return RemoteController(path, snapshot.pid, timeout)
