"""Tempo in the terminal UI (Textual's Pilot, the real controller with the demo Tempo source):
the header's today and tomorrow, and the timeline's colour column and peak hours."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.text import Text
from test_tui_harness import PID, Rig, demo_config, screen_text, settle, short_state_dir

from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.adapters.sources.demo import DemoSource, DemoTempoSource
from tui.frontends.app.timeline import render_days
from tui.service.controller import Controller
from tui.service.snapshot import TempoDayView, TempoView

MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 Paris: tomorrow not out yet
AFTERNOON = datetime(2026, 12, 1, 13, 7, tzinfo=UTC)  # 14:07: published at 10:30


@pytest.fixture
def state_dir() -> Iterator[Path]:
    yield from short_state_dir()


def tempo_rig(state_dir: Path, now: datetime) -> Rig:
    config = demo_config(state_dir)
    assert config.tempo is not None  # the shipped demo turns Tempo on
    clock = ManualClock(now)
    board = SimulatedBoard([channel.index for channel in config.channels], clock)
    controller = Controller(
        config,
        clock=clock,
        board=board,
        source=DemoSource(),
        state_dir=state_dir,
        pid=PID,
        tempo_source=DemoTempoSource(),  # type: ignore[arg-type]
    )
    return Rig(config, clock, board, controller, state_dir)


@pytest.mark.parametrize(
    ("now", "size", "header"),
    [
        (
            datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
            (120, 40),
            "Tempo red · tomorrow not published yet",
        ),
        (datetime(2026, 12, 1, 13, 7, tzinfo=UTC), (120, 40), "Tempo red · tomorrow white"),
        (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), (80, 24), "Tempo red, tomorrow ?"),
    ],
    ids=["before-publication", "after-publication", "80x24"],
)
async def test_the_header_shows_today_and_tomorrow(
    state_dir: Path, now: datetime, size: tuple[int, int], header: str
) -> None:
    rig = tempo_rig(state_dir, now)
    app = rig.app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot, rig.controller)
        lines = screen_text(app).splitlines()
        assert header in lines[0]
        timeline = "\n".join(lines[:12])
        assert "Tue 01 Dec red" in timeline
        legend = "Tempo: underlined = peak 06:00-22:00 of white/red days" in timeline
        # A short screen gives the row to the event log ("?" is in the level legend).
        assert legend is (size[1] >= 30)
        await pilot.press("q")


def test_peak_hours_of_red_and_white_days_are_underlined_and_blue_ones_are_not() -> None:
    from tui.core.forecast import HOUR, PARIS
    from tui.service.snapshot import ForecastView, SlotView

    first = datetime(2026, 12, 1, tzinfo=PARIS).astimezone(UTC)
    forecast = ForecastView(
        source="demo", slots=tuple(SlotView(first + HOUR * n, 1) for n in range(72))
    )
    tempo = TempoView(
        source="demo",
        today="red",
        days=(
            TempoDayView("2026-12-01", "red"),
            TempoDayView("2026-12-02", "blue"),
            TempoDayView("2026-12-03", None),
        ),
    )
    text = render_days(forecast, first, 120, tempo=tempo)
    rows = text.split("\n")
    assert rows[1].plain.startswith("Tue 01 Dec red") and rows[2].plain.startswith(
        "Wed 02 Dec blue"
    )
    assert rows[3].plain.startswith("Thu 03 Dec ?")

    def underlined(row: Text) -> list[int]:
        """The hours of the day whose cells are underlined (cells are 3 wide from column 17)."""
        hours = set()
        for span in row.spans:
            style = span.style
            if not isinstance(style, str) and style.underline:
                hours.update(range((span.start - 17) // 3, (span.end - 17 - 1) // 3 + 1))
        return sorted(hours)

    assert underlined(rows[1]) == list(range(6, 22))
    assert underlined(rows[2]) == []
    assert underlined(rows[3]) == []
