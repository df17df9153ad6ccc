"""Pilot-wire channels in the service: one channel of the policy, two relays on the board.

On a virtual clock with the simulated board and a saved forecast (orange 08:00-10:00, red
10:00-12:00 on 2 December): the radiator's two relays go Confort, Éco, Hors-gel, Confort, the
commands in the order that never gives Arrêt, within the switching limit; status, the event log
and an operator's named order (``force CH eco``) say the order, not two raw relays."""

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.service import RTE_ENV, at, make_controller, running
from support.signals import body, day_entry

from tui.adapters.boards.factory import make_board
from tui.adapters.boards.multi import MultiBoard
from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.compose.service import build_controller
from tui.core.config import Config, config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.core.pilot import Order, PilotConfig, order_of
from tui.service.pilot_drive import PilotDrive

START = at("2026-12-02T07:00:00+01:00")
LEVELS = [1] * 8 + [2, 2, 3, 3] + [1] * 12


def pilot_config(tmp_path: Path, **pilot: Any) -> Config:
    forecast = tmp_path / "forecast.json"
    forecast.write_text(body(day_entry(START.date(), LEVELS)))
    document = {
        "ecowatt": {"source": "file", "file": str(forecast)},
        "board": {"kind": "simulated"},
        "policy": {"restore_gap": "60s", "min_switch_gap": "5s"},
        "service": {"state_dir": str(tmp_path / "state")},
        "channel": [
            {"index": 0, "name": "Chauffe-eau", "shed_at": "orange"},
            {
                "index": 1,
                "name": "Radiateur salon",
                "shed_at": "orange",
                "pilot": {"relays": [1, 4], **pilot},
            },
        ],
    }
    return config_from_dict(document, path="test.toml")


async def test_the_two_relays_walk_the_orders_of_the_day(tmp_path: Path) -> None:
    config = pilot_config(tmp_path)
    pilot = config.channel(1).pilot
    assert isinstance(pilot, PilotConfig)
    clock = ManualClock(START, auto_advance=True)
    controller, board = make_controller(config, clock)
    await asyncio.wait_for(controller.run(until=START + timedelta(hours=6)), 60)
    moves = [(t.at, t.channel, t.energised) for t in board.transitions if t.channel in (1, 4)]
    # Relay 1 passes the positive half-wave, relay 4 the negative (Hors-gel by default).
    states = {1: False, 4: False}
    seen = []
    for when, relay, energised in moves:
        states[relay] = energised
        order = order_of(states, pilot)
        assert order is not Order.ARRET, moves
        seen.append((when, order))
    orders_only = [order for _, order in seen]
    # Éco at 07:45 (lead) through Hors-gel first; Hors-gel at 09:45; Confort at 12:00; the
    # stop at the end releases both relays (Confort: already there).
    assert orders_only[:4] == [Order.HORS_GEL, Order.ECO, Order.HORS_GEL, Order.CONFORT], seen
    assert seen[1][0] == at("2026-12-02T07:45:00+01:00")
    assert seen[2][0] == at("2026-12-02T09:45:00+01:00")
    # The water heater restores first (same priority, lower index), the radiator a gap later.
    assert seen[3][0] == at("2026-12-02T12:01:00+01:00")
    assert board.rate_violations() == []
    events = [e.to_dict() for e in read_events(tmp_path / "state")]
    pilot_events = [
        (e["ts"][11:16], e.get("order"))
        for e in events
        if e["kind"] == "relay" and e["channel"] == 1
    ]
    assert ("07:45", "eco") in pilot_events
    assert ("09:45", "hors-gel") in pilot_events
    assert ("12:01", "confort") in pilot_events
    # The log's words say the order, not the relays' CUT/ON (which would hide Éco from Hors-gel).
    from tui.core.events import RelayEvent
    from tui.frontends.event_text import event_summary

    words = [
        event_summary(e)
        for e in read_events(tmp_path / "state")
        if isinstance(e, RelayEvent) and e.channel == 1
    ]
    assert any(text.startswith(f"{config.channel(1).name}: ÉCO (") for text in words), words
    assert any(text.startswith(f"{config.channel(1).name}: HORS-GEL (") for text in words), words


async def test_status_shows_the_order_and_an_operator_names_one(tmp_path: Path) -> None:
    config = pilot_config(tmp_path)
    clock = ManualClock(at("2026-12-02T10:30:00+01:00"), auto_advance=False)
    controller, board = make_controller(config, clock)
    assert isinstance(controller.board, PilotDrive)
    async with running(controller):
        await controller.settle()
        status = (await controller.snapshot()).to_status()
        radiator = status["channels"][1]
        assert radiator["order"] == "hors-gel"
        assert radiator["powered"] is False
        assert "order" not in status["channels"][0]
        clock.advance(600)
        message = await controller.force(1, False, duration=timedelta(hours=1), order="eco")
        assert "forced Éco" in message
        view = (await controller.snapshot()).channel(1)
        assert view.order == "eco"
        assert view.reason.startswith("forced Éco by operator")
        assert board.relay(1) is True and board.relay(4) is True


