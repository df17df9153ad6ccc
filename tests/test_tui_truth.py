"""Issue 13: what the operator sees is true, complete and readable at 80x24."""

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_tui_harness import (
    DEMO_CONFIG,
    Rig,
    demo_config,
    make_rig,
    screen_text,
    settle,
    short_state_dir,
    started,
)
from textual.pilot import Pilot

from tui.core.config import BoardKind, UiConfig
from tui.core.errors import InputError
from tui.frontends.app import DelestageApp
from tui.frontends.app.app import binding_ids, keymap_problems
from tui.frontends.app.dialogs import ConfirmScreen, HelpScreen
from tui.frontends.app.relays import RelayGrid, render_grid
from tui.frontends.app.timeline import SignalInfo, Timeline
from tui.frontends.check import run_check
from tui.service.remote import RemoteController, connect
from tui.service.runtime import serve
from tui.service.snapshot import Update


@pytest.fixture
def state_dir() -> Iterator[Path]:
    yield from short_state_dir()


class EarlyLink:
    """An attached service that answers at once: its first update lands right after the
    screen's first layout, the window in which a busy machine used to lose the panes."""

    description = "attached to PID 4242"

    def __init__(self, first: Update) -> None:
        self.first = first

    async def snapshot(self) -> object:
        return self.first.snapshot

    async def updates(self) -> AsyncIterator[Update]:
        await asyncio.sleep(0)
        yield self.first
        await asyncio.Event().wait()

    async def close(self) -> None:
        return None


async def first_update(rig: Rig) -> tuple[asyncio.Task[None], Update]:
    service = asyncio.create_task(serve(rig.controller))
    await rig.controller.started.wait()
    stream = rig.controller.updates()
    update = await anext(stream)
    await stream.aclose()
    return service, update


async def test_the_first_screen_is_complete_when_the_service_answers_at_once(
    state_dir: Path,
) -> None:
    rig = make_rig(state_dir)
    service, update = await first_update(rig)
    try:
        for _ in range(3):
            app = DelestageApp(EarlyLink(update), rig.config, now=rig.clock.now)  # type: ignore[arg-type]
            async with app.run_test(size=(80, 24)) as pilot:
                await app.wait_for_first_update()
                for _ in range(3):
                    await pilot.pause()
                grid = app.query_one(RelayGrid)
                assert grid.size.height >= len(rig.config.channels) + 1
                assert app.query_one(Timeline).size.height >= 3
                assert app.query_one(SignalInfo).size.height >= 2
                screen = screen_text(app)
                for channel in rig.config.channels:
                    assert channel.name in screen
    finally:
        rig.controller.stop()
        await service


async def wait_until(pilot: Pilot[int], condition: object) -> None:
    for _ in range(1500):
        if condition():  # type: ignore[operator]
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never became true")


async def attach(rig: Rig) -> tuple[asyncio.Task[None], RemoteController]:
    service = asyncio.create_task(serve(rig.controller))
    for _ in range(500):
        link = await connect(rig.state_dir)
        if link is not None:
            return service, link
        await asyncio.sleep(0.01)
    raise AssertionError("the service never answered on its socket")


async def test_a_restarted_service_shows_its_new_pid(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    service, link = await attach(rig)
    app = DelestageApp(link, rig.config, now=rig.clock.now)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        assert "attached to PID 4242" in screen_text(app)
        rig.controller.stop()
        await service
        await wait_until(pilot, lambda: not app.connected)
        second = make_rig(state_dir)
        second.controller.pid = 5151
        service, _ = await attach(second)
        try:
            await wait_until(pilot, lambda: app.connected and app.snapshot.pid == 5151)
            await pilot.pause()
            screen = screen_text(app)
            assert "attached to PID 5151" in screen and "4242" not in screen.splitlines()[0]
        finally:
            second.controller.stop()
            await service
        await pilot.press("q")


async def test_a_stopped_service_says_what_on_exit_did_and_promises_nothing(
    state_dir: Path,
) -> None:
    rig = make_rig(state_dir)
    service, link = await attach(rig)
    app = DelestageApp(link, rig.config, now=rig.clock.now)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, rig.controller)
        assert any(c.next_change for c in app.snapshot.channels)  # it promised something
        rig.controller.stop()
        await service
        await wait_until(pilot, lambda: not app.connected)
        await pilot.pause()
        screen = screen_text(app)
        assert "SERVICE STOPPED" in screen and "on_exit = release" in screen
        assert "'no' loads CUT, 'nc' loads ON" in screen
        assert "BOARD DETACHED" not in screen and "FileNotFoundError" not in screen
        grid = app.query_one(RelayGrid)
        for row in grid.channels:
            assert row.next_change is None
            assert row.powered is (row.wiring == "nc")  # released: nc loads ON, no loads CUT
        assert "Radiateurs séjour   ON" in screen  # nc
        assert "Chauffe-eau         CUT" in screen  # no
        await pilot.press("q")


