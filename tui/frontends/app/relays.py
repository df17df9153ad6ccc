"""The relay grid: one row per channel, state and mode in words, and the selected one in full."""

from datetime import datetime

from rich.style import Style
from rich.text import Text

from tui.frontends.app.pane import Pane
from tui.frontends.app.text import clock_time, fit, state_word
from tui.service.snapshot import ChannelView

HEADING = Style(bold=True)
SELECTED = Style(bold=True, bgcolor="#2a3f5f")
STATE_STYLES = {
    "ON": Style(color="#66bb6a", bold=True),
    "CUT": Style(color="#ef5350", bold=True),
    "UNKNOWN": Style(color="#fdd835", bold=True),
}
FORCED_STYLE = Style(color="#ffb74d", bold=True)
MARKER = "▶"
WIDE = 110  # from this width, modes are written in full
WIDEST = 150  # from this width, the reason of each next change too


def mode_cell(channel: ChannelView, now: datetime, wide: bool) -> str:
    if channel.mode == "forced":
        if channel.until is None:
            return "FORCED until released" if wide else "FORCED held"
        return f"FORCED {'until ' if wide else ''}{clock_time(channel.until, now)}"
    return "LATCHED" if channel.latched else "AUTO"


def mode_words(channel: ChannelView, now: datetime) -> str:
    if channel.mode == "forced":
        if channel.until is None:
            return "forced until released"
        return f"forced until {clock_time(channel.until, now)}"
    if channel.latched:
        return "latched: stays cut until released"
    return "automatic"


def why_cell(channel: ChannelView, width: int) -> str:
    """The reason; a wait comes first, and is kept whole when the column is short: it is what
    explains a relay not (yet) doing what the rules want, and until when. A board that does
    not hold the relay where it was put outranks both."""
    if channel.mismatch:
        return f"BOARD: {channel.mismatch}"
    if not channel.waiting:
        return channel.reason
    for text in (
        f"wait: {channel.waiting}; {channel.reason}",
        f"wait: {channel.waiting}",
        channel.waiting,
    ):
        if len(text) <= width:
            return text
    return channel.waiting


def next_cell(channel: ChannelView, now: datetime, wide: bool) -> str:
    change = channel.next_change
    if change is None:
        return "-"
    text = f"{state_word(change.powered)} {clock_time(change.at, now)}"
    return f"{text} ({change.reason})" if wide else text


class RelayGrid(Pane):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.channels: tuple[ChannelView, ...] = ()
        self.selected: int | None = None
        self.now: datetime | None = None

    def show(self, channels: tuple[ChannelView, ...], selected: int | None, now: datetime) -> None:
        self.channels, self.selected, self.now = channels, selected, now
        self.changed()

    def build(self, width: int) -> Text:
        if self.now is None:
            return Text("Relays: waiting for the controller…", style=HEADING)
        return render_grid(self.channels, self.selected, self.now, width)


def render_grid(
    channels: tuple[ChannelView, ...], selected: int | None, now: datetime, width: int
) -> Text:
    wide = width >= WIDE
    rows = [
        (
            f"{channel.index}",
            channel.name,
            state_word(channel.powered),
            mode_cell(channel, now, wide),
            next_cell(channel, now, width >= WIDEST),
        )
        for channel in channels
    ]
    name_width = min(max([len(row[1]) for row in rows] + [5]), 28 if wide else 20)
    state_width = max([len(row[2]) for row in rows] + [5]) + 1
    mode_width = max([len(row[3]) for row in rows] + [4])
    next_width = min(max([len(row[4]) for row in rows] + [4]), 40 if wide else 13)
    fixed = 2 + 2 + name_width + 1 + state_width + mode_width + 1 + 1 + next_width
    why_width = max(width - fixed, 10)

    lines = [
        Text(
            "  # "
            + fit("Relay", name_width + 1)
            + fit("State", state_width)
            + fit("Mode", mode_width + 1)
            + fit("Why", why_width)
            + " "
            + fit("Next", next_width),
            style=HEADING,
        )
    ]
    for channel, (index, name, state, mode, upcoming) in zip(channels, rows, strict=True):
        why = why_cell(channel, why_width)
        is_selected = channel.index == selected
        line = Text(MARKER + " " if is_selected else "  ")
        line.append(f"{index} ")
        line.append(fit(name, name_width + 1))
        line.append(fit(state, state_width), style=STATE_STYLES[state])
        line.append(fit(mode, mode_width + 1), style=FORCED_STYLE if mode != "AUTO" else "")
        line.append(fit(why, why_width) + " ")
        line.append(fit(upcoming, next_width))
        if is_selected:
            line.stylize(SELECTED)
        lines.append(line)
    chosen = next((channel for channel in channels if channel.index == selected), None)
    if chosen is not None:
        lines.append(detail(chosen, now))
    return Text("\n").join(lines)


def detail(channel: ChannelView, now: datetime) -> Text:
    """The selected channel in full sentences (nothing of it is cut at any width)."""
    state = state_word(channel.powered)
    line = Text(f"{MARKER} {channel.index} {channel.name}: ", style=HEADING)
    line.append(state, style=STATE_STYLES[state])
    if channel.mode != "forced":  # a forced channel's reason already says it all
        line.append(f", {mode_words(channel, now)}")
    line.append(f". Why: {channel.reason}.")
    if channel.waiting:
        line.append(f" Waiting: {channel.waiting}.")
    if channel.mismatch:
        line.append(f" Board mismatch: {channel.mismatch}.", style=STATE_STYLES["UNKNOWN"])
    if channel.next_change is not None:
        change = channel.next_change
        line.append(f" Next: {state_word(change.powered)} at {clock_time(change.at, now)}")
        line.append(f" ({change.reason})." if change.reason != channel.reason else ".")
    return line
