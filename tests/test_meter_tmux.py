"""End to end in a real terminal at 80x24: bare `delestage` on the demo configuration with the
demo house's meter inside tmux. The timeline's power line filling minute by
minute, every channel row still on screen; quit gives the shell back."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.tmux import Tmux, delestage_command, needs_tmux, tmux_server
from support.tui_harness import DEMO_CONFIG

from tui.adapters.config_file import load_config

pytestmark = needs_tmux


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    yield from tmux_server(Tmux, "delestage-meter")


def test_the_power_line_at_80x24_in_a_real_terminal(tmux: Tmux, state_dir: Path) -> None:
    text = DEMO_CONFIG.read_text()
    demo_state = 'state_dir = "~/.local/state/delestage-demo"'
    assert demo_state in text
    text = text.replace(demo_state, f'state_dir = "{state_dir}"')
    if "\n[meter]" not in text:  # the shipped demo without its meter: the demo house's
        text += '\n[meter]\nsource = "demo"\nlimit = "9kVA"\n'
    config = state_dir / "delestage.toml"
    config.write_text(text)

    tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24",
         "env", "PS1=$ ", "bash", "--norc", "--noprofile")  # fmt: skip
    tmux(
        "send-keys",
        "-t",
        "e2e",
        f"{delestage_command()} --config {config}; echo EXITED:$?",
        "Enter",
    )
    screen = tmux.wait_for(
        "the power line", lambda s: any(line.startswith(" Power 1h") for line in s.splitlines())
    )
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    row = next(line for line in lines if line.startswith(" Power 1h"))
    assert " now " in row and "kVA" in row
    assert "/ 9 kVA" in row  # the power now against the limit
    # Every channel row of the demo is on screen: seven rows for the 1017's eight relays, the
    # bedroom radiators' pilot wire (relays 2 and 6) one row that shows its order.
    channels = load_config(config).channels
    assert len(channels) == 7
    for channel in channels:
        assert any(line[3:].startswith(f"{channel.index} {channel.name}") for line in lines), (
            channel.index
        )
    pilot = next(line for line in lines if line[3:].startswith("2 Radiateurs chambres"))
    assert any(order in pilot.split() for order in ("CONFORT", "ÉCO", "HORS-GEL")), pilot
    tmux("send-keys", "-t", "e2e", "q")
    tmux.wait_for("the shell again", lambda s: "EXITED:0" in s)
