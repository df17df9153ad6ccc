"""The real broker through aiomqtt: a ``MqttConnector`` (``tui.adapters.mqtt.base``) for a URL.

Also what reaching it takes: the broker address from the URL, the password (file or
environment) and the [mqtt] paths. Every failure comes out as one ``BrokerError`` whose text
says what happened in words and never holds the password.
"""

import asyncio
import contextlib
import logging
import os
import re
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a session opens: a service without [mqtt] never loads it
    import aiomqtt

from tui.adapters.config_file import home_dir
from tui.adapters.mqtt.base import BrokerError, Message, MqttSession, Will
from tui.adapters.user_files import read_private_file
from tui.core.bounds import MAX_MQTT_PACKET
from tui.core.config import MqttConfig
from tui.core.i18n import _
from tui.core.paths import resolve_path

log = logging.getLogger(__name__)

PASSWORD_ENV = "DELESTAGE_MQTT_PASSWORD"
CONNECT_TIMEOUT = 10.0
KEEPALIVE = 60  # seconds: one ping a minute; a silent dead broker is noticed within 90 s
# Messages received and not yet read by the bridge: beyond this a flood is dropped by aiomqtt
# (with a warning), never queued without end.
MAX_QUEUED_IN = 1000


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> "BrokerAddress":
        """From a URL the configuration has already validated (``mqtts://[::1]:8883``)."""
        scheme, _, rest = url.partition("://")
        tls = scheme == "mqtts"
        match = re.fullmatch(r"\[?([^\[\]]+?)\]?(?::(\d+))?/?", rest)
        if match is None:
            raise BrokerError(f"{url}: not a broker URL")
        port = int(match.group(2)) if match.group(2) else (8883 if tls else 1883)
        return cls(match.group(1), port, tls)


def mqtt_path(value: str, base: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """A path of [mqtt] (``password_file``, ``ca_file``) as ``core.paths`` resolves it, relative
    to ``base``, the configuration file's folder (None: the current directory)."""
    folder = str(base) if base is not None else ""
    return Path(resolve_path(value, folder, home_dir(environ)))


def read_password(
    mqtt: MqttConfig, environ: Mapping[str, str] | None = None, base: Path | None = None
) -> tuple[str | None, str]:
    """(password or None, where it came from), from ``password_file`` or the environment.

    Like the Ecowatt credentials file, a password file readable by group or others is refused.
    A relative ``password_file`` is relative to ``base``, the configuration file's folder.
    """
    env = os.environ if environ is None else environ
    if mqtt.password_file:
        path = mqtt_path(mqtt.password_file, base, env)
        text = read_private_file(path, "MQTT password file", BrokerError)
        return text.strip("\r\n"), str(path)
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV], f"${PASSWORD_ENV}"
    return None, "none"


def _log_warning(text: str) -> None:
    log.warning("%s", text)


