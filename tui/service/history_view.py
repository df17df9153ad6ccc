"""History as front ends see it: per-day rows (``delestage history``) and the channels-over-time
view (the UI), from the history store and, for what is still to come, the live plan.

``HistoryView`` is plain data that crosses the control socket as JSON, like the snapshot.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tui.adapters.stores.history import (
    HistoryStore,
    StoreDamaged,
    StoreUnavailable,
    store_path,
)
from tui.core.config import Config
from tui.core.forecast import PARIS, Forecast, paris_iso
from tui.core.history import (
    HOUR_SECONDS,
    ChannelInfo,
    DayRow,
    Segment,
    State,
    Totals,
    channel_segments,
    day_edges,
    day_rows,
    planned_segments,
    totals,
    winter_start,
)
from tui.core.places import board_place
from tui.core.plan import plan_ahead
from tui.core.policy import Override, RelayHistory
from tui.core.power import Power
from tui.core.tempo import TempoCalendar

# The longest window the view asks for at once: its reply stays a small line on the socket.
MAX_VIEW_DAYS = 31


def channel_infos(config: Config) -> list[ChannelInfo]:
    return [
        ChannelInfo(
            channel.index,
            channel.name,
            channel.wiring,
            channel.power,
            board_place(channel.board, channel.relay_on_board),
        )
        for channel in config.channels
    ]


def recorded_rows(
    store: HistoryStore, channels: list[ChannelInfo], first: date, last: date, now: datetime
) -> list[DayRow]:
    """Day rows from ``first`` to ``last`` as recorded (nothing after ``now`` counts); their
    energy with each channel's power as the meter measured it, where it did."""
    edges = day_edges(first, last)
    start, end = edges[0], min(edges[-1], now.timestamp())
    measured = store.measured(end, [channel.index for channel in channels])
    marks = store.marks(start, end, [channel.index for channel in channels])
    segments = {channel.index: channel_segments(marks, channel, start, end) for channel in channels}
    switches = {
        channel.index: [m.t for m in marks if m.kind == "relay" and m.channel == channel.index]
        for channel in channels
    }
    levels = store.levels(start, end)
    return day_rows(channels, segments, switches, levels, first, last, measured)


# --- the channels-over-time view ----------------------------------------------------------------


@dataclass(frozen=True)
class ChannelHistory:
    index: int
    name: str
    power: Power | None
    segments: tuple[Segment, ...]  # recorded before now, planned after
    today: Totals
    winter: Totals
    place: str = ""  # several boards: where it is wired, ``garage/3`` (tui/core/places.py)


