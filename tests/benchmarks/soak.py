"""Soak: a headless service under a bounded random mix of faults, for a few minutes.

    python tests/benchmarks/soak.py [--minutes 3] [--seed N] [--markdown]

Not a test (it runs for minutes on a real clock; nothing here asserts a time). It starts
``delestage --headless`` against the fake RTE (its sandbox endpoint, so that every refresh
really calls it, serving the demo week around today), and while a monitor reads the relays
through the control socket four times a second, a driver

- sets probes: forces a channel whose automatic state is always powered (``shed_at = "never"``)
  to cut for a minute, which gives two relay deadlines (cut at once, powered again at the
  override's end); a deadline is missed when the monitor does not see the relay there within
  ``TOLERANCE`` seconds;
- injects one fault every few seconds, drawn at random from the classes below (at most
  ``MAX_FAULTS``);
- after each fault checks that the service survived: the same process (or, for a restart, a new
  one) answers a snapshot within 5 s.

At the end it stops the faults, notes the overrides the service holds, stops it, and counts as
"state lost" every override missing or changed in the saved state and after a restart, and every
relay whose switch history shrank.

Fault classes: RTE errors (500, 503, malformed, truncated, empty body, a slow answer, a gzip
bomb: 1 MB on the wire, 1 GiB decoded), a busy history store (another process holding
``BEGIN EXCLUSIVE`` for a few seconds: the store must never be set aside, its marks never
fewer), a flood of idle control connections (300 that never send a thing), damaged
event log (half a line, a NUL tail, binary), damaged state and cache files, socket garbage
(malformed JSON, NaN/Infinity/1e300/1e-9 durations, year-9999 times, 30 000-deep nesting,
binary, abrupt hang-ups, an idle subscriber), signals (SIGHUP reload, SIGHUP with a broken
configuration, SIGSTOP/SIGCONT, SIGTERM and restart), a closed stdout, a stdout that is open but
not read (its pipe full), a full disk (a tmpfs filled to the last byte; only as root,
otherwise that class is left out and said so), and wall-clock steps (with Debian's libfaketime:
the service runs with it preloaded, reading its offset from a file this driver rewrites, the
monotonic clock left real, as ``tests/test_clock_faketime.py`` does; steps forward and back of
90 s to 2 h, as NTP makes after a Raspberry Pi boots on a stale clock, each checked to be said
once in the event log; left out and said so without libfaketime).

The driver itself is never faked and keeps every deadline on its monotonic clock: an override's
end, which the service reads on its own (stepped) wall clock, is turned into a monotonic
deadline through the record of the offsets written (``ClockSteps``), so a forward step past an
override's end makes the relay due at the step, and a step back makes it due later. A deadline
that falls after the monitor stopped (an override stretched by a step back) is not checked,
and counted apart.

It also reports the service's resident memory (VmRSS) after its start and at the end, and its
peak (VmHWM), for the process that ran longest.
"""

import argparse
import contextlib
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from figures import REPO, delestage_command, figure, reap, scratch_dir, table

sys.path.insert(0, str(REPO / "tests"))

import tomli_w
from support.fake_rte import CLIENT_ID, CLIENT_SECRET, FakeRte, production_body

TOLERANCE = 3.0  # seconds between a deadline and the relay seen there
MAX_FAULTS = 400
PROBES = (0, 1, 4, 5)  # shed_at = "never": automatic is always powered
PROBE_EVERY = 5.0  # seconds between two probes (on a channel not already probed)
LONG = 2  # forced powered for a day at the start: must survive everything
FAKETIME = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
# Clock steps (seconds), forward and back; the offset from the real clock stays within BOUND.
STEPS = (3600, -7200, 90, -90, 1800, -1800, 600, -600)
BOUND = 3 * 3600


def _config(state: Path, rte_url: str) -> dict[str, Any]:
    channel = {"wiring": "no", "priority": 1}
    return {
        "ecowatt": {"source": "sandbox", "base_url": rte_url, "timeout": "3s"},
        "board": {"kind": "simulated", "on_exit": "keep"},
        "policy": {"restore_gap": "0s", "min_switch_gap": "1s", "lead": "15m"},
        "service": {"state_dir": str(state)},
        "channel": [
            {**channel, "index": 0, "name": "Probe A", "shed_at": "never"},
            {**channel, "index": 1, "name": "Probe B", "shed_at": "never"},
            {**channel, "index": 2, "name": "Chauffe-eau", "shed_at": "orange"},
            {**channel, "index": 3, "name": "Radiateurs", "shed_at": "red", "wiring": "nc"},
            {**channel, "index": 4, "name": "Probe C", "shed_at": "never"},
            {**channel, "index": 5, "name": "Probe D", "shed_at": "never", "wiring": "nc"},
        ],
    }


