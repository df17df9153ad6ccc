"""A simulated relay board: the demo's board, and a recorder for tests.

Like gpiozero's mock pins, it records every relay transition with a timestamp from the injected
clock, so tests assert sequences and timings. It behaves like a 1017 where that matters: relays
start released, an unplug releases them (the coils lose USB power), a reattach finds them
released, a failsafe trip releases one, and commands given while detached do nothing: putting
relays back is the service's job, counted like every other movement. It also watches the
relay's rated limit of 20 operations per minute, whoever moves the relay, and records the
thread of every call so tests can check that board I/O stays off the event loop.
"""

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tui.adapters.boards.base import BoardEvent, BoardEventKind, BoardInfo, EventSink
from tui.adapters.clock import Clock, SystemClock
from tui.core.config import OnExit
from tui.core.i18n import _

# The 1017's relays are rated for 20 operations per minute.
MAX_SWITCHES = 20
RATE_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True)
class Transition:
    at: datetime
    channel: int
    energised: bool


@dataclass(frozen=True)
class RateViolation:
    """A relay switched more than MAX_SWITCHES times within RATE_WINDOW, ending at ``at``."""

    channel: int
    at: datetime
    switches: int


# What the board remembers for the tests and the demo, bounded: a demo that runs for months
# (or a relay switched in a loop) must not grow without end. The newest are kept.
MAX_RECORDED = 10_000


def _keep_newest(items: list[Any]) -> None:
    if len(items) > MAX_RECORDED:
        del items[: len(items) - MAX_RECORDED]


