"""SG-Ready heat pumps in the service and on the command line: one channel of the policy, the
heat pump's two SG inputs on two relays.

On a virtual clock with the simulated board and a saved forecast (low-carbon 00:00-06:00,
orange 08:00-10:00 on 2 December): the two relays go boost, normal, blocked, normal, never
through blocked or max on the way, within the switching limit; status, the event log, `plan`,
`test-relays` and an operator's named order say the operating state, not two raw relays."""

import asyncio
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from support.service import at, make_controller, running
from support.signals import body, day_entry

from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.adapters.stores.state import StateStore
from tui.core.config import Config, config_from_dict
from tui.core.errors import InputError
from tui.core.events import RelayEvent
from tui.core.pilot import Order, order_of
from tui.core.plan import build_plan, render_plan_text
from tui.core.policy import Override
from tui.core.signals import parse_signals
from tui.core.state_vetting import owners_of
from tui.frontends.control_cmds import force_order
from tui.frontends.event_text import event_summary
from tui.frontends.test_relays_cmd import run_test_relays

DAY = date(2026, 12, 2)
MIDNIGHT = at("2026-12-02T00:00:00+01:00")
LEVELS = [0] * 6 + [1] * 2 + [2, 2] + [1] * 14


def document(tmp_path: Path, **sg_ready: Any) -> dict[str, Any]:
    forecast = tmp_path / "forecast.json"
    forecast.write_text(body(day_entry(DAY, LEVELS)))
    return {
        "ecowatt": {"source": "file", "file": str(forecast)},
        "board": {"kind": "simulated"},
        "policy": {"restore_gap": "60s", "min_switch_gap": "5s"},
        "service": {"state_dir": str(tmp_path / "state")},
        "channel": [
            {"index": 0, "name": "Chauffe-eau", "shed_at": "red"},
            {
                "index": 1,
                "name": "Pompe à chaleur",
                "shed_at": "orange",
                "sg_ready": {"relays": [1, 4], **sg_ready},
            },
        ],
    }


def sg_config(tmp_path: Path, **sg_ready: Any) -> Config:
    return config_from_dict(document(tmp_path, **sg_ready), path="test.toml")


async def test_the_two_relays_walk_the_operating_states_of_the_day(tmp_path: Path) -> None:
    config = sg_config(tmp_path)
    sg = config.channel(1).pilot
    assert sg is not None
    start = MIDNIGHT + timedelta(hours=5)
    clock = ManualClock(start, auto_advance=True)
    controller, board = make_controller(config, clock)
    await asyncio.wait_for(controller.run(until=start + timedelta(hours=6)), 60)
    states = {1: False, 4: False}
    seen = []
    for transition in board.transitions:
        if transition.channel not in states:
            continue
        states[transition.channel] = transition.energised
        order = order_of(states, sg)
        # Never locked nor at max on the way (a lock stops the compressor for minutes).
        assert order is not Order.MAX, board.transitions
        if order is Order.BLOCKED:
            assert states == {1: True, 4: False}
        seen.append((transition.at, order))
    orders = [order for _, order in seen]
    # 05:00 low-carbon: boost; 06:00 green: normal; 07:45 orange within the lead: blocked;
    # 09:45 normal: a lock lasts 2 h at most (sg_ready.max_blocked), though orange ends 10:00.
    assert orders[:4] == [Order.BOOST, Order.NORMAL, Order.BLOCKED, Order.NORMAL], seen
    assert seen[1][0] == at("2026-12-02T06:00:00+01:00")
    assert seen[2][0] == at("2026-12-02T07:45:00+01:00")
    assert seen[3][0] == at("2026-12-02T09:45:00+01:00"), seen
    assert board.rate_violations() == []
    words = [
        event_summary(e)
        for e in read_events(tmp_path / "state")
        if isinstance(e, RelayEvent) and e.channel == 1
    ]
    assert any(text.startswith("Pompe à chaleur: BOOST (") for text in words), words
    assert any(text.startswith("Pompe à chaleur: BLOCKED (") for text in words), words
    assert any("blocked 2h at most at a time (max_blocked)" in text for text in words), words


async def test_status_shows_the_state_and_an_operator_names_boost(tmp_path: Path) -> None:
    config = sg_config(tmp_path)
    clock = ManualClock(at("2026-12-02T08:30:00+01:00"), auto_advance=False)
    controller, board = make_controller(config, clock)
    async with running(controller):
        await controller.settle()
        status = (await controller.snapshot()).to_status()
        assert status["channels"][1]["order"] == "blocked"
        assert status["channels"][1]["powered"] is False
        clock.advance(600)
        message = await controller.force(1, True, duration=timedelta(hours=1), order="boost")
        assert "forced Boost" in message
        view = (await controller.snapshot()).channel(1)
        assert view.order == "boost"
        assert (board.relay(1), board.relay(4)) == (False, True)
        with pytest.raises(InputError, match="'eco' is not an order of an SG-Ready channel"):
            await controller.force(1, False, order="eco")
        with pytest.raises(InputError, match=r"max is not allowed .*allow_max = false"):
            await controller.force(1, True, order="max")


