"""A real Mosquitto broker on a free loopback port, and an independent client to watch it.

The broker runs from a generated configuration: anonymous, or with a password file (made by
mosquitto_passwd) and an ACL. It can be stopped and started again on the same port to prove
reconnection. The watcher is a plain paho-mqtt client, none of the project's code.
"""

import asyncio
import contextlib
import getpass
import os
import random
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho

from support.service import wait_for as wait_until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


# Brokers' ports: below the kernel's ephemeral range (32768-60999 by default), so no outgoing
# connection can take a port while its test has the broker stopped (a restart reuses it); one
# block per xdist worker, from a random place in it, so that workers (and two suites running
# side by side) do not race for the same port; never the same port twice in one process.
PORT_BLOCKS = range(20000, 32000, 1000)
_given: set[int] = set()


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    block = PORT_BLOCKS[int(worker) % len(PORT_BLOCKS) if worker.isdigit() else 0]
    offset = random.randrange(PORT_BLOCKS.step)
    for step in range(PORT_BLOCKS.step):
        port = block + (offset + step) % PORT_BLOCKS.step
        if port not in _given and _bindable(port):
            _given.add(port)
            return port
    raise RuntimeError(f"no free port in {block}-{block + PORT_BLOCKS.step - 1}")


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        try:
            probe.connect(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Mosquitto:
    def __init__(
        self,
        workdir: Path,
        users: dict[str, str] | None = None,
        acl: str | None = None,
        tls: bool = False,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.workdir = workdir
        self.extra = extra  # more configuration lines
        self.port = free_port()
        self.users = users or {}
        self.acl = acl
        self.tls = tls
        self.ca_file = workdir / "ca.pem"  # with tls: the CA that signed the broker's certificate
        self._tls_lines: list[str] = []
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "mosquitto.log"
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def _make_certificates(self) -> list[str]:
        """A throw-away CA, and a certificate it signs for 127.0.0.1 (openssl)."""
        d = self.workdir

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

        openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=delestage test CA",
        )
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        )
        (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        openssl(
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        )
        return [
            f"cafile {d / 'ca.pem'}",
            f"certfile {d / 'server.pem'}",
            f"keyfile {d / 'server.key'}",
        ]

    def _write_config(self) -> Path:
        # As root, mosquitto drops to the "mosquitto" user, who cannot read files in our
        # temporary directory; naming the current user keeps it as is (ignored when not root).
        # set_tcp_nodelay: without it each small packet the broker sends while one is unacked
        # waits for the client's delayed ACK (40 ms on loopback); the MQTT tests spent most of
        # their time there (test_mqtt_bridge + test_mqtt_service: 43.9 s, 13.3 s with it).
        # delestage does not rely on it: a user's broker with the default only answers later.
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence false",
            "set_tcp_nodelay true",
            "log_type all",
            f"user {getpass.getuser()}",
        ]
        if self.tls and not self.ca_file.exists():
            self._tls_lines = self._make_certificates()
        if self.tls:
            lines += self._tls_lines
        lines += self.extra
        if self.users:
            passwords = self.workdir / "passwd"
            passwords.write_text("")
            passwords.chmod(0o600)
            for user, password in self.users.items():
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", str(passwords), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        if self.acl is not None:
            acl = self.workdir / "acl"
            acl.write_text(self.acl)
            acl.chmod(0o600)
            lines.append(f"acl_file {acl}")
        config = self.workdir / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self) -> None:
        config = self._write_config()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(
            lambda: _answers(self.port) or self.process.poll() is not None,  # type: ignore[union-attr]
            what="mosquitto to listen",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"mosquitto did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass(frozen=True)
class Seen:
    topic: str
    payload: str
    retain: bool


class Watcher:
    """An independent paho client that records every message on the topics it watches."""

    def __init__(
        self,
        port: int,
        pattern: str = "#",
        username: str | None = None,
        password: str = "",
        ca_file: Path | None = None,
    ) -> None:
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        if ca_file is not None:
            self.client.tls_set(ca_certs=str(ca_file))
        if username:
            self.client.username_pw_set(username, password)
        self._subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_connect = lambda client, *_: client.subscribe(pattern, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.connect("127.0.0.1", port, keepalive=10)
        # Its publishes are timed by the benchmark: no Nagle delay behind its own PUBACKs.
        self.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise AssertionError(f"the watcher could not subscribe to {pattern}")

    def _on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.seen.append(
                Seen(message.topic, message.payload.decode("utf-8"), bool(message.retain))
            )

    def messages(self, topic: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.topic == topic]

    def last(self, topic: str) -> str | None:
        found = self.messages(topic)
        return found[-1].payload if found else None

    def wait_for(self, topic: str, predicate: Callable[[str], bool], seconds: float = 15) -> str:
        """The last message on ``topic`` that matches, waiting for one (blocking: for tests
        whose code under test runs in another process; async tests use ``arrival``)."""
        wait_until(
            lambda: any(predicate(seen.payload) for seen in self.messages(topic)),
            seconds,
            what=f"a matching message on {topic}",
        )
        return next(s.payload for s in reversed(self.messages(topic)) if predicate(s.payload))

    async def arrival(
        self, topic: str, predicate: Callable[[str], bool], seconds: float = 15
    ) -> str:
        await eventually(
            lambda: any(predicate(seen.payload) for seen in self.messages(topic)),
            seconds,
            what=f"a matching message on {topic}",
        )
        return next(s.payload for s in reversed(self.messages(topic)) if predicate(s.payload))

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self) -> None:
        # Disconnect first: it wakes the network thread, which then ends at once; stopped first,
        # the thread sleeps out its 1 s select() before it sees it should.
        self.client.disconnect()
        self.client.loop_stop()


def retained(port: int, pattern: str = "#", **login: str) -> dict[str, str]:
    """What a fresh subscriber is given: every retained message under ``pattern``.

    The broker sends them right after the SUBACK, in order, before anything published later on:
    a marker published after subscribing comes back after the last of them.
    """
    watcher = Watcher(port, "#", **login)
    marker = f"watcher/marker/{id(watcher)}"
    try:
        watcher.publish(marker, "end")
        wait_until(lambda: bool(watcher.messages(marker)), what="the marker")
        return {
            s.topic: s.payload
            for s in watcher.seen
            if s.retain and paho.topic_matches_sub(pattern, s.topic)
        }
    finally:
        watcher.close()


@contextlib.contextmanager
def watching(port: int, pattern: str = "#", **login: str) -> Iterator[Watcher]:
    watcher = Watcher(port, pattern, **login)
    try:
        yield watcher
    finally:
        watcher.close()


async def eventually(condition: Callable[[], bool], seconds: float = 15.0, what: str = "") -> None:
    """wait_until for async tests: polls without blocking the event loop the code under test
    runs on."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what or condition}")
