"""The protocol the service drives a relay board through."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

from tui.core.config import OnExit
from tui.core.durations import format_duration
from tui.core.errors import InputError


class BoardEventKind(StrEnum):
    ATTACHED = "attached"
    DETACHED = "detached"
    ERROR = "error"
    FAILSAFE = "failsafe"


@dataclass(frozen=True)
class BoardEvent:
    kind: BoardEventKind
    message: str
    channel: int | None = None


@dataclass(frozen=True)
class BoardInfo:
    kind: str  # "phidget" or "simulated"
    serial: int | None = None
    revision: str | None = None  # "1017_2" or "1017_0/1017_1", by capability (the SKU is "1017")
    failsafe: bool = False  # whether the hardware failsafe is available
    name: str = ""  # the board's name in [[board]] ("" for a single [board])
    model: str | None = None  # the device table's model, when known (configured or detected)
    # Several boards: each one's info, in the order of the configuration (this one is the first).
    parts: tuple["BoardInfo", ...] = ()


class BoardLibraryMissing(InputError):
    """The board's native library cannot load (for Phidget22: no libusb-1.0).

    An ``InputError`` so that every front end prints its one line, naming the Debian package and
    the udev rule, and exits with status 2 instead of a traceback.
    """


# Called from any thread (Phidget22 handlers run on library threads); the service passes a
# function that hands the event over to its own event loop.
EventSink = Callable[[BoardEvent], None]


class RelayBoard(Protocol):
    kind: str
    hint: str  # what to check when the board does not attach ("" when nothing to say)

    def open(self, emit: EventSink) -> None:
        """Start using the board; returns at once, attach happens whenever the board appears."""
        ...

    @property
    def attached(self) -> bool:
        """Every configured relay attached: the board as a whole."""
        ...

    def channel_attached(self, channel: int) -> bool:
        """This relay attached and usable: relays attach one by one, and one that never does
        (or that tripped, or that met a foreign device) does not hold the others back."""
        ...

    def info(self) -> BoardInfo: ...

    def set_relay(self, channel: int, energised: bool) -> None:
        """Command a relay; never raises (problems become ERROR events).

        Blocking board I/O: the service calls it off its event loop. While detached nothing
        happens. The board never moves a relay on its own initiative (no re-apply on attach):
        the service, which counts every movement against the relay's rating, commands it.
        """
        ...

    def relay(self, channel: int) -> bool | None:
        """The relay's state as commanded and confirmed by the board's library (released after
        an attach unless persistence kept it): no relay board senses its contacts. None while
        detached or where the board cannot tell (an attached relay with None: unknown)."""
        ...

    def keepalive(self) -> None:
        """Reset the hardware failsafe, if enabled: blocking I/O, called off the event loop."""
        ...

    def close(self, on_exit: OnExit) -> None:
        """Stop using the board: "release" de-energises every relay, "keep" leaves them."""
        ...


@runtime_checkable
class FailsafeResetter(Protocol):
    """A board whose keepalive pass can be run untimed, so that several boards' passes are
    timed as one (``MultiBoard.keepalive``)."""

    def reset_failsafes(self) -> int:
        """Reset every enabled failsafe once (blocking I/O); how many relays were reset."""
        ...


def keepalive_overrun(seconds: float, resets: int, failsafe: timedelta) -> str | None:
    """What to say of a keepalive pass of ``seconds`` over ``resets`` relays: None when it fits
    in a third of the failsafe period (the keepalive's interval), else the warning."""
    if seconds <= failsafe.total_seconds() / 3:
        return None
    return (
        f"the failsafe keepalive took {seconds * 1000:.0f} ms for {resets} relay(s), "
        f"more than a third of board.failsafe = "
        f'"{format_duration(failsafe)}": a relay may trip before its next '
        "reset; set a longer board.failsafe"
    )
