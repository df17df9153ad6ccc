"""Builders for policy tests (shared by the policy, plan, Tempo-policy and truth-view tests).

Times are written in Paris wall-clock time and turned into UTC instants by ``at``; forecasts
are strings of one level a character (``levels``).
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tui.core.config import ChannelConfig, Config, PolicyConfig, ShedAt
from tui.core.forecast import PARIS, Forecast, Level, Slot
from tui.core.pilot import Order
from tui.core.pilot_orders import orders
from tui.core.policy import Decision, Override, RelayHistory, evaluate

DAY1 = datetime(2026, 12, 1, tzinfo=PARIS)


def at(hhmm: str, day: int = 1, month: int = 12, year: int = 2026) -> datetime:
    """A Paris wall-clock time ("07:45" or "07:45:03") as a UTC instant."""
    parts = [int(part) for part in hhmm.split(":")]
    hour, minute, second = [*parts, 0, 0][:3]
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS).astimezone(UTC)


def levels(text: str, start: datetime = DAY1) -> Forecast:
    """One character an hour from ``start``: a level 0-3, or "." for an hour RTE left out."""
    first = start.astimezone(UTC)
    slots = [
        Slot(first + timedelta(hours=hour), Level(int(char)))
        for hour, char in enumerate(text.replace(" ", ""))
        if char != "."
    ]
    return Forecast(tuple(slots))


# 1 Dec 2026: green, orange 08:00-13:00, green, red 18:00-20:00, green until midnight.
DAY = levels("11111111" + "22222" + "11111" + "33" + "1111")
# The same with low-carbon 02:00-05:00, no data 21:00-22:00 and low-carbon 22:00-24:00.
LOW = levels("11000111" + "22222" + "11111" + "33" + "1.00")


def orders_each_hour(
    config: Config, forecast: Forecast, index: int, start: datetime, hours: int
) -> list[Order]:
    """A two-relay channel's order at ``start`` and each hour after, every channel powered at
    first and then as the rules left it."""
    history = {channel.index: RelayHistory(powered=True) for channel in config.channels}
    seen = []
    for hour in range(hours):
        now = start + timedelta(hours=hour)
        decisions = evaluate(now, forecast, config, {}, history).decisions
        seen.append(orders(config, decisions, forecast, now)[index])
        history = {i: RelayHistory(powered=d.powered) for i, d in decisions.items()}
    return seen


def channel(index: int = 0, **fields: object) -> ChannelConfig:
    values: dict[str, object] = {"name": f"ch{index}", "shed_at": ShedAt.ORANGE}
    values.update(fields)
    return ChannelConfig(index=index, **values)  # type: ignore[arg-type]


BASE_POLICY = PolicyConfig(
    lead=timedelta(minutes=15),
    restore_gap=timedelta(seconds=60),
    min_switch_gap=timedelta(seconds=5),
)


def config(*channels: ChannelConfig, **policy: object) -> Config:
    return Config(
        channels=channels or (channel(),),
        policy=replace(BASE_POLICY, **policy),  # type: ignore[arg-type]
    )


def on_since(when: datetime) -> RelayHistory:
    return RelayHistory(powered=True, last_on=when, switches=(when,))


def off_since(when: datetime) -> RelayHistory:
    return RelayHistory(powered=False, last_off=when, switches=(when,))


POWERED = RelayHistory(powered=True)
CUT = RelayHistory(powered=False)
MIN = timedelta(minutes=1)


def decide(
    now: datetime,
    forecast: Forecast | None,
    cfg: Config,
    history: Mapping[int, RelayHistory] | None = None,
    overrides: Mapping[int, Override] | None = None,
) -> dict[int, Decision]:
    return dict(evaluate(now, forecast, cfg, overrides or {}, history or {}).decisions)
