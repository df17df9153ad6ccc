"""Issue 22 in the UI: two boards (a 1017 and a REL1101, simulated), 24 channels, at 80x24.
The grid shows every channel and selection reaches past the digits; the header names the board
that is detached while the other one keeps switching."""

from dataclasses import replace
from pathlib import Path
from typing import Any

from support.tui_harness import (
    PID,
    Rig,
    demo_config,
    press,
    screen_text,
    settle,
    started,
)

from tui.adapters.boards.multi import MultiBoard, Part
from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.sources.demo import DemoSource
from tui.core.config import config_from_dict, config_to_dict
from tui.frontends.app.relays import RelayGrid
from tui.service.controller import Controller


def two_board_rig(state_dir: Path) -> tuple[Rig, SimulatedBoard, SimulatedBoard]:
    demo = demo_config(state_dir)
    document: dict[str, Any] = config_to_dict(replace(demo, tempo=None, meter=None))
    document["board"] = [
        {"name": "tableau", "kind": "simulated", "model": "1017"},
        {"name": "garage", "kind": "simulated", "model": "REL1101"},
    ]
    document["channel"] = [
        {"index": n, "name": f"Tableau {n}", "shed_at": "never", "board": "tableau"}
        for n in range(8)
    ] + [
        {"index": n, "name": f"Garage {n}", "shed_at": "never", "board": "garage"}
        for n in range(16)
    ]
    config = replace(config_from_dict(document, "delestage.toml"), path="delestage.toml")
    from support.tui_harness import FIXED_NOW

    from tui.adapters.clock import ManualClock

    clock = ManualClock(FIXED_NOW)
    tableau = SimulatedBoard(range(8), clock)
    garage = SimulatedBoard(range(16), clock)
    board = MultiBoard(
        [
            Part("tableau", tableau, {n: n for n in range(8)}),
            Part("garage", garage, {8 + n: n for n in range(16)}),
        ]
    )
    controller = Controller(
        config, clock=clock, board=board, source=DemoSource(), state_dir=state_dir, pid=PID
    )
    return Rig(config, clock, board, controller, state_dir), tableau, garage  # type: ignore[arg-type]  # a MultiBoard


async def test_24_channels_on_two_boards_at_80x24(state_dir: Path) -> None:
    rig, tableau, garage = two_board_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        grid = app.query_one(RelayGrid)
        assert len(grid.channels) == 24
        await press(pilot, rig, "up")  # wraps to the last channel, past the digits
        assert app.selected == 23
        screen = screen_text(app)
        assert "Garage 15 (board garage/15)" in screen, screen

        garage.simulate_detach()
        await settle(pilot, rig.controller)
        screen = screen_text(app)
        assert "BOARD garage DETACHED" in screen, screen
        assert "channels 16-23 of 24 shown" in screen
        await press(pilot, rig, "0", "s")  # force channel 0 (tableau) cut
        await settle(pilot, rig.controller)
        assert tableau.state(0) is False, "the tableau still switches"
        garage.simulate_attach()
        await settle(pilot, rig.controller)
        assert "DETACHED" not in screen_text(app)


def test_what_the_header_calls_detached() -> None:
    from support.views import NOW, channel, forecast_view

    from tui.frontends.app.header import detached_words
    from tui.service.snapshot import BoardView, Snapshot

    def shown(board: BoardView, *channels: Any) -> str:
        snapshot = Snapshot(
            mode="live",
            pid=PID,
            now=NOW,
            level=1,
            board=board,
            forecast=forecast_view(),
            channels=channels or tuple(channel(n) for n in range(4)),
        )
        return detached_words(snapshot)

    one = (channel(n) for n in range(4))
    assert shown(BoardView("phidget", False, unattached=(0, 1, 2, 3)), *one) == "BOARD DETACHED"
    assert shown(BoardView("phidget", False, unattached=(2,))) == "RELAY 2 DETACHED"
    assert shown(BoardView("phidget", False, unattached=(1, 3))) == "RELAYS 1, 3 DETACHED"
    two = (channel(0, board="a"), channel(1, board="a"), channel(8, board="b"))
    board = BoardView("phidget", False, detached_boards=("b",), unattached=(1, 8))
    assert shown(board, *two) == "BOARD b DETACHED; RELAY 1 DETACHED"


