"""Issue 22, the rest: three simulated boards (a 1017, a REL1101 and a 1014: 28 channels) at
80x24. Any channel is selected from the keyboard (two digits in a row, `n` and a number or a
name, AZERTY's top row in French), the `h` view fits, and `plan`, `status` and MQTT say which
board and relay a channel is on (only with several boards: one board's output is unchanged)."""

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

from support.tui_harness import (
    FIXED_NOW,
    PID,
    Rig,
    demo_config,
    make_rig,
    press,
    screen_text,
    settle,
    started,
    wait_for,
)

from tui.adapters.boards.factory import make_board
from tui.adapters.clock import ManualClock
from tui.adapters.sources.demo import DemoSource
from tui.compose.language import set_language
from tui.core.config import Config, config_from_dict, config_to_dict
from tui.core.signals import forecast_to_body
from tui.frontends.app.app import DIGITS, channel_named
from tui.frontends.app.channels_view import ChannelsView
from tui.frontends.app.dialogs import GoToPrompt
from tui.frontends.app.relays import RelayGrid
from tui.service.controller import Controller

BOARDS = [
    {"name": "tableau", "kind": "simulated", "model": "1017"},  # channels 0-7
    {"name": "garage", "kind": "simulated", "model": "REL1101"},  # 8-23
    {"name": "cave", "kind": "simulated", "model": "1014"},  # 24-27
]


def three_boards(state_dir: Path, tableau: range = range(8)) -> Config:
    """The demo's policy on three boards; ``tableau``: the 1017's relays in use."""
    demo = demo_config(state_dir)
    document: dict[str, Any] = config_to_dict(replace(demo, tempo=None, meter=None))
    document["board"] = [dict(board) for board in BOARDS]
    relays = [("tableau", "Tableau", tableau), ("garage", "Garage", range(16))]
    relays.append(("cave", "Cave", range(4)))
    document["channel"] = [
        {"index": n, "name": f"{label} {n}", "shed_at": "never", "board": board}
        for board, label, numbers in relays
        for n in numbers
    ]
    document["channel"][-1]["name"] = "Pompe de relevage"
    return replace(config_from_dict(document, "delestage.toml"), path="delestage.toml")


def three_board_rig(state_dir: Path, tableau: range = range(8)) -> Rig:
    config = three_boards(state_dir, tableau)
    clock = ManualClock(FIXED_NOW)
    board = make_board(config, clock)
    controller = Controller(
        config, clock=clock, board=board, source=DemoSource(), state_dir=state_dir, pid=PID
    )
    return Rig(config, clock, board, controller, state_dir)  # type: ignore[arg-type]  # a MultiBoard


async def test_two_digits_in_a_row_select_channels_past_nine(state_dir: Path) -> None:
    rig = three_board_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        assert len(app.query_one(RelayGrid).channels) == 28
        await press(pilot, rig, "2", "5")
        assert app.selected == 25
        screen = screen_text(app)
        assert "channels 20-27 of 28 shown: ↑↓ j k, two digits or n: the others" in screen
        assert "▶ 25 Cave 1 (board cave/1): " in screen, screen
        assert "0-9 select" in screen  # the footer says the digits that select something
        await press(pilot, rig, "1")
        assert app.selected == 1  # a single digit selects at once
        await press(pilot, rig, "2")
        assert app.selected == 12, "a second digit right after the first"
        await press(pilot, rig, "2")
        assert app.selected == 2, "a third digit starts again"
        app._forget_digit()  # as DIGIT_SECONDS later (the timer's callback)
        await press(pilot, rig, "3")
        assert app.selected == 3, "after the pause, a digit is a channel of its own"
        await press(pilot, rig, "1", "j", "9")
        assert app.selected == 9, "a move in between ends the two-digit entry"
        await press(pilot, rig, "8", "s")  # acting on the selection: channel 8, garage/0
        await settle(pilot, rig.controller)
        assert (await rig.controller.snapshot()).channel(8).mode == "forced"
        assert rig.board.parts[1].board.state(0) is False  # type: ignore[attr-defined]


async def test_a_first_digit_with_no_channel_of_its_own_waits_for_the_second(
    state_dir: Path,
) -> None:
    rig = three_board_rig(state_dir, tableau=range(2))  # 0, 1 on the tableau, then 8-27
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "2")
        assert app.selected == 0
        assert app.last_message == "2…: a second digit selects relay 20-27"
        await press(pilot, rig, "7")
        assert app.selected == 27
        await press(pilot, rig, "5")
        assert app.last_message == "relay 5 is not configured (configured: 0, 1, 8, 9, 10, 11, " + (
            ", ".join(str(n) for n in range(12, 28)) + ")"
        )