# -- talking to the service ----------------------------------------------------------------------


def connect(client: socket.socket, path: Path, timeout: float) -> None:
    """A Unix socket's connect, waiting (bounded) while the listener's queue is full (EAGAIN)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.connect(str(path))
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def ask(path: Path, request: dict[str, Any] | bytes, timeout: float = 5.0) -> dict[str, Any]:
    raw = request if isinstance(request, bytes) else json.dumps(request).encode()
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(timeout)
        connect(client, path, timeout)
        client.sendall(raw + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = client.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    return json.loads(data) if data else {}


@dataclass
class Observation:
    at: float  # the driver's time.monotonic()
    powered: dict[int, bool | None]


@dataclass
class Deadline:
    at: float  # the driver's time.monotonic(); for an override's end, see ``until``
    channel: int
    powered: bool
    what: str
    until: float | None = None  # the override's end on the service's wall clock (POSIX time)


class ClockSteps:
    """The service's wall clock as the driver set it: the real clock plus an offset the
    driver writes to libfaketime's file, recorded against the driver's monotonic clock. Nothing
    here reads the wall clock after the start."""

    def __init__(self, stamp: Path | None) -> None:
        self.stamp = stamp
        self.wall0, self.mono0 = time.time(), time.monotonic()
        self.changes: list[tuple[float, float]] = [(self.mono0, 0.0)]  # (monotonic, offset)
        if stamp is not None:
            stamp.write_text("+0\n")

    @property
    def offset(self) -> float:
        return self.changes[-1][1]

    def step(self, seconds: float) -> None:
        assert self.stamp is not None
        offset = self.offset + seconds
        self.stamp.write_text(f"{offset:+.0f}\n")
        self.changes.append((time.monotonic(), offset))

    def offset_at(self, mono: float) -> float:
        return next((o for at, o in reversed(self.changes) if at <= mono), 0.0)

    def service_wall(self, mono: float) -> float:
        return self.wall0 + (mono - self.mono0) + self.offset_at(mono)

    def reached(self, wall: float, after: float) -> float:
        """The first monotonic time, not before ``after``, at which the service's wall clock
        shows ``wall`` or later (at a forward step that jumps past it: the step itself)."""
        starts = [at for at, _ in self.changes]
        for i, (at, offset) in enumerate(self.changes):
            end = starts[i + 1] if i + 1 < len(starts) else float("inf")
            if end <= after:
                continue
            begin = max(at, after)
            hit = wall - self.wall0 + self.mono0 - offset
            if hit < end:
                return max(hit, begin)
        raise AssertionError("unreachable: the last segment is open")


@dataclass
class Soak:
    directory: Path
    state: Path
    config: Path
    rte: FakeRte
    rng: random.Random
    full_disk: Path | None
    clock: ClockSteps
    process: subprocess.Popen[bytes] | None = None
    observations: list[Observation] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    survived: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    forced_until: dict[int, float] = field(default_factory=dict)  # the service's wall clock
    forced_at: dict[int, float] = field(default_factory=dict)  # the driver's monotonic clock
    not_due: list[Deadline] = field(default_factory=list)
    unobserved: list[str] = field(default_factory=list)
    detail: str = ""  # what the last fault did, when it has variants (for a failure's line)
    stdout_reader: int | None = None
    memory: list[tuple[int, str, int]] = field(default_factory=list)  # (pid, field, kB)
    stdout_paused: threading.Event = field(default_factory=threading.Event)
    _stop_monitor: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def socket(self) -> Path:
        return self.state / "control.sock"

    # -- the service process ---------------------------------------------------------------

    def start(self) -> None:
        reader, writer = os.pipe()
        env = {**os.environ, "ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}
        if self.clock.stamp is not None:
            env.update(
                LD_PRELOAD=FAKETIME[0],
                FAKETIME_TIMESTAMP_FILE=str(self.clock.stamp),
                FAKETIME_CACHE_DURATION="1",  # docs/testing.md: not NO_CACHE
                FAKETIME_DONT_FAKE_MONOTONIC="1",
            )
        self.process = subprocess.Popen(
            [*delestage_command(), "--headless", "--config", str(self.config)],
            stdout=writer,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        os.close(writer)
        self.stdout_reader = reader
        threading.Thread(target=self._drain, args=(reader,), daemon=True).start()
        if not self.wait_answering(30):
            self.failures.append("a start: no answer within 30 s")
        self.resident("start")

    def _drain(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            while os.read(fd, 65536):
                while self.stdout_paused.is_set():
                    time.sleep(0.05)

    def wait_answering(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            with contextlib.suppress(OSError, ValueError):
                if ask(self.socket, {"op": "snapshot"}, 2).get("ok"):
                    return True
            time.sleep(0.1)
        return False

    def resident(self, label: str) -> None:
        """Note the service's VmRSS and VmHWM now (kB), under ``label``."""
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    self.memory.append((self.process.pid, f"{label} {name}", int(value.split()[0])))
        self.memory.append((self.process.pid, f"{label} at", int(time.monotonic())))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resident("end")
            self.process.send_signal(signal.SIGTERM)
            reap(self.process, 30)

    # -- the monitor -----------------------------------------------------------------------

    def monitor(self) -> None:
        while not self._stop_monitor.is_set():
            with contextlib.suppress(OSError, ValueError, KeyError):
                reply = ask(self.socket, {"op": "snapshot"}, 1)
                if reply.get("ok"):
                    channels = reply["snapshot"]["channels"]
                    seen = {c["index"]: c["powered"] for c in channels}
                    with self._lock:
                        self.observations.append(Observation(time.monotonic(), seen))
            self._stop_monitor.wait(0.25)

    # -- probes ----------------------------------------------------------------------------

    def ends(self, channel: int) -> float:
        """When channel's probe override ends, on the driver's monotonic clock (steps to come
        aside); 0 when it was never probed."""
        until = self.forced_until.get(channel)
        return 0.0 if until is None else self.clock.reached(until, self.forced_at[channel])

    def probe(self) -> None:
        now = time.monotonic()
        free = [ch for ch in PROBES if self.ends(ch) + TOLERANCE * 2 < now]
        if not free:
            return
        channel = self.rng.choice(free)
        sent = time.monotonic()
        reply = ask(
            self.socket, {"op": "force", "channel": channel, "powered": False, "seconds": 60}
        )
        if not reply.get("ok"):
            self.failures.append(f"probe refused: {reply}")
            return
        snapshot = ask(self.socket, {"op": "snapshot"})["snapshot"]
        view = next(c for c in snapshot["channels"] if c["index"] == channel)
        until = datetime.fromisoformat(view["until"]).timestamp()
        self.forced_until[channel], self.forced_at[channel] = until, sent
        self.deadlines.append(Deadline(sent, channel, False, "cut when forced"))
        end = Deadline(sent, channel, True, "powered at the override's end", until=until)
        self.deadlines.append(end)

    def restart_is_safe(self) -> bool:
        """No probe's end falls during a restart: none in the next 12 s, and none in the last
        10 s (a forward step makes every end it jumps past due at once, the step's own fault
        then takes a few seconds)."""
        now = time.monotonic()
        return all(not now - 10 < self.ends(channel) < now + 12 for channel in self.forced_until)

    # -- checking --------------------------------------------------------------------------

    def missed(self) -> list[str]:
        """Every due deadline the relay missed: seen in the wrong state after its tolerance, or
        never seen right. The ones due after the last observation go to ``not_due``; one the
        monitor could not look at within its tolerance (a gap in its observations, as while the
        idle-connection flood holds the socket, or a restart) and first saw right after it, to
        ``unobserved``."""
        missed = []
        last = max((o.at for o in self.observations), default=0.0)
        for deadline in list(self.deadlines):
            if deadline.until is not None:
                # The override ends when the service's wall clock reaches its end: placed on
                # the monotonic clock only now, with every step written since it was set.
                deadline.at = self.clock.reached(deadline.until, deadline.at)
            if deadline.at + TOLERANCE > last:
                self.deadlines.remove(deadline)
                self.not_due.append(deadline)
                continue
            later = [o for o in self.observations if o.at >= deadline.at]
            hit = next(
                (o for o in later if o.powered.get(deadline.channel) is deadline.powered), None
            )
            if hit is None or hit.at > deadline.at + TOLERANCE:
                late = "never" if hit is None else f"{hit.at - deadline.at:.1f} s late"
                # Seen wrong only within its tolerance, then right after a gap in the
                # monitor's observations: when it moved between them is not known.
                wrong_late = (
                    [o for o in later if deadline.at + TOLERANCE < o.at < hit.at] if hit else []
                )
                if hit is not None and not wrong_late:
                    gap = hit.at - max(
                        (o.at for o in self.observations if o.at < hit.at), default=deadline.at
                    )
                    self.unobserved.append(
                        f"channel {deadline.channel} {deadline.what}: first seen {late}, "
                        f"right (the monitor saw nothing for {gap:.1f} s)"
                    )
                    continue
                # For the diagnosis: the service's clock offset then, and when it was seen wrong.
                offset = self.clock.offset_at(deadline.at)
                wrong = [o.at - deadline.at for o in later if o.at < (hit.at if hit else last)]
                seen_wrong = ", ".join(f"+{w:.1f}" for w in wrong[:8])
                missed.append(
                    f"channel {deadline.channel} {deadline.what}: {late} (clock offset "
                    f"{offset:+.0f} s; seen wrong at {seen_wrong} s)"
                )
        return missed


