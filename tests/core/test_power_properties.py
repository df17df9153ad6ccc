"""The power rule on a simulated house with random loads (tests/support/house.py).

The house's unswitched load (base, spikes, channels the rule may not cut) stays at or under
1.3 x the limit, where the meter's filter settles at 1.69 at most and never trips: whatever
trips the meter then is a load the rule could have cut. Channels add up to 1.2 x the limit
each on top, switched by the policy and the power rule as the service runs them.
"""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.house import simulate

from tui.core.config import ChannelConfig, Config, ShedAt
from tui.core.meter import seconds_to_trip
from tui.core.meter_config import MeterConfig, OnOverrun
from tui.core.policy import RATE_LIMIT, RATE_WINDOW, PolicyConfig
from tui.core.power import Power

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
LIMIT = 9000
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def houses(draw: st.DrawFn) -> tuple[Config, list[tuple[int, int]], int]:
    count = draw(st.integers(1, 6))
    channels = tuple(
        ChannelConfig(
            index=i,
            name=f"ch{i}",
            shed_at=draw(st.sampled_from([ShedAt.ORANGE, ShedAt.RED, ShedAt.NEVER])),
            priority=draw(st.integers(1, 4)),
            min_on=draw(st.sampled_from([timedelta(0), timedelta(minutes=5)])),
            min_off=draw(
                st.sampled_from([timedelta(0), timedelta(minutes=3), timedelta(minutes=10)])
            ),
            power=Power(draw(st.integers(500, int(LIMIT * 1.2)))),
            shed_power=draw(st.booleans()) or draw(st.booleans()),
        )
        for i in range(count)
    )
    uncut = sum(
        c.power.watts
        for c in channels
        if c.power and (c.shed_at is ShedAt.NEVER or not c.shed_power)
    )
    budget = max(int(LIMIT * 1.3 - uncut), 0)
    # The unswitched load: a piecewise-constant trace, a step every 10 s to 10 min.
    steps = draw(
        st.lists(st.tuples(st.integers(10, 600), st.integers(0, budget)), min_size=1, max_size=12)
    )
    frame = draw(st.integers(1, 2))
    meter = MeterConfig(
        limit=LIMIT,
        restore_after=draw(st.sampled_from([timedelta(minutes=1), timedelta(minutes=5)])),
        restore_test=draw(st.sampled_from([timedelta(0), timedelta(seconds=30)])),
        on_overrun=draw(st.sampled_from(list(OnOverrun))),
    )
    policy = PolicyConfig(
        restore_gap=draw(st.sampled_from([timedelta(0), timedelta(seconds=60)])),
        min_switch_gap=draw(st.sampled_from([timedelta(0), timedelta(seconds=5)])),
    )
    return Config(channels=channels, meter=meter, policy=policy), steps, frame


def _load(config: Config, steps: list[tuple[int, int]]):
    edges = list(itertools.accumulate(length for length, _ in steps))

    def load(now: datetime, powered: dict[int, bool]) -> int:
        second = int((now - T0).total_seconds())
        base = next(
            (va for edge, (_, va) in zip(edges, steps, strict=False) if second < edge), steps[-1][1]
        )
        return base + sum(
            int(c.power.watts) for c in config.channels if c.power and powered[c.index]
        )

    return load


def _run(house: tuple[Config, list[tuple[int, int]], int]):
    config, steps, frame = house
    seconds = min(sum(length for length, _ in steps) + 600, 2400)
    return simulate(config, _load(config, steps), T0, seconds, frame_every=lambda n: frame)


@SETTINGS
@given(houses())
def test_the_meter_never_trips_while_anything_is_left_to_cut(house) -> None:
    config = house[0]
    run = _run(house)
    assert all(left == [] for left in run.left_at_trip), (run.trips, run.left_at_trip)
    # With the unswitched load within 1.3 x the limit, not even a trip with nothing left.
    uncut = sum(
        c.power.watts
        for c in config.channels
        if c.power and (c.shed_at is ShedAt.NEVER or not c.shed_power)
    )
    if uncut <= LIMIT * 1.3:
        assert run.trips == [], (run.trips, run.left_at_trip)


@SETTINGS
@given(houses())
def test_no_cut_while_the_predicted_trip_is_beyond_the_margin(house) -> None:
    config, _steps, _frame = house
    if config.meter is None or config.meter.on_overrun is OnOverrun.CUT:
        return  # with "cut" the meter's own flag cuts at once, by design
    run = _run(house)
    margin = config.meter.margin.total_seconds()
    for _, trip_in, y, x in run.cuts:
        assert trip_in is not None and trip_in < margin
        # And the meter itself (its own filter, stepped by the spec's recurrence) agrees, within
        # the frame the rule may be behind by.
        truth = seconds_to_trip(y, x)
        assert truth is not None and truth < margin + 2


@SETTINGS
@given(houses())
def test_restores_never_break_min_off_the_gap_or_the_switching_limit(house) -> None:
    config = house[0]
    run = _run(house)
    gap = config.policy.min_switch_gap
    for channel in config.channels:
        own = [s for s in run.switches if s.channel == channel.index]
        for before, after in itertools.pairwise(own):
            assert after.at - before.at >= gap
            if not before.powered and after.powered:
                assert after.at - before.at >= channel.min_off, (channel, before, after)
        for first, last in zip(own, own[RATE_LIMIT:], strict=False):
            assert last.at - first.at >= RATE_WINDOW


def test_the_rule_follows_the_meters_own_filter_after_its_cuts() -> None:
    """A random draw once found a cut 2.9 s early: 11 988 VA on 9 kVA settles the filter at
    1.774, just over 1.69, where a small error in Y is seconds of trip time, and the rule then
    held the ratio it saw before its own cuts until the next frame. It now takes the new power
    from the switch (and each frame from the meter's step that measured it): at every cut its
    trip time is the meter's, to the microsecond, with frames every 2 s."""
    watts = (543, 10488, 8705, 500, 500, 500)
    channels = tuple(
        ChannelConfig(
            index=i,
            name=f"ch{i}",
            shed_at=ShedAt.ORANGE,
            priority=(3, 1, 2, 1, 1, 1)[i],
            power=Power(w),
            shed_power=i != 4,
        )
        for i, w in enumerate(watts)
    )
    meter = MeterConfig(limit=LIMIT, restore_after=timedelta(minutes=1), on_overrun=OnOverrun.MODEL)
    policy = PolicyConfig(restore_gap=timedelta(0), min_switch_gap=timedelta(0))
    run = _run((Config(channels=channels, meter=meter, policy=policy), [(10, 0)], 2))
    assert len(run.cuts) >= 3
    for _, trip_in, y, x in run.cuts:
        truth = seconds_to_trip(y, x)
        assert trip_in is not None and truth is not None and abs(trip_in - truth) < 1e-6


def test_the_house_can_trip_without_the_rule() -> None:
    # The same kind of house with no délestage trips: the properties above can fail.
    config = Config(
        channels=(ChannelConfig(index=0, name="ve", shed_at=ShedAt.RED, power=Power(7400)),),
        meter=MeterConfig(limit=LIMIT),
    )
    load = _load(config, [(600, 8000)])
    assert simulate(config, load, T0, 600, strategy="none").trips
    assert simulate(config, load, T0, 600).trips == []
    assert seconds_to_trip(0.0, 15400 / LIMIT) is not None
