"""The one interface front ends use: in-process (Controller) or attached (RemoteController)."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Protocol

from tui.service.history_view import HistoryView
from tui.service.snapshot import Snapshot, Update


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
    ) -> str:
        """Override a channel; no duration/until = the configured default. Returns a message."""
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
