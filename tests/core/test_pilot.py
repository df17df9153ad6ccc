"""Pilot-wire channels: the four orders on two relays, the safe order of the two commands, the
configuration, and the properties of issue 25 (never Arrêt unless configured; the two relays
never switch faster than the switching limit) over random forecasts, overrides and orders."""

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.policy import levels, orders_each_hour
from support.policy_scenarios import SETTINGS, Scenario, scenarios

from tui.core.config import ChannelConfig, Config, Wiring, config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.core.pilot import (
    KIND_ORDERS,
    RATE_LIMIT,
    RATE_WINDOW,
    HalfWave,
    Kind,
    Order,
    PilotConfig,
    RelayLog,
    drive,
    order_of,
    parse_order,
    relay_states,
    transition,
)
from tui.core.pilot_orders import orders
from tui.core.policy import Override, RelayHistory, evaluate, record_switch

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
PILOT = PilotConfig(relays=(2, 3))


def test_the_four_orders_on_two_relays() -> None:
    # relays = [positive, negative]; Hors-gel is the negative half-wave unless configured.
    assert relay_states(Order.CONFORT, PILOT) == {2: False, 3: False}
    assert relay_states(Order.ECO, PILOT) == {2: True, 3: True}
    assert relay_states(Order.HORS_GEL, PILOT) == {2: False, 3: True}
    assert relay_states(Order.ARRET, PILOT) == {2: True, 3: False}
    swapped = replace(PILOT, hors_gel=HalfWave.POSITIVE)
    assert relay_states(Order.HORS_GEL, swapped) == {2: True, 3: False}
    assert relay_states(Order.ARRET, swapped) == {2: False, 3: True}
    for pilot, order in itertools.product((PILOT, swapped), PILOT.orders):
        assert order_of(relay_states(order, pilot), pilot) is order
    assert order_of({2: None, 3: True}, PILOT) is None


def test_orders_as_people_type_them() -> None:
    assert parse_order("Éco") is Order.ECO
    assert parse_order("hors_gel") is Order.HORS_GEL
    assert parse_order("arrêt") is Order.ARRET
    with pytest.raises(ValueError, match="confort"):
        parse_order("chaud")


STATES = [None, False, True]


@pytest.mark.parametrize("hors_gel", list(HalfWave))
def test_no_transition_passes_through_arret(hors_gel: HalfWave) -> None:
    pilot = PilotConfig(relays=(5, 1), hors_gel=hors_gel)
    for positive, negative, target in itertools.product(STATES, STATES, PILOT.orders):
        if target is Order.ARRET:
            continue
        current = {5: positive, 1: negative}
        moves = transition(current, target, pilot)
        assert len({relay for relay, _ in moves}) == len(moves)  # each relay at most once
        state = dict(current)
        for relay, on in moves:
            state[relay] = on
            # Every state on the way, an unknown relay taken either way, is not Arrêt.
            for completion in itertools.product(
                *[(v,) if v is not None else (False, True) for v in state.values()]
            ):
                seen = order_of(dict(zip(state, completion, strict=True)), pilot)
                assert seen is not Order.ARRET, (current, target, moves)
        assert order_of(state, pilot) is target


def test_confort_to_eco_closes_the_hors_gel_relay_first() -> None:
    assert transition({2: False, 3: False}, Order.ECO, PILOT) == [(3, True), (2, True)]
    assert transition({2: True, 3: True}, Order.CONFORT, PILOT) == [(2, False), (3, False)]


# --- the configuration ------------------------------------------------------------------------

PLAIN = {"index": 0, "name": "Chauffe-eau", "shed_at": "red"}


def load(pilot: object, **extra: object) -> Config:
    radiator = {"index": 2, "name": "Radiateur", "shed_at": "orange", "pilot": pilot, **extra}
    return config_from_dict({"channel": [PLAIN, radiator]}, "home.toml")


def test_a_pilot_channel_loads_as_nc_and_writes_back() -> None:
    config = load({"relays": [2, 3], "red": "hors-gel", "orange": "Éco"})
    channel = config.channel(2)
    assert channel.pilot == PilotConfig(relays=(2, 3))
    assert channel.wiring is Wiring.NC  # released relays give Confort: "powered"
    assert channel.relays == (2, 3)
    assert config_from_dict(config_to_dict(config)) == config


