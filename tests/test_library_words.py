"""Issue 22, defect 3: no Phidget relay board senses its contacts. ``getState`` is the library's
memory of the last command it sent successfully, so no user-visible text may say a relay's
state was "read back" or "read from the board": it is commanded and confirmed by the board's
library (`delestage --help`, the start's event, `history`'s reason, the docs)."""

import re
from pathlib import Path

from tui.compose.language import set_language
from tui.core.history import READ
from tui.core.i18n import _
from tui.frontends.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
# The English claims, and the French ones they were translated to.
CLAIMS = re.compile(
    r"read it back|read from the board|reads? (?:the relays? )?back from the board|"
    r"relay states read|lus? sur la carte|le relire",
    re.IGNORECASE,
)


def test_the_top_level_help_says_the_library_confirms_the_command() -> None:
    text = " ".join(build_parser().format_help().split())
    assert "commanded and confirmed by the board's library" in text
    assert "read it back" not in text


def test_the_start_event_and_historys_reason_name_the_library() -> None:
    assert READ == "as the board's library reported at start"
    set_language("fr")
    try:
        assert _(READ) == "tel que la bibliothèque de la carte l'indiquait au départ"
        assert _("relay states the board's library reports: ") == (
            "états des relais selon la bibliothèque de la carte : "
        )
    finally:
        set_language("en")


def test_no_source_doc_or_catalog_claims_a_relay_is_read_from_the_board() -> None:
    files = [
        *sorted((ROOT / "tui").rglob("*.py")),
        *sorted((ROOT / "docs").rglob("*.md")),
        ROOT / "README.md",
        ROOT / "tui" / "locale" / "fr" / "LC_MESSAGES" / "delestage.po",
    ]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CLAIMS.search(line)
    ]
    assert found == []