async def test_n_goes_to_a_channel_by_number_or_name(state_dir: Path) -> None:
    rig = three_board_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("n")
        assert isinstance(app.screen, GoToPrompt)
        await pilot.press(*"21", "enter")
        assert app.selected == 21
        await pilot.press("n", *"pompe", "enter")  # the start of one name, any case
        assert app.selected == 27
        await pilot.press("n", *"garage", "enter")  # the start of sixteen names: no
        assert app.selected == 27
        assert app.last_message.startswith("no relay “garage” (configured: 0, 1, 2")
        await pilot.press("n", "escape")
        assert app.selected == 27 and not isinstance(app.screen, GoToPrompt)
        help_text = app.help_text().plain
        assert "  0-9   select that relay [select_0…select_9]" in help_text
        assert "go to a relay: type its number or name [select_go]" in help_text
        assert "Relays 10 and up: two digits in a row (1 then 2: relay 12), or n and" in help_text
        assert "force Hors-gel (default duration) [force_hors_gel]" in help_text  # g stays its


async def test_g_stays_a_pilot_channels_hors_gel_and_n_goes_to(state_dir: Path) -> None:
    """Both branches bound `g` (the go-to prompt here, the pilot wire's Hors-gel on main); the
    merged app keeps `g` for Hors-gel and asks for a channel's number or name on `n`."""
    rig = make_rig(state_dir)  # the demo: Radiateurs chambres, a pilot channel on relays 2, 6
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "2", "g")
        view = (await rig.controller.snapshot()).channel(2)
        assert (view.mode, view.order) == ("forced", "hors-gel")
        assert not isinstance(app.screen, GoToPrompt)
        await pilot.press("n")
        assert isinstance(app.screen, GoToPrompt)
        await pilot.press(*"sauna", "enter")
        assert app.selected == 7 and not isinstance(app.screen, GoToPrompt)


def test_channel_named() -> None:
    channels = {0: "Chauffe-eau", 11: "Pompe", 12: "Pompe piscine", 20: "Sèche-linge"}
    assert channel_named(channels, " 11 ") == 11
    assert channel_named(channels, "13") is None
    assert channel_named(channels, "pompe") == 11  # whole names first
    assert channel_named(channels, "Pompe p") == 12
    assert channel_named(channels, "Se\u0300che") == 20  # decomposed, as some keyboards type
    assert channel_named(channels, "") is None
    assert [str(n) for n in range(10)] == DIGITS


async def test_azerty_top_row_reaches_two_digit_channels_in_french(state_dir: Path) -> None:
    set_language("fr")
    try:
        rig = three_board_rig(state_dir)
        app = rig.app()
        async with app.run_test(size=(80, 24)) as pilot:
            await started(pilot, rig)
            await press(pilot, rig, "ampersand", "é")
            assert app.selected == 12
            await press(pilot, rig, "underscore")
            assert app.selected == 8
            await press(pilot, rig, "ç")
            assert app.selected == 9
            screen = screen_text(app)
            assert "voies 5-12 sur 28 affichées" in screen, screen  # 8 rows around 9
            assert "(carte garage/1)" in screen
            help_text = app.help_text().plain
            assert "AZERTY : à & é \" ' ( - è _ ç choisissent aussi les relais 0-9" in help_text
            assert "Relais 10 et plus : deux chiffres à la suite" in help_text
    finally:
        set_language("en")


async def test_the_h_view_fits_28_channels_at_80x24(state_dir: Path) -> None:
    rig = three_board_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "2", "6", "h")
        # The view's own fetch, bounded: `screen.workers` is the app's worker manager, and
        # waiting for all of it waits for the app's update follower, which runs until it quits.
        await wait_for(pilot, lambda: isinstance(app.screen, ChannelsView) and app.screen.view)
        await pilot.pause()
        lines = screen_text(app).splitlines()
        text = "\n".join(lines)
        assert "channels 16-27 of 28 shown: ↑↓ for the others" in text, text
        assert any(line.startswith("26 Cave 2 ") for line in lines)
        assert not any(line.startswith("15 Garage 7 ") for line in lines)
        assert "Cave 2 (board cave/2): today cut" in text
        assert lines[-1].startswith("←→ hour  ↑↓ relay"), "the hint line stays on screen"
        await pilot.press("up", *["up"] * 12)
        lines = screen_text(app).splitlines()
        assert any(line.startswith("13 Garage 5 ") for line in lines)
        assert "Garage 5 (board garage/5): today" in "\n".join(lines)


# --- plan, status and MQTT name the board -------------------------------------------------


