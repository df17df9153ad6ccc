"""The controller: the single owner of the board, its state, the event log and the socket.

One asyncio task runs the loop: evaluate the policy, command the relays that must move, persist,
tell subscribers, then sleep until the policy's next decision time, the next forecast refresh, a
command or a board event, whichever comes first. Idle, it does nothing at all.

``Controller`` is also the in-process ``ControllerLink``: the TUI uses it directly, or the
``RemoteController`` of another process reaches it through the control socket.
"""

import asyncio
import logging
import os
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tui.adapters.boards.base import BoardEvent, BoardEventKind, RelayBoard
from tui.adapters.clock import Clock
from tui.adapters.sources.base import ForecastSource, RefreshResult, TempoSource
from tui.adapters.stores.eventlog import LOG_NAME, EventLog, ReadStats, read_events
from tui.adapters.stores.history import forecast_levels
from tui.adapters.stores.lock import ServiceLock
from tui.adapters.stores.state import StateStore
from tui.core.config import Config, OnExit
from tui.core.durations import check_override_length, check_until
from tui.core.errors import InputError
from tui.core.forecast import PARIS, Forecast, clock_time, day_label, paris_iso, wall_time
from tui.core.plan import build_plan
from tui.core.policy import (
    Decision,
    Evaluation,
    Override,
    RelayHistory,
    count_movement,
    evaluate,
    next_switch_allowed,
    record_switch,
)
from tui.core.tempo import TempoCalendar
from tui.core.wiring import appliance_powered, relay_energised
from tui.service.board_sync import BoardSync
from tui.service.containment import Part, describe_error
from tui.service.history_view import HistoryView, build_view
from tui.service.snapshot import (
    BoardView,
    ChangeView,
    ChannelView,
    ForecastView,
    MqttView,
    SlotView,
    Snapshot,
    Update,
)
from tui.service.tempo_feed import TempoFeed

log = logging.getLogger(__name__)

# How far ahead the relay grid looks for each channel's next planned change.
PLAN_LOOKAHEAD = timedelta(hours=48)
RECENT_EVENTS = 200
BROKEN_SOURCE_RETRY = timedelta(minutes=15)  # never faster than RTE's quota
MAX_BACKLOG = 1000  # updates queued for one subscriber before it is dropped
MODES = {"rte": "live", "sandbox": "sandbox", "demo": "demo", "file": "file"}
# After an unexpected failure of a step, the loop tries again this soon (sooner when the
# board's failsafe needs feeding).
STEP_RETRY = timedelta(seconds=5)
# How long shutdown waits for a source to close its connections before leaving it.
CLOSE_GRACE = 1.0


def describe_forecast(forecast: Forecast, how: str) -> str:
    """``demo forecast loaded: 96 hours until Sun 29 Nov 00:00``."""
    until = forecast.until
    reach = (
        f" until {day_label(until.astimezone(PARIS).date())} {wall_time(until)}" if until else ""
    )
    return f"{forecast.source or 'forecast'} forecast {how}: {len(forecast.slots)} hours{reach}"


def explain(decision: Decision) -> str:
    """Why the relay is where it is: the rule's reason, and the wait when one holds it back."""
    if decision.waiting and decision.powered != decision.wanted:
        return f"waiting: {decision.waiting} ({decision.reason})"
    return decision.reason


