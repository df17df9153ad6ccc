"""Every benchmark figure in one table, each beside its target, with the machine it ran on.

    python tests/benchmarks/run.py [--quick] [--markdown]

``--quick`` shortens the idle windows to 10 s and takes fewer samples (a fast check, not figures
to publish); ``--markdown`` prints the table as docs/performance.md shows it. It
reports and never gates: the exit status is 0 whether targets are met or not (machines are
noisy; the test suite asserts no times). Not collected by pytest (no ``test_`` prefix).

Each module (``policy_bench``, ``service_bench``, ``tui_bench``, ``mqtt_fleet_bench``,
``history_bench``, ``meter_bench``) has ``run(quick) -> list[dict]`` returning figures in one
shared format,
documented in ``figures.py`` (which also draws the table).

The TUI module is optional: without it (or when no terminal can be driven) the table says why
and carries on with the rest.
"""

import argparse
import compileall
import datetime
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from figures import met, table  # noqa: E402

# (module, what its figures cover), in the order of the list.
PARTS = [
    ("policy_bench", "policy"),
    ("tui_bench", "TUI"),
    ("service_bench", "service"),
    ("mqtt_fleet_bench", "MQTT fleet"),
    ("history_bench", "history"),
    ("meter_bench", "power meter"),
]


def machine() -> str:
    """``AMD EPYC, 2 cores, 23.5 GiB RAM; Python 3.11.7; Linux 6.1 (Debian GNU/Linux 12)``."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    system = f"{platform.system()} {platform.release()}"
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system += f" ({line.split('=', 1)[1].strip().strip(chr(34))})"
    return f"{model}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}; {system}"


def ensure_bytecode() -> str:
    """Compile the installed ``tui`` package, as ``pip install`` does, and say what was done.

    A start-up figure is only a user's figure with bytecode on disk: under
    PYTHONDONTWRITEBYTECODE (set on some machines) or in a fresh editable checkout, every start
    compiles each of the package's modules again, which once added 150 to 200 ms to the first
    screen and read as a regression.
    """
    import tui

    package = Path(tui.__file__).resolve().parent
    compileall.compile_dir(package, quiet=1)
    setting = os.environ.get("PYTHONDONTWRITEBYTECODE") or "unset"
    return f"bytecode: {package} compiled before measuring (PYTHONDONTWRITEBYTECODE {setting})"


def collect(quick: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Every module's figures, and a line for each part that could not be measured."""
    figures: list[dict[str, Any]] = []
    missing: list[str] = []
    for module_name, label in PARTS:
        print(f"measuring: {label} ...", file=sys.stderr, flush=True)
        began = time.monotonic()
        try:
            module = importlib.import_module(module_name)
            part = module.run(quick)
        except Exception as error:  # one broken part must not hide the others' figures
            reason = f"{error.__class__.__name__}: {error}" if str(error) else repr(error)
            missing.append(f"{label} figures: not available ({reason})")
            traceback.print_exc(file=sys.stderr)
            continue
        print(f"  {label}: {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)
        figures.extend(part)
    return figures, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every delestage benchmark.")
    parser.add_argument("--quick", action="store_true", help="10 s idle windows and fewer samples")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    started = datetime.datetime.now().astimezone()
    bytecode = ensure_bytecode()
    figures, missing = collect(args.quick)
    judged = [figure for figure in figures if met(figure) is not None]
    print(f"machine: {machine()}")
    print(f"date: {started:%Y-%m-%d %H:%M %z}{' (--quick)' if args.quick else ''}")
    print(bytecode)
    print()
    for line in table(figures, args.markdown):
        print(line)
    for line in missing:
        print(line)
    print()
    print(f"{sum(bool(met(figure)) for figure in judged)} of {len(judged)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