# -- the faults ----------------------------------------------------------------------------------


def _rte(soak: Soak) -> None:
    faults = ["500", "503", "malformed", "truncated", "empty", "slow", "gzip-bomb"]
    soak.rte.fail_next(soak.rng.choice(faults))
    with contextlib.suppress(OSError, ValueError):
        ask(soak.socket, {"op": "refresh"}, 10)


LOCKER = (
    "import sqlite3, sys, time\n"
    "db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)\n"
    "db.execute('BEGIN EXCLUSIVE')\n"
    "time.sleep(float(sys.argv[2]))\n"
)


def history_marks(state: Path) -> int | None:
    from tui.adapters.stores.history import HistoryStore, StoreDamaged, StoreUnavailable

    try:
        store = HistoryStore(state / "history.sqlite", readonly=True, busy_timeout=2)
    except (StoreDamaged, StoreUnavailable):
        return None
    try:
        return len(store.marks(0, 4e9, range(8)))
    except (StoreDamaged, StoreUnavailable):
        return None
    finally:
        store.close()


def _busy_history(soak: Soak) -> None:
    """Another process holds the history store locked for a few seconds while events come."""
    path = soak.state / "history.sqlite"
    before = history_marks(soak.state)
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path), f"{soak.rng.uniform(2, 8):.1f}"]
    )
    try:
        for _ in range(3):
            ask(soak.socket, {"op": "release", "channel": 3})  # events to record meanwhile
            time.sleep(0.3)
    finally:
        locker.wait(30)
    after = history_marks(soak.state)
    if before is not None and after is not None and after < before:
        soak.failures.append(f"busy history store: marks went from {before} to {after}")
    if list(soak.state.glob("history.sqlite.damaged*")):
        soak.failures.append("busy history store: set aside as damaged")


