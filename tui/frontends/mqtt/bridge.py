"""The MQTT bridge: the controller's state out to a broker, commands in, Home Assistant discovery.

A front end like the UI: it sees the controller only through ``ControllerLink`` (snapshot
updates, force, release). Two halves that never wait on each other:

- a reader of the controller's updates, which only keeps the latest snapshot and queues the
  events, so a slow or absent broker never holds the controller back (its subscriber queue never
  grows);
- a connection loop, which connects with backoff and, while connected, publishes what changed
  (retained states on change, ``status`` at most once per ``status_interval``, events as they
  come) and turns ``.../set`` messages into force/release calls.

On every (re)connection every retained topic is published again, after discovery and before
``availability`` goes ``online``; the broker publishes ``offline`` for us (last will) if the
connection dies, and we publish it ourselves on a clean stop. Home Assistant's birth message
(``homeassistant/status`` = ``online``) has it all published again after a short random delay,
as Home Assistant advises, so that a restarted or reset Home Assistant finds every entity.

Entities of a channel no longer configured are removed configs first, states a moment later:
an entity still listening to a cleared state would log template errors.
"""

import asyncio
import contextlib
import logging
import math
import random
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import datetime, timedelta

from tui.adapters.clock import Clock, SystemClock
from tui.adapters.mqtt.base import BrokerError, Message, MqttConnector, MqttSession, Will
from tui.core.errors import InputError
from tui.core.events import Event
from tui.core.i18n import _
from tui.frontends.mqtt.commands import CommandError, parse_command
from tui.frontends.mqtt.topics import (
    FORCE_FOR,
    OFFLINE,
    ONLINE,
    Topics,
    channel_discovery_topics,
    discovery_configs,
    dumps,
    energy_payload,
    rated_channel,
    retained_states,
    status_payload,
)
from tui.service.interface import ControllerLink
from tui.service.snapshot import MqttView, Snapshot

log = logging.getLogger(__name__)

EVENT_BACKLOG = 500  # events kept for the broker while it is away; the oldest go first
CLOSE_TIMEOUT = 2.0
REMOVAL_GAP = 1.0  # seconds between clearing a removed channel's configs and its state
ENERGY_INTERVAL = 300.0  # seconds between two readings of the energy kept off (history)


def birth_delay() -> float:
    """Seconds to wait after Home Assistant's birth message before announcing again: random, so
    that many devices do not all answer in the same instant."""
    return random.uniform(1.0, 5.0)


