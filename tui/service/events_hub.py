"""Events and subscriptions: where every event goes, and how front ends follow the state.

An event is written to the event log, kept among the recent ones (replayed to each new
subscriber), handed to the listeners (the headless printer, bridges) and queued for the next
update. ``publish`` sends subscribers an update when the snapshot or the events changed. Every
one of these is contained: a log that cannot be written, a listener that raises, a subscriber
that stopped reading fail alone and say so once; the control loop never sees them.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from tui.adapters.clock import Clock
from tui.adapters.stores.eventlog import LOG_NAME, EventLog, ReadStats, read_events
from tui.core.events import ErrorEvent, Event, StartEvent, StopEvent
from tui.service.containment import Part
from tui.service.snapshot import Snapshot, Update

RECENT_EVENTS = 200
MAX_BACKLOG = 100  # updates queued for one subscriber before it is cut off (each holds a snapshot)

Listener = Callable[[Event], None]


class EventHub:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.log: EventLog | None = None  # set once the state directory is ours
        self.recent: deque[Event] = deque(maxlen=RECENT_EVENTS)
        self._pending: list[Event] = []
        self._subscribers: set[asyncio.Queue[Update | None]] = set()
        self._ended = False  # end() was called: a later subscriber ends at once
        self._listeners: list[tuple[Part, Listener]] = []
        self._last: Snapshot | None = None
        self._publish_part = self.part("subscribers", ": the UI and clients may lag")

    # -- parts ---------------------------------------------------------------------------------

    def part(self, name: str, consequence: str = "") -> Part:
        """A contained part whose failures and recoveries are `error` events."""
        return Part(name, self._report_part, consequence)

    def _report_part(self, name: str, message: str, recovered: bool) -> None:
        self.emit(ErrorEvent(ts=self.clock.now(), what=name, message=message, recovered=recovered))

    def open(self, state_dir: Path) -> str | None:
        """Follow on from the event log in ``state_dir``: its latest events are replayed to
        subscribers and this run's events are appended. Returns what was damaged in it, if
        anything, for the caller to say after its `start`."""
        stats = ReadStats()
        self.recent.extend(read_events(state_dir, stats)[-RECENT_EVENTS:])
        self.log = EventLog(state_dir, report=lambda message: self.error("events", message))
        return stats.summary(state_dir / LOG_NAME)

    def unclean_end(self) -> StartEvent | None:
        """The start of the previous run when it never said stop (a crash, ``kill -9``, a power
        cut), from the events replayed by ``open``; None when it stopped cleanly."""
        for event in reversed(self.recent):
            if isinstance(event, StopEvent):
                return None
            if isinstance(event, StartEvent):
                return event
        return None

    def error(self, what: str, message: str) -> None:
        self.emit(ErrorEvent(ts=self.clock.now(), what=what, message=message))

    def add_listener(self, listener: Listener, name: str = "event printer") -> None:
        """Call ``listener`` with every event as it is logged; one that raises is contained."""
        self._listeners.append((self.part(name), listener))

    # -- events --------------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        if self.log is not None:
            self.log.write(event)  # never raises; reports its own failures
        self._pending.append(event)
        self.recent.append(event)
        for part, listener in list(self._listeners):
            part.call(listener, event)

    # -- subscribers ---------------------------------------------------------------------------

    def publish(self, snapshot: Callable[[], Snapshot]) -> None:
        """Tell subscribers what changed since the last update (nothing, if nothing did)."""
        self._publish_part.call(self._publish_now, snapshot)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @property
    def last(self) -> Snapshot | None:
        return self._last

    def _publish_now(self, build: Callable[[], Snapshot]) -> None:
        if not self._subscribers:
            # Nobody follows (a start before the UI subscribes, a headless service without a
            # bridge): a snapshot holds a 96-hour plan, so none is built for no one. The next
            # subscriber or reader builds a fresh one; the events stay in ``recent`` for it.
            self._last = None
            self._pending = []
            return
        snapshot = build()
        if snapshot == self._last and not self._pending:
            return
        self._last = snapshot
        update = Update(snapshot, tuple(self._pending))
        self._pending = []
        for queue in list(self._subscribers):
            if queue.qsize() >= MAX_BACKLOG:
                # A subscriber that stopped reading is cut off rather than let grow without end.
                self._subscribers.discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(update)

    async def updates(self, current: Callable[[], Snapshot]) -> AsyncIterator[Update]:
        """The current state with the recent events first, then every change as it comes."""
        queue: asyncio.Queue[Update | None] = asyncio.Queue()
        self._subscribers.add(queue)
        if self._ended:  # subscribed after the stop: the current state, then the end
            queue.put_nowait(None)
        try:
            # Events still pending reach this subscriber with the next publish, not twice.
            replay = list(self.recent)[: len(self.recent) - len(self._pending)]
            if self._last is None:
                self._last = current()  # kept: the next publish sends only what differs
            yield Update(self._last, tuple(replay))
            while True:
                update = await queue.get()
                if update is None:
                    return
                yield update
        finally:
            self._subscribers.discard(queue)

    def end(self) -> None:
        """Streams end cleanly instead of being cancelled."""
        self._ended = True
        for queue in list(self._subscribers):
            queue.put_nowait(None)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
