"""The power meter as the controller's third feed, and the power rule's state between steps.

The ``Feed`` gives the meter what the forecast and Tempo have: the words ("said once, said
recovered": a stale meter is said once as an ``error`` of ``what: "meter"``, and its recovery),
its schedule (a look every ``stale_after``). A meter pushes, so the source's ``notify`` (any
thread) wakes the loop at each frame and the step reads the newest reading at once
(``source.latest``): the power rule never waits for a refresh. ``MeterFeed.step`` runs the pure
rule (``core.power_rule``) and says what it says loudly; ``view`` is the snapshot's ``meter``.
Its cuts are kept in the saved state's dict (``resume``), so that they survive a restart.
"""

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from tui.adapters.clock import Clock
from tui.adapters.meter.base import MeterSource
from tui.core import power_trace
from tui.core.config import Config
from tui.core.events import MeterEvent
from tui.core.i18n import _
from tui.core.measured_power import MIN_STEP, MeasuredPower, observe
from tui.core.meter import MeterReading, format_kva
from tui.core.meter_words import reading_words
from tui.core.policy import Override, RelayHistory
from tui.core.power_rule import (
    PowerCut,
    PowerRoom,
    PowerState,
    PowerStep,
    describe_meter,
    meter_state,
    power_room,
    power_step,
)
from tui.core.time_shift import shift_times
from tui.service.feed import Emit, Feed, Said
from tui.service.snapshot import MeterView


class MeterWords:
    what = "meter"
    name = "meter"

    def __init__(self, where: str) -> None:
        self.where = where

    def arrived(
        self,
        data: MeterReading,
        previous: MeterReading | None,
        now: datetime,
        *,
        ts: datetime,
        cached: bool,
        called: bool,
    ) -> Said:
        answer = _("meter: {power}").format(power=format_kva(data.power_va))
        if previous is not None and (data.mode, data.cutoff_va) == (
            previous.mode,
            previous.cutoff_va,
        ):
            return Said(None, answer)
        event = MeterEvent(
            ts=ts,
            event="reading",
            message=_("meter ({where}): {details}").format(
                where=self.where, details=reading_words(data)
            ),
            power_va=data.power_va,
            limit_va=data.cutoff_va,
            mode=data.mode.value if data.mode else None,
        )
        return Said(event, answer)

    def answer_failed(self, error: str | None) -> str:
        return error or "meter: no new frame"

    def boundary(self, now: datetime) -> datetime | None:
        return None


