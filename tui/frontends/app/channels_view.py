"""The channels-over-time view: one row per channel, one cell per hour, under the signal row.

Hours before now are as recorded (the history store), hours after as planned (the same
computation as `delestage plan`, from the live state); ``▶`` marks the current hour. One Paris day
at a time, so it reads at 80x24; ←/→ move the selected hour (and the day at its ends), ↑/↓ the
channel, PgUp/PgDn a whole day, ``t`` back to now. The lines under the grid say what happened or
will happen in the selected hour and why, and the selected channel's totals for today and the
winter. Every state is a letter as well as a colour (NO_COLOR, monochrome terminals).

Data comes only through the ``ControllerLink`` (``history_view``), in-process or attached.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.core.forecast import HOUR, PARIS, clock_time, day_label
from tui.core.history import (
    HOUR_SECONDS,
    Segment,
    State,
    Totals,
    hour_cells,
    hours_minutes,
    overlapping,
)
from tui.core.i18n import N_, _, day_name, decimal, month_name, short_date
from tui.frontends.app import french
from tui.frontends.app.dialogs import HelpScreen
from tui.frontends.app.pane import Pane
from tui.frontends.app.text import fit, level_word, paris
from tui.frontends.app.timeline import LABEL_WIDTH, MARKER, _day_row, _ruler, day_hours
from tui.service.history_view import ChannelHistory, HistoryView, view_window
from tui.service.interface import ControllerLink

DAYS_BACK, DAYS_AHEAD = 6, 3  # the window fetched around the day shown
REFRESH_SECONDS = 60.0
BLIP_SECONDS = 60.0  # shorter stretches are left out of an hour's description
MAX_PARTS = 2  # stretches described per hour (the detail keeps to two lines at 80 columns)
STATE_WORDS = {State.CUT: N_("CUT"), State.POWERED: N_("ON"), State.UNKNOWN: N_("UNKNOWN")}
HINT = N_("←→ hour  ↑↓ relay  PgUp/PgDn day  t now  ? keys  Esc back")

# Letter, colours. The letter is the meaning; the colour only helps.
CELL_LOOK: dict[str, tuple[str, Style]] = {
    "cut": ("X", Style(color="#ffffff", bgcolor="#b71c1c", bold=True)),
    # Picked so that 16-colour terminals get green, red, magenta and grey, all different.
    "powered": ("·", Style(color="#ffffff", bgcolor="#008000")),
    "forced": ("F", Style(color="#ffffff", bgcolor="#6a1b9a", bold=True)),
    "unknown": ("?", Style(color="#ffffff", bgcolor="#4a4a4a")),
}
LEGEND = (
    ("cut", N_("cut")),
    ("powered", N_("on")),
    ("forced", N_("forced")),
    ("unknown", N_("unknown")),
)
SELECTED = Style(reverse=True, underline=True)
HEADING = Style(bold=True)
DIM = Style(dim=True)


def cell_kind(segment: Segment | None) -> str:
    if segment is None:
        return "unknown"
    if segment.forced:
        return "forced"
    return segment.state.value


def _totals_words(value: Totals) -> str:
    energy = (
        _(", {kwh} kWh kept off").format(kwh=decimal(value.energy_kwh, 1))
        if value.energy_kwh is not None
        else ""
    )
    strained = hours_minutes(value.cut_strained_minutes)
    # With a meter: the minutes cut to keep it from tripping, when there were some.
    power = (
        _(", {time} for power").format(time=hours_minutes(value.cut_power_minutes))
        if value.cut_power_minutes
        else ""
    )
    return _("cut {time} ({strained} in orange/red{energy})").format(
        time=hours_minutes(value.cut_minutes), strained=strained, energy=power + energy
    )


def _span(low: float, high: float) -> str:
    start = datetime.fromtimestamp(low, UTC).astimezone(PARIS)
    end = datetime.fromtimestamp(high, UTC).astimezone(PARIS)
    return f"{start:%H:%M}-{end:%H:%M}"


def describe_hour(channel: ChannelHistory, hour: datetime, now: datetime) -> str:
    """What happened (or will happen) to a channel in one hour, and why."""
    low = hour.timestamp()
    high = low + HOUR_SECONDS
    found = overlapping(channel.segments, low, high)
    when = f"{day_name(paris(hour).date())} {paris(hour):%d %H:%M}-{paris(hour + HOUR):%H:%M}"
    if not found:
        tense = _("not planned (beyond the forecast)") if hour >= now else _("nothing recorded")
        return f"{channel.name} · {when}: {tense}"
    # Blips (a restart, a staggered restore) would drown the hour's story; the record and the
    # plan of one unbroken stretch are told as one.
    lasting = [s for s in found if min(s.end, high) - max(s.start, low) >= BLIP_SECONDS]
    runs = _joined(lasting or found[-1:])
    # The longest stretches of the hour, in time order.
    longest = sorted(runs, key=lambda run: min(run[1].end, high) - max(run[0].start, low))
    shown = [run for run in runs if run in longest[-MAX_PARTS:]]
    parts = []
    for first, last in shown:
        forced = _(" forced") if first.forced else ""
        verb = _("planned ") if first.planned else _("was ") if not last.planned else ""
        state = _(STATE_WORDS[first.state])
        if first.start <= low and last.end >= high:
            since = _moment(_stretch_start(channel.segments, first), hour)
            what = f"{verb}{forced.strip()}{' ' if forced else ''}{state}" + _(
                " since {time}"
            ).format(time=since)
        else:
            span = _span(max(first.start, low), min(last.end, high))
            what = f"{span} {verb}{forced.strip()}{' ' if forced else ''}{state}"
        parts.append(f"{what} ({_(first.reason)})" if first.reason else what)
    if len(runs) > len(shown):
        parts.append(_("+{count} shorter").format(count=len(runs) - len(shown)))
    following = _next_change(channel.segments, found[-1])
    if following is not None and following.start >= high:
        parts.append(
            _("then {state} at {time}").format(
                state=_(STATE_WORDS[following.state]), time=_moment(following.start, hour)
            )
        )
    return f"{channel.name} · {when} · " + " · ".join(parts)


def _joined(segments: list[Segment]) -> list[tuple[Segment, Segment]]:
    """Consecutive segments telling the same thing (state, override, reason), as (first, last)."""
    runs: list[tuple[Segment, Segment]] = []
    for segment in segments:
        if runs:
            first, last = runs[-1]
            same = (first.state, first.forced, first.reason) == (
                segment.state,
                segment.forced,
                segment.reason,
            )
            if same and last.end == segment.start:
                runs[-1] = (first, segment)
                continue
        runs.append((segment, segment))
    return runs


def _moment(seconds: float, hour: datetime) -> str:
    """``14:30``, or ``Wed 14:30`` when not on the hour's day."""
    return clock_time(datetime.fromtimestamp(seconds, UTC), hour)


