"""``[tempo] fallback = "tic"``: the Tempo calendar of two feeds, RTE's first, the meter's after.

Each source is its own ``Feed`` (its own schedule, backoff and words); this part only reads
what both hold: the merged calendar the policy, the snapshot and the plan use
(``core.tempo_merge``), and a ``tempo`` event of ``event: "disagreement"`` when both give a
colour for one Tempo day and they differ, said once per day and per pair of colours (RTE's
colour is used: the meter publishes late and knows only its own contract).
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from tui.core import i18n
from tui.core.events import Event, TempoEvent
from tui.core.i18n import N_, _
from tui.core.tempo import TempoCalendar, tempo_day
from tui.core.tempo_merge import Disagreement, disagreements, merge_calendars
from tui.service.feed import Feed

# Disagreements said are remembered this long after their day, then forgotten.
REMEMBER = timedelta(days=7)

SOURCE_NAMES = {"tic": N_("the meter"), "rte": N_("RTE"), "sandbox": N_("RTE sandbox")}


def source_name(kind: str) -> str:
    """``RTE``, ``the meter``: a source in a sentence, in the language in use."""
    return _(SOURCE_NAMES.get(kind, kind))


def disagreement_words(item: Disagreement) -> str:
    """``Tempo Tue 08: RTE says red, the meter says white; RTE's red is used``."""
    return _(
        "Tempo {day}: {primary} says {colour}, {fallback} says {other}; "
        "{primary}'s colour ({colour}) is used"
    ).format(
        day=f"{i18n.day_name(item.day)} {item.day:%d}",
        primary=source_name(item.primary_source),
        colour=item.primary.words,
        fallback=source_name(item.fallback_source),
        other=item.fallback.words,
    )


class TempoPair:
    """The Tempo calendar in use: the primary feed's alone, or merged with a fallback feed's."""

    def __init__(
        self,
        primary: Feed[TempoCalendar],
        fallback: Feed[TempoCalendar] | None,
        emit: Callable[[Event], None],
        now: Callable[[], datetime],
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self._emit = emit
        self._now = now
        self._merged: TempoCalendar | None = None
        self._merged_of: tuple[object, object] = (None, None)
        self._said: set[tuple[date, str, str]] = set()

    @property
    def calendar(self) -> TempoCalendar | None:
        if self.fallback is None:
            return self.primary.data
        first, second = self.primary.data, self.fallback.data
        held = self._merged_of
        if held[0] is not first or held[1] is not second:
            self._merged = merge_calendars(first, self.primary.kind, second, self.fallback.kind)
            self._merged_of = (first, second)
        return self._merged

    def watch(self, now: datetime) -> None:
        """Say each new disagreement between the two feeds (none without a fallback)."""
        if self.fallback is None:
            return
        oldest = tempo_day(now) - REMEMBER
        self._said = {key for key in self._said if key[0] >= oldest}
        found = disagreements(
            self.primary.data, self.primary.kind, self.fallback.data, self.fallback.kind
        )
        for item in found:
            key = (item.day, item.primary.value, item.fallback.value)
            if key in self._said or item.day < oldest:
                continue
            self._said.add(key)
            self._emit(
                TempoEvent(
                    ts=self._now(),
                    event="disagreement",
                    day=item.day.isoformat(),
                    source=item.primary_source,
                    colour=item.primary.value,
                    other_source=item.fallback_source,
                    other_colour=item.fallback.value,
                    message=disagreement_words(item),
                )
            )
