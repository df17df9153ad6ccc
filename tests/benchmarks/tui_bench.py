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

``run(quick)`` returns one dict per figure: ``name``, ``median``, ``p99``, ``spread`` (the
interquartile range), ``unit``, ``target`` (what the figure should stay under on the 2-core
reference machine) and ``repeats``.
"""

import contextlib
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLUMNS, LINES = 100, 30
TIMEOUT = 30.0  # seconds; only reached when something is broken
ZEROED = ('min_on = "5m"', 'min_on = "15m"', 'min_off = "5m"', 'min_off = "10m"', 'min_off = "30m"')


def _command() -> list[str]:
    script = Path(sys.executable).parent / "delestage"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui"]


def bench_config(state_dir: Path) -> Path:
    text = (REPO / "delestage.toml").read_text()
    text = text.replace('# state_dir = "/var/lib/delestage"', f'state_dir = "{state_dir}"')
    text = text.replace('restore_gap = "60s"', 'restore_gap = "0s"')
    text = text.replace('min_switch_gap = "5s"', 'min_switch_gap = "0s"')
    for setting in ZEROED:
        text = text.replace(setting, setting.split("=")[0] + '= "0s"')
    path = state_dir / "delestage.toml"
    path.write_text(text)
    return path


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

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def quit(self) -> None:
        with contextlib.suppress(OSError):
            self.send("q")
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@contextlib.contextmanager
def state() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dlbench-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def service(config: Path, state_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`delestage --headless` in the background, until its control socket answers."""
    process = subprocess.Popen(
        [*_command(), "--headless", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (state_dir / "control.sock").exists():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the headless service did not start")
            time.sleep(0.02)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def relay_events(state_dir: Path) -> list[dict[str, object]]:
    path = state_dir / "events.jsonl"
    if not path.exists():
        return []
    events = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):
            events.append(json.loads(line))
    return [event for event in events if event.get("kind") == "relay"]


def key_to_transition(terminal: Terminal, state_dir: Path, samples: int) -> list[float]:
    """Alternately force relays 1 and 2 cut and powered; milliseconds from key to relay event."""
    terminal.wait_for("Radiateurs chambres")
    time.sleep(0.5)  # let the start's own switching finish
    times = []
    for sample in range(samples):
        channel = 1 + sample % 2
        # Whatever the demo's hour did to it, ask for the other state, so the relay moves.
        last = [e for e in relay_events(state_dir) if e.get("channel") == channel][-1]
        key = "s" if last["powered"] else "p"
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


def _figure(name: str, values: list[float], unit: str, target: float) -> dict[str, object]:
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [ordered[0]] * 3
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "name": name,
        "median": round(statistics.median(ordered), 3),
        "p99": round(p99, 3),
        "spread": round(quartiles[2] - quartiles[0], 3),
        "unit": unit,
        "target": target,
        "repeats": len(ordered),
    }


def run(quick: bool) -> list[dict[str, object]]:
    samples = 8 if quick else 30
    launches = 3 if quick else 10
    # The UI repaints its clock once a minute: a 60 s window holds exactly one such repaint,
    # the quick 10 s window holds one or none, so its bytes-per-minute figure is rough.
    idle_seconds = 10.0 if quick else 60.0
    command = _command()
    figures = []

    with state() as state_dir:
        config = bench_config(state_dir)
        terminal = Terminal([*command, "--config", str(config)])
        try:
            in_process = key_to_transition(terminal, state_dir, samples)
        finally:
            terminal.quit()
    figures.append(_figure("key to board transition, in-process", in_process, "ms", 20.0))

    with state() as state_dir:
        config = bench_config(state_dir)
        with service(config, state_dir):
            terminal = Terminal([*command, "--config", str(config)])
            try:
                terminal.wait_for("attached to PID")
                attached = key_to_transition(terminal, state_dir, samples)
            finally:
                terminal.quit()
    figures.append(_figure("key to board transition, attached", attached, "ms", 50.0))

    first_screens = []
    for _ in range(launches):
        with state() as state_dir:
            config = bench_config(state_dir)
            terminal = Terminal([*command, "--config", str(config)])
            try:
                first_screens.append(terminal.wait_for("Sauna") * 1000)
            finally:
                terminal.quit()
    figures.append(_figure("time to first screen (relay grid)", first_screens, "ms", 1500.0))

    with state() as state_dir:
        config = bench_config(state_dir)
        terminal = Terminal([*command, "--config", str(config)])
        try:
            terminal.wait_for("Sauna")
            time.sleep(2.0)  # the start's own redraws are not idle
            begin, cpu = time.monotonic(), terminal.cpu_seconds()
            time.sleep(idle_seconds)
            end = time.monotonic()
            spent = terminal.cpu_seconds() - cpu
            written = terminal.bytes_between(begin, end)
        finally:
            terminal.quit()
    minutes = (end - begin) / 60
    figures.append(_figure("terminal bytes per idle minute", [written / minutes], "B/min", 2000))
    figures.append(_figure("idle CPU of the UI process", [100 * spent / (end - begin)], "%", 1.0))
    return figures


def main(argv: list[str]) -> int:
    for figure in run(quick="--quick" in argv):
        print(
            f"{figure['name']:<38} median {figure['median']:>10.3f} {figure['unit']:<5} "
            f"p99 {figure['p99']:>10.3f}  spread {figure['spread']:>8.3f}  "
            f"target < {figure['target']} {figure['unit']}  ({figure['repeats']} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
