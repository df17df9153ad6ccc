"""The clock, injected everywhere so tests and `plan` can run on virtual time."""

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

# A real sleep never lasts longer than this, so a wall-clock jump (NTP, suspend) is noticed
# within minutes; waking this rarely costs nothing measurable.
MAX_SLEEP_SECONDS = 300.0


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, UTC-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (for measuring waits)."""
        ...

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Return at ``when`` (None: never) or as soon as ``wake`` is set, whichever is first."""
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
        timeout = MAX_SLEEP_SECONDS
        if when is not None:
            timeout = min(max((when - self.now()).total_seconds(), 0.0), MAX_SLEEP_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)


class ManualClock:
    """A clock that moves only when told to (tests, benchmarks, `plan`).

    With ``auto_advance`` a sleep jumps straight to its deadline, so a service runs a simulated
    day in moments; without it, a sleep ends only when woken.
    """

    def __init__(self, start: datetime, auto_advance: bool = False) -> None:
        self._now = start.astimezone(UTC)
        self._mono = 0.0
        self.auto_advance = auto_advance
        self._held: set[asyncio.Future[Any]] = set()

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
        await wake.wait()

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        delta = (when.astimezone(UTC) - self._now).total_seconds()
        self.advance(max(delta, 0.0))
