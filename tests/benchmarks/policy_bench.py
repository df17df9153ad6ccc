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
    return [
        figure("one policy evaluation, 8 channels", one, "ms", 1.0, digits=4),
        figure("full 96-hour plan, 8 channels", plan, "ms", 50.0, digits=4),
    ]


if __name__ == "__main__":
    sys.exit(standalone(run, sys.argv[1:]))
