"""Several relay boards behind one ``RelayBoard`` (``[[board]]`` entries).

The controller addresses a channel by its number across boards (``ChannelConfig.index``: the
board's first number plus the relay); each part is an ordinary board (Phidget or simulated)
addressed by its own relay numbers. Every part attaches, detaches, trips and is reconciled on
its own: a call for one board never waits for another, and one unplugged board leaves the others
switching. Events carry the channel number across boards, and name their board.
"""

from dataclasses import dataclass, replace

from tui.adapters.boards.base import BoardEvent, BoardInfo, EventSink, RelayBoard
from tui.core.config import OnExit


@dataclass(frozen=True)
class Part:
    name: str
    board: RelayBoard
    relays: dict[int, int]  # channel number across boards -> relay on this board


class MultiBoard:
    hint: str

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts
        self.kind = parts[0].board.kind if parts else "simulated"
        self.hint = next((part.board.hint for part in parts if part.board.hint), "")
        self._where: dict[int, tuple[Part, int]] = {
            channel: (part, relay) for part in parts for channel, relay in part.relays.items()
        }

    def open(self, emit: EventSink) -> None:
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
        for part in self.parts:
            part.board.keepalive()

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
