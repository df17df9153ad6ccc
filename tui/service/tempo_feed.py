"""The Tempo calendar beside the forecast: loaded at start, refreshed on the source's schedule.

The controller owns one ``TempoFeed`` when ``[tempo]`` is configured. Whatever the Tempo source
does (an unreadable file, RTE down, a bug), the feed says so with an ``error`` event and keeps
the last calendar: a failure here never stops the control loop, and an unknown colour never
sheds, so the worst case is the controller running on Ecowatt alone.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from tui.adapters.clock import Clock
from tui.adapters.sources.base import RefreshResult, TempoSource
from tui.core.errors import InputError
from tui.core.tempo import TempoCalendar, day_start, describe_today_tomorrow, tempo_day
from tui.service.snapshot import TempoDayView, TempoView

log = logging.getLogger(__name__)

FIRST = asyncio.FIRST_COMPLETED
BROKEN_RETRY = timedelta(minutes=15)  # never faster than the Tempo schedule's own minimum
VIEW_DAYS = 7  # days of the calendar the snapshot carries: the timeline's span and a little


class TempoFeed:
    def __init__(
        self,
        source: TempoSource,
        clock: Clock,
        event: Callable[..., None],
        wake: Callable[[], None],
    ) -> None:
        self.source = source
        self.clock = clock
        self._event = event
        self._wake = wake
        self.calendar: TempoCalendar | None = None
        self.error: str | None = None
        self.next_refresh: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._said = ""  # what the last refresh came to, in words (for the operator's refresh)

    async def start(self, now: datetime, first_fetch: float, stop: asyncio.Event) -> None:
        """The cached calendar, else one first fetch waited for at most ``first_fetch`` seconds
        (or until ``stop``); a longer fetch carries on in the background."""
        try:
            self.calendar = self.source.load_cached(now)
        except InputError as error:
            self._failed("; ".join(error.problems))
        except Exception as error:  # a source's bug must not stop the service starting
            log.exception("loading the Tempo calendar failed")
            self._failed(f"loading the Tempo calendar failed ({type(error).__name__}: {error})")
        if self.calendar is not None:
            self._updated(self.calendar, now, cached=True)
            self._schedule(self.clock.now(), None)
            return
        self.next_refresh = now
        self.poll(now)
        assert self._task is not None
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({self._task, stopped}, timeout=first_fetch, return_when=FIRST)
        finally:
            stopped.cancel()

    def next_wake(self, now: datetime) -> datetime | None:
        """The next refresh, or the next 06:00, when the Tempo day in force (the snapshot's
        "today") changes, whichever comes first."""
        boundary = day_start(tempo_day(now) + timedelta(days=1))
        return boundary if self.next_refresh is None else min(self.next_refresh, boundary)

    def poll(self, now: datetime) -> None:
        """Start a refresh in the background when one is due (the loop never waits for it)."""
        if self.next_refresh is None or now < self.next_refresh:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._refresh(now))
            self.clock.hold(self._task)
        self.next_refresh = None

    async def refresh_now(self) -> str:
        """The operator's refresh (`r`, the socket's and MQTT's): a call now if the source's
        limits allow one, else when; one short line. One call at a time: while a scheduled
        one is under way, its answer."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._refresh(self.clock.now(), manual=True))
            self.clock.hold(self._task)
            self.next_refresh = None
        await asyncio.shield(self._task)
        return self._said

    async def _refresh(self, now: datetime, manual: bool = False) -> None:
        try:
            result = await self.source.refresh(now, manual=manual)
        except Exception as error:  # a source's bug must not end the refreshes for good
            log.exception("Tempo refresh failed")
            result = RefreshResult(
                error=f"Tempo refresh failed unexpectedly ({type(error).__name__}: {error})",
                retry_at=now + BROKEN_RETRY,
            )
        calendar = result.data
        if isinstance(calendar, TempoCalendar):
            self.error = None
            self._updated(calendar, now, cached=not result.called)
            head = "Tempo updated" if result.called else "Tempo"
            self._said = f"{head}: {describe_today_tomorrow(calendar, now)}"
        else:
            self._said = f"Tempo: {result.error or 'no new calendar'}"
            # A manual refresh the limits refused is an answer, not a fault of the source.
            if result.error and (result.called or (result.error != self.error and not manual)):
                self._failed(result.error)
        self._schedule(self.clock.now(), result)
        self._wake()

    def _schedule(self, now: datetime, result: RefreshResult[TempoCalendar] | None) -> None:
        try:
            due = self.source.next_refresh(now)
        except Exception:  # the schedule of a broken source: try again later
            log.exception("Tempo schedule failed")
            due = now + BROKEN_RETRY
        if result is not None and result.retry_at is not None and result.data is None:
            due = max(due, result.retry_at)
        self.next_refresh = due

    def _updated(self, calendar: TempoCalendar, now: datetime, cached: bool) -> None:
        changed = self.calendar is None or calendar.days != self.calendar.days
        self.calendar = calendar
        if not (changed or cached):
            return  # the same days again: nothing to tell
        today, tomorrow = calendar.today_tomorrow(now)
        self._event(
            "forecast",
            what="tempo",
            source=self.source.kind,
            today=today.value if today else None,
            tomorrow=tomorrow.value if tomorrow else None,
            cached=cached,
            message=f"Tempo calendar {'loaded' if cached else 'updated'}: "
            f"{describe_today_tomorrow(calendar, now)}",
        )

    def _failed(self, message: str) -> None:
        self.error = message
        self._event("error", what="tempo", message=message)

    def view(self, now: datetime) -> TempoView:
        calendar = self.calendar
        today = tomorrow = None
        days: tuple[TempoDayView, ...] = ()
        if calendar is not None:
            first, second = calendar.today_tomorrow(now)
            today = first.value if first else None
            tomorrow = second.value if second else None
            days = tuple(
                TempoDayView(item.day.isoformat(), item.colour.value if item.colour else None)
                for item in calendar.days[-VIEW_DAYS:]
            )
        return TempoView(
            source=self.source.kind,
            today=today,
            tomorrow=tomorrow,
            days=days,
            fetched=calendar.fetched if calendar else None,
            next_refresh=self.next_refresh,
            error=self.error,
        )

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        with contextlib.suppress(Exception):
            await self.source.aclose()
