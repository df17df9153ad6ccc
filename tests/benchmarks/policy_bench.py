"""Benchmark of the shedding policy: one evaluation for 8 channels, and a full 96-hour plan.

Not a test (machines are noisy; nothing here asserts a time). Run it standalone:

    python tests/benchmarks/policy_bench.py [--quick]

``run(quick)`` returns one dict per figure, in the format every benchmark module shares (see
``tests/benchmarks/run.py``): ``name``, ``median``, ``p99``, ``spread`` (the interquartile range),
``unit`` (here always ms), ``target`` (what the median should stay under), ``better`` and
``repeats``.
"""

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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


def _measure(action: Callable[[], object], repeats: int) -> list[float]:
    action()  # warm caches and imports
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        action()
        times.append((time.perf_counter() - begin) * 1000)
    return times


def _figure(name: str, times: list[float], target_ms: float) -> dict[str, object]:
    ordered = sorted(times)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [ordered[0]] * 3
    return {
        "name": name,
        "median": round(statistics.median(ordered), 4),
        "p99": round(ordered[round(0.99 * (len(ordered) - 1))], 4),
        "spread": round(quartiles[2] - quartiles[0], 4),
        "unit": "ms",
        "target": target_ms,
        "better": "lower",
        "repeats": len(ordered),
    }


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
    one = _measure(lambda: evaluate(now, forecast, config, {}, history), 200 if quick else 2000)
    end = START + timedelta(hours=96)
    plan = _measure(lambda: build_plan(forecast, config, START, end), 5 if quick else 30)
    return [
        _figure("one policy evaluation, 8 channels", one, target_ms=1.0),
        _figure("full 96-hour plan, 8 channels", plan, target_ms=50.0),
    ]


def main(argv: list[str]) -> int:
    for figure in run(quick="--quick" in argv):
        print(
            f"{figure['name']:<36} median {figure['median']:>9.3f} ms  "
            f"spread {figure['spread']:>8.3f} ms  target < {figure['target']} ms  "
            f"({figure['repeats']} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
