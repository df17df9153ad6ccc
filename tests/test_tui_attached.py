"""The TUI attached to a real service over the control socket: it drives the service's board,
shows its events, and quitting it leaves the service running."""

import asyncio
from pathlib import Path

from test_tui_harness import (
    PID,
    Rig,
    make_rig,
    screen_text,
    settle,
    started,
)
from textual.pilot import Pilot

from tui.compose.service import serve
from tui.frontends.app import DelestageApp
from tui.frontends.app.eventlog import EventPane, event_text
from tui.service.remote import RemoteController, connect


async def attach(rig: Rig) -> tuple[asyncio.Task[None], RemoteController]:
    service = asyncio.create_task(serve(rig.controller))
    for _ in range(500):
        link = await connect(rig.state_dir)
        if link is not None:
            return service, link
        await asyncio.sleep(0.01)
    raise AssertionError("the service never answered on its socket")


async def stop(rig: Rig, service: asyncio.Task[None]) -> None:
    rig.controller.stop()
    await service


async def wait_for(pilot: Pilot[int], condition: object) -> None:
    for _ in range(1500):
        if condition():  # type: ignore[operator]
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never became true")


async def test_attached_ui_drives_the_service_and_quitting_leaves_it_running(
    state_dir: Path,
) -> None:

    rig = make_rig(state_dir)
    service, link = await attach(rig)
    assert link.description == f"attached to PID {PID}"
    app = DelestageApp(link, rig.config, now=rig.clock.now)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await started(pilot, rig)
            assert f"attached to PID {PID}" in screen_text(app)
            await pilot.press("1", "s")
            await settle(pilot, rig.controller)
            assert rig.board.state(1) is True  # "nc": energised = cut
            assert rig.controller.overrides[1].powered is False
            shown = [event_text(event).plain for event in app.query_one(EventPane).shown]
            assert any("Radiateurs séjour: forced cut by operator" in line for line in shown)
            assert any("relay    Radiateurs séjour: CUT" in line for line in shown)
            await pilot.press("q")
        assert app.return_code == 0
        assert not service.done()
        again = await connect(state_dir)
        assert again is not None  # still answering
        assert (await again.snapshot()).channel(1).mode == "forced"
        assert rig.board.attached
    finally:
        await stop(rig, service)


async def test_attached_ui_says_when_the_service_goes_and_comes_back(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    service, link = await attach(rig)
    app = DelestageApp(link, rig.config, now=rig.clock.now)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot, rig)
        await stop(rig, service)
        await wait_for(pilot, lambda: not app.connected)
        screen = screen_text(app)
        assert "DISCONNECTED" in screen and "SERVICE STOPPED" in screen
        assert app.is_running

        second = make_rig(state_dir)
        service, _ = await attach(second)
        try:
            await wait_for(pilot, lambda: app.connected)
            assert "DISCONNECTED" not in screen_text(app)
        finally:
            await stop(second, service)
        await pilot.press("q")
