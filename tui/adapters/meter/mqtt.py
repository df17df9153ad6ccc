"""``source = "mqtt"``: a meter another tool already publishes (teleinfo2mqtt, Tasmota's
teleinfo, a ZLinky through Zigbee2MQTT), read from a broker with aiomqtt.

Each message on ``[meter] topic`` is one reading, taken when it arrives (``core.meter_mqtt``
reads the payload). The broker is ``[meter] broker`` (anonymous), else ``[mqtt]``'s URL and
login. A payload without a power is counted and dropped, never read as no load; the retained
message a broker replays at subscription is of unknown age and dropped too (a publisher that
retains every frame is read from its next one). No message for ``stale_after``: the box says the
meter is stale, as for the TIC. A lost or refused connection is retried with a backoff (1 s
doubling to 30 s); its words are the stale meter's reason.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from tui.adapters.clock import Clock
from tui.adapters.meter.base import BoxedMeter, Notify, ReadingBox
from tui.adapters.mqtt.base import BrokerError, MqttConnector
from tui.core.config import Config
from tui.core.i18n import _
from tui.core.meter_mqtt import Fields, fields_for, reading_from_payload

TYPE_CHECKING = False
if TYPE_CHECKING:  # imported when the source is built: aiomqtt is loaded only then
    from tui.adapters.mqtt.client import AiomqttConnector

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0


def connector_for(config: Config, environ: Mapping[str, str] | None = None) -> "AiomqttConnector":
    """The broker of ``[meter] broker``, else of ``[mqtt]`` (its login too)."""
    from tui.adapters.mqtt.client import AiomqttConnector, read_password

    client_id = f"delestage-meter-{uuid.uuid4().hex[:8]}"
    meter, mqtt = config.meter, config.mqtt
    if meter is not None and meter.broker is not None:
        return AiomqttConnector(meter.broker, client_id=client_id)
    if mqtt is None:
        return AiomqttConnector("mqtt://localhost:1883", client_id=client_id)
    base = Path(config.path).parent if config.path else None

    def password() -> str | None:
        try:
            return read_password(mqtt, environ, base)[0]
        except BrokerError:
            return None

    return AiomqttConnector(
        mqtt.url,
        client_id=client_id,
        username=mqtt.username,
        password=password,
        ca_file=mqtt.ca_file,
    )


class MqttMeterSource(BoxedMeter):
    kind = "mqtt"

    def __init__(
        self,
        connector: MqttConnector,
        topic: str,
        fields: Fields,
        *,
        clock: Clock,
        stale_after: timedelta,
    ) -> None:
        self.connector = connector
        self.topic = topic
        self.fields = fields
        self.clock = clock
        self.box = ReadingBox(stale_after)
        self.dropped = 0  # payloads without a power
        self.received = 0
        self.replayed = 0  # retained messages replayed at a subscription, dropped
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of(
        cls, config: Config, clock: Clock, environ: Mapping[str, str] | None = None
    ) -> "MqttMeterSource":
        meter = config.meter
        assert meter is not None and meter.topic is not None  # the configuration asks for it
        connector = connector_for(config, environ)
        source = cls(
            connector,
            meter.topic,
            fields_for(meter.preset, meter.power_field),
            clock=clock,
            stale_after=meter.stale_after,
        )
        # A message past the bound is dropped by the connection (said as the meter's trouble,
        # once per streak), never handed to the payload reader.
        connector.oversized.report = source.box.trouble
        return source

    @property
    def where(self) -> str:
        return _("mqtt {topic} on {url}").format(topic=self.topic, url=self.connector.url)

    @property
    def detail(self) -> str:
        dropped = _(", {count} without a power").format(count=self.dropped) if self.dropped else ""
        return _("{count} messages").format(count=self.received) + dropped

    def start(self, notify: Notify) -> None:
        self.box.start(notify)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while not self._stop.is_set():
            try:
                async with self.connector.session(None) as session:
                    await session.subscribe(self.topic)
                    backoff = BACKOFF_FIRST
                    first = True
                    async for message in session.messages():
                        replay, first = first and message.retain, False
                        if replay:
                            self.replayed += 1
                        if message.topic != self.topic or replay:
                            continue
                        self.received += 1
                        reading = reading_from_payload(
                            message.payload, self.fields, self.clock.now()
                        )
                        if reading is None:
                            self.dropped += 1
                            self.box.trouble(f"a message on {self.topic} without a power")
                            continue
                        self.box.put(reading)
                    raise BrokerError("connection closed")
            except (BrokerError, OSError) as error:
                self.box.trouble(str(error))
            now = self.clock.now()
            await self.clock.sleep_until(now + timedelta(seconds=backoff), self._stop)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 2)