def test_the_factory_builds_one_part_per_board_of_any_model(state_dir: Path) -> None:
    from tui.adapters.boards.factory import make_board

    rig, _, _ = two_board_rig(state_dir)
    board = make_board(rig.config)
    assert isinstance(board, MultiBoard)
    assert [part.name for part in board.parts] == ["tableau", "garage"]
    assert board.parts[1].relays == {8 + n: n for n in range(16)}
    assert [info.model for info in board.info().parts] == ["1017", "REL1101"]


def test_test_relays_takes_a_board_name(state_dir: Path) -> None:
    import pytest

    from tui.core.errors import InputError
    from tui.frontends.test_relays_cmd import on_board_only, parse_channels

    rig, _, _ = two_board_rig(state_dir)
    every = parse_channels(rig.config, None)
    garage = on_board_only(rig.config, every, "garage")
    assert [channel.index for channel in garage] == list(range(8, 24))
    assert on_board_only(rig.config, parse_channels(rig.config, "0,9"), "tableau")[0].index == 0
    with pytest.raises(InputError) as raised:
        on_board_only(rig.config, every, "cave")
    assert raised.value.problems == [
        "--board: expected the name of a [[board]] (tableau, garage), got 'cave'"
    ]


def test_check_notes_loads_bigger_than_their_boards_relays(state_dir: Path) -> None:
    from tui.core.devices import MODELS, direct_load_problem
    from tui.core.power import parse_power
    from tui.frontends.boards_cmd import rating_notes

    assert direct_load_problem(MODELS["1017"], 100) is None
    assert direct_load_problem(MODELS["1014"], 2300) is None
    assert direct_load_problem(MODELS["1014"], 2400) == (
        "a 1014 relay switches at most 2300 VA at 230 V AC: wire a contactor and let the relay "
        "drive its coil"
    )
    assert "switches DC only" in (direct_load_problem(MODELS["REL1101"], 5) or "")
    rig, _, _ = two_board_rig(state_dir)
    channels = list(rig.config.channels)
    channels[0] = replace(channels[0], power=parse_power("2kW"))
    channels[8] = replace(channels[8], power=parse_power("50W"))
    notes = rating_notes(replace(rig.config, channels=tuple(channels)))
    assert notes == [
        "Tableau 0 (2 kW): a 1017 relay switches at most 125 VA at 230 V AC: wire a contactor "
        "and let the relay drive its coil",
        "Garage 0 (0.05 kW): a REL1101 switches DC only: a 230 V AC appliance needs a contactor "
        "with a DC coil behind it",
    ]


async def test_an_attached_ui_gets_the_same_board_view_over_the_socket(state_dir: Path) -> None:
    """The snapshot's several-board fields survive the control socket's JSON (tuples back)."""
    import json

    from tui.service.snapshot import Snapshot

    rig, _, garage = two_board_rig(state_dir)
    from support.service import running

    async with running(rig.controller):
        garage.simulate_detach()
        await rig.controller.settle()
        snapshot = await rig.controller.snapshot()
    assert snapshot.board.detached_boards == ("garage",)
    back = Snapshot.from_dict(json.loads(json.dumps(snapshot.to_dict())))
    assert back == snapshot


async def test_a_board_no_channel_uses_is_not_opened_nor_called_detached(state_dir: Path) -> None:
    from support.service import running

    from tui.adapters.boards.factory import make_board

    rig, _, _ = two_board_rig(state_dir)
    config = replace(rig.config, channels=rig.config.channels[:8])  # nothing on the garage
    board = make_board(config)
    assert isinstance(board, MultiBoard) and [part.name for part in board.parts] == ["tableau"]
    controller = Controller(
        config, clock=rig.clock, board=board, source=DemoSource(), state_dir=state_dir, pid=PID
    )
    async with running(controller):
        await controller.settle()
        snapshot = await controller.snapshot()
    assert snapshot.board.attached and snapshot.board.detached_boards == ()


async def test_state_across_boards_survives_a_restart(state_dir: Path) -> None:
    from datetime import timedelta

    from support.service import running

    rig, _, _ = two_board_rig(state_dir)
    async with running(rig.controller):
        await rig.controller.settle()
        answer = await rig.controller.force(11, False, duration=timedelta(hours=2))
        await rig.controller.settle()
        assert answer == "Garage 3: forced cut until 16:07"
    again, _, garage_again = two_board_rig(state_dir)
    async with running(again.controller):
        await again.controller.settle()
        snapshot = await again.controller.snapshot()
    assert "unreadable state" not in (state_dir / "events.jsonl").read_text()
    assert snapshot.channel(11).mode == "forced" and snapshot.channel(11).board == "garage"
    assert snapshot.channel(11).forced_powered is False
    assert garage_again.state(3) is False
