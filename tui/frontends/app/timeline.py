"""The signal timeline: one row per day, one cell per hour, the level as colour and letter."""

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from rich.style import Style
from rich.text import Text

from tui.core.forecast import HOUR, clock_time, paris_midnight
from tui.core.i18n import N_, _, language, row_date
from tui.core.meter import format_kva
from tui.core.power_trace import MINUTES, buckets, sparkline
from tui.frontends.app.pane import Pane
from tui.frontends.app.tempo_text import (
    FROM_FALLBACK,
    PEAK,
    colour_text,
    day_colours,
    fallback_days,
    is_peak,
)
from tui.frontends.app.tempo_text import legend as tempo_legend
from tui.frontends.app.text import (
    STALE_AFTER,
    age,
    level_letter,
    level_style,
    level_text_style,
    level_word,
    paris,
)
from tui.service.snapshot import ForecastView, MeterView, TempoView

MAX_DAYS = 4  # today and the three days RTE publishes ahead
LABEL_WIDTH = 11  # "Tue 02 Dec "
TEMPO_WIDTH = 6  # "white " after the date, with Tempo on
MARKER = "▶"
SOURCE_WORDS = {
    "rte": N_("RTE live data"),
    "sandbox": N_("RTE sandbox data"),
    "demo": N_("demo data"),
    "file": N_("file data"),
}
LEGEND = (
    (0, N_("low-carbon")),
    (1, N_("green")),
    (2, N_("orange")),
    (3, N_("red")),
    (None, N_("unknown")),
)

HEADING = Style(bold=True)
DIM = Style(dim=True)
LOUD = Style(color="#ffffff", bgcolor="#b71c1c", bold=True)


