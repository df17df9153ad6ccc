"""The `demo` source: a synthetic strained winter week around today, without any network."""

from datetime import datetime

from tui.adapters.sources.base import RefreshResult
from tui.core.demo_forecast import demo_forecast
from tui.core.forecast import PARIS, Forecast, next_paris_midnight


class DemoSource:
    kind = "demo"

    def __repr__(self) -> str:
        return "DemoSource()"

    def load_cached(self, now: datetime) -> Forecast | None:
        return demo_forecast(now.astimezone(PARIS).date(), fetched=now)

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult:
        return RefreshResult(data=demo_forecast(now.astimezone(PARIS).date(), fetched=now))

    def next_refresh(self, now: datetime) -> datetime:
        # The forecast is a function of the Paris date: it only changes at midnight.
        return next_paris_midnight(now)

    async def aclose(self) -> None:
        return None