def test_force_on_the_command_line_takes_the_heat_pumps_states(tmp_path: Path) -> None:
    config = sg_config(tmp_path)
    pump, heater = config.channel(1), config.channel(0)
    assert force_order(pump, "boost") == "boost"
    assert force_order(pump, "on") is None
    with pytest.raises(InputError, match=r"STATE: Pompe à chaleur: 'eco' is not an order of an"):
        force_order(pump, "eco")
    with pytest.raises(InputError, match=r'expected on, off or an order \(one of "blocked"'):
        force_order(pump, "chaud")
    with pytest.raises(InputError, match="not a pilot-wire or SG-Ready channel"):
        force_order(heater, "boost")
    assert force_order(sg_config(tmp_path, allow_max=True).channel(1), "max") == "max"


@pytest.mark.parametrize("allow_max", [False, True])
def test_test_relays_walks_the_states_and_comes_back(tmp_path: Path, allow_max: bool) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text(tomli_w.dumps(document(tmp_path, allow_max=allow_max)))
    sg = sg_config(tmp_path, allow_max=allow_max).channel(1).pilot
    assert sg is not None
    clock = ManualClock(MIDNIGHT)
    board = SimulatedBoard([0, 1, 4], clock)
    out, err = io.StringIO(), io.StringIO()
    status = run_test_relays(
        str(path), "Pompe à chaleur", True, 0.0, out, err, board=board, clock=clock,
        sleep=clock.advance,
    )  # fmt: skip
    assert status == 0, out.getvalue() + err.getvalue()
    states = {1: False, 4: False}
    seen: list[Order | None] = []
    for transition in board.transitions:
        if transition.channel in states:
            states[transition.channel] = transition.energised
            order = order_of(states, sg)
            if not seen or seen[-1] != order:
                seen.append(order)
    walked = [Order.BLOCKED, Order.NORMAL, Order.BOOST]  # blocked to boost by normal
    if allow_max:
        walked.append(Order.MAX)
    assert seen[: len(walked)] == walked, seen
    assert (Order.MAX in seen) is allow_max
    assert seen[-1] == Order.NORMAL
    text = out.getvalue()
    assert "Pompe à chaleur (SG-Ready, input 1 then input 2)" in text
    assert "Boost, board's library confirms Boost (ok): the heat pump should be in Boost" in text
    assert ("max skipped" in text) is not allow_max
    assert board.rate_violations() == []


def test_plan_says_the_heat_pumps_states(tmp_path: Path) -> None:
    config = sg_config(tmp_path)
    forecast_file = tmp_path / "forecast.json"
    forecast = parse_signals(forecast_file.read_text())
    plan = build_plan(forecast, config, MIDNIGHT, MIDNIGHT + timedelta(hours=12))
    changes = [(c.at, c.order) for c in plan.changes if c.channel == 1]
    assert plan.initial_orders[1] == "boost"
    # Blocked from 07:45 (orange 08:00-10:00 within the lead): 2 h at most, normal at 09:45.
    assert changes[:3] == [
        (at("2026-12-02T06:00:00+01:00"), "normal"),
        (at("2026-12-02T07:45:00+01:00"), "blocked"),
        (at("2026-12-02T09:45:00+01:00"), "normal"),
    ], changes
    bound = next(c for c in plan.changes if c.channel == 1 and c.at == changes[2][0])
    assert bound.reason == (
        "orange 08:00-10:00: blocked 2h at most at a time (max_blocked), normal until 11:45"
    ), bound.reason
    unbounded = sg_config(tmp_path, max_blocked="0s")
    plan = build_plan(forecast, unbounded, MIDNIGHT, MIDNIGHT + timedelta(hours=12))
    changes = [(c.at, c.order) for c in plan.changes if c.channel == 1]
    assert changes[2] == (at("2026-12-02T10:00:00+01:00"), "normal"), changes
    text = render_plan_text(plan, config)
    assert "SG-Ready on relays 1 and 4" in text
    assert "Blocked" in text and "Boost" in text


async def test_a_hand_edited_max_without_allow_max_is_said_and_runs_normal(
    tmp_path: Path,
) -> None:
    """A forced max in state.json on a heat pump whose allow_max is false: normal is sent, and
    neither the reason nor the grid says max; the start says what was taken instead."""
    config = sg_config(tmp_path)
    now = at("2026-12-02T06:30:00+01:00")
    saved = Override(powered=True, since=now, until=now + timedelta(hours=1), order="max")
    StateStore(tmp_path / "state").save({1: saved}, {}, owners_of(config.channels))
    clock = ManualClock(now, auto_advance=False)
    controller, board = make_controller(config, clock)
    async with running(controller):
        await controller.settle()
        view = (await controller.snapshot()).channel(1)
        assert (view.order, view.forced_order, view.mode) == ("normal", None, "forced")
        assert view.reason == "forced on by operator until 07:30", view.reason
        assert (board.relay(1), board.relay(4)) == (False, False)
    texts = [event_summary(e) for e in read_events(tmp_path / "state")]
    assert any("names 'max', which it may not be sent" in text for text in texts), texts
