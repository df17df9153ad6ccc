"""Signals that arrive before the service's event loop can take them over.

Python's defaults make SIGHUP kill the process and SIGTERM end it without the shutdown that
applies ``on_exit``; in the first moments of a start (reading the configuration, opening the
board) either would leave relays and state in whatever condition they were. These handlers only
remember the signal; the headless service acts on it once its loop runs. Kept free of heavy
imports so that they are in place within milliseconds.
"""

import signal

HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
pending: list[int] = []


def _remember(signum: int, frame: object) -> None:
    if signum not in pending:
        pending.append(signum)


def install_early_signals() -> None:
    for signum in HANDLED:
        signal.signal(signum, _remember)


def take_pending() -> list[int]:
    """The signals received so far (each once), forgetting them."""
    taken = list(pending)
    pending.clear()
    return taken