@dataclass(frozen=True)
class HistoryView:
    now: datetime
    start: datetime
    end: datetime
    winter_from: date
    levels: Mapping[float, int]  # hour start (POSIX seconds) -> level, recorded then forecast
    channels: tuple[ChannelHistory, ...]
    problem: str = ""  # why the record is missing, "" when fine

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": paris_iso(self.now),
            "start": paris_iso(self.start),
            "end": paris_iso(self.end),
            "winter_from": self.winter_from.isoformat(),
            "levels": [[hour, level] for hour, level in sorted(self.levels.items())],
            "problem": self.problem,
            "channels": [
                {
                    "index": channel.index,
                    "name": channel.name,
                    "watts": channel.power.watts if channel.power else None,
                    "segments": [
                        [s.start, s.end, s.state.value, s.reason, s.forced, s.planned, s.rule]
                        for s in channel.segments
                    ],
                    "today": channel.today.to_dict(),
                    "winter": channel.winter.to_dict(),
                    **({"place": channel.place} if channel.place else {}),
                }
                for channel in self.channels
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "HistoryView":
        return cls(
            now=datetime.fromisoformat(data["now"]),
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            winter_from=date.fromisoformat(data["winter_from"]),
            levels={float(hour): int(level) for hour, level in data["levels"]},
            problem=str(data.get("problem", "")),
            channels=tuple(
                ChannelHistory(
                    index=item["index"],
                    name=item["name"],
                    power=Power(item["watts"]) if item.get("watts") else None,
                    segments=tuple(_segment(*segment) for segment in item["segments"]),
                    today=Totals.from_dict(item["today"]),
                    winter=Totals.from_dict(item["winter"]),
                    place=str(item.get("place", "")),
                )
                for item in data["channels"]
            ),
        )


def _segment(
    start: float,
    end: float,
    state: str,
    reason: str,
    forced: bool,
    planned: bool,
    rule: str = "",  # absent from an older service's reply
) -> Segment:
    return Segment(start, end, State(state), reason, forced, planned, rule)


def build_view(
    state_dir: Path,
    config: Config,
    now: datetime,
    start: datetime,
    end: datetime,
    forecast: Forecast | None,
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
    tempo: TempoCalendar | None,
) -> HistoryView:
    """Each channel over [start, end): recorded up to ``now``, planned from the live state after
    (``plan_ahead``, the plan of `delestage plan` and of the main screen's Next, Tempo
    included), with today's and the winter's totals."""
    channels = channel_infos(config)
    today = now.astimezone(PARIS).date()
    winter_from = winter_start(today)
    t_now, t_start, t_end = now.timestamp(), start.timestamp(), end.timestamp()
    recorded: dict[int, list[Segment]] = {channel.index: [] for channel in channels}
    levels: dict[float, int] = {}
    problem = ""
    today_totals: dict[int, Totals] = {}
    winter_totals: dict[int, Totals] = {}
    try:
        store = HistoryStore(store_path(state_dir), readonly=True)
    except (StoreDamaged, StoreUnavailable, OSError) as error:
        store = None
        problem = f"no history yet ({error})"
    rows = []
    if store is not None:
        try:
            past_end = min(t_now, t_end)
            if past_end > t_start:
                marks = store.marks(t_start, past_end, [channel.index for channel in channels])
                for channel in channels:
                    recorded[channel.index] = channel_segments(marks, channel, t_start, past_end)
                levels.update(store.levels(t_start, past_end))
            rows = recorded_rows(store, channels, winter_from, today, now)
        except (StoreDamaged, StoreUnavailable) as error:  # busy past the wait: said, not fatal
            problem = f"history not readable now ({error})"
        finally:
            store.close()
        for channel in channels:
            mine = [row for row in rows if row.channel == channel.index]
            winter_totals[channel.index] = totals(mine)
            today_totals[channel.index] = totals(row for row in mine if row.day == today)

    planned = _planned(config, forecast, tempo, now, end, overrides, history)
    if forecast is not None:
        current_hour = math.floor(t_now / HOUR_SECONDS) * HOUR_SECONDS
        for slot in forecast.slots:
            hour = slot.start.timestamp()
            if hour >= current_hour and t_start - HOUR_SECONDS < hour < t_end:
                levels[hour] = int(slot.level)
    return HistoryView(
        now=now,
        start=start,
        end=end,
        winter_from=winter_from,
        levels=levels,
        problem=problem,
        channels=tuple(
            ChannelHistory(
                channel.index,
                channel.name,
                channel.power,
                tuple(recorded[channel.index] + planned.get(channel.index, [])),
                today_totals.get(channel.index, Totals()),
                winter_totals.get(channel.index, Totals()),
                channel.place,
            )
            for channel in channels
        ),
    )


def _planned(
    config: Config,
    forecast: Forecast | None,
    tempo: TempoCalendar | None,
    now: datetime,
    end: datetime,
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
) -> dict[int, list[Segment]]:
    """The future as ``plan`` sees it from the live state, as far as the forecast reaches."""
    if forecast is None or forecast.until is None:
        return {}
    until = min(end, forecast.until)
    if until <= now:
        return {}
    plan = plan_ahead(
        forecast=forecast,
        tempo=tempo,
        config=config,
        overrides=overrides,
        history=history,
        start=now,
        end=until,
    )
    out: dict[int, list[Segment]] = {}
    for channel in config.channels:
        override = overrides.get(channel.index)
        forced_until = None
        if override is not None and override.active(now):
            forced_until = override.until.timestamp() if override.until else math.inf
        out[channel.index] = planned_segments(
            now.timestamp(),
            until.timestamp(),
            plan.initial.get(channel.index),
            plan.initial_reasons.get(channel.index, ""),
            [
                (change.at.timestamp(), change.powered, change.reason)
                for change in plan.changes
                if change.channel == channel.index
            ],
            forced_until,
        )
    return out


def view_window(now: datetime, days_back: int, days_ahead: int) -> tuple[datetime, datetime]:
    """From the Paris midnight ``days_back`` days before today to the one ``days_ahead`` after."""
    today = now.astimezone(PARIS).date()
    first = today - timedelta(days=days_back)
    last = today + timedelta(days=days_ahead)
    edges = day_edges(first, last)
    return datetime.fromtimestamp(edges[0], UTC), datetime.fromtimestamp(edges[-1], UTC)
