"""The Tempo calendar as a feed: what its data is called, what its events say, its view.

An unknown colour never sheds, so the worst a failing Tempo source can do is leave the
controller running on Ecowatt alone.
"""

from datetime import datetime, timedelta

from tui.core.events import TempoForecastEvent
from tui.core.tempo import (
    TempoCalendar,
    day_start,
    describe_refused,
    describe_today_tomorrow,
    tempo_day,
)
from tui.service.feed import Feed, Said
from tui.service.snapshot import TempoDayView, TempoView

VIEW_DAYS = 7  # days of the calendar the snapshot carries: the timeline's span and a little


class TempoWords:
    what = "tempo"
    name = "Tempo calendar"

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def arrived(
        self,
        data: TempoCalendar,
        previous: TempoCalendar | None,
        now: datetime,
        *,
        ts: datetime,
        cached: bool,
        called: bool,
    ) -> Said:
        known = describe_today_tomorrow(data, now)
        answer = f"Tempo updated: {known}" if called else f"Tempo: {known}"
        cached = cached or not called
        if previous is not None and data.days == previous.days and not cached:
            return Said(None, answer)  # the same days again: nothing to tell
        today, tomorrow = data.today_tomorrow(now)
        event = TempoForecastEvent(
            ts=ts,
            source=self.kind,
            today=today.value if today else None,
            tomorrow=tomorrow.value if tomorrow else None,
            cached=cached,
            message=f"Tempo calendar {'loaded' if cached else 'updated'}: {known}"
            + describe_refused(data),
        )
        return Said(event, answer)

    def answer_failed(self, error: str | None) -> str:
        return f"Tempo: {error or 'no new calendar'}"

    def boundary(self, now: datetime) -> datetime | None:
        """The next 06:00, when the Tempo day in force (the snapshot's "today") changes."""
        return day_start(tempo_day(now) + timedelta(days=1))


def tempo_view(feed: Feed[TempoCalendar], now: datetime) -> TempoView:
    calendar = feed.data
    today = tomorrow = None
    days: tuple[TempoDayView, ...] = ()
    if calendar is not None:
        first, second = calendar.today_tomorrow(now)
        today = first.value if first else None
        tomorrow = second.value if second else None
        days = tuple(
            TempoDayView(item.day.isoformat(), item.colour.value if item.colour else None)
            for item in calendar.days[-VIEW_DAYS:]
        )
    return TempoView(
        source=feed.kind,
        today=today,
        tomorrow=tomorrow,
        days=days,
        fetched=calendar.fetched if calendar else None,
        next_refresh=feed.next_refresh,
        error=feed.error,
    )
