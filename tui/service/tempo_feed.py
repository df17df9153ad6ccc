"""The Tempo calendar as a feed: what its data is called, what its events say, its view.

An unknown colour never sheds, so the worst a failing Tempo source can do is leave the
controller running on Ecowatt alone.
"""

from datetime import datetime, timedelta

from tui.core.events import TempoForecastEvent
from tui.core.i18n import _
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
        answer = (
            _("Tempo updated: {days}").format(days=known)
            if called
            else _("Tempo: {days}").format(days=known)
        )
        # The same days again, from a call or from a source that needs none (the meter's
        # frames, looked at every minute): nothing to tell. Read from disk at start: said.
        if previous is not None and data.days == previous.days and not cached:
            return Said(None, answer)
        cached = cached or not called
        today, tomorrow = data.today_tomorrow(now)
        event = TempoForecastEvent(
            ts=ts,
            source=self.kind,
            today=today.value if today else None,
            tomorrow=tomorrow.value if tomorrow else None,
            cached=cached,
            message=(
                _("Tempo calendar loaded: {days}")
                if cached
                else _("Tempo calendar updated: {days}")
            ).format(days=known)
            + describe_refused(data),
        )
        return Said(event, answer)

    def answer_failed(self, error: str | None) -> str:
        return _("Tempo: {days}").format(days=error or _("no new calendar"))

    def boundary(self, now: datetime) -> datetime | None:
        """The next 06:00, when the Tempo day in force (the snapshot's "today") changes."""
        return day_start(tempo_day(now) + timedelta(days=1))


def tempo_view(
    feed: Feed[TempoCalendar],
    now: datetime,
    calendar: TempoCalendar | None = None,
    fallback: Feed[TempoCalendar] | None = None,
) -> TempoView:
    """The snapshot's Tempo: ``calendar`` (the merged one with a ``fallback`` feed, else the
    feed's own), each colour with the source that gave it."""
    if calendar is None and fallback is None:
        calendar = feed.data
    merged = fallback is not None
    today = tomorrow = today_source = tomorrow_source = None
    days: tuple[TempoDayView, ...] = ()
    if calendar is not None:
        first, second = calendar.today_tomorrow(now)
        today = first.value if first else None
        tomorrow = second.value if second else None
        day = tempo_day(now)
        today_source = _kind(calendar.source_of(day), feed.kind, merged)
        tomorrow_source = _kind(calendar.source_of(day + timedelta(days=1)), feed.kind, merged)
        days = tuple(
            TempoDayView(
                item.day.isoformat(),
                item.colour.value if item.colour else None,
                _kind(calendar.source_of(item.day), feed.kind, merged),
            )
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
        today_source=today_source,
        tomorrow_source=tomorrow_source,
        fallback=fallback.kind if fallback is not None else None,
        fallback_error=fallback.error if fallback is not None else None,
    )


def _kind(given: str | None, feed_kind: str, merged: bool) -> str | None:
    """The source of a known colour: the day's own in a merged calendar, else the feed's;
    None for no colour."""
    if given is None:
        return None
    return (given or feed_kind) if merged else feed_kind
