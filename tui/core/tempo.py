"""Tempo: the colour of each Tempo day, and the tariff's day arithmetic.

A Tempo day D runs from D 06:00 to D+1 06:00 in Paris; its peak hours (heures pleines) are
06:00-22:00 on D, its off-peak hours 22:00 to 06:00 the next morning. So 00:00-06:00 on a
calendar day still belongs to the previous Tempo day. 06:00 and 22:00 exist exactly once on
every Paris day (clocks change between 02:00 and 03:00), so these edges are plain local times;
everything else is done on UTC instants, which stays right on 23- and 25-hour days.

A day RTE has not published (or published without a ``value``) is unknown: ``None``, never
blue. Pure: no clock, no I/O.
"""

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from tui.core import i18n
from tui.core.forecast import PARIS
from tui.core.i18n import N_, _, ngettext

DAY_START_HOUR = 6  # a Tempo day and its peak hours start at 06:00
PEAK_END_HOUR = 22  # peak hours end at 22:00
PUBLICATION_HOUR = (10, 30)  # tomorrow's colour is published at 10:30 the day before


class Colour(StrEnum):
    BLUE = "blue"
    WHITE = "white"
    RED = "red"

    @property
    def letter(self) -> str:
        return self.value[0].upper()

    @property
    def words(self) -> str:
        """The colour in the language in use (``value`` stays the machine word)."""
        return _(_COLOUR_WORDS[self])


_COLOUR_WORDS = {Colour.BLUE: N_("blue"), Colour.WHITE: N_("white"), Colour.RED: N_("red")}