def _stretch_start(segments: tuple[Segment, ...], segment: Segment) -> float:
    """Where the run of the same state (and override) that ``segment`` belongs to began."""
    position = segments.index(segment)
    start = segment.start
    while position > 0:
        before = segments[position - 1]
        if before.end != start or (before.state, before.forced) != (
            segment.state,
            segment.forced,
        ):
            break
        start = before.start
        position -= 1
    return start


def _next_change(segments: tuple[Segment, ...], segment: Segment) -> Segment | None:
    """The first later segment in another state, if the record or the plan knows one."""
    position = segments.index(segment) + 1
    for later in segments[position:]:
        if later.state is not segment.state:
            return later if later.state is not State.UNKNOWN else None
    return None


# The lines of the view besides the day blocks: title, ruler, caret, legend, the hour's detail
# (up to two lines at 80 columns), two of totals, the hint, and one to spare.
FIXED_ROWS = 11


def label_width(view: HistoryView | None, width: int, hours: int) -> tuple[int, int]:
    """(label, cell): names whole when the width allows (``1 Radiateurs séjour`` and
    ``2 Radiateurs chambres`` must not both read ``Radiate…``), never below the dates' width."""
    names = [len(f"{item.index} {item.name}") + 1 for item in view.channels] if view else []
    natural = max([LABEL_WIDTH, *names])
    cell = 3 if width >= natural + hours * 3 + 2 else 2
    return max(LABEL_WIDTH, min(natural, width - hours * cell - 1)), cell


