"""The `demo` sources, without any network: a synthetic strained winter week around today
(``DemoSource``), and a red day today with a white day tomorrow (``DemoTempoSource``)."""

from datetime import datetime, timedelta

from tui.adapters.sources.base import RefreshResult
from tui.core.demo_forecast import demo_forecast
from tui.core.demo_tempo import demo_tempo
from tui.core.forecast import PARIS, Forecast, next_paris_midnight
from tui.core.tempo import TempoCalendar, published_at


class DemoSource:
    kind = "demo"

    def __repr__(self) -> str:
        return "DemoSource()"

    def load_cached(self, now: datetime) -> Forecast | None:
        return demo_forecast(now.astimezone(PARIS).date(), fetched=now)

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[Forecast]:
        return RefreshResult(data=demo_forecast(now.astimezone(PARIS).date(), fetched=now))

    def next_refresh(self, now: datetime) -> datetime:
        # The forecast is a function of the Paris date: it only changes at midnight.
        return next_paris_midnight(now)

    async def aclose(self) -> None:
        return None


class DemoTempoSource:
    """A red day today and a white day tomorrow, published at 10:30 (``core.demo_tempo``)."""

    kind = "demo"

    def __repr__(self) -> str:
        return "DemoTempoSource()"

    def load_cached(self, now: datetime) -> TempoCalendar:
        return demo_tempo(now, fetched=now)

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[TempoCalendar]:
        return RefreshResult(data=demo_tempo(now, fetched=now))

    def next_refresh(self, now: datetime) -> datetime:
        # The calendar changes when tomorrow is published, and at midnight.
        publication = published_at(now.astimezone(PARIS).date() + timedelta(days=1))
        return publication if now < publication else next_paris_midnight(now)

    async def aclose(self) -> None:
        return None
