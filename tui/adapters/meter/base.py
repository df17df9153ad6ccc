"""The protocol every meter source implements, and the box readings arrive in.

A meter pushes: a TIC line sends a frame every second or two, a demo house or a replayed capture
on the service clock. So a ``MeterSource`` is a ``Source[MeterReading]`` (the feed's schedule,
words and "said once, said recovered") that is also *started*: from then on it puts each reading
in its ``ReadingBox`` and calls ``notify`` (from any thread), and the feed takes the reading at
its next refresh. ``refresh`` never blocks: it hands over the newest reading, or says the meter
is stale (no valid frame for ``stale_after``), never "no load".
"""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from tui.adapters.sources.base import RefreshResult, Source
from tui.core.i18n import _
from tui.core.meter import MeterReading

Notify = Callable[[], None]
# A reading as it reads after a wall-clock step (MeterFeed.shift gives it).
Move = Callable[[MeterReading], MeterReading]


class MeterSource(Source[MeterReading], Protocol):
    def start(self, notify: Notify) -> None:
        """Begin reading; ``notify`` is called, from any thread, when a reading arrives."""
        ...

    @property
    def latest(self) -> MeterReading | None:
        """The newest reading, whatever the feed has taken (the power rule reads it at once)."""
        ...

    @property
    def where(self) -> str:
        """Where it reads from, in words: "tic on /dev/ttyACM0", "demo house"."""
        ...

    @property
    def detail(self) -> str:
        """What the reader knows beyond the reading: mode, baud, garbled groups."""
        ...

    def shift(self, delta: timedelta, now: datetime, move: Move) -> None:
        """The wall clock stepped by ``delta`` (now ``now``): a reading held that was stamped
        before the step becomes ``move(reading)``, so that its age stays its real age."""
        ...


class ReadingBox:
    """The newest reading, written by a reader (any thread), taken by ``refresh``."""

    def __init__(self, stale_after: timedelta) -> None:
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self._latest: MeterReading | None = None
        self._given: MeterReading | None = None
        self.problem: str | None = None  # the reader's last trouble (cannot open the port...)
        self._notify: Notify | None = None
        self._failed = False  # the last refresh said the meter was stale
        self._first: datetime | None = None  # the first refresh: "waiting" until stale_after

    def start(self, notify: Notify) -> None:
        self._notify = notify

    def put(self, reading: MeterReading) -> None:
        with self._lock:
            self._latest = reading
            self.problem = None
        if self._notify is not None:
            self._notify()

    def trouble(self, problem: str) -> None:
        with self._lock:
            self.problem = problem

    @property
    def latest(self) -> MeterReading | None:
        with self._lock:
            return self._latest

    def shift(self, delta: timedelta, now: datetime, move: Move) -> None:
        """The newest reading moved with a wall-clock step when it was stamped before it (moved,
        it is nearer ``now``; one stamped after the step is left alone), and the start too: a
        forward step is not a meter silent for an hour, a backward one not a frame from the
        future."""
        with self._lock:
            latest = self._latest
            if latest is not None and abs(latest.at + delta - now) < abs(latest.at - now):
                moved = move(latest)
                if self._given is latest:
                    self._given = moved
                self._latest = moved
            if self._first is not None:
                self._first += delta

    def refresh(self, now: datetime, where: str) -> RefreshResult[MeterReading]:
        with self._lock:
            latest, given, problem = self._latest, self._given, self.problem
            if latest is not None and latest is not given:
                self._given = latest
        if latest is not None and latest is not given and now - latest.at < self.stale_after:
            self._failed = False
            return RefreshResult(data=latest)
        seconds = f"{self.stale_after.total_seconds():g} s"
        self._first = self._first or now
        if latest is None and now - self._first < self.stale_after:
            return RefreshResult()  # just started: waiting for a first frame is not a fault
        if latest is None or now - latest.at >= self.stale_after:
            what = (
                _("no valid frame yet")
                if latest is None
                else _("no valid frame for {seconds}").format(seconds=seconds)
            )
            why = f" ({problem})" if problem else ""
            self._failed = True
            return RefreshResult(
                error=_(
                    "meter ({where}): {what}{why}; power cuts held, nothing restored on it"
                ).format(where=where, what=what, why=why)
            )
        return RefreshResult()

    def next_refresh(self, now: datetime) -> datetime:
        """Now for a first reading or one after a stale spell (its words are news); else when
        the newest reading would turn stale: the feed looks every ``stale_after``, not every
        frame (the power rule reads every frame through ``latest``)."""
        latest = self.latest
        if latest is None:
            return (
                (self._first or now) + self.stale_after
                if not self._failed
                else (now + self.stale_after)
            )
        if latest is not self._given and (self._given is None or self._failed):
            return now
        due = latest.at + self.stale_after
        return due if due > now else now + self.stale_after


class BoxedMeter:
    """What every meter source does the same way once its reader fills ``self.box``: the
    newest reading, no cache (a reading from before a restart is no reading of now), and the
    box's refresh and schedule. Subclasses set ``box`` and ``where`` and start their reader."""

    box: ReadingBox

    @property
    def where(self) -> str:
        raise NotImplementedError

    @property
    def latest(self) -> MeterReading | None:
        return self.box.latest

    def load_cached(self, now: datetime) -> MeterReading | None:
        return None

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[MeterReading]:
        return self.box.refresh(now, self.where)

    def next_refresh(self, now: datetime) -> datetime:
        return self.box.next_refresh(now)

    def shift(self, delta: timedelta, now: datetime, move: Move) -> None:
        self.box.shift(delta, now, move)
