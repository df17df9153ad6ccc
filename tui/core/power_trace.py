"""The home's power over the last hour, as the timeline's power line draws it.

Pure. ``PowerTrace`` keeps each minute's peak apparent power (the meter's readings taken in,
the highest of each wall-clock minute) for ``MINUTES`` minutes; ``peaks(now)`` gives them oldest
first, the current minute last, None for a minute without a reading (a stale meter is never
drawn as no load). ``sparkline`` draws them against the limit: a full block is the limit, a
minute over it is marked apart.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MINUTES = 60
BLOCKS = "▁▂▃▄▅▆▇█"
OVER = "▲"  # a minute whose peak went over the limit (also without colour)
GAP = " "  # a minute without a reading


def minute_of(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class PowerTrace:
    peaks_by_minute: tuple[tuple[datetime, int], ...] = field(default=())

    def seen(self, at: datetime, power_va: int) -> "PowerTrace":
        """With a reading taken at ``at``; minutes older than the hour before it dropped."""
        minute = minute_of(at)
        keep = minute - timedelta(minutes=MINUTES - 1)
        items = [(m, p) for m, p in self.peaks_by_minute if keep <= m <= minute]
        if items and items[-1][0] == minute:
            items[-1] = (minute, max(items[-1][1], power_va))
        elif not items or items[-1][0] < minute:
            items.append((minute, power_va))
        else:  # a reading older than the newest minute (a clock step back): folded in
            items = [(m, max(p, power_va) if m == minute else p) for m, p in items]
        return PowerTrace(tuple(items))

    def peaks(self, now: datetime) -> tuple[int | None, ...]:
        """The last ``MINUTES`` minutes up to ``now``'s, oldest first."""
        known = dict(self.peaks_by_minute)
        last = minute_of(now)
        return tuple(known.get(last - timedelta(minutes=MINUTES - 1 - k)) for k in range(MINUTES))


def buckets(peaks: Sequence[int | None], columns: int) -> list[int | None]:
    """The peaks folded into ``columns`` columns (each the highest of its minutes), the newest
    minute in the last column."""
    if columns <= 0:
        return []
    if columns >= len(peaks):
        return list(peaks)
    out: list[int | None] = []
    count = len(peaks)
    for column in range(columns):
        low = column * count // columns
        high = (column + 1) * count // columns
        present = [p for p in peaks[low:high] if p is not None]
        out.append(max(present) if present else None)
    return out


def block(power: int | None, limit: int) -> str:
    """One column: the power as a share of the limit in eighths, ``OVER`` above it."""
    if power is None:
        return GAP
    if power > limit:
        return OVER
    eighths = round(power / limit * len(BLOCKS))
    return BLOCKS[min(max(eighths - 1, 0), len(BLOCKS) - 1)]


def sparkline(peaks: Sequence[int | None], limit: int, columns: int) -> str:
    return "".join(block(power, limit) for power in buckets(peaks, columns))
