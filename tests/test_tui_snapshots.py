"""SVG snapshots of the demo on a fixed clock and PID (update with --snapshot-update, then look
at every changed picture before committing it)."""

from collections.abc import Callable
from pathlib import Path

import pytest
from support.tui_harness import make_rig, settle
from textual.pilot import Pilot

Compare = Callable[..., bool]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_demo(snap_compare: Compare, state_dir: Path, size: tuple[int, int]) -> None:
    rig = make_rig(state_dir)

    async def ready(pilot: Pilot[int]) -> None:
        await settle(pilot, rig.controller)

    assert snap_compare(rig.app(), terminal_size=size, run_before=ready)


def test_forced_cut_at_80x24(snap_compare: Compare, state_dir: Path) -> None:
    rig = make_rig(state_dir)

    async def force_cut(pilot: Pilot[int]) -> None:
        await settle(pilot, rig.controller)
        rig.clock.advance(10)
        await pilot.press("1", "s")
        await settle(pilot, rig.controller)

    assert snap_compare(rig.app(), terminal_size=(80, 24), run_before=force_cut)


def test_help_at_80x24(snap_compare: Compare, state_dir: Path) -> None:
    rig = make_rig(state_dir)

    async def ready(pilot: Pilot[int]) -> None:
        await settle(pilot, rig.controller)

    assert snap_compare(
        rig.app(), press=["question_mark"], terminal_size=(80, 24), run_before=ready
    )
