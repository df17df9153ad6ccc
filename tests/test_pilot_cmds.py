"""Pilot-wire channels on the command line: `test-relays` walks the orders on the two relays,
`force CH eco` names an order (a bad one is one line, exit 2), `plan` shows the orders."""

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from support.signals import body, day_entry

from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.core.config import config_from_dict
from tui.core.errors import InputError
from tui.core.pilot import Order, PilotConfig, order_of
from tui.core.plan import build_plan, plan_to_json, render_plan_text
from tui.core.signals import parse_signals
from tui.frontends.control_cmds import force_order
from tui.frontends.test_relays_cmd import run_test_relays

START = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def document(tmp_path: Path, **pilot: Any) -> dict[str, Any]:
    return {
        "ecowatt": {"source": "demo"},
        "board": {"kind": "simulated"},
        "service": {"state_dir": str(tmp_path / "state")},
        "channel": [
            {"index": 0, "name": "Chauffe-eau", "shed_at": "orange"},
            {
                "index": 2,
                "name": "Radiateurs",
                "shed_at": "orange",
                "pilot": {"relays": [2, 6], **pilot},
            },
        ],
    }


@pytest.mark.parametrize("allow_off", [False, True])
def test_test_relays_walks_the_orders_and_comes_back(tmp_path: Path, allow_off: bool) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text(tomli_w.dumps(document(tmp_path, allow_off=allow_off)))
    clock = ManualClock(START)
    board = SimulatedBoard([0, 2, 6], clock)
    out, err = io.StringIO(), io.StringIO()
    status = run_test_relays(
        str(path), "Radiateurs", True, 0.0, out, err, board=board, clock=clock, sleep=clock.advance
    )
    assert status == 0, out.getvalue() + err.getvalue()
    pilot = PilotConfig(relays=(2, 6), allow_off=allow_off)
    states = {2: False, 6: False}
    seen = []
    for transition in board.transitions:
        if transition.channel in states:
            states[transition.channel] = transition.energised
            order = order_of(states, pilot)
            if seen and seen[-1] == order:
                continue
            seen.append(order)
    walked = [Order.HORS_GEL, Order.ECO, Order.HORS_GEL]
    if allow_off:
        walked += [Order.ECO, Order.ARRET]  # through Éco, never straight from Hors-gel
        assert seen[: len(walked)] == walked, seen
    else:
        assert Order.ARRET not in seen
        assert seen[:3] == walked, seen
    assert seen[-1] == Order.CONFORT
    text = out.getvalue()
    assert "relays 2+6 Radiateurs: Éco, board's library confirms Éco (ok)" in text
    assert "Confort (back)" in text
    assert ("Arrêt skipped" in text) is not allow_off
    assert board.rate_violations() == []


def test_force_takes_an_order_only_on_a_pilot_channel(tmp_path: Path) -> None:
    config = config_from_dict(document(tmp_path))
    assert force_order(config.channel(2), "Éco") == "eco"
    assert force_order(config.channel(2), "on") is None
    with pytest.raises(
        InputError, match="STATE: Chauffe-eau is not a pilot-wire or SG-Ready channel"
    ):
        force_order(config.channel(0), "eco")
    with pytest.raises(InputError, match="STATE: Radiateurs: Arrêt is not allowed on this channel"):
        force_order(config.channel(2), "arret")
    with pytest.raises(InputError, match='STATE: expected on, off or an order \\(one of "confort"'):
        force_order(config.channel(2), "chaud")


def test_plan_shows_the_orders_of_a_strained_day(tmp_path: Path) -> None:
    config = config_from_dict(document(tmp_path))
    signal = parse_signals(body(day_entry(START.date(), [1] * 8 + [2, 2, 3, 3] + [1] * 12)))
    plan = build_plan(signal, config, START, START.replace(hour=23))
    orders = [(change.at.hour, change.order) for change in plan.changes if change.channel == 2]
    # Paris 07:45 is 06:45 UTC: Éco; red within the lead at 09:45: Hors-gel; Confort at 12:00.
    assert orders == [(6, "eco"), (8, "hors-gel"), (11, "confort")]
    document_json = plan_to_json(plan, config)
    assert document_json["initial_orders"] == {"2": "confort"}
    assert [c.get("order") for c in json.loads(json.dumps(document_json))["changes"]][-1]
    text = render_plan_text(plan, config)
    assert "pilot wire on relays 2 and 6" in text
    assert "09:45  Hors-gel  orange 08:00-12:00, red 10:00-12:00" in text


def test_the_relay_grid_and_status_show_the_order_not_two_relays() -> None:
    from tui.frontends.app.relays import detail, render_grid
    from tui.frontends.control_cmds import render_status  # noqa: F401  # the same words
    from tui.frontends.words import channel_state_word
    from tui.service.snapshot import ChannelView

    view = ChannelView(
        index=2,
        name="Radiateurs",
        wiring="nc",
        powered=False,
        wanted=False,
        mode="auto",
        until=None,
        rule="shed",
        reason="red 10:00-12:00",
        order="hors-gel",
    )
    assert channel_state_word(view) == "HORS-GEL"
    grid = render_grid((view,), 2, START, 80).plain
    assert "HORS-GEL" in grid and " CUT " not in grid
    assert "HORS-GEL (pilot wire)" in detail(view, START).plain


def test_the_mqtt_channel_state_carries_the_order() -> None:
    from tui.frontends.mqtt.topics import channel_state
    from tui.service.snapshot import ChannelView

    common: dict[str, Any] = {
        "index": 2,
        "name": "Radiateurs",
        "wiring": "nc",
        "powered": False,
        "wanted": False,
        "mode": "forced",
        "until": None,
        "rule": "override",
        "reason": "forced Éco by operator until released",
    }
    assert channel_state(ChannelView(**common, order="eco"))["order"] == "eco"
    assert "order" not in channel_state(ChannelView(**common))


def test_a_reload_that_changes_a_pilot_channel_needs_a_restart(tmp_path: Path) -> None:
    from tui.service.operator import restart_needed

    running = config_from_dict(document(tmp_path))
    swapped = config_from_dict(document(tmp_path, hors_gel="positive"))
    assert restart_needed(running, running) is None
    problem = restart_needed(running, swapped)
    assert problem is not None and "a channel's pilot settings need a restart" in problem


def test_an_mqtt_set_names_a_pilot_order() -> None:
    from tui.frontends.mqtt.commands import parse_command

    assert parse_command("2", b"eco", START).order == "eco"
    assert parse_command("2", b"Hors-gel", START).order == "hors-gel"
    assert parse_command("2", b"off", START).order is None