def channel_window(
    view: HistoryView, channel: int | None, height: int
) -> tuple[ChannelHistory, ...]:
    """The channel rows shown: all when they fit the height (0: unknown, all), else as many as
    fit around the selected one (several boards, up to 32 channels, at 80x24), leaving a line
    that says which are shown."""
    rows = view.channels
    room = height - FIXED_ROWS - 1  # the signal row... and the line saying which are shown
    if height <= 0 or len(rows) + 1 <= height - FIXED_ROWS + 1 or room < 1:
        return rows
    where = next((k for k, item in enumerate(rows) if item.index == channel), 0)
    first = max(0, min(where - room // 2, len(rows) - room))
    return rows[first : first + room]


def days_shown(view: HistoryView | None, height: int) -> int:
    """How many days stack under each other: one at 80x24, more when the height allows."""
    if view is None or height <= 0:
        return 1
    block = len(view.channels) + 1  # the signal row and a row per channel
    return max(1, min(3, (height - FIXED_ROWS + 1) // block))


def _block(
    view: HistoryView,
    day: date,
    levels: dict[datetime, int],
    channel: int | None,
    hour: int,
    now: datetime,
    label: int,
    cell: int,
    shown: tuple[ChannelHistory, ...] | None = None,
) -> list[Text]:
    """One day: its signal row and a row per channel (``channel`` None: nothing selected);
    ``shown``: only those channels (a window of them), else every one."""
    hours = day_hours(day)
    signal = _day_row(day, levels, now, cell, LABEL_WIDTH + len(hours) * cell)
    row = Text(day_label(day).ljust(label))
    row.append_text(signal[LABEL_WIDTH:])
    rows = [row]
    starts = [moment.timestamp() for moment in hours]
    for item in view.channels if shown is None else shown:
        line = Text(fit(f"{item.index} {item.name}", label - 1) + " ")
        for position, (moment, segment) in enumerate(
            zip(hours, hour_cells(item.segments, starts), strict=True)
        ):
            letter, style = CELL_LOOK[cell_kind(segment)]
            current = moment <= now < moment + HOUR
            text = (MARKER if current else " ") + letter
            text = text.ljust(cell)
            if item.index == channel and position == hour:
                style = style + SELECTED
            elif current:
                style = style + Style(reverse=True)
            elif segment is not None and segment.planned:
                style = style + Style(italic=True)
            line.append(text, style=style)
        rows.append(line)
    return rows


def render_view(
    view: HistoryView | None,
    day: date,
    channel: int,
    hour: int,
    now: datetime,
    width: int,
    height: int = 0,
) -> Text:
    """The whole screen's text: title, ruler, signal, channel rows, selection, summary; with
    ``height`` to spare, the following days under the selected one."""
    hours = day_hours(day)
    label, cell = label_width(view, width, max(len(hours), 24))
    grid_end = label + len(hours) * cell
    title = Text(
        _("Channels over time · {day}").format(day=f"{short_date(day)} {day.year}"), style=HEADING
    )
    today = paris(now).date()
    if day == today:
        title.append(_(" (today)"), style=HEADING)
    rows = [fit_text(title, width), _ruler(cell, grid_end, label)]
    if view is None:
        rows.append(Text(_("loading…"), style=DIM))
        return Text("\n").join(rows)
    levels = {
        datetime.fromtimestamp(hour_start, UTC): level for hour_start, level in view.levels.items()
    }
    shown = channel_window(view, channel, height)
    rows.extend(_block(view, day, levels, channel, hour, now, label, cell, shown))
    selected = next((c for c in view.channels if c.index == channel), None)
    caret = Text(" " * (label + hour * cell + cell - 1))
    caret.append("▲", style=HEADING)
    rows.append(caret)
    if len(shown) < len(view.channels):
        words = _("channels {first}-{last} of {count} shown: ↑↓ for the others")
        note = words.format(first=shown[0].index, last=shown[-1].index, count=len(view.channels))
        rows.append(Text(note, style=DIM))
    for later in range(1, days_shown(view, height)):
        rows.extend(_block(view, day + timedelta(days=later), levels, None, 0, now, label, cell))
    rows.append(_legend())
    if selected is not None and 0 <= hour < len(hours):
        level = levels.get(hours[hour])
        detail = describe_hour(selected, hours[hour], now)
        rows.append(Text(detail + _(" · signal {level}").format(level=level_word(level).lower())))
        where = _(" (board {place})").format(place=selected.place) if selected.place else ""
        summary = Text(f"{selected.name}{where}: ", style=HEADING)
        summary.append(_("today {totals}").format(totals=_totals_words(selected.today)))
        rows.append(summary)
        since = f"{view.winter_from:%d} {month_name(view.winter_from)} {view.winter_from.year}"
        rows.append(
            Text(
                _("  winter since {day}: {totals}").format(
                    day=since, totals=_totals_words(selected.winter)
                )
            )
        )
    if view.problem:
        rows.append(Text(f"! {view.problem}", style="bold red"))
    rows.append(Text(_(HINT), style=DIM))
    return Text("\n").join(rows)


def fit_text(text: Text, width: int) -> Text:
    text.truncate(width, overflow="ellipsis")
    return text


def _legend() -> Text:
    line = Text()
    for kind, word in LEGEND:
        letter, style = CELL_LOOK[kind]
        line.append(f" {letter}", style=style)
        line.append(f" {_(word)} ")
    line.append(MARKER + _(" now: before it recorded, after it planned"), style=DIM)
    return line


class ViewCache:
    """The last view fetched through the link, kept by the app: the screen opens already drawn
    from it and refreshes behind (the app fetches one as soon as the controller answers)."""

    def __init__(self, link: ControllerLink, clock: Callable[[], datetime]) -> None:
        self.link = link
        self.clock = clock
        self.view: HistoryView | None = None
        self.window: tuple[date, date] | None = None  # first day, day after the last

    def covers(self, day: date) -> bool:
        return self.window is not None and self.window[0] <= day < self.window[1]

    async def fetch(self, day: date) -> HistoryView:
        """The view for a window around ``day`` (always reaching today, for the totals)."""
        now = self.clock()
        anchor = datetime.combine(day, datetime.min.time(), tzinfo=PARIS)
        start, end = view_window(anchor, DAYS_BACK, DAYS_AHEAD)
        start = min(start, view_window(now, 0, 0)[0])
        self.view = await self.link.history_view(start, end)
        self.window = (paris(start).date(), paris(end).date())
        return self.view


class ViewPane(Pane):
    """The screen's text; repainted only when it changes (a refresh that finds the same data
    writes nothing to the terminal)."""

    def __init__(self, screen: "ChannelsView", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.owner = screen

    def build(self, width: int) -> Text:
        return self.owner.build(width)


class ChannelsView(Screen[None]):
    """Opened from the main screen; Esc, q or the opening key go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,h", "close", "back", id="history_close"),
        Binding("left", "hour(-1)", "hour", show=False, id="history_hour_previous"),
        Binding("right", "hour(1)", "hour", show=False, id="history_hour_next"),
        Binding("up", "channel(-1)", "channel", show=False, id="history_channel_previous"),
        Binding("down", "channel(1)", "channel", show=False, id="history_channel_next"),
        Binding("pageup", "day(-1)", "day", show=False, id="history_day_previous"),
        Binding("pagedown", "day(1)", "day", show=False, id="history_day_next"),
        Binding("t", "now", "now", show=False, id="history_now"),
        Binding("question_mark", "help", "help", show=False, id="history_help"),
    ]

    def __init__(self, cache: ViewCache, channel: int | None) -> None:
        super().__init__()
        french.translate_bindings(self._bindings)
        self.cache = cache
        now = self.now = cache.clock()
        self.day = paris(now).date()
        self.hour = self._hour_of(now)
        self.channel = channel if channel is not None else 0
        # Drawn at once from what the app already has; fresh data follows.
        self.view: HistoryView | None = cache.view if cache.covers(self.day) else None
        self.problem = ""

    def compose(self) -> ComposeResult:
        yield ViewPane(self, id="channels-view")

    def on_mount(self) -> None:
        # The pane draws what the app already has on its first render; fresh data is fetched
        # once the screen is on the terminal, so the first paint does not wait for it.
        self.call_after_refresh(self._load)
        self.set_interval(REFRESH_SECONDS, self._reload)

    # -- data ------------------------------------------------------------------------------

    def _hour_of(self, moment: datetime) -> int:
        hours = day_hours(paris(moment).date())
        return next((k for k, start in enumerate(hours) if start <= moment < start + HOUR), 0)

    def _load(self) -> None:
        self.run_worker(self._fetch(), group="history", exclusive=True, exit_on_error=False)

    def _reload(self) -> None:
        self.now = self.cache.clock()
        self._load()

    async def _fetch(self) -> None:
        try:
            self.view = await self.cache.fetch(self.day)
        except Exception as error:
            self.problem = f"history unavailable: {error or error.__class__.__name__}"
        else:
            self.problem = ""
            self.now = self.cache.clock()
        self._draw()

    # -- drawing ---------------------------------------------------------------------------

    def _draw(self) -> None:
        self.query_one(ViewPane).changed()

    def build(self, width: int) -> Text:
        height = self.size.height
        text = render_view(self.view, self.day, self.channel, self.hour, self.now, width, height)
        if self.problem:
            text.append(f"\n! {self.problem}", style="bold red")
        return text

    # -- keys ------------------------------------------------------------------------------

    def _move_day(self, step: int) -> None:
        self.day += timedelta(days=step)
        if not self.cache.covers(self.day):
            self._load()

    def action_hour(self, step: int) -> None:
        count = len(day_hours(self.day))
        self.hour += step
        if self.hour < 0:
            self._move_day(-1)
            self.hour = len(day_hours(self.day)) - 1
        elif self.hour >= count:
            self._move_day(1)
            self.hour = 0
        self._draw()

    def action_channel(self, step: int) -> None:
        indexes = [c.index for c in self.view.channels] if self.view else [self.channel]
        position = indexes.index(self.channel) if self.channel in indexes else 0
        self.channel = indexes[(position + step) % len(indexes)]
        self._draw()

    def action_day(self, step: int) -> None:
        self._move_day(step)
        self.hour = min(self.hour, len(day_hours(self.day)) - 1)
        self._draw()

    def action_now(self) -> None:
        self.day = paris(self.now).date()
        self.hour = self._hour_of(self.now)
        if not self.cache.covers(self.day):
            self._load()
        self._draw()

    def action_help(self) -> None:
        """This view's own keys (the main screen's are not the ones that work here)."""
        self.app.push_screen(HelpScreen(help_text()))

    def action_close(self) -> None:
        self.dismiss(None)


def help_text() -> Text:
    out = Text()
    out.append(_("Channels over time: keys\n"), style="bold")
    for keys, what in (
        ("← →", N_("select an hour (the previous/next day at the ends)")),
        ("↑ ↓", N_("select a channel")),
        ("PgUp PgDn", N_("a whole day back / ahead")),
        ("t", N_("back to now")),
        ("?", N_("this help")),
        ("Esc q h", N_("back to the main screen")),
    ):
        out.append(f"  {keys:<10} {_(what)}\n")
    out.append(_("\nCells\n"), style="bold")
    for kind, word in LEGEND:
        letter, style = CELL_LOOK[kind]
        out.append("  ")
        out.append(f" {letter} ", style=style)
        out.append(f" {_(word)}\n")
    out.append(_("  ▶ the current hour: before it recorded, after it planned (in italics)\n"))
    out.append(_("  Under the grid: the selected hour of the selected channel, and why;\n"))
    out.append(_("  its totals for today and this winter."))
    return out
