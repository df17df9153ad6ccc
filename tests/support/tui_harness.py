"""Shared by the TUI tests (no tests here): the REAL controller on the demo configuration, with
a simulated board, the demo source, a short temporary state directory and a fixed clock."""

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.adapters.config_file import load_config
from tui.adapters.sources.demo import DemoSource, DemoTempoSource
from tui.compose.service import serve
from tui.core.config import Config
from tui.frontends.app import DelestageApp
from tui.frontends.app.relays import RelayGrid, render_grid
from tui.service.controller import Controller
from tui.service.remote import RemoteController, connect

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "delestage.toml"
# 14:07 in Paris on a Tuesday: the demo's day 0 is always a red day.
FIXED_NOW = datetime(2026, 12, 1, 13, 7, tzinfo=UTC)
# Relays that moved at the start may not move again for a few seconds (min_switch_gap): the
# tests act this long after it.
SETTLED = 10
AFTER_START = FIXED_NOW + timedelta(seconds=SETTLED)
PID = 4242


def demo_config(state_dir: Path) -> Config:
    config = load_config(DEMO_CONFIG)
    # A fixed path: the "start" event names the config file, and snapshots must not depend on
    # where the repository is checked out.
    return replace(
        config, service=replace(config.service, state_dir=str(state_dir)), path="delestage.toml"
    )


def short_state_dir() -> Iterator[Path]:
    """A state directory with a short path (a Unix socket's must fit in about 100 bytes); each
    test module wraps it in its own ``state_dir`` fixture."""
    path = Path(tempfile.mkdtemp(prefix="dlst-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@dataclass
class Rig:
    config: Config
    clock: ManualClock
    board: SimulatedBoard
    controller: Controller
    state_dir: Path

    def app(self, *, in_process: bool = True, **options: object) -> DelestageApp:
        """The app on this controller, running it (and its socket) itself, as bare `delestage`
        does when no service answers."""
        return DelestageApp(
            self.controller,
            self.config,
            service=serve(self.controller) if in_process else None,
            now=self.clock.now,
            **options,  # type: ignore[arg-type]
        )


def make_rig(state_dir: Path, config: Config | None = None, now: datetime = FIXED_NOW) -> Rig:
    config = config or demo_config(state_dir)
    clock = ManualClock(now)
    board = simulated_board(config, clock)
    controller = Controller(
        config, clock=clock, board=board, source=DemoSource(), state_dir=state_dir, pid=PID
    )
    return Rig(config, clock, board, controller, state_dir)


def simulated_board(config: Config, clock: ManualClock) -> SimulatedBoard:
    """A simulated board with every relay the configuration drives (a pilot-wire channel has
    two: a board of channel indexes only lacks the second, and the controller fails to start)."""
    return SimulatedBoard([r for channel in config.channels for r in channel.relays], clock)


async def first_update(app: DelestageApp) -> None:
    """Until the app shows its first update; a failure, not a wait forever, when its in-process
    controller stopped before that (the app then only asks to exit)."""
    shown = asyncio.ensure_future(app.wait_for_first_update())
    service = app._service_task
    await asyncio.wait(
        [shown] if service is None else [shown, service], return_when="FIRST_COMPLETED"
    )
    if not shown.done():
        shown.cancel()
        reasons = [str(item) for item in app._exit_renderables]
        raise AssertionError(f"the controller stopped before the app's first update: {reasons}")


async def settle(pilot: Pilot[int], controller: Controller | None = None) -> None:
    """Wait until commands are done and the app shows the controller's latest state."""
    app = pilot.app
    assert isinstance(app, DelestageApp)
    await first_update(app)
    for _ in range(200):
        await app.wait_for_commands()
        await pilot.pause()
        if controller is None or app.snapshot == await controller.snapshot():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the app never caught up with the controller")


async def started(pilot: Pilot[int], rig: Rig) -> None:
    """The app shows the started controller, and relays are free to move again."""
    await settle(pilot, rig.controller)
    rig.clock.advance(SETTLED)


def screen_text(app: DelestageApp) -> str:
    """Everything on the screen (modals included), as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


def tempo_rig(state_dir: Path, now: datetime) -> Rig:
    config = demo_config(state_dir)
    assert config.tempo is not None  # the shipped demo turns Tempo on
    clock = ManualClock(now)
    board = simulated_board(config, clock)
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


def grid_row(app: DelestageApp, index: int) -> str:
    grid = app.query_one(RelayGrid)
    text = render_grid(grid.channels, grid.selected, app.now(), 80).plain
    return next(line for line in text.splitlines()[1:] if line[2:].startswith(f"{index} "))


async def press(pilot: Pilot[int], rig: Rig, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot, rig.controller)


# -- attached to the rig's service over its control socket ------------------------------


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