class MeterFeed:
    def __init__(
        self,
        source: MeterSource,
        *,
        clock: Clock,
        emit: Emit,
        wake: Callable[[], None],
    ) -> None:
        self.source = source
        self.clock = clock
        self._emit = emit
        self._wake = wake
        self.feed: Feed[MeterReading] = Feed(
            source, MeterWords(source.where), clock=clock, emit=emit, wake=self._wake
        )
        self.state = PowerState()
        self.last = PowerStep(self.state)
        self.measured = MeasuredPower()  # each channel's power as the meter saw it switch
        self.trace = power_trace.PowerTrace()  # the last hour's peak per minute, for the timeline
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tripped = False
        self._saved: dict[int, PowerCut] | None = None
        self._cuts_moved = False

    def resume(self, saved: dict[int, PowerCut]) -> None:
        """Take up the cuts saved before a restart, and keep ``saved`` (the saved state's own
        dict) up to date from now on."""
        self._saved = saved
        self.state = replace(self.state, cuts=dict(saved))
        self.last = PowerStep(self.state)

    def cuts_moved(self) -> bool:
        """Whether the cuts changed since the last call (the state is then to be saved)."""
        moved, self._cuts_moved = self._cuts_moved, False
        return moved

    @property
    def kind(self) -> str:
        return self.source.kind

    def start(self) -> None:
        """Begin reading: each reading wakes the loop (from the reader's thread too)."""
        self._loop = asyncio.get_running_loop()
        self.source.start(self._notify)

    def _notify(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._pushed)

    def _pushed(self) -> None:
        now = self.clock.now()
        if self.source.next_refresh(now) <= now:
            self.feed.next_refresh = now  # a first reading, or one after a stale spell
        self._wake()

    def shift(self, delta: timedelta, now: datetime) -> None:
        """The wall clock moved by ``delta`` other than the monotonic one: every time the power
        rule holds (the filter's, the last reading's, the cuts', the re-close test's) moves with
        it, as the relays' switch times do, so that the trip filter keeps being fed and a cut
        keeps its real age; and the source's newest reading when it was stamped before the
        step. One memo for all: the reading the state, the estimator and the source share
        stays one object, so "a new reading?" still answers by identity."""
        memo: dict[int, object] = {}
        self.last = shift_times(self.last, delta, memo)
        self.state = self.last.state
        self.measured = shift_times(self.measured, delta, memo)
        self.trace = shift_times(self.trace, delta, memo)
        self.source.shift(delta, now, lambda reading: shift_times(reading, delta, memo))
        if self._saved is not None:
            self._saved.clear()
            self._saved.update(self.state.cuts)
            self._cuts_moved = True

    def room(self, config: Config, history: Mapping[int, RelayHistory]) -> PowerRoom | None:
        """The headroom for the switch-ons of the evaluation after ``step``."""
        return power_room(self.state, config, history)

    def step(
        self,
        now: datetime,
        config: Config,
        overrides: Mapping[int, Override],
        history: Mapping[int, RelayHistory],
    ) -> dict[int, str]:
        """The power rule at ``now``: the channels it cuts, with their reasons."""
        reading = self.source.latest
        if reading is not None and reading is not self.measured.last:
            self.trace = self.trace.seen(reading.at, reading.power_va)
        self._measure(now, reading, history, config)
        self.last = power_step(self.state, reading, now, config, overrides, history)
        self.state = self.last.state
        if self._saved is not None and self._saved != self.state.cuts:
            self._saved.clear()
            self._saved.update(self.state.cuts)
            self._cuts_moved = True
        limit = self.state.limit
        for line in self.last.said:
            self._emit(
                MeterEvent(
                    ts=now,
                    event="nothing-left",
                    message=line,
                    power_va=reading.power_va if reading else None,
                    limit_va=limit,
                )
            )
        tripped = bool(reading is not None and reading.breaker_open)
        if tripped and not self._tripped and reading is not None:
            self._emit(
                MeterEvent(
                    ts=now,
                    event="tripped",
                    message=_("the meter says its breaker is open: re-arm it by hand"),
                    power_va=reading.power_va,
                    limit_va=limit,
                )
            )
        self._tripped = tripped
        return self.last.cuts

    def _measure(
        self,
        now: datetime,
        reading: MeterReading | None,
        history: Mapping[int, RelayHistory],
        config: Config,
    ) -> None:
        """Each switch's step in the meter's power; a channel's measured power said (a
        ``measured`` meter event, for history's energy) when it is new or moves by a tenth."""
        before = self.measured.all_watts()
        self.measured = observe(self.measured, reading, history)
        for index, watts in self.measured.all_watts().items():
            old = before.get(index)
            if old is not None and abs(watts - old) < max(old / 10, MIN_STEP):
                continue
            self._emit(
                MeterEvent(
                    ts=now,
                    event="measured",
                    message=_("{name}: {watts} W as the meter saw it switch").format(
                        name=_name(config, index), watts=watts
                    ),
                    channel=index,
                    watts=watts,
                )
            )

    @property
    def next_due(self) -> datetime | None:
        return self.last.next_due

    def view(self, now: datetime) -> MeterView:
        state = self.state
        reading = state.reading
        return MeterView(
            source=self.source.kind,
            where=self.source.where,
            state=meter_state(state).value,
            power_va=reading.power_va if reading else None,
            limit_va=state.limit,
            trip_in_s=round(state.trip_in, 1) if state.trip_in is not None else None,
            filter_level=round(state.filter.level, 3),
            mode=reading.mode.value if reading and reading.mode else None,
            cuts=tuple(sorted(state.cuts)),
            words=describe_meter(state, now),
            detail=self.source.detail,
            error=self.feed.error,
            recent_va=self.trace.peaks(now),
        )


def _name(config: Config, index: int) -> str:
    return next((c.name for c in config.channels if c.index == index), f"channel {index}")
