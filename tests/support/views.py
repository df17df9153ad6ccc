"""Hand-built view models for the UI's panes (what a snapshot carries), at a fixed instant."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from tui.core.forecast import paris_midnight
from tui.frontends.app.timeline import day_hours
from tui.service.snapshot import ChannelView, ForecastView, SlotView

NOW = datetime(2026, 12, 1, 13, 7, tzinfo=UTC)  # 14:07 in Paris


def day_slots(day: date, levels: dict[int, int], default: int = 1) -> tuple[SlotView, ...]:
    return tuple(
        SlotView(start, levels.get(hour, default)) for hour, start in enumerate(day_hours(day))
    )


def forecast_view(**changes: object) -> ForecastView:
    base = ForecastView(
        source="demo",
        slots=day_slots(date(2026, 12, 1), {14: 3, 15: 3, 18: 2}),
        until=paris_midnight(date(2026, 12, 2)),
        fetched=NOW - timedelta(minutes=5),
        generated=NOW - timedelta(hours=1),
        next_refresh=NOW + timedelta(minutes=10),
        covers_now=True,
        next_strained="red 14:00-16:00 today",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def channel(index: int = 3, **changes: object) -> ChannelView:
    base = ChannelView(
        index=index,
        name="Sèche-linge",
        wiring="no",
        powered=True,
        wanted=True,
        mode="auto",
        until=None,
        rule="normal",
        reason="green, no strain until 18:00",
    )
    return replace(base, **changes)  # type: ignore[arg-type]
