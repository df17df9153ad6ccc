"""Tempo sources, the same four kinds as the forecast's: rte, sandbox, demo, file.

``TempoSource`` (rte, sandbox) is the Ecowatt ``RteSource`` with the Tempo client, its own cache
and call-time file in the state directory, and a schedule that fits the publication: a call at
start; then none until 10:40 (tomorrow's colour is published at 10:30); after 10:40, calls until
tomorrow is known, backing off from 15 minutes to an hour; then nothing until 10:40 the next day.
Never two calls within 15 minutes. Failures (5xx, timeouts, garbage) keep the cached calendar
and back off like Ecowatt's. For these sources, ``RefreshResult.forecast`` carries the
``TempoCalendar``.
"""

import random
from datetime import datetime, timedelta
from pathlib import Path

from tui.adapters.ecowatt.cache import CachedBody, ForecastCache
from tui.adapters.ecowatt.quota import QuotaGate
from tui.adapters.rte_session import BodyError
from tui.adapters.sources.base import RefreshResult
from tui.adapters.sources.rte import RteSource
from tui.adapters.tempo.client import TempoClient
from tui.core.demo_tempo import demo_tempo
from tui.core.forecast import PARIS, clock_time, next_paris_midnight
from tui.core.signals import ForecastFormatError
from tui.core.tempo import TempoCalendar, describe_today_tomorrow, paris_at, published_at
from tui.core.tempo_body import parse_tempo

MIN_INTERVAL = timedelta(minutes=15)  # never two Tempo calls closer than this
POLL_FROM = (10, 40)  # tomorrow's colour is published at 10:30: look from 10:40
UNPUBLISHED_CAP = timedelta(hours=1)  # retries while tomorrow is not out: 15, 30, 60, 60 min
FAILURE_BACKOFF = (MIN_INTERVAL, timedelta(hours=2))
QUOTA_NAME = "tempo-quota"


class TempoCache(ForecastCache):
    """The last good calendars body, as RTE sent it, parsed again on load."""

    def parse(self, cached: CachedBody) -> TempoCalendar | None:  # type: ignore[override]
        try:
            return parse_tempo(cached.body, fetched=cached.fetched, source=self.source)
        except ForecastFormatError:
            return None


class TempoSource(RteSource):
    what = "Tempo calendar"

    def __init__(
        self,
        client: TempoClient,  # type: ignore[override]
        *,
        kind: str,
        cache: TempoCache,
        gate: QuotaGate | None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            client,  # type: ignore[arg-type]
            kind=kind,
            cache=cache,
            gate=gate,
            cadence=MIN_INTERVAL,
            backoff=FAILURE_BACKOFF,
            rng=rng,
        )
        self.tempo_client = client
        self.unpublished = 0  # calls in a row that came back without tomorrow
        self.last_call: datetime | None = None  # this process's; the gate's is on disk (rte)

    def __repr__(self) -> str:
        return f"TempoSource(kind={self.kind!r}, {self.tempo_client!r})"

    async def check_credentials(self, now: datetime) -> None:
        """Ask for a token (`delestage check`); raises RteError."""
        await self.tempo_client.renew_token(now)

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult:
        # A manual refresh skips the schedule's waits, never this one: the sandbox has no
        # shared gate, and `r` pressed twice must not mean two calls.
        if self.last_call is not None and self.last_call <= now < self.last_call + MIN_INTERVAL:
            allowed = self.last_call + MIN_INTERVAL
            return RefreshResult(
                data=self._adopt_cache(),
                error=f"quota: next call allowed at {clock_time(allowed, now)}",
                retry_at=allowed,
            )
        return await super().refresh(now, manual=manual)

    async def _download(self, now: datetime) -> bytes:
        self.last_call = now
        return await self.tempo_client.fetch_calendars(now)

    def _parse(self, body: bytes, now: datetime) -> TempoCalendar:  # type: ignore[override]
        try:
            calendar = parse_tempo(body, fetched=now, source=self.kind)
        except ForecastFormatError as error:
            raise BodyError(f"RTE's answer is not a valid Tempo calendar ({error})") from None
        today = now.astimezone(PARIS).date()
        if calendar.colour(today + timedelta(days=1)) is not None:
            self.unpublished = 0
        elif now >= paris_at(today, *POLL_FROM):
            self.unpublished += 1  # looked for tomorrow and it was not out yet
        return calendar

    def _describe(self, calendar: TempoCalendar) -> str:  # type: ignore[override]
        when = calendar.fetched
        known = describe_today_tomorrow(calendar, when) if when else "no date"
        return f"{self.kind} Tempo calendar: {len(calendar.days)} days, {known}"

    def _fresh(self, calendar: TempoCalendar, now: datetime) -> bool:  # type: ignore[override]
        return now < self._due(calendar, now)

    def next_refresh(self, now: datetime) -> datetime:
        if self.retry_at is not None:
            due = self.retry_at
        elif self._last is None:
            due = now  # at start, or nothing usable yet
        else:
            due = self._due(self._last, now)  # type: ignore[arg-type]
        if self.gate is not None:
            due = max(due, self.gate.next_allowed(now))
        return max(due, now)

    def _due(self, calendar: TempoCalendar, now: datetime) -> datetime:
        """When this calendar needs a newer one, by the publication schedule."""
        if calendar.fetched is None:
            return now
        # A fetch time ahead of now means the clock went back: count it as fetched now.
        fetched = min(calendar.fetched, now)
        today = now.astimezone(PARIS).date()
        tomorrow = today + timedelta(days=1)
        poll = paris_at(today, *POLL_FROM)
        if calendar.colour(tomorrow) is not None:
            return paris_at(tomorrow, *POLL_FROM)  # nothing more today
        earliest = fetched + MIN_INTERVAL
        if now < poll and calendar.colour(today) is not None:
            return max(poll, earliest)
        # After 10:40 without tomorrow (or without today at all): back off, at most an hour.
        doublings = min(max(self.unpublished - 1, 0), 8)
        return max(fetched + min(MIN_INTERVAL * 2**doublings, UNPUBLISHED_CAP), earliest)


class DemoTempoSource:
    """A red day today and a white day tomorrow, published at 10:30 (``core.demo_tempo``)."""

    kind = "demo"

    def __repr__(self) -> str:
        return "DemoTempoSource()"

    def load_cached(self, now: datetime) -> TempoCalendar:
        return demo_tempo(now, fetched=now)

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult:
        return RefreshResult(data=demo_tempo(now, fetched=now))  # type: ignore[arg-type]

    def next_refresh(self, now: datetime) -> datetime:
        # The calendar changes when tomorrow is published, and at midnight.
        publication = published_at(now.astimezone(PARIS).date() + timedelta(days=1))
        return publication if now < publication else next_paris_midnight(now)

    async def aclose(self) -> None:
        return None


def tempo_cache_path(state_dir: Path, kind: str) -> Path:
    return state_dir / f"tempo-cache-{kind}.json"