def day_hours(day: date) -> list[datetime]:
    """The UTC start of every hour of a Paris day: 23, 24 or 25 of them."""
    start, end = paris_midnight(day), paris_midnight(day + timedelta(days=1))
    return [start + HOUR * n for n in range((end - start) // HOUR)]


def shown_days(forecast: ForecastView, now: datetime, most: int = MAX_DAYS) -> list[date]:
    """Today, always (an empty row says loudly there is nothing), then the days ahead with data."""
    today = paris(now).date()
    ahead = sorted({day for slot in forecast.slots if (day := paris(slot.start).date()) > today})
    return [today, *ahead][:most]


def current_run_end(forecast: ForecastView, now: datetime) -> datetime | None:
    """When the level in force now changes (the end of the run of equal, contiguous hours)."""
    levels = {slot.start: slot.level for slot in forecast.slots}
    start = next((s.start for s in forecast.slots if s.start <= now < s.start + HOUR), None)
    if start is None:
        return None
    level = levels[start]
    end = start + HOUR
    while levels.get(end) == level:
        end += HOUR
    return end


def warnings(forecast: ForecastView, now: datetime, fallback: str) -> list[str]:
    """What must be shouted: no data for now, stale data, a failed refresh."""
    found: list[str] = []
    if not forecast.slots:
        found.append(
            _("NO FORECAST DATA: flying blind, fallback '{fallback}' decides").format(
                fallback=fallback
            )
        )
    elif not forecast.covers_now:
        found.append(
            _("NO FORECAST FOR NOW: flying blind, fallback '{fallback}' decides").format(
                fallback=fallback
            )
        )
    if forecast.fetched is not None and now - forecast.fetched > STALE_AFTER:
        found.append(_("STALE: fetched {age}").format(age=age(now - forecast.fetched)))
    if forecast.error:
        found.append(_("LAST REFRESH FAILED: {error}").format(error=forecast.error))
    return found


class Timeline(Pane):
    """The ruler and one row per day: it changes when the forecast or the hour does."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.forecast: ForecastView | None = None
        self.now: datetime | None = None
        self.tempo: TempoView | None = None
        self.meter: MeterView | None = None

    def show(
        self,
        forecast: ForecastView,
        now: datetime,
        tempo: TempoView | None = None,
        meter: MeterView | None = None,
    ) -> None:
        self.forecast, self.now, self.tempo, self.meter = forecast, now, tempo, meter
        self.changed()

    def build(self, width: int) -> Text:
        if self.forecast is None or self.now is None:
            return Text(_("Signal: waiting for the controller…"), style=HEADING)
        most = days_for_height(self.app.size.height)
        return render_days(self.forecast, self.now, width, most, self.tempo, self.meter)


class SignalInfo(Pane):
    """The level now, the next strain, the data's source and age, and the warnings."""

    def __init__(self, fallback: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fallback = fallback
        self.forecast: ForecastView | None = None
        self.level: int | None = None
        self.now: datetime | None = None

    def show(self, forecast: ForecastView, level: int | None, now: datetime) -> None:
        self.forecast, self.level, self.now = forecast, level, now
        self.changed()

    def build(self, width: int) -> Text:
        if self.forecast is None or self.now is None:
            return Text()
        return render_info(self.forecast, self.level, self.now, self.fallback, width)


def render_timeline(
    forecast: ForecastView, level: int | None, now: datetime, fallback: str, width: int
) -> Text:
    """Both parts, as the screen stacks them."""
    out = render_days(forecast, now, width)
    out.append("\n")
    out.append_text(render_info(forecast, level, now, fallback, width))
    return out


def days_for_height(height: int) -> int:
    """Four days from 30 rows; today and tomorrow at 24 to 29, so that the event log keeps
    a few lines at 80x24; today alone below."""
    if height >= 30:
        return MAX_DAYS
    return 2 if height >= 24 else 1


@lru_cache(maxsize=8)
def _grid(
    forecast: ForecastView,
    hour: datetime,
    width: int,
    most: int,
    tempo: TempoView | None,
    language: str,
) -> tuple[tuple[Text, ...], int, int]:
    """The ruler, the day rows and the legend, with the grid's label and end columns. Kept for
    the hour they mark (the cell of now, the hours past): with a meter the timeline is built
    again at every frame for its power row, and the days were half of an idle screen's CPU.
    ``language`` is in the key for the day names; the rows are never changed once made."""
    del language
    days = shown_days(forecast, hour, most)
    levels = {slot.start: slot.level for slot in forecast.slots}
    columns = max(len(day_hours(day)) for day in days)
    label = LABEL_WIDTH + (TEMPO_WIDTH if tempo is not None else 0)
    cell = 3 if width >= label + 25 * 3 + 16 else 2
    grid_end = label + columns * cell

    rows: list[Text] = [_ruler(cell, grid_end, label)]
    colours = day_colours(tempo) if tempo is not None else {}
    marked = fallback_days(tempo) if tempo is not None else frozenset()
    for day in days:
        row = _day_row(day, levels, hour, cell, grid_end, tempo, colours.get(day), day in marked)
        rows.append(row)
    _add_legend(rows, grid_end + 2, width)
    return tuple(rows), label, grid_end


def render_days(
    forecast: ForecastView,
    now: datetime,
    width: int,
    most: int = MAX_DAYS,
    tempo: TempoView | None = None,
    meter: MeterView | None = None,
) -> Text:
    """The ruler and one row per day; with Tempo on, each day's colour after its label and
    the peak hours of white and red days underlined, with a line saying so when there is
    room (all days shown); with a meter, the last hour's power under the days."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    grid, label, grid_end = _grid(forecast, hour, width, most, tempo, language())
    rows = list(grid)
    if meter is not None:
        rows.append(power_row(meter, label, grid_end, width))
    if tempo is not None and most >= MAX_DAYS:
        # On a short screen the event log needs the row; "?" is in the level legend already.
        rows.append(Text(tempo_legend(tempo), style=DIM))
    return Text("\n").join(rows)


def render_info(
    forecast: ForecastView, level: int | None, now: datetime, fallback: str, width: int
) -> Text:
    out = _now_line(forecast, level, now, fallback)
    out.append("\n")
    out.append_text(_source_line(forecast, now, width))
    shouts = warnings(forecast, now, fallback)
    if shouts:
        out.append("\n")
        out.append(" !! " + " · ".join(shouts) + " ", style=LOUD)
    return out


def _ruler(cell: int, grid_end: int, left: int = LABEL_WIDTH) -> Text:
    line = Text(_("Signal").ljust(left), style=HEADING)
    marks = [" "] * (grid_end - left)
    for hour in range(0, 24, 3):
        label = f"{hour:02d}"
        position = hour * cell + (cell - 2)
        marks[position : position + 2] = list(label)
    line.append("".join(marks), style=HEADING)
    return line


def _day_row(
    day: date,
    levels: dict[datetime, int],
    now: datetime,
    cell: int,
    end: int,
    tempo: TempoView | None = None,
    colour: str | None = None,
    from_fallback: bool = False,
) -> Text:
    line = Text(row_date(day).ljust(LABEL_WIDTH))
    if tempo is not None:
        line.append_text(colour_text(colour, short=True))
        if from_fallback:  # the meter's colour, not RTE's: "white*" (the legend says so)
            line.append(FROM_FALLBACK)
            line.truncate(LABEL_WIDTH + TEMPO_WIDTH)
        line.pad_right(LABEL_WIDTH + TEMPO_WIDTH - line.cell_len)
    for start in day_hours(day):
        value = levels.get(start)
        letter = level_letter(value)
        style = level_style(value)
        if start <= now < start + HOUR:
            text = MARKER + letter + ("◀" if cell == 3 else "")
            style = style + Style(reverse=True)
        else:
            text = (" " + letter).ljust(cell)
            if start + HOUR <= now:
                style = style + DIM
        if is_peak(colour, start):
            style = style + PEAK
        line.append(text, style=style)
    line.pad_right(end - line.cell_len)
    return line


def _add_legend(rows: list[Text], column: int, width: int) -> None:
    """Beside the grid, the letters' meanings, packed into the rows there are; when they do
    not fit there, on a line of their own under the grid."""
    legend = [(value, _(name)) for value, name in LEGEND]
    room = width - column
    lines: list[list[tuple[int | None, str]]] = []
    gap = 2
    if len(rows) >= len(legend):
        lines = [[entry] for entry in legend]
    else:
        for gap in (2, 1):  # one space apart when two do not fit (longer French words)
            lines, used = [], 0
            for value, name in legend:
                size = 2 + len(name)
                if lines and used + gap + size <= room:
                    lines[-1].append((value, name))
                    used += gap + size
                else:
                    lines.append([(value, name)])
                    used = size
            if len(lines) <= len(rows):
                break
    targets = rows
    if len(lines) > len(rows) or any(2 + len(name) > room for _, name in legend):
        targets = [Text()]
        rows.append(targets[0])
        lines, column = [list(legend)], 0
    for row, entries in zip(targets, lines, strict=False):
        row.pad_right(column - row.cell_len)
        for position, (value, name) in enumerate(entries):
            if position:
                row.append(" " * gap)
            row.append(level_letter(value), style=level_style(value))
            row.append(f" {name}")


def _now_line(forecast: ForecastView, level: int | None, now: datetime, fallback: str) -> Text:
    line = Text(_("Now {time}  ").format(time=f"{paris(now):%H:%M}"), style=HEADING)
    line.append(f"{level_word(level)} ({level_letter(level)})", style=level_text_style(level))
    said = ""
    if level is not None:
        end = current_run_end(forecast, now)
        if end is not None:
            line.append(" " + _("until {time}").format(time=clock_time(end, now)))
            said = _("{level} until {time}").format(
                level=level_word(level).lower(), time=clock_time(end, now)
            )
    else:
        line.append(_(": fallback '{fallback}'").format(fallback=fallback))
    rest = forecast.strained_now or ""
    if said:  # what the level's own words already say, not twice
        rest = rest.replace(f" ({said})", "").replace(f"{said}, ", "").replace(f", {said}", "")
    if rest and rest != said:
        # A strain under way is said apart: "next strain" is only ever one still to come.
        line.append(_(" · strain now: "))
        line.append(rest, style=HEADING)
    strained = forecast.next_strained or _("none ahead")
    line.append(_(" · next strain: "))
    line.append(strained, style=HEADING if forecast.next_strained else DIM)
    return line


def _source_line(forecast: ForecastView, now: datetime, width: int) -> Text:
    """Source, age and generation time; the next refresh only where there is room."""
    source = forecast.source
    parts = [
        _(SOURCE_WORDS[source])
        if source in SOURCE_WORDS
        else _("{source} data").format(source=source)
    ]
    if forecast.fetched is not None:
        parts.append(
            _("fetched {time} ({age})").format(
                time=clock_time(forecast.fetched, now), age=age(now - forecast.fetched)
            )
        )
    else:
        parts.append(_("never fetched"))
    if forecast.generated is not None:
        parts.append(_("generated {time}").format(time=clock_time(forecast.generated, now)))
    if forecast.next_refresh is not None:
        refresh = _("next refresh {time}").format(time=clock_time(forecast.next_refresh, now))
        if len(" · ".join([*parts, refresh])) <= width:
            parts.append(refresh)
    return Text(" · ".join(parts), style=DIM)


POWER_STYLES = (  # the peak's share of the limit: under 80 %, under the limit, over it
    Style(color="#2e7d32"),
    Style(color="#ef6c00"),
    Style(color="#ffffff", bgcolor="#b71c1c", bold=True),
)


def power_row(meter: MeterView, left: int, grid_end: int, width: int) -> Text:
    """``Power 1h   ▁▁▂▅█▲▃ now 4.2 / 9 kVA``: the last hour's peak per minute under the
    days' grid (a full block is the limit, ``▲`` a minute over it, blank a minute without a
    reading), then the power now in words (a stale meter said so)."""
    line = Text(_("Power 1h").ljust(left), style=HEADING)
    limit = meter.limit_va
    words = meter.words.split(", ")[0] if meter.state == "ok" else meter.words or meter.state
    after = _(" now {power}").format(power=words) if meter.state == "ok" else f" {words}"
    if meter.state == "ok" and meter.trip_in_s is not None:
        after += _(", trip in {seconds} s").format(seconds=round(meter.trip_in_s))
    if limit is None or not meter.recent_va:
        line.append(
            _("meter {state}").format(state=meter.state) if not meter.words else meter.words
        )
        return line
    columns = min(MINUTES, grid_end - left, max(width - left - len(after), 8))
    peaks = buckets(meter.recent_va, columns)
    for power, char in zip(peaks, sparkline(peaks, limit, columns), strict=True):
        if power is None:
            line.append(char)
            continue
        share = power / limit
        line.append(char, style=POWER_STYLES[0 if share < 0.8 else 1 if share <= 1 else 2])
    peak = max((p for p in meter.recent_va if p is not None), default=None)
    if peak is not None and peak > limit and len(after) + 14 <= width - line.cell_len:
        after += _(" (peak {power})").format(power=format_kva(peak))
    line.append(after[: max(width - line.cell_len, 0)])
    return line
