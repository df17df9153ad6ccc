"""An SG-Ready heat pump's lock is bounded (tui/core/sg_lock.py, issue 25): at most
``max_blocked`` at a time, then its normal order for a release as long as the lock (at most
``blocked_rest``), as a supplier's lock (EVU-Sperre) is; never an operator's order.

Unit tests on a red day, and properties over random forecasts and configurations on the
service's loop (tests/support/policy_scenarios.py, ``next_due`` probed between evaluations):
no automatic lock outlasts its bound by more than the constraints that may delay a switch-on,
no lock starts within the release after the one before, and min_on, min_off, the switch gap
and the rate limit hold."""

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.policy import at, levels
from support.policy_scenarios import (
    CONSTRAINTS,
    SETTINGS,
    STARTS,
    Scenario,
    channels,
    constraints_hold,
    forecasts,
    policies,
    simulate,
)

from tui.core.config import (
    ChannelConfig,
    Config,
    Run,
    ShedAt,
    Wiring,
    config_from_dict,
    config_to_dict,
)
from tui.core.errors import InputError
from tui.core.pilot import Kind, Order, PilotConfig
from tui.core.pilot_orders import orders
from tui.core.plan import build_plan
from tui.core.policy import Override, RelayHistory, Rule, evaluate

HOUR = timedelta(hours=1)


def pump_table(**sg_ready: object) -> Config:
    document = {
        "policy": {"lead": "0s"},
        "channel": [
            {
                "index": 4,
                "name": "PAC",
                "shed_at": "red",
                "sg_ready": {"relays": [4, 5], **sg_ready},
            }
        ],
    }
    return config_from_dict(document, "home.toml")


def test_the_bound_defaults_to_a_suppliers_lock_and_writes_back() -> None:
    config = pump_table()
    sg = config.channel(4).pilot
    assert sg is not None
    assert (sg.max_blocked, sg.blocked_rest) == (2 * HOUR, 2 * HOUR)
    assert config_from_dict(config_to_dict(config)) == config
    off = pump_table(max_blocked="0s", blocked_rest="90m").channel(4).pilot
    assert off is not None and (off.max_blocked, off.blocked_rest) == (
        timedelta(0),
        timedelta(minutes=90),
    )


@pytest.mark.parametrize(
    ("sg_ready", "line"),
    [
        ({"max_blocked": "2"}, 'channel[0].sg_ready.max_blocked: expected a duration from "0s"'),
        ({"blocked_rest": "25h"}, "channel[0].sg_ready.blocked_rest: expected a duration from"),
        ({"blocked_rest": "0s"}, 'channel[0].sg_ready.blocked_rest: expected a duration from "1m"'),
        ({"max_blocked": True}, 'channel[0].sg_ready.max_blocked: expected a duration from "0s"'),
    ],
)
def test_a_bad_bound_is_one_line_naming_file_and_key(
    sg_ready: dict[str, object], line: str
) -> None:
    with pytest.raises(InputError) as caught:
        pump_table(**sg_ready)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"home.toml: {line}"), caught.value.problems


def test_a_pilot_wire_takes_no_bound() -> None:
    document = {
        "channel": [
            {"index": 2, "name": "Radiateurs", "shed_at": "red", "pilot": {"relays": [2, 6],
             "max_blocked": "2h"}}
        ]
    }  # fmt: skip
    with pytest.raises(InputError, match=r"channel\[0\]\.pilot\.max_blocked: unknown key"):
        config_from_dict(document, "home.toml")


# A red day: red 06:00-22:00 (Tempo's peak hours as a forecast).
RED_DAY = levels("111111" + "3" * 16 + "11")


def test_a_red_day_blocks_two_hours_then_runs_normal_two_hours() -> None:
    config = pump_table()
    plan = build_plan(RED_DAY, config, at("00:00"), at("23:59"))
    seen = [(change.at, change.order) for change in plan.changes]
    expected = []
    for start in ("06:00", "10:00", "14:00", "18:00"):
        lock = at(start)
        expected += [(lock, "blocked"), (lock + 2 * HOUR, "normal")]
    assert seen == expected, seen
    released = plan.changes[1]
    assert released.powered and released.rule is Rule.LOCK_BOUND
    assert released.reason == (
        "red 06:00-22:00: blocked 2h at most at a time (max_blocked), normal until 10:00"
    )
    # Unbounded, the same day is one lock of 16 hours.
    unbounded = build_plan(RED_DAY, pump_table(max_blocked="0s"), at("00:00"), at("23:59"))
    assert [(c.at, c.order) for c in unbounded.changes] == [
        (at("06:00"), "blocked"),
        (at("22:00"), "normal"),
    ]


def test_a_shorter_lock_is_followed_by_a_release_as_long() -> None:
    """Red 06:00-06:40 (half-hour steps of a forecast: two hours here), then red again: the
    second lock waits for a release as long as the first."""
    config = pump_table()
    forecast = levels("111111" + "3" + "1" + "3333" + "1")
    plan = build_plan(forecast, config, at("00:00"), at("13:00"))
    seen = [(change.at, change.order) for change in plan.changes]
    # Blocked 06:00-07:00 (an hour), normal 07:00; red again at 08:00 but the release after a
    # one-hour lock lasts until 08:00 itself: blocked at 08:00, for 2 h, normal 10:00-12:00.
    assert seen == [
        (at("06:00"), "blocked"),
        (at("07:00"), "normal"),
        (at("08:00"), "blocked"),
        (at("10:00"), "normal"),
    ], seen
    # A rest of at most 30 min after any lock: blocked again at 10:30.
    short = build_plan(forecast, pump_table(blocked_rest="30m"), at("00:00"), at("13:00"))
    assert (at("10:30"), "blocked") in [(c.at, c.order) for c in short.changes]


