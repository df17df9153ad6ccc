"""Wire and run a service: used by the headless service, the UI's in-process service and tests.

``build_controller(config)`` makes the controller with the board, the sources and the state
directory the configuration names; ``Service(controller).run()`` runs it with its control
socket, the history feed and, with ``[mqtt]``, the MQTT bridge. The headless service
(``Service.run(signals=...)``, with SIGTERM, SIGINT and SIGHUP), the TUI's in-process service and
the tests all run a service this way, so what one runs is what the others run.
"""

import asyncio
import contextlib
import signal
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from pathlib import Path

from tui.adapters.boards.base import RelayBoard
from tui.adapters.boards.factory import make_board  # not compose.boards: no Phidget discovery
from tui.adapters.clock import Clock, SystemClock
from tui.adapters.meter.base import MeterSource
from tui.adapters.meter.demo import DemoMeterSource
from tui.adapters.meter.factory import make_meter_source
from tui.adapters.sources.base import Source
from tui.compose.files import load_config, resolve_state_dir
from tui.compose.sources import make_source, make_tempo_source
from tui.core.config import Config, TempoFromMeter
from tui.core.config import Source as SourceKind
from tui.core.errors import InputError
from tui.core.forecast import Forecast
from tui.core.i18n import _
from tui.core.tempo import TempoCalendar
from tui.frontends.mqtt.service import MqttFrontend
from tui.service.control_socket import ControlServer, SocketUnavailable, socket_path
from tui.service.controller import Controller
from tui.service.history_feed import FINISH_TIMEOUT, HistoryFeed
from tui.service.interface import ServiceHost
from tui.service.measured_seed import seed_measured


def build_controller(
    config: Config,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    board: RelayBoard | None = None,
    tempo_source: Source[TempoCalendar] | None = None,
    meter_source: MeterSource | None = None,
) -> Controller:
    """The controller the configuration describes; tests hand in a board, a Tempo source or
    a meter source of their own (everything else is built as the service builds it)."""
    clock = clock or SystemClock()
    state_dir = resolve_state_dir(config, environ)
    source = make_source(config, state_dir, environ)
    if meter_source is None:
        meter_source = make_meter_source(config, clock)
    if tempo_source is None:
        tempo_source = _primary_tempo_source(config, state_dir, source, environ)
    fallback = None
    if meter_source is not None and (_tempo_from_meter(config) or _tempo_fallback(config)):
        from tui.adapters.tempo.tic import MeterTempoSource

        if tempo_source is None and _tempo_from_meter(config):
            tempo_source = MeterTempoSource(meter_source)
        elif _tempo_fallback(config):
            fallback = MeterTempoSource(meter_source)
    controller = Controller(
        config,
        clock=clock,
        board=board or make_board(config, clock),
        source=source,
        state_dir=state_dir,
        tempo_source=tempo_source,
        meter_source=meter_source,
        tempo_fallback_source=fallback,
    )
    if controller.meter is not None:  # the channels' measured powers, as before a restart
        seed_measured(controller.meter, state_dir, [c.index for c in config.channels], clock.now())
    if isinstance(meter_source, DemoMeterSource):
        # The demo house draws what the relays power.
        history = controller.history
        meter_source.follow(lambda: {index: item.powered for index, item in history.items()})
    return controller


def _tempo_from_meter(config: Config) -> bool:
    return config.tempo is not None and config.tempo.source is TempoFromMeter.TIC


def _tempo_fallback(config: Config) -> bool:
    return config.tempo is not None and config.tempo.fallback is TempoFromMeter.TIC


def _primary_tempo_source(
    config: Config,
    state_dir: Path,
    source: Source[Forecast],
    environ: Mapping[str, str] | None,
) -> Source[TempoCalendar] | None:
    """The [tempo] source; with the meter as fallback, unusable RTE credentials are that
    source's failure (said, the meter's colours meanwhile) instead of a refusal to start."""
    if not _tempo_fallback(config) or config.tempo is None:
        return build_tempo_source(config, state_dir, source, environ)
    from tui.adapters.rte.credentials import CredentialsError
    from tui.adapters.tempo.unavailable import UnavailableTempoSource

    try:
        return build_tempo_source(config, state_dir, source, environ)
    except CredentialsError as error:
        return UnavailableTempoSource(config.tempo.source.value, "; ".join(error.problems))


def build_tempo_source(
    config: Config,
    state_dir: Path,
    source: Source[Forecast],
    environ: Mapping[str, str] | None = None,
) -> Source[TempoCalendar] | None:
    """The [tempo] source, sharing the forecast source's RTE session (one token) if it has one.
    Raises InputError for unusable credentials, as the forecast source does."""
    session = None
    if config.ecowatt.source in (SourceKind.RTE, SourceKind.SANDBOX):
        # Imported here: a demo or file setup never loads the RTE client and httpx (about 40
        # modules at every start of the UI).
        from tui.adapters.rte.source import RteSource

        if isinstance(source, RteSource):
            session = source.client.session
    return make_tempo_source(config, state_dir, environ, session=session)


