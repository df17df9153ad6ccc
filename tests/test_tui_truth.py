"""Issue 13: what the operator sees is true, complete and readable at 80x24."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from test_tui_harness import Rig, make_rig, screen_text, short_state_dir
from textual.pilot import Pilot

from tui.frontends.app import DelestageApp
from tui.frontends.app.relays import RelayGrid
from tui.frontends.app.timeline import SignalInfo, Timeline
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
