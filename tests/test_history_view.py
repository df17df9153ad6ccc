"""The channels-over-time view in the UI, at 80x24: a morning as recorded, the rest of the day as
planned, the selected cell explained, the selected channel's totals; in colour and NO_COLOR."""

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from support.tmux import Tmux
from support.tmux import delestage_command as tmux_command
from support.tui_harness import (
    DEMO_CONFIG,
    FIXED_NOW,
    PID,
    demo_config,
    make_rig,
    screen_text,
    settle,
    short_state_dir,
)
from textual.pilot import Pilot

from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.adapters.sources.demo import DemoSource
from tui.compose.service import serve
from tui.core.forecast import PARIS
from tui.core.history import Segment, State, Totals
from tui.frontends.app import DelestageApp
from tui.frontends.app.channels_view import ChannelsView, render_view
from tui.service.controller import Controller
from tui.service.history_view import ChannelHistory, HistoryView

MIDNIGHT = FIXED_NOW.astimezone(PARIS).replace(hour=0, minute=7)


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A state directory holding the service's record of the morning, midnight to 14:07."""
    for path in short_state_dir():
        config = demo_config(path)
        clock = ManualClock(MIDNIGHT, auto_advance=True)
        board = SimulatedBoard([r for channel in config.channels for r in channel.relays], clock)
        controller = Controller(
            config, clock=clock, board=board, source=DemoSource(), state_dir=path, pid=PID
        )
        asyncio.run(asyncio.wait_for(serve(controller, until=FIXED_NOW), 60))
        yield path


async def open_view(pilot: Pilot[int], *keys: str) -> ChannelsView:
    app = pilot.app
    assert isinstance(app, DelestageApp)
    await settle(pilot)
    await pilot.press("h")
    for _ in range(200):
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, ChannelsView) and screen.view is not None:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the view never loaded")
    await pilot.press(*keys)
    await pilot.pause()
    return screen


async def test_the_view_at_80x24_shows_the_record_the_plan_and_why(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_view(pilot)
        text = screen_text(app)
        lines = text.splitlines()
        assert lines[0].startswith("Channels over time · Tue 01 Dec 2026 (today)")
        assert lines[2].startswith("Tue 01 Dec")  # the signal row, under the ruler
        rows = [line for line in lines if line[:2] in {f"{n} " for n in range(8)}]
        assert len(rows) == 7  # the demo: a pilot-wire radiator on two of the 8 relays
        heater = rows[0]  # Chauffe-eau, shed at orange: cut through the red morning
        cells = cells_of(heater)
        assert len(text.splitlines()) <= 24 and all(len(line) <= 80 for line in lines)
        assert "X" in heater and "▶" in heater
        # 00:00 was lived as recorded; the hour of 14:00 is marked now.
        assert len(cells) == 24 and cells[0] in {" X", " ·"} and cells[14][0] == "▶"
        assert "Chauffe-eau · Tue 01 14:00-15:00" in text
        assert "today cut" in text and "kWh kept off" in text  # it has a power
        assert view.view is not None and view.view.channels[0].today.cut_strained_minutes > 0
        # The configured power reaches front ends with every snapshot (MQTT publishes it).
        assert (await rig.controller.snapshot()).channel(0).power_w == 2400.0

        # Select 10:00 (a red hour, in the past): what happened, and why.
        await pilot.press(*["left"] * 4)
        text = screen_text(app)
        assert "Chauffe-eau · Tue 01 10:00-11:00 · was CUT since 06:00" in text
        assert "then ON at 23:00" in text  # and what comes next
        assert "signal red" in text
        # The next day is planned, not recorded.
        await pilot.press("pagedown", "down")
        text = screen_text(app)
        assert "Channels over time · Wed 02 Dec 2026" in text
        assert "Radiateurs séjour · Wed 02 10:00-11:00 · planned" in text
        # The main screen kept following the controller while the view was up.
        rig.clock.advance(10)
        await rig.controller.force(5, True)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChannelsView)
        await settle(pilot, rig.controller)
        assert "FORCED" in screen_text(app)


async def test_the_view_says_everything_in_letters_under_no_color(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot)
        svg = app.export_screenshot()
        text = screen_text(app)
    assert app.no_color
    assert "#b71c1c" not in svg.lower()
    for words in (" X cut", " · on", " F forced", " ? unknown", "▶ now", "▲"):
        assert words in text


Compare = Callable[..., bool]


