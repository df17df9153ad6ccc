"""Words, times and colours shared by the panes: every state is written, colour only adds."""

from datetime import datetime, timedelta

from rich.cells import cell_len, set_cell_size
from rich.style import Style

from tui.core.forecast import PARIS, Level
from tui.core.i18n import N_, _

LEVEL_WORDS = {0: N_("LOW-CARBON"), 1: N_("GREEN"), 2: N_("ORANGE"), 3: N_("RED")}
UNKNOWN_LETTER = "?"

# Backgrounds for level cells; the letter on top carries the meaning under NO_COLOR.
# Each maps to its own colour when a terminal has only 16 (teal, green, yellow, red; grey for
# unknown): #2e7d32 green used to fall to the same grey as unknown.
_LEVEL_BACKGROUNDS = {0: "#00897b", 1: "#00a000", 2: "#e65100", 3: "#b71c1c"}
_UNKNOWN_BACKGROUND = "#4a4a4a"

MODE_WORDS = {"demo": N_("DEMO"), "sandbox": N_("SANDBOX"), "live": N_("LIVE"), "file": N_("FILE")}

STALE_AFTER = timedelta(hours=6)


def level_word(level: int | None) -> str:
    return _(LEVEL_WORDS.get(level, "UNKNOWN")) if level is not None else _("UNKNOWN")


def level_letter(level: int | None) -> str:
    return Level(level).letter if level is not None else UNKNOWN_LETTER


# Orange falls to yellow with 16 colours, where white letters are hard to read: black on it.
_LEVEL_LETTERS = {2: "#000000"}


def level_style(level: int | None) -> Style:
    background = _LEVEL_BACKGROUNDS.get(level, _UNKNOWN_BACKGROUND) if level is not None else None
    letter = _LEVEL_LETTERS.get(level, "#ffffff") if level is not None else "#ffffff"
    return Style(color=letter, bgcolor=background or _UNKNOWN_BACKGROUND, bold=True)


def level_text_style(level: int | None) -> Style:
    """The level's colour as foreground, for words in running text."""
    if level is None:
        return Style(color="#9e9e9e", bold=True)
    return Style(color=_LEVEL_BACKGROUNDS[level], bold=True)


def mode_word(mode: str) -> str:
    return _(MODE_WORDS[mode]) if mode in MODE_WORDS else mode.upper()


def paris(when: datetime) -> datetime:
    return when.astimezone(PARIS)


def age(delta: timedelta) -> str:
    """``just now``, ``12 min ago``, ``3 h ago``, ``2 days ago``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 120:
        return _("{minutes} min ago").format(minutes=minutes)
    hours = minutes // 60
    if hours < 48:
        return _("{hours} h ago").format(hours=hours)
    return _("{days} days ago").format(days=hours // 24)


def fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` cells, marking the cut with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"
