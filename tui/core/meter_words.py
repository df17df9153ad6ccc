"""A meter reading in words, the one way the event log, ``check`` and the UI say it.

``standard mode, 4,2 kVA, cut-off 9 kVA`` (the log); with ``now``, as ``check`` says what it
reads: ``standard mode, PREF 9 kVA, cut-off 9 kVA, power now 4,2 kVA``. Pure.
"""

from tui.core.i18n import _
from tui.core.meter import MeterReading, format_kva


def reading_words(reading: MeterReading, *, now: bool = False, pref: bool = True) -> str:
    """``pref``: say PREF too (an MQTT reading's is its cut-off, said once)."""
    parts = [_("{mode} mode").format(mode=reading.mode.value)] if reading.mode else []
    power = format_kva(reading.power_va)
    if now:
        if pref and reading.reference_va:
            parts.append(_("PREF {power}").format(power=format_kva(reading.reference_va)))
        if reading.cutoff_va:
            parts.append(_("cut-off {power}").format(power=format_kva(reading.cutoff_va)))
        parts.append(_("power now {power}").format(power=power))
    else:
        parts.append(power)
        if reading.cutoff_va:
            parts.append(_("cut-off {power}").format(power=format_kva(reading.cutoff_va)))
    return ", ".join(parts)
