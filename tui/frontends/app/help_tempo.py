"""The help screen's Tempo words: what each Tempo word on screen means (shown with [tempo] on)."""

from datetime import date

from rich.text import Text

from tui.core.i18n import _, row_date
from tui.core.tempo import DAY_START_HOUR, PEAK_END_HOUR, Colour, Peak
from tui.frontends.app.tempo_text import PEAK, colour_text

PEAK_HOURS = f"{DAY_START_HOUR:02d}:00-{PEAK_END_HOUR:02d}:00"


def tempo_help() -> Text:
    """Lines in the help's "Words" layout: a 15-column word, then what it means."""
    indent = " " * 17
    start, end = f"{DAY_START_HOUR:02d}:00", f"{PEAK_END_HOUR:02d}:00"
    out = Text(_("\n\nTempo (with [tempo]: EDF's blue, white and red days)\n"), style="bold")
    out.append("  Tempo ")
    out.append_text(colour_text("red"))
    out.append(_(" · tomorrow "))
    out.append_text(colour_text("white"))
    out.append(
        _(
            "\n{indent}header: the Tempo day in force ({start} to {start} next day)\n"
            '{indent}and tomorrow\'s; at 80 columns "Tempo red, tomorrow ?"\n'
        ).format(indent=indent, start=start)
    )
    out.append("  ")
    out.append_text(colour_text(None, short=True))
    out.append(" / ")
    out.append_text(colour_text(None))
    out.append(
        _(
            "\n{indent}the colour is not out yet: RTE publishes tomorrow's at\n"
            "{indent}about 10:30; an unknown colour never cuts anything\n"
        ).format(indent=indent)
    )
    out.append(f"  {row_date(date(2026, 12, 1))} ")
    out.append_text(colour_text("red"))
    out.append(_(" the timeline: each day's Tempo colour beside its hours\n"))
    out.append("  ")
    underlined = _("underlined")
    out.append(underlined, style=PEAK)
    out.append(" " * max(1, 15 - len(underlined)))
    out.append(
        _(
            "peak hours {hours} of a white or red day: the hours\n"
            "{indent}Tempo cuts channels whose shed_tempo lists that colour\n"
        ).format(hours=PEAK_HOURS, indent=indent)
    )
    # Any red day gives the reason's words: the one the policy writes, never a copy of it.
    red_reason = Peak(date(2026, 12, 1), Colour.RED).describe()
    out.append(
        _(
            "  {reason}\n{indent}why a relay is cut: a red day's peak (from {start} minus\n"
            "{indent}[policy] lead); off-peak {end}-{start} is never cut"
        ).format(reason=red_reason, indent=indent, start=start, end=end)
    )
    return out
