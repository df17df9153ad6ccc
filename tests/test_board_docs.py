"""Issue 22's small doc slips, kept fixed: what the docs and `--help` say of the boards holds
for every model and for several boards, not only for one 1017_2."""

import argparse
import re
from pathlib import Path

from tui.core.devices import DEVICES
from tui.frontends.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _row(path: Path, key: str) -> str:
    """The configuration reference's table row for ``key``."""
    (row,) = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| `{key}` |")
    ]
    return row


def test_hub_port_is_for_every_vint_board_not_only_a_1017_2() -> None:
    row = _row(DOCS / "configuration.md", "hub_port")
    assert "only for a 1017_2" not in row
    for model in ("REL1000", "REL1100", "REL1101", "1017_2", "1014_3"):
        assert model in row, model


def test_failsafe_is_described_for_every_board_that_has_one() -> None:
    row = _row(DOCS / "configuration.md", "failsafe")
    assert "hardware failsafe period of a 1017_2" not in row
    for model in ("1017_2", "1014_3", "REL1000", "REL1100", "REL1101", "REL1101_1"):
        assert model in row, model
    assert "version 110" in row


def test_the_device_table_has_a_persistence_column_for_every_model() -> None:
    lines = (DOCS / "wiring.md").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| model | device ID |"))
    assert "persistence" in header
    cells = header.count("|")
    rows = [line for line in lines if re.match(r"\| `(1017|1014|REL1\d{3})`", line)]
    assert len(rows) == len(DEVICES)
    assert all(row.count("|") == cells for row in rows), rows


def test_a_doc_says_the_simulated_board_can_be_any_model() -> None:
    row = _row(DOCS / "configuration.md", "kind")
    assert "simulated board can be any model" in row
    assert 'model = "REL1101"' in row


def test_force_help_gives_no_single_board_range() -> None:
    parser = build_parser()
    (commands,) = [
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    ]
    force = commands.choices["force"]
    text = " ".join(force.format_help().split())
    assert "(0-7)" not in text
    assert "channel number (across boards, with several) or name" in text


def test_the_readmes_test_relays_row_has_board() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `delestage test-relays")]
    assert "[--board NAME]" in row


def test_testing_md_counts_the_test_phidget_modules() -> None:
    words = {6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}
    count = len(list((ROOT / "tests").glob("test_phidget_*.py")))
    text = " ".join((DOCS / "testing.md").read_text(encoding="utf-8").split())
    assert f"the {words[count]} `test_phidget_*` modules" in text


def test_user_interface_says_why_n_and_not_slash_goes_to_a_channel() -> None:
    text = " ".join((DOCS / "user-interface.md").read_text(encoding="utf-8").split())
    assert "(`n` rather than `/`, because `/` filters the event log;" in text
