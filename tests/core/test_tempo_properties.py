"""Invariants of the Tempo part of rule 2 over random Tempo weeks, forecasts, configurations and
operator actions, played by the same virtual-clock loop as the policy's own properties.

- No channel that lists "red" in shed_tempo is powered during a red day's peak hours unless an
  operator forced it (the same grace after the override as for Ecowatt).
- Nothing is cut by Tempo outside peak hours: every Tempo cut happens within ``lead`` of a
  listed peak, and every Tempo reason names a listed colour.
- Unknown colours never shed: a calendar with every value unknown plays exactly as no calendar.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.policy_scenarios import (
    SETTINGS,
    Scenario,
    powered_spans,
    scenarios,
    simulate,
    uncovered,
)

from tui.core.config import ChannelConfig, Config, ShedAt
from tui.core.forecast import PARIS
from tui.core.policy import RATE_WINDOW, Rule
from tui.core.tempo import Colour, TempoCalendar, TempoDay, day_start, peak_end

COLOURS = st.sampled_from([None, Colour.BLUE, Colour.WHITE, Colour.RED, Colour.RED])
LISTS = st.sampled_from(
    [(), (Colour.RED,), (Colour.RED,), (Colour.WHITE,), (Colour.RED, Colour.WHITE)]
)


@st.composite
def tempo_scenarios(draw: st.DrawFn, known: bool = True) -> Scenario:
    scenario = draw(scenarios())
    first = scenario.start.astimezone(PARIS).date() - timedelta(days=1)
    colours = draw(st.lists(COLOURS if known else st.none(), min_size=4, max_size=4))
    tempo = TempoCalendar(
        tuple(TempoDay(first + timedelta(days=i), c) for i, c in enumerate(colours))
    )
    channels = tuple(
        replace(ch, shed_tempo=draw(LISTS)) if ch.shed_at is not ShedAt.NEVER else ch
        for ch in scenario.config.channels
    )
    config = Config(channels=channels, policy=scenario.config.policy)
    # Half the runs start between 03:00 and 06:00, where restores meet the coming peak.
    shift = timedelta(hours=draw(st.sampled_from([0, 3])))
    actions = tuple(replace(action, at=action.at + shift) for action in scenario.actions)
    return replace(
        scenario,
        config=config,
        tempo=tempo,
        start=scenario.start + shift,
        end=scenario.end + shift,
        actions=actions,
    )


def _peaks(tempo: TempoCalendar, colours: set[Colour]) -> list[tuple[datetime, datetime]]:
    return [
        (day_start(day.day), peak_end(day.day))
        for day in tempo.days
        if day.colour is not None and day.colour in colours
    ]


@SETTINGS
@given(tempo_scenarios())
def test_no_red_channel_is_powered_in_a_red_peak_unless_forced(scenario: Scenario) -> None:
    assert scenario.tempo is not None
    run = simulate(scenario)
    for channel in scenario.config.channels:
        if Colour.RED not in channel.shed_tempo:
            continue
        grace = max(channel.min_on, scenario.config.policy.min_switch_gap, RATE_WINDOW)
        excused = [(low, high + grace) for low, high in run.forced_on.get(channel.index, [])]
        for low, high in powered_spans(run, channel.index, scenario.end):
            for peak_low, peak_high in _peaks(scenario.tempo, {Colour.RED}):
                overlap = (max(low, peak_low), min(high, peak_high))
                if overlap[0] < overlap[1]:
                    assert not uncovered(overlap, excused), (channel, overlap)


def _tempo_cut(reason: str) -> bool:
    return reason.startswith("Tempo ")


@SETTINGS
@given(tempo_scenarios())
def test_nothing_is_cut_by_tempo_outside_peak_hours(scenario: Scenario) -> None:
    assert scenario.tempo is not None
    run = simulate(scenario)
    lead = scenario.config.policy.lead
    by_index: dict[int, ChannelConfig] = {ch.index: ch for ch in scenario.config.channels}
    for now, _, evaluation in run.steps:
        for decision in evaluation.decisions.values():
            if decision.rule is not Rule.SHED or not _tempo_cut(decision.reason):
                continue
            channel = by_index[decision.channel]
            listed = set(channel.shed_tempo)
            named = Colour(decision.reason.split()[1].rstrip(","))
            assert named in listed, (decision, channel)
            # The cut is within lead of a peak of a listed colour, in peak hours or just before.
            assert any(low - lead <= now < high for low, high in _peaks(scenario.tempo, listed)), (
                now,
                decision,
            )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tempo_scenarios())
def test_next_due_misses_no_tempo_change(scenario: Scenario) -> None:
    simulate(scenario, probe=True)


@SETTINGS
@given(tempo_scenarios(known=False))
def test_unknown_colours_never_shed(scenario: Scenario) -> None:
    with_unknown = simulate(scenario)
    without = simulate(replace(scenario, tempo=None))
    assert with_unknown.switches == without.switches
    for _, _, evaluation in with_unknown.steps:
        assert not any(_tempo_cut(d.reason) for d in evaluation.decisions.values())