def _flood(soak: Soak) -> None:
    """Idle connections, many more than the socket's cap; then a snapshot must still work."""
    clients = []
    try:
        for _ in range(300):
            client = socket.socket(socket.AF_UNIX)
            client.settimeout(2)
            try:
                connect(client, soak.socket, 2)
            except OSError:
                client.close()
                break
            clients.append(client)
        ask(soak.socket, {"op": "snapshot"}, 5)
    finally:
        for client in clients:
            client.close()


def _event_log(soak: Soak) -> None:
    damage = soak.rng.choice([b'{"ts":"2026-', b"\x00" * 512, bytes(range(256)), b"[" * 5000])
    with open(soak.state / "events.jsonl", "ab") as handle:
        handle.write(damage)


def _state_file(soak: Soak) -> None:
    name = soak.rng.choice(["state.json", "ecowatt-cache-sandbox.json", "ecowatt-quota.json"])
    damage = soak.rng.choice(
        [b'{"version": 1, "overr', b"\x00" * 64, b'{"history": {"2": {"switches": [null]}}}']
    )
    with contextlib.suppress(OSError):
        (soak.state / name).write_bytes(damage)
    if name == "state.json":
        # A save follows any command: the damage is overwritten, as in a real crash-free run.
        ask(soak.socket, {"op": "release", "channel": 3})


