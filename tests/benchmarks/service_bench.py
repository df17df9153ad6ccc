"""Benchmark of the service: force over the socket, headless idle, start-up, a day of RTE calls.

Not a test (machines are noisy; nothing here asserts a time). Run it standalone:

    python tests/benchmarks/service_bench.py [--quick]

Figures:
- ``force`` on the control socket to board transition: a controller, its control socket and a
  ``RemoteController`` in one event loop on a virtual clock (advanced between forces so that no
  relay nears its 20 switches per minute), a simulated board that stamps each transition on the
  system's performance counter; from sending the request to the relay moving;
- the headless service (``delestage --headless`` on the demo configuration, in a subprocess)
  left alone for 60 s (10 s with ``--quick``): CPU time used, as a share of one core, per 10 s
  window (2 s with ``--quick``), and its peak resident memory (VmHWM);
- ``delestage --help``: wall time of the whole process;
- one simulated day of service on a virtual clock against the fake RTE: how many signals calls
  it makes, and the shortest gap between two of them (RTE's quota: one per 900 s).

``run(quick)`` returns one dict per figure, in the format every benchmark module shares: see
``tests/benchmarks/figures.py``.
"""

import asyncio
import itertools
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from figures import (
    REPO,
    TIMEOUT,
    cpu_seconds,
    delestage_command,
    demo_config,
    figure,
    headless,
    milliseconds,
    scratch_dir,
    standalone,
)

# The fake RTE and the service test helpers live beside the tests.
sys.path.insert(0, str(REPO / "tests"))

from support.fake_rte import FakeRte
from support.service import at, make_config, make_controller

from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.adapters.sources.demo import DemoSource
from tui.compose.service import serve
from tui.core.config import Config, config_from_dict
from tui.service.control_socket import socket_path
from tui.service.controller import Controller
from tui.service.remote import RemoteController, connect

SCRATCH = "dlsvc-"  # the prefix of each part's scratch directory under /tmp
DAY = at("2026-12-02T00:00:00+01:00")  # a Wednesday: the demo week is strained on weekdays
CHANNELS = 8
# Virtual seconds between two forces: a relay is forced every CHANNELS steps, so each one
# switches at most 60 / (STEP * CHANNELS) times a minute, far from the 1017's 20.
STEP = 5.0


# -- force on the socket to board transition ---------------------------------------------------


class TimedBoard(SimulatedBoard):
    """A simulated board that also notes, on the performance counter, when each relay moved."""

    def __init__(self, channels: list[int], clock: ManualClock) -> None:
        super().__init__(channels, clock)
        self.moved: list[tuple[float, int, bool]] = []

    def set_relay(self, channel: int, energised: bool) -> None:
        before = self.state(channel)
        super().set_relay(channel, energised)
        if self.attached and before != energised:
            self.moved.append((time.perf_counter(), channel, energised))


def _force_config(state_dir: Path) -> Config:
    """Eight plain channels, never shed, no equipment-protection delay: only the rate limit."""
    document: dict[str, Any] = {
        "ecowatt": {"source": "demo"},
        "board": {"kind": "simulated"},
        "policy": {"restore_gap": "0s", "min_switch_gap": "0s"},
        "service": {"state_dir": str(state_dir)},
        "channel": [
            {"index": index, "name": f"relay {index}", "shed_at": "never", "priority": index + 1}
            for index in range(CHANNELS)
        ],
    }
    return config_from_dict(document, path="bench.toml")


async def _forces(state_dir: Path, samples: int) -> tuple[list[float], int]:
    clock = ManualClock(DAY + timedelta(hours=12))
    config = _force_config(state_dir)
    board = TimedBoard(list(range(CHANNELS)), clock)
    controller = Controller(
        config, clock=clock, board=board, source=DemoSource(), state_dir=state_dir
    )
    service = asyncio.create_task(serve(controller))
    try:
        deadline = time.monotonic() + TIMEOUT
        while not socket_path(state_dir).exists():
            if service.done() or time.monotonic() > deadline:
                raise RuntimeError("the control socket never appeared")
            await asyncio.sleep(0.01)
        remote = await connect(state_dir)
        assert isinstance(remote, RemoteController), "nothing answers on the control socket"
        warmup = 16
        times = []
        for sample in range(-warmup, samples):
            clock.advance(STEP)
            channel = sample % CHANNELS
            powered = not board.state(channel)  # wiring "no": energised = powered
            seen = len(board.moved)
            sent = time.perf_counter()
            await remote.force(channel, powered, duration=timedelta(hours=2))
            moved = [stamp for stamp, ch, on in board.moved[seen:] if ch == channel]
            if not moved:
                raise RuntimeError(f"relay {channel} did not move on force {powered}")
            if sample >= 0:
                times.append((moved[0] - sent) * 1000)
        return times, len(board.rate_violations())
    finally:
        controller.stop()
        await asyncio.wait_for(service, TIMEOUT)


