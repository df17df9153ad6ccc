"""Several relay boards behind one ``RelayBoard`` (``[[board]]`` entries).

The controller addresses a channel by its number across boards (``ChannelConfig.index``: the
board's first number plus the relay); each part is an ordinary board (Phidget or simulated)
addressed by its own relay numbers. Every part attaches, detaches, trips and is reconciled on
its own: a call for one board never waits for another, and one unplugged board leaves the others
switching. Events carry the channel number across boards, and name their board.

The failsafe keepalive is the exception: one pass resets every board's relays in turn, one
transfer after another (``keepalive``), so the configuration's floor (``failsafe_floor``) is
checked against the relays of every board together, and the pass is timed as a whole.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from tui.adapters.boards.base import (
    BoardEvent,
    BoardEventKind,
    BoardInfo,
    EventSink,
    FailsafeResetter,
    RelayBoard,
    keepalive_overrun,
)
from tui.core.config import OnExit


@dataclass(frozen=True)
class Part:
    name: str
    board: RelayBoard
    relays: dict[int, int]  # channel number across boards -> relay on this board


class MultiBoard:
    hint: str

    def __init__(
        self,
        parts: list[Part],
        failsafe: timedelta = timedelta(0),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.parts = parts
        self._failsafe = failsafe  # the same on every [[board]] (the config checks it)
        self._monotonic = monotonic
        self._emit: EventSink | None = None
        self._lock = threading.Lock()
        self._told_keepalive = False
        self.keepalive_seconds: float | None = None  # how long the last whole pass took
        self.kind = parts[0].board.kind if parts else "simulated"
        self.hint = next((part.board.hint for part in parts if part.board.hint), "")
        self._where: dict[int, tuple[Part, int]] = {
            channel: (part, relay) for part in parts for channel, relay in part.relays.items()
        }

    def open(self, emit: EventSink) -> None:
        self._emit = emit
        for part in self.parts:
            part.board.open(self._sink(part, emit))

    def _sink(self, part: Part, emit: EventSink) -> EventSink:
        back = {relay: channel for channel, relay in part.relays.items()}

        def sink(event: BoardEvent) -> None:
            channel = back.get(event.channel) if event.channel is not None else None
            message = event.message
            if part.name not in message:
                message = f"board {part.name}: {message}"
            emit(replace(event, channel=channel, message=message))

        return sink

    @property
    def attached(self) -> bool:
        return all(part.board.attached for part in self.parts)

    def channel_attached(self, channel: int) -> bool:
        part, relay = self._part(channel)
        return part.board.channel_attached(relay)

    def info(self) -> BoardInfo:
        first = self.parts[0].board.info()
        return replace(first, parts=tuple(part.board.info() for part in self.parts))

    def set_relay(self, channel: int, energised: bool) -> None:
        part, relay = self._part(channel)
        part.board.set_relay(relay, energised)

    def relay(self, channel: int) -> bool | None:
        part, relay = self._part(channel)
        return part.board.relay(relay)

    def keepalive(self) -> None:
        """One pass over every board, one after the other, timed as a whole.

        Serial on purpose rather than one thread per board: boards on one VINT hub share its
        USB link, and a pass that is one loop is what the configuration's floor assumes (3 x
        100 ms per relay of every board together, ``failsafe_floor``). The whole pass, not
        each board's, is what must fit in a third of the period; a longer one is said once.
        """
        started = self._monotonic()
        resets = 0
        for part in self.parts:
            if isinstance(part.board, FailsafeResetter):
                resets += part.board.reset_failsafes()
            else:
                part.board.keepalive()
        if not resets:
            return
        seconds = self._monotonic() - started
        self.keepalive_seconds = seconds
        message = keepalive_overrun(seconds, resets, self._failsafe)
        if message is None:
            return
        with self._lock:
            told, self._told_keepalive = self._told_keepalive, True
        if not told and self._emit is not None:
            boards = len(self.parts)
            self._emit(BoardEvent(BoardEventKind.ERROR, f"{boards} boards: {message}"))

    def close(self, on_exit: OnExit) -> None:
        for part in self.parts:
            part.board.close(on_exit)

    def _part(self, channel: int) -> tuple[Part, int]:
        try:
            return self._where[channel]
        except KeyError:
            raise ValueError(
                f"channel {channel} is on no configured board (have {sorted(self._where)})"
            ) from None
