"""The help screen and docs/user-interface.md say what the Tempo words on screen mean (Pilot, the
real controller with the demo Tempo source)."""

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_tempo_tui import tempo_rig
from test_tui_harness import demo_config, make_rig, screen_text, settle, short_state_dir

from tui.frontends.app.dialogs import HelpScreen

UI_PAGE = Path(__file__).resolve().parents[1] / "docs" / "user-interface.md"
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 Paris: the header says "tomorrow ?"


@pytest.fixture
def state_dir() -> Iterator[Path]:
    yield from short_state_dir()


def line_with(text: str, words: str) -> str:
    return next(line for line in text.splitlines() if words in line)


async def test_help_explains_the_tempo_words_shown_at_80_columns(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, MORNING)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        assert "Tempo red, tomorrow ?" in screen_text(app).splitlines()[0]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text.plain
        await pilot.press("q")
    tempo = text[text.index("\nTempo (") :]
    assert "Tempo red · tomorrow white" in tempo
    assert line_with(tempo, "not published yet").split() == ["?", "/", "not", "published", "yet"]
    assert "10:30" in tempo and "never cuts" in tempo
    assert "Tue 01 Dec red" in line_with(tempo, "each day's Tempo colour")
    assert "peak hours 06:00-22:00 of a white or red day" in line_with(tempo, "underlined")
    assert line_with(tempo, "Tempo red, peak 06:00-22:00").strip() == "Tempo red, peak 06:00-22:00"
    assert "refresh the forecast and Tempo" in line_with(text, "[refresh]")
    # The help box at 80 columns holds 74 characters a line: none of these wraps.
    assert max(len(line) for line in tempo.splitlines()) <= 73


async def test_help_has_no_tempo_words_when_tempo_is_off(state_dir: Path) -> None:
    rig = make_rig(state_dir, replace(demo_config(state_dir), tempo=None))
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text.plain
        await pilot.press("q")
    assert "Tempo" not in text.replace("refresh the forecast and Tempo", "")


def test_the_words_on_screen_say_what_the_help_says_about_tempo() -> None:
    page = UI_PAGE.read_text(encoding="utf-8")
    section = re.search(r"\n## The words on screen\n(.*?)(?:\n## |\Z)", page, re.S)
    assert section is not None
    words = " ".join(section.group(1).split())
    for phrase in (
        "Tempo red · tomorrow white",
        "`?`",
        "not published yet",
        "10:30",
        "underlined",
        "peak hours 06:00-22:00 of white and red days",
        "Tempo red, peak 06:00-22:00",
    ):
        assert phrase in words, phrase
