"""The meter in the terminal UI (Textual's Pilot, the real controller on the demo configuration
with a scripted meter): the timeline's power line, the last hour against the limit, at 80x24
and on a large screen, and the measured power in the selected relay's sentence."""

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.meter import ScriptedMeter
from support.tui_harness import (
    PID,
    Rig,
    demo_config,
    screen_text,
    settle,
    short_state_dir,
    simulated_board,
)
from textual.pilot import Pilot

from tui.adapters.clock import ManualClock
from tui.adapters.sources.demo import DemoSource, DemoTempoSource
from tui.core.meter_config import MeterConfig
from tui.frontends.app.timeline import power_row
from tui.service.controller import Controller
from tui.service.snapshot import MeterView

NOW = datetime(2026, 12, 1, 13, 7, tzinfo=UTC)


@pytest.fixture
def state_dir() -> Iterator[Path]:
    yield from short_state_dir()


def meter_rig(state_dir: Path) -> tuple[Rig, ScriptedMeter]:
    config = replace(demo_config(state_dir), meter=MeterConfig(limit=9000))
    clock = ManualClock(NOW - timedelta(minutes=40))
    board = simulated_board(config, clock)
    meter = ScriptedMeter()
    controller = Controller(
        config,
        clock=clock,
        board=board,
        source=DemoSource(),
        state_dir=state_dir,
        pid=PID,
        tempo_source=DemoTempoSource(),  # type: ignore[arg-type]
        meter_source=meter,
    )
    return Rig(config, clock, board, controller, state_dir), meter


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_timeline_draws_the_last_hour_of_power(
    state_dir: Path, size: tuple[int, int]
) -> None:
    rig, meter = meter_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=size) as pilot:
        for minute in range(40):  # 40 minutes of a home around 3 kVA, a 9.9 kVA minute
            meter.put(rig.clock.now(), 9900 if minute == 30 else 3000 + 50 * minute)
            await settle(pilot, rig.controller)
            rig.clock.advance(60)
        meter.put(rig.clock.now(), 4200)
        await settle(pilot, rig.controller)
        lines = screen_text(app).splitlines()
        row = next(line for line in lines if line.startswith(" Power 1h"))
        assert len(row) <= size[0]
        assert "▲" in row and "now 4.2 / 9 kVA" in row
        if size[0] >= 100:
            assert "(peak 9.9 kVA)" in row
        # The relay grid and the event log keep their place: every relay row is on screen.
        for channel in rig.config.channels:
            assert any(
                line[3:].startswith(f"{channel.index} {channel.name[:10]}") for line in lines
            )
        assert any("meter (tic on /dev/ttyTEST): 3 kVA, cut-off 9 kVA" in line for line in lines)
        await pilot.press("q")


def test_the_power_line_says_a_stale_meter_and_fits_its_width() -> None:
    peaks = (None,) * 50 + (3000,) * 10
    view = MeterView(
        source="tic",
        where="tic on /dev/ttyACM0",
        state="stale",
        power_va=3000,
        limit_va=9000,
        words="meter stale since 14:03 (last 3 / 9 kVA)",
        recent_va=peaks,
    )
    row = power_row(view, 11, 59, 80).plain
    assert row.startswith("Power 1h   ") and "meter stale since 14:03" in row
    assert len(row) <= 80
    ok = replace(view, state="ok", words="3 / 9 kVA, trip in 12 s", trip_in_s=12.4)
    assert power_row(ok, 11, 59, 80).plain.endswith("now 3 / 9 kVA, trip in 12 s")
    waiting = MeterView(
        source="tic", where="tic", state="waiting", words="meter: waiting for a frame"
    )
    assert power_row(waiting, 11, 59, 80).plain == "Power 1h   meter: waiting for a frame"


Compare = Callable[..., bool]


def test_the_power_line_snapshot_at_80x24(snap_compare: Compare, state_dir: Path) -> None:
    """The picture (update with --snapshot-update and look at it): 40 minutes of a home, one
    minute over the limit, at 80x24."""
    rig, meter = meter_rig(state_dir)

    async def fed(pilot: Pilot[int]) -> None:
        for minute in range(40):
            meter.put(rig.clock.now(), 9900 if minute == 30 else 3000 + 50 * minute)
            await settle(pilot, rig.controller)
            rig.clock.advance(60)
        meter.put(rig.clock.now(), 4200)
        await settle(pilot, rig.controller)

    assert snap_compare(rig.app(), terminal_size=(80, 24), run_before=fed)


async def test_a_short_event_log_shows_whole_events_not_wrapped_tails(state_dir: Path) -> None:
    """At 80x24 with a meter the log has three rows or fewer: each row is an event's start (its time
    or the day's rule), cut with an ellipsis, never the tail of a wrapped line."""
    from tui.frontends.app.eventlog import SHORT_ROWS, EventPane

    rig, meter = meter_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        meter.put(rig.clock.now(), 4200)
        await settle(pilot, rig.controller)
        pane = app.query_one(EventPane)
        rows = pane.scrollable_content_region.height
        assert 0 < rows <= SHORT_ROWS
        lines = [strip.text for strip in pane.lines]
        assert len(lines) == len(pane.shown) + 1  # one row per event, plus the day's rule
        assert any(line.rstrip().endswith("…") for line in lines)  # a long one, cut
        for line in lines:
            assert line.startswith("──") or line[:8].count(":") == 2, line


async def test_at_80x24_with_a_meter_the_log_shows_the_newest_event_from_its_start(
    state_dir: Path,
) -> None:
    """What the eye reads in the log's row at 80x24 with a meter, after the power rule cut a
    load (an event longer than a row): the event from its beginning (its time, its kind, its
    first words), not the tail of a wrapped line ('had it)')."""
    from tui.frontends.app.eventlog import EventPane, event_text

    rig, meter = meter_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(EventPane)
        for _ in range(60):  # far over the 9 kVA limit until the power rule cuts
            meter.put(rig.clock.now(), 17300)
            await settle(pilot, rig.controller)
            texts = [event_text(event).plain for event in pane.shown]
            if any(" relay " in text and "kVA over" in text for text in texts):
                break
            rig.clock.advance(5)
        newest = event_text(pane.shown[-1]).plain
        assert "kVA" in newest and len(newest) > pane.scrollable_content_region.width, newest
        region = pane.scrollable_content_region
        screen = screen_text(app).splitlines()
        seen = [screen[y][region.x : region.right].rstrip() for y in range(region.y, region.bottom)]
        assert seen, "no row for the log"
        assert re.match(r"\d\d:\d\d:\d\d [a-z]+ +\w", seen[-1]), seen
        assert newest.startswith(seen[-1].removesuffix("…")), (seen, newest)
        assert seen[-1].endswith("…"), seen


def test_the_power_line_in_french() -> None:
    """The timeline's power row follows the language (it was English in a French UI)."""
    from tui.compose.language import set_language

    view = MeterView(
        source="tic",
        where="tic on /dev/ttyACM0",
        state="ok",
        power_va=9600,
        limit_va=9000,
        words="9,6 / 9 kVA",
        trip_in_s=41.6,
        recent_va=(None,) * 40 + (9600,) * 10,
    )
    set_language("fr")
    try:
        row = power_row(view, 17, 72, 80).plain
    finally:
        set_language("en")
    assert row.startswith("Puissance 1 h    "), row
    assert row.endswith(" actuelle 9,6 / 9 kVA, disjonction dans 42 s"), row
    assert len(row) <= 80
    assert power_row(view, 17, 72, 80).plain.startswith("Power 1h "), "English again after"
