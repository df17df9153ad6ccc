"""The interfaces of the service layer.

``ControllerLink`` is what every front end uses: in-process (``Controller``) or attached
(``RemoteController``). ``ServiceHost`` is what a host that runs the controller needs beyond it.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from tui.adapters.clock import Clock
from tui.core.config import Config
from tui.core.events import Event
from tui.service.history_view import HistoryView
from tui.service.snapshot import MqttView, Snapshot, Update


class ControllerLink(Protocol):
    description: str  # "in-process" or "attached to PID 1234"

    async def snapshot(self) -> Snapshot: ...

    def updates(self) -> AsyncIterator[Update]:
        """The current state, with the recent events (history) first, then every change."""
        ...

    async def force(
        self,
        channel: int,
        powered: bool,
        *,
        duration: timedelta | None = None,
        until: datetime | None = None,
        order: str | None = None,
    ) -> str:
        """Override a channel; no duration/until = the configured default; ``order``: a
        pilot-wire channel's named order ("eco", core/pilot.py). Returns a message."""
        ...

    async def release(self, channel: int | None) -> str:
        """Back to automatic: one channel, or all of them with None."""
        ...

    async def refresh(self) -> str:
        """Ask for a forecast refresh within the quota; says what happened or when it can."""
        ...

    async def history_view(self, start: datetime, end: datetime) -> HistoryView:
        """Each channel over [start, end): as recorded before now, as planned after, with
        today's and this winter's totals."""
        ...

    async def close(self) -> None: ...


class ServiceHost(ControllerLink, Protocol):
    """What a host runs a controller with, beyond the front ends' link: the headless service,
    the in-process UI's service, the MQTT front end, the control socket and the history feed.
    Implemented by ``Controller``; nothing reaches further into it."""

    config: Config
    clock: Clock
    state_dir: Path
    pid: int
    started: asyncio.Event

    @property
    def held(self) -> bool: ...

    @property
    def stopping(self) -> bool: ...

    async def run(self, until: datetime | None = None) -> None: ...

    def acquire(self) -> None:
        """Take the state directory; raises AlreadyRunning naming the PID holding it."""
        ...

    def stop(self) -> None: ...

    def add_listener(self, listener: Callable[[Event], None], name: str = ...) -> None:
        """Every event as it is logged; a listener that raises is contained."""
        ...

    def log_error(self, what: str, message: str) -> None: ...

    def report_mqtt(self, view: MqttView | None) -> None: ...

    def reload(self, config: Config) -> str | None:
        """Apply a new configuration live; why not, or None (then said as a `reload` event)."""
        ...