class Oversized:
    """Messages past MAX_MQTT_PACKET, dropped by the adapter whatever the protocol version:
    MQTT 5's Maximum Packet Size has the broker drop them, but an MQTT 3.1.1 broker sends them
    all the same. Said once per streak (the first of a run of them), counted, never kept."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self.report = report
        self.count = 0
        self._streak = False

    def passes(self, topic: str, payload: bytes) -> bool:
        size = len(topic.encode(errors="replace")) + len(payload)
        if size <= MAX_MQTT_PACKET:
            self._streak = False
            return True
        self.count += 1
        if not self._streak:
            self._streak = True
            self.report(
                _(
                    "MQTT: a message on {topic} dropped: {size} bytes, larger than {limit} kB "
                    "(said once until a message of normal size arrives)"
                ).format(topic=ascii(topic[:80]), size=size, limit=MAX_MQTT_PACKET // 1024)
            )
        return False


class _AiomqttSession:
    def __init__(self, client: "aiomqtt.Client", v5: bool, oversized: Oversized) -> None:
        import aiomqtt

        self._client = client
        self._error = aiomqtt.MqttError
        self._v5 = v5
        self._oversized = oversized

    async def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        try:
            await self._client.publish(topic, payload, qos=1 if retain else 0, retain=retain)
        except self._error as error:
            raise BrokerError(f"publish failed ({error})") from None

    async def subscribe(self, pattern: str) -> None:
        try:
            if self._v5:
                from paho.mqtt.subscribeoptions import SubscribeOptions

                # Retain as published: a retained command published while we are connected
                # arrives flagged as retained (MQTT 3.1.1 clears the flag on live delivery),
                # so that it is refused like one replayed at a reconnection. QoS 0: a message
                # the broker drops for our maximum packet size is never acknowledged, and at
                # QoS 1 twenty of them would fill the in-flight window and stop every command.
                # (Each session is a new, clean one: QoS 1 queued nothing across reconnections.)
                options = SubscribeOptions(qos=0, retainAsPublished=True)
                await self._client.subscribe(pattern, options=options)
            else:
                await self._client.subscribe(pattern, qos=1)
        except self._error as error:
            raise BrokerError(f"subscribe failed ({error})") from None

    async def messages(self) -> AsyncIterator[Message]:
        try:
            async for message in self._client.messages:
                payload, topic, retain = message.payload, str(message.topic), message.retain
                data = payload if isinstance(payload, bytes) else str(payload or "").encode()
                del message, payload  # an oversized one is not kept a moment longer
                if self._oversized.passes(topic, data):
                    yield Message(topic, data, bool(retain))
                del data
        except self._error as error:
            raise BrokerError(f"connection lost ({error})") from None


class AiomqttConnector:
    """Sessions on a real broker through aiomqtt (asyncio, maintained, paho-mqtt underneath)."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        username: str | None = None,
        password: Callable[[], str | None] = lambda: None,
        ca_file: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        report: Callable[[str], None] = _log_warning,
    ) -> None:
        """``report``: where a dropped oversized message is said (once per streak)."""
        self.url = url
        self.address = BrokerAddress.from_url(url)
        self._client_id = client_id
        self._username = username
        self._password = password
        self._ca_file = ca_file
        self._timeout = connect_timeout
        self._v5 = True  # MQTT 5, until a broker refuses it (then 3.1.1 for this connector)
        self.oversized = Oversized(report)

    def __repr__(self) -> str:  # never the password
        return f"AiomqttConnector({self.url!r}, username={self._username!r})"

    def _tls(self) -> ssl.SSLContext | None:
        if not self.address.tls:
            return None
        try:
            return ssl.create_default_context(cafile=self._ca_file)
        except (OSError, ssl.SSLError) as error:
            raise BrokerError(f"ca_file {self._ca_file}: cannot load ({error})") from None

    def _client(self, will: Will | None) -> "aiomqtt.Client":
        import aiomqtt

        properties = None
        if self._v5:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            # The broker sends nothing larger (MQTT 5 drops it for this client): a payload is
            # bounded before it reaches this process's memory. An MQTT 3.1.1 broker has no
            # such bound: there the session drops it as soon as it is read (``Oversized``).
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho untyped
            properties.MaximumPacketSize = MAX_MQTT_PACKET
        # Read at every attempt: a corrected password file is taken without a restart.
        return aiomqtt.Client(
            self.address.host,
            self.address.port,
            username=self._username,
            password=self._password(),
            identifier=self._client_id,
            will=aiomqtt.Will(will.topic, will.payload, qos=1, retain=will.retain)
            if will
            else None,
            tls_context=self._tls(),
            keepalive=KEEPALIVE,
            timeout=self._timeout,
            # Small messages that matter now (a state, an error reply): no Nagle delay.
            socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
            protocol=aiomqtt.ProtocolVersion.V5 if self._v5 else aiomqtt.ProtocolVersion.V311,
            properties=properties,
            max_queued_incoming_messages=MAX_QUEUED_IN,
        )

    @contextlib.asynccontextmanager
    async def session(self, will: Will | None) -> AsyncIterator[MqttSession]:
        import aiomqtt

        while True:
            client = self._client(will)
            try:
                # aiomqtt waits for the CONNACK without a limit: a broker that accepts the TCP
                # connection and never answers must not hold the bridge forever.
                await asyncio.wait_for(client.__aenter__(), self._timeout)
            except TimeoutError:
                raise BrokerError(f"no answer from {self.url} within {self._timeout:g} s") from None
            except aiomqtt.MqttError as error:
                if self._v5 and "protocol version" in str(error).lower():
                    self._v5 = False  # an MQTT 3.1.1 broker: once more in its language
                    continue
                raise BrokerError(describe_connect_error(self.url, error)) from None
            break
        try:
            yield _AiomqttSession(client, self._v5, self.oversized)
        finally:
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError, OSError):
                await asyncio.wait_for(client.__aexit__(None, None, None), 2)


def describe_connect_error(url: str, error: Exception) -> str:
    text = str(error)
    lowered = text.lower()
    if "not authori" in lowered or "bad user" in lowered:
        return f"{url} refused the user name or password ({text})"
    return f"cannot connect to {url} ({text})"