class Service:
    """A controller with what runs beside it: the socket, the history feed, the MQTT bridge."""

    def __init__(
        self,
        controller: ServiceHost,
        *,
        mqtt: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.controller = controller
        # The MQTT bridge is a front end beside the others: it fails alone, never the loop.
        self.mqtt = (
            MqttFrontend(
                controller,
                controller.report_mqtt,
                controller.log_error,
                environ,
                clock=controller.clock,  # the bridge's times are the controller's
            )
            if mqtt
            else None
        )

    async def run(
        self,
        until: datetime | None = None,
        *,
        signals: Path | None = None,
        early: Callable[[], Collection[int]] | None = None,
    ) -> None:
        """Run until the controller stops. ``signals``: the configuration file, to stop on
        SIGTERM and SIGINT and reload it on SIGHUP (``early``: the signals that arrived before
        the loop could take them over)."""
        controller = self.controller
        if signals is not None:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, controller.stop)
            loop.add_signal_handler(signal.SIGINT, controller.stop)
            loop.add_signal_handler(signal.SIGHUP, self.reload, signals)
            pending = early() if early is not None else set()
            if signal.SIGTERM in pending or signal.SIGINT in pending:
                controller.stop()
        if self.mqtt is not None:
            self.mqtt.apply(controller.config)
        try:
            await serve(controller, until)
        finally:
            if self.mqtt is not None:
                await self.mqtt.close()

    def reload(self, path: Path) -> None:
        """SIGHUP: the file again; an invalid one keeps the running configuration."""
        controller = self.controller
        try:
            config = load_config(path)
        except InputError as error:
            for problem in error.problems:
                controller.log_error(
                    "config", _("reload rejected: {problem}").format(problem=problem)
                )
            controller.log_error("config", _("reload rejected: keeping the running configuration"))
            return
        refused = controller.reload(config)
        if refused:
            controller.log_error("config", refused)
        elif self.mqtt is not None:
            self.mqtt.apply(config)


# Seconds before the next try of a control socket that could not be made: soon at first (a
# cause that goes away at once, a stale path cleaned up), doubling to at most SOCKET_RETRY.
SOCKET_FIRST_RETRY = 1.0
SOCKET_RETRY = 10.0


async def _keep_socket(server: ControlServer, controller: ServiceHost) -> None:
    """Start the control socket; while it cannot be made (no inodes left, a full disk), say so
    once (after the start event) and try again after 1 s, 2 s, 4 s... then every SOCKET_RETRY
    seconds, then say it works."""
    failing = False
    pause = SOCKET_FIRST_RETRY
    while not controller.stopping:
        try:
            await server.start()
        except SocketUnavailable as error:
            # The socket is not essential: the relays are still driven without it.
            if not failing:
                failing = True
                await controller.started.wait()
                for problem in error.problems:
                    controller.log_error(
                        "socket",
                        _(
                            "{problem}; running without it: status, force, release and the UI "
                            "cannot reach this service (tried again, at least every {seconds} s)"
                        ).format(problem=problem, seconds=f"{SOCKET_RETRY:g}"),
                    )
            await asyncio.sleep(pause)
            pause = min(pause * 2, SOCKET_RETRY)
            continue
        if failing:
            controller.log_error("socket", f"{server.path}: " + _("the control socket works again"))
        return


async def serve(controller: ServiceHost, until: datetime | None = None) -> None:
    """Run the controller and its control socket and history feed until the controller stops."""
    if not controller.held:
        controller.acquire()
    server = ControlServer(
        controller, socket_path(controller.state_dir), controller.config.service.socket_group
    )
    feed = HistoryFeed(controller)  # before the start, so it knows which events are this run's
    task = asyncio.create_task(controller.run(until))
    # Up before the first fetch ends: `status` meanwhile finds the service (fetching).
    reachable = asyncio.create_task(_keep_socket(server, controller))
    started = asyncio.create_task(controller.started.wait())
    await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
    started.cancel()
    history: asyncio.Task[None] | None = None
    try:
        if not task.done():
            history = asyncio.create_task(feed.run())
        await task
    finally:
        if not task.done():
            controller.stop()
            with contextlib.suppress(Exception):
                await task
        reachable.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reachable
        await server.close()
        if history is not None:
            # The feed ends with the controller's subscription, after recording the stop.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(history, FINISH_TIMEOUT)
