"""What the benchmark modules share: the figure format, its table, and their common helpers.

Each module (``policy_bench``, ``service_bench``, ``tui_bench``) has ``run(quick) -> list[dict]``
returning figures in one shared format, each built by ``figure()``:

    name     what was measured
    median   the median over the repeated runs
    p99      the 99th percentile (None for a single measurement)
    spread   the interquartile range
    unit     "ms", "%", "MB", "B/min", "s", "calls"
    target   the limit (None: reported, not judged)
    better   "lower" (the median must stay under the target, the default) or "higher" (it must
             reach it)
    repeats  how many runs the median is taken over

``table()`` shows figures beside their targets (``run.py`` shows every module's in one);
``standalone()`` is a module's own ``python tests/benchmarks/<module>.py [--quick]``. Not
collected by pytest (no ``test_`` prefix).
"""

import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0  # seconds; only reached when something is broken

# -- the figure format -------------------------------------------------------------------------


def figure(
    name: str,
    values: list[float],
    unit: str,
    target: float | None,
    better: str = "lower",
    digits: int = 3,
) -> dict[str, Any]:
    """One figure over ``values``, its median, p99 and spread rounded to ``digits`` decimals."""
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


def milliseconds(action: Callable[[], object], repeats: int) -> list[float]:
    """How long ``action`` takes, ``repeats`` times, after one untimed call (caches, imports)."""
    action()
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        action()
        times.append((time.perf_counter() - begin) * 1000)
    return times


def met(figure: dict[str, Any]) -> bool | None:
    """Whether the figure meets its target; None when it has none."""
    target = figure.get("target")
    if target is None:
        return None
    if figure.get("better", "lower") == "higher":
        return bool(figure["median"] >= target)
    return bool(figure["median"] < target)


def _number(value: float) -> str:
    """Three significant digits, whole numbers from 100 up: ``0.159``, ``14.5``, ``2388``."""
    if abs(value) >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.3g}"


def _cells(figure: dict[str, Any]) -> list[str]:
    unit = figure["unit"]
    median = f"{_number(figure['median'])} {unit}"
    if figure["repeats"] > 1:
        spread = f"IQR {_number(figure['spread'])}"
        if figure.get("p99") is not None:
            spread += f" / p99 {_number(figure['p99'])}"
        spread += f" ({figure['repeats']} runs)"
    else:
        spread = "one run"
    target = figure.get("target")
    if target is None:
        bound = "—"
    else:
        sign = "≥" if figure.get("better", "lower") == "higher" else "<"
        bound = f"{sign} {_number(target)} {unit}"
    verdict = {True: "yes", False: "NO", None: "—"}[met(figure)]
    return [figure["name"], median, spread, bound, verdict]


HEADER = ["figure", "median", "spread / p99", "target", "met"]


def table(figures: list[dict[str, Any]], markdown: bool) -> list[str]:
    """The figures as lines of an aligned text table, or of a Markdown one."""
    rows = [_cells(figure) for figure in figures]
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [HEADER, *rows]
    ]


def print_figures(figures: list[dict[str, Any]]) -> None:
    for line in table(figures, markdown=False):
        print(line)


def standalone(run: Callable[[bool], list[dict[str, Any]]], argv: list[str]) -> int:
    """A module run alone: its figures, with shorter runs when ``argv`` holds ``--quick``."""
    print_figures(run("--quick" in argv))
    return 0


# -- scratch state and the `delestage` process -------------------------------------------------


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A fresh directory named ``prefix...``, removed afterwards."""
    # Short, under /tmp: a Unix socket path must fit in 108 bytes.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def demo_config(
    directory: Path, state_dir: Path, replacements: Iterable[tuple[str, str]] = ()
) -> Path:
    """The shipped demo configuration, its state in ``state_dir``, written to ``directory``."""
    text = (REPO / "delestage.toml").read_text()
    marker = 'state_dir = "~/.local/state/delestage-demo"'  # the demo's own state directory
    if marker not in text:
        raise RuntimeError(f"delestage.toml no longer has the line {marker!r}")
    text = text.replace(marker, f'state_dir = "{state_dir}"')
    for old, new in replacements:
        text = text.replace(old, new)
    path = directory / "delestage.toml"
    path.write_text(text)
    return path


def delestage_command() -> list[str]:
    script = Path(sys.executable).parent / "delestage"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui"]


def cpu_seconds(pid: int) -> float:
    # utime and stime, fields 14 and 15 of /proc/PID/stat (after the parenthesised name).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reap(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait for ``process`` to exit, killing it after ``timeout`` seconds."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def headless(config: Path, socket: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`delestage --headless` in the background, from when ``socket`` appears until SIGTERM."""
    process = subprocess.Popen(
        [*delestage_command(), "--headless", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the headless service did not start")
            time.sleep(0.02)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        reap(process, TIMEOUT)
