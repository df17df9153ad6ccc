"""The power rule's cuts in ``state.json``: which channels the meter's rule holds cut, since when.

Saved with the overrides and the switch history (the same atomic write, the same two files), so
that a restart does not put back at once a load the power rule had cut (into a trip) and
``restore_after`` keeps counting from the cut. Read leniently: a ``power_cuts`` table that does
not validate is dropped with one line and never costs the overrides or the history beside it
(they are what an operator set). A file without the table (older versions) has no cut; older
versions reading a newer file ignore it.
"""

from collections.abc import Mapping
from typing import Any

from tui.core.config import CHANNEL_NUMBERS
from tui.core.durations import parse_instant
from tui.core.names import refused_char, refused_words
from tui.core.power_rule import PowerCut

KEY = "power_cuts"
CHANNELS = range(CHANNEL_NUMBERS)  # numbered across several boards, as in the rest of the file
MAX_REASON = 400


def encode_power_cuts(cuts: Mapping[int, PowerCut]) -> dict[str, Any]:
    return {
        str(channel): {"at": cut.at.isoformat(), "power_va": cut.power_va, "reason": cut.reason}
        for channel, cut in sorted(cuts.items())
    }


def decode_power_cuts(document: object) -> tuple[dict[int, PowerCut], str | None]:
    """The cuts a state document holds, and the problem with them (None: none); never raises."""
    if not isinstance(document, dict) or KEY not in document:
        return {}, None
    table = document[KEY]
    if not isinstance(table, dict):
        return {}, f"{KEY}: expected an object; power cuts dropped"
    cuts: dict[int, PowerCut] = {}
    for key, raw in table.items():
        where = f"{KEY}.{str(key)[:20]}"
        if not isinstance(key, str) or not key.isdigit() or int(key) not in CHANNELS:
            return {}, f"{where}: expected a channel index 0-{CHANNELS[-1]}; power cuts dropped"
        if not isinstance(raw, dict):
            return {}, f"{where}: expected an object; power cuts dropped"
        try:
            at = parse_instant(raw.get("at"))
        except ValueError as error:
            return {}, f"{where}.at: {error}; power cuts dropped"
        power, reason = raw.get("power_va"), raw.get("reason")
        if isinstance(power, bool) or not isinstance(power, int | float) or not 0 <= power < 1e6:
            return {}, f"{where}.power_va: expected a power in VA; power cuts dropped"
        if not isinstance(reason, str) or len(reason) > MAX_REASON:
            return {}, f"{where}.reason: expected a reason; power cuts dropped"
        if (char := refused_char(reason)) is not None:  # shown in status, the UI, the log
            got = f"{refused_words(char, name=False)}, got {reason!r:.60}"
            return {}, f"{where}.reason: {got}; power cuts dropped"
        cuts[int(key)] = PowerCut(at=at, power_va=float(power), reason=reason)
    return cuts, None