def _plan(config_text: str, tmp_path: Path, as_json: bool) -> str:
    from support.policy import DAY1, levels

    from tui.frontends.plan_cmd import run_plan

    path = tmp_path / "delestage.toml"
    path.write_text(config_text, encoding="utf-8")
    forecast = tmp_path / "signals.json"
    # 1 Dec 2026 (DAY1): red 08:00-12:00, planned from 06:00 that day, so that both
    # channels are cut inside the plan.
    forecast.write_text(json.dumps(forecast_to_body(levels("1" * 8 + "3" * 4 + "1" * 12))))
    out = StringIO()
    clock = ManualClock(DAY1 + timedelta(hours=6))  # the plan reads no wall clock
    code = run_plan(str(path), str(forecast), "2026-12-01T06:00", "6", as_json, out, clock=clock)
    assert code == 0
    return out.getvalue()


SEVERAL = """
[ecowatt]
source = "demo"

[[board]]
name = "tableau"
kind = "simulated"
model = "1017"

[[board]]
name = "garage"
kind = "simulated"
model = "REL1101"

[[channel]]
board = "tableau"
index = 0
name = "Chauffe-eau"
shed_at = "red"

[[channel]]
board = "garage"
index = 3
name = "Pompe"
shed_at = "red"
"""

ONE = """
[ecowatt]
source = "demo"

[board]
kind = "simulated"

[[channel]]
index = 0
name = "Chauffe-eau"
shed_at = "red"
"""


def test_plan_json_names_the_board_and_relay_with_several_boards(tmp_path: Path) -> None:
    document = json.loads(_plan(SEVERAL, tmp_path, as_json=True))
    assert document["channels"] == [
        {"index": 0, "name": "Chauffe-eau", "board": "tableau", "relay": 0},
        {"index": 11, "name": "Pompe", "board": "garage", "relay": 3},
    ]
    assert {change["channel"] for change in document["changes"]} == {0, 11}
    one = json.loads(_plan(ONE, tmp_path, as_json=True))
    assert one["channels"] == [{"index": 0, "name": "Chauffe-eau"}], "one board: as before"


def test_plan_text_names_the_board_and_relay(tmp_path: Path) -> None:
    text = _plan(SEVERAL, tmp_path, as_json=False)
    assert "\n11 Pompe on board garage/3 (shed at red, priority 1)\n" in text, text
    assert "\n0 Chauffe-eau on board tableau/0 (shed at red" in text
    assert "on board" not in _plan(ONE, tmp_path, as_json=False)


async def test_status_names_the_board_and_relay(state_dir: Path) -> None:
    from support.service import running

    from tui.frontends.control_cmds import render_status

    rig = three_board_rig(state_dir)
    async with running(rig.controller):
        await rig.controller.settle()
        snapshot = await rig.controller.snapshot()
    status = json.loads(json.dumps(snapshot.to_status()))
    assert [(c["index"], c["board"], c["relay"]) for c in status["channels"][7:10]] == [
        (7, "tableau", 7),
        (8, "garage", 0),
        (9, "garage", 1),
    ]
    assert status["channels"][27]["board"] == "cave" and status["channels"][27]["relay"] == 3
    lines = render_status(snapshot).splitlines()
    assert any(line.startswith("9   garage/1   Garage 1 ") for line in lines), lines
    assert any(line.startswith("27  cave/3     Pompe de relevage ") for line in lines), lines


def test_one_boards_status_has_no_board_field(state_dir: Path) -> None:
    from support.views import NOW, channel, forecast_view

    from tui.frontends.control_cmds import render_status
    from tui.frontends.mqtt.topics import channel_state
    from tui.service.snapshot import BoardView, Snapshot

    snapshot = Snapshot(
        mode="live",
        pid=PID,
        now=NOW,
        level=1,
        board=BoardView("simulated", True),
        forecast=forecast_view(),
        channels=(channel(0),),
    )
    assert "board" not in snapshot.to_status()["channels"][0]
    assert "relay" not in snapshot.to_status()["channels"][0]
    assert "board" not in channel_state(snapshot.channels[0])
    assert render_status(snapshot).splitlines()[-1].startswith("0  ")


