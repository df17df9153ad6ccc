"""The UI's start pauses the cyclic garbage collector until the first screen (startup.py)."""

import gc
from pathlib import Path

import pytest

from tui.frontends.cli import main
from tui.frontends.startup import pause_collector, resume_collector


def test_pause_and_resume_are_paired_and_idempotent() -> None:
    assert gc.isenabled()
    try:
        pause_collector()
        assert not gc.isenabled()
        pause_collector()  # a second pause changes nothing
        resume_collector()
        assert gc.isenabled()
        resume_collector()  # and a second resume neither
        assert gc.isenabled()
    finally:
        gc.enable()


def test_resume_leaves_a_collector_someone_else_turned_off() -> None:
    gc.disable()
    try:
        pause_collector()  # already off: not ours to turn back on
        resume_collector()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_command_line_never_leaves_the_collector_paused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A UI start that fails before the app runs (here: a configuration that is not there)
    still resumes the collector on its way out, for an in-process caller such as a test."""
    code = main(["--config", str(tmp_path / "absent.toml")])
    assert code == 2
    assert gc.isenabled()
    assert "absent.toml" in capsys.readouterr().err


async def test_the_app_resumes_the_collector_once_its_first_screen_is_drawn(
    state_dir: Path,
) -> None:
    from support.tui_harness import make_rig, screen_text, settle

    rig = make_rig(state_dir)
    app = rig.app()
    pause_collector()  # as the command line does before it imports the UI
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, rig.controller)
            await pilot.pause()  # the refresh after the first update
            assert "Sauna" in screen_text(app)
            assert gc.isenabled()
    finally:
        resume_collector()
        gc.enable()