async def test_an_unplug_in_eco_puts_both_relays_back_in_eco(tmp_path: Path) -> None:
    """A replug releases both relays (Confort): the drive sees the channel "not where it was
    put" and the reconciler puts it back, both relays, counted, never through Arrêt."""
    config = pilot_config(tmp_path)
    pilot = config.channel(1).pilot
    assert pilot is not None
    clock = ManualClock(at("2026-12-02T08:30:00+01:00"), auto_advance=False)
    controller, board = make_controller(config, clock)
    async with running(controller):
        await controller.settle()
        assert (await controller.snapshot()).channel(1).order == "eco"
        clock.advance(30)
        board.simulate_detach()
        board.simulate_attach()
        assert order_of({1: board.relay(1), 4: board.relay(4)}, pilot) is Order.CONFORT
        for _ in range(5):
            clock.advance(5)
            await controller.settle()
        assert (await controller.snapshot()).channel(1).order == "eco"
    states = {1: False, 4: False}
    for transition in board.transitions:
        if transition.channel in states:
            states[transition.channel] = transition.energised
            assert order_of(states, pilot) is not Order.ARRET
    events = [e.to_dict() for e in read_events(tmp_path / "state")]
    assert any(
        e["kind"] == "relay" and e.get("by") == "reconcile" and e["channel"] == 1 for e in events
    )


def two_boards(tmp_path: Path, pilot: dict[str, Any]) -> dict[str, Any]:
    forecast = tmp_path / "forecast.json"
    forecast.write_text(body(day_entry(START.date(), LEVELS)))
    return {
        "ecowatt": {"source": "file", "file": str(forecast)},
        "board": [
            {"name": "tableau", "kind": "simulated", "model": "1017"},
            {"name": "garage", "kind": "simulated", "model": "1017"},
        ],
        "policy": {"restore_gap": "60s", "min_switch_gap": "5s"},
        "service": {"state_dir": str(tmp_path / "state")},
        "channel": [
            {"index": 0, "name": "Chauffe-eau", "shed_at": "orange", "board": "tableau"},
            {
                "index": 1,
                "name": "Radiateur atelier",
                "shed_at": "orange",
                "board": "garage",
                "pilot": pilot,
            },
        ],
    }


def test_several_boards_number_a_pilot_channels_relays_as_its_index(tmp_path: Path) -> None:
    """With [[board]] entries the file names relays of the channel's board; the channel and its
    two relays are numbered across boards (garage starts at 8), and write back as written."""
    config = config_from_dict(two_boards(tmp_path, {"relays": [1, 3]}), path="test.toml")
    radiator = config.channel(9)
    assert radiator.pilot is not None and radiator.pilot.relays == (9, 11)
    assert radiator.relays_on_board == {9: 1, 11: 3}
    document = config_to_dict(config)
    assert document["channel"][1]["pilot"]["relays"] == [1, 3]  # type: ignore[index]
    assert config_from_dict(document, path="test.toml") == config
    with pytest.raises(InputError) as error:
        config_from_dict(two_boards(tmp_path, {"relays": [2, 3]}), path="test.toml")
    assert error.value.problems == [
        "test.toml: channel[1].pilot.relays: expected the channel's index (1) among them, got "
        "[2, 3]"
    ]


async def test_a_pilot_channel_on_the_second_board_drives_that_boards_two_relays(
    tmp_path: Path,
) -> None:
    config = config_from_dict(two_boards(tmp_path, {"relays": [1, 3]}), path="test.toml")
    clock = ManualClock(at("2026-12-02T10:30:00+01:00"), auto_advance=False)
    board = make_board(config, clock)
    assert isinstance(board, MultiBoard)
    garage = board.parts[1].board
    controller = build_controller(config, clock, RTE_ENV, board=board)
    async with running(controller):
        await controller.settle()
        view = (await controller.snapshot()).channel(9)
        assert view.order == "hors-gel" and view.board == "garage"
        assert (garage.relay(1), garage.relay(3)) == (False, True)  # the negative half-wave
        clock.advance(600)
        message = await controller.force(9, False, duration=timedelta(hours=1), order="eco")
        assert "forced Éco" in message
        assert (garage.relay(1), garage.relay(3)) == (True, True)
        assert board.parts[0].relays == {0: 0}  # nothing of it opened on the other board


async def test_a_release_held_by_a_relays_gap_waits_for_it_and_is_no_board_fault(
    tmp_path: Path,
) -> None:
    """Forced Éco in a red hour, released a second later: Hors-gel again needs the relay that
    just closed, held by its 5 s gap. The channel stays cut (as commanded) meanwhile, nothing
    says the board moved it or refused a command, and the step at the gap's end finishes it."""
    config = pilot_config(tmp_path)
    clock = ManualClock(at("2026-12-02T10:30:00+01:00"), auto_advance=False)
    controller, board = make_controller(config, clock)
    drive = controller.board
    assert isinstance(drive, PilotDrive)
    async with running(controller):
        await controller.settle()
        assert (await controller.snapshot()).channel(1).order == "hors-gel"
        clock.advance(60)
        await controller.force(1, False, duration=timedelta(hours=1), order="eco")
        assert (board.relay(1), board.relay(4)) == (True, True)
        clock.advance(1)
        await controller.release(1)
        await controller.settle()
        assert (board.relay(1), board.relay(4)) == (True, True)  # held: relay 1 closed 1 s ago
        wake = drive.next_move()
        assert wake is not None and clock.now() < wake <= clock.now() + timedelta(seconds=5)
        assert drive.relay(1) is True  # cut, as commanded
        clock.advance(5)
        await controller.settle()
        assert (board.relay(1), board.relay(4)) == (False, True)
        assert (await controller.snapshot()).channel(1).order == "hors-gel"
        assert drive.next_move() is None
    events = [e.to_dict() for e in read_events(tmp_path / "state")]
    assert not [e for e in events if e["kind"] == "error" and e.get("what") == "board"], events
    assert not [e for e in events if e["kind"] == "relay" and e.get("by")], events
