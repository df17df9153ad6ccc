"""In a real terminal at 80x24: `delestage` attached to `delestage --headless` opens complete
every time (timeline and every relay row), and says so when the service stops."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.tmux import Tmux, delestage_command, needs_tmux, tmux_server
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


ROW = re.compile(r"^ [ ▶] [0-7] \S")


def test_attached_ui_opens_complete_every_time_and_says_when_the_service_stops(
    tmux: Panes, state_dir: Path
) -> None:
    config = state_dir / "delestage.toml"
    demo_state = 'state_dir = "~/.local/state/delestage-demo"'  # the demo's own
    text = DEMO_CONFIG.read_text()
    assert demo_state in text
    config.write_text(text.replace(demo_state, f'state_dir = "{state_dir}"'))
    command = delestage_command()
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "service", "-x", "80", "-y", "24",
         f"{command} --headless --config {config}")  # fmt: skip
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
