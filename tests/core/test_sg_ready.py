"""SG-Ready heat pumps on the pilot-wire model (issue 25): the BWP table of the four operating
states on two relays, the safe order of the two commands, the configuration, and the orders of
a decision (blocked when cut, boost in a low-carbon hour, max only when allowed)."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from support.policy import levels, orders_each_hour

from tui.core.config import Config, Wiring, config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.core.pilot import Kind, Order, order_of, relay_states, transition
from tui.core.pilot_orders import orders
from tui.core.policy import Override, RelayHistory, evaluate

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
PLAIN = {"index": 0, "name": "Chauffe-eau", "shed_at": "red"}


def load(sg_ready: object, **extra: object) -> Config:
    pump = {"index": 4, "name": "PAC", "shed_at": "orange", "sg_ready": sg_ready, **extra}
    return config_from_dict({"channel": [PLAIN, pump]}, "home.toml")


def pump(**sg_ready: object) -> Config:
    return load({"relays": [4, 5], **sg_ready})


def test_the_four_states_are_the_bwp_table() -> None:
    """Input 1 then input 2 closed: 1:0 blocked, 0:0 normal, 0:1 boost, 1:1 max."""
    sg = pump().channel(4).pilot
    assert sg is not None and sg.kind is Kind.SG_READY
    assert relay_states(Order.BLOCKED, sg) == {4: True, 5: False}
    assert relay_states(Order.NORMAL, sg) == {4: False, 5: False}
    assert relay_states(Order.BOOST, sg) == {4: False, 5: True}
    assert relay_states(Order.MAX, sg) == {4: True, 5: True}
    for order in sg.orders:
        assert order_of(relay_states(order, sg), sg) is order


STATES = [None, False, True]


def test_no_transition_passes_through_blocked_or_max() -> None:
    """A lock on the way would stop the compressor for its restart delay; max is not what was
    asked. Every state between the two commands, an unknown relay taken either way."""
    sg = pump(allow_max=True).channel(4).pilot
    assert sg is not None
    for first, second, target in itertools.product(STATES, STATES, sg.orders):
        current = {4: first, 5: second}
        moves = transition(current, target, sg)
        state = dict(current)
        for relay, on in moves[:-1]:
            state[relay] = on
            for completion in itertools.product(
                *[(v,) if v is not None else (False, True) for v in state.values()]
            ):
                middle = order_of(dict(zip(state, completion, strict=True)), sg)
                assert middle is target or middle not in (Order.BLOCKED, Order.MAX), moves
        for relay, on in moves[-1:]:
            state[relay] = on
        assert order_of(state, sg) is target
    # Normal to max goes by boost (input 2 first), max to normal likewise.
    assert transition({4: False, 5: False}, Order.MAX, sg) == [(5, True), (4, True)]
    assert transition({4: True, 5: True}, Order.NORMAL, sg) == [(4, False), (5, False)]


def test_a_heat_pump_loads_as_nc_with_its_defaults_and_writes_back() -> None:
    config = pump()
    channel = config.channel(4)
    sg = channel.pilot
    assert sg is not None
    assert channel.wiring is Wiring.NC  # both released: normal running
    assert (sg.normal, sg.low_carbon) == (Order.NORMAL, Order.BOOST)
    assert (sg.orange, sg.red, sg.cut) == (Order.BLOCKED,) * 3
    assert not sg.allow_max
    document = config_to_dict(config)
    assert "sg_ready" in document["channel"][1] and "pilot" not in document["channel"][1]
    assert config_from_dict(document) == config


@pytest.mark.parametrize(
    ("sg_ready", "extra", "line"),
    [
        ({"relays": [4, 4]}, {}, "channel[1].sg_ready.relays: expected two different relay"),
        ({"relays": [3, 5]}, {}, "channel[1].sg_ready.relays: expected the channel's index (4)"),
        ({}, {}, "channel[1].sg_ready.relays: missing (required)"),
        ({"relays": [4, 5], "red": "max"}, {}, "channel[1].sg_ready.red: expected an order other"),
        (
            {"relays": [4, 5], "cut": "eco"},
            {},
            'channel[1].sg_ready.cut: expected one of "blocked"',
        ),
        ({"relays": [4, 5], "normal": "blocked"}, {}, "channel[1].sg_ready.normal: expected an"),
        ({"relays": [4, 5], "hors_gel": "positive"}, {}, "channel[1].sg_ready.hors_gel: unknown"),
        ({"relays": [4, 5], "allow_max": "yes"}, {}, "channel[1].sg_ready.allow_max: expected tr"),
        ("yes", {}, "channel[1].sg_ready: expected a table, e.g. sg_ready = { relays = [4, 5] }"),
        ({"relays": [4, 5]}, {"wiring": "no"}, 'channel[1].wiring: expected "nc" or no wiring'),
        (
            {"relays": [4, 5]},
            {"pilot": {"relays": [4, 5]}},
            "channel[1].sg_ready: a channel is a pilot wire or an SG-Ready heat pump, not both",
        ),
    ],
)
def test_a_bad_sg_ready_key_is_one_line_naming_file_and_key(
    sg_ready: object, extra: dict[str, object], line: str
) -> None:
    with pytest.raises(InputError) as caught:
        load(sg_ready, **extra)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"home.toml: {line}")


def test_blocked_when_shed_boost_in_a_low_carbon_hour_normal_otherwise() -> None:
    config = pump()
    signal = levels("0121", T0)
    seen = orders_each_hour(config, signal, 4, T0 + timedelta(minutes=10), 4)
    # 06:10 low-carbon: boost; 07:10 green, orange not yet within the lead: normal;
    # 08:10 orange: blocked; 09:10 green again: normal.
    assert seen == [Order.BOOST, Order.NORMAL, Order.BLOCKED, Order.NORMAL]


def test_the_operator_may_name_boost_and_max_only_where_allowed() -> None:
    config = pump()
    signal = levels("11", T0)
    history = {i: RelayHistory(powered=True) for i in (0, 4)}
    forced = {4: Override(powered=True, since=T0)}
    decisions = evaluate(T0, signal, config, forced, history).decisions
    assert orders(config, decisions, signal, T0, {4: Order.BOOST}) == {4: Order.BOOST}
    # max without allow_max: the override stays a plain "on", normal running.
    assert orders(config, decisions, signal, T0, {4: Order.MAX}) == {4: Order.NORMAL}
    allowed = pump(allow_max=True)
    assert orders(allowed, decisions, signal, T0, {4: Order.MAX}) == {4: Order.MAX}
    # A pilot wire's order named on a heat pump is not sent either.
    assert orders(config, decisions, signal, T0, {4: Order.ECO}) == {4: Order.NORMAL}
    sg = config.channel(4).pilot
    assert sg is not None
    assert sg.refusal(Order.ECO) is not None and "SG-Ready" in (sg.refusal(Order.ECO) or "")
    assert "allow_max" in (sg.refusal(Order.MAX) or "")
    assert sg.refusal(Order.BOOST) is None
    assert sg.powers(Order.BOOST) and not sg.powers(Order.BLOCKED)
