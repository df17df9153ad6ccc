"""How much any peer may send in one piece: the bounds on every input from outside.

A peer (RTE, the MQTT broker and whoever publishes there, a control-socket client, the meter's
serial line) can send more than the service should hold in memory, by mistake or on purpose: a
gzip bomb of a few hundred kilobytes that decodes to a gigabyte, a line that never ends. Every
reader of a peer stops at one of these bounds, says so in one line and carries on; none reads
"until the end". Each bound leaves a wide margin over the largest real input (in the comments).

``LineBuffer`` is the one way to cut a byte stream into bounded lines (the control socket uses
asyncio's own limit; a serial reader such as the TIC's uses this): an over-long line is dropped
whole and counted, never kept growing.
"""

from dataclasses import dataclass, field

# RTE's decoded bodies (after gzip): a signals body is about 10 kB, a year of Tempo under 100 kB.
MAX_RTE_BODY = 1024 * 1024
# A control-socket request line: a force with every field is under 200 bytes.
MAX_SOCKET_LINE = 64 * 1024
# An MQTT message the bridge accepts from the broker (a command is a few dozen bytes; the
# retained discovery configs and states it reads back are under 2 kB).
MAX_MQTT_PACKET = 64 * 1024
# A line from a meter's serial port (a TIC group is under 100 bytes, a frame under 2 kB).
MAX_SERIAL_LINE = 4 * 1024


class TooLarge(ValueError):
    """An input past its bound; ``str()`` is one line naming what and the bound."""


def check_size(size: int, limit: int, what: str) -> None:
    """Raise TooLarge when ``size`` bytes of ``what`` are past ``limit``."""
    if size > limit:
        raise TooLarge(f"{what} is larger than {limit // 1024} kB (refused unread beyond that)")


@dataclass
class LineBuffer:
    """Bytes in, complete lines out, each at most ``limit`` bytes (without its end).

    A line longer than the bound is dropped whole (up to its end, however far it is) and
    counted in ``dropped``; the buffer never holds more than ``limit`` bytes of one line."""

    limit: int = MAX_SERIAL_LINE
    end: bytes = b"\n"
    dropped: int = 0
    _pending: bytearray = field(default_factory=bytearray)
    _skipping: bool = False

    def feed(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        start = 0
        while True:
            at = data.find(self.end, start)
            piece = data[start:] if at < 0 else data[start:at]
            if not self._skipping:
                if len(self._pending) + len(piece) > self.limit:
                    self._pending.clear()
                    self._skipping = True
                    self.dropped += 1
                else:
                    self._pending += piece
            if at < 0:
                return lines
            if self._skipping:
                self._skipping = False
            else:
                lines.append(bytes(self._pending))
            self._pending.clear()
            start = at + len(self.end)