async def test_mqtt_channel_states_name_the_board_on_a_real_broker(
    tmp_path: Path, broker: Any
) -> None:
    from support.mosquitto import retained
    from support.mqtt_bridge import BASE, bridged, connected, mqtt_config

    config = mqtt_config(tmp_path, broker.url)
    document = config_to_dict(config)
    document["board"] = [dict(board) for board in BOARDS[:2]]
    document["channel"] = [
        {**channel, "board": "tableau"} for channel in document["channel"][:2]
    ] + [{"index": 5, "name": "Pompe", "shed_at": "orange", "board": "garage"}]
    several = config_from_dict(document, path=config.path)
    async with bridged(several) as (controller, _, bridge):
        await connected(bridge)
        await controller.force(13, False)
        await controller.settle()
        snapshot = await controller.snapshot()
        kept: dict[str, str] = {}

        def published() -> bool:
            kept.update(retained(broker.port))
            state = kept.get(f"{BASE}/channel/13/state")
            return state is not None and json.loads(state)["mode"] == "forced"

        for _ in range(100):
            if await asyncio.to_thread(published):
                break
        else:
            raise AssertionError("channel 13's forced state never reached the broker")
    pompe = json.loads(kept[f"{BASE}/channel/13/state"])
    assert (pompe["board"], pompe["relay"], pompe["forced_powered"]) == ("garage", 5, False)
    first = json.loads(kept[f"{BASE}/channel/0/state"])
    assert (first["board"], first["relay"]) == ("tableau", 0)
    status = json.loads(kept[f"{BASE}/status"])
    assert [(c["index"], c["board"], c["relay"]) for c in status["channels"]] == [
        (0, "tableau", 0),
        (1, "tableau", 1),
        (13, "garage", 5),
    ]
    assert snapshot.channel(13).board == "garage"


async def test_history_names_the_board_and_relay_as_plan_and_status_do(tmp_path: Path) -> None:
    """A red day recorded by the service on two boards: `history` (text, JSON, CSV) says where
    each channel is wired, `Pompe on board garage/3` as `plan` does; one board: unchanged."""
    from support.service import at

    from tui.compose.files import load_config
    from tui.compose.service import build_controller, serve
    from tui.frontends.history_cmd import CSV_COLUMNS, run_history

    day = at("2026-12-02T00:00:00+01:00")  # the demo week's red weekday
    path = tmp_path / "delestage.toml"
    state = tmp_path / "state"
    path.write_text(SEVERAL + f'\n[service]\nstate_dir = "{state}"\n', encoding="utf-8")
    config = load_config(path)
    clock = ManualClock(day, auto_advance=True)
    controller = build_controller(config, clock, {}, board=make_board(config, clock))
    await asyncio.wait_for(serve(controller, until=day + timedelta(hours=24)), 60)

    def history(output: str) -> str:
        out = StringIO()
        after = ManualClock(day + timedelta(days=1))
        code = run_history(str(path), "2026-12-02", "2026-12-02", output, out, clock=after)
        assert code == 0
        return out.getvalue()

    text = history("text")
    assert "11  Pompe on board garage/3 " in text, text
    assert "0  Chauffe-eau on board tableau/0 " in text, text
    document = json.loads(history("json"))
    (pompe,) = [row for row in document["days"] if row["channel"] == 11]
    assert (pompe["board"], pompe["relay"]) == ("garage", 3) and pompe["switches"] >= 1
    assert document["totals"]["11"]["board"] == "garage"
    rows = history("csv").splitlines()
    assert rows[0].split(",") == [*CSV_COLUMNS, "board", "relay"]
    assert any(row.startswith("2026-12-02,11,Pompe,") and row.endswith(",garage,3") for row in rows)

    one = tmp_path / "one.toml"
    one.write_text(ONE + f'\n[service]\nstate_dir = "{tmp_path / "one"}"\n', encoding="utf-8")
    out = StringIO()
    assert run_history(str(one), "2026-12-02", "2026-12-02", "csv", out, clock=clock) == 0
    assert out.getvalue().splitlines()[0].split(",") == list(CSV_COLUMNS), "one board: as before"


async def test_a_click_on_a_row_of_the_scrolled_grid_selects_it(state_dir: Path) -> None:
    """28 channels at 80x24: the grid shows 8 around the selection; a click on one of those
    rows selects the channel drawn there, not the one at that position from the top."""
    rig = three_board_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        grid = app.query_one(RelayGrid)
        await press(pilot, rig, "2", "5")
        assert app.selected == 25
        assert "channels 20-27 of 28 shown" in screen_text(app)
        assert [grid.row_at(y) for y in range(1, 9)] == list(range(20, 28))
        await pilot.click(RelayGrid, offset=(5, 1 + 2))  # the heading, then rows 20..27
        await pilot.pause()
        assert app.selected == 22
        assert "▶ 22 Garage 14 (board garage/14): " in screen_text(app)
        # The window follows the selection (18-25 around 22): a click takes what is drawn now.
        shown = [grid.row_at(y) for y in range(1, 9)]
        assert shown == list(range(18, 26))
        await pilot.click(RelayGrid, offset=(5, 1 + shown.index(19)))
        await pilot.pause()
        assert app.selected == 19
