"""The Ecowatt forecast: hourly levels with absolute, timezone-aware times.

All instants inside delestage are UTC-aware datetimes; Europe/Paris is for display only. Python
adds and compares two datetimes that share a zoneinfo as wall-clock times, which is wrong on
daylight-saving days, so nothing here does arithmetic on Paris times.

A forecast is a set of one-hour slots. Hours RTE did not publish are simply absent, and every
query answers ``None`` (unknown) there, never level 0, which in v5 means "low-carbon green".
"""

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from tui.core import i18n
from tui.core.i18n import N_, _

PARIS = ZoneInfo("Europe/Paris")
HOUR = timedelta(hours=1)


class Level(IntEnum):
    LOW_CARBON = 0
    GREEN = 1
    ORANGE = 2
    RED = 3

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def letter(self) -> str:
        return _LETTERS[self]

    @property
    def words(self) -> str:
        """The label in the language in use (``label`` stays the machine word)."""
        return _(_WORDS[self])


_LABELS = {
    Level.LOW_CARBON: "low-carbon",
    Level.GREEN: "green",
    Level.ORANGE: "orange",
    Level.RED: "red",
}
_WORDS = {
    Level.LOW_CARBON: N_("low-carbon"),
    Level.GREEN: N_("green"),
    Level.ORANGE: N_("orange"),
    Level.RED: N_("red"),
}
_LETTERS = {Level.LOW_CARBON: "L", Level.GREEN: "G", Level.ORANGE: "O", Level.RED: "R"}


def paris_midnight(day: date) -> datetime:
    """The instant (UTC) of a day's midnight in France, which always exists (DST moves at 2-3h)."""
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)


def next_paris_midnight(now: datetime) -> datetime:
    """The first Paris midnight strictly after ``now``, as a UTC instant."""
    return paris_midnight(now.astimezone(PARIS).date() + timedelta(days=1))


@lru_cache(maxsize=4096)  # a plan words the same few instants at each of its ~100 steps
def wall_time(when: datetime) -> str:
    """``"10:32"`` in Paris time (``"10:32:05"`` off the minute); an hour the autumn change
    repeats says which one: ``"02:30 CEST"`` (the first), ``"02:30 CET"`` (the second)."""
    local = when.astimezone(PARIS)
    text = f"{local:%H:%M}" if not (local.second or local.microsecond) else f"{local:%H:%M:%S}"
    other = local.replace(fold=1 - local.fold)
    if other.utcoffset() != local.utcoffset():
        text = f"{text} {local.tzname()}"
    return text


def day_label(day: date, today: date | None = None) -> str:
    """The one way a date is written: ``"Fri 27 Nov"``, with the year when not this year."""
    text = i18n.short_date(day)
    if today is not None and day.year != today.year:
        text = f"{text} {day.year}"
    return text


def clock_time(when: datetime, now: datetime | None = None) -> str:
    """``"10:32"`` in Paris time (``"10:32:05"`` off the minute, ``"02:30 CET"`` in a repeated
    autumn hour), with the date when not today: ``"Wed 02 Dec 10:32"``."""
    text = wall_time(when)
    if now is not None:
        local = when.astimezone(PARIS).date()
        today = now.astimezone(PARIS).date()
        if local != today:
            text = f"{day_label(local, today)} {text}"
    return text


def reach_words(until: datetime | None, now: datetime | None = None) -> str:
    """How far a forecast or calendar reaches: ``" until Fri 06 Dec 00:00"`` (Paris time, the
    year too when ``now`` is given and it is another year's), ``""`` when it reaches nowhere.
    The one way every message says it."""
    if until is None:
        return ""
    local = until.astimezone(PARIS)
    today = now.astimezone(PARIS).date() if now is not None else None
    return _(" until {day} {time}").format(
        day=day_label(local.date(), today), time=wall_time(until)
    )


def span_text(start: datetime, end: datetime) -> str:
    """``"18:00-20:00"``; an end at the next midnight is ``24:00``, and a span of a day or
    more names the day it ends: ``"00:00-Thu 03 Dec 00:00"``."""
    first = start.astimezone(PARIS)
    last = end.astimezone(PARIS)
    next_midnight = last.date() == first.date() + timedelta(days=1) and last.hour == 0
    if next_midnight and last.minute == 0 and end - start < timedelta(days=1, hours=2):
        return f"{wall_time(start)}-24:00"
    if end - start >= timedelta(hours=24):
        return f"{wall_time(start)}-{day_label(last.date())} {wall_time(end)}"
    return f"{wall_time(start)}-{wall_time(end)}"


