"""Issue 13: what the operator sees is true, complete and readable at 80x24."""

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.color import ColorSystem
from support.tui_harness import (
    DEMO_CONFIG,
    Rig,
    attach,
    demo_config,
    grid_row,
    make_rig,
    press,
    screen_text,
    settle,
    started,
    wait_for,
)
from textual.command import CommandPalette

from tui.compose.service import serve
from tui.core.config import BoardKind, UiConfig
from tui.core.errors import InputError
from tui.core.events import parse_event
from tui.frontends.app import DelestageApp
from tui.frontends.app.app import binding_ids, keymap_problems
from tui.frontends.app.dialogs import ConfirmScreen, FilterPrompt, HelpScreen
from tui.frontends.app.eventlog import EventPane
from tui.frontends.app.relays import RelayGrid, render_grid
from tui.frontends.app.text import level_letter, level_style, level_text_style
from tui.frontends.app.timeline import SignalInfo, Timeline
from tui.frontends.check import run_check
from tui.service.snapshot import Update


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


async def test_a_restarted_service_shows_its_new_pid(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    service, link = await attach(rig)
    app = DelestageApp(link, rig.config, now=rig.clock.now)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        assert "attached to PID 4242" in screen_text(app)
        rig.controller.stop()
        await service
        await wait_for(pilot, lambda: not app.connected)
        second = make_rig(state_dir)
        second.controller.pid = 5151
        service, _ = await attach(second)
        try:
            await wait_for(pilot, lambda: app.connected and app.snapshot.pid == 5151)
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
        await wait_for(pilot, lambda: not app.connected)
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


# -- 6: releasing a latch is visible, or says why it cannot be now -------------------------


async def test_releasing_a_latch_during_a_shed_says_it_cuts_again(state_dir: Path) -> None:
    rig = make_rig(state_dir, now=datetime(2026, 12, 1, 10, 30, tzinfo=UTC))  # red, in Paris
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        sauna = app.snapshot.channel(7)
        assert sauna.latched and sauna.powered is False
        # Latched during the shed too (issue 21, item 8): the Mode says so, as status does.
        assert "LATCHED orange 08:00-13:00" in grid_row(app, 7)
        assert sauna.reason == (
            "orange 08:00-13:00, red 10:00-12:00, then latched until an operator releases it"
        )
        await press(pilot, rig, "7", "a")
        assert app.last_message == (
            "Sauna: latched again by the shed in force; release it after 13:00"
        )
        assert "release it after 13:00" in screen_text(app)  # whole, at 80 columns
        # After the shed, the latch is what holds it: LATCHED, and a release clears it.
        rig.clock.set(datetime(2026, 12, 1, 12, 30, tzinfo=UTC))
        await press(pilot, rig, "r")
        assert "LATCHED" in grid_row(app, 7)
        await press(pilot, rig, "a")
        assert app.last_message == "back to automatic: Sauna"
        assert "LATCHED" not in grid_row(app, 7)
        assert not rig.controller.history[7].latched


# -- 14, 15: remaps that leave an action without its key are refused; ? lists the ids -------


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
            if ident.startswith("select_") and ident[-1] in "123456789":
                continue
            assert f"[{ident}]" in text or (ident == "select_0" and "[select_0…select_9]" in text)


# -- 16: quitting an in-process UI on a real board asks first ---------------------------------


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


# -- 17: the event log is useful at 80x24, re-flows on resize, pages by pages ----------------


async def test_the_log_has_room_at_80x24_and_l_gives_it_the_whole_screen(rig_default: Rig) -> None:
    rig = rig_default
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        events = app.query_one(EventPane)
        assert events.size.height >= 4
        await pilot.press("l")
        await pilot.pause()
        assert events.size.height >= 17
        assert not app.query_one(RelayGrid).display or app.query_one(RelayGrid).size.height == 0
        # Enough events to page through: each press moves a page, not a line. Made through
        # the controller (the keys' own path is tested above): 100 key presses were 10 s of
        # Textual's idle waits.
        for _ in range(25):
            await rig.controller.force(1, False)
            await rig.controller.release(1)
            rig.clock.advance(10)
        await settle(pilot, rig.controller)
        assert events.max_scroll_y > events.size.height
        bottom = events.scroll_y
        assert bottom == events.max_scroll_y
        await pilot.press("pageup")
        assert bottom - events.scroll_y >= events.size.height - 1
        await pilot.press("home")
        assert events.scroll_y == 0
        await pilot.press("end")
        assert events.scroll_y == events.max_scroll_y
        await pilot.press("l")
        await pilot.pause()
        assert app.query_one(RelayGrid).size.height >= 9


# The re-flow and filter tests look at wrapped lines: at 80x30, where the log keeps rows to spare.
# At 80x24 an override or a meter leaves it 3 rows or fewer: one line per event (test_meter_tui).
ROOMY = (80, 30)


async def test_the_log_re_flows_on_resize_and_keeps_following(rig_default: Rig) -> None:
    rig = rig_default
    app = rig.app()
    async with app.run_test(size=ROOMY) as pilot:
        await started(pilot, rig)
        events = app.query_one(EventPane)
        narrow = len(events.lines)
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        await pilot.pause()
        assert len(events.lines) < narrow  # long lines wrapped at 80 are whole at 160
        assert all(
            line.cell_length <= events.scrollable_content_region.width for line in events.lines
        )
        await press(pilot, rig, "1", "s")
        await pilot.pause()
        assert events.scroll_y == events.max_scroll_y  # still following the newest event
        await pilot.resize_terminal(*ROOMY)
        await pilot.pause()
        await pilot.pause()
        assert len(events.lines) > narrow - 1
        assert all(
            line.cell_length <= events.scrollable_content_region.width for line in events.lines
        )


# -- 18: the decisive words and times are always visible -----------------------------------


def test_widths_keep_waits_expiries_and_next_changes_whole() -> None:
    from support.views import NOW, channel

    from tui.core.forecast import HOUR
    from tui.service.snapshot import ChangeView

    long_reason = "green: waiting for a low-carbon hour (next at 23:00)"
    rows = (
        channel(1, name="Radiateurs séjour", powered=False, mode="forced", until=NOW + HOUR,
                forced_powered=False, reason="forced cut by operator until 15:07"),
        channel(3, powered=False, wanted=True, waiting="min_off until 14:32", reason=long_reason),
        channel(5, name="Pompe", reason=long_reason,
                next_change=ChangeView(NOW + 20 * HOUR, True, "low-carbon 10:00-14:00")),
    )  # fmt: skip
    narrow = render_grid(rows, None, NOW, 78).plain.splitlines()
    assert "FORCED CUT until 15:07" in narrow[1]
    assert "min_off until 14:32" in narrow[2]
    assert "ON Wed 10:07" in narrow[3] or "ON Wed 02 Dec 10:07" in narrow[3]
    wide = render_grid(rows, None, NOW, 198).plain.splitlines()
    assert "ON Wed 02 Dec 10:07 (low-carbon 10:00-14:00)" in wide[3]
    heading = wide[0]
    # Why takes what its texts need, not the whole screen.
    assert heading.index("Next") - heading.index("Why") <= len(long_reason) + 30


# -- 19: below 80x24 the screen says so -------------------------------------------------------


async def test_a_terminal_below_80x24_is_told(rig_default: Rig) -> None:
    rig = rig_default
    app = rig.app()
    async with app.run_test(size=(70, 20)) as pilot:
        await started(pilot, rig)
        assert "TERMINAL TOO SMALL: 70x20, made for 80x24" in screen_text(app).replace("\n", " ")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert "TOO SMALL" not in screen_text(app)


# -- 20: levels stay distinct in 16 colours and in monochrome --------------------------------


@pytest.mark.parametrize("system", [ColorSystem.STANDARD, ColorSystem.EIGHT_BIT])
def test_levels_stay_distinct_with_few_colours(system: ColorSystem) -> None:
    levels = (0, 1, 2, 3, None)
    backgrounds = {level_style(level).bgcolor.downgrade(system).number for level in levels}  # type: ignore[union-attr]
    assert len(backgrounds) == len(levels)
    foregrounds = {level_text_style(level).color.downgrade(system).number for level in levels}  # type: ignore[union-attr]
    assert len(foregrounds) == len(levels)
    assert len({level_letter(level) for level in levels}) == len(levels)  # monochrome: letters


# -- 21: one vocabulary, one date style -------------------------------------------------------


def test_reload_is_its_own_event_kind() -> None:
    from tui.frontends.event_text import event_line

    line = event_line(
        parse_event({"ts": "2026-12-01T14:05:12+01:00", "kind": "reload", "config": "d.toml"})
    )
    assert line == "2026-12-01 14:05:12 reload   configuration reloaded from d.toml"


# -- 22: mouse, j/k, the command palette, the filter, the bell ----------------------------


async def test_click_a_row_and_j_k_select(rig_default: Rig) -> None:
    rig = rig_default
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        grid = app.query_one(RelayGrid)
        await pilot.click(RelayGrid, offset=(5, 1 + 4))  # the heading, then rows 0..7
        await pilot.pause()
        assert app.selected == 4
        assert grid.row_at(1 + 4) == 4
        await pilot.press("j")
        assert app.selected == 5
        await pilot.press("k", "k")
        assert app.selected == 3


async def test_the_command_palette_lists_every_action(rig_default: Rig) -> None:
    rig = rig_default
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        listed = {command.help for command in app.get_system_commands(app.screen)}
        assert set(binding_ids()) - {"commands", "quit_ctrl_c"} <= listed
        assert "Force the selected relay CUT (default duration)" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_slash_filters_the_log_by_channel_or_kind(rig_default: Rig) -> None:
    rig = rig_default
    app = rig.app()
    async with app.run_test(size=ROOMY) as pilot:
        await started(pilot, rig)
        events = app.query_one(EventPane)
        await press(pilot, rig, "7", "s", "0", "p")
        await pilot.press("slash")
        assert isinstance(app.screen, FilterPrompt)
        await pilot.press(*"Sauna", "enter")
        await pilot.pause()
        text = "\n".join(line.text for line in events.lines)
        assert "Sauna: " in text and "Chauffe-eau: " not in text
        assert app.last_message.startswith("log filtered on “Sauna”")
        await pilot.press("slash", *["backspace"] * 10, *"forecast", "enter")
        await pilot.pause()
        text = "\n".join(line.text for line in events.lines)
        assert "forecast demo forecast loaded" in text and "relay    " not in text
        await pilot.press("slash", *["backspace"] * 10, "enter")
        await pilot.pause()
        assert len(events.lines) > 10


@pytest.mark.parametrize("bell", [False, True])
async def test_the_bell_rings_only_when_asked(state_dir: Path, bell: bool) -> None:
    config = demo_config(state_dir)
    config = replace(config, ui=UiConfig(bell=bell))
    rig = make_rig(state_dir, config, now=datetime(2026, 12, 1, 16, 40, tzinfo=UTC))  # 17:40
    app = rig.app()
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        assert app.snapshot.level == 1
        rig.clock.set(datetime(2026, 12, 1, 17, 5, tzinfo=UTC))  # 18:05, orange
        await press(pilot, rig, "r")
        assert app.snapshot.level == 2
    assert rings == ([1] if bell else [])
