"""The relay grid: one row per channel, state and mode in words, and the selected one in full."""

import re
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.message import Message

from tui.core.forecast import PARIS, clock_time, wall_time
from tui.core.i18n import _, day_name
from tui.core.places import board_place
from tui.frontends.app.pane import Pane
from tui.frontends.app.text import fit
from tui.frontends.words import (
    channel_state_key,
    channel_state_word,
    forced_word,
    mode_words,
    order_kind_word,
    order_word,
    power_words,
    state_word,
    until_words,
)
from tui.service.snapshot import ChannelView

HEADING = Style(bold=True)
SELECTED = Style(bold=True, bgcolor="#2a3f5f")
STATE_STYLES = {
    "ON": Style(color="#66bb6a", bold=True),
    # The loudest state in every colour mode: a block (reverse), so that it stays the most
    # visible word with 16 colours, in grey (NO_COLOR) and with no colour at all.
    "CUT": Style(color="#ef5350", bold=True, reverse=True),
    "UNKNOWN": Style(color="#fdd835", bold=True),
}
FORCED_STYLE = Style(color="#ffb74d", bold=True)
MARKER = "▶"
WIDE = 110  # from this width, names get more room
WIDEST = 150  # from this width, the reason of each next change too
NEXT_MIN = 13  # "CUT Mon 07:45", "ON 22:44:11": kept whole before Why gets its minimum
WHY_MIN = 26  # "wait: min_off until 03:10", "wait: slot 3 of 3 at 22:45:39": the decisive part


def next_minimum() -> int:
    """NEXT_MIN, or room for the longest state word and a minute (``ALIMENTÉ 23:00``)."""
    return max(NEXT_MIN, len(state_word(True)) + 6, len(state_word(False)) + 6)


def mode_cell(channel: ChannelView) -> str:
    """``FORCED ON`` / ``FORCED CUT`` (the override's direction), ``LATCHED`` or ``AUTO``.

    LATCHED as soon as the latch is set (``status --json`` says ``"latched": true``): during
    the shed that set it too, whose Why then ends "then latched until an operator releases it".
    """
    if channel.mode == "forced":
        return forced_word(channel)
    return _("LATCHED") if channel.latched else _("AUTO")


def why_text(channel: ChannelView, now: datetime) -> str:
    """What decides the row. A wait comes first: it explains a relay not (yet) doing what the
    rules want, and until when. A forced row says until when (its reason repeats the mode).
    A board that does not hold the relay where it was put outranks all of them."""
    if channel.mismatch:
        return _("BOARD: {mismatch}").format(mismatch=channel.mismatch)
    if channel.mode == "forced":
        main = until_words(channel, now)
        return (
            _("{main}; wait: {waiting}").format(main=main, waiting=channel.waiting)
            if channel.waiting
            else main
        )
    if channel.waiting:
        return _("wait: {waiting}; {reason}").format(waiting=channel.waiting, reason=channel.reason)
    return channel.reason


def why_cell(channel: ChannelView, now: datetime, width: int) -> str:
    """The Why cell: a wait always reads ``wait: …`` (one form on every row), and what does
    not fit is cut between words, keeping the end, where the time it waits for is."""
    text = why_text(channel, now)
    if len(text) <= width or channel.mode == "forced" or channel.mismatch or not channel.waiting:
        return text
    compact = channel.waiting.replace("restore slot ", "slot ").replace(
        "rétablissement ", "rétab. "
    )
    tight = re.sub(r"(\d+) (?:of|sur) (\d+)", r"\1/\2", compact)
    wait = _("wait: ")
    for shorter in (wait + channel.waiting, wait + compact, wait + tight):
        if len(shorter) <= width:
            return shorter
    compact = tight
    return wait + tail_words(compact, width - len(wait))


def tail_words(text: str, width: int) -> str:
    """``…min_off until 10:32``: the last whole words of ``text`` that fit ``width``."""
    words = text.split(" ")
    kept: list[str] = []
    while words and len("… " + " ".join([words[-1], *kept])) - 1 <= width:
        kept.insert(0, words.pop())
    if not kept:  # not even the last word: its end, then
        return "…" + text[-(width - 1) :] if width > 1 else text[-1:]
    return "…" + " ".join(kept)


