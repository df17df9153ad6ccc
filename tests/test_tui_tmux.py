"""End to end in a real terminal: bare `delestage` on the demo configuration inside tmux.

Select a relay, force it cut, see the grid and the event log change, quit, and check that the
terminal is given back as it was (main screen, cursor shown, same tty settings)."""

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from test_tui_harness import DEMO_CONFIG

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

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


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    yield from tmux_server(Tmux, "delestage-test")


def row(screen: str, index: int) -> str:
    return next(line for line in screen.splitlines() if line[3:].startswith(f"{index} "))


def test_force_a_relay_cut_from_the_keyboard_in_a_real_terminal(
    tmux: Tmux, state_dir: Path
) -> None:

    text = DEMO_CONFIG.read_text()
    assert '# state_dir = "/var/lib/delestage"' in text
    config = state_dir / "delestage.toml"
    config.write_text(
        text.replace('# state_dir = "/var/lib/delestage"', f'state_dir = "{state_dir}"')
    )
    before, after = state_dir / "stty-before", state_dir / "stty-after"

    tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30",
         "env", "PS1=$ ", "bash", "--norc", "--noprofile")  # fmt: skip
    tmux(
        "send-keys",
        "-t",
        "e2e",
        f"stty -g > {before}; {delestage_command()} --config {config}; "
        f"echo EXITED:$?; stty -g > {after}",
        "Enter",
    )
    start = tmux.wait_for("the relay grid", lambda s: "Relay" in s and "Radiateurs chambres" in s)
    assert "DEMO" in start and "in-process" in start
    assert "simulated relay board and synthetic forecast" in start
    # The shipped demo has a Tempo demo source: its colours in the header and the timeline.
    assert "Tempo: underlined = peak 06:00-22:00 of white/red days" in start
    assert "Tempo " in start.splitlines()[0]

    tmux("send-keys", "-t", "e2e", "2")
    tmux.wait_for("relay 2 selected", lambda s: row(s, 2).startswith(" ▶ 2"))
    assert "FORCED" not in row(start, 2)

    tmux("send-keys", "-t", "e2e", "s")
    forced = tmux.wait_for(
        "relay 2 forced cut",
        lambda s: "FORCED" in row(s, 2) and "Radiateurs chambres: forced cut by operator" in s,
    )
    assert "CUT" in row(forced, 2).split()
    assert "override Radiateurs chambres: forced cut by operator until" in forced

    tmux("send-keys", "-t", "e2e", "q")
    end = tmux.wait_for("the shell again", lambda s: "EXITED:0" in s)
    assert "Relay" not in end  # the alternate screen is gone, the shell's screen is back
    assert tmux("display", "-p", "-t", "e2e", "#{alternate_on} #{cursor_flag}").split() == [
        "0",
        "1",
    ]
    tmux.wait_for("stty saved", lambda _: after.exists() and after.read_text().strip() != "")
    assert after.read_text() == before.read_text()
