"""Benchmark of the shedding policy: one evaluation for 8 channels, and a full 96-hour plan.

Not a test (machines are noisy; nothing here asserts a time). Run it standalone:

    python tests/benchmarks/policy_bench.py [--quick]

``run(quick)`` returns one dict per figure (always in ms, the median to stay under the target),
in the format every benchmark module shares: see ``tests/benchmarks/figures.py``.
"""

import sys
from datetime import UTC, datetime, timedelta

from figures import figure, milliseconds, standalone

from tui.core.config import ChannelConfig, Config, PolicyConfig, Run, ShedAt
from tui.core.forecast import PARIS, Forecast, Level, Slot
from tui.core.plan import build_plan
from tui.core.policy import RelayHistory, evaluate
from tui.core.tempo import Colour, TempoCalendar, TempoDay

START = datetime(2026, 12, 1, tzinfo=PARIS).astimezone(UTC)
# A strained winter day (low-carbon night, orange morning, red evening), four times over.
DAY = [1, 1, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 2, 3, 3, 2, 1, 1, 1]


def _forecast() -> Forecast:
    levels = DAY * 4
    return Forecast(tuple(Slot(START + timedelta(hours=h), Level(v)) for h, v in enumerate(levels)))


def _config() -> Config:
    shed = [ShedAt.ORANGE, ShedAt.RED, ShedAt.ORANGE, ShedAt.ORANGE] * 2
    return Config(
        channels=tuple(
            ChannelConfig(
                index=index,
                name=f"channel {index}",
                shed_at=shed[index],
                priority=8 - index,
                min_on=timedelta(minutes=5 * (index % 3)),
                min_off=timedelta(minutes=10 * (index % 2)),
                run=Run.LOW_CARBON if index in (0, 5) else Run.ALWAYS,
                auto_restore=index != 7,
            )
            for index in range(8)
        ),
        policy=PolicyConfig(),
    )


def _tempo_year() -> TempoCalendar:
    """A whole season as a Tempo file could hold it: red and white days among blue ones."""
    first = START.astimezone(PARIS).date() - timedelta(days=180)
    cycle = [Colour.BLUE, Colour.WHITE, Colour.RED, Colour.BLUE, Colour.BLUE, Colour.WHITE]
    return TempoCalendar(
        tuple(TempoDay(first + timedelta(days=n), cycle[n % len(cycle)]) for n in range(366))
    )


def _with_tempo(config: Config) -> Config:
    lists = [(Colour.RED,), (), (Colour.RED, Colour.WHITE), ()] * 2
    return Config(
        channels=tuple(
            ChannelConfig(**{**vars(channel), "shed_tempo": lists[channel.index]})
            for channel in config.channels
        ),
        policy=config.policy,
    )


def run(quick: bool) -> list[dict[str, object]]:
    forecast = _forecast()
    config = _config()
    # Mid-restore after the red evening: every rule and the stagger have work to do.
    now = START + timedelta(hours=20, seconds=30)
    history = {
        index: RelayHistory(
            powered=index % 2 == 0,
            last_on=now - timedelta(minutes=40 + index),
            last_off=now - timedelta(minutes=index + 1),
            switches=tuple(now - timedelta(minutes=index + k) for k in range(20, 0, -1)),
        )
        for index in range(8)
    }
    one = milliseconds(lambda: evaluate(now, forecast, config, {}, history), 200 if quick else 2000)
    end = START + timedelta(hours=96)
    plan = milliseconds(lambda: build_plan(forecast, config, START, end), 5 if quick else 30)
    tempo, tempo_config = _tempo_year(), _with_tempo(config)
    tempo_plan = milliseconds(
        lambda: build_plan(forecast, tempo_config, START, end, tempo=tempo), 5 if quick else 30
    )
    return [
        figure("one policy evaluation, 8 channels", one, "ms", 1.0, digits=4),
        figure("full 96-hour plan, 8 channels", plan, "ms", 20.0, digits=4),
        figure(
            "96-hour plan, Tempo on 4 channels, 366-day calendar", tempo_plan, "ms", 50.0, digits=4
        ),
    ]


if __name__ == "__main__":
    sys.exit(standalone(run, sys.argv[1:]))
