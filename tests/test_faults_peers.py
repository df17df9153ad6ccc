"""Fault suite (issue 20): every peer's input is bounded.

RTE's decoded body (a real gzip bomb from the fake RTE: about 1 MB on the wire, 1 GiB of zeros
once decoded), control-socket lines, MQTT messages and a serial line: each reader stops at its
bound (``tui.core.bounds``), says so in one line, and the service carries on. A body that
cannot be read counts as a call: the quota keeps the next one 15 minutes away.
"""

import asyncio
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.fake_rte import CLIENT_ID, CLIENT_SECRET, SIGNALS_PATH, FakeRte, gzip_bomb
from support.service import (
    RTE_ENV,
    config_document,
    delestage,
    run_cli,
    steady_forecast,
    wait_for,
    write_config,
)

from tui.adapters.clock import ManualClock
from tui.adapters.rte.source import RteSource
from tui.adapters.sources.factory import make_source
from tui.adapters.tempo.factory import make_tempo_source
from tui.core.bounds import MAX_MQTT_PACKET, MAX_RTE_BODY
from tui.core.config import ChannelConfig, Config, EcowattConfig, ShedAt, Source, TempoConfig

if TYPE_CHECKING:  # paho only for the tests that use it
    from support.mosquitto import Mosquitto, Watcher

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)  # 10:00 in Paris
MQTT_BASE = "delestage/maison"  # support.mqtt_bridge.BASE
ENVIRON = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def rte(clock: ManualClock) -> Iterator[FakeRte]:
    with FakeRte(clock=clock.now) as fake:
        yield fake


def rte_config(url: str) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="x", shed_at=ShedAt.ORANGE),),
        ecowatt=EcowattConfig(source=Source.RTE, base_url=url, timeout=timedelta(seconds=20)),
        tempo=TempoConfig(source=Source.RTE, base_url=url),
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_the_bomb_is_what_the_issue_says() -> None:
    bomb = gzip_bomb()
    assert 900_000 < len(bomb) < 1_200_000  # about a megabyte on the wire


@pytest.mark.parametrize("api", ["signals", "tempo"])
async def test_a_gzip_bomb_is_refused_within_a_megabyte_and_counts_as_a_call(
    rte: FakeRte, clock: ManualClock, tmp_path: Path, api: str
) -> None:
    gzip_bomb()  # built before measuring: the test's own gigabyte is not the client's
    make = make_source if api == "signals" else make_tempo_source
    source = make(rte_config(rte.url), tmp_path, environ=ENVIRON)
    assert isinstance(source, RteSource)
    source._rng = random.Random(1)
    try:
        good = (await source.refresh(clock.now())).data
        assert good is not None
        clock.advance(1800)
        (rte.fail_next if api == "signals" else rte.fail_next_tempo)("gzip-bomb")
        before = peak_rss_mib()
        result = await source.refresh(clock.now())
        grown = peak_rss_mib() - before
        assert result.called and result.data is None and result.error is not None
        assert f"larger than {MAX_RTE_BODY // 1024} kB" in result.error, result.error
        assert "\n" not in result.error and "keeping the" in result.error
        assert source.last == good
        # Decoded a bounded piece at a time: far below the gigabyte (and httpx's 64 MB steps).
        assert grown < 48, f"peak resident memory grew by {grown:.0f} MiB"
        # Not a tight loop: the next call is a quota interval away, for this process and any
        # other (a restarted one) reading the shared quota file.
        assert source.next_refresh(clock.now()) >= clock.now() + timedelta(minutes=15)
        again = make(rte_config(rte.url), tmp_path, environ=ENVIRON)
        assert again.next_refresh(clock.now()) >= clock.now() + timedelta(minutes=14)
        await again.aclose()
    finally:
        await source.aclose()


