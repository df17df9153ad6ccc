"""Where a channel is wired, in the short form every view shares: ``garage/3``, relay 3 of the
board named ``garage``. Only with several boards; one board's channel number is its relay."""


def board_place(board: str, relay: int | None) -> str:
    """``garage/3`` (several boards), or "" (one board: nothing to add to the channel number)."""
    if not board:
        return ""
    return board if relay is None else f"{board}/{relay}"
