"""Benchmark of the power meter and the power rule.

Not a test (machines are noisy; nothing here asserts a time). Run it standalone:

    python tests/benchmarks/meter_bench.py [--quick]

- **frame end to relay command**: a service in-process on the real clock reads a Linky's TIC
  at 9600 baud with real pyserial from a pseudo-terminal (the spec frame writer of
  tests/support/tic_line.py, paced at the baud rate); a frame carries an overrun (STGE bit 7,
  11 kVA over 9 kVA, ``on_overrun = "cut"``; 1 kVA before and after); measured from the moment
  the writer has written that frame's ETX to the moment the controller calls the board's
  ``set_relay``. Then the load drops, the channel is restored (restore_after 0) and the cycle
  runs again.
- **CPU** of an in-process service (with the demo forecast) reading that line continuously.
- **a simulated day at 9 kVA** (tests/support/house.py, a virtual clock, one second a step):
  a 7.4 kW car charger in the evening and night, a 3 kW water heater at night and noon, two
  2 kW heating circuits in the morning and evening, cooking peaks (kettles, an oven, cooktops)
  and a base load. Meter trips with no délestage, with a plain threshold délesteur (cut while
  power > limit, restore 5 min after), and with delestage (``on_overrun = "model"`` and
  ``"cut"``); minutes of cut for each.
"""

import asyncio
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from figures import REPO, figure, standalone

sys.path.insert(0, str(REPO / "tests"))

from support.house import simulate
from support.tic_line import Script, TicLine

from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import SystemClock
from tui.adapters.meter.tic import TicSource
from tui.adapters.sources.base import RefreshResult
from tui.compose.service import build_controller
from tui.core.config import (
    ChannelConfig,
    Config,
    EcowattConfig,
    PolicyConfig,
    ShedAt,
    Source,
)
from tui.core.demo_house import demo_spikes
from tui.core.forecast import PARIS
from tui.core.meter_config import MeterConfig, OnOverrun
from tui.core.power import Power
from tui.core.tic import Group
from tui.service.controller import Controller

LIMIT = 9000
DAY = datetime(2026, 12, 1, tzinfo=PARIS).astimezone(UTC)

# -- latency -------------------------------------------------------------------------------------


class TimedBoard(SimulatedBoard):
    """A simulated board that notes when each command arrives."""

    def __init__(self, channels: list[int], clock: SystemClock) -> None:
        super().__init__(channels, clock)
        self.commands: list[tuple[float, int, bool]] = []

    def set_relay(self, channel: int, energised: bool) -> None:
        self.commands.append((time.perf_counter(), channel, energised))
        super().set_relay(channel, energised)


def _latency_config(state: Path) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="Borne VE", shed_at=ShedAt.RED, power=Power(7400)),),
        policy=PolicyConfig(restore_gap=timedelta(0), min_switch_gap=timedelta(0)),
        ecowatt=EcowattConfig(source=Source.DEMO),
        meter=MeterConfig(
            port="unused",
            limit=LIMIT,
            restore_after=timedelta(0),
            restore_test=timedelta(0),
            on_overrun=OnOverrun.CUT,
        ),
        path=str(state / "bench.toml"),
    )


async def _latency(cycles: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="meterbench-") as folder:
        state = Path(folder)
        config = _latency_config(state)
        config = replace(config, service=replace(config.service, state_dir=str(state)))
        clock = SystemClock()
        board = TimedBoard([0], clock)
        script = Script(power=1000)
        line = TicLine(script, pace=True)
        meter = TicSource(line.path, clock=clock, stale_after=timedelta(seconds=10), baud=9600)
        controller = Controller(
            config,
            clock=clock,
            board=board,
            source=NoForecast(),
            state_dir=state,
            meter_source=meter,
        )
        etx: dict[int, float] = {}
        overrun_frames: set[int] = set()

        def on_etx(number: int) -> None:
            etx[number] = time.perf_counter()

        line.on_etx = on_etx
        task = asyncio.create_task(controller.run())
        await asyncio.wait_for(controller.started.wait(), 10)
        line.start()
        results: list[float] = []
        try:
            for _ in range(cycles):
                await _until(lambda: controller.history[0].powered is True, 20)
                # A few plain frames; and the 1017's 20 switches a minute, two a cycle.
                await asyncio.sleep(5.0)
                before = len(board.commands)
                script.power = 11000
                script.extra = lambda n: [Group("STGE", f"{(1 << 17) | (1 << 7):08X}")]
                await _until(lambda count=before: len(board.commands) > count, 10)
                at, _, _ = board.commands[before]
                script.power = 1000
                script.extra = lambda n: []
                # The frame that carried the overrun: the last whose ETX came before the command.
                sent = [n for n, t in etx.items() if t <= at]
                overrun_frames.add(max(sent))
                results.append((at - etx[max(sent)]) * 1000)
        finally:
            controller.stop()
            await asyncio.wait_for(task, 10)
            line.close_writer()
        return results


class NoForecast:
    """No forecast at all: every channel on the fallback, powered (only the meter cuts)."""

    kind = "file"

    def load_cached(self, now: datetime) -> None:
        return None

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[Any]:
        return RefreshResult()

    def next_refresh(self, now: datetime) -> datetime:
        return now + timedelta(days=1)

    async def aclose(self) -> None:
        pass