def force_to_transition(samples: int) -> dict[str, Any]:
    with scratch_dir(SCRATCH) as state_dir:
        times, violations = asyncio.run(_forces(state_dir / "state", samples))
    if violations:
        raise RuntimeError(f"the benchmark drove a relay over its rate limit {violations} times")
    # No target of its own: it is the service's share of the 15 ms attached key-to-relay budget.
    return figure("force on the socket to board transition", times, "ms", None)


# -- the headless service left alone -----------------------------------------------------------


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {key}")


def headless_idle(seconds: float, windows: int) -> list[dict[str, Any]]:
    """The headless service on the demo configuration, left alone: CPU per window, peak RSS."""
    with scratch_dir(SCRATCH) as directory:
        config = demo_config(directory, directory / "state")
        with headless(config, socket_path(directory / "state")) as process:
            time.sleep(1.0)  # start-up is measured elsewhere
            shares = []
            wall, cpu = time.monotonic(), cpu_seconds(process.pid)
            for _ in range(windows):
                time.sleep(seconds / windows)
                now, used = time.monotonic(), cpu_seconds(process.pid)
                shares.append(100 * (used - cpu) / (now - wall))
                wall, cpu = now, used
            if process.poll() is not None:
                raise RuntimeError("the headless service exited while idle")
            peak = _status_kib(process.pid, "VmHWM") / 1024
    label = f"{seconds:.0f} s"
    return [
        figure(f"headless idle CPU ({label}, % of a core)", shares, "%", 0.5),
        figure("headless peak resident memory", [peak], "MB", 60.0, digits=1),
    ]


# -- start-up ----------------------------------------------------------------------------------


def help_time(runs: int) -> dict[str, Any]:
    command = [*delestage_command(), "--help"]
    # The first run, not timed, warms the file cache.
    times = milliseconds(lambda: subprocess.run(command, capture_output=True, check=True), runs)
    return figure("`delestage --help`", times, "ms", 60.0)


# -- a simulated day of RTE calls --------------------------------------------------------------


class TimedRte(FakeRte):
    """The fake RTE, noting the (virtual) time of every signals call."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.signals_times: list[datetime] = []

    def signals(self, authorization: str, sandbox: bool) -> tuple[int, dict[str, str], bytes]:
        self.signals_times.append(self.clock())
        return super().signals(authorization, sandbox)


async def _day(state_dir: Path, rte: TimedRte, clock: ManualClock) -> None:
    config = make_config(state_dir, source="rte", base_url=rte.url)
    controller, _board = make_controller(config, clock)
    await asyncio.wait_for(controller.run(until=DAY + timedelta(days=1)), 120)


def rte_day() -> list[dict[str, Any]]:
    clock = ManualClock(DAY, auto_advance=True)
    with scratch_dir(SCRATCH) as directory, TimedRte(clock=clock.now) as rte:
        asyncio.run(_day(directory / "state", rte, clock))
        times = list(rte.signals_times)
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    calls = figure("RTE signals calls in one simulated day", [len(times)], "calls", None)
    shortest = figure(
        "shortest gap between two RTE calls",
        [min(gaps) if gaps else 86400.0],
        "s",
        900.0,
        better="higher",
    )
    return [calls, shortest]


def run(quick: bool) -> list[dict[str, Any]]:
    idle = 10.0 if quick else 60.0
    return [
        force_to_transition(50 if quick else 200),
        *headless_idle(idle, windows=2 if quick else 6),
        help_time(5 if quick else 10),
        *rte_day(),
    ]


if __name__ == "__main__":
    sys.exit(standalone(run, sys.argv[1:]))
