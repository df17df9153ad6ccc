"""Words in the operator's language (docs/francais.md): the active catalog, and dates and
numbers written the French way without any system locale.

Pure: the catalog is handed in (``use``) by whoever read it (``tui/compose/language.py``);
lookups are dictionary reads. Until then every text is the English msgid itself, as in the
tests. Mark a text with ``_("...")`` where it is shown, or ``N_("...")`` where it is only
declared and translated later; a text with values is ``_("red {span}").format(span=...)``,
never an f-string, so that the catalog holds one msgid per sentence.
"""

import gettext
from collections.abc import Mapping

TYPE_CHECKING = False  # not typing's: `delestage --help` imports no typing (docs/performance.md)
if TYPE_CHECKING:  # annotations only: `delestage --help` chooses the language too
    from datetime import date

LANGUAGES = ("fr", "en")
SETTINGS = ("auto", *LANGUAGES)
DOMAIN = "delestage"
# Where the language comes from with "auto", first set wins (as GNU gettext reads them).
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_catalog: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def use(catalog: gettext.NullTranslations | None, language: str) -> None:
    """Make ``catalog`` the one every ``_`` reads (None: English, the msgids themselves)."""
    global _catalog, _language
    _catalog = catalog if catalog is not None else gettext.NullTranslations()
    _language = language if language in LANGUAGES else "en"


def language() -> str:
    """``"fr"`` or ``"en"``: the language in use."""
    return _language


def french() -> bool:
    return _language == "fr"


def _(message: str) -> str:
    """``message`` in the language in use (itself when the catalog lacks it)."""
    return _catalog.gettext(message)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it here (a table of words that
    is translated when shown)."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalog.ngettext(singular, plural, count)


def choose(setting: str, environ: Mapping[str, str]) -> str:
    """``"fr"`` or ``"en"`` for ``[ui] language`` / ``--lang``: ``auto`` reads ``LANGUAGE``,
    ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` (``fr_FR.UTF-8``, ``fr:en``, ``fr_BE``...), the
    first that is set; a language other than French, ``C`` or nothing is English."""
    if setting in LANGUAGES:
        return setting
    for name in ENVIRONMENT:
        value = environ.get(name, "").strip()
        if not value:
            continue
        for item in value.split(":"):
            code = item.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
            if code in ("c", "posix"):
                return "en"
        return "en"
    return "en"


# French abbreviations as the Imprimerie nationale (and glibc's fr_FR) write them.
_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ),
}


def day_name(day: "date") -> str:
    """``Thu`` / ``jeu.``"""
    return _DAYS[_language][day.weekday()]


def month_name(day: "date") -> str:
    """``Dec`` / ``déc.``"""
    return _MONTHS[_language][day.month - 1]


def short_date(day: "date") -> str:
    """``Thu 03 Dec`` / ``jeu. 03 déc.``"""
    return f"{day_name(day)} {day:%d} {month_name(day)}"


def row_date(day: "date") -> str:
    """A day in 10 columns, for a row's label: ``Thu 03 Dec`` / ``jeu. 03/12``."""
    if _language == "fr":
        return f"{day_name(day)} {day:%d/%m}"
    return f"{day_name(day)} {day:%d} {month_name(day)}"


def decimal(value: float, digits: int = 1) -> str:
    """``2.5`` / ``2,5``: a decimal comma in French."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if _language == "fr" else text


def number_text(text: str) -> str:
    """A number already written (``"1.5"``), with the decimal comma in French."""
    return text.replace(".", ",") if _language == "fr" else text
