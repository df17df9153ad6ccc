"""The one rule for a name shown to people (a channel's, and whatever the state file says of
it): no character that hides, reorders or splits what is shown.

A name is shown in terminals, logs, MQTT and Home Assistant: besides the Cc controls (ESC,
newline, NUL), the invisible format characters (Cf: bidi overrides such as U+202E, zero-width
spaces) and the line and paragraph separators (Zl U+2028, Zp U+2029) are refused. The
configuration applies it to channel names (``config._name``), the state file to the names and
power-cut reasons it saved (``adapters.stores.state``, ``power_cuts``).
"""

import unicodedata

from tui.core.i18n import _

REFUSED = frozenset({"Cc", "Cf", "Zl", "Zp"})


def refused_char(text: str) -> str | None:
    """The first refused character of ``text``, named (``U+202E RIGHT-TO-LEFT OVERRIDE``);
    None when there is none."""
    for char in text:
        if unicodedata.category(char) in REFUSED:
            return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"
    return None


def refused_words(char: str, name: bool = True) -> str:
    """What a name (``name=False``: a text such as a saved reason) with ``char`` (from
    ``refused_char``) was expected to be, in words."""
    if name:
        words = _("a name without control, bidi or line-separator characters (found {char})")
    else:
        words = _("a text without control, bidi or line-separator characters (found {char})")
    return words.format(char=char)