class MqttBridge:
    def __init__(
        self,
        link: ControllerLink,
        connector: MqttConnector,
        topics: Topics,
        *,
        on_state: Callable[[MqttView], None] | None = None,
        backoff: tuple[float, float] = (1.0, 60.0),
        status_interval: float = 1.0,
        clock: Clock | None = None,
        birth_delay: Callable[[], float] = birth_delay,
        removal_gap: float = REMOVAL_GAP,
        energy_interval: float = ENERGY_INTERVAL,
    ) -> None:
        self.link = link
        self.connector = connector
        self.topics = topics
        self.on_state = on_state
        self.backoff = backoff  # seconds of real time: how long a broker takes to come back
        self.status_interval = status_interval  # seconds on ``clock``
        self.birth_delay = birth_delay  # seconds of real time, like the backoff
        self.removal_gap = removal_gap  # seconds of real time
        self.energy_interval = energy_interval  # seconds of real time
        self.births = 0  # Home Assistant birth messages answered (announced again)
        # The controller's clock: the times people read (``since``, a command's "until 14:30")
        # and the status pacing, so that tests run the bridge on virtual time.
        self.clock: Clock = clock or SystemClock()
        self.view = MqttView("connecting", connector.url, since=self.clock.now())
        self.connections = 0  # successful connections so far
        self._snapshot: Snapshot | None = None
        self._ready = asyncio.Event()
        self._events: deque[Event] = deque(maxlen=EVENT_BACKLOG)
        self._dirty = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._closing = False
        self._session: MqttSession | None = None
        self._published: dict[str, str] = {}  # retained topic -> payload, this connection
        self._discovery: set[str] = set()  # discovery topics announced, this connection
        # What discovery was last announced for: the channels, whether Tempo is on, the model.
        self._announced: tuple[object, ...] | None = None
        self._rebirth = False  # Home Assistant asked (birth message): publish everything again
        self._connection = 0
        self._force_for = "default"  # the dashboard's duration for on/off (select "Force duration")
        self._later: set[asyncio.Task[None]] = set()  # births and removals, this connection
        self._status_at = -math.inf
        self._status_timer: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="mqtt-bridge")

    async def run(self) -> None:
        consumer = asyncio.create_task(self._consume(), name="mqtt-updates")
        try:
            await self._connection_loop()
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer

    async def close(self) -> None:
        """Publish the last state and ``offline``, then disconnect (bounded in time)."""
        self._closing = True
        self._wakeup.set()
        # The controller's last update (relays released on exit) may still sit in our
        # subscriber queue: let the reader take it before the final flush.
        for _turn in range(3):
            await asyncio.sleep(0)
        session = self._session
        if session is not None:
            with contextlib.suppress(BrokerError, TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    self._status_at = -math.inf
                    await self._flush(session)
                    await session.publish(self.topics.availability, OFFLINE, retain=True)
        if self._status_timer:
            self._status_timer.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def _set_view(self, state: str, message: str = "") -> None:
        if (state, message) == (self.view.state, self.view.message):
            return
        self.view = MqttView(state, self.connector.url, message, since=self.clock.now())
        if self.on_state:
            self.on_state(self.view)

    # -- the controller side -----------------------------------------------------------------

    async def _consume(self) -> None:
        while True:
            first = True
            async for update in self.link.updates():
                self._snapshot = update.snapshot
                if not first:  # the first update replays past events: not news
                    self._events.extend(update.events)
                first = False
                self._ready.set()
                self._dirty.set()
            await asyncio.sleep(1)  # the subscription ended (dropped): take a new one

    # -- the broker side ---------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        delay = self.backoff[0]
        while not self._closing:
            problem = "the broker closed the connection"
            try:
                async with self.connector.session(
                    Will(self.topics.availability, OFFLINE)
                ) as session:
                    self._session = session
                    delay = self.backoff[0]
                    await self._serve(session)
            except BrokerError as error:
                problem = str(error)
            finally:
                self._session = None
            if self._closing:
                return
            self._set_view("disconnected", problem)
            # Jitter: a fleet that lost its broker must not come back all in the same instant.
            await self._pause(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.backoff[1])

    async def _pause(self, seconds: float) -> None:
        self._wakeup.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)

    async def _serve(self, session: MqttSession) -> None:
        topics = self.topics
        await session.subscribe(topics.set_pattern)
        # The duration chosen in Home Assistant, and ours retained from before a restart.
        await session.subscribe(topics.force_for_set)
        await session.subscribe(topics.force_for)
        if topics.discovery_prefix:
            # Before the states: the stale configs arrive (and are cleared) first.
            await session.subscribe(topics.discovery_pattern)
            if topics.ha_status:
                await session.subscribe(topics.ha_status)
        await session.subscribe(topics.state_pattern)
        self._published, self._discovery, self._announced = {}, set(), None
        self._rebirth = False
        self._connection = self.connections + 1  # this one's number, for the diagnostics
        self._status_at = -math.inf
        await self._ready.wait()
        await self._flush(session)
        await session.publish(topics.availability, ONLINE, retain=True)
        self.connections += 1
        self._set_view("connected")
        tasks = {
            asyncio.create_task(self._read(session)),
            asyncio.create_task(self._write(session)),
            asyncio.create_task(self._energy(session)),
        }
        try:
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*tasks, *self._later):
                task.cancel()
            await asyncio.gather(*tasks, *self._later, return_exceptions=True)
            self._later.clear()
        for task in done:
            task.result()  # a BrokerError ends this connection

    async def _write(self, session: MqttSession) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            rebirth, self._rebirth = self._rebirth, False
            if rebirth:  # everything again, as on a new connection
                self._published, self._announced = {}, None
            await self._flush(session)
            if rebirth:
                await session.publish(self.topics.availability, ONLINE, retain=True)
                self.births += 1

    async def _flush(self, session: MqttSession) -> None:
        topics = self.topics
        while self._events:
            await session.publish(topics.events, dumps(self._events.popleft().to_dict()))
        snapshot = self._snapshot
        if snapshot is None:
            return
        channels = tuple((channel.index, channel.name) for channel in snapshot.channels)
        board = snapshot.board
        rated = tuple(c.index for c in snapshot.channels if rated_channel(c))
        tempo, meter = snapshot.tempo is not None, snapshot.meter is not None
        orders = {c.index: c.orders for c in snapshot.channels if c.orders}
        announce = (
            channels,
            tempo,
            board.kind,
            board.revision,
            board.serial,
            rated,
            meter,
            tuple(orders.items()),
        )
        if announce != self._announced:
            configs = discovery_configs(
                topics, channels, tempo=tempo, board=board, rated=rated, meter=meter, orders=orders
            )
            # Known before they go out: the broker echoes each one back to our subscription,
            # which would take a config still unknown for a stale one and clear it.
            before, self._discovery = self._discovery, set(configs)
            for topic, config in configs.items():
                await session.publish(topic, dumps(config), retain=True)
            for topic in before - configs.keys():
                await session.publish(topic, "", retain=True)
            self._announced = announce
            kept = {topics.channel_state(index) for index, _ in channels}
            gone = [topic for topic in self._published if topic.endswith("/state")]
            self._clear_later([topic for topic in gone if topic not in kept])
        for topic, payload in retained_states(snapshot, topics, self._connection).items():
            await self._publish_retained(session, topic, payload)
        await self._publish_retained(session, topics.force_for, self._force_for)
        status = status_payload(snapshot)
        if status != self._published.get(topics.status):
            wait = self._status_at + self.status_interval - self.clock.monotonic()
            if wait <= 0:
                self._status_at = self.clock.monotonic()
                await self._publish_retained(session, topics.status, status)
            elif self._status_timer is None:
                due = self.clock.now() + timedelta(seconds=wait)
                self._status_timer = asyncio.create_task(self._status_due(due))

    async def _energy(self, session: MqttSession) -> None:
        """The energy kept off per channel with a power, from the history (as `history` counts
        it), now and every ``energy_interval``; never fatal to the connection."""
        while True:
            snapshot = self._snapshot
            rated = [c.index for c in snapshot.channels if rated_channel(c)] if snapshot else []
            if rated:
                try:
                    now = self.clock.now()
                    view = await self.link.history_view(now, now)
                    kept = {c.index: c.winter.energy_kwh for c in view.channels if c.index in rated}
                    await self._publish_retained(
                        session, self.topics.energy, dumps(energy_payload(kept))
                    )
                except BrokerError:
                    raise
                except Exception:  # the history unreadable: no energy this time, said in the log
                    log.exception("MQTT: energy kept off not read from the history")
            await asyncio.sleep(self.energy_interval)

    async def _status_due(self, due: datetime) -> None:
        """The status held back by the interval goes out once it has passed (on the clock)."""
        await self.clock.sleep_until(due, asyncio.Event())
        self._status_timer = None
        self._dirty.set()

    async def _publish_retained(self, session: MqttSession, topic: str, payload: str) -> None:
        if self._published.get(topic) != payload:
            await session.publish(topic, payload, retain=True)
            self._published[topic] = payload

    # -- messages in -------------------------------------------------------------------------

    def _clear_later(self, states: list[str]) -> None:
        """Clear these retained states once Home Assistant has dropped their entities."""
        for topic in states:
            self._published.pop(topic, None)
        if states:
            self._later_task(self._clear(states))

    async def _clear(self, states: list[str]) -> None:
        await asyncio.sleep(self.removal_gap)
        session = self._session
        if session is not None:
            for topic in states:
                await session.publish(topic, "", retain=True)

    def _later_task(self, work: "Coroutine[object, object, None]") -> None:
        task = asyncio.create_task(work)
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def _birth(self) -> None:
        await asyncio.sleep(self.birth_delay())
        self._rebirth = True
        self._dirty.set()

    async def _read(self, session: MqttSession) -> None:
        topics = self.topics
        async for message in session.messages():
            channel = topics.set_channel(message.topic)
            if channel is not None:
                await self._command(session, message, channel)
            elif message.topic == topics.force_for_set:
                await self._choose_force_for(session, message)
            elif message.topic == topics.force_for:
                if message.retain and message.payload.decode(errors="replace") in FORCE_FOR:
                    # What this node chose before it restarted.
                    self._force_for = message.payload.decode()
                    self._dirty.set()
            elif message.topic == topics.ha_status:
                if message.payload.strip() == ONLINE.encode():
                    self._later_task(self._birth())
            elif message.payload and self._stale(message.topic):
                # Left by an earlier run with other channels: Home Assistant would keep
                # showing entities nobody updates. Its configs go first, its state after.
                if message.topic.endswith("/state"):
                    index = message.topic.split("/")[-2]
                    if index.isdigit():
                        for topic in channel_discovery_topics(topics, int(index)):
                            if topic not in self._discovery:
                                await session.publish(topic, "", retain=True)
                    self._clear_later([message.topic])
                else:
                    await session.publish(message.topic, "", retain=True)
        raise BrokerError("the broker closed the connection")

    async def _choose_force_for(self, session: MqttSession, message: Message) -> None:
        choice = message.payload.decode(errors="replace").strip()
        if choice not in FORCE_FOR:
            options = ", ".join(FORCE_FOR)
            await self._refuse(
                session,
                message.topic,
                f"{choice[:40]!r}: " + _("expected {options}").format(options=options),
            )
            return
        self._force_for = choice
        self._dirty.set()

    def _stale(self, topic: str) -> bool:
        """A retained discovery config or channel state this configuration does not have."""
        if topic.endswith("/config"):
            return topic not in self._discovery
        if self._snapshot is None or not topic.endswith("/state"):
            return False
        configured = {
            self.topics.channel_state(channel.index) for channel in self._snapshot.channels
        }
        return topic not in configured

    async def _command(self, session: MqttSession, message: Message, channel: str) -> None:
        if not message.payload:
            return  # someone clearing a retained command: nothing to obey, nothing to say
        if message.retain:
            # A retained command would be replayed at every reconnection: never obey it.
            await self._refuse(
                session, message.topic, _("retained command ignored: publish commands unretained")
            )
            return
        try:
            command = parse_command(channel, message.payload, self.clock.now())
            chosen = FORCE_FOR[self._force_for]
            if command.duration is None and command.until is None and chosen is not None:
                command = replace(command, duration=chosen)  # the dashboard's duration
            if command.powered is None:
                await self.link.release(command.channel)
            else:
                await self.link.force(
                    command.channel,
                    command.powered,
                    duration=command.duration,
                    until=command.until,
                    order=command.order,
                )
        except CommandError as error:
            await self._refuse(session, message.topic, str(error))
        except InputError as error:  # the controller's refusal: no such channel, past time
            await self._refuse(session, message.topic, "; ".join(error.problems))
        except BrokerError:
            raise
        except Exception as error:  # the controller went away: say so, keep the bridge
            log.exception("MQTT command failed")
            await self._refuse(session, message.topic, f"{error.__class__.__name__}: {error}")

    async def _refuse(self, session: MqttSession, topic: str, error: str) -> None:
        await session.publish(self.topics.error, dumps({"topic": topic, "error": error}))
