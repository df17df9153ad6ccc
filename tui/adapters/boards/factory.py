"""The relay board a configuration asks for."""

from tui.adapters.boards.base import RelayBoard
from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import Clock
from tui.core.config import BoardKind, Config


def make_board(config: Config, clock: Clock | None = None) -> RelayBoard:
    """Only the configured relays are opened.

    For a Phidget board this loads Phidget22's native library, and raises BoardLibraryMissing
    (one line, exit status 2) when it cannot, before the service starts.
    """
    channels = [relay for channel in config.channels for relay in channel.relays]
    if config.board.kind is BoardKind.SIMULATED:
        return SimulatedBoard(channels, clock)
    # Imported here so that nothing else ever loads Phidget22.
    from tui.adapters.boards.phidget import PhidgetBoard

    return PhidgetBoard(config.board, channels)