def paris_at(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of ``hour:minute`` on a Paris calendar day (never inside a DST gap)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def tempo_day(when: datetime) -> date:
    """The Tempo day in force at ``when``: before 06:00 it is still the previous day's."""
    local = when.astimezone(PARIS)
    if local.hour < DAY_START_HOUR:
        return local.date() - timedelta(days=1)
    return local.date()


def day_start(day: date) -> datetime:
    """When Tempo day ``day`` begins, and its peak hours with it: ``day`` 06:00."""
    return paris_at(day, DAY_START_HOUR)


def peak_end(day: date) -> datetime:
    """When the peak hours of Tempo day ``day`` end: ``day`` 22:00."""
    return paris_at(day, PEAK_END_HOUR)


def day_end(day: date) -> datetime:
    """When Tempo day ``day`` ends: the next day at 06:00."""
    return day_start(day + timedelta(days=1))


def in_peak(when: datetime) -> bool:
    """Whether ``when`` falls in peak hours (06:00-22:00 Paris)."""
    return DAY_START_HOUR <= when.astimezone(PARIS).hour < PEAK_END_HOUR


def published_at(day: date) -> datetime:
    """When RTE normally publishes the colour of ``day``: 10:30 the day before."""
    return paris_at(day - timedelta(days=1), *PUBLICATION_HOUR)


@dataclass(frozen=True)
class TempoDay:
    day: date  # the Paris calendar date RTE gives; its colour applies from 06:00 that day
    colour: Colour | None  # None: published without a value, unknown (never blue)
    updated: datetime | None = None  # RTE's updated_date, display only
    # Who gave this day's colour ("rte", "tic"...) when a calendar merges two sources; "":
    # the calendar's own ``source``.
    source: str = ""


@dataclass(frozen=True)
class Peak:
    """The peak hours of one Tempo day whose colour is known."""

    day: date
    colour: Colour

    @property
    def start(self) -> datetime:
        return day_start(self.day)

    @property
    def end(self) -> datetime:
        return peak_end(self.day)

    def describe(self) -> str:
        """``"Tempo red, peak 06:00-22:00"``."""
        start = self.start.astimezone(PARIS)
        end = self.end.astimezone(PARIS)
        return _("Tempo {colour}, peak {start}-{end}").format(
            colour=self.colour.words, start=f"{start:%H:%M}", end=f"{end:%H:%M}"
        )


@dataclass(frozen=True)
class TempoCalendar:
    """What RTE says about each Tempo day it has published, by date, oldest first."""

    days: tuple[TempoDay, ...] = ()
    fetched: datetime | None = None
    source: str = ""
    # Days the body gave that could not be trusted, each one line naming its field: left out
    # (unknown, so they cut nothing) instead of refusing the whole calendar.
    refused: tuple[str, ...] = field(default=(), compare=False)
    _dates: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chosen: dict[date, TempoDay] = {}
        for item in self.days:
            held = chosen.get(item.day)
            if held is None or _better(item, held):
                chosen[item.day] = item
        ordered = tuple(chosen[day] for day in sorted(chosen))
        object.__setattr__(self, "days", ordered)
        object.__setattr__(self, "_dates", tuple(item.day for item in ordered))

    def colour(self, day: date) -> Colour | None:
        position = bisect.bisect_left(self._dates, day)
        if position < len(self._dates) and self._dates[position] == day:
            return self.days[position].colour
        return None

    def source_of(self, day: date) -> str | None:
        """Who gave the colour of ``day`` (None: no colour known for it)."""
        position = bisect.bisect_left(self._dates, day)
        if position < len(self._dates) and self._dates[position] == day:
            item = self.days[position]
            if item.colour is not None:
                return item.source or self.source
        return None

    def colour_at(self, when: datetime) -> Colour | None:
        """The colour in force at ``when`` (None: unknown)."""
        return self.colour(tempo_day(when))

    def today_tomorrow(self, now: datetime) -> tuple[Colour | None, Colour | None]:
        """The colour of the Tempo day in force now, and of the next one."""
        today = tempo_day(now)
        return self.colour(today), self.colour(today + timedelta(days=1))

    def peaks(self, colours: frozenset[Colour], after: date | None = None) -> Iterator[Peak]:
        """The peak hours of every known day from ``after`` on whose colour is in ``colours``,
        in time order."""
        first = 0 if after is None else bisect.bisect_left(self._dates, after)
        for item in self.days[first:]:
            if item.colour is not None and item.colour in colours:
                yield Peak(item.day, item.colour)

    @property
    def last_day(self) -> date | None:
        return self._dates[-1] if self._dates else None


def _better(item: TempoDay, held: TempoDay) -> bool:
    """Of two entries for one day, a known colour beats an unknown one, then the newest."""
    if (item.colour is None) != (held.colour is None):
        return item.colour is not None
    if item.updated is not None and held.updated is not None:
        return item.updated > held.updated
    return False


def colour_word(colour: Colour | str | None) -> str:
    """``"red"``, or ``"not published yet"`` for an unknown colour."""
    if colour is None:
        return _("not published yet")
    return colour.words if isinstance(colour, Colour) else _(colour)


def describe_refused(calendar: TempoCalendar) -> str:
    """``"; 1 day refused (values[0].end_date: ...)"``, or ``""`` when every day was taken."""
    if not calendar.refused:
        return ""
    count = len(calendar.refused)
    more = _(", and {count} more").format(count=count - 1) if count > 1 else ""
    words = ngettext(
        "; {count} day refused ({first}{more})", "; {count} days refused ({first}{more})", count
    )
    return words.format(count=count, first=calendar.refused[0], more=more)


def describe_tempo_days(calendar: TempoCalendar, start: datetime, end: datetime) -> str:
    """``"Tempo: Tue 01 red, Wed 02 white, Thu 03 not published yet"`` for the Tempo days
    that overlap [start, end) (Paris dates; each runs 06:00 to 06:00)."""
    words = []
    day = tempo_day(start)
    while day_start(day) < end:
        words.append(f"{i18n.day_name(day)} {day:%d} {colour_word(calendar.colour(day))}")
        day += timedelta(days=1)
    return _("Tempo: {days}").format(days=", ".join(words))


def describe_today_tomorrow(calendar: TempoCalendar, now: datetime) -> str:
    """``"today red, tomorrow not published yet"`` (today: the Tempo day in force now)."""
    today, tomorrow = calendar.today_tomorrow(now)
    return _("today {today}, tomorrow {tomorrow}").format(
        today=colour_word(today), tomorrow=colour_word(tomorrow)
    )
