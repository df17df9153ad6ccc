"""An in-memory MQTT connector for the bridge tests where a broker adds nothing.

It keeps the protocol's promises: publishes are recorded in order with their retain flag and the
time they were made (on the clock given, the bridge's), ``messages()`` yields what a test
injects, and ``drop()`` ends the session with a ``BrokerError`` the way a lost connection does.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from tui.adapters.clock import Clock
from tui.adapters.mqtt.base import BrokerError, Message, Will


@dataclass(frozen=True)
class Published:
    topic: str
    payload: str
    retain: bool
    at: float  # the clock's monotonic seconds


class MemorySession:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.published: list[Published] = []
        self.subscriptions: list[str] = []
        self.inbox: asyncio.Queue[Message | None] = asyncio.Queue()

    async def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        self.published.append(Published(topic, payload, retain, self.clock.monotonic()))

    async def subscribe(self, pattern: str) -> None:
        self.subscriptions.append(pattern)

    async def messages(self) -> AsyncIterator[Message]:
        while True:
            message = await self.inbox.get()
            if message is None:
                raise BrokerError("connection lost (dropped by the test)")
            yield message


class MemoryConnector:
    url = "mqtt://memory:1883"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sessions: list[MemorySession] = []
        self.wills: list[Will | None] = []
        self.refuse: str | None = None  # set: every connection attempt fails with this

    @property
    def current(self) -> MemorySession:
        return self.sessions[-1]

    def published(self, topic: str) -> list[Published]:
        return [p for s in self.sessions for p in s.published if p.topic == topic]

    def drop(self) -> None:
        self.current.inbox.put_nowait(None)

    @contextlib.asynccontextmanager
    async def session(self, will: Will | None) -> AsyncIterator[MemorySession]:
        if self.refuse:
            raise BrokerError(self.refuse)
        self.wills.append(will)
        session = MemorySession(self.clock)
        self.sessions.append(session)
        yield session