GARBAGE = [
    b'{"op": "force", "channel": 0, "powered": false, "seconds": NaN}',
    b'{"op": "force", "channel": 0, "powered": false, "seconds": Infinity}',
    b'{"op": "force", "channel": 0, "powered": false, "seconds": 1e300}',
    b'{"op": "force", "channel": 0, "powered": false, "seconds": 1e-9}',
    b'{"op": "force", "channel": 0, "powered": false, "until": "9999-12-31T23:59:59+00:00"}',
    b'{"op": "force", "channel": 99, "powered": true}',
    b'{"op": ' * 30_000,
    b"[" * 30_000 + b"]" * 30_000,
    bytes(range(1, 256)),
    b'{"op": "reboot"}',
    b"x" * 200_000,
]


def _socket(soak: Soak) -> None:
    choice = soak.rng.randrange(3)
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(5)
        client.connect(str(soak.socket))
        if choice == 0:
            garbage = soak.rng.choice(GARBAGE)
            soak.detail = f"{garbage[:40]!r}, {len(garbage)} bytes"
            client.sendall(garbage + b"\n")
            with contextlib.suppress(OSError):
                client.recv(65536)
        elif choice == 1:
            soak.detail = "a hang-up mid-request"
            client.sendall(b'{"op": "force", "chan')  # and hang up mid-request
        else:
            soak.detail = "a subscriber that never reads"
            client.sendall(b'{"op": "subscribe"}\n')  # a subscriber that never reads
            time.sleep(0.5)


def _sighup(soak: Soak) -> None:
    assert soak.process is not None
    if soak.rng.random() < 0.5:
        text = soak.config.read_text()
        soak.config.write_text(text + "\n[[channel]\nbroken = \n")
        soak.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        soak.config.write_text(text)
    else:
        soak.process.send_signal(signal.SIGHUP)


def _sigstop(soak: Soak) -> None:
    assert soak.process is not None
    soak.process.send_signal(signal.SIGSTOP)
    time.sleep(0.5)
    soak.process.send_signal(signal.SIGCONT)


def _restart(soak: Soak) -> None:
    soak.stop()
    soak.start()


def _stdout(soak: Soak) -> None:
    if soak.stdout_reader is not None:
        with contextlib.suppress(OSError):
            os.close(soak.stdout_reader)  # the reader leaves: the printer's pipe breaks
        soak.stdout_reader = None
    ask(soak.socket, {"op": "release", "channel": 3})  # an event to print into it


def _stalled_stdout(soak: Soak) -> None:
    if soak.stdout_reader is None or soak.process is None:
        return _stdout(soak)  # no reader left to stall
    soak.stdout_paused.set()
    try:
        # A second opening of the service's pipe, non-blocking, fills its buffer without
        # touching the service's own descriptor: its next line would block a synchronous write.
        fd = os.open(f"/proc/{soak.process.pid}/fd/1", os.O_WRONLY | os.O_NONBLOCK)
        try:
            with contextlib.suppress(OSError):
                for _ in range(64):  # bounded: 1 MiB at most
                    os.write(fd, b"#" * 16384)
        finally:
            os.close(fd)
        for _ in range(3):
            ask(soak.socket, {"op": "release", "channel": 3})  # events into the full pipe
        time.sleep(soak.rng.uniform(1, 4))
    finally:
        soak.stdout_paused.clear()


def _full_disk(soak: Soak) -> None:
    assert soak.full_disk is not None
    filler = soak.full_disk / "filler"
    try:
        # Unbuffered: nothing is left to flush (and fail) when the file is closed.
        with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
        # Commands while full: saves and log lines fail, relays must still move.
        ask(soak.socket, {"op": "release", "channel": 3})
        time.sleep(soak.rng.uniform(1, 4))
    finally:
        filler.unlink(missing_ok=True)


def clock_lines(state: Path) -> int:
    """How many clock steps the event log (and its rotated files) has said so far. Counted in
    the raw bytes: the damaged-log fault appends garbage with no newline, and the service's next
    line, glued to it, no longer parses as a whole (the service's readers skip it)."""
    count = 0
    for path in state.glob("events.jsonl*"):
        with contextlib.suppress(OSError):
            count += path.read_bytes().count(b"the wall clock stepped")
    return count


