"""A Tempo source that cannot answer (RTE credentials missing or unreadable) while the meter
stands in for it (``[tempo] fallback = "tic"``): its failure is said once by its feed, and the
meter's colours are used meanwhile. A restart with working credentials brings RTE back."""

from datetime import datetime, timedelta

from tui.adapters.sources.base import RefreshResult
from tui.core.tempo import TempoCalendar

LOOK_AGAIN = timedelta(hours=6)  # nothing changes until a restart; no need to look often


class UnavailableTempoSource:
    def __init__(self, kind: str, problem: str) -> None:
        self.kind = kind
        self.problem = problem

    def __repr__(self) -> str:
        return f"UnavailableTempoSource({self.kind!r})"

    def load_cached(self, now: datetime) -> TempoCalendar | None:
        return None

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[TempoCalendar]:
        return RefreshResult(error=f"{self.problem}; the meter's Tempo colours are used")

    def next_refresh(self, now: datetime) -> datetime:
        return now + LOOK_AGAIN

    async def aclose(self) -> None:
        return None
