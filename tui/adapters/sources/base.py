"""The protocol every source implements: ``Source[T]``, where T is what it gives.

Ecowatt sources give a ``Forecast`` (``ForecastSource``), Tempo sources a ``TempoCalendar``
(``TempoCalendarSource``); a power meter would be a third ``Source[...]``. The service's feeds
only use this protocol, never a concrete source.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from tui.core.forecast import Forecast
from tui.core.tempo import TempoCalendar

T = TypeVar("T")


class Fetched(Protocol):
    """What is known of any source's data: when it was fetched (None: unknown)."""

    @property
    def fetched(self) -> datetime | None: ...


@dataclass(frozen=True)
class RefreshResult(Generic[T]):
    """What one refresh attempt gave.

    ``data`` is set when new data arrived; ``error`` is one readable line when the attempt
    failed (the previous data stays in force); ``called`` says whether a request reached the
    network (it counts against RTE's quota); ``retry_at`` is the earliest time another call may
    be made, when the quota or a backoff forbids one before then.
    """

    data: T | None = None
    error: str | None = None
    called: bool = False
    retry_at: datetime | None = None


class Source(Protocol[T]):
    @property
    def kind(self) -> str:
        """ "rte", "sandbox", "demo" or "file"."""
        ...

    def load_cached(self, now: datetime) -> T | None:
        """The last good data available without any network call (disk cache), if any."""
        ...

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[T]:
        """Fetch new data if the quota allows; never calls RTE earlier than it may."""
        ...

    def next_refresh(self, now: datetime) -> datetime:
        """When the service should call ``refresh`` again (cadence, quota and backoff)."""
        ...

    async def aclose(self) -> None: ...


# The two sources the service has today, named for what they give.
ForecastSource = Source[Forecast]
TempoCalendarSource = Source[TempoCalendar]