def _clock_step(soak: Soak) -> None:
    """The wall clock steps forward or back (the monotonic clock does not); the service must
    say it once and keep its deadlines (checked by the probes)."""
    steps = [s for s in STEPS if abs(soak.clock.offset + s) <= BOUND]
    before = clock_lines(soak.state)
    soak.clock.step(soak.rng.choice(steps))
    ask(soak.socket, {"op": "release", "channel": 3})  # a command right after the step
    deadline = time.monotonic() + 5
    while clock_lines(soak.state) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    if clock_lines(soak.state) != before + 1:
        said = clock_lines(soak.state) - before
        soak.failures.append(f"clock step of {soak.clock.offset:+.0f} s: said {said} times")


FAULTS: dict[str, Callable[[Soak], None]] = {
    "RTE error": _rte,
    "busy history store": _busy_history,
    "idle connection flood": _flood,
    "damaged event log": _event_log,
    "damaged state or cache file": _state_file,
    "socket garbage": _socket,
    "SIGHUP (reload, broken config)": _sighup,
    "SIGSTOP / SIGCONT": _sigstop,
    "SIGTERM and restart": _restart,
    "closed stdout": _stdout,
    "stdout not read": _stalled_stdout,
    "full disk": _full_disk,
    "wall-clock step": _clock_step,
}


# -- the run -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _disk(directory: Path) -> Iterator[Path | None]:
    """A 4 MB tmpfs for the state directory when running as root, else a plain directory."""
    mount = directory / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        yield None
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _saved(state: Path) -> dict[str, Any]:
    from tui.adapters.stores.state import StateStore

    overrides, history, problem = StateStore(state).load()
    return {"overrides": overrides, "history": history, "problem": problem}


