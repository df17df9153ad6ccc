"""Benchmark of the terminal UI, run as the operator runs it: `delestage` in a pseudo-terminal.

Not a test (machines are noisy; nothing here asserts a time). Run it standalone:

    python tests/benchmarks/tui_bench.py [--quick]

Figures:
- key press to board transition, in-process (the UI runs the controller) and attached (the UI
  talks to a separate `delestage --headless` process over the control socket): from writing the
  key to the terminal to the instant the controller records the relay event (both on the system
  clock of this machine);
- time to first screen: from starting `delestage` to the relay grid on the terminal;
- bytes written to the terminal per minute while idle, and the UI process's CPU while idle.

The demo configuration is used with the equipment-protection delays set to zero, so relays may
be toggled back to back and nothing is left pending when the idle measurement starts.

``run(quick)`` returns one dict per figure (the target: what the median should stay under on the
2-core reference machine), in the format every benchmark module shares: see
``tests/benchmarks/figures.py``.
"""

import contextlib
import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from figures import (
    TIMEOUT,
    cpu_seconds,
    delestage_command,
    demo_config,
    figure,
    headless,
    reap,
    scratch_dir,
    standalone,
)

COLUMNS, LINES = 100, 30
SCRATCH = "dlbench-"  # the prefix of each run's state directory under /tmp
ZEROED = ('min_on = "5m"', 'min_on = "15m"', 'min_off = "5m"', 'min_off = "10m"', 'min_off = "30m"')


def bench_config(state_dir: Path) -> Path:
    """The demo configuration, state and file both in ``state_dir``, every delay zeroed."""
    delays = [
        ('restore_gap = "60s"', 'restore_gap = "0s"'),
        ('min_switch_gap = "5s"', 'min_switch_gap = "0s"'),
    ]
    delays += [(setting, setting.split("=")[0] + '= "0s"') for setting in ZEROED]
    return demo_config(state_dir, state_dir, delays)


class Terminal:
    """A process on a pseudo-terminal of COLUMNS x LINES; every byte it writes is counted."""

    def __init__(self, args: list[str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS)}
        env["LINES"] = str(LINES)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self.chunks: list[tuple[float, int]] = []  # (monotonic time, bytes)
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if not ready:
                if self.process.poll() is not None:
                    return
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.output += data
                self.chunks.append((time.monotonic(), len(data)))

    def wait_for(self, text: str) -> float:
        """Seconds since start until ``text`` was written to the terminal."""
        wanted = text.encode()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with self._lock:
                if wanted in self.output:
                    return time.monotonic() - self.started
            time.sleep(0.002)
        raise TimeoutError(f"never saw {text!r} on the terminal")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def bytes_between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(size for at, size in self.chunks if start <= at < end)

    def quit(self) -> None:
        with contextlib.suppress(OSError):
            self.send("q")
        reap(self.process, 10)
        os.close(self.master)


def relay_events(state_dir: Path) -> list[dict[str, object]]:
    path = state_dir / "events.jsonl"
    if not path.exists():
        return []
    events = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):
            events.append(json.loads(line))
    return [event for event in events if event.get("kind") == "relay"]


def relay_powered(state_dir: Path, channel: int) -> bool:
    """The channel's state: its last relay event, else the state the service saved (a relay the
    board already had where the rules want it at start is read, not switched, so not logged)."""
    moves = [e for e in relay_events(state_dir) if e.get("channel") == channel]
    if moves:
        return bool(moves[-1]["powered"])
    saved = json.loads((state_dir / "state.json").read_text())
    return bool(saved["history"][str(channel)]["powered"])


def key_to_transition(terminal: Terminal, state_dir: Path, samples: int) -> list[float]:
    """Alternately force relays 1 and 2 cut and powered; milliseconds from key to relay event."""
    terminal.wait_for("Radiateurs chambres")
    time.sleep(0.5)  # let the start's own switching finish
    times = []
    for sample in range(samples):
        channel = 1 + sample % 2
        # Whatever the demo's hour did to it, ask for the other state, so the relay moves.
        key = "s" if relay_powered(state_dir, channel) else "p"
        terminal.send(str(channel))
        time.sleep(0.05)  # the selection is not what is measured
        seen = len(relay_events(state_dir))
        pressed = datetime.now(UTC)
        terminal.send(key)
        deadline = time.monotonic() + TIMEOUT
        while True:
            fresh = [e for e in relay_events(state_dir)[seen:] if e.get("channel") == channel]
            if fresh:
                stamp = datetime.fromisoformat(str(fresh[0]["ts"]))
                times.append((stamp - pressed).total_seconds() * 1000)
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"relay {channel} never moved after {key!r}")
            time.sleep(0.005)
    return times


def run(quick: bool) -> list[dict[str, object]]:
    samples = 8 if quick else 30
    launches = 3 if quick else 10
    # The UI repaints its clock once a minute: a 60 s window holds exactly one such repaint,
    # the quick 10 s window holds one or none, so its bytes-per-minute figure is rough.
    idle_seconds = 10.0 if quick else 60.0
    command = delestage_command()
    figures = []

    with scratch_dir(SCRATCH) as state_dir:
        config = bench_config(state_dir)
        terminal = Terminal([*command, "--config", str(config)])
        try:
            in_process = key_to_transition(terminal, state_dir, samples)
        finally:
            terminal.quit()
    figures.append(figure("key to board transition, in-process", in_process, "ms", 10.0))

    with scratch_dir(SCRATCH) as state_dir:
        config = bench_config(state_dir)
        with headless(config, state_dir / "control.sock"):
            terminal = Terminal([*command, "--config", str(config)])
            try:
                terminal.wait_for("attached to PID")
                attached = key_to_transition(terminal, state_dir, samples)
            finally:
                terminal.quit()
    figures.append(figure("key to board transition, attached", attached, "ms", 15.0))

    first_screens = []
    for _ in range(launches):
        with scratch_dir(SCRATCH) as state_dir:
            config = bench_config(state_dir)
            terminal = Terminal([*command, "--config", str(config)])
            try:
                first_screens.append(terminal.wait_for("Sauna") * 1000)
            finally:
                terminal.quit()
    figures.append(figure("time to first screen (relay grid)", first_screens, "ms", 600.0))

    with scratch_dir(SCRATCH) as state_dir:
        config = bench_config(state_dir)
        terminal = Terminal([*command, "--config", str(config)])
        try:
            terminal.wait_for("Sauna")
            time.sleep(2.0)  # the start's own redraws are not idle
            begin, cpu = time.monotonic(), cpu_seconds(terminal.process.pid)
            time.sleep(idle_seconds)
            end = time.monotonic()
            spent = cpu_seconds(terminal.process.pid) - cpu
            written = terminal.bytes_between(begin, end)
        finally:
            terminal.quit()
    minutes = (end - begin) / 60
    figures.append(figure("terminal bytes per idle minute", [written / minutes], "B/min", 2000))
    figures.append(figure("idle CPU of the UI process", [100 * spent / (end - begin)], "%", 1.0))
    return figures


if __name__ == "__main__":
    sys.exit(standalone(run, sys.argv[1:]))