# -- 6: releasing a latch is visible, or says why it cannot be now ------------------------------


async def test_releasing_a_latch_during_a_shed_says_it_cuts_again(state_dir: Path) -> None:
    rig = make_rig(state_dir, now=datetime(2026, 12, 1, 10, 30, tzinfo=UTC))  # red, in Paris
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        sauna = app.snapshot.channel(7)
        assert sauna.latched and sauna.powered is False
        assert "LATCHED" not in grid_row(app, 7)  # the shed in force is what cuts it
        assert "AUTO orange 08:00-13:00" in grid_row(app, 7)
        assert "Why: orange 08:00-13:00, red 10:00-12:00." in screen_text(app).replace("\n", " ")
        await press(pilot, rig, "7", "a")
        assert app.last_message.startswith("Sauna: released, but still cut by orange 08:00-13:00")
        assert "release it again once the shed is over" in app.last_message
        # After the shed, the latch is what holds it: LATCHED, and a release clears it.
        rig.clock.set(datetime(2026, 12, 1, 12, 30, tzinfo=UTC))
        await press(pilot, rig, "r")
        assert "LATCHED" in grid_row(app, 7)
        await press(pilot, rig, "a")
        assert app.last_message == "back to automatic: Sauna"
        assert "LATCHED" not in grid_row(app, 7)
        assert not rig.controller.history[7].latched


# -- 14, 15: remaps that leave an action without its key are refused; ? lists the ids ------------


def test_conflicting_key_remaps_are_refused_naming_the_ids(state_dir: Path) -> None:
    config = replace(demo_config(state_dir), ui=UiConfig(keys={"force_on": "s"}))
    problems = keymap_problems(config)
    assert problems == [
        "delestage.toml: ui.keys: key `s` is bound to force_on and force_off (default); "
        "give each a key of its own"
    ]
    swapped = replace(config, ui=UiConfig(keys={"force_on": "s", "force_off": "p"}))
    assert keymap_problems(swapped) == []


def test_check_refuses_a_conflicting_remap(tmp_path: Path) -> None:
    path = tmp_path / "delestage.toml"
    text = DEMO_CONFIG.read_text()
    path.write_text(text.replace("[ui]\n", '[ui]\nkeys = { force_on = "s" }\n', 1))
    with pytest.raises(InputError) as raised:
        run_check(str(path), io.StringIO())
    assert "key `s` is bound to force_on and force_off (default)" in raised.value.problems[0]


async def test_help_lists_every_binding_id(rig_default: Rig) -> None:
    rig = rig_default
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text.plain
        for ident in binding_ids():
            if ident.startswith("select_") and ident[-1] in "1234567":
                continue
            assert f"[{ident}]" in text or (ident == "select_0" and "[select_0…select_7]" in text)


# -- 16: quitting an in-process UI on a real board asks first --------------------------------------


def real_board_rig(state_dir: Path) -> Rig:
    config = demo_config(state_dir)
    return make_rig(state_dir, replace(config, board=replace(config.board, kind=BoardKind.PHIDGET)))


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quitting_a_real_board_asks_and_says_what_on_exit_does(
    state_dir: Path, key: str
) -> None:
    rig = real_board_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = app.screen.question
        assert "STOP controlling the relays" in screen_text(app)
        assert "on_exit = release" in question and "CUT ('no' wiring): Chauffe-eau" in question
        assert "ON ('nc' wiring): Radiateurs séjour" in question
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and rig.controller.held
        assert app.last_message == "still running: nothing changed"
        await pilot.press(key)
        await pilot.pause()
        await pilot.press("q" if key == "q" else "y")
        await pilot.pause()
    assert app.return_code == 0
    assert not rig.controller.held


async def test_quitting_the_demo_board_does_not_ask(rig_default: Rig) -> None:
    rig = rig_default
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not rig.controller.held


@pytest.fixture
def rig_default(state_dir: Path) -> Rig:
    return make_rig(state_dir)


def grid_row(app: DelestageApp, index: int) -> str:
    grid = app.query_one(RelayGrid)
    text = render_grid(grid.channels, grid.selected, app.now(), 78).plain
    return next(line for line in text.splitlines()[1:] if line[2:].startswith(f"{index} "))


async def press(pilot: Pilot[int], rig: Rig, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot, rig.controller)