class SimulatedBoard:
    kind = "simulated"
    hint = ""

    def __init__(
        self,
        channels: Iterable[int],
        clock: Clock | None = None,
        *,
        model: str | None = None,
        name: str = "",
    ) -> None:
        """``model``: any model of the device table (tui/core/devices.py), for its info; the
        demo stays one 1017 (no model)."""
        self.clock: Clock = clock or SystemClock()
        self.model = model
        self.name = name
        self.transitions: list[Transition] = []
        self.keepalives = 0
        self._channels = tuple(sorted(set(channels)))
        self._state = dict.fromkeys(self._channels, False)
        self._attached = False
        self._opened = False
        self._emit: EventSink | None = None
        self._failing: dict[int, int] = {}
        self.io_threads: list[int] = []  # the thread of every set_relay, keepalive and close
        self.close_threads: list[int] = []
        self._violations: list[RateViolation] = []
        self._over_limit: set[int] = set()
        # Each relay's switch times within the rate window: the rate check counts these, not
        # the whole record (a scan of up to MAX_RECORDED transitions at every switch).
        self._recent: dict[int, list[datetime]] = {channel: [] for channel in self._channels}
        # set_relay arrives from a worker thread (asyncio.to_thread), simulate_* from tests.
        self._lock = threading.RLock()

    # -- the RelayBoard protocol -------------------------------------------------------------

    def open(self, emit: EventSink) -> None:
        """Attached at once, so the demo works on any machine."""
        with self._lock:
            self._emit = emit
            self._opened = True
        self.simulate_attach()

    @property
    def attached(self) -> bool:
        return self._attached

    def channel_attached(self, channel: int) -> bool:
        self._check_channel(channel)
        return self._attached

    def info(self) -> BoardInfo:
        return BoardInfo(kind=self.kind, name=self.name, model=self.model)

    def set_relay(self, channel: int, energised: bool) -> None:
        self._check_channel(channel)
        with self._lock:
            self.io_threads.append(threading.get_ident())
            _keep_newest(self.io_threads)
            if not self._attached:
                return
            if self._failing.get(channel):
                self._failing[channel] -= 1
                self._send(
                    BoardEventKind.ERROR,
                    f"relay {channel}: setting it {'energised' if energised else 'released'} "
                    "failed: Timed Out (simulated)",
                    channel,
                )
                return
            self._switch(channel, energised)

    def relay(self, channel: int) -> bool | None:
        self._check_channel(channel)
        with self._lock:
            return self._state[channel] if self._attached else None

    def keepalive(self) -> None:
        with self._lock:
            self.io_threads.append(threading.get_ident())
            _keep_newest(self.io_threads)
            self.keepalives += 1

    def close(self, on_exit: OnExit) -> None:
        with self._lock:
            self.io_threads.append(threading.get_ident())
            self.close_threads.append(threading.get_ident())
            if on_exit is OnExit.RELEASE:
                for channel in self._channels:
                    self._switch(channel, False)
            self._attached = False
            self._opened = False
            self._emit = None

    # -- what tests and the demo can make happen ---------------------------------------------

    def simulate_detach(self) -> None:
        """The board is unplugged: its relays release as the coils lose power."""
        with self._lock:
            if not self._attached:
                return
            for channel in self._channels:
                self._switch(channel, False)
            self._attached = False
            self._send(BoardEventKind.DETACHED, "simulated board detached: relays released")

    def simulate_attach(self) -> None:
        """The board comes (back) with its relays released, as a 1017's attach leaves them."""
        with self._lock:
            if self._attached or not self._opened:
                return
            self._attached = True
            for channel in self._channels:
                self._switch(channel, False)
            self._send(BoardEventKind.ATTACHED, _("simulated board attached"))

    def simulate_command_failures(self, channel: int, count: int = 1) -> None:
        """The next ``count`` commands of relay ``channel`` fail (a USB timeout) and move
        nothing."""
        self._check_channel(channel)
        with self._lock:
            self._failing[channel] = count

    def simulate_error(self, message: str, channel: int | None = None) -> None:
        with self._lock:
            self._send(BoardEventKind.ERROR, message, channel)

    def simulate_failsafe(self, channel: int) -> None:
        """A hardware failsafe trip: the relay releases (the channel is back at once)."""
        self._check_channel(channel)
        with self._lock:
            if not self._attached:
                return
            self._switch(channel, False)
            self._send(
                BoardEventKind.FAILSAFE,
                f"relay {channel}: failsafe tripped (simulated): relay released",
                channel,
            )

    # -- inspection --------------------------------------------------------------------------

    def state(self, channel: int) -> bool:
        """The relay's physical state, attached or not (released while detached)."""
        self._check_channel(channel)
        with self._lock:
            return self._state[channel]

    def transitions_of(self, channel: int) -> list[Transition]:
        with self._lock:
            return [item for item in self.transitions if item.channel == channel]

    def rate_violations(self) -> list[RateViolation]:
        """Every time a relay went over 20 switches within 60 s, in time order."""
        with self._lock:
            return list(self._violations)

    # -- internals ---------------------------------------------------------------------------

    def _check_channel(self, channel: int) -> None:
        if channel not in self._state:
            raise ValueError(f"relay {channel} is not configured (have {list(self._channels)})")

    def _switch(self, channel: int, energised: bool) -> None:
        if self._state[channel] == energised:
            return
        now = self.clock.now()
        self._state[channel] = energised
        self.transitions.append(Transition(now, channel, energised))
        _keep_newest(self.transitions)
        self._watch_rate(channel, now)

    def _watch_rate(self, channel: int, now: datetime) -> None:
        since = now - RATE_WINDOW
        times = self._recent[channel] = [at for at in self._recent[channel] if at > since]
        times.append(now)
        recent = len(times)
        if recent <= MAX_SWITCHES:
            self._over_limit.discard(channel)
            return
        self._violations.append(RateViolation(channel, now, recent))
        _keep_newest(self._violations)
        if channel not in self._over_limit:
            # One event per excursion over the limit, not one per extra switch.
            self._over_limit.add(channel)
            self._send(
                BoardEventKind.ERROR,
                f"relay {channel}: {recent} switches within 60 s, over the relay's rated "
                f"{MAX_SWITCHES} per minute",
                channel,
            )

    def _send(self, kind: BoardEventKind, message: str, channel: int | None = None) -> None:
        if self._emit is not None:
            self._emit(BoardEvent(kind, message, channel))
