"""Invariants of the policy over random forecasts (with gaps), configurations and overrides.

A small simulation plays the service's loop on a virtual clock: evaluate, switch the relays
whose decision differs, remember the switches, jump to ``next_due`` or the next operator action.
Every invariant of the issue is then checked on what the relays did.
"""

from hypothesis import HealthCheck, given, settings
from support.policy_scenarios import (
    SETTINGS,
    Scenario,
    constraints_hold,
    powered_spans,
    scenarios,
    simulate,
    strained,
    uncovered,
)

from tui.core.policy import (
    RATE_WINDOW,
    Rule,
)

# --- the invariants ---------------------------------------------------------------------------


@SETTINGS
@given(scenarios())
def test_never_powered_in_a_shed_hour_unless_an_operator_forced_it(scenario: Scenario) -> None:
    run = simulate(scenario)
    for channel in scenario.config.channels:
        # After a force-powered override ends, the cut may wait for min_on, the switch gap or
        # the rate window of switches the operator caused; never longer.
        grace = max(channel.min_on, scenario.config.policy.min_switch_gap, RATE_WINDOW)
        excused = [(low, high + grace) for low, high in run.forced_on.get(channel.index, [])]
        for low, high in powered_spans(run, channel.index, scenario.end):
            for strain_low, strain_high in strained(scenario.forecast, channel):
                overlap = (max(low, strain_low), min(high, strain_high))
                if overlap[0] < overlap[1]:
                    assert not uncovered(overlap, excused), (channel, overlap)


@SETTINGS
@given(scenarios())
def test_min_on_min_off_gap_and_rate_limit_always_hold(scenario: Scenario) -> None:
    constraints_hold(scenario, simulate(scenario))


@SETTINGS
@given(scenarios())
def test_switch_ons_are_staggered_in_priority_order(scenario: Scenario) -> None:
    run = simulate(scenario)
    config = scenario.config
    gap = config.policy.restore_gap
    ons = [switch for switch in run.switches if switch.powered]
    for switch in ons:
        if switch.rule is Rule.OVERRIDE:
            continue  # never staggered: the operator is not fought
        for other in ons:
            if other is switch or other.at > switch.at:
                continue
            assert switch.at - other.at >= gap, (switch, other)
    # Within a wave, nobody more important was ready and left waiting for a restore slot.
    rank = {ch.index: (ch.priority, ch.index) for ch in config.channels}
    for now, before, evaluation in run.steps:
        decisions = evaluation.decisions
        started = [
            d.channel
            for d in decisions.values()
            if d.powered and before[d.channel].powered is not True and d.rule is not Rule.OVERRIDE
        ]
        for index in started:
            for other in decisions.values():
                if rank[other.channel] < rank[index] and other.wanted and not other.powered:
                    assert other.waiting is not None and other.wait_until is not None
                    assert not other.waiting.startswith(("restore slot", "restore_gap")), (
                        other,
                        index,
                    )
                    assert other.wait_until > now


@SETTINGS
@given(scenarios())
def test_overrides_are_obeyed_once_constraints_allow(scenario: Scenario) -> None:
    run = simulate(scenario)
    for now, _, evaluation in run.steps:
        for decision in evaluation.decisions.values():
            if decision.rule is Rule.OVERRIDE and decision.waiting is None:
                assert decision.powered is decision.wanted
                assert decision.latched is False
            if decision.waiting is not None:
                assert decision.wait_until is not None and decision.wait_until > now
                assert evaluation.next_due is not None and evaluation.next_due <= (
                    decision.wait_until
                )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_next_due_misses_no_change(scenario: Scenario) -> None:
    simulate(scenario, probe=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_result_is_deterministic(scenario: Scenario) -> None:
    first = simulate(scenario)
    second = simulate(scenario)
    assert first.switches == second.switches
    assert [step[2] for step in first.steps] == [step[2] for step in second.steps]
