"""The UI in the operator's language (docs/francais.md): binding descriptions translated, and
AZERTY's unshifted top row selecting relays when French is chosen (no remap needed)."""

import dataclasses
from collections.abc import Mapping

from textual.binding import BindingsMap

from tui.core import i18n
from tui.core.i18n import _

# The unshifted top row of a French AZERTY keyboard, digit by digit (Textual's key names):
# & é " ' ( - è _ ç à over 1 2 3 4 5 6 7 8 9 0.
AZERTY = {
    "0": "à",
    "1": "ampersand",
    "2": "é",
    "3": "quotation_mark",
    "4": "apostrophe",
    "5": "left_parenthesis",
    "6": "minus",
    "7": "è",
    "8": "underscore",
    "9": "ç",
}
AZERTY_SHOWN = "à & é \" ' ( - è"
AZERTY_SHOWN_TEN = AZERTY_SHOWN + " _ ç"


def keymap(configured: Mapping[str, str], binding_ids: list[str]) -> dict[str, str]:
    """``[ui] keys``, plus in French the AZERTY top row for every ``select_N`` the operator
    did not remap (a key the operator gave to another binding stays theirs)."""
    keys = dict(configured)
    if not i18n.french():
        return keys
    taken = {
        name.strip() for value in configured.values() for name in value.split(",") if name.strip()
    }
    for ident in binding_ids:
        digit = ident.removeprefix("select_")
        if ident == digit or ident in configured or digit not in AZERTY:
            continue
        if AZERTY[digit] not in taken:
            keys[ident] = f"{digit},{AZERTY[digit]}"
    return keys


def azerty_on(keys: Mapping[str, str]) -> bool:
    return any(
        AZERTY.get(ident.removeprefix("select_"), "") in value for ident, value in keys.items()
    )


def translate_bindings(bindings: BindingsMap) -> None:
    """Every binding's description (the footer's words) in the language in use."""
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            dataclasses.replace(item, description=_(item.description)) if item.description else item
            for item in items
        ]
