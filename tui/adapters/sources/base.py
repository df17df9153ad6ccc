"""The protocol every forecast source implements."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tui.core.forecast import Forecast


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh attempt gave.

    ``forecast`` is set when new data arrived; ``error`` is one readable line when the attempt
    failed (the previous forecast stays in force); ``called`` says whether a request reached the
    network (it counts against RTE's quota); ``retry_at`` is the earliest time another call may
    be made, when the quota or a backoff forbids one before then.
    """

    forecast: Forecast | None = None
    error: str | None = None
    called: bool = False
    retry_at: datetime | None = None


class ForecastSource(Protocol):
    kind: str  # "rte", "sandbox", "demo" or "file"

    def load_cached(self, now: datetime) -> Forecast | None:
        """The last good forecast available without any network call (disk cache), if any."""
        ...

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult:
        """Fetch new data if the quota allows; never calls RTE earlier than it may."""
        ...

    def next_refresh(self, now: datetime) -> datetime:
        """When the service should call ``refresh`` again (cadence, quota and backoff)."""
        ...

    async def aclose(self) -> None: ...
