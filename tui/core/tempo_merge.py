"""Two Tempo calendars as one: RTE's first, the meter's colours for the days RTE has none for.

``[tempo] fallback = "tic"``: RTE (or the configured source) answers for every day it has
published; for a day it has no colour for (RTE down, no credentials, a quota, tomorrow not
published yet), the colour the meter's TIC carries fills in. Each day of the merged calendar
says who gave its colour (``TempoDay.source``). When both give a colour for the same day and
they differ, the primary wins and the difference is a ``Disagreement`` for the service to say.

Pure: no clock, no I/O.
"""

from dataclasses import dataclass
from datetime import date

from tui.core.tempo import Colour, TempoCalendar, TempoDay


@dataclass(frozen=True)
class Disagreement:
    """Both sources gave a colour for ``day`` and they differ; ``primary``'s is used."""

    day: date
    primary: Colour
    fallback: Colour
    primary_source: str
    fallback_source: str


def _stamped(calendar: TempoCalendar | None, kind: str) -> dict[date, TempoDay]:
    if calendar is None:
        return {}
    return {
        item.day: TempoDay(item.day, item.colour, item.updated, item.source or kind)
        for item in calendar.days
    }


def merge_calendars(
    primary: TempoCalendar | None,
    primary_kind: str,
    fallback: TempoCalendar | None,
    fallback_kind: str,
) -> TempoCalendar | None:
    """One calendar: each day's colour from ``primary`` when it has one, else from
    ``fallback``, else unknown. None when neither source has given a calendar."""
    if primary is None and fallback is None:
        return None
    first = _stamped(primary, primary_kind)
    second = _stamped(fallback, fallback_kind)
    days = []
    for day in sorted(first.keys() | second.keys()):
        mine, theirs = first.get(day), second.get(day)
        if mine is not None and mine.colour is not None:
            days.append(mine)
        elif theirs is not None and theirs.colour is not None:
            days.append(theirs)
        else:
            held = mine or theirs
            assert held is not None
            days.append(TempoDay(day, None, held.updated, ""))
    fetched = [c.fetched for c in (primary, fallback) if c is not None and c.fetched is not None]
    return TempoCalendar(
        tuple(days),
        fetched=max(fetched) if fetched else None,
        source=f"{primary_kind}+{fallback_kind}",
        refused=primary.refused if primary is not None else (),
    )


def disagreements(
    primary: TempoCalendar | None,
    primary_kind: str,
    fallback: TempoCalendar | None,
    fallback_kind: str,
) -> tuple[Disagreement, ...]:
    """The days both calendars give a colour for, with different colours, oldest first."""
    if primary is None or fallback is None:
        return ()
    found = []
    for item in fallback.days:
        theirs = item.colour
        mine = primary.colour(item.day)
        if mine is not None and theirs is not None and mine != theirs:
            found.append(Disagreement(item.day, mine, theirs, primary_kind, fallback_kind))
    return tuple(sorted(found, key=lambda each: each.day))