def test_the_service_survives_a_gzip_bomb_in_little_memory(tmp_path: Path) -> None:
    """The whole service against the bomb at its first fetch: it says so in one event, its
    peak resident memory stays far below the gigabyte (VmHWM), and it keeps answering."""
    gzip_bomb()
    state = tmp_path / "state"
    with FakeRte() as rte:
        rte.fail_next("gzip-bomb")
        document = config_document(state, source="rte", base_url=rte.url)
        document["ecowatt"]["timeout"] = "30s"
        config = write_config(tmp_path / "delestage.toml", document)
        service = delestage("--headless", "--config", str(config), env=RTE_ENV)
        try:

            def said() -> list[dict[str, object]]:
                log = state / "events.jsonl"
                lines = log.read_text().splitlines() if log.exists() else []
                return [
                    event
                    for event in map(json.loads, lines)
                    if event.get("what") == "forecast" and "larger than" in str(event)
                ]

            wait_for(lambda: service.poll() is not None or bool(said()), 60, what="the refusal")
            assert service.poll() is None, service.communicate()
            peak = next(
                int(line.split()[1])
                for line in Path(f"/proc/{service.pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:")
            )
            assert peak < 200 * 1024, f"peak resident {peak // 1024} MiB"
            assert rte.arrivals(SIGNALS_PATH) == 1
            status = run_cli("status", "--json", "--config", str(config))
            assert status.returncode == 0, status.stderr
        finally:
            service.terminate()
            _, err = service.communicate(timeout=30)
    assert "Traceback" not in err


# -- a stdout closed at start ------------------------------------------------------------------


def test_headless_with_stdout_closed_at_start_runs(tmp_path: Path) -> None:
    """`delestage --headless >&-`, as some supervisors start services: it once failed on
    ``None.isatty()``. It runs, answers, and nothing meant for stdout lands in a file that
    took descriptor 1 (the lock, the event log)."""
    state = tmp_path / "state"
    document = config_document(state, min_switch_gap="0s")
    document["ecowatt"] = steady_forecast(tmp_path)
    config = write_config(tmp_path / "delestage.toml", document)
    # Without a preload library (the faketime runs have one): libfaketime opens its shared
    # clock at load, before the interpreter, and would take descriptor 1 and be written to.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME_SHARED")}
    service = subprocess.Popen(
        [sys.executable, "-m", "tui", "--headless", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),
    )
    try:
        wait_for(
            lambda: (
                service.poll() is not None
                or run_cli("status", "--config", str(config)).returncode == 0
            ),
            30,
            what="the service to answer",
        )
        assert service.poll() is None, service.communicate()
        forced = run_cli("force", "Borne VE", "off", "--for", "1h", "--config", str(config))
        assert forced.returncode == 0, forced.stderr
        assert (state / "delestage.pid").read_text().strip() == str(service.pid)
    finally:
        service.terminate()
        _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err
    assert "Traceback" not in err and "stdout is closed" in err
    for line in (state / "events.jsonl").read_text().splitlines():
        json.loads(line)  # every line an event: no printed line slipped in


