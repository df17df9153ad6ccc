"""The controller: the single owner of the board, its state, the event log and the socket.

One asyncio task runs the loop: evaluate the policy, command the relays that must move, persist,
tell subscribers, then sleep until the policy's next decision time, a feed's next refresh, a
command or a board event, whichever comes first. Idle, it does nothing at all.

The loop is all this module holds, with the lifecycle; the operator's commands (force,
release, refresh, the history view) and the overrides' expiry are in ``commands``. The parts it
drives live beside it: the feeds (``feed``: the Ecowatt forecast, the Tempo calendar), the
board's truth (``reconcile``), events and subscriptions (``events_hub``), the snapshot
(``snapshot_builder``). ``Controller`` is the in-process ``ControllerLink`` (the TUI uses it
directly, or a ``RemoteController`` reaches it through the control socket) and the
``ServiceHost`` the headless service and the MQTT front end run it with.
"""

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from tui.adapters.boards.base import BoardEvent, RelayBoard
from tui.adapters.clock import Clock
from tui.adapters.meter.base import MeterSource
from tui.adapters.sources.base import Source
from tui.adapters.stores.lock import ServiceLock
from tui.adapters.stores.state import StateStore
from tui.core import events as ev
from tui.core.config import Config, OnExit
from tui.core.events import Event
from tui.core.forecast import Forecast
from tui.core.policy import Evaluation, evaluate
from tui.core.state_vetting import owners_of
from tui.core.tempo import TempoCalendar
from tui.service import pilot_drive
from tui.service.clock_watch import ClockWatch, step_words
from tui.service.commands import OperatorCommands
from tui.service.containment import CLOSE_GRACE, describe_error
from tui.service.ecowatt_feed import EcowattWords, watch_coverage
from tui.service.events_hub import EventHub, Listener
from tui.service.feed import Feed, FeedWords
from tui.service.meter_feed import MeterFeed
from tui.service.operator import relays_words, restart_needed, unclean_words
from tui.service.reconcile import Reconciler
from tui.service.saved_state import SavedState
from tui.service.snapshot import MqttView, Snapshot, Update
from tui.service.snapshot_builder import PlanCache, build_snapshot, mode_of
from tui.service.tempo_feed import TempoWords
from tui.service.tempo_pair import TempoPair

log = logging.getLogger(__name__)
T = TypeVar("T")

# After an unexpected failure of a step, the loop tries again this soon (sooner when the
# board's failsafe needs feeding).
STEP_RETRY = timedelta(seconds=5)