def paris_iso(when: datetime) -> str:
    """ISO 8601 in Europe/Paris with its offset: ``2026-12-01T07:45:00+01:00``."""
    return when.astimezone(PARIS).isoformat()


@dataclass(frozen=True)
class Slot:
    start: datetime
    level: Level

    @property
    def end(self) -> datetime:
        return self.start + HOUR


@dataclass(frozen=True)
class Period:
    """A run of consecutive hours, with the highest level among them; ``hours`` holds each
    hour's level when they differ (a red core inside an orange run)."""

    start: datetime
    end: datetime
    level: Level
    hours: tuple[Slot, ...] = field(default=(), compare=False)

    def describe(self) -> str:
        """Each level over its own span, in Paris time: ``"red 18:00-20:00"``,
        ``"orange 08:00-13:00, red 10:00-12:00"``."""
        # Every channel's reason asks for it at every plan step: word it once per period.
        cache = f"_text_{i18n.language()}"
        text = self.__dict__.get(cache)
        if text is None:
            text = self._describe()
            object.__setattr__(self, cache, text)
        return text

    def _describe(self) -> str:
        levels = sorted({slot.level for slot in self.hours}) or [self.level]
        parts = [f"{levels[0].words} {span_text(self.start, self.end)}"]
        for level in levels[1:]:
            spans: list[tuple[datetime, datetime]] = []
            for slot in self.hours:
                if slot.level < level:
                    continue
                if spans and spans[-1][1] == slot.start:
                    spans[-1] = (spans[-1][0], slot.end)
                else:
                    spans.append((slot.start, slot.end))
            parts.append(f"{level.words} " + ", ".join(span_text(a, b) for a, b in spans))
        return ", ".join(parts)


@dataclass(frozen=True)
class Day:
    """What RTE says about one day as a whole (display only: schedule from the hours)."""

    jour: datetime
    dvalue: int | None
    message: str


