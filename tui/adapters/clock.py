"""The clock, injected everywhere so tests and `plan` can run on virtual time."""

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

# A real sleep never lasts longer than this; waking this rarely costs nothing measurable.
MAX_SLEEP_SECONDS = 300.0
# A sleep looks at both clocks this often: when the wall clock has moved more than
# STEP_TOLERANCE_SECONDS away from the monotonic clock (an NTP step, a manual `date -s`, a
# resume from suspend), the sleep ends at once so that the caller looks at the new time (an
# override ending, a strained hour starting) instead of sleeping out a deadline set on the old.
STEP_WATCH_SECONDS = 1.0
STEP_TOLERANCE_SECONDS = 1.0


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, UTC-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (for measuring waits)."""
        ...

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Return at ``when`` (None: never) or as soon as ``wake`` is set, whichever is first;
        also as soon as the wall clock steps (it moved other than the monotonic clock)."""
        ...

    def hold(self, work: "asyncio.Future[Any]") -> None:
        """Work in flight (a network fetch) that virtual time must wait for before jumping.

        Real time passes during such work anyway; a virtual clock would otherwise race past it.
        """
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def hold(self, work: "asyncio.Future[Any]") -> None:
        pass

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        start_wall, start_mono = self.now(), self.monotonic()
        limit = start_mono + MAX_SLEEP_SECONDS
        while True:
            mono, wall = self.monotonic(), self.now()
            drift = (wall - start_wall).total_seconds() - (mono - start_mono)
            if abs(drift) > STEP_TOLERANCE_SECONDS:
                return  # the wall clock stepped: the caller looks at the new time
            remaining = limit - mono
            if when is not None:
                remaining = min(remaining, (when - wall).total_seconds())
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), min(remaining, STEP_WATCH_SECONDS))
                return


class ManualClock:
    """A clock that moves only when told to (tests, benchmarks, `plan`).

    With ``auto_advance`` a sleep jumps straight to its deadline, so a service runs a simulated
    day in moments; without it, a sleep ends only when woken, or when the wall clock is stepped
    (``step``), as a real sleep does.
    """

    def __init__(self, start: datetime, auto_advance: bool = False) -> None:
        self._now = start.astimezone(UTC)
        self._mono = 0.0
        self.auto_advance = auto_advance
        self._held: set[asyncio.Future[Any]] = set()
        self._step_waiters: set[asyncio.Event] = set()

    def hold(self, work: "asyncio.Future[Any]") -> None:
        self._held.add(work)
        work.add_done_callback(self._held.discard)

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        if self.auto_advance and when is not None:
            if self._held:
                await asyncio.wait(set(self._held))
            await asyncio.sleep(0)  # let woken tasks run before time moves on
            if not wake.is_set():
                self.set(when)
            return
        stepped = asyncio.Event()
        self._step_waiters.add(stepped)
        waits = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stepped.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            self._step_waiters.discard(stepped)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def step(self, seconds: float) -> None:
        """Step the wall clock alone (NTP, ``date -s``): the monotonic clock does not move.
        Sleeps end, as a real sleep notices a step."""
        self._now += timedelta(seconds=seconds)
        for stepped in list(self._step_waiters):
            stepped.set()

    def set(self, when: datetime) -> None:
        delta = (when.astimezone(UTC) - self._now).total_seconds()
        self.advance(max(delta, 0.0))


def wait_in_slices(done: Callable[[], bool], seconds: float, step: float = 0.05) -> bool:
    """Wait in a thread until ``done()`` or ``seconds`` pass; True when done. Slices of
    time.sleep rather than Event.wait(timeout): a timed wait on a lock never ends under
    libfaketime with the monotonic clock faked (the suite's faketime runs), where time.sleep
    still does; a slice of 50 ms costs nothing beside a TIC frame's 1.5 s."""
    end = time.monotonic() + seconds
    while not done():
        left = end - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, step))
    return True