def test_a_command_with_stdout_closed_at_start_runs_and_says_so(tmp_path: Path) -> None:
    # `delestage plan >&-` from a cron job: a traceback on None.write before; now the command
    # runs (its exit status tells), its output goes nowhere and stderr says so in one line.
    document = config_document(tmp_path / "state")
    document["ecowatt"] = steady_forecast(tmp_path)
    config = write_config(tmp_path / "delestage.toml", document)
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME_SHARED")}
    plan = ["plan", "--from", "2026-12-02T12:00", "--hours", "2"]  # inside the steady forecast
    for command, code in ((plan, 0), (["status"], 1)):  # status: no service answers
        done = subprocess.run(
            [sys.executable, "-m", "tui", *command, "--config", str(config), "--lang", "en"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: os.close(1),
            timeout=60,
        )
        assert done.returncode == code, (command, done.stderr)
        first, *_ = done.stderr.splitlines()
        assert first == f"delestage {command[0]}: standard output is closed: its output is dropped"
        assert "Traceback" not in done.stderr


# -- the control socket: a cap, an idle timeout, the owner's place, EMFILE said once ------------

# A control socket alone, in a process whose descriptor limit is tiny and with no cap of its
# own: the kernel's limit is what the flood meets. It serves until its stdin closes.
BARE_SOCKET = (
    "import asyncio, resource, sys\n"
    "from pathlib import Path\n"
    "from tui.service.control_socket import ControlServer\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))\n"
    "async def main():\n"
    "    server = ControlServer(None, Path(sys.argv[1]), max_clients=100000)\n"
    "    await server.start()\n"
    "    print('ready', flush=True)\n"
    "    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)\n"
    "    await server.close()\n"
    "asyncio.run(main())\n"
)


def _connect_many(path: Path, count: int) -> list[socket.socket]:
    clients = []
    for _ in range(count):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.setblocking(False)
        for _ in range(500):  # a full backlog: wait (bounded) for the server to accept
            try:
                client.connect(str(path))
                break
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:
                client.close()
                return clients
        else:
            client.close()
            return clients
        clients.append(client)
    return clients


def test_an_exhausted_accept_is_said_once_never_a_traceback_flood(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"
    server = subprocess.Popen(
        [sys.executable, "-c", BARE_SOCKET, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline() == "ready\n"
        clients = _connect_many(path, 100)  # the backlog queues what the server cannot take
        assert len(clients) > 40
        # asyncio retries the accept every second; a few rounds of it.
        wait_for(lambda: server.poll() is not None or _said_exhausted(server), 10, what="EMFILE")
        time_spent = _rounds(server, 3)
        for client in clients:
            client.close()
    finally:
        _, err = server.communicate(timeout=30)
    assert time_spent
    lines = [line for line in err.splitlines() if line.strip()]
    exhausted = [line for line in lines if "cannot accept connections" in line]
    assert len(exhausted) == 1, lines[:20]
    assert "Too many open files" in exhausted[0]
    assert "Traceback" not in err and len(lines) <= 3, lines[:20]


_STDERR: dict[int, list[str]] = {}


def _said_exhausted(server: subprocess.Popen[str]) -> bool:
    # stderr is read at the end; meanwhile, the accept failures take a moment to begin.
    return _rounds(server, 1)


def _rounds(server: subprocess.Popen[str], seconds: float) -> bool:
    """Let the server meet its limit for ``seconds`` of its retries (a bounded wait)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if server.poll() is not None:
            return False
        time.sleep(0.1)
    return True


def test_the_service_at_a_low_descriptor_limit_survives_a_flood_of_idle_connections(
    tmp_path: Path,
) -> None:
    """The service at `ulimit -n 256` and 600 connections that never send a thing: status,
    force and a reload still work (the owner takes an idle connection's place), descriptors
    stay bounded (never "Too many open files"), and stderr has no traceback."""
    state = tmp_path / "state"
    document = config_document(state, min_switch_gap="0s")
    document["ecowatt"] = steady_forecast(tmp_path)
    config = write_config(tmp_path / "delestage.toml", document)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1024 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))  # room for our own clients
    service = delestage("--headless", "--config", str(config), preexec_fn=limited)
    try:
        wait_for(
            lambda: (
                service.poll() is not None
                or run_cli("status", "--config", str(config)).returncode == 0
            ),
            30,
            what="the service to answer",
        )
        sock = state / "control.sock"
        clients = _connect_many(sock, 600)
        assert len(clients) >= 500
        status = run_cli("status", "--json", "--config", str(config))
        assert status.returncode == 0, status.stderr
        forced = run_cli("force", "Borne VE", "off", "--for", "1h", "--config", str(config))
        assert forced.returncode == 0, forced.stderr
        descriptors = len(os.listdir(f"/proc/{service.pid}/fd"))
        assert descriptors < 256 // 4 + 64, descriptors
        service.send_signal(signal.SIGHUP)
        wait_for(
            lambda: '"kind":"reload"' in (state / "events.jsonl").read_text(), 15, what="reload"
        )
        assert "Too many open files" not in (state / "events.jsonl").read_text()
        for client in clients:
            client.close()
    finally:
        service.terminate()
        _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err
    assert "Traceback" not in err and "Too many open files" not in err, err[-2000:]


async def test_idle_connections_are_closed_and_others_refused_past_the_cap(
    state_dir: Path,
) -> None:
    from support.service import make_config, make_controller, running

    from tui.service.control_socket import ControlServer, socket_path

    clock = ManualClock(T0)
    controller, _ = make_controller(make_config(state_dir), clock)
    async with running(controller):
        server = ControlServer(controller, socket_path(state_dir), max_clients=3, idle_timeout=0.3)
        await server.start()
        try:
            path = str(socket_path(state_dir))
            # Idle connections are dropped after the timeout: the server ends them.
            reader, writer = await asyncio.open_unix_connection(path)
            assert await asyncio.wait_for(reader.read(), 5) == b""
            writer.close()
            # Another user (as SO_PEERCRED would say) is refused once only the last place,
            # the owner's, is left; the owner gets in by taking an idle one's place.
            held = [await asyncio.open_unix_connection(path) for _ in range(2)]
            await asyncio.sleep(0.05)
            server.idle_timeout = 30
            import tui.service.control_socket as control_socket

            real = control_socket.peer_uid
            control_socket.peer_uid = lambda _writer: os.geteuid() + 1  # type: ignore[assignment]
            try:
                reader, writer = await asyncio.open_unix_connection(path)
                refused = json.loads(await asyncio.wait_for(reader.readline(), 5))
                assert refused["ok"] is False and "too many connections (3)" in refused["error"]
                writer.close()
            finally:
                control_socket.peer_uid = real
            assert server.refused == 1
            reader, writer = await asyncio.open_unix_connection(path)
            writer.write(b'{"op": "snapshot"}\n')
            reply = json.loads(await asyncio.wait_for(reader.readline(), 5))
            assert reply["ok"] is True
            writer.close()
            for _, other in held:
                other.close()
        finally:
            await server.close()


# -- MQTT: retained commands, clearing them, the index's one form, a payload past the bound ------


async def _round_trip(watcher: "Watcher") -> int:
    """Publish a refused command on channel 0 and wait for its error: everything the bridge was
    sent before it has been handled by then. Returns the errors seen so far."""
    before = len(watcher.messages(f"{MQTT_BASE}/error"))
    watcher.publish(f"{MQTT_BASE}/channel/0/set", f"marker-{before}")
    await watcher.arrival(f"{MQTT_BASE}/error", lambda text: f"marker-{before}" in text)
    return len(watcher.messages(f"{MQTT_BASE}/error"))


async def test_a_retained_command_published_live_is_refused_and_its_clearing_is_silent(
    tmp_path: Path, broker: "Mosquitto"
) -> None:
    from support.mosquitto import watching
    from support.mqtt_bridge import bridged, connected, mqtt_config

    with watching(broker.port, f"{MQTT_BASE}/#") as watcher:
        async with bridged(mqtt_config(tmp_path, broker.url)) as (controller, _, bridge):
            await connected(bridge)
            topic = f"{MQTT_BASE}/channel/3/set"
            watcher.publish(topic, "off", retain=True)  # while the bridge is connected
            reply = await watcher.arrival(f"{MQTT_BASE}/error", lambda text: "retained" in text)
            assert json.loads(reply)["topic"] == topic
            assert 3 not in controller.overrides
            # Clearing it (an empty retained payload) is neither obeyed nor answered.
            watcher.publish(topic, "", retain=True)
            errors = await _round_trip(watcher)
            assert errors == 2  # the retained command's, the marker's: none for the clearing
            assert 3 not in controller.overrides
            # A command received live (unretained) is obeyed.
            watcher.publish(topic, "off")
            await wait_async(lambda: 3 in controller.overrides, "the live command")
            assert controller.overrides[3].powered is False


async def test_a_channel_index_with_a_leading_zero_is_refused(
    tmp_path: Path, broker: "Mosquitto"
) -> None:
    from support.mosquitto import watching
    from support.mqtt_bridge import bridged, connected, mqtt_config

    with watching(broker.port, f"{MQTT_BASE}/#") as watcher:
        async with bridged(mqtt_config(tmp_path, broker.url)) as (controller, _, bridge):
            await connected(bridge)
            topic = f"{MQTT_BASE}/channel/01/set"
            watcher.publish(topic, "off")
            reply = await watcher.arrival(f"{MQTT_BASE}/error", lambda text: topic in text)
            assert "no leading zero" in json.loads(reply)["error"]
            assert controller.overrides == {}


async def test_an_mqtt_message_past_the_bound_never_reaches_the_bridge(
    tmp_path: Path, broker: "Mosquitto"
) -> None:
    """MQTT 5's Maximum Packet Size: the broker drops what is larger for this client, so a
    flood of big payloads is never held in the service's memory (nor answered)."""
    from support.mosquitto import watching
    from support.mqtt_bridge import bridged, connected, mqtt_config

    with watching(broker.port, f"{MQTT_BASE}/#") as watcher:
        async with bridged(mqtt_config(tmp_path, broker.url)) as (controller, _, bridge):
            await connected(bridge)
            big = "x" * (MAX_MQTT_PACKET + 1000)
            for _ in range(20):
                watcher.publish(f"{MQTT_BASE}/channel/3/set", big)
            assert await _round_trip(watcher) == 1  # only the marker's error
            watcher.publish(f"{MQTT_BASE}/channel/3/set", "off")
            await wait_async(lambda: 3 in controller.overrides, "a command after the flood")
            assert bridge.connections == 1  # never dropped for it


@pytest.mark.parametrize("version", ["5", "3.1.1"])
async def test_the_connection_drops_a_message_past_the_bound_under_either_protocol(
    broker: "Mosquitto", version: str
) -> None:
    """MQTT 3.1.1 has no Maximum Packet Size: the broker sends a 10 MB message whole, and the
    session handed it over (to the bridge, to the meter's payload reader). Dropped in the
    adapter now, said once per streak; under MQTT 5 the broker drops it before."""
    from support.mosquitto import watching

    from tui.adapters.mqtt.client import AiomqttConnector

    said: list[str] = []
    connector = AiomqttConnector(broker.url, client_id=f"oversized-{version}", report=said.append)
    connector._v5 = version == "5"  # as after a broker refused MQTT 5: the 3.1.1 fallback
    big = "x" * (10 * 1024 * 1024)
    seen: list[bytes] = []
    with watching(broker.port, "nothing/#") as publisher:
        async with connector.session(None) as session:
            await session.subscribe("meter/#")

            async def read() -> None:
                async for message in session.messages():
                    seen.append(message.payload)
                    if message.payload == b"end":
                        return

            reading = asyncio.create_task(read())
            for payload in (big, big, big, "small", big, "end"):
                publisher.publish("meter/power", payload)
            await asyncio.wait_for(reading, 30)
    assert seen == [b"small", b"end"]
    if version == "3.1.1":
        assert connector.oversized.count == 4
        assert len(said) == 2, said  # one per streak: the three, then the one
        assert "larger than 64 kB" in said[0] and "'meter/power'" in said[0]
        assert str(10 * 1024 * 1024 + len("meter/power")) in said[0]
    else:
        assert connector.oversized.count == 0 and said == []  # the broker dropped them


async def test_the_bridge_says_a_dropped_message_in_the_event_log(
    tmp_path: Path, broker: "Mosquitto"
) -> None:
    from support.mqtt_bridge import bridged, connected, mqtt_config

    async with bridged(mqtt_config(tmp_path, broker.url)) as (controller, _, bridge):
        await connected(bridge)
        oversized = bridge.connector.oversized  # type: ignore[attr-defined]
        oversized.passes("delestage/maison/channel/3/set", b"x" * (MAX_MQTT_PACKET + 1))
        errors = [e for e in controller.events.recent if e.kind == "error"]
        assert any(
            getattr(e, "what", "") == "mqtt" and "larger than 64 kB" in e.message for e in errors
        ), errors


async def wait_async(condition: Callable[[], bool], what: str) -> None:
    from support.mosquitto import eventually

    await eventually(condition, what=what)


async def test_a_subscriber_that_never_reads_is_cut_off_not_buffered(state_dir: Path) -> None:
    from support.service import make_config, make_controller, running

    from tui.service.control_socket import ControlServer, socket_path

    clock = ManualClock(T0)
    controller, _ = make_controller(make_config(state_dir), clock)
    async with running(controller):
        server = ControlServer(controller, socket_path(state_dir), slow_subscriber=0.5)
        await server.start()
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once
            sock.connect(str(socket_path(state_dir)))
            sock.sendall(b'{"op": "subscribe"}\n')  # and never reads
            await wait_async(lambda: controller.events.subscribers == 1, "the subscription")
            for round_ in range(80):  # fewer updates than MAX_BACKLOG, more than the buffers
                await controller.force(1, round_ % 2 == 0, duration=timedelta(hours=1))
                if controller.events.subscribers == 0:
                    break
                await asyncio.sleep(0.01)
            await wait_async(lambda: controller.events.subscribers == 0, "the cut-off")
            sock.close()
        finally:
            await server.close()


async def test_a_client_waits_for_a_full_listen_queue_instead_of_failing() -> None:
    """A flood fills the socket's listen queue: a non-blocking connect gets EAGAIN, which
    asyncio alone turns into an unconnected socket. The client waits for a place instead."""
    import tempfile
    import threading

    from tui.service.remote import _connect

    with tempfile.TemporaryDirectory(dir="/tmp") as directory:
        path = Path(directory) / "c.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(1)
        queued = []
        while True:  # fill the queue: connect until the first EAGAIN
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.setblocking(False)
            try:
                client.connect(str(path))
            except BlockingIOError:
                client.close()
                break
            queued.append(client)
        assert queued
        accepted: list[socket.socket] = []

        def accept_late() -> None:
            time.sleep(0.3)  # not threading.Timer: its timed wait never ends under libfaketime
            accepted.append(listener.accept()[0])

        late = threading.Thread(target=accept_late)
        late.start()
        sock = await asyncio.wait_for(_connect(path), 5)
        assert sock.getpeername() == str(path)
        late.join()
        for item in [sock, listener, *queued, *accepted]:
            item.close()


def test_the_simulated_board_keeps_a_bounded_record() -> None:
    from tui.adapters.boards.simulated import MAX_RECORDED, SimulatedBoard

    clock = ManualClock(T0)
    board = SimulatedBoard([0], clock)
    board.open(lambda _event: None)
    for step in range(MAX_RECORDED + 500):
        clock.advance(10)
        board.set_relay(0, step % 2 == 0)
    assert len(board.transitions) == MAX_RECORDED
    assert board.transitions[-1].energised is ((MAX_RECORDED + 499) % 2 == 0)
    assert len(board.io_threads) <= MAX_RECORDED


# -- the control socket at start: up during the first fetch, tried again when it failed ---------


def test_status_during_the_first_fetch_finds_the_service(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with FakeRte(slow_seconds=8) as rte:
        rte.fail_next("slow")
        document = config_document(state, source="rte", base_url=rte.url)
        document["ecowatt"]["timeout"] = "20s"
        config = write_config(tmp_path / "delestage.toml", document)
        service = delestage("--headless", "--config", str(config), env=RTE_ENV)
        try:
            wait_for(lambda: rte.arrivals(SIGNALS_PATH) >= 1, 30, what="the first fetch")
            status = run_cli("status", "--json", "--config", str(config))
            assert rte.count(SIGNALS_PATH) == 0, "the fetch had ended: nothing was shown"
            assert status.returncode == 0, status.stderr
            assert json.loads(status.stdout)["pid"] == service.pid
        finally:
            service.terminate()
            _, err = service.communicate(timeout=30)
    assert "Traceback" not in err


def test_a_control_socket_that_failed_at_start_is_tried_again(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "control.sock").mkdir()  # where the socket belongs: it cannot be made
    document = config_document(state, min_switch_gap="0s")
    document["ecowatt"] = steady_forecast(tmp_path)
    config = write_config(tmp_path / "delestage.toml", document)
    service = delestage("--headless", "--config", str(config))
    try:

        def said(text: str) -> bool:
            log = state / "events.jsonl"
            return log.exists() and text in log.read_text()

        wait_for(lambda: service.poll() is not None or said("running without it"), 30)
        assert service.poll() is None, service.communicate()
        assert run_cli("status", "--config", str(config)).returncode == 1
        (state / "control.sock").rmdir()  # the cause goes away
        wait_for(lambda: said("the control socket works again"), 30, what="the retry")
        status = run_cli("status", "--json", "--config", str(config))
        assert status.returncode == 0, status.stderr
    finally:
        service.terminate()
        _, err = service.communicate(timeout=30)
    assert "Traceback" not in err
    socket_lines = [
        line
        for line in (state / "events.jsonl").read_text().splitlines()
        if '"what":"socket"' in line
    ]
    assert len(socket_lines) == 2, socket_lines  # said once, then once recovered
