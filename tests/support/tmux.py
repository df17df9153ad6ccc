"""A real terminal for end-to-end UI tests: a tmux server of its own per test, its screen read
with capture-pane, and the command that starts `delestage` in it."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

# For the modules that drive tmux: `pytestmark = needs_tmux`.
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

WAIT = 30.0  # seconds: generous, only ever reached when something is broken


def delestage_command() -> str:
    script = Path(sys.executable).parent / "delestage"
    return str(script) if script.exists() else f"{sys.executable} -m tui"


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, what: str, check: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + WAIT
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what}; the screen was:\n{screen}")
            time.sleep(0.05)


T = TypeVar("T", bound=Tmux)


def tmux_server(kind: Callable[[str], T], prefix: str) -> Iterator[T]:
    """A tmux server of its own (a fresh socket name), killed with everything in it after."""
    server = kind(f"{prefix}-{uuid.uuid4().hex[:8]}")
    try:
        yield server
    finally:
        subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True)


def stop_process(pid: int, seconds: float = 10.0) -> None:
    """Stop a process a test started in a pane (not a child of ours, so not waited for): SIGTERM,
    then SIGKILL if it is still there after ``seconds``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if _gone(pid):
            return
        os.kill(pid, sig)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if _gone(pid):
                return
            time.sleep(0.05)


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie its parent (the tmux server) has not reaped yet,
    which signal 0 still finds (the attached test's stopped service cost 20 s of waiting)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
