"""Which source gave a Tempo colour, in words: ``status``, the TUI and ``plan`` say it alike.

With ``[tempo] fallback = "tic"`` each colour may come from RTE or from the meter; the words
then follow each colour (``red (RTE)``, ``white (meter)``). With one source, the source is
named once (``tempo: rte, ...``) and the colours stand alone.
"""

from tui.core.i18n import N_, _
from tui.service.snapshot import TempoView

_NAMES = {"rte": N_("RTE"), "tic": N_("meter"), "sandbox": N_("RTE sandbox")}


def source_label(kind: str | None) -> str:
    """``RTE``, ``meter``: a Tempo source, short."""
    if kind is None:
        return ""
    return _(_NAMES[kind]) if kind in _NAMES else kind


def tempo_sources(tempo: TempoView) -> str:
    """``rte``, or ``rte, meter as fallback``."""
    if tempo.fallback is None:
        return tempo.source
    return _("{source}, {fallback} as fallback").format(
        source=tempo.source, fallback=source_label(tempo.fallback)
    )


def from_source(tempo: TempoView, kind: str | None) -> str:
    """`` (meter)`` after a colour the fallback gave, `` (RTE)`` after the source's; nothing
    with a single source or an unknown colour."""
    if tempo.fallback is None or kind is None:
        return ""
    return f" ({source_label(kind)})"
