"""Tempo in the UI: each day's colour in words (colour only adds), and which hours are peak."""

from datetime import date, datetime

from rich.style import Style
from rich.text import Text

from tui.core.i18n import N_, _
from tui.core.tempo import DAY_START_HOUR, PEAK_END_HOUR, colour_word
from tui.frontends.app.text import paris
from tui.service.snapshot import TempoView

_STYLES = {
    "red": Style(color="#ffffff", bgcolor="#b71c1c", bold=True),
    "white": Style(color="#000000", bgcolor="#eeeeee", bold=True),
    "blue": Style(color="#ffffff", bgcolor="#1565c0", bold=True),
}
UNKNOWN = Style(color="#9e9e9e", italic=True)
# Peak hours of a red or white day: underlined, which reads without colour too.
PEAK = Style(underline=True)
SHEDDING = frozenset({"red", "white"})
LEGEND = N_("Tempo: underlined = peak {start}-{end} of white/red days; ? = not published yet")
# With [tempo] fallback = "tic": the same, shorter, and what marks a colour the meter gave.
LEGEND_FALLBACK = N_(
    "Tempo: underlined = peak {start}-{end}; ? = not published yet; * = from the meter"
)
FROM_FALLBACK = "*"  # after a colour the fallback source (the meter) gave, not the first source


def legend(tempo: TempoView | None = None) -> str:
    """The timeline's Tempo line, in the language in use."""
    text = LEGEND if tempo is None or tempo.fallback is None else LEGEND_FALLBACK
    return _(text).format(start=f"{DAY_START_HOUR:02d}:00", end=f"{PEAK_END_HOUR:02d}:00")


def day_colours(tempo: TempoView) -> dict[date, str | None]:
    return {date.fromisoformat(day.day): day.colour for day in tempo.days}


def fallback_days(tempo: TempoView) -> frozenset[date]:
    """The days whose colour the fallback source (the meter) gave."""
    if tempo.fallback is None:
        return frozenset()
    return frozenset(
        date.fromisoformat(day.day) for day in tempo.days if day.source == tempo.fallback
    )


def fallback_mark(tempo: TempoView, source: str | None, wide: bool) -> str:
    """`` (meter)`` (wide) or ``*`` after a colour the fallback gave; else nothing."""
    if tempo.fallback is None or source is None or source != tempo.fallback:
        return ""
    return _(" (meter)") if wide else FROM_FALLBACK


def colour_text(colour: str | None, short: bool = False) -> Text:
    """``red`` on red; unknown is ``?`` (short) or ``not published yet``."""
    if colour is None:
        return Text("?" if short else colour_word(None), style=UNKNOWN)
    return Text(_(colour), style=_STYLES.get(colour, Style(bold=True)))


def is_peak(colour: str | None, hour_start: datetime) -> bool:
    """Whether an hour starting at ``hour_start`` (UTC) is a peak hour of a white or red day
    (the hour belongs to the row of its own Paris date, which is its Tempo day in peak hours)."""
    if colour not in SHEDDING:
        return False
    return DAY_START_HOUR <= paris(hour_start).hour < PEAK_END_HOUR


def header_text(tempo: TempoView, wide: bool = True) -> Text:
    """``Tempo red · tomorrow not published yet`` for the status line; narrow, ``Tempo red,
    tomorrow ?`` (the timeline's legend line says what ``?`` means)."""
    line = Text("Tempo ")
    line.append_text(colour_text(tempo.today, short=not wide))
    line.append(fallback_mark(tempo, tempo.today_source, wide))
    line.append(_(" · tomorrow ") if wide else _(", tomorrow "))
    line.append_text(colour_text(tempo.tomorrow, short=not wide))
    line.append(fallback_mark(tempo, tempo.tomorrow_source, wide))
    return line