def soak_run(seconds: float, seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    rng = random.Random(seed)
    notes: list[str] = []
    with scratch_dir("dsoak") as directory, _disk(directory) as disk, FakeRte() as rte:
        rte.sandbox_body = production_body(datetime.now(UTC).date())
        state = (disk or directory / "disk") / "state"
        config = directory / "delestage.toml"
        config.write_text(tomli_w.dumps(_config(state, rte.url)))
        clock = ClockSteps(directory / "faketime" if FAKETIME else None)
        soak = Soak(directory, state, config, rte, rng, disk, clock)
        faults = dict(FAULTS)
        if disk is None:
            del faults["full disk"]
            notes.append("full disk: not covered (needs root to mount a tmpfs)")
        if not FAKETIME:
            del faults["wall-clock step"]
            notes.append(
                "wall-clock step: not covered (needs libfaketime: apt-get install faketime)"
            )
        soak.start()
        # A command waits for the first fetch: on a loaded machine that can take over 5 s.
        long = {"op": "force", "channel": LONG, "powered": True, "seconds": 86400}
        ask(soak.socket, long, 30)
        monitor = threading.Thread(target=soak.monitor, daemon=True)
        monitor.start()
        began = time.monotonic()
        next_probe = began
        while time.monotonic() - began < seconds and sum(soak.injected.values()) < MAX_FAULTS:
            if time.monotonic() >= next_probe:
                with contextlib.suppress(OSError, ValueError, KeyError):
                    soak.probe()
                next_probe = time.monotonic() + PROBE_EVERY
            name = rng.choice(list(faults))
            if name == "SIGTERM and restart" and not soak.restart_is_safe():
                continue
            pid = soak.process.pid if soak.process else None
            soak.injected[name] += 1
            soak.detail = ""
            try:
                faults[name](soak)
            except Exception as error:  # the injection itself failing is the service's fault
                soak.failures.append(f"{name}: {error.__class__.__name__}: {error}")
            same = name == "SIGTERM and restart" or (soak.process and soak.process.pid == pid)
            if same and soak.wait_answering(5):
                soak.survived[name] += 1
            else:
                what = f" ({soak.detail})" if soak.detail else ""
                soak.failures.append(f"{name}{what}: the service did not answer within 5 s")
                if soak.process is None or soak.process.poll() is not None:
                    soak.start()  # carry on measuring the rest
            time.sleep(rng.uniform(0.2, 1.5))
        # Quiet end: let the last deadlines fall, then compare state across a restart.
        last = max((soak.ends(channel) for channel in soak.forced_until), default=0.0)
        time.sleep(max(0.0, min(last + TOLERANCE + 1 - time.monotonic(), 125)))
        soak._stop_monitor.set()
        monitor.join(5)
        before = ask(soak.socket, {"op": "snapshot"})["snapshot"]
        soak.stop()
        saved = _saved(state)
        soak.start()
        after = ask(soak.socket, {"op": "snapshot"})["snapshot"]
        soak.stop()
        lost = _lost(before, after, saved)
    missed = soak.missed()
    injected = sum(soak.injected.values())
    # The process that ran longest: the most faults between its start and its end.
    lives: dict[int, dict[str, int]] = {}
    for pid, name, kb in soak.memory:
        lives.setdefault(pid, {})[name] = kb
    whole = [life for life in lives.values() if "start VmRSS" in life and "end VmRSS" in life]
    whole.sort(key=lambda life: life["end at"] - life["start at"], reverse=True)
    survived = sum(soak.survived.values())
    figures = [
        figure("faults injected", [injected], "faults", None),
        figure("faults survived", [survived], "faults", injected, better="higher"),
        figure("relay deadlines checked", [len(soak.deadlines)], "deadlines", None),
        figure("relay deadlines missed", [len(missed)], "deadlines", 1),
        figure("relay deadlines not yet due at the end", [len(soak.not_due)], "deadlines", None),
        figure("relay deadlines not observed in time", [len(soak.unobserved)], "deadlines", None),
        figure("state lost", [len(lost)], "items", 1),
    ]
    if whole:
        life = whole[0]  # the longest-lived process
        notes.append(
            f"memory figures: the service process that ran longest, "
            f"{life['end at'] - life['start at']} s"
        )
        figures += [
            figure("resident memory at start", [life["start VmRSS"] / 1024], "MB", None),
            figure("resident memory at end", [life["end VmRSS"] / 1024], "MB", None),
            figure("peak resident memory", [life["end VmHWM"] / 1024], "MB", 200),
        ]
        notes.append(
            "resident memory (VmRSS at start -> end, peak) of each run of the service: "
            + "; ".join(
                f"{life['start VmRSS'] / 1024:.1f} -> {life['end VmRSS'] / 1024:.1f} MB, "
                f"peak {life.get('end VmHWM', 0) / 1024:.1f} MB"
                for life in whole
            )
        )
    if clock.stamp is not None:
        notes.append(f"wall-clock offset at the end: {clock.offset:+.0f} s")
    notes += [
        f"{name}: {soak.survived[name]}/{count} survived"
        for name, count in sorted(soak.injected.items())
    ]
    notes += [f"missed: {line}" for line in missed] + [f"lost: {line}" for line in lost]
    notes += [f"not observed in time: {line}" for line in soak.unobserved]
    notes += [f"failure: {line}" for line in soak.failures]
    return figures, notes


def _lost(before: dict[str, Any], after: dict[str, Any], saved: dict[str, Any]) -> list[str]:
    lost = []
    if saved["problem"]:
        lost.append(f"saved state unreadable: {saved['problem']}")
    for channel_before, channel_after in zip(before["channels"], after["channels"], strict=True):
        index = channel_before["index"]
        if channel_before["mode"] != channel_after["mode"] or (
            channel_before["until"] != channel_after["until"]
        ):
            lost.append(
                f"channel {index}: override {channel_before['mode']} "
                f"{channel_before['until']} became {channel_after['mode']} {channel_after['until']}"
            )
        if channel_before["mode"] == "forced" and index not in saved["overrides"]:
            lost.append(f"channel {index}: override missing from the saved state")
    if LONG not in saved["overrides"]:
        lost.append(f"channel {LONG}: the day-long override was lost")
    return lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak the headless service under faults.")
    parser.add_argument("--minutes", type=float, default=3.0, help="how long (default: 3)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    started = datetime.now().astimezone()
    print(f"soak: {args.minutes:g} min, seed {seed}", file=sys.stderr, flush=True)
    figures, notes = soak_run(args.minutes * 60, seed)
    print(f"date: {started:%Y-%m-%d %H:%M %z}; {args.minutes:g} min; seed {seed}")
    for line in table(figures, args.markdown):
        print(line)
    print()
    for line in notes:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
