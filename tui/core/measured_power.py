"""Each channel's power as the meter sees it: the step in the home's power when its relay switches.

Pure. When a relay switches, the meter's apparent power moves by what that appliance draws; the
step is the power of the last reading before the switch against the reading ``FRAMES`` frames
after it (a Linky's SINSTS follows within a frame or two), up for a switch on, down for a switch
off. A channel's measured power is the median of its last ``SAMPLES`` steps, so a kettle that
starts in the same second, or an appliance whose thermostat was idle, moves it little. A step is
not taken when another channel switched within its window (whose would it be?), when the meter
went stale, or when it is under ``MIN_STEP`` (the appliance drew nothing then: a water heater
already hot is not a 0 W heater).

The meter gives volt-amperes; for the resistive loads a délesteur cuts, that is the power in
watts, and it is shown as watts beside the configured ``power``.
"""

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from tui.core.meter import MeterReading
from tui.core.policy import RelayHistory

FRAMES = 2  # the step is read this many frames after the switch
SAMPLES = 5  # the median of this many last steps
MIN_STEP = 30.0  # W: a smaller step is an idle appliance, not its power
MAX_WAIT = timedelta(seconds=10)  # a step not seen by then is dropped (a stale meter)


@dataclass(frozen=True)
class PendingStep:
    channel: int
    powered: bool
    at: datetime  # the switch
    before: float  # the power of the last reading before the switch
    frames: int = 0  # readings seen since


@dataclass(frozen=True)
class MeasuredPower:
    """The estimator's state between steps (``observe`` gives the next)."""

    samples: Mapping[int, tuple[float, ...]] = field(default_factory=dict)
    pending: tuple[PendingStep, ...] = ()
    seen: Mapping[int, tuple[datetime | None, datetime | None]] = field(default_factory=dict)
    last: MeterReading | None = None  # the newest reading taken in

    def watts(self, channel: int) -> int | None:
        """The channel's measured power (the median of its last steps); None: not measured."""
        steps = self.samples.get(channel)
        return round(statistics.median(steps)) if steps else None

    def all_watts(self) -> dict[int, int]:
        return {index: w for index in self.samples if (w := self.watts(index)) is not None}


def _switches(
    state: MeasuredPower, history: Mapping[int, RelayHistory]
) -> tuple[list[tuple[int, bool, datetime]], dict[int, tuple[datetime | None, datetime | None]]]:
    """The switches recorded since the last look (a channel seen for the first time has none)."""
    found = []
    seen = {}
    for index, item in history.items():
        now_seen = (item.last_on, item.last_off)
        seen[index] = now_seen
        before = state.seen.get(index)
        if before is None:
            continue
        if item.last_on is not None and item.last_on != before[0]:
            found.append((index, True, item.last_on))
        if item.last_off is not None and item.last_off != before[1]:
            found.append((index, False, item.last_off))
    return found, seen


def observe(
    state: MeasuredPower,
    reading: MeterReading | None,
    history: Mapping[int, RelayHistory],
) -> MeasuredPower:
    """The estimator after a look at the meter's newest ``reading`` and the relays' history."""
    switches, seen = _switches(state, history)
    pending = list(state.pending)
    before = state.last
    for index, powered, at in switches:
        if before is None or before.at > at:
            continue  # no reading known before it: nothing to measure against
        pending = [p for p in pending if p.channel != index]
        pending.append(PendingStep(index, powered, at, float(before.power_va)))
    new = reading is not None and (state.last is None or reading.at > state.last.at)
    samples = dict(state.samples)
    if new and reading is not None:
        kept = []
        for step in pending:
            if reading.at <= step.at:
                kept.append(step)
                continue
            if reading.at - step.at > MAX_WAIT:
                continue
            step = replace(step, frames=step.frames + 1)
            if step.frames < FRAMES:
                kept.append(step)
                continue
            crowded = any(
                other is not step and other.channel != step.channel and _near(other.at, step.at)
                for other in pending
            )
            delta = reading.power_va - step.before
            watts = delta if step.powered else -delta
            if not crowded and watts >= MIN_STEP:
                samples[step.channel] = (*samples.get(step.channel, ())[-(SAMPLES - 1) :], watts)
        pending = kept
    return MeasuredPower(
        samples=samples,
        pending=tuple(pending),
        seen=seen,
        last=reading if new else state.last,
    )


def _near(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < MAX_WAIT.total_seconds() / 2


def forget(state: MeasuredPower, channels: set[int]) -> MeasuredPower:
    """Without the channels no longer configured."""
    return replace(
        state,
        samples={i: s for i, s in state.samples.items() if i in channels},
        pending=tuple(p for p in state.pending if p.channel in channels),
    )


def seeded(state: MeasuredPower, watts: Mapping[int, float]) -> MeasuredPower:
    """With each channel's last known measure (a restart), for the channels not measured yet."""
    samples = dict(state.samples)
    for index, value in watts.items():
        if index not in samples and value >= MIN_STEP:
            samples[index] = (float(value),)
    return replace(state, samples=samples)
