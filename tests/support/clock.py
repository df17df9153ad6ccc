"""A virtual clock whose sleeps end when the test moves time past them.

``ManualClock`` (tui/adapters/clock.py) either jumps straight to every deadline (auto_advance)
or ends a sleep only when the sleeper is woken. A part that paces itself by sleeping (the MQTT
bridge's status interval) needs the third behaviour real time has: ``advance`` ends the sleeps
whose deadline it reaches. Nothing here reads the wall clock.
"""

import asyncio
import contextlib
from datetime import datetime

from tui.adapters.clock import ManualClock


class SteppingClock(ManualClock):
    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._sleepers: list[tuple[datetime, asyncio.Event]] = []

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        if when is not None and when <= self.now():
            return
        due = asyncio.Event()
        entry = (when or datetime.max.replace(tzinfo=self.now().tzinfo), due)
        if when is not None:
            self._sleepers.append(entry)
        waits = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(due.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            with contextlib.suppress(ValueError):
                self._sleepers.remove(entry)

    def step(self, seconds: float) -> None:
        """The wall clock stepped: every sleep ends, as a real one notices the step."""
        super().step(seconds)
        for _, due in list(self._sleepers):
            due.set()

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        for when, due in list(self._sleepers):
            if when <= self.now():
                due.set()
