"""Putting a controller together from a configuration, and serving it on the control socket.

Front ends call ``build_controller(config)`` then ``serve(controller)`` (the headless service, or
the TUI when no service is running: it passes ``serve(controller)`` to the app, which runs it as a
background task in its own event loop and stops it on quit with ``controller.close()``).
"""

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from tui.adapters.boards.factory import make_board
from tui.adapters.clock import Clock, SystemClock
from tui.adapters.rte.source import RteSource
from tui.adapters.sources.base import ForecastSource, TempoSource
from tui.adapters.sources.factory import make_source
from tui.adapters.state_dir import resolve_state_dir
from tui.adapters.tempo.factory import make_tempo_source
from tui.core.config import Config
from tui.service.control_socket import ControlServer, SocketUnavailable, socket_path
from tui.service.controller import Controller
from tui.service.history_feed import FINISH_TIMEOUT, HistoryFeed


def build_controller(
    config: Config, clock: Clock | None = None, environ: Mapping[str, str] | None = None
) -> Controller:
    clock = clock or SystemClock()
    state_dir = resolve_state_dir(config, environ)
    source = make_source(config, state_dir, environ)
    return Controller(
        config,
        clock=clock,
        board=make_board(config, clock),
        source=source,
        state_dir=state_dir,
        tempo_source=build_tempo_source(config, state_dir, source, environ),
    )


def build_tempo_source(
    config: Config,
    state_dir: Path,
    source: ForecastSource,
    environ: Mapping[str, str] | None = None,
) -> TempoSource | None:
    """The [tempo] source, sharing the forecast source's RTE session (one token) if it has one.
    Raises InputError for unusable credentials, as the forecast source does."""
    session = source.client.session if isinstance(source, RteSource) else None
    return make_tempo_source(config, state_dir, environ, session=session)


async def serve(controller: Controller, until: datetime | None = None) -> None:
    """Run the controller and its control socket until the controller stops."""
    if not controller.held:
        controller.acquire()
    server = ControlServer(
        controller, socket_path(controller.state_dir), controller.config.service.socket_group
    )
    feed = HistoryFeed(controller)  # before the start, so it knows which events are this run's
    task = asyncio.create_task(controller.run(until))
    started = asyncio.create_task(controller.started.wait())
    await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
    started.cancel()
    history: asyncio.Task[None] | None = None
    try:
        if not task.done():
            history = asyncio.create_task(feed.run())
            try:
                await server.start()
            except SocketUnavailable as error:
                # The socket is not essential: the relays are still driven without it.
                for problem in error.problems:
                    controller.log_error(
                        "socket",
                        f"{problem}; running without it: status, force, release and the UI "
                        "cannot reach this service",
                    )
        await task
    finally:
        if not task.done():
            controller.stop()
            with contextlib.suppress(Exception):
                await task
        await server.close()
        if history is not None:
            # The feed ends with the controller's subscription, after recording the stop.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(history, FINISH_TIMEOUT)
