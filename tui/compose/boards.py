"""Relay boards and Phidget discovery: used by `boards`, `check`'s board line, `init` and
`test-relays`.

``make_board`` imports the boards only when called, so that `boards` and `init` (which only
search for a 1017) load neither the simulated board nor asyncio.
"""

from typing import TYPE_CHECKING

from tui.adapters.boards.base import BoardLibraryMissing, RelayBoard
from tui.adapters.boards.phidget_discovery import (
    FoundBoard,
    Sighting,
    list_relay_boards,
    probe_board,
)
from tui.adapters.boards.phidget_lib import UDEV_HINT, PhidgetApi, load_phidget22, wanted_words
from tui.core.config import Config

if TYPE_CHECKING:
    from tui.adapters.clock import Clock

__all__ = [
    "UDEV_HINT",
    "BoardLibraryMissing",
    "FoundBoard",
    "PhidgetApi",
    "Sighting",
    "list_relay_boards",
    "load_phidget22",
    "make_board",
    "probe_board",
    "wanted_words",
]


def make_board(config: Config, clock: "Clock | None" = None) -> RelayBoard:
    """The board the configuration asks for, only its configured relays opened. For a Phidget
    board this loads Phidget22, and raises BoardLibraryMissing when it cannot."""
    from tui.adapters.boards.factory import make_board as make

    return make(config, clock)