def test_the_release_after_a_shorter_lock_says_so() -> None:
    config = pump_table()
    released = at("07:00")
    history = {4: RelayHistory(powered=True, last_on=released, last_off=at("06:20"))}
    now = at("07:10")
    decisions = evaluate(now, RED_DAY, config, {}, history).decisions
    decision = decisions[4]
    assert decision.powered and decision.rule is Rule.LOCK_BOUND
    assert decision.reason == (
        "red 06:00-22:00: normal until 07:40, a release as long as the 40 min lock before it "
        "(blocked_rest)"
    )
    assert orders(config, decisions, RED_DAY, now) == {4: Order.NORMAL}
    assert evaluate(now, RED_DAY, config, {}, history).next_due == at("07:40")


def test_an_operators_lock_is_never_bounded() -> None:
    config = pump_table()
    since = at("05:00")
    forced = {4: Override(powered=False, since=since)}
    history = {4: RelayHistory(powered=False, last_off=since, switches=(since,))}
    decisions = evaluate(at("09:00"), RED_DAY, config, forced, history).decisions
    assert not decisions[4].powered and decisions[4].rule is Rule.OVERRIDE
    # Nor a power cut (the meter would trip: everything would be cut).
    cut = evaluate(at("09:00"), RED_DAY, config, {}, history, power_cuts={4: "power"})
    assert not cut.decisions[4].powered and cut.decisions[4].rule is Rule.POWER


def test_the_release_waits_for_min_off_and_its_restore_slot() -> None:
    config = replace(pump_table(), channels=(replace(pump_table().channel(4), min_off=3 * HOUR),))
    lock = at("06:00")
    history = {4: RelayHistory(powered=False, last_off=lock, switches=(lock,))}
    decision = evaluate(at("08:00"), RED_DAY, config, {}, history).decisions[4]
    assert not decision.powered and decision.wanted and decision.rule is Rule.LOCK_BOUND
    assert decision.waiting == "min_off until 09:00"


# --- properties -------------------------------------------------------------------------------

BOUNDS = [timedelta(minutes=30), HOUR, 2 * HOUR, 3 * HOUR]
RESTS = [timedelta(minutes=1), timedelta(minutes=20), 2 * HOUR]


@st.composite
def with_a_heat_pump(draw: st.DrawFn) -> Scenario:
    day = draw(st.sampled_from(STARTS))
    forecast = draw(forecasts(day))
    others = tuple(channel for channel in draw(channels()) if channel.index not in (6, 7))
    pump = ChannelConfig(
        index=6,
        name="PAC",
        shed_at=draw(st.sampled_from(list(ShedAt))),
        run=draw(st.sampled_from(list(Run))),
        wiring=Wiring.NC,
        min_on=draw(st.sampled_from(CONSTRAINTS)),
        min_off=draw(st.sampled_from(CONSTRAINTS)),
        auto_restore=draw(st.booleans()),
        pilot=PilotConfig(
            relays=(6, 7),
            kind=Kind.SG_READY,
            normal=Order.NORMAL,
            low_carbon=Order.BOOST,
            orange=Order.BLOCKED,
            red=Order.BLOCKED,
            cut=Order.BLOCKED,
            max_blocked=draw(st.sampled_from(BOUNDS)),
            blocked_rest=draw(st.sampled_from(RESTS)),
        ),
    )
    config = Config(channels=(*others, pump), policy=draw(policies()))
    start = day.astimezone(UTC) + timedelta(minutes=draw(st.integers(0, 180)))
    end = start + timedelta(hours=draw(st.integers(3, 30)))
    return Scenario(forecast, config, start, end, ())


def _locks(
    scenario: Scenario, switches: list[tuple[datetime, bool]]
) -> list[tuple[datetime, datetime]]:
    """The heat pump's locks, (start, end); the last one ends with the scenario."""
    locks = []
    for (when, powered), following in itertools.zip_longest(switches, switches[1:]):
        if not powered:
            locks.append((when, following[0] if following else scenario.end))
    return locks


@SETTINGS
@given(with_a_heat_pump())
def test_no_automatic_lock_outlasts_its_bound_nor_follows_too_soon(scenario: Scenario) -> None:
    run = simulate(scenario, probe=True)
    constraints_hold(scenario, run)
    pump = scenario.config.channel(6)
    sg = pump.pilot
    assert sg is not None
    policy = scenario.config.policy
    # A release is a switch-on: min_off, the gap and the restore stagger may delay it.
    slack = (
        max(pump.min_off - sg.max_blocked, timedelta(0))
        + policy.min_switch_gap
        + policy.restore_gap * len(scenario.config.channels)
    )
    switches = [(s.at, s.powered) for s in run.switches if s.channel == 6]
    locks = _locks(scenario, switches)
    for start, end in locks:
        assert end - start <= sg.max_blocked + slack, (start, end, switches)
    for (start, end), (following, _) in itertools.pairwise(locks):
        rest = min(end - start, sg.blocked_rest)
        assert following - end >= rest, (start, end, following, switches)
