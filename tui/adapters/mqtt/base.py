"""The MQTT broker behind a small protocol: what the bridge needs, real broker or test double.

A ``MqttConnector`` opens sessions; a session publishes, subscribes and yields messages until
the connection ends. Every failure (refused, unreachable, dropped, bad password file) comes out
as one ``BrokerError`` whose text says what happened in words and never holds the password.
"""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


class BrokerError(Exception):
    """The broker could not be reached, refused us, or dropped the connection."""


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool = False


@dataclass(frozen=True)
class Will:
    topic: str
    payload: str
    retain: bool = True


class MqttSession(Protocol):
    async def publish(self, topic: str, payload: str, *, retain: bool = False) -> None: ...

    async def subscribe(self, pattern: str) -> None: ...

    def messages(self) -> AsyncIterator[Message]: ...


class MqttConnector(Protocol):
    url: str  # for messages: "mqtt://host:1883"

    def session(self, will: Will | None) -> contextlib.AbstractAsyncContextManager[MqttSession]:
        """Connect (raising BrokerError) and disconnect cleanly on exit."""
        ...
