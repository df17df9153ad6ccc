"""How much any peer may send in one piece: the bounds on every input from outside.

A peer (RTE, the MQTT broker and whoever publishes there, a control-socket client, the meter's
serial line) can send more than the service should hold in memory, by mistake or on purpose: a
gzip bomb of a few hundred kilobytes that decodes to a gigabyte, a line that never ends. Every
reader of a peer stops at one of these bounds, says so in one line and carries on; none reads
"until the end". Each bound leaves a wide margin over the largest real input (in the comments).

Lines are cut where they are read: the control socket by asyncio's own limit (MAX_SOCKET_LINE),
the meter's serial line by the TIC frame decoder itself (``tui.core.tic``: a group, the TIC's
line between LF and CR, of more than MAX_GROUP bytes is dropped as it streams, a frame keeps at
most MAX_GROUPS groups), the event log by its reader (MAX_LINE in ``stores.eventlog``).
"""

# RTE's decoded bodies (after gzip): a signals body is about 10 kB, a year of Tempo under 100 kB.
MAX_RTE_BODY = 1024 * 1024
# A control-socket request line: a force with every field is under 200 bytes.
MAX_SOCKET_LINE = 64 * 1024
# An MQTT message the bridge accepts from the broker (a command is a few dozen bytes; the
# retained discovery configs and states it reads back are under 2 kB).
MAX_MQTT_PACKET = 64 * 1024


class TooLarge(ValueError):
    """An input past its bound; ``str()`` is one line naming what and the bound."""


def check_size(size: int, limit: int, what: str) -> None:
    """Raise TooLarge when ``size`` bytes of ``what`` are past ``limit``."""
    if size > limit:
        raise TooLarge(f"{what} is larger than {limit // 1024} kB (refused unread beyond that)")
