"""The help screen's Tempo words: what each Tempo word on screen means (shown with [tempo] on)."""

from datetime import date

from rich.text import Text

from tui.core.tempo import DAY_START_HOUR, PEAK_END_HOUR, Colour, Peak
from tui.frontends.app.tempo_text import PEAK, colour_text

# Any red day gives the reason's words: the one the policy writes, never a copy of it.
RED_REASON = Peak(date(2026, 12, 1), Colour.RED).describe()
PEAK_HOURS = f"{DAY_START_HOUR:02d}:00-{PEAK_END_HOUR:02d}:00"


def tempo_help() -> Text:
    """Lines in the help's "Words" layout: a 15-column word, then what it means."""
    indent = " " * 17
    out = Text("\n\nTempo (with [tempo]: EDF's blue, white and red days)\n", style="bold")
    out.append("  Tempo ")
    out.append_text(colour_text("red"))
    out.append(" · tomorrow ")
    out.append_text(colour_text("white"))
    out.append(
        f"\n{indent}header: the Tempo day in force ({DAY_START_HOUR:02d}:00 to "
        f"{DAY_START_HOUR:02d}:00 next day)\n{indent}and tomorrow's; at 80 columns "
        '"Tempo red, tomorrow ?"\n'
    )
    out.append("  ")
    out.append_text(colour_text(None, short=True))
    out.append(" / ")
    out.append_text(colour_text(None))
    out.append(
        f"\n{indent}the colour is not out yet: RTE publishes tomorrow's at\n"
        f"{indent}about 10:30; an unknown colour never cuts anything\n"
    )
    out.append("  Tue 01 Dec ")
    out.append_text(colour_text("red"))
    out.append(" the timeline: each day's Tempo colour beside its hours\n")
    out.append("  ")
    out.append("underlined", style=PEAK)
    out.append(
        f"     peak hours {PEAK_HOURS} of a white or red day: the hours\n"
        f"{indent}Tempo cuts channels whose shed_tempo lists that colour\n"
    )
    out.append(
        f"  {RED_REASON}\n{indent}why a relay is cut: a red day's peak (from "
        f"{DAY_START_HOUR:02d}:00 minus\n{indent}[policy] lead); off-peak "
        f"{PEAK_END_HOUR:02d}:00-{DAY_START_HOUR:02d}:00 is never cut"
    )
    return out
