"""In a real terminal at 80x24: `delestage` attached to `delestage --headless` opens complete
every time (timeline and every relay row), and says so when the service stops."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.tmux import Tmux, delestage_command, needs_tmux, stop_process, tmux_server
from support.tui_harness import DEMO_CONFIG

pytestmark = needs_tmux


class Panes(Tmux):
    """One tmux server, several sessions: ``target`` is the one looked at."""

    target = "service"

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", self.target)


@pytest.fixture
def tmux() -> Iterator[Panes]:
    yield from tmux_server(Panes, "delestage-att")


@pytest.fixture
def service(tmux: Panes, state_dir: Path) -> Iterator[Path]:
    """``delestage --headless`` on the demo house in the session "service"; its configuration's
    path is yielded. Stopped after the test even when an assertion failed: killing the tmux
    server only sends it SIGHUP, which a service takes as "reload", not "stop"."""
    config = state_dir / "delestage.toml"
    demo_state = 'state_dir = "~/.local/state/delestage-demo"'  # the demo's own
    text = DEMO_CONFIG.read_text()
    assert demo_state in text
    config.write_text(text.replace(demo_state, f'state_dir = "{state_dir}"'))
    # exec: the pane's process is the service itself, so its PID is the one to stop.
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "service", "-x", "80", "-y", "24",
         f"exec {delestage_command()} --headless --config {config}")  # fmt: skip
    pid = int(tmux("display-message", "-p", "-t", "service", "#{pane_pid}"))
    try:
        yield config
    finally:
        stop_process(pid)


ROW = re.compile(r"^ [ ▶] [0-7] \S")


def test_attached_ui_opens_complete_every_time_and_says_when_the_service_stops(
    tmux: Panes, service: Path
) -> None:
    config, command = service, delestage_command()
    tmux.target = "service"
    tmux.wait_for("the service", lambda s: "relay" in s or "board" in s)
    for launch in range(3):
        tmux("new-session", "-d", "-s", f"ui{launch}", "-x", "80", "-y", "24",
             f"{command} --config {config}")  # fmt: skip
        tmux.target = f"ui{launch}"
        screen = tmux.wait_for(
            "every relay row", lambda s: sum(1 for line in s.splitlines() if ROW.match(line)) >= 8
        )
        assert "attached to PID" in screen and "Signal" in screen
        if launch < 2:
            tmux("send-keys", "-t", f"ui{launch}", "q")
    tmux("send-keys", "-t", "service", "C-c")
    stopped = tmux.wait_for("the stop", lambda s: "SERVICE STOPPED" in s)
    # At 80 columns, in one line (issue 21, item 9): the answer line stays in sight.
    assert "relays released ('no' CUT, 'nc' ON); control is off" in stopped
    assert "BOARD DETACHED" not in stopped
