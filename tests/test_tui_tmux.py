"""End to end in a real terminal: bare `delestage` on the demo configuration inside tmux.

Select a relay, force it cut, see the grid and the event log change, quit, and check that the
terminal is given back as it was (main screen, cursor shown, same tty settings)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.tmux import Tmux, delestage_command, needs_tmux, tmux_server
from support.tui_harness import DEMO_CONFIG

pytestmark = needs_tmux


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    yield from tmux_server(Tmux, "delestage-test")


def row(screen: str, index: int) -> str:
    return next(line for line in screen.splitlines() if line[3:].startswith(f"{index} "))


def test_force_a_relay_cut_from_the_keyboard_in_a_real_terminal(
    tmux: Tmux, state_dir: Path
) -> None:

    text = DEMO_CONFIG.read_text()
    demo_state = 'state_dir = "~/.local/state/delestage-demo"'  # the demo's own
    assert demo_state in text
    config = state_dir / "delestage.toml"
    config.write_text(text.replace(demo_state, f'state_dir = "{state_dir}"'))
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
        lambda s: "FORCED" in row(s, 2) and "Radiateurs chambres: forced Hors-gel by operator" in s,
    )
    # A pilot wire: the State is the order sent (Hors-gel for a plain cut), the Mode FORCED.
    assert "HORS-GEL" in row(forced, 2).split() and "CUT" not in row(forced, 2).split()
    assert "override Radiateurs chambres: forced Hors-gel by operator until" in forced

    tmux("send-keys", "-t", "e2e", "q")
    end = tmux.wait_for("the shell again", lambda s: "EXITED:0" in s)
    assert "Relay" not in end  # the alternate screen is gone, the shell's screen is back
    # Quitting said what it did: the service ran in this UI and stopped with it.
    assert "delestage stopped (the service ran in this UI): on_exit = release" in end
    assert tmux("display", "-p", "-t", "e2e", "#{alternate_on} #{cursor_flag}").split() == [
        "0",
        "1",
    ]
    tmux.wait_for("stty saved", lambda _: after.exists() and after.read_text().strip() != "")
    assert after.read_text() == before.read_text()
