"""The relay protections on the monotonic clock, while the policy reads wall times.

``min_on``, ``min_off``, ``min_switch_gap``, the rate cap (20 switches in 60 s) and the restore
stagger are ages: how long ago a relay switched. They are measured on the monotonic clock, which
an NTP step, ``date -s`` or a clock that was wrong at boot never moves. The pure policy keeps
working on wall times: each step the service hands it every switch time ``t`` as the wall
equivalent ``now_wall - (now_mono - t_mono)``, so a wall step changes no age.

It does so by keeping the switch history in wall equivalents and moving every time by the
difference between the two clocks' progress since the last step (``ClockWatch.rebase``). Times
are whole microseconds, so the moves are exact: a switch recorded at step ``r`` reads, at step
``k``, ``t_mono + offset_k`` whatever happened between (no rounding adds up). A difference of
more than ``STEP_TOLERANCE`` is a clock step, said once in the event log; a move under
``QUANTUM`` waits until the moves add up to it (an age is then at most 1 ms off).

What stays on the wall clock: the forecast and Tempo hours, an override's end ("until 14:30" is
the operator's wall time), the feeds' schedules, and every time shown. The saved state holds wall
times (readable, and comparable across a restart, when no monotonic clock survives); loaded, they
are ages from now (a time in the future is clamped to now: ``saved_vetting``).
"""

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from tui.core.forecast import PARIS
from tui.core.policy import RelayHistory
from tui.service.board_sync import BoardSync

# A difference between the two clocks' progress beyond this is a step, said in the event log;
# below it, times still move with the monotonic clock, silently.
STEP_TOLERANCE = timedelta(seconds=1)
# Smaller moves wait until they add up to this: the two clocks drift apart by microseconds at
# every step, and moving every switch time by them made the history new at each step (the
# snapshot's plan, kept while the history stands, was planned again every second).
QUANTUM = timedelta(milliseconds=1)


class ClockWatch:
    """The offset between the wall clock and the monotonic one, followed step by step."""

    def __init__(self) -> None:
        self._anchor: datetime | None = None
        self._offset = timedelta(0)

    def start(self, wall: datetime, mono: float) -> None:
        """The switch history was just read as wall times: they are ages from ``wall``."""
        self._anchor = wall - timedelta(seconds=mono)
        self._offset = timedelta(0)

    def rebase(self, wall: datetime, mono: float) -> timedelta:
        """How far the wall clock moved other than the monotonic one since the last call: the
        amount every switch time must move to keep its age."""
        if self._anchor is None:
            self.start(wall, mono)
            return timedelta(0)
        offset = wall - (self._anchor + timedelta(seconds=mono))
        delta = offset - self._offset
        if abs(delta) < QUANTUM:
            return timedelta(0)  # kept for later: it adds up in the offset, nothing is lost
        self._offset = offset
        return delta

    def follow(
        self,
        history: dict[int, RelayHistory],
        sync: BoardSync,
        wall: datetime,
        mono: float,
        also: Iterable[Callable[[timedelta], None]] = (),
    ) -> timedelta | None:
        """Move every switch time (and the board's retry times, and what ``also`` moves: the
        power rule's times) to keep its age; the step, when the wall clock stepped by more
        than STEP_TOLERANCE."""
        delta = self.rebase(wall, mono)
        if not delta:
            return None
        for channel, item in history.items():
            history[channel] = shift_history(item, delta)
        sync.shift(delta)
        for move in also:
            move(delta)
        return delta if abs(delta) > STEP_TOLERANCE else None


def shift_history(item: RelayHistory, delta: timedelta) -> RelayHistory:
    """``item`` with every switch time moved by ``delta`` (its ages unchanged)."""
    if not delta:
        return item
    return replace(
        item,
        last_on=item.last_on + delta if item.last_on is not None else None,
        last_off=item.last_off + delta if item.last_off is not None else None,
        switches=tuple(at + delta for at in item.switches),
        ran_from=item.ran_from + delta if item.ran_from is not None else None,
        turn_from=item.turn_from + delta if item.turn_from is not None else None,
    )


def step_words(delta: timedelta, now: datetime) -> str:
    """The event-log line for a wall-clock step of ``delta``, now reading ``now``."""
    sign = "forward" if delta > timedelta(0) else "back"
    size = abs(delta)
    seconds = round(size.total_seconds())  # a step read a few microseconds apart
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    amount = (
        (f"{hours} h " if hours else "")
        + (f"{minutes} min " if hours or minutes else "")
        + f"{secs} s"
    )
    local = now.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S %Z")
    return (
        f"the wall clock stepped {sign} by {amount} (now {local}): min_on, min_off, the gaps, "
        "the rate limit and the stagger keep their real ages (monotonic clock); the forecast, "
        "override ends and the display follow the new time"
    )
