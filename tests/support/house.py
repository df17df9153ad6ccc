"""A house on a virtual clock, second by second: its load, the Linky's own trip filter (the
truth, stepped by the spec's recurrence), and a délestage strategy deciding the relays.

Strategies: ``"delestage"`` (the power rule and the policy, as the service runs them),
``"threshold"`` (a plain délesteur: cut the least important load while power > limit, one a
second, restore each 5 minutes after its cut) and ``"none"``. Used by the power rule's
property tests and by tests/benchmarks/meter_bench.py.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.core.config import Config, ShedAt
from tui.core.meter import TRIP_LEVEL, MeterReading
from tui.core.policy import Override, RelayHistory, evaluate, record_switch
from tui.core.power_rule import PowerState, PowerStep, power_step

SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Switch:
    at: datetime
    channel: int
    powered: bool
    rule: str


@dataclass
class HouseRun:
    switches: list[Switch] = field(default_factory=list)
    trips: list[datetime] = field(default_factory=list)
    # At each trip, the channels the rule could still have cut (powered, automatic, cuttable).
    left_at_trip: list[list[int]] = field(default_factory=list)
    cut_seconds: int = 0  # channel-seconds cut by the strategy's power cuts
    # At each power cut: when, the rule's predicted trip, the meter's own Y and ratio then.
    cuts: list[tuple[datetime, float | None, float, float]] = field(default_factory=list)
    steps: list[PowerStep] = field(default_factory=list)


def cuttable(config: Config, history: Mapping[int, RelayHistory]) -> list[int]:
    return [
        c.index
        for c in config.channels
        if c.shed_power and c.shed_at is not ShedAt.NEVER and history[c.index].powered
    ]


def simulate(
    config: Config,
    load: Callable[[datetime, Mapping[int, bool]], int],
    start: datetime,
    seconds: int,
    strategy: str = "delestage",
    frame_every: Callable[[int], int] = lambda n: 1,
    overrides: Mapping[int, Override] | None = None,
    keep_steps: bool = False,
) -> HouseRun:
    """``load(now, powered)``: the VA the house draws; the meter's limit is ``[meter] limit``."""
    assert config.meter is not None and config.meter.limit is not None
    limit = config.meter.limit
    overrides = overrides or {}
    history = {
        c.index: RelayHistory(powered=True, last_on=start - timedelta(hours=1))
        for c in config.channels
    }
    state = PowerState()
    run = HouseRun()
    y = 0.0  # the meter's own filter
    next_frame = 0
    threshold_cuts: dict[int, datetime] = {}
    for n in range(seconds):
        now = start + n * SECOND
        powered = {i: bool(h.powered) for i, h in history.items()}
        power = load(now, powered)
        x = power / limit
        y = 0.008 * x * x + 0.992 * y
        if y >= TRIP_LEVEL:
            run.trips.append(now)
            run.left_at_trip.append(cuttable(config, history))
            y = 0.0  # re-armed by hand (the house carries on: the simulation counts trips)
        if strategy == "none":
            continue
        if strategy == "threshold":
            _threshold(config, history, threshold_cuts, power, limit, now, run)
            run.cut_seconds += len(threshold_cuts)
            continue
        if n >= next_frame:
            next_frame = n + frame_every(n)
            reading = MeterReading(
                at=now,
                power_va=power,
                cutoff_va=limit,
                reference_va=limit,
                overrun=power > limit,
            )
        else:
            reading = state.reading
        step = power_step(state, reading, now, config, overrides, history)
        state = step.state
        if keep_steps:
            run.steps.append(step)
        if step.cut is not None:
            run.cuts.append((now, state.trip_in, y, x))
        evaluation = evaluate(now, None, config, overrides, history, power_cuts=step.cuts)
        for index, decision in evaluation.decisions.items():
            if decision.powered != history[index].powered:
                history[index] = record_switch(history[index], decision.powered, now)
                run.switches.append(Switch(now, index, decision.powered, decision.rule.value))
        run.cut_seconds += sum(1 for i in state.cuts if not history[i].powered)
    return run


def _threshold(
    config: Config,
    history: dict[int, RelayHistory],
    cuts: dict[int, datetime],
    power: int,
    limit: int,
    now: datetime,
    run: HouseRun,
) -> None:
    for index, at in sorted(cuts.items()):
        if now - at >= timedelta(minutes=5):
            del cuts[index]
            history[index] = record_switch(history[index], True, now)
            run.switches.append(Switch(now, index, True, "threshold"))
    if power > limit:
        order = sorted(
            (c for c in config.channels if c.index in cuttable(config, history)),
            key=lambda c: (-c.priority, -c.index),
        )
        if order:
            chosen = order[0].index
            cuts[chosen] = now
            history[chosen] = record_switch(history[chosen], False, now)
            run.switches.append(Switch(now, chosen, False, "threshold"))
