"""The snapshot's plan cache (service/snapshot_builder.PlanCache): what it returns is what a
fresh plan says, at every instant, and it is used while nothing changed."""

import asyncio
from datetime import timedelta
from pathlib import Path

from support.tui_harness import make_rig

from tui.service.snapshot_builder import PlanCache, next_changes


async def test_the_cached_next_changes_are_the_fresh_ones_at_every_instant(tmp_path: Path) -> None:
    rig = make_rig(tmp_path / "state")
    controller, clock = rig.controller, rig.clock
    task = asyncio.create_task(controller.run())
    try:
        await controller.started.wait()
        await controller.settle()
        cache = PlanCache()
        start = clock.now()
        first = next_changes(controller, start, cache)
        assert first and next_changes(controller, start + timedelta(seconds=1), cache) is first
        # Across a day of the demo's strains, by 7-minute steps: the controller steps (relays
        # move, the history changes) and the cache must always answer as a fresh plan would.
        hits = 0
        for _ in range(24 * 60 // 7):
            clock.advance(7 * 60)
            await controller.settle()
            now = clock.now()
            before = cache.changes
            cached = next_changes(controller, now, cache)
            hits += cached is before
            assert cached == next_changes(controller, now), now
        assert 0 < hits < 24 * 60 // 7  # used while nothing changed, renewed when it did
        # Past the earliest planned change with no step in between (the history as it was):
        # a plan from before that change is no answer any more.
        soonest = min(change.at for change in cache.changes.values())
        later = soonest + timedelta(seconds=1)
        assert next_changes(controller, later, cache) == next_changes(controller, later)
        # An override is an input: the next change of that channel follows it at once.
        await controller.force(0, True, duration=timedelta(minutes=30))
        now = clock.now()
        assert next_changes(controller, now, cache) == next_changes(controller, now)
    finally:
        controller.stop()
        await asyncio.wait_for(task, 30)