def next_cell(
    channel: ChannelView, now: datetime, wide: bool, short: bool = False, minutes: bool = False
) -> str:
    """``CUT 16:07``, ``ON Wed 02 Dec 08:00``; ``short`` drops the day number and month when
    the column is tight (``ON Wed 08:00``: within the two days the grid looks ahead, the
    weekday is enough)."""
    change = channel.next_change
    if change is None:
        return "-"
    when = clock_time(change.at, now)
    if short and when != wall_time(change.at):  # another day: its weekday is enough
        when = f"{day_name(change.at.astimezone(PARIS).date())} {wall_time(change.at)}"
    if minutes:  # the tightest: the minute is enough (French words are longer)
        when = when.replace(wall_time(change.at), f"{change.at.astimezone(PARIS):%H:%M}")
    state = order_word(change.order) if change.order else state_word(change.powered)
    text = f"{state} {when}"
    return f"{text} ({change.reason})" if wide else text


class RelayGrid(Pane):
    class Chosen(Message):
        """A row was clicked: select its channel."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.channels: tuple[ChannelView, ...] = ()
        self.selected: int | None = None
        self.now: datetime | None = None
        self.detail = True

    def show(
        self,
        channels: tuple[ChannelView, ...],
        selected: int | None,
        now: datetime,
        detail: bool = True,
    ) -> None:
        """``detail``: the selected channel's sentence under the rows."""
        self.channels, self.selected, self.now, self.detail = channels, selected, now, detail
        self.changed()

    def build(self, width: int) -> Text:
        if self.now is None:
            return Text(_("Relays: waiting for the controller…"), style=HEADING)
        return render_grid(self.channels, self.selected, self.now, width, self.detail)

    def on_click(self, event: Click) -> None:
        index = self.row_at(event.y)
        if index is not None:
            self.post_message(self.Chosen(index))

    def row_at(self, y: int) -> int | None:
        """The channel index drawn on line ``y`` of the pane (0 is the heading)."""
        first = window_start(self.channels, self.selected)
        shown = self.channels[first : first + WINDOW] if len(self.channels) > WINDOW else None
        rows = shown if shown is not None else self.channels
        if 1 <= y <= len(rows):
            return rows[y - 1].index
        return None


def column_widths(
    rows: list[tuple[str, str, str, str, str]], whys: list[str], width: int
) -> tuple[int, int, int, int, int]:
    """(name, state, mode, why, next): names and modes whole where they can be, then Why and
    Next share the rest so that neither the wait's time nor the next change's is cut; on a
    wide screen Why takes only what its texts need."""
    name_cap = 28 if width >= WIDE else 20
    name_w = min(max([len(row[1]) for row in rows] + [5]), name_cap)
    state_w = max([len(row[2]) for row in rows] + [5])
    mode_w = max([len(row[3]) for row in rows] + [4])
    index_w = max([len(row[0]) for row in rows] + [1])  # two digits past channel 9
    rest = width - (2 + index_w + 1 + name_w + 1 + state_w + 1 + mode_w + 1) - 1
    why_nat = max([len(why) for why in whys] + [3])
    next_nat = max([len(row[4]) for row in rows] + [4])
    if why_nat + next_nat <= rest:
        return name_w, state_w, mode_w, why_nat, next_nat
    # Narrow: a change ("CUT 18:45", "CUT Mon 07:45") stays whole before Why gets its minimum.
    next_w = min(next_nat, max(rest - min(why_nat, WHY_MIN), next_minimum()))
    return name_w, state_w, mode_w, max(rest - next_w, 3), next_w


# More channels than this (several boards, up to 32) and the grid shows this many rows around
# the selected one, so that the grid and its detail line fit at 80x24.
WINDOW = 8


