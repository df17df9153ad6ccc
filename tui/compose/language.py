"""The language every word is in: ``--lang``, else ``[ui] language``, else the environment
(tui/core/i18n.py), and its catalog read from the package (``tui/locale``, compiled .mo files
shipped beside their .po; ``python tools/i18n.py`` rebuilds them, docs/francais.md)."""

import gettext
import os
from collections.abc import Mapping

from tui.core import i18n

TYPE_CHECKING = False  # not typing's: `delestage --help` imports no typing (docs/performance.md)
if TYPE_CHECKING:
    from pathlib import Path

# os.path, not pathlib, and tomllib when a file is read: `delestage --help` chooses the
# language too, and stays fast.
LOCALE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "locale")


def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (the msgids themselves when it is missing). Read
    directly, not through gettext.translation, which imports locale (a few ms of --help)."""
    path = os.path.join(LOCALE_DIR, language, "LC_MESSAGES", f"{i18n.DOMAIN}.mo")
    try:
        with open(path, "rb") as handle:
            return gettext.GNUTranslations(handle)
    except OSError:
        return gettext.NullTranslations()


def set_language(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """Chooses the language for ``setting`` (``auto``, ``fr``, ``en``) and makes its catalog
    the one in use; returns ``fr`` or ``en``."""
    language = i18n.choose(setting, os.environ if environ is None else environ)
    i18n.use(catalog(language), language)
    return language


def configured_setting(path: "Path | None") -> str:
    """``[ui] language`` of the configuration file, read early (before the command loads the
    whole configuration, which says what is wrong with a bad value, file and key): ``auto``
    when the file, the key or a valid value is missing."""
    if path is None:
        return "auto"
    import tomllib

    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return "auto"
    ui = document.get("ui")
    value = ui.get("language") if isinstance(ui, dict) else None
    return value if isinstance(value, str) and value in i18n.SETTINGS else "auto"
