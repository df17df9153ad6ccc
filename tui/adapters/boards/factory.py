"""The relay board a configuration asks for."""

from tui.adapters.boards.base import RelayBoard
from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import Clock
from tui.core.config import BoardConfig, BoardKind, Config


def make_board(config: Config, clock: Clock | None = None) -> RelayBoard:
    """Only the configured relays are opened.

    For a Phidget board this loads Phidget22's native library, and raises BoardLibraryMissing
    (one line, exit status 2) when it cannot, before the service starts.
    """
    if config.boards:
        from tui.adapters.boards.multi import MultiBoard, Part

        parts = []
        for board in config.boards:
            # A pilot channel drives two relays of its board (ChannelConfig.relays_on_board).
            relays = {
                number: relay
                for channel in config.channels
                if channel.board == board.name
                for number, relay in channel.relays_on_board.items()
            }
            if relays:
                parts.append(Part(board.name, _one(board, list(relays.values()), clock), relays))
        return MultiBoard(parts, failsafe=config.board.failsafe)
    return _one(
        config.board, [relay for channel in config.channels for relay in channel.relays], clock
    )


def _one(board: BoardConfig, relays: list[int], clock: Clock | None) -> RelayBoard:
    if board.kind is BoardKind.SIMULATED:
        return SimulatedBoard(relays, clock, model=board.model, name=board.name)
    # Imported here so that nothing else ever loads Phidget22.
    from tui.adapters.boards.phidget import PhidgetBoard

    return PhidgetBoard(board, relays)
