"""Errors the front ends turn into one clear line and exit status 2.

A line names where (the file, the key path, the option) as written, then says what was wrong
in the operator's language (``tui.core.i18n``): ``delestage.toml: ui.language: expected one
of "auto", "fr", "en", got "de"`` / ``... : attendu l'une des valeurs ..., trouvé "de"``.
"""

from tui.core.i18n import _


class InputError(Exception):
    """Bad input from the user: a config file, a forecast body, an argument.

    Each entry of ``problems`` is one complete line naming the file, key or field and what was
    expected; front ends print them as they are, without a traceback.
    """

    def __init__(self, problems: str | list[str]) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def expected_got(where: str, expected: str, got: str) -> str:
    """``where: expected ..., got ...``: the key path or option as written, the words in the
    operator's language (the one line every bad value gets)."""
    return f"{where}: " + _("expected {expected}, got {got}").format(expected=expected, got=got)
