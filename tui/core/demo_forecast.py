"""A synthetic four-day forecast that looks like a strained winter week (demo mode).

Pure and deterministic: the same date always gives the same forecast, so a demo can be replayed
and tested. Day 0 is always a red day, so every level (and every relay reaction) shows up on the
first screen: low-carbon nights, green mornings, orange and red in RTE's two windows (08-13 h and
18-20 h), low-carbon afternoons on some days. The days after it are an orange day, a calm day
and another orange day; the exact hours vary with the date.
"""

import random
from datetime import date, datetime, timedelta

from tui.core.forecast import HOUR, PARIS, Forecast, Level, Slot, paris_midnight
from tui.core.signals import forecast_to_body, parse_signals

DEMO_DAYS = 4

_L, _G, _O, _R = Level.LOW_CARBON, Level.GREEN, Level.ORANGE, Level.RED


def _day_profile(kind: str, rng: random.Random) -> list[Level]:
    """The level of each local hour 0..23 of one day."""
    hours = [_G] * 24
    for hour in (0, 1, 2, 3, 4, 5, 23):
        hours[hour] = _L
    if kind == "calm":
        hours[6] = _L
        for hour in range(13, 17):
            hours[hour] = _L
        return hours
    if rng.random() < 0.5:
        for hour in range(14, 17):
            hours[hour] = _L
    start = 8 if kind == "red" else rng.choice((8, 9))
    end = 13 if kind == "red" else rng.choice((12, 13))
    for hour in range(start, end):
        hours[hour] = _O
    hours[18] = hours[19] = _O
    if kind == "red":
        # RTE's targeted cuts last at most two hours in a row.
        core = rng.choice((9, 10))
        hours[core] = hours[core + 1] = _R
        hours[rng.choice((18, 19))] = _R
    return hours


_KINDS = ("red", "orange", "calm", "orange")


def demo_forecast(day: date, *, fetched: datetime | None = None) -> Forecast:
    """Four days from the Paris midnight of ``day``, generated the evening before at 20:00."""
    rng = random.Random(day.toordinal())
    slots: list[Slot] = []
    for offset, kind in enumerate(_KINDS[:DEMO_DAYS]):
        current = day + timedelta(days=offset)
        profile = _day_profile(kind, rng)
        start, end = paris_midnight(current), paris_midnight(current + timedelta(days=1))
        # Walk in UTC so 23- and 25-hour days get 23 and 25 slots; the repeated autumn hour
        # takes the level of its wall-clock hour twice.
        moment = start
        while moment < end:
            slots.append(Slot(moment, profile[moment.astimezone(PARIS).hour]))
            moment += HOUR
    eve = day - timedelta(days=1)
    generated = datetime(eve.year, eve.month, eve.day, 20, tzinfo=PARIS)
    synthetic = Forecast(slots=tuple(slots), generated=generated)
    # Through a real body, so the demo carries the same day messages a live forecast does.
    return parse_signals(forecast_to_body(synthetic), fetched=fetched, source="demo")
