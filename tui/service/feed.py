"""One outside source the controller follows, whatever it carries: the ``Feed``.

The Ecowatt forecast and the Tempo calendar are two feeds (a power meter will be a third). A
feed owns what they have in common: the cached data at start, else one first fetch the start
waits for a short while; refreshes on the source's own schedule (never faster than its quota,
which the source keeps on disk); the operator's refresh, one call at a time; a retry after a
source's bug; the next wake-up; and the words: a failure said once and not repeated while
nothing changes, its recovery said, new data said. What differs between feeds (what the data
is called, the event new data makes, the operator's one-line answer) is a ``FeedWords``.

Whatever a source does (an unreadable file, RTE down, a bug), the feed keeps its last data and
the control loop never sees an exception from it.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from tui.adapters.clock import Clock
from tui.adapters.sources.base import RefreshResult, Source
from tui.core.errors import InputError
from tui.core.events import ErrorEvent, Event
from tui.service.containment import describe_error

log = logging.getLogger(__name__)

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)
FIRST = asyncio.FIRST_COMPLETED
# After a source raised instead of answering: never faster than RTE's 15-minute quota.
BROKEN_RETRY = timedelta(minutes=15)


@dataclass(frozen=True)
class Said:
    """What new data comes to: the event to log (None: nothing new to tell) and the operator's
    one-line answer to a refresh."""

    event: Event | None
    answer: str


class FeedWords(Protocol[T_contra]):
    """The part of a feed that knows what its data is."""

    what: str  # the `error` event's `what`: "forecast", "tempo"
    name: str  # in sentences: "forecast", "Tempo calendar"

    def arrived(
        self,
        data: T_contra,
        previous: T_contra | None,
        now: datetime,
        *,
        ts: datetime,
        cached: bool,
        called: bool,
    ) -> Said:
        """New data as of ``now`` (``ts``: the event's time; ``cached``: read from disk at
        start; ``called``: a call reached the network for it)."""
        ...

    def answer_failed(self, error: str | None) -> str:
        """The operator's answer when a refresh brought nothing (``error``: why, if known)."""
        ...

    def boundary(self, now: datetime) -> datetime | None:
        """The next instant the data's meaning changes without a refresh (Tempo's 06:00)."""
        ...


Emit = Callable[[Event], None]


class Feed(Generic[T]):
    def __init__(
        self,
        source: Source[T],
        words: FeedWords[T],
        *,
        clock: Clock,
        emit: Emit,
        wake: Callable[[], None],
    ) -> None:
        self.source = source
        self.words = words
        self.clock = clock
        self._emit = emit
        self._wake = wake
        self.data: T | None = None
        self.error: str | None = None  # the last failure in words, None once data arrives
        self.next_refresh: datetime | None = None
        self._task: asyncio.Task[str] | None = None
        self._said_error: str | None = None  # the failure last said, not to repeat it

    @property
    def kind(self) -> str:
        return self.source.kind

    # -- start ---------------------------------------------------------------------------------

    async def start(self, now: datetime, first_fetch: float, stop: asyncio.Event) -> None:
        """The cached data, else one first fetch waited for at most ``first_fetch`` seconds (or
        until ``stop``): without data the first decisions would be the fallback, undone a moment
        later. A longer fetch is said, and carries on in the background."""
        try:
            cached = self.source.load_cached(now)
        except InputError as error:
            cached = None
            self._failed("; ".join(error.problems))
        except Exception as error:  # a source's bug must not stop the service starting
            log.exception("loading the cached %s failed", self.words.name)
            cached = None
            self._failed(f"loading the cached {self.words.name} failed ({describe_error(error)})")
        if cached is not None:
            self._arrived(cached, now, cached=True, called=False)
            self._schedule(self.clock.now(), None)
            return
        if stop.is_set():
            return
        task = self._begin(now, manual=False)
        stopped = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({task, stopped}, timeout=first_fetch, return_when=FIRST)
        finally:
            stopped.cancel()
        if not done:
            self._say(
                f"no answer from the {self.source.kind} source within {first_fetch:g} s at "
                f"start: deciding without a {self.words.name} meanwhile; the fetch carries on"
            )

    # -- schedule ------------------------------------------------------------------------------

    def poll(self, now: datetime) -> None:
        """Start a refresh in the background when one is due (the loop never waits for it)."""
        if self.next_refresh is not None and now >= self.next_refresh:
            self._begin(now, manual=False)

    def next_wake(self, now: datetime) -> datetime | None:
        times = [t for t in (self.next_refresh, self.words.boundary(now)) if t is not None]
        return min(times) if times else None

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def refresh_now(self) -> str:
        """The operator's refresh: a call now if the source's limits allow one, else when; one
        line. While a scheduled call is under way, its answer."""
        task = self._task if self.busy else self._begin(self.clock.now(), manual=True)
        assert task is not None
        return await asyncio.shield(task)

    def _begin(self, now: datetime, manual: bool) -> "asyncio.Task[str]":
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._refresh(now, manual))
            self.clock.hold(self._task)
        self.next_refresh = None
        return self._task

    async def _refresh(self, now: datetime, manual: bool) -> str:
        try:
            result = await self.source.refresh(now, manual=manual)
        except Exception as error:  # a source's bug must not end the refreshes for good
            log.exception("%s refresh failed", self.words.name)
            result = RefreshResult(
                error=f"{self.words.name} refresh failed unexpectedly ({describe_error(error)}); "
                f"trying again in {BROKEN_RETRY.total_seconds() / 60:g} min",
                retry_at=now + BROKEN_RETRY,
            )
        if result.data is not None:
            answer = self._arrived(result.data, now, cached=False, called=result.called)
        else:
            problem = result.error
            answer = self.words.answer_failed(problem)
            # A manual refresh the limits refused is an answer to the operator, not a fault of
            # the source; a failure repeated word for word without a call is not news.
            if result.called or not manual:
                self.error = problem
                if problem and (result.called or problem != self._said_error):
                    self._failed(problem)
        self._schedule(self.clock.now(), result)
        self._wake()
        return answer

    def _schedule(self, now: datetime, result: RefreshResult[T] | None) -> None:
        try:
            due = self.source.next_refresh(now)
        except Exception:  # the schedule of a broken source: try again later
            log.exception("%s schedule failed", self.words.name)
            due = now + BROKEN_RETRY
        if result is not None and result.retry_at is not None and result.data is None:
            due = max(due, result.retry_at)
        self.next_refresh = due

    # -- words ---------------------------------------------------------------------------------

    def _arrived(self, data: T, now: datetime, *, cached: bool, called: bool) -> str:
        previous, self.data = self.data, data
        recovered = self._said_error is not None and not cached
        self.error = None
        self._said_error = None
        said = self.words.arrived(
            data, previous, now, ts=self.clock.now(), cached=cached, called=called
        )
        if said.event is not None:
            self._emit(said.event)
        if recovered:
            self._emit(
                ErrorEvent(
                    ts=self.clock.now(),
                    what=self.words.what,
                    message=f"the {self.source.kind} {self.words.name} source works again",
                    recovered=True,
                )
            )
        return said.answer

    def _failed(self, message: str) -> None:
        self.error = message
        self._said_error = message
        self._say(message)

    def _say(self, message: str) -> None:
        self._emit(ErrorEvent(ts=self.clock.now(), what=self.words.what, message=message))

    async def aclose(self, grace: float) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        try:
            await asyncio.wait_for(self.source.aclose(), grace)
        except Exception as error:
            log.warning("closing the %s source failed: %s", self.words.name, describe_error(error))
