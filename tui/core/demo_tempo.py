"""A synthetic Tempo calendar to go with the demo forecast (demo mode, the fake RTE).

Pure and deterministic: yesterday is blue, today is red (like the demo forecast's first day,
a strained day) and tomorrow is white, published at 10:30 today as RTE does: before that,
tomorrow is unknown and the views say "not published yet". So a newcomer sees a red day cut
the channels that list "red", and a white day coming for those that list "white".
"""

from datetime import datetime, timedelta

from tui.core.forecast import PARIS
from tui.core.tempo import Colour, TempoCalendar, TempoDay, published_at


def demo_tempo(now: datetime, *, fetched: datetime | None = None) -> TempoCalendar:
    today = now.astimezone(PARIS).date()
    days = [
        TempoDay(today - timedelta(days=1), Colour.BLUE, published_at(today - timedelta(days=1))),
        TempoDay(today, Colour.RED, published_at(today)),
    ]
    tomorrow = today + timedelta(days=1)
    if now >= published_at(tomorrow):
        days.append(TempoDay(tomorrow, Colour.WHITE, published_at(tomorrow)))
    return TempoCalendar(tuple(days), fetched=fetched, source="demo")