class Controller(OperatorCommands):
    description = "in-process"

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock,
        board: RelayBoard,
        source: Source[Forecast],
        state_dir: Path,
        pid: int | None = None,
        tempo_source: Source[TempoCalendar] | None = None,
        meter_source: MeterSource | None = None,
        tempo_fallback_source: Source[TempoCalendar] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.board = board = pilot_drive.wrap(board, config, clock)
        self.state_dir = state_dir
        self.pid = os.getpid() if pid is None else pid
        self.evaluation = Evaluation()
        self.mqtt: MqttView | None = None  # reported by the MQTT front end, shown in snapshots
        self.started = asyncio.Event()
        self.opened = asyncio.Event()  # state read, board opened: a snapshot can be answered
        self.events = EventHub(clock)
        self._plan_cache = PlanCache()  # the snapshot's 48-hour plan, while its inputs stand
        self.relays = Reconciler(board, config, clock, self._event)
        self.feed = self._follow(source, EcowattWords(source.kind))
        self.tempo_feed = (
            self._follow(tempo_source, TempoWords(tempo_source.kind)) if tempo_source else None
        )
        # [tempo] fallback: the meter's colours, its own feed, merged behind the first.
        self.tempo_fallback_feed = (
            self._follow(tempo_fallback_source, TempoWords(tempo_fallback_source.kind))
            if tempo_fallback_source and self.tempo_feed
            else None
        )
        self.tempo_pair = (
            TempoPair(self.tempo_feed, self.tempo_fallback_feed, self._event, clock.now)
            if self.tempo_feed is not None
            else None
        )
        self.meter = (
            MeterFeed(meter_source, clock=clock, emit=self._event, wake=self.wake)
            if meter_source is not None
            else None
        )
        store = StateStore(state_dir)
        self.state = SavedState(
            store,
            self.events.part(
                "state",
                f": cannot save {store.path}; overrides and switch history will not survive a "
                "restart until it can",
            ),
        )
        # The state's own dicts, kept in place: the loop, the snapshot and the plan read them.
        self.overrides, self.history = self.state.overrides, self.state.history
        self._lock = ServiceLock(state_dir, config.service.socket_group)
        self.clock_watch = ClockWatch()  # protections on the monotonic clock (clock_watch.py)
        self._wake = asyncio.Event()
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._covered: bool | None = None
        self._step_done = asyncio.Event()
        self._steps_started = 0
        self._steps_done = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._step_part = self.events.part(
            "control loop", f": retrying every {STEP_RETRY.total_seconds():g} s"
        )

    def _follow(self, source: Source[T], words: FeedWords[T]) -> Feed[T]:
        return Feed(source, words, clock=self.clock, emit=self._event, wake=self.wake)

    # -- what the parts and the hosts read ----------------------------------------------------

    @property
    def source(self) -> Source[Forecast]:
        return self.feed.source

    @property
    def forecast(self) -> Forecast | None:
        return self.feed.data

    @property
    def tempo(self) -> TempoCalendar | None:
        """The Tempo calendar in use (None: Tempo off, or nothing known yet)."""
        return self.tempo_pair.calendar if self.tempo_pair is not None else None

    @property
    def held(self) -> bool:
        """Whether this controller holds its state directory's lock."""
        return self._lock.held

    @property
    def stopping(self) -> bool:
        return self._stopping

    def wake(self) -> None:
        self._wake.set()

    # -- ServiceHost (documented in interface.py) ---------------------------------------------

    def add_listener(self, listener: Listener, name: str = "event printer") -> None:
        self.events.add_listener(listener, name)

    def acquire(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock.acquire()

    def stop(self) -> None:
        self._stopping = True
        self._stop_requested.set()
        self._wake.set()
        self._step_done.set()  # nobody waits for a step that will not come

    def log_error(self, what: str, message: str) -> None:
        self.events.error(what, message)
        self._wake.set()

    def report_mqtt(self, view: MqttView | None) -> None:
        self.mqtt = view
        self._wake.set()

    def reload(self, config: Config) -> str | None:
        # Said as a `reload` event: the service did not start again, so it is not a `start`.
        problem = restart_needed(self.config, config)
        if problem:
            return problem
        self.config = self.relays.config = config
        self.state.owners = owners_of(config.channels)  # a renamed channel keeps its entries
        self._event(ev.ReloadEvent(ts=self.clock.now(), **self._identity()))
        self._wake.set()
        return None

    # -- lifecycle ----------------------------------------------------------------------------

    async def run(self, until: datetime | None = None) -> None:
        """Run until stopped (or, on a virtual clock, until ``until``: then it stops as if
        told to, so that whatever follows its events ends with it)."""
        self._loop = asyncio.get_running_loop()
        if not self._lock.held:
            self.acquire()
        try:
            await self._start()
            while not self._stopping:
                now = self.clock.now()
                if until is not None and now >= until:
                    # A stop like any other: subscribers (the history feed) end, not resubscribe.
                    self.stop()
                    break
                # Cleared before the step: a command or event arriving during it wakes the
                # next sleep at once instead of being lost.
                self._wake.clear()
                wake_at = await self._guarded_step(now, until)
                if self._stopping:
                    break
                await self.clock.sleep_until(wake_at, self._wake)
        finally:
            self.stop()
            await self._shutdown()

    def _identity(self) -> dict[str, Any]:
        return {
            "mode": mode_of(self.feed.kind),
            "pid": self.pid,
            "config": self.config.path,
            "board": self.board.kind,
        }

    async def _start(self) -> None:
        damaged = self.events.open(self.state_dir)
        problems = self.state.load(self.config.channels, self.clock.now())
        if self.meter is not None:
            self.meter.resume(self.state.power_cuts)
        else:  # no [meter] now: cuts saved by one before are nobody's
            self.state.power_cuts.clear()
        self.clock_watch.start(self.clock.now(), self.clock.monotonic())
        unclean = self.events.unclean_end()
        self._event(ev.StartEvent(ts=self.clock.now(), **self._identity()))
        if unclean is not None:
            self.events.error("start", unclean_words(unclean, self.clock.now()))
        for problem in problems:
            self.events.error("state", problem)
        if damaged:
            self.events.error("events", f"{damaged}; the log carries on")
        # Relays are not pre-commanded: the board reports each one's state on attach, and the
        # steps put back (counted) whatever differs from what was applied before the restart.
        self.board.open(self._board_event_threadsafe)
        asyncio.get_running_loop().call_later(
            self.config.board.attach_timeout.total_seconds(),
            self._board_missing,
        )
        first_fetch = self.config.ecowatt.timeout.total_seconds()
        self.opened.set()  # `status` during the first fetch finds the service, fetching
        if self.meter is not None:
            self.meter.start()
        for feed in self._feeds():
            if not self._stopping:
                await feed.start(self.clock.now(), first_fetch, self._stop_requested)
        self.started.set()

    def _feeds(self) -> list[Feed[Any]]:
        feeds: list[Feed[Any]] = [self.feed]
        feeds += [self.tempo_feed] if self.tempo_feed is not None else []
        feeds += [self.tempo_fallback_feed] if self.tempo_fallback_feed is not None else []
        return feeds + ([self.meter.feed] if self.meter is not None else [])

    async def _shutdown(self) -> None:
        on_exit = self.config.board.on_exit
        if on_exit is OnExit.RELEASE and self.state.loaded:
            self._follow_clock()
            self.relays.released(self.history, self.clock.now())
        try:
            # USB transfers, and reopen workers joined: off the loop, like every board call.
            await asyncio.to_thread(self.board.close, on_exit)
        except Exception as error:
            log.exception("closing the board failed")
            self.events.error("board", f"close failed ({describe_error(error)})")
        finally:
            self.state.save()
            self._event(
                ev.StopEvent(
                    ts=self.clock.now(),
                    on_exit=on_exit.value,
                    pid=self.pid,
                    relays=relays_words(self.config, self.history),
                )
            )
            self._publish()
            self.events.end()
            for feed in reversed(self._feeds()):
                await feed.aclose(CLOSE_GRACE)
            self.events.close()
            self._lock.release()

    # -- the loop -----------------------------------------------------------------------------

    async def _guarded_step(self, now: datetime, until: datetime | None) -> datetime | None:
        """One step; any unexpected exception becomes an `error` event and a retry, never an
        exit that would release the relays."""
        try:
            await self._step(now)
            wake_at = self._next_wake(until)
        except Exception as error:
            if self._step_part.failing is None:  # the traceback once per streak, not every 5 s
                log.exception("control step failed")
            self._step_part.failed(error)
            self._step_finished()
            self._publish()
            retry = now + STEP_RETRY
            keepalive = self._keepalive_at()
            return min(retry, keepalive) if keepalive else retry
        self._step_part.succeeded()
        return wake_at

    def _next_wake(self, until: datetime | None) -> datetime | None:
        now = self.clock.now()
        times = [
            t
            for t in (
                self.evaluation.next_due,
                until,
                self._keepalive_at(),
                self.relays.next_retry(),
                pilot_drive.next_move(self.board),
                self.meter.next_due if self.meter is not None else None,
                *(feed.next_wake(now) for feed in self._feeds()),
            )
            if t is not None
        ]
        return min(times) if times else None

    def _keepalive_at(self) -> datetime | None:
        period = self.config.board.failsafe
        return self.clock.now() + period / 3 if period else None

    async def _step(self, now: datetime) -> None:
        self._steps_started += 1
        if self.config.board.failsafe:
            # Synchronous USB transfers: never on the loop's thread.
            await asyncio.to_thread(self.board.keepalive)
        for feed in self._feeds():
            feed.poll(now)
        stepped = self._follow_clock()
        dirty = self._expire_overrides(now) or stepped
        self._covered = watch_coverage(self._covered, self.forecast, now, self.config, self._event)
        dirty |= self.relays.observe(self.history, now)
        power_cuts = (
            self.meter.step(now, self.config, self.overrides, self.history)
            if self.meter is not None
            else None
        )
        if self.tempo_pair is not None:
            self.tempo_pair.watch(now)
        self.evaluation = evaluate(
            now,
            self.forecast,
            self.config,
            self.overrides,
            self.history,
            self.tempo,
            power_cuts,
            self.meter.room(self.config, self.history) if self.meter is not None else None,
        )
        decisions = list(self.evaluation.decisions.values())
        await pilot_drive.aim_step(self, now)
        for move in self.relays.moves(decisions, self.history):
            attached = self.board.channel_attached(move.channel)
            await asyncio.to_thread(self.board.set_relay, move.channel, move.energised)
            self.relays.switched(move, self.history, now, attached=attached)
            dirty = True
        dirty |= self.relays.latch(decisions, self.history)
        dirty |= self.meter is not None and self.meter.cuts_moved()
        for move in self.relays.put_backs(self.history, now):
            await asyncio.to_thread(self.board.set_relay, move.channel, move.energised)
            self.relays.put_back(move, self.history, now)
            dirty = True
        if dirty:
            self.state.save()
        self._publish()
        self._step_finished()

    def _follow_clock(self) -> bool:
        """Switch times keep their monotonic ages; a wall-clock step is said. Whether it was.
        Both clocks are read together here: a step's ``now`` may be a moment old on a loaded
        machine, which must not look like a clock step."""
        wall, mono = self.clock.now(), self.clock.monotonic()
        meter = self.meter
        also = [lambda delta: meter.shift(delta, wall)] if meter is not None else []
        step = self.clock_watch.follow(self.history, self.relays.sync, wall, mono, also)
        if step is not None:
            self.events.error("clock", step_words(step, wall))
        return step is not None

    def _step_finished(self) -> None:
        self._steps_done = self._steps_started
        self._step_done.set()

    def _board_missing(self) -> None:
        self.relays.missing(self._stopping)
        self._wake.set()

    def _board_event_threadsafe(self, event: BoardEvent) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._board_event, event)

    def _board_event(self, event: BoardEvent) -> None:
        self.relays.board_event(event)
        self._wake.set()

    def _event(self, event: Event) -> None:
        self.events.emit(pilot_drive.with_order(self.board, event))

    def _publish(self) -> None:
        self.events.publish(self._build_snapshot)

    def _build_snapshot(self) -> Snapshot:
        return build_snapshot(self, self.clock.now(), self._plan_cache)

    # -- ControllerLink (force, release, refresh, history_view: commands.py) -----------------

    async def snapshot(self) -> Snapshot:
        await self.opened.wait()
        return self.events.last or self._build_snapshot()

    async def updates(self) -> AsyncIterator[Update]:
        """The current state with the recent events first, then every change as it comes."""
        await self.started.wait()
        async for update in self.events.updates(self._build_snapshot):
            yield update

    async def settle(self) -> None:
        """Wake the loop and wait until a step that began after this call has finished."""
        target = self._steps_started + 1
        self._wake.set()
        while self._steps_done < target and not self._stopping:
            self._step_done.clear()
            await self._step_done.wait()

    async def close(self) -> None:
        """A front end leaving: the in-process controller stops with it."""
        self.stop()