@dataclass(frozen=True)
class Forecast:
    slots: tuple[Slot, ...]
    generated: datetime | None = None
    fetched: datetime | None = None
    source: str = ""
    days: tuple[Day, ...] = ()
    _starts: tuple[datetime, ...] = field(init=False, repr=False, compare=False)
    # Runs of strained hours already grown, by (first slot's position, minimum level): the
    # forecast never changes, and the policy asks for the same runs at every step.
    _runs: dict[tuple[int, Level], "Period"] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        utc = (Slot(slot.start.astimezone(UTC), slot.level) for slot in self.slots)
        ordered = tuple(sorted(utc, key=lambda slot: slot.start))
        object.__setattr__(self, "slots", ordered)
        object.__setattr__(self, "_starts", tuple(slot.start for slot in ordered))

    # -- queries ---------------------------------------------------------------------------

    def slot_at(self, when: datetime) -> Slot | None:
        position = bisect.bisect_right(self._starts, when) - 1
        if position >= 0 and when < self.slots[position].end:
            return self.slots[position]
        return None

    def level_at(self, when: datetime) -> Level | None:
        slot = self.slot_at(when)
        return slot.level if slot else None

    @property
    def start(self) -> datetime | None:
        return self.slots[0].start if self.slots else None

    @property
    def until(self) -> datetime | None:
        """How far ahead the data reaches: the end of the last known hour."""
        return self.slots[-1].end if self.slots else None

    def age(self, now: datetime) -> timedelta | None:
        return now - self.fetched if self.fetched else None

    def boundaries(self, after: datetime, before: datetime | None = None) -> list[datetime]:
        """Every instant strictly after ``after`` where the known level may change."""
        times: set[datetime] = set()
        for slot in self.slots:
            for edge in (slot.start, slot.end):
                if edge > after and (before is None or edge <= before):
                    times.add(edge)
        return sorted(times)

    def next_change(self, after: datetime) -> datetime | None:
        """The first instant after ``after`` where the level (or its being known) changes."""
        current = self.level_at(after)
        # Slots are sorted and never overlap, so their edges come in time order from the slot
        # holding ``after``: no need to gather and sort every edge of four days at each call
        # (the plan asks this at every step).
        first = max(bisect.bisect_right(self._starts, after) - 1, 0)
        for slot in self.slots[first:]:
            for edge in (slot.start, slot.end):
                if edge > after and self.level_at(edge) != current:
                    return edge
        return None

    def max_level(self, start: datetime, end: datetime) -> Level | None:
        """The highest known level over [start, end]; None when no hour there is known."""
        first = max(bisect.bisect_right(self._starts, start) - 1, 0)
        best: Level | None = None
        for slot in self.slots[first:]:
            if slot.start > end:
                break
            if slot.end > start and (best is None or slot.level > best):
                best = slot.level
        return best

    def first_at_or_above(self, minimum: Level, start: datetime, end: datetime) -> Slot | None:
        """The earliest hour overlapping [start, end] whose level is at least ``minimum``."""
        first = max(bisect.bisect_right(self._starts, start) - 1, 0)
        for slot in self.slots[first:]:
            if slot.start > end:
                break
            if slot.end > start and slot.level >= minimum:
                return slot
        return None

    def period_at_or_above(self, minimum: Level, when: datetime) -> Period | None:
        """The run of consecutive hours at ``minimum`` or above that contains ``when``."""
        slot = self.slot_at(when)
        if slot is None or slot.level < minimum:
            return None
        return self._grow(self._starts.index(slot.start), minimum)

    def next_strained(self, after: datetime, minimum: Level = Level.ORANGE) -> Period | None:
        """The current or next run of hours at ``minimum`` or above ending after ``after``."""
        # Sorted, non-overlapping slots: none before the one holding ``after`` ends after it.
        first = max(bisect.bisect_right(self._starts, after) - 1, 0)
        for position in range(first, len(self.slots)):
            slot = self.slots[position]
            if slot.end > after and slot.level >= minimum:
                return self._grow(position, minimum)
        return None

    def _grow(self, position: int, minimum: Level) -> Period:
        low = position
        while low > 0 and self._joined(low - 1, minimum):
            low -= 1
        run = self._runs.get((low, minimum))
        if run is None:
            run = self._runs[(low, minimum)] = self._grow_from(low, minimum)
        return run

    def _grow_from(self, position: int, minimum: Level) -> Period:
        low = high = position
        while low > 0 and self._joined(low - 1, minimum):
            low -= 1
        while high + 1 < len(self.slots) and self._joined(high, minimum, forward=True):
            high += 1
        hours = self.slots[low : high + 1]
        level = max(slot.level for slot in hours)
        return Period(hours[0].start, hours[-1].end, level, hours)

    def _joined(self, position: int, minimum: Level, forward: bool = False) -> bool:
        """Whether slot ``position`` and its neighbour are contiguous and both strained."""
        first, second = self.slots[position], self.slots[position + 1]
        if forward:
            return first.end == second.start and second.level >= minimum
        return first.end == second.start and first.level >= minimum


def strain_now_and_next(
    forecast: Forecast, now: datetime, minimum: Level = Level.ORANGE
) -> tuple[Period | None, Period | None]:
    """The run of strained hours in force at ``now`` (None: none) and the next one starting
    after it (None: none ahead): "next strain" never names a strain that is under way."""
    first = forecast.next_strained(now, minimum)
    if first is None:
        return None, None
    if first.start > now:
        return None, first
    return first, forecast.next_strained(first.end, minimum)


def describe_rest(period: Period, now: datetime) -> str:
    """What is left of a strain in force, each level with its end: ``"orange until 13:00"``,
    ``"orange until 13:00 (red until 12:00)"``, ``"orange until 13:00 (red 10:00-12:00)"``."""
    hours = period.hours or (Slot(period.start, period.level),)
    levels = sorted({slot.level for slot in hours})
    text = _("{level} until {time}").format(level=levels[0].words, time=clock_time(period.end, now))
    parts: list[str] = []
    for level in levels[1:]:
        spans: list[tuple[datetime, datetime]] = []
        for slot in hours:
            if slot.level < level or slot.end <= now:
                continue
            if spans and spans[-1][1] == slot.start:
                spans[-1] = (spans[-1][0], slot.end)
            else:
                spans.append((slot.start, slot.end))
        for start, end in spans:
            words = (
                _("until {time}").format(time=clock_time(end, now))
                if start <= now
                else span_text(start, end)
            )
            parts.append(f"{level.words} {words}")
    return f"{text} ({', '.join(parts)})" if parts else text
