"""A fleet on one broker: N headless controllers (separate processes, simulated boards, demo
forecast, distinct node_ids) with [mqtt] on one local Mosquitto.

    python tests/benchmarks/mqtt_fleet_bench.py [--quick] [--nodes N] [--tmpfs]

Figures:
- set to relay: from publishing ``off`` on a channel's ``set`` topic (an independent paho client)
  to the controller's relay event, whose ``ts`` is taken right after the board moved the relay
  (same machine, same wall clock); one command at a time, round-robin over the fleet;
- idle broker rate: PUBLISH messages the broker receives from the fleet, per controller per
  minute, in a quiet window once every command has settled (MQTT keepalive pings, one a minute
  per connection, are not messages and are not counted);
- bridge memory: each fleet process's resident memory minus the median of the same controller
  without [mqtt] (a few baseline processes run first).
Reports, never gates. Not collected by pytest (no ``test_`` prefix).
"""

import contextlib
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from figures import delestage_command, figure, reap, scratch_dir, standalone  # noqa: E402
from mosquitto_support import Mosquitto, Watcher, wait_until  # noqa: E402

from tui.service.control_socket import socket_path  # noqa: E402

CHANNELS = 8
BASELINE = 5
STARTUP = 900.0  # seconds for a whole fleet to start on a loaded 2-core machine


def _config(directory: Path, node: str, url: str | None, state_root: Path | None = None) -> Path:
    """A controller whose eight channels are powered at start and cut at once when told."""
    channels = "".join(
        f'\n[[channel]]\nindex = {i}\nname = "Load {i}"\nwiring = "nc"\nshed_at = "never"\n'
        for i in range(CHANNELS)
    )
    mqtt = f'\n[mqtt]\nurl = "{url}"\nnode_id = "{node}"\n' if url else ""
    text = (
        f'[ecowatt]\nsource = "demo"\n\n[board]\nkind = "simulated"\n\n'
        f'[policy]\nmin_switch_gap = "0s"\nrestore_gap = "0s"\n\n'
        f'[service]\nstate_dir = "{(state_root or directory) / node / "state"}"\n'
        f"{mqtt}{channels}"
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "delestage.toml"
    path.write_text(text)
    return path


def _state_dir(config: Path) -> Path:
    return Path(tomllib.loads(config.read_text())["service"]["state_dir"])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@contextlib.contextmanager
def _services(configs: list[Path]) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = [
        subprocess.Popen(
            [*delestage_command(), "--headless", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for config in configs
    ]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            reap(process, 60)


def _sockets_up(configs: list[Path], processes: list[subprocess.Popen[bytes]]) -> None:
    last = [0.0]

    def up() -> bool:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a headless controller exited during start-up")
        ready = sum(socket_path(_state_dir(config)).exists() for config in configs)
        if time.monotonic() - last[0] > 10:
            last[0] = time.monotonic()
            print(f"  {ready} of {len(configs)} controllers started", file=sys.stderr)
        return ready == len(configs)

    wait_until(up, STARTUP, "every controller's control socket")


class _Relays:
    """Relay events from every node, as (node, channel) -> the event's time (epoch seconds)."""

    def __init__(self, watcher: Watcher) -> None:
        self.moved: dict[tuple[str, int], float] = {}
        self.lock = threading.Lock()
        self.watcher = watcher
        watcher.client.message_callback_add("delestage/+/events", self._on_event)

    def _on_event(self, client: object, userdata: object, message: Any) -> None:
        event = json.loads(message.payload)
        if event.get("kind") == "relay" and event.get("powered") is False:
            node = message.topic.split("/")[1]
            with self.lock:
                self.moved[(node, event["channel"])] = datetime.fromisoformat(
                    event["ts"]
                ).timestamp()


def run(quick: bool, nodes: int | None = None, tmpfs: bool = False) -> list[dict[str, Any]]:
    """``tmpfs``: state directories in /dev/shm, to tell the bridge's time from the disk's (the
    controller writes the override to disk, twice fsynced, before it moves the relay)."""
    count = nodes or (10 if quick else 50)
    window = 10.0 if quick else 60.0
    with scratch_dir("dlfleet") as scratch, contextlib.ExitStack() as stack:
        state_root = None
        if tmpfs:
            state_root = Path(stack.enter_context(tempfile.TemporaryDirectory(dir="/dev/shm")))
        # The watcher takes every message of the whole fleet's start-up at once: without a
        # limit on its queue the broker drops some of them for it (not for the controllers).
        # Nagle's algorithm on the broker's sockets, against delayed ACKs, holds a small
        # command back by up to 40 ms: docs/mqtt.md recommends set_tcp_nodelay, measured here.
        broker = Mosquitto(
            scratch / "broker", extra=("max_queued_messages 0", "set_tcp_nodelay true")
        )
        broker.start()
        try:
            baseline = [
                _config(scratch / f"base{i}", f"base{i}", None, state_root) for i in range(BASELINE)
            ]
            with _services(baseline) as processes:
                _sockets_up(baseline, processes)
                time.sleep(3)
                base_rss = statistics.median(_rss_mb(p.pid) for p in processes)

            names = [f"node{i:03d}" for i in range(count)]
            configs = [_config(scratch / name, name, broker.url, state_root) for name in names]
            watcher = Watcher(broker.port, "#")
            relays = _Relays(watcher)
            try:
                with _services(configs) as processes:
                    _sockets_up(configs, processes)

                    def online() -> int:
                        return sum(
                            watcher.last(f"delestage/{name}/availability") == "online"
                            for name in names
                        )

                    wait_until(lambda: online() == count, STARTUP, "every controller online")
                    time.sleep(3)  # let start-up publishing finish
                    added = [_rss_mb(p.pid) - base_rss for p in processes]

                    latencies = []
                    for channel in range(2 if quick else CHANNELS):
                        for name in names:
                            with relays.lock:  # only the move this command causes counts
                                relays.moved.pop((name, channel), None)
                            sent = time.time()
                            watcher.publish(f"delestage/{name}/channel/{channel}/set", "off")
                            wait_until(lambda n=name, c=channel: (n, c) in relays.moved, 30)
                            latencies.append((relays.moved[(name, channel)] - sent) * 1000)

                    time.sleep(5)  # the last states and statuses (at most one per second)
                    before = len(watcher.seen)
                    time.sleep(window)
                    idle = (len(watcher.seen) - before) / count / (window / 60)
            finally:
                watcher.close()
        finally:
            broker.stop()
    where = ", state on tmpfs" if tmpfs else ""
    return [
        figure(f"MQTT set to relay, {count} controllers{where}", latencies, "ms", 20.0),
        figure(
            f"MQTT set to relay, p99 over {count} controllers{where}",
            [statistics.quantiles(latencies, n=100)[98]],
            "ms",
            100.0,
        ),
        figure("idle broker messages per controller", [idle], "msg/min", 1.0),
        figure("memory added by the MQTT bridge", added, "MB", 10.0),
    ]


if __name__ == "__main__":
    if "--nodes" in sys.argv or "--tmpfs" in sys.argv:
        from figures import print_figures

        size = int(sys.argv[sys.argv.index("--nodes") + 1]) if "--nodes" in sys.argv else None
        print_figures(run("--quick" in sys.argv, size, "--tmpfs" in sys.argv))
    else:
        sys.exit(standalone(run, sys.argv))