@pytest.mark.parametrize(
    ("pilot", "extra", "line"),
    [
        ({"relays": [2, 0]}, {}, "channel[1].pilot.relays: relay 0 is already driven by "),
        ({"relays": [4, 3]}, {}, "channel[1].pilot.relays: expected the channel's index (2)"),
        ({"relays": [2, 9]}, {}, "channel[1].pilot.relays: expected two different relay numbers"),
        ({"relays": [2, 2]}, {}, "channel[1].pilot.relays: expected two different relay numbers"),
        ({}, {}, "channel[1].pilot.relays: missing (required)"),
        ({"relays": [2, 3], "red": "arret"}, {}, "channel[1].pilot.red: expected an order other"),
        ({"relays": [2, 3], "cut": "chaud"}, {}, 'channel[1].pilot.cut: expected one of "confort"'),
        ({"relays": [2, 3], "hors_gel": "up"}, {}, "channel[1].pilot.hors_gel: expected "),
        ({"relays": [2, 3], "allow_off": 1}, {}, "channel[1].pilot.allow_off: expected true or"),
        ({"relays": [2, 3], "colour": 1}, {}, "channel[1].pilot.colour: unknown key"),
        ("yes", {}, "channel[1].pilot: expected a table, e.g. pilot = { relays = [2, 3] }, got"),
        ({"relays": [2, 3]}, {"wiring": "no"}, 'channel[1].wiring: expected "nc" or no wiring'),
    ],
)
def test_a_bad_pilot_key_is_one_line_naming_file_and_key(
    pilot: object, extra: dict[str, object], line: str
) -> None:
    with pytest.raises(InputError) as caught:
        load(pilot, **extra)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"home.toml: {line}")


def test_arret_only_when_allowed() -> None:
    config = load({"relays": [2, 3], "red": "arret", "allow_off": True})
    pilot = config.channel(2).pilot
    assert pilot is not None and pilot.red is Order.ARRET


def test_a_plain_channel_on_a_pilot_channels_second_relay_is_refused() -> None:
    radiator = {"index": 2, "name": "Radiateur", "shed_at": "orange", "pilot": {"relays": [2, 3]}}
    other = {"index": 3, "name": "Four", "shed_at": "red"}
    with pytest.raises(InputError, match=r"channel\[1\]\.index: relay 3 is already driven by "):
        config_from_dict({"channel": [radiator, other]}, "home.toml")


# --- the orders of a decision -------------------------------------------------------------------


def pilot_config(**pilot: object) -> Config:
    radiator = {"index": 2, "name": "Radiateur", "shed_at": "orange"}
    return config_from_dict({"channel": [{**radiator, "pilot": {"relays": [2, 3], **pilot}}]})


def test_orders_per_level_and_for_an_override() -> None:
    config = pilot_config()
    signal = levels("1231", T0)
    seen = orders_each_hour(config, signal, 2, T0 + timedelta(minutes=50), 4)
    history = {2: RelayHistory(powered=True)}
    # 06:50: orange within the lead, Éco; 07:50: red within the lead, Hors-gel; then Confort.
    assert seen == [Order.ECO, Order.HORS_GEL, Order.HORS_GEL, Order.CONFORT]
    forced = {2: Override(powered=False, since=T0)}
    decisions = evaluate(T0, signal, config, forced, history).decisions
    assert orders(config, decisions, signal, T0) == {2: Order.HORS_GEL}  # cut: pilot.cut
    assert orders(config, decisions, signal, T0, {2: Order.ECO}) == {2: Order.ECO}
    assert orders(config, decisions, signal, T0, {2: Order.ARRET}) == {2: Order.HORS_GEL}


# --- the properties ---------------------------------------------------------------------------