async def _cpu(seconds: float) -> float:
    """% of a core used by an in-process service (the demo forecast, so each frame's snapshot
    carries a plan) reading a 9600-baud TIC: process CPU time over wall time, the frame
    writer's thread included (an upper bound for the service alone)."""
    with tempfile.TemporaryDirectory(prefix="meterbench-") as folder:
        state = Path(folder)
        config = _latency_config(state)
        config = replace(
            config,
            ecowatt=EcowattConfig(source=Source.DEMO),
            service=replace(config.service, state_dir=str(state)),
        )
        clock = SystemClock()
        line = TicLine(Script(power=3000), pace=True)
        meter = TicSource(line.path, clock=clock, stale_after=timedelta(seconds=10), baud=9600)
        controller = build_controller(
            config, clock, {}, board=TimedBoard([0], clock), meter_source=meter
        )
        task = asyncio.create_task(controller.run())
        await asyncio.wait_for(controller.started.wait(), 10)
        line.start()
        await asyncio.sleep(3)  # settled: the first frames, the first plan
        frames, cpu, wall = line.frames, time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        frames = line.frames - frames
        controller.stop()
        await asyncio.wait_for(task, 10)
        line.close_writer()
        if frames < seconds / 2:
            raise RuntimeError(f"only {frames} frames in {seconds:g} s")
        return cpu / wall * 100


async def _until(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark's service did not answer")
        await asyncio.sleep(0.002)


# -- a simulated day -----------------------------------------------------------------------------


def _day_config(on_overrun: OnOverrun) -> Config:
    def ch(index: int, name: str, watts: int, priority: int) -> ChannelConfig:
        return ChannelConfig(
            index=index, name=name, shed_at=ShedAt.RED, priority=priority, power=Power(watts)
        )

    return Config(
        channels=(
            ch(0, "Chauffage séjour", 2000, 1),
            ch(1, "Chauffage chambres", 2000, 2),
            ch(2, "Chauffe-eau", 3000, 3),
            ch(3, "Borne VE", 7400, 4),
        ),
        meter=MeterConfig(limit=LIMIT, on_overrun=on_overrun),
    )


def _hour(now: datetime) -> float:
    local = now.astimezone(PARIS)
    return local.hour + local.minute / 60


# When each appliance draws, if its relay lets it (Paris hours).
WANTS = {
    0: lambda h: 6 <= h < 9 or 17 <= h < 23,  # heating, living room
    1: lambda h: 5.5 <= h < 8 or 19 <= h < 23.5,  # heating, bedrooms
    2: lambda h: 2 <= h < 6 or 12.5 <= h < 14,  # water heater, off-peak hours
    3: lambda h: h >= 18 or h < 7,  # car charger: home in the evening
}


def _load(seconds: int) -> Any:
    spikes = demo_spikes(DAY)
    powers = {0: 2000, 1: 2000, 2: 3000, 3: 7400}

    def load(now: datetime, powered: dict[int, bool]) -> int:
        hour = _hour(now)
        total = 500 + sum(s.power_va for s in spikes if s.on(now))
        return total + sum(w for i, w in powers.items() if powered[i] and WANTS[i](hour))

    return load


def _day(seconds: int) -> list[dict[str, Any]]:
    load = _load(seconds)
    out: list[dict[str, Any]] = []
    runs = {
        "none": simulate(_day_config(OnOverrun.MODEL), load, DAY, seconds, strategy="none"),
        "threshold": simulate(
            _day_config(OnOverrun.MODEL), load, DAY, seconds, strategy="threshold"
        ),
        "delestage (on_overrun = model)": simulate(
            _day_config(OnOverrun.MODEL), load, DAY, seconds
        ),
        "delestage (on_overrun = cut)": simulate(_day_config(OnOverrun.CUT), load, DAY, seconds),
    }
    hours = seconds / 3600
    for name, run in runs.items():
        out.append(
            figure(
                f"meter trips in {hours:g} h at 9 kVA, {name}",
                [len(run.trips)],
                "trips",
                1 if name.startswith("delestage") else None,
                digits=0,
            )
        )
    half = runs["threshold"].cut_seconds / 60 / 2  # the target: half the threshold's minutes
    for name, run in runs.items():
        if name == "none":
            continue
        out.append(
            figure(
                f"relay switches in {hours:g} h, {name}",
                [len(run.switches)],
                "switches",
                None,
                digits=0,
            )
        )
        out.append(
            figure(
                f"minutes cut for power in {hours:g} h, {name}",
                [run.cut_seconds / 60],
                "min",
                half if name == "delestage (on_overrun = model)" else None,
                digits=1,
            )
        )
    return out


def run(quick: bool) -> list[dict[str, Any]]:
    latencies = asyncio.run(_latency(5 if quick else 20))
    figures = [figure("TIC frame end (ETX, 9600 baud) to relay command", latencies, "ms", 50)]
    cpu = asyncio.run(_cpu(10 if quick else 60))
    figures.append(
        figure("CPU reading a 9600-baud TIC, in-process service (% of a core)", [cpu], "%", 2)
    )
    return figures + _day(6 * 3600 if quick else 24 * 3600)


if __name__ == "__main__":
    sys.exit(standalone(run, sys.argv[1:]))
