"""Shared helpers for the service tests: configurations, a controller on a virtual clock."""

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from support.fake_rte import CLIENT_ID, CLIENT_SECRET
from support.signals import body, day_entry
from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.adapters.meter.base import MeterSource
from tui.adapters.sources.base import TempoCalendarSource
from tui.compose.service import build_controller
from tui.core.config import Config, Source, TempoConfig, config_from_dict
from tui.core.tempo import Colour
from tui.service.controller import Controller

RTE_ENV = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}

CHANNELS: list[dict[str, Any]] = [
    {"index": 0, "name": "Chauffe-eau", "shed_at": "orange", "priority": 3},
    {"index": 1, "name": "Radiateurs", "shed_at": "red", "priority": 1, "wiring": "nc"},
    {"index": 2, "name": "Borne VE", "shed_at": "orange", "priority": 2, "min_off": "5m"},
    {"index": 3, "name": "Pompe", "shed_at": "orange", "priority": 4, "run": "low-carbon"},
]


def config_document(
    state_dir: Path, source: str = "demo", base_url: str | None = None, **policy: Any
) -> dict[str, Any]:
    ecowatt: dict[str, Any] = {"source": source, "timeout": "3s"}
    if base_url:
        ecowatt["base_url"] = base_url
    return {
        "ecowatt": ecowatt,
        "board": {"kind": "simulated"},
        "policy": {"restore_gap": "60s", "min_switch_gap": "5s", **policy},
        "service": {"state_dir": str(state_dir)},
        "channel": [dict(channel) for channel in CHANNELS],
    }


# A fixed forecast for services that run on the wall clock (real processes): four green days.
# Whatever the hour (and whether or not these days are today), no channel of CHANNELS but the
# low-carbon one is cut by it, so a test's forced cut is a change of relay at any time.
STEADY_DAYS = [date(2026, 12, 1) + timedelta(days=offset) for offset in range(4)]


def steady_forecast(directory: Path) -> dict[str, Any]:
    """Write the steady forecast file in ``directory``; the ``[ecowatt]`` table that reads it."""
    path = directory / "steady-forecast.json"
    path.write_text(body(*(day_entry(day, [1] * 24) for day in STEADY_DAYS)))
    return {"source": "file", "file": str(path), "timeout": "3s"}


def make_config(state_dir: Path, **options: Any) -> Config:
    return config_from_dict(config_document(state_dir, **options), path="test.toml")


def write_config(path: Path, document: dict[str, Any]) -> Path:
    path.write_bytes(tomli_w.dumps(document).encode())
    return path


def make_controller(
    config: Config,
    clock: ManualClock,
    environ: dict[str, str] | None = None,
    tempo_source: TempoCalendarSource | None = None,
    meter_source: MeterSource | None = None,
) -> tuple[Controller, SimulatedBoard]:
    """The service's own composition, on a simulated board the test drives."""
    board = SimulatedBoard(
        [relay for channel in config.channels for relay in channel.relays], clock
    )
    controller = build_controller(
        config,
        clock,
        environ or RTE_ENV,
        board=board,
        tempo_source=tempo_source,
        meter_source=meter_source,
    )
    return controller, board


def with_tempo(config: Config, base_url: str, source: str = "rte") -> Config:
    """The same configuration with [tempo] on, and shed_tempo on the first three channels."""
    lists = {0: (Colour.RED,), 1: (Colour.RED,), 2: (Colour.RED, Colour.WHITE)}
    channels = tuple(
        replace(channel, shed_tempo=lists.get(channel.index, ())) for channel in config.channels
    )
    tempo = TempoConfig(source=Source(source), base_url=base_url)
    return replace(config, channels=channels, tempo=tempo)


@contextlib.asynccontextmanager
async def running(controller: Controller) -> AsyncIterator[asyncio.Task[None]]:
    """Run a controller in the background; stop it and wait for its shutdown on exit."""
    task = asyncio.create_task(controller.run())
    await asyncio.wait_for(controller.started.wait(), 10)
    await asyncio.sleep(0)
    try:
        yield task
    finally:
        controller.stop()
        await asyncio.wait_for(task, 10)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def wait_for(condition: Callable[[], bool], seconds: float = 15.0, what: str = "") -> None:
    """Poll a condition (a bounded wait for another process, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


def delestage(*args: str, env: dict[str, str] | None = None, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def fill_pipe(write_end: int) -> None:
    """Fill a pipe's buffer to the last byte, then leave the descriptor blocking: the next
    write by anyone blocks until a reader takes something out."""
    os.set_blocking(write_end, False)
    with contextlib.suppress(BlockingIOError):
        while True:  # large writes may be partial; a single byte always fits if room is left
            os.write(write_end, b"x" * 65536)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(write_end, b"x")
    os.set_blocking(write_end, True)