@st.composite
def pilot_scenarios(draw: st.DrawFn) -> tuple[Scenario, PilotConfig]:
    """A random scenario whose channels on 0..3 include a pilot-wire or SG-Ready channel on
    relays (0, 4) or (4, 0), with random orders (Arrêt only with allow_off, max only with
    allow_max; an SG-Ready's normal never blocked)."""
    scenario = draw(scenarios())
    kind = draw(st.sampled_from(list(Kind)))
    allow = draw(st.booleans())
    strongest = Order.MAX if kind is Kind.SG_READY else Order.ARRET
    choices = [o for o in KIND_ORDERS[kind] if allow or o is not strongest]
    running = [o for o in choices if o is not Order.BLOCKED]
    pilot = PilotConfig(
        relays=draw(st.sampled_from([(0, 4), (4, 0)])),
        hors_gel=draw(st.sampled_from(list(HalfWave))),
        normal=draw(st.sampled_from(running)),
        orange=draw(st.sampled_from(choices)),
        red=draw(st.sampled_from(choices)),
        cut=draw(st.sampled_from(choices)),
        allow_off=allow and kind is Kind.PILOT,
        kind=kind,
        low_carbon=draw(st.sampled_from(running)) if kind is Kind.SG_READY else None,
        allow_max=allow and kind is Kind.SG_READY,
    )
    channels = [c for c in scenario.config.channels if c.index not in (0, 4)]
    first = scenario.config.channels[0]
    radiator = replace(first, index=0, name="radiateur", wiring=Wiring.NC, pilot=pilot)
    config = replace(scenario.config, channels=tuple(sorted([radiator, *channels], key=_index)))
    actions = tuple(
        a if a.channel in {c.index for c in config.channels} else replace(a, channel=0)
        for a in scenario.actions
    )
    return replace(scenario, config=config, actions=actions), pilot


def _index(channel: ChannelConfig) -> int:
    return channel.index


def simulate_pilot(
    scenario: Scenario, forced_orders: dict[int, Order]
) -> tuple[list[tuple[datetime, int, bool]], list[tuple[datetime, Order]]]:
    """The service's loop with the pilot drive: every physical relay switch, every order seen."""
    config = scenario.config
    gap = config.policy.min_switch_gap
    history = {c.index: RelayHistory() for c in config.channels}
    overrides: dict[int, Override] = {}
    logs: dict[int, RelayLog] = {}
    pending = list(scenario.actions)
    switches: list[tuple[datetime, int, bool]] = []
    states: list[tuple[datetime, Order]] = []
    pilot = config.channel(0).pilot
    assert pilot is not None
    now = scenario.start
    retry: datetime | None = None
    while now < scenario.end:
        while pending and pending[0].at <= now:
            action = pending.pop(0)
            overrides.pop(action.channel, None)
            if action.powered is not None:
                until = action.at + action.length if action.length else None
                overrides[action.channel] = Override(action.powered, action.at, until)
        evaluation = evaluate(now, scenario.forecast, config, overrides, history)
        for decision in evaluation.decisions.values():
            item = history[decision.channel]
            if decision.powered != item.powered:
                item = record_switch(item, decision.powered, now)
            history[decision.channel] = replace(item, latched=decision.latched)
        wanted = orders(config, evaluation.decisions, scenario.forecast, now, forced_orders)[0]
        step = drive(pilot, logs, wanted, now, gap)
        for relay, on in step.moves:
            logs = {**logs, relay: logs.get(relay, RelayLog()).switched(on, now)}
            switches.append((now, relay, on))
            reached = order_of({r: logs.get(r, RelayLog()).energised for r in pilot.relays}, pilot)
            if reached is not None:
                states.append((now, reached))
        retry = step.retry_at
        times = [t for t in (evaluation.next_due, retry, pending[0].at if pending else None) if t]
        now = min(times) if times else scenario.end
    return switches, states


@SETTINGS
@given(pilot_scenarios(), st.sampled_from([None, *Order]))
def test_a_pilot_channel_never_goes_to_arret_unless_configured(
    drawn: tuple[Scenario, PilotConfig], forced: Order | None
) -> None:
    """Nor an SG-Ready heat pump to max, whatever the operator names."""
    scenario, pilot = drawn
    _, states = simulate_pilot(scenario, {0: forced} if forced else {})
    if not pilot.allow_off:
        assert all(order is not Order.ARRET for _, order in states), states
    if not pilot.allow_max:
        assert all(order is not Order.MAX for _, order in states), states


@SETTINGS
@given(pilot_scenarios(), st.sampled_from([None, *Order]))
def test_the_two_relays_never_switch_faster_than_the_limit(
    drawn: tuple[Scenario, PilotConfig], forced: Order | None
) -> None:
    scenario, pilot = drawn
    switches, _ = simulate_pilot(scenario, {0: forced} if forced else {})
    gap = scenario.config.policy.min_switch_gap
    for relay in pilot.relays:
        times = [at for at, which, _ in switches if which == relay]
        for before, after in itertools.pairwise(times):
            assert after - before >= gap
        for first, last in zip(times, times[RATE_LIMIT:], strict=False):
            assert last - first >= RATE_WINDOW, f"relay {relay}: more than 20 switches in 60 s"
