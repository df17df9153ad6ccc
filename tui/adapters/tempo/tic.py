"""``[tempo] source = "tic"``: today's and tomorrow's Tempo colour from the meter's own frames
(STGE bits 24-27 in standard mode, PTEC and DEMAIN in historique), for a home without an RTE
account. The colours come with each reading of the ``[meter]`` source (``core.meter``); this
source hands them to the Tempo feed as a calendar of two days: the Tempo day in force and the
next. A meter that says nothing of Tempo (another contract, or no frame yet) gives no calendar:
unknown, which never cuts. The meter publishes tomorrow late (DEMAIN stays ``----`` until about
20:00): RTE's API has it by 10:40, so the TIC is a fallback for Tempo, not a replacement.
"""

from datetime import datetime, timedelta

from tui.adapters.meter.base import MeterSource
from tui.adapters.sources.base import RefreshResult
from tui.core.meter import MeterReading
from tui.core.tempo import TempoCalendar, TempoDay, tempo_day

LOOK_EVERY = timedelta(minutes=1)  # the colours change twice a day at most


def calendar_of(reading: MeterReading, now: datetime) -> TempoCalendar | None:
    if reading.tempo_today is None and reading.tempo_tomorrow is None:
        return None
    # The frame's "today" is the Tempo day in force when the meter sent it (a stale frame's
    # colours stay on their own days). No ``updated``: each frame would make the same days new.
    today = tempo_day(reading.at)
    return TempoCalendar(
        days=(
            TempoDay(today, reading.tempo_today),
            TempoDay(today + timedelta(days=1), reading.tempo_tomorrow),
        ),
        fetched=reading.at,
        source="tic",
    )


class MeterTempoSource:
    kind = "tic"

    def __init__(self, meter: MeterSource) -> None:
        self.meter = meter

    def __repr__(self) -> str:
        return f"MeterTempoSource({self.meter.where!r})"

    def load_cached(self, now: datetime) -> TempoCalendar | None:
        return None  # a colour from before a restart is not the meter's word now

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[TempoCalendar]:
        reading = self.meter.latest
        if reading is None:
            return RefreshResult(error=f"no frame from the meter ({self.meter.where}) yet")
        calendar = calendar_of(reading, now)
        if calendar is None:
            return RefreshResult(
                error=f"the meter ({self.meter.where}) carries no Tempo colour (no Tempo contract?)"
            )
        return RefreshResult(data=calendar)

    def next_refresh(self, now: datetime) -> datetime:
        return now + LOOK_EVERY

    async def aclose(self) -> None:
        return None