def window_start(channels: tuple[ChannelView, ...], selected: int | None) -> int:
    """The first channel row shown: all from 0 when they fit, else WINDOW around the selection."""
    if len(channels) <= WINDOW:
        return 0
    where = next((i for i, channel in enumerate(channels) if channel.index == selected), 0)
    return max(0, min(where - WINDOW // 2, len(channels) - WINDOW))


def render_grid(
    channels: tuple[ChannelView, ...],
    selected: int | None,
    now: datetime,
    width: int,
    detail_line: bool = True,
) -> Text:
    everything = channels
    first = window_start(channels, selected)
    if len(channels) > WINDOW:
        channels = channels[first : first + WINDOW]
    rows = [
        (
            f"{channel.index}",
            channel.name,
            channel_state_word(channel),
            mode_cell(channel),
            next_cell(channel, now, width >= WIDEST),
        )
        for channel in channels
    ]
    whys = [why_text(channel, now) for channel in channels]
    # With a meter that measured some channel, on a wide screen: a Power column after Mode.
    powers = [power_cell(channel) for channel in channels]
    power_w = max(len(cell) for cell in ["Power", *powers]) + 1
    if width < WIDE or not any(channel.measured_power_w is not None for channel in channels):
        powers, power_w = [], 0
    width -= power_w
    name_w, state_w, mode_w, why_w, next_w = column_widths(rows, whys, width)
    if any(len(row[4]) > next_w for row in rows):
        rows = [
            (*row[:4], next_cell(channel, now, False, short=True))
            for channel, row in zip(channels, rows, strict=True)
        ]
        name_w, state_w, mode_w, why_w, next_w = column_widths(rows, whys, width)
    if any(len(row[4]) > next_w for row in rows):
        rows = [
            (*row[:4], next_cell(channel, now, False, short=True, minutes=True))
            for channel, row in zip(channels, rows, strict=True)
        ]
        name_w, state_w, mode_w, why_w, next_w = column_widths(rows, whys, width)
    index_w = max([len(row[0]) for row in rows] + [1])
    lines = [
        Text(
            "  "
            + "#".rjust(index_w)
            + " "
            + fit(_("Relay"), name_w)
            + " "
            + fit(_("State"), state_w + 1)
            + fit(_("Mode"), mode_w + 1)
            + (fit(_("Power"), power_w) if power_w else "")
            + fit(_("Why"), why_w)
            + " "
            + fit(_("Next"), next_w),
            style=HEADING,
        )
    ]
    for position, (channel, (index, name, state, mode, upcoming)) in enumerate(
        zip(channels, rows, strict=True)
    ):
        why = why_cell(channel, now, why_w)
        is_selected = channel.index == selected
        line = Text(MARKER + " " if is_selected else "  ")
        line.append(f"{index:>{index_w}} ")
        line.append(fit(name, name_w) + " ")
        line.append(state, style=STATE_STYLES[channel_state_key(channel)])  # CUT is a block
        line.append(" " * (state_w + 1 - len(state)))
        line.append(fit(mode, mode_w + 1), style=FORCED_STYLE if mode != _("AUTO") else "")
        if power_w:
            line.append(fit(powers[position], power_w))
        line.append(fit(why, why_w) + " ")
        line.append(fit(upcoming, next_w))
        if is_selected:
            line.stylize(SELECTED)
        lines.append(line)
    if len(everything) > len(channels):
        words = _("  channels {first}-{last} of {count} shown: ↑↓ j k, two digits or n: the others")
        shown = words.format(
            first=channels[0].index, last=channels[-1].index, count=len(everything)
        )
        lines.append(Text(shown, style="dim"))
    chosen = next((channel for channel in channels if channel.index == selected), None)
    if chosen is not None and detail_line:
        lines.append(detail(chosen, now))
    return Text("\n").join(lines)


def power_cell(channel: ChannelView) -> str:
    """``2.4 kW`` as the meter measured it; ``(2 kW)`` configured, not measured yet."""
    if channel.measured_power_w is not None:
        return f"{channel.measured_power_w / 1000:.1f} kW"
    if channel.power_w is not None:
        return f"({channel.power_w / 1000:g} kW)"
    return ""


def detail(channel: ChannelView, now: datetime) -> Text:
    """The selected channel in full sentences (nothing of it is cut at any width)."""
    state = channel_state_word(channel)
    line = Text(f"{MARKER} {channel.index} {channel.name}: ", style=HEADING)
    if channel.board:
        place = board_place(channel.board, channel.relay)
        where = _("(board {place})").format(place=place)
        line = Text(f"{MARKER} {channel.index} {channel.name} {where}: ")
        line.stylize(HEADING)
    line.append(state, style=STATE_STYLES[channel_state_key(channel)])
    if channel.order is not None:
        line.append(f" ({order_kind_word(channel.order)})")
    line.append(f", {mode_words(channel, now)}")
    if channel.latched and not channel.latch_holds and channel.mode != "forced":
        line.append(_(" (stays cut after this shed: auto_restore is off)"))
    line.append(_(". Why: {reason}.").format(reason=channel.reason))
    if channel.waiting:
        line.append(_(" Waiting: {waiting}.").format(waiting=channel.waiting))
    if (power := power_words(channel)) is not None:
        line.append(_(" Power: {power}.").format(power=power))
    if channel.mismatch:
        line.append(
            _(" Board mismatch: {mismatch}.").format(mismatch=channel.mismatch),
            style=STATE_STYLES["UNKNOWN"],
        )
    if channel.next_change is not None:
        change = channel.next_change
        state = order_word(change.order) if change.order else state_word(change.powered)
        line.append(
            _(" Next: {state} at {time}").format(state=state, time=clock_time(change.at, now))
        )
        line.append(f" ({change.reason})." if change.reason != channel.reason else ".")
    return line
