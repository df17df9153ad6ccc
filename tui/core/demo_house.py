"""A simulated house for the demo meter, the power rule's property tests and the benchmark.

Pure: the house's power at an instant is its base load, the spikes of unswitched appliances
(a kettle, an oven, cooking) and each powered channel's ``power``. Spikes come from a seeded
generator, so the same day always draws the same load.
"""

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.config import Config
from tui.core.forecast import PARIS

DEMO_CHANNEL_VA = 1000  # a demo channel without a configured `power` draws this much
BASE_VA = 500


@dataclass(frozen=True)
class Spike:
    start: datetime
    length: timedelta
    power_va: int
    name: str

    def on(self, now: datetime) -> bool:
        return self.start <= now < self.start + self.length


def demo_spikes(day: datetime, seed: int = 0) -> tuple[Spike, ...]:
    """One Paris day of unswitched appliances from ``day``'s midnight: kettles in the morning
    and at tea time, an oven and a cooktop at dinner, a few short random ones."""
    start = day.astimezone(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(f"{start.date().isoformat()}:{seed}")
    spikes = [
        Spike(
            start + timedelta(hours=7, minutes=rng.randint(0, 40)),
            timedelta(minutes=3),
            2200,
            "kettle",
        ),
        Spike(
            start + timedelta(hours=16, minutes=rng.randint(0, 60)),
            timedelta(minutes=3),
            2200,
            "kettle",
        ),
        Spike(
            start + timedelta(hours=12, minutes=rng.randint(0, 20)),
            timedelta(minutes=25),
            3000,
            "cooktop",
        ),
        Spike(
            start + timedelta(hours=18, minutes=rng.randint(30, 60)),
            timedelta(minutes=50),
            2500,
            "oven",
        ),
        Spike(
            start + timedelta(hours=19, minutes=rng.randint(0, 30)),
            timedelta(minutes=30),
            3000,
            "cooktop",
        ),
    ]
    for _ in range(6):
        minute = rng.randint(0, 24 * 60 - 10)
        spikes.append(
            Spike(
                start + timedelta(minutes=minute),
                timedelta(minutes=rng.randint(1, 6)),
                rng.choice([1200, 1800, 2000]),
                "appliance",
            )
        )
    return tuple(sorted(spikes, key=lambda spike: spike.start))


def house_power(
    now: datetime,
    config: Config,
    powered: Mapping[int, bool | None],
    spikes: Iterable[Spike],
    base_va: int = BASE_VA,
) -> int:
    """The apparent power the meter sees at ``now`` (VA; a channel's W read as VA)."""
    total = base_va + sum(spike.power_va for spike in spikes if spike.on(now))
    for channel in config.channels:
        if powered.get(channel.index):
            total += round(channel.power.watts) if channel.power else DEMO_CHANNEL_VA
    return total
