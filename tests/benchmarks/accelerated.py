"""Memory under an accelerated clock: a headless service whose wall clock runs 60 times fast.

    python tests/benchmarks/accelerated.py [--minutes 20] [--speed 60] [--markdown]

Not a test: it runs for minutes on a real clock and asserts nothing. It starts
``delestage --headless`` on the demo configuration (every delay as shipped) with libfaketime
preloaded (``FAKETIME="+0 x60"``, monotonic left real, as ``test_clock_faketime.py`` does), so
20 minutes are 20 hours of the service's day: the demo forecast's strained hours, Tempo, the
overrides' ends, the history store's writes, the event log's rotation. Beside it:

- a real Mosquitto and the service's MQTT bridge, with a client that forces a channel on and
  off through ``channel/N/set`` every 2 s and reads everything the bridge publishes;
- a control-socket client that asks a snapshot twice a second and forces and releases a
  channel every 5 s, and a subscriber that follows the updates;

and it samples the service's resident memory (VmRSS) every 10 s. It prints the resident size
after the warm-up (the first ``WARMUP`` seconds), at the end, the highest and lowest after the
warm-up, and the growth, for docs/reliability.md. Needs Debian's ``faketime`` and ``mosquitto``.
"""

import argparse
import asyncio
import contextlib
import glob
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from figures import REPO, delestage_command, demo_config, figure, reap, scratch_dir, table

sys.path.insert(0, str(REPO / "tests"))

from support.mosquitto import Mosquitto, watching

from tui.service.remote import connect

WARMUP = 120.0  # seconds before the first counted sample: imports, first fetch, caches filled
SAMPLE_EVERY = 10.0


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def socket_load(state_dir: Path, stop: threading.Event, counts: dict[str, int]) -> None:
    link = None
    for _ in range(200):
        link = await connect(state_dir, 5)
        if link is not None:
            break
        await asyncio.sleep(0.1)
    if link is None:
        raise RuntimeError("the control socket never answered")

    async def follow() -> None:
        async for _update in link.updates():
            counts["updates"] += 1
            if stop.is_set():
                return

    follower = asyncio.create_task(follow())
    tick = 0
    while not stop.is_set():
        began = time.monotonic()
        try:
            await link.snapshot()
        except Exception as error:  # counted and said: a slow answer is a finding, not an end
            counts["unanswered"] += 1
            print(
                f"snapshot unanswered ({error.__class__.__name__}) after "
                f"{time.monotonic() - began:.1f} s",
                file=sys.stderr,
            )
            continue
        counts["slowest_ms"] = max(counts["slowest_ms"], round((time.monotonic() - began) * 1000))
        counts["snapshots"] += 1
        tick += 1
        if tick % 10 == 0:
            with contextlib.suppress(Exception):  # a refused force is an answer, not a failure
                await link.force(5, tick % 20 == 0)
                await link.release(5)
                counts["forces"] += 1
        await asyncio.sleep(0.5)
    follower.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await follower
    await link.close()


def run(minutes: float, speed: int) -> list[dict[str, object]]:
    libraries = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not libraries:
        raise RuntimeError("libfaketime is not installed (apt-get install faketime)")
    with scratch_dir("dlaccel-") as work:
        broker = Mosquitto(work / "broker")
        broker.start()
        try:
            config = demo_config(work, work / "state")
            text = config.read_text() + f'\n[mqtt]\nurl = "{broker.url}"\nnode_id = "accel"\n'
            config.write_text(text)
            env = {
                **os.environ,
                "LD_PRELOAD": libraries[0],
                "FAKETIME": f"+0 x{speed}",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            }
            log_path = work / "service.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [*delestage_command(), "--headless", "--config", str(config)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            stop = threading.Event()
            counts = {
                "snapshots": 0,
                "unanswered": 0,
                "slowest_ms": 0,
                "forces": 0,
                "updates": 0,
                "mqtt_sets": 0,
                "mqtt_seen": 0,
            }
            loader = threading.Thread(
                target=lambda: asyncio.run(socket_load(work / "state", stop, counts)), daemon=True
            )
            samples: list[tuple[float, int]] = []
            began = time.monotonic()
            try:
                loader.start()
                with watching(broker.port, "delestage/#") as watcher:
                    end = began + minutes * 60
                    next_sample = began
                    tick = 0
                    while time.monotonic() < end:
                        if process.poll() is not None:
                            raise RuntimeError(f"the service ended ({process.returncode})")
                        now = time.monotonic()
                        if now >= next_sample:
                            samples.append((now - began, resident_kib(process.pid)))
                            next_sample += SAMPLE_EVERY
                        command = "off" if tick % 2 else "on"
                        watcher.publish("delestage/accel/channel/6/set", command)
                        counts["mqtt_sets"] += 1
                        tick += 1
                        time.sleep(2)
                    counts["mqtt_seen"] = sum(
                        not seen.topic.endswith("/set") for seen in list(watcher.seen)
                    )
            finally:
                stop.set()
                loader.join(10)
                process.send_signal(signal.SIGTERM)
                reap(process, 20)
                lines = log_path.read_bytes().decode(errors="replace").splitlines()
                events = work / "state" / "events.jsonl"
                logged = events.read_text().splitlines() if events.exists() else []
                stamps = (
                    [json.loads(line)["ts"] for line in (logged[0], logged[-1])] if logged else []
                )
                overrides = {channel: 0 for channel in (5, 6)}
                for line in logged:
                    event = json.loads(line)
                    if event.get("kind") == "override" and event.get("channel") in overrides:
                        overrides[event["channel"]] += 1
        finally:
            broker.stop()
    counted = [kib for at, kib in samples if at >= WARMUP]
    if not counted:
        raise RuntimeError("the run ended before the warm-up did")
    print(
        f"{len(samples)} samples over {minutes:g} min at x{speed} "
        f"({minutes * speed / 60:g} h of service time); socket: {counts['snapshots']} "
        f"snapshots (slowest {counts['slowest_ms']} ms, {counts['unanswered']} unanswered in 5 s), "
        f"{counts['forces']} force+release, {counts['updates']} updates followed; "
        f"MQTT: {counts['mqtt_sets']} commands sent, {counts['mqtt_seen']} messages seen; "
        f"{len(lines)} log lines; override events in the log: {overrides[5]} from the socket "
        f"(channel 5), {overrides[6]} from MQTT (channel 6)",
        file=sys.stderr,
    )
    if stamps:  # the service's own clock, read off its first and last event
        first, last = (datetime.fromisoformat(stamp) for stamp in stamps)
        print(
            f"the service's clock advanced {(last - first) / timedelta(hours=1):.1f} h",
            file=sys.stderr,
        )
    mib = [kib / 1024 for kib in counted]
    return [
        figure("resident after warm-up", [mib[0]], "MB", None),
        figure("resident at the end", [mib[-1]], "MB", None),
        figure("highest after warm-up", [max(mib)], "MB", None),
        figure("growth after warm-up (end - first)", [mib[-1] - mib[0]], "MB", 5.0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--speed", type=int, default=60)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    for line in table(run(args.minutes, args.speed), args.markdown):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
