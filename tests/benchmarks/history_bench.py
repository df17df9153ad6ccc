"""Benchmark of history: a synthetic year of events for 8 channels.

Not a test (machines are noisy; nothing here asserts a time). Run it standalone:

    python tests/benchmarks/history_bench.py [--quick]

Figures:
- `delestage history` over the year (365 days, 8 channels, CSV), in-process (the command's work:
  configuration, catching the store up with the log, the per-day arithmetic, the output) and as
  a whole process (Python's start included);
- the history store's size after the year (the event log's events as the service feeds them);
- opening the channels-over-time view: `delestage` at 80x24 in a pseudo-terminal on that state
  directory, from writing `h` until the drawn view (its key line) is on the terminal, and the
  bytes written to the terminal for it.

The year ends today, so `history` takes it as the past. Per day: a forecast event every 30
minutes (as the service refreshes), strained hours in winter, each channel cut before and
restored after them, an override on some days, a restart every week.
"""

import io
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from figures import delestage_command, demo_config, figure, milliseconds, scratch_dir, standalone
from tui_bench import Terminal

from tui.adapters.stores.history import open_store, store_path
from tui.core.events import parse_event
from tui.core.forecast import PARIS, paris_iso, paris_midnight
from tui.frontends.history_cmd import run_history

SCRATCH = "dlhist-"
CHANNELS = 8
VIEW_COLUMNS, VIEW_LINES = 80, 24


def _iso(moment: datetime) -> str:
    return paris_iso(moment)


def day_events(day: date, rng: random.Random) -> list[dict[str, Any]]:
    midnight = paris_midnight(day)
    winter = day.month in (11, 12, 1, 2, 3)
    levels = ["1"] * 24
    for hour in range(0, 6):
        levels[hour] = "0"
    if winter and rng.random() < 0.5:
        peak = rng.choice((8, 9, 17, 18))
        for hour in range(peak, peak + rng.choice((2, 3, 4))):
            levels[hour] = "3" if rng.random() < 0.3 else "2"
    text = "".join(levels) * 2  # today and tomorrow, as the service knows them
    events: list[dict[str, Any]] = []
    for half in range(48):
        at = midnight + timedelta(minutes=30 * half)
        events.append(
            {
                "ts": _iso(at),
                "kind": "forecast",
                "source": "rte",
                "until": _iso(midnight + timedelta(days=2)),
                "called": True,
                "message": "rte forecast updated: 48 hours",
                "levels_from": _iso(midnight),
                "levels": text,
            }
        )
    strained = [hour for hour, level in enumerate(levels) if level in "23"]
    if strained:
        cut = midnight + timedelta(hours=strained[0], minutes=-15)
        back = midnight + timedelta(hours=strained[-1] + 1)
        for channel in range(CHANNELS):
            stagger = timedelta(minutes=channel)
            for moment, powered, reason in (
                (cut, False, "orange 08:00-10:00"),
                (back + stagger, True, "restored"),
            ):
                events.append(
                    {
                        "ts": _iso(moment),
                        "kind": "relay",
                        "channel": channel,
                        "name": f"Channel {channel}",
                        "powered": powered,
                        "reason": reason,
                        "applied": True,
                    }
                )
    if rng.random() < 0.2:
        at = midnight + timedelta(hours=rng.randint(7, 20))
        channel = rng.randrange(CHANNELS)
        events.append(
            {
                "ts": _iso(at),
                "kind": "override",
                "channel": channel,
                "name": f"Channel {channel}",
                "action": "force",
                "message": "forced cut by operator until later",
                "powered": False,
                "until": _iso(at + timedelta(hours=2)),
            }
        )
    if day.weekday() == 6:
        at = midnight + timedelta(hours=3)
        events.append({"ts": _iso(at), "kind": "stop", "on_exit": "keep", "pid": 1})
        events.append({"ts": _iso(at + timedelta(minutes=2)), "kind": "start", "pid": 2})
    return sorted(events, key=lambda event: event["ts"])


def synthetic_year(state_dir: Path, last: date) -> tuple[int, date]:
    """Feed a year ending ``last`` into the store in ``state_dir``, as the service does (one
    batch per update); returns how many events and the first day."""
    rng = random.Random(15)
    first = last - timedelta(days=364)
    store, _ = open_store(state_dir)
    count = 0
    try:
        day = first
        while day <= last:
            events = [parse_event(event) for event in day_events(day, rng)]
            for position in range(0, len(events), 4):
                store.add(events[position : position + 4])
            count += len(events)
            day += timedelta(days=1)
    finally:
        store.close()
    return count, first


def view_open(config: Path, repeats: int) -> tuple[list[float], list[float]]:
    """Milliseconds from `h` to the drawn view, and the bytes written for it, at 80x24."""
    import tui_bench

    tui_bench.COLUMNS, tui_bench.LINES = VIEW_COLUMNS, VIEW_LINES
    times, sizes = [], []
    terminal = Terminal([*delestage_command(), "--config", str(config)])
    try:
        terminal.wait_for("Sauna")
        time.sleep(1.5)  # the start's own redraws are not the view's
        for _ in range(repeats):
            with terminal._lock:
                mark = len(terminal.output)
            begin = time.monotonic()
            terminal.send("h")
            deadline = begin + 30
            while True:
                with terminal._lock:
                    if b"PgUp/PgDn day" in terminal.output[mark:]:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError("the view was never drawn")
                time.sleep(0.001)
            times.append((time.monotonic() - begin) * 1000)
            time.sleep(0.3)  # anything else the opening writes belongs to it
            with terminal._lock:
                sizes.append(float(len(terminal.output) - mark))
            terminal.send("\x1b")  # Esc: back to the main screen
            time.sleep(0.5)
    finally:
        terminal.quit()
    return times, sizes


def run(quick: bool) -> list[dict[str, Any]]:
    repeats = 5 if quick else 20
    today = datetime.now(UTC).astimezone(PARIS).date()
    figures = []
    with scratch_dir(SCRATCH) as state_dir:
        count, first = synthetic_year(state_dir, today)
        size = store_path(state_dir).stat().st_size / 1e6
        config = demo_config(state_dir, state_dir)
        arguments = (str(config), first.isoformat(), today.isoformat(), "csv")

        def in_process() -> None:
            run_history(*arguments, io.StringIO(), io.StringIO())

        figures.append(
            figure(
                f"`history` over a year, 8 channels ({count} events), in-process",
                milliseconds(in_process, repeats),
                "ms",
                200.0,
            )
        )
        command = [*delestage_command(), "history", "--config", str(config)]
        command += ["--from", first.isoformat(), "--csv"]

        def whole() -> None:
            subprocess.run(command, check=True, capture_output=True)

        figures.append(
            figure(
                "`delestage history` over a year, whole process",
                milliseconds(whole, max(3, repeats // 4)),
                "ms",
                None,
            )
        )
        figures.append(figure("history store size for a year", [size], "MB", 20.0))
        times, sizes = view_open(config, max(3, repeats // 2))
        figures.append(figure("open the channels view, 80x24", times, "ms", 100.0))
        figures.append(figure("bytes to the terminal to open the view", sizes, "B", None))
    return figures


if __name__ == "__main__":
    sys.exit(standalone(run, sys.argv[1:]))
