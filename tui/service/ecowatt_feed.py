"""The Ecowatt forecast as a feed: what its data is called and what its events say."""

from datetime import UTC, datetime

from tui.core.config import Config
from tui.core.events import ErrorEvent, ForecastEvent
from tui.core.forecast import Forecast, reach_words
from tui.core.history import encode_levels
from tui.core.i18n import _
from tui.service.feed import Emit, Said


def describe_forecast(forecast: Forecast, cached: bool) -> str:
    """``demo forecast loaded: 96 hours until Sun 29 Nov 00:00`` (``updated`` when fetched),
    in the service's language."""
    reach = reach_words(forecast.until)
    words = (
        _("{source} forecast loaded: {hours} hours{reach}")
        if cached
        else _("{source} forecast updated: {hours} hours{reach}")
    )
    return words.format(source=forecast.source or "Ecowatt", hours=len(forecast.slots), reach=reach)


class EcowattWords:
    what = "forecast"
    name = "forecast"

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def arrived(
        self,
        data: Forecast,
        previous: Forecast | None,
        now: datetime,
        *,
        ts: datetime,
        cached: bool,
        called: bool,
    ) -> Said:
        message = describe_forecast(data, cached)
        levels = encode_levels((s.start.timestamp(), int(s.level)) for s in data.slots)
        event = ForecastEvent(
            ts=ts,
            source=self.kind,
            until=data.until,
            cached=True if cached else None,
            called=None if cached else called,
            message=message,
            # So that history knows each hour's level (a digit per hour, "." unknown).
            levels_from=datetime.fromtimestamp(levels[0], UTC) if levels else None,
            levels=levels[1] if levels else None,
        )
        return Said(event, message)

    def answer_failed(self, error: str | None) -> str:
        return error or _("no new forecast")

    def boundary(self, now: datetime) -> datetime | None:
        return None  # the policy's own next decision time covers the forecast's edges


def watch_coverage(
    covered: bool | None, forecast: Forecast | None, now: datetime, config: Config, emit: Emit
) -> bool:
    """Whether a forecast covers ``now``; losing it is said once: the policy is flying blind."""
    covers = forecast is not None and forecast.level_at(now) is not None
    if not covers and covered is not False:
        fallback = config.policy.fallback.value
        emit(
            ErrorEvent(
                ts=now,
                what="forecast",
                message=f"no forecast covers now: flying blind, fallback {fallback}",
            )
        )
    return covers