def test_view_snapshot_at_80x24(snap_compare: Compare, state_dir: Path) -> None:
    rig = make_rig(state_dir)

    async def opened(pilot: Pilot[int]) -> None:
        await open_view(pilot, "left", "left", "left")

    assert snap_compare(rig.app(), terminal_size=(80, 24), run_before=opened)


def test_the_forced_hours_show_as_forced(state_dir: Path) -> None:
    async def scenario() -> str:
        rig = make_rig(state_dir)
        app = rig.app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, rig.controller)
            rig.clock.advance(10)
            await pilot.press("3", "s")  # force Sèche-linge cut for 2 h
            await settle(pilot, rig.controller)
            await open_view(pilot)
            return screen_text(app)

    text = asyncio.run(scenario())
    dryer = next(line for line in text.splitlines() if line.startswith("3 "))
    assert "F" in "".join(cells_of(dryer))
    assert "forced" in text  # the detail line of the selected (forced) hour
    assert rig_hours_after(dryer) >= 1


def cells_of(row: str) -> list[str]:
    """The hour cells of a channel (or signal) row at 80 columns: two characters each after
    the label, whose width follows the longest name (it ends in two spaces at least: its
    padding and a cell's own)."""
    start = row.index("  ")
    while row[start] == " ":
        start += 1
    if row[start] != "▶":
        start -= 1  # the cell's leading space
    grid = row[start:]
    return [grid[k : k + 2] for k in range(0, len(grid.rstrip()), 2)]


def rig_hours_after(row: str) -> int:
    """How many forced cells follow the now marker in a row."""
    cells = cells_of(row)
    now = next(k for k, cell in enumerate(cells) if cell.startswith("▶"))
    return sum(1 for cell in cells[now + 1 :] if cell == " F")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux(f"delestage-view-{uuid.uuid4().hex[:8]}")
    try:
        yield server
    finally:
        subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_view_in_a_real_terminal_at_80x24(tmux: Tmux) -> None:
    for directory in short_state_dir():
        text = DEMO_CONFIG.read_text()
        demo_state = 'state_dir = "~/.local/state/delestage-demo"'  # the demo's own
        assert demo_state in text
        config = directory / "delestage.toml"
        config.write_text(text.replace(demo_state, f'state_dir = "{directory}"'))
        tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24",
             "env", "NO_COLOR=1", tmux_command(), "--config", str(config))  # fmt: skip
        tmux.wait_for("the relay grid", lambda s: "Radiateurs chambres" in s)
        tmux("send-keys", "-t", "e2e", "h")
        view = tmux.wait_for("the view", lambda s: "PgUp/PgDn day" in s)
        lines = view.splitlines()
        assert lines[0].startswith("Channels over time")
        rows = [line for line in lines if line[:2] in {f"{n} " for n in range(8)}]
        assert len(rows) == 7 and all("▶" in line for line in rows)
        tmux("send-keys", "-t", "e2e", "Right")
        later = tmux.wait_for("the next hour", lambda s, before=view: s != before)
        assert "planned" in later or "not planned" in later
        tmux("send-keys", "-t", "e2e", "Escape")
        tmux.wait_for("the main screen", lambda s: "Relay" in s and "Channels over" not in s)
        tmux("send-keys", "-t", "e2e", "q")


@pytest.mark.parametrize(("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25)])
def test_a_daylight_saving_day_has_its_real_number_of_cells(day: str, hours: int) -> None:
    first = datetime.fromisoformat(f"{day}T00:00").replace(tzinfo=PARIS)
    start, end = first.timestamp(), first.timestamp() + hours * 3600
    cut = Segment(start, end, State.CUT, "red all day")
    view = HistoryView(
        now=first + timedelta(days=2),
        start=first,
        end=first + timedelta(days=1),
        winter_from=date(2025, 11, 1),
        levels={start + 3600 * k: 3 for k in range(hours)},
        channels=(ChannelHistory(0, "Chauffe-eau", None, (cut,), Totals(), Totals()),),
    )
    text = render_view(view, first.date(), 0, hours - 1, first + timedelta(days=2), 80).plain
    row = next(line for line in text.splitlines() if line.startswith("0 "))
    signal = next(line for line in text.splitlines() if line.startswith(first.strftime("%a")))
    assert cells_of(row) == [" X"] * hours
    assert cells_of(signal) == [" R"] * hours
    assert len(row) <= 80 and len(signal) <= 80  # the grid fits; the words wrap on screen
    # The last hour, selected, is described: 23:00-00:00 whatever the length of the day.
    assert f"Chauffe-eau · {first:%a %d} 23:00-00:00 · was CUT since 00:00 (red all day)" in text
