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

``run(quick)`` returns one dict per figure, in the format every benchmark module shares:
``name``, ``median``, ``p99`` (None when the figure is a single measurement), ``spread`` (the
interquartile range), ``unit``, ``target`` (None: reported, not judged), ``better`` (``"lower"``:
the median must stay under the target; ``"higher"``: it must reach it) and ``repeats``.
"""

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# The fake RTE and the service test helpers live beside the tests.
sys.path.insert(0, str(REPO / "tests"))

from fake_rte import FakeRte  # noqa: E402
from service_support import at, make_config, make_controller  # noqa: E402

from tui.adapters.boards.simulated import SimulatedBoard  # noqa: E402
from tui.adapters.clock import ManualClock  # noqa: E402
from tui.adapters.sources.demo import DemoSource  # noqa: E402
from tui.core.config import Config, config_from_dict  # noqa: E402
from tui.service.control_socket import socket_path  # noqa: E402
from tui.service.controller import Controller  # noqa: E402
from tui.service.remote import RemoteController, connect  # noqa: E402
from tui.service.runtime import serve  # noqa: E402

TIMEOUT = 30.0  # seconds; only reached when something is broken
DAY = at("2026-12-02T00:00:00+01:00")  # a Wednesday: the demo week is strained on weekdays
CHANNELS = 8
# Virtual seconds between two forces: a relay is forced every CHANNELS steps, so each one
# switches at most 60 / (STEP * CHANNELS) times a minute, far from the 1017's 20.
STEP = 5.0


def _command() -> list[str]:
    script = Path(sys.executable).parent / "delestage"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui"]


def _figure(
    name: str,
    values: list[float],
    unit: str,
    target: float | None,
    better: str = "lower",
    digits: int = 3,
) -> dict[str, Any]:
    ordered = sorted(values)
    several = len(ordered) > 1
    quartiles = statistics.quantiles(ordered, n=4) if several else [ordered[0]] * 3
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "name": name,
        "median": round(statistics.median(ordered), digits),
        "p99": round(p99, digits) if several else None,
        "spread": round(quartiles[2] - quartiles[0], digits),
        "unit": unit,
        "target": target,
        "better": better,
        "repeats": len(ordered),
    }


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    # Short, under /tmp: a Unix socket path must fit in 108 bytes.
    path = Path(tempfile.mkdtemp(prefix="dlsvc-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


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
    with _scratch() as state_dir:
        times, violations = asyncio.run(_forces(state_dir / "state", samples))
    if violations:
        raise RuntimeError(f"the benchmark drove a relay over its rate limit {violations} times")
    # No target of its own: it is the service's share of the 50 ms attached key-to-relay budget.
    return _figure("force on the socket to board transition", times, "ms", None)


# -- the headless service left alone -----------------------------------------------------------


def demo_config(directory: Path) -> Path:
    """The shipped demo configuration with its state in ``directory``."""
    text = (REPO / "delestage.toml").read_text()
    marker = '# state_dir = "/var/lib/delestage"'
    if marker not in text:
        raise RuntimeError(f"delestage.toml no longer has the line {marker!r}")
    path = directory / "delestage.toml"
    path.write_text(text.replace(marker, f'state_dir = "{directory / "state"}"'))
    return path


def _cpu_seconds(pid: int) -> float:
    # utime and stime, fields 14 and 15 of /proc/PID/stat (after the parenthesised name).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {key}")


def headless_idle(seconds: float, windows: int) -> list[dict[str, Any]]:
    with _scratch() as directory:
        config = demo_config(directory)
        process = subprocess.Popen(
            [*_command(), "--headless", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + TIMEOUT
            while not socket_path(directory / "state").exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the headless service did not start")
                time.sleep(0.02)
            time.sleep(1.0)  # start-up is measured elsewhere
            shares = []
            wall, cpu = time.monotonic(), _cpu_seconds(process.pid)
            for _ in range(windows):
                time.sleep(seconds / windows)
                now, used = time.monotonic(), _cpu_seconds(process.pid)
                shares.append(100 * (used - cpu) / (now - wall))
                wall, cpu = now, used
            if process.poll() is not None:
                raise RuntimeError("the headless service exited while idle")
            peak = _status_kib(process.pid, "VmHWM") / 1024
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    label = f"{seconds:.0f} s"
    return [
        _figure(f"headless idle CPU ({label}, % of a core)", shares, "%", 0.5),
        _figure("headless peak resident memory", [peak], "MB", 60.0, digits=1),
    ]


# -- start-up ----------------------------------------------------------------------------------


def help_time(runs: int) -> dict[str, Any]:
    command = [*_command(), "--help"]
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append((time.perf_counter() - begin) * 1000)
    return _figure("`delestage --help`", times, "ms", 150.0)


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
    with _scratch() as directory, TimedRte(clock=clock.now) as rte:
        asyncio.run(_day(directory / "state", rte, clock))
        times = list(rte.signals_times)
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    calls = _figure("RTE signals calls in one simulated day", [len(times)], "calls", None)
    shortest = _figure(
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


def main(argv: list[str]) -> int:
    for figure in run(quick="--quick" in argv):
        p99 = "" if figure["p99"] is None else f"p99 {figure['p99']:>9.3f}  "
        target = "" if figure["target"] is None else f"target {figure['target']}  "
        print(
            f"{figure['name']:<44} median {figure['median']:>9.3f} {figure['unit']:<5} {p99}"
            f"spread {figure['spread']:>8.3f}  {target}({figure['repeats']} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