class Controller:
    description = "in-process"

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock,
        board: RelayBoard,
        source: ForecastSource,
        state_dir: Path,
        pid: int | None = None,
        tempo_source: TempoSource | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.board = board
        self.source = source
        self.state_dir = state_dir
        self.pid = os.getpid() if pid is None else pid
        self.forecast: Forecast | None = None
        self.forecast_error: str | None = None
        self.overrides: dict[int, Override] = {}
        self.history: dict[int, RelayHistory] = {}
        self.evaluation = Evaluation()
        self.board_message = ""
        self._sync = BoardSync()  # relays not where the controller put them
        self._store = StateStore(state_dir)
        self._lock = ServiceLock(state_dir)
        self._log: EventLog | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._pending: list[dict[str, Any]] = []
        self._subscribers: set[asyncio.Queue[Update | None]] = set()
        self._next_refresh: datetime | None = None
        self._refreshing: asyncio.Task[str] | None = None
        self._last_refresh = ""
        self._covered: bool | None = None
        self._snapshot: Snapshot | None = None
        self._step_done: asyncio.Event = asyncio.Event()
        self._steps_started = 0
        self._steps_done = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listeners: list[tuple[Part, Callable[[dict[str, Any]], None]]] = []
        self._state_part = self._part(
            "state",
            f": cannot save {self._store.path}; overrides and switch history will not "
            "survive a restart until it can",
        )
        self._publish_part = self._part("subscribers", ": the UI and clients may lag")
        self._step_part = self._part(
            "control loop", f": retrying every {STEP_RETRY.total_seconds():g} s"
        )
        # Nothing is saved before the saved state was read: a start that fails early must
        # not overwrite the overrides and switch history it never loaded.
        self._state_loaded = False
        self._stop_requested = asyncio.Event()
        # The latest events, replayed to each new subscriber as its first update carries.
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_EVENTS)
        self.started = asyncio.Event()
        # The Tempo calendar beside the forecast, when [tempo] is configured.
        self.tempo_feed = (
            TempoFeed(tempo_source, clock, self._event, self._wake.set) if tempo_source else None
        )
        self.mqtt: MqttView | None = None  # reported by the MQTT front end, shown in snapshots

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def held(self) -> bool:
        """Whether this controller holds its state directory's lock."""
        return self._lock.held

    def _part(self, name: str, consequence: str = "") -> Part:
        return Part(name, self._report_part, consequence)

    def _report_part(self, name: str, message: str, recovered: bool) -> None:
        extra = {"recovered": True} if recovered else {}
        self._event("error", what=name, message=message, **extra)

    def add_listener(
        self, listener: Callable[[dict[str, Any]], None], name: str = "event printer"
    ) -> None:
        """Call ``listener`` with every event as it is logged (the headless printer, bridges).

        A listener that raises is contained: reported once, never seen by the loop."""
        self._listeners.append((self._part(name), listener))

    def acquire(self) -> None:
        """Take the state directory (raises AlreadyRunning naming the PID that holds it)."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock.acquire()

    async def run(self, until: datetime | None = None) -> None:
        """Run until stopped (or, on a virtual clock, until ``until``)."""
        self._loop = asyncio.get_running_loop()
        if not self._lock.held:
            self.acquire()
        try:
            await self._start()
            while not self._stopping:
                now = self.clock.now()
                if until is not None and now >= until:
                    break
                # Cleared before the step: a command or event arriving during it wakes the
                # next sleep at once instead of being lost.
                self._wake.clear()
                wake_at = await self._guarded_step(now, until)
                if self._stopping:
                    break
                await self.clock.sleep_until(wake_at, self._wake)
        finally:
            await self._shutdown()

    @property
    def stopping(self) -> bool:
        return self._stopping

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
            self._steps_done = self._steps_started
            self._step_done.set()
            self._publish()
            retry = now + STEP_RETRY
            keepalive = self._keepalive_at()
            return min(retry, keepalive) if keepalive else retry
        self._step_part.succeeded()
        return wake_at

    def stop(self) -> None:
        self._stopping = True
        self._stop_requested.set()
        self._wake.set()
        self._step_done.set()  # nobody waits for a step that will not come

    async def _start(self) -> None:
        stats = ReadStats()
        self._recent.extend(read_events(self.state_dir, stats)[-RECENT_EVENTS:])
        self._log = EventLog(self.state_dir, report=self._report_log)
        overrides, history, problem = self._store.load()
        configured = {channel.index for channel in self.config.channels}
        self.overrides = {ch: item for ch, item in overrides.items() if ch in configured}
        self.history = {ch: history.get(ch, RelayHistory()) for ch in configured}
        self._state_loaded = True
        now = self.clock.now()
        self._event(
            "start",
            mode=MODES.get(self.source.kind, self.source.kind),
            pid=self.pid,
            config=self.config.path,
            board=self.board.kind,
        )
        if problem:
            self._event("error", what="state", message=problem)
        damaged = stats.summary(self.state_dir / LOG_NAME)
        if damaged:
            self._event("error", what="events", message=f"{damaged}; the log carries on")
        # Relays are not pre-commanded: the board reports each one's state on attach, and the
        # steps put back (counted) whatever differs from what was applied before the restart.
        self.board.open(self._board_event_threadsafe)
        asyncio.get_running_loop().call_later(
            self.config.board.attach_timeout.total_seconds(), self._report_missing_board
        )
        self.forecast = self.source.load_cached(now)
        if self.forecast is None:
            await self._first_fetch(now)
        else:
            self._event(
                "forecast",
                source=self.source.kind,
                until=paris_iso(self.forecast.until) if self.forecast.until else None,
                cached=True,
                message=describe_forecast(self.forecast, "loaded"),
                **forecast_levels(self.forecast),
            )
        if self._refreshing is None or self._refreshing.done():
            self._next_refresh = self.source.next_refresh(self.clock.now())
        if self.tempo_feed is not None and not self._stopping:
            await self.tempo_feed.start(
                self.clock.now(), self.config.ecowatt.timeout.total_seconds(), self._stop_requested
            )
        self.started.set()

    async def _first_fetch(self, now: datetime) -> None:
        """Without any data the first decisions would be the fallback, undone a moment later:
        give the first fetch a short chance before deciding. A stop ends the wait at once; a
        fetch that takes longer is said, and carries on in the background."""
        if self._stopping:
            return
        self._start_refresh(now, manual=False)
        fetch = self._refreshing
        assert fetch is not None
        stop = asyncio.create_task(self._stop_requested.wait())
        limit = self.config.ecowatt.timeout.total_seconds()
        try:
            done, _ = await asyncio.wait(
                {fetch, stop}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stop.cancel()
        if not done:
            self._event(
                "error",
                what="forecast",
                message=f"no answer from the {self.source.kind} source within {limit:g} s at "
                "start: deciding without a forecast meanwhile; the fetch carries on",
            )

    def _report_log(self, message: str) -> None:
        self._event("error", what="events", message=message)

    async def _shutdown(self) -> None:
        if self._refreshing and not self._refreshing.done():
            self._refreshing.cancel()
        on_exit = self.config.board.on_exit
        now = self.clock.now()
        if on_exit is OnExit.RELEASE and self._state_loaded:
            # Closing de-energises every relay: remember what that does to each appliance.
            for channel in self.config.channels:
                released = appliance_powered(channel.wiring, False)
                item = self.history.get(channel.index, RelayHistory())
                if item.powered is not released:
                    self.history[channel.index] = record_switch(item, released, now)
        try:
            self.board.close(on_exit)
        except Exception as error:
            log.exception("closing the board failed")
            self._event("error", what="board", message=f"close failed ({describe_error(error)})")
        finally:
            self._save()
            self._event("stop", on_exit=on_exit.value, pid=self.pid)
            self._publish()
            for queue in list(self._subscribers):
                queue.put_nowait(None)  # streams end cleanly instead of being cancelled
            if self.tempo_feed is not None:
                try:
                    await asyncio.wait_for(self.tempo_feed.aclose(), CLOSE_GRACE)
                except Exception as error:
                    log.warning("closing the Tempo source failed: %s", describe_error(error))
            try:
                await asyncio.wait_for(self.source.aclose(), CLOSE_GRACE)
            except Exception as error:
                log.warning("closing the forecast source failed: %s", describe_error(error))
            if self._log:
                self._log.close()
            self._lock.release()

    # -- the loop ----------------------------------------------------------------------------

    def _next_wake(self, until: datetime | None) -> datetime | None:
        times = [
            t
            for t in (
                self.evaluation.next_due,
                self._next_refresh,
                until,
                self._keepalive_at(),
                self.tempo_feed.next_wake(self.clock.now()) if self.tempo_feed else None,
                self._sync.next_retry(),
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
        if self._next_refresh is not None and now >= self._next_refresh:
            self._start_refresh(now, manual=False)
        if self.tempo_feed is not None:
            self.tempo_feed.poll(now)
        dirty = self._expire_overrides(now)
        self._watch_coverage(now)
        dirty |= self._observe_board(now)
        self.evaluation = evaluate(
            now, self.forecast, self.config, self.overrides, self.history, self.tempo
        )
        for decision in self.evaluation.decisions.values():
            dirty |= await self._apply(decision, now)
        dirty |= await self._put_back(now)
        if dirty:
            self._save()
        self._publish()
        self._steps_done = self._steps_started
        self._step_done.set()

    async def _apply(self, decision: Decision, now: datetime) -> bool:
        channel = self.config.channel(decision.channel)
        item = self.history[decision.channel]
        changed = False
        if item.powered is None and not self.board.attached:
            # Unknown, and the board cannot tell yet: its attach will say where the relay is,
            # so nothing is switched needlessly.
            return False
        if decision.powered != item.powered:
            energised = relay_energised(channel.wiring, decision.powered)
            attached = self.board.attached
            await asyncio.to_thread(self.board.set_relay, channel.index, energised)
            item = record_switch(item, decision.powered, now)
            changed = True
            reported = self.board.relay(channel.index)
            if not attached:
                self._sync.unapplied.add(channel.index)  # put back when the board is here
            elif reported is not None and reported != energised:
                self._command_not_taken(channel.index, decision.powered, now)
            else:
                self._sync.clear(channel.index)
            self._event(
                "relay",
                channel=channel.index,
                name=channel.name,
                powered=decision.powered,
                reason=explain(decision),
                # False: the board is away; the controller applies it when it attaches.
                applied=attached,
            )
        if item.latched != decision.latched:
            item = replace(item, latched=decision.latched)
            changed = True
        self.history[decision.channel] = item
        return changed

    # -- the board's truth -------------------------------------------------------------------

    def _observe_board(self, now: datetime) -> bool:
        """Compare what the board reports with what was applied, before deciding.

        An unknown state (first start) is taken from the board: released on attach unless
        persistence kept it. A relay found elsewhere than it was put moved without a command
        (attach, unplug, failsafe trip): that movement is counted, and ``_put_back`` follows.
        """
        if not self.board.attached:
            return False
        dirty = False
        learned: list[str] = []
        states: dict[str, bool] = {}  # channel -> appliance powered, for history to read
        for channel in self.config.channels:
            index = channel.index
            energised = self.board.relay(index)
            if energised is None:
                continue  # the board cannot tell (a persistent VINT channel never set)
            actual = appliance_powered(channel.wiring, energised)
            item = self.history[index]
            if item.powered is None:
                self.history[index] = replace(item, powered=actual)
                learned.append(f"{channel.name} {'ON' if actual else 'CUT'}")
                states[str(index)] = actual
                dirty = True
            elif actual == item.powered:
                if self._sync.clear(index):
                    self._board_note(index, f"the board reports it {_state(actual)} again")
            elif self._sync.drift(index) is None:
                self._sync.start(index, now)
                if index not in self._sync.unapplied:
                    # It moved, whoever moved it: that counts against the relay's rating.
                    self.history[index] = count_movement(item, now)
                    dirty = True
                    self._event(
                        "relay",
                        channel=index,
                        name=channel.name,
                        powered=actual,
                        reason="moved by the board, not by a command (attach, unplug or "
                        "failsafe trip)",
                        by="board",
                    )
        if learned:
            self._event(
                "board",
                event="read",
                message="relay states read from the board: " + ", ".join(learned),
                states=states,
            )
        return dirty

    async def _put_back(self, now: datetime) -> bool:
        """Command every drifting relay back to its applied state, within the rate limit,
        backing off while the board does not take it."""
        if not self.board.attached:
            return False
        dirty = False
        for channel in self.config.channels:
            index = channel.index
            drift = self._sync.drift(index)
            item = self.history[index]
            if drift is None or item.powered is None:
                continue
            if drift.retry_at is not None and now < drift.retry_at:
                continue
            allowed = next_switch_allowed(item, now)
            if allowed is not None:
                self._sync.hold(index, allowed, "rate limit (20 switches a minute)")
                continue
            energised = relay_energised(channel.wiring, item.powered)
            await asyncio.to_thread(self.board.set_relay, index, energised)
            self.history[index] = count_movement(item, now)
            dirty = True
            if self.board.relay(index) == energised:
                self._sync.clear(index)
                self._event(
                    "relay",
                    channel=index,
                    name=channel.name,
                    powered=item.powered,
                    reason=f"put back {_state(item.powered)}, where the controller had it",
                    by="reconcile",
                )
            else:
                self._command_not_taken(index, item.powered, now)
        return dirty

    def _command_not_taken(self, index: int, powered: bool, now: datetime) -> None:
        drift = self._sync.failed(index, now)
        if drift.failures == 1:
            self._event(
                "error",
                what="board",
                channel=index,
                message=f"relay {index} ({self.config.channel(index).name}): the board did not "
                f"take the command ({_state(powered)}); retrying with backoff, each attempt "
                "counted against 20 switches a minute",
            )

    def _board_note(self, index: int, what: str) -> None:
        name = self.config.channel(index).name
        self._event(
            "board", event="in-step", channel=index, message=f"relay {index} ({name}): {what}"
        )

    def _expire_overrides(self, now: datetime) -> bool:
        expired = [ch for ch, item in self.overrides.items() if not item.active(now)]
        for channel in expired:
            del self.overrides[channel]
            self._override_event(channel, "expired", "override expired: back to automatic")
        return bool(expired)

    def _watch_coverage(self, now: datetime) -> None:
        covered = self.forecast is not None and self.forecast.level_at(now) is not None
        if covered is False and self._covered is not False:
            fallback = self.config.policy.fallback.value
            self._event(
                "error",
                what="forecast",
                message=f"no forecast covers now: flying blind, fallback {fallback}",
            )
        self._covered = covered

    # -- forecast ----------------------------------------------------------------------------

    @property
    def tempo(self) -> TempoCalendar | None:
        """The Tempo calendar in use (None: Tempo off, or nothing known yet)."""
        return self.tempo_feed.calendar if self.tempo_feed is not None else None

    def _start_refresh(self, now: datetime, manual: bool) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._refresh(now, manual))
            self.clock.hold(self._refreshing)
        self._next_refresh = None

    async def _refresh(self, now: datetime, manual: bool = False) -> str:
        try:
            result = await self.source.refresh(now, manual=manual)
        except Exception as error:  # a source's bug must not end the refreshes for good
            log.exception("forecast refresh failed")
            result = RefreshResult(
                error=f"forecast refresh failed unexpectedly ({error.__class__.__name__}: "
                f"{error}); trying again in {BROKEN_SOURCE_RETRY.total_seconds() / 60:g} min",
                retry_at=now + BROKEN_SOURCE_RETRY,
            )
        done = self.clock.now()
        message: str
        if result.data is not None:
            self.forecast = result.data
            self.forecast_error = None
            until = result.data.until
            message = describe_forecast(result.data, "updated")
            self._event(
                "forecast",
                source=self.source.kind,
                until=paris_iso(until) if until else None,
                called=result.called,
                message=message,
                **forecast_levels(result.data),
            )
        else:
            message = result.error or "no new forecast"
            if result.called or not manual:
                self.forecast_error = result.error
            if result.error and (result.called or not manual):
                self._event("error", what="forecast", message=result.error)
        self._next_refresh = self.source.next_refresh(done)
        if result.retry_at is not None and result.data is None:
            self._next_refresh = max(self._next_refresh, result.retry_at)
        self._last_refresh = message
        self._wake.set()
        return message

    # -- board events ------------------------------------------------------------------------

    def _report_missing_board(self) -> None:
        """Said once, attach_timeout after start: a board that never came is not silence."""
        if not self.board.attached and not self._stopping:
            self._event(
                "board",
                event="missing",
                message=(
                    f"{self.board.kind} board not attached after "
                    f"{self.config.board.attach_timeout.total_seconds():g} s: relay commands "
                    "are kept and applied when it attaches"
                ),
            )
            self._wake.set()

    def _board_event_threadsafe(self, event: BoardEvent) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._board_event, event)

    def _board_event(self, event: BoardEvent) -> None:
        if event.kind is BoardEventKind.ATTACHED:
            self.board_message = ""
        elif event.kind is not BoardEventKind.ATTACHED:
            self.board_message = event.message
        fields: dict[str, Any] = {"event": event.kind.value, "message": event.message}
        if event.channel is not None:
            fields["channel"] = event.channel
        self._event("board", **fields)
        self._wake.set()

    def _save(self) -> None:
        """Persist overrides and switch history; a full or read-only disk must not stop the
        relays being driven, so the failure is reported (once per streak) instead of raised."""
        if self._state_loaded:
            self._state_part.call(self._store.save, self.overrides, self.history)

    # -- events and subscribers --------------------------------------------------------------

    def _override_event(self, channel: int, action: str, message: str, **fields: Any) -> None:
        name = self.config.channel(channel).name
        self._event(
            "override", channel=channel, name=name, action=action, message=message, **fields
        )

    def log_error(self, what: str, message: str) -> None:
        self._event("error", what=what, message=message)
        self._wake.set()

    def report_mqtt(self, view: MqttView | None) -> None:
        """The MQTT bridge's state, for `status` and the UI (None: no [mqtt])."""
        self.mqtt = view
        self._wake.set()

    def log_reload(self) -> None:
        """A reload applied a new configuration: a `reload` event (the service did not
        start again, so it is not a `start`)."""
        self._event(
            "reload",
            mode=MODES.get(self.source.kind, self.source.kind),
            pid=self.pid,
            config=self.config.path,
            board=self.board.kind,
        )
        self._wake.set()

    def _event(self, kind: str, **fields: Any) -> None:
        event = {"ts": paris_iso(self.clock.now()), "kind": kind, **fields}
        if self._log:
            self._log.write(event)  # never raises; reports its own failures
        self._pending.append(event)
        self._recent.append(event)
        for part, listener in list(self._listeners):
            part.call(listener, event)

    def _publish(self) -> None:
        self._publish_part.call(self._publish_now)

    def _publish_now(self) -> None:
        snapshot = self._build_snapshot()
        if snapshot == self._snapshot and not self._pending:
            return
        self._snapshot = snapshot
        update = Update(snapshot, tuple(self._pending))
        self._pending = []
        for queue in list(self._subscribers):
            if queue.qsize() >= MAX_BACKLOG:
                # A subscriber that stopped reading is cut off rather than let grow without end.
                self._subscribers.discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(update)

    # -- ControllerLink ----------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        await self.started.wait()
        return self._snapshot or self._build_snapshot()

    async def updates(self) -> AsyncIterator[Update]:
        """The current state with the recent events first, then every change as it comes."""
        await self.started.wait()
        queue: asyncio.Queue[Update | None] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            # Events still pending reach this subscriber with the next publish, not twice.
            replay = list(self._recent)[: len(self._recent) - len(self._pending)]
            yield Update(self._snapshot or self._build_snapshot(), tuple(replay))
            while True:
                update = await queue.get()
                if update is None:
                    return
                yield update
        finally:
            self._subscribers.discard(queue)

    def _check_channel(self, channel: int) -> None:
        if channel not in self.history:
            known = ", ".join(str(c.index) for c in self.config.channels)
            raise InputError(f"channel {channel}: not configured (configured: {known})")

    async def _settle(self) -> None:
        """Wake the loop and wait until a step that began after this call has finished."""
        target = self._steps_started + 1
        self._wake.set()
        while self._steps_done < target and not self._stopping:
            self._step_done.clear()
            await self._step_done.wait()

    async def force(
        self,
        channel: int,
        powered: bool,
        *,
        duration: timedelta | None = None,
        until: datetime | None = None,
    ) -> str:
        await self.started.wait()
        self._check_channel(channel)
        now = self.clock.now()
        if until is None:
            length = self.config.policy.override_duration if duration is None else duration
            try:
                check_override_length(length)
            except ValueError as error:
                raise InputError(f"for: expected {error}") from None
            # Whole minutes: an operator reads and types "until 14:30", not 14:29:47.
            until = _next_minute(now + length) if length else None
        if until is not None:
            try:
                check_until(until, now)
            except ValueError as error:
                raise InputError(f"until: expected {error}") from None
        self.overrides[channel] = Override(powered=powered, since=now, until=until)
        self._save()
        name = self.config.channel(channel).name
        what = "on" if powered else "cut"
        expiry = f"until {clock_time(until, now)}" if until else "until released"
        self._override_event(
            channel,
            "force",
            f"forced {what} by operator {expiry}",
            powered=powered,
            until=paris_iso(until) if until else None,
        )
        await self._settle()
        decision = self.evaluation.decisions[channel]
        wait = f"; waiting: {decision.waiting}" if decision.waiting else ""
        return f"{name}: forced {what} {expiry}{wait}"

    async def release(self, channel: int | None) -> str:
        await self.started.wait()
        channels = list(self.history) if channel is None else [channel]
        for index in channels:
            self._check_channel(index)
        released = []
        for index in channels:
            had = self.overrides.pop(index, None) is not None
            latched = self.history[index].latched
            if latched:
                self.history[index] = replace(self.history[index], latched=False)
            if had or latched:
                released.append(index)
                self._override_event(index, "release", "released by operator: back to automatic")
        self._save()
        await self._settle()
        if not released:
            return "nothing to release: already automatic"
        # A shed still in force cuts (and, with auto_restore off, latches) the channel again
        # at once: say so rather than claim it is back to automatic.
        again = [index for index in released if self.history[index].latched]
        freed = [index for index in released if index not in again]
        parts = []
        if freed:
            names = ", ".join(self.config.channel(index).name for index in freed)
            parts.append(f"back to automatic: {names}")
        for index in again:
            name = self.config.channel(index).name
            reason = self.evaluation.decisions[index].reason
            parts.append(
                f"{name}: released, but still cut by {reason}; auto_restore is off, so it "
                "stays cut after that shed too: release it again once the shed is over"
            )
        return "; ".join(parts)

    async def refresh(self) -> str:
        await self.started.wait()
        if self._refreshing is not None and not self._refreshing.done():
            # One fetch at a time: the operator gets the answer of the one under way.
            await asyncio.shield(self._refreshing)
            message = self._last_refresh
        else:
            message = await self._refresh(self.clock.now(), manual=True)
        if self.tempo_feed is not None:
            message = f"{message}; {await self.tempo_feed.refresh_now()}"
        await self._settle()
        return message

    def reload(self, config: Config) -> str | None:
        """Apply a new configuration; returns why it cannot be applied live, or None."""
        if (
            config.board != self.config.board
            or config.ecowatt != self.config.ecowatt
            or config.service != self.config.service
            or config.tempo != self.config.tempo
            or {c.index for c in config.channels} != {c.index for c in self.config.channels}
        ):
            return (
                f"{config.path}: changes to [board], [ecowatt], [service], [tempo] or the set of "
                "channel indexes need a restart; keeping the running configuration"
            )
        self.config = config
        self._wake.set()
        return None

    async def history_view(self, start: datetime, end: datetime) -> HistoryView:
        """Each channel over [start, end): as recorded before now, as planned after."""
        await self.started.wait()
        return await asyncio.to_thread(
            build_view,
            self.state_dir,
            self.config,
            self.clock.now(),
            start,
            end,
            self.forecast,
            dict(self.overrides),
            dict(self.history),
        )

    async def close(self) -> None:
        """A front end leaving: the in-process controller stops with it."""
        self.stop()

    # -- snapshot ----------------------------------------------------------------------------

    def _next_changes(self, now: datetime) -> dict[int, ChangeView]:
        if self.forecast is None:
            return {}
        plan = build_plan(
            self.forecast,
            self.config,
            now,
            now + PLAN_LOOKAHEAD,
            overrides=self.overrides,
            history=self.history,
            tempo=self.tempo,
        )
        first: dict[int, ChangeView] = {}
        for change in plan.changes:
            if change.at > now and change.channel not in first:
                first[change.channel] = ChangeView(change.at, change.powered, change.reason)
        return first

    def _build_snapshot(self) -> Snapshot:
        now = self.clock.now()
        forecast = self.forecast
        attached = self.board.attached
        changes = self._next_changes(now)
        channels = []
        for channel in self.config.channels:
            decision = self.evaluation.decisions.get(channel.index)
            energised = self.board.relay(channel.index) if attached else None
            override = self.overrides.get(channel.index)
            channels.append(
                ChannelView(
                    index=channel.index,
                    name=channel.name,
                    wiring=channel.wiring.value,
                    powered=(
                        appliance_powered(channel.wiring, energised)
                        if energised is not None
                        else None
                    ),
                    wanted=decision.wanted if decision else False,
                    mode="forced" if override else "auto",
                    until=override.until if override else None,
                    rule=decision.rule.value if decision else "",
                    reason=decision.reason if decision else "starting",
                    waiting=decision.waiting if decision else None,
                    latched=self.history[channel.index].latched,
                    next_change=changes.get(channel.index),
                    forced_powered=override.powered if override else None,
                    latch_holds=bool(decision and decision.latch_holds),
                    mismatch=self._sync.words(
                        channel.index, self.history[channel.index].powered, now
                    ),
                    power_w=channel.power.watts if channel.power else None,
                )
            )
        strained = forecast.next_strained(now) if forecast else None
        info = self.board.info()
        return Snapshot(
            mode=MODES.get(self.source.kind, self.source.kind),
            pid=self.pid,
            now=now,
            level=int(level)
            if forecast and (level := forecast.level_at(now)) is not None
            else None,
            board=BoardView(
                kind=info.kind,
                attached=attached,
                serial=info.serial,
                revision=info.revision,
                failsafe=info.failsafe,
                message=self.board_message,
            ),
            forecast=ForecastView(
                source=self.source.kind,
                slots=tuple(SlotView(s.start, int(s.level)) for s in forecast.slots)
                if forecast
                else (),
                until=forecast.until if forecast else None,
                fetched=forecast.fetched if forecast else None,
                generated=forecast.generated if forecast else None,
                next_refresh=self._next_refresh,
                error=self.forecast_error,
                covers_now=bool(forecast and forecast.level_at(now) is not None),
                next_strained=_describe_period(strained, now) if strained else None,
            ),
            channels=tuple(channels),
            state_dir=str(self.state_dir),
            next_due=self.evaluation.next_due,
            tempo=self.tempo_feed.view(now) if self.tempo_feed is not None else None,
            mqtt=self.mqtt,
        )


def _state(powered: bool) -> str:
    return "powered" if powered else "cut"


def _next_minute(when: datetime) -> datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + timedelta(minutes=1)


def _describe_period(period: Any, now: datetime) -> str:
    day = period.start.astimezone(PARIS).date()
    today = now.astimezone(PARIS).date()
    if day == today:
        when = "today"
    elif (day - today).days == 1:
        when = "tomorrow"
    else:
        when = period.start.astimezone(PARIS).strftime("%a %d")
    return f"{period.describe()} {when}"
