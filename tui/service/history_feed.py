"""Feeding the history store from the controller's event subscription.

A task beside the control loop, never inside it: the store's work runs in a worker thread, and
anything that goes wrong with it (a damaged file, a full disk, a bug) is said once as an ``error``
event (what = "history") and stays here. The relays do not wait for history.
"""

import asyncio
import contextlib
from collections.abc import Callable

from tui.adapters.stores.history import (
    HistoryStore,
    StoreBusy,
    StoreDamaged,
    StoreUnavailable,
    open_store,
)
from tui.core.events import Event
from tui.service.containment import Part
from tui.service.interface import ServiceHost

# A failing store is tried again at most this often, measured on the monotonic clock: a wall
# clock stepped back two hours must not hold history back for two hours (nor a step forward
# retry it at once).
RETRY = 60.0  # seconds
RETRY_BUSY = 15.0  # seconds: a store locked by another process, sooner
FINISH_TIMEOUT = 5.0  # seconds the service waits at stop for the last events to be recorded


class HistoryFeed:
    def __init__(self, controller: ServiceHost) -> None:
        self.controller = controller
        self.store: HistoryStore | None = None
        self._part = Part(
            "history store",
            lambda _name, message, _recovered: self._say(message),
            "; history is not recorded until it works again (the event log still has it all)",
        )
        self._retry_at: float | None = None  # on the controller's monotonic clock
        self._since = controller.clock.now().timestamp()  # this run's events are not history lost

    async def run(self) -> None:
        """Record every event until the controller stops (its subscription then ends)."""
        try:
            await self._attempt(self._open)
            while True:
                async for update in self.controller.updates():
                    if update.events:
                        await self._attempt(self._add, list(update.events))
                if self.controller.stopping:
                    return
                # Dropped for falling behind: what was missed is in the log files.
                await self._attempt(self._catch_up)
        finally:
            if self.store is not None:
                await asyncio.to_thread(self.store.close)
                self.store = None

    def _open(self) -> None:
        if self.store is not None and self.store.replaced:
            self.store.close()  # rebuilt by `delestage history`: follow the new file
            self.store = None
        if self.store is None:
            self.store, problem = open_store(self.controller.state_dir, self._since)
            if problem:
                self._say(problem)

    def _add(self, events: list[Event]) -> None:
        self._open()
        assert self.store is not None
        self.store.add(events)

    def _catch_up(self) -> None:
        self._open()
        assert self.store is not None
        self.store.catch_up(self.controller.state_dir)

    async def _attempt(self, work: Callable[..., None], *args: object) -> None:
        now = self.controller.clock.monotonic()
        if self._part.failing is not None and self._retry_at is not None and now < self._retry_at:
            return
        try:
            if self._part.failing is not None:
                # Back after a failure: first take in what was logged meanwhile.
                await asyncio.to_thread(self._catch_up)
            await asyncio.to_thread(work, *args)
        except Exception as error:
            if self.store is not None:
                with contextlib.suppress(Exception):
                    self.store.close()
                self.store = None
            # Busy, read-only or not a file: the store is kept as it is and tried again later
            # (with what was logged meanwhile); damage was set aside and rebuilt by the open.
            self._retry_at = now + (RETRY_BUSY if isinstance(error, StoreBusy) else RETRY)
            if isinstance(error, StoreUnavailable | StoreDamaged):
                error = OSError(0, str(error))  # its own words, without a class name
            self._part.failed(error)
        else:
            self._part.succeeded()

    def _say(self, message: str) -> None:
        self.controller.log_error("history", message)
