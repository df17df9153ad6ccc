"""The event log pane: readable lines, newest at the bottom, with its scroll-back.

Lines are wrapped at the pane's width, and wrapped again when the width changes; a filter
(``/``) shows only the events whose kind or channel matches.
"""

import json
from collections import deque
from datetime import date, datetime

from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from tui.core.events import Event, channel_of
from tui.core.forecast import day_label
from tui.frontends.app.text import paris
from tui.frontends.event_text import event_summary

MAX_LINES = 2000
# At this height or less, one line per event: a wrapped tail would take a row of three.
SHORT_ROWS = 3
KIND_STYLES = {
    "relay": Style(bold=True),
    "override": Style(color="#ffb74d", bold=True),
    "error": Style(color="#ef5350", bold=True),
    "board": Style(color="#fdd835"),
    "forecast": Style(color="#4fc3f7"),
    "tempo": Style(color="#ffb74d"),  # two Tempo sources disagree
}
DIM = Style(dim=True)


def _key(event: Event) -> str:
    return json.dumps(event.to_dict(), sort_keys=True, ensure_ascii=False, default=str)


def event_stamp(event: Event) -> datetime:
    return paris(event.ts)


def event_text(event: Event) -> Text:
    """``14:05:12 relay    Sèche-linge: CUT (orange 17:00-20:00)``."""
    stamp = event_stamp(event)
    kind = event.kind
    line = Text(f"{stamp:%H:%M:%S}", style=DIM)
    line.append(" ")
    line.append(f"{kind:<8}", style=KIND_STYLES.get(kind, Style()))
    line.append(" ")
    line.append(event_summary(event), style=KIND_STYLES["error"] if kind == "error" else "")
    return line


def matches(event: Event, words: str) -> bool:
    """Whether an event is one the filter asks for: its kind, its channel's index or name, or
    any text of its line, case-insensitive."""
    if not words:
        return True
    wanted = words.casefold().strip()
    if event.kind.casefold() == wanted:
        return True
    channel = channel_of(event)
    if channel is not None and str(channel) == wanted:
        return True
    return wanted in event_text(event).plain.casefold()


class EventPane(RichLog, can_focus=False):
    """Events in arrival order, with a dated rule whenever the day changes.

    The first update after every (re)connection replays the service's recent events, which
    overlap what is already shown: an event is written once, however often it arrives.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, max_lines=MAX_LINES, wrap=True, markup=False, highlight=False, auto_scroll=True
        )
        self._day: date | None = None
        self._early: list[Text] = []
        self._keys: set[str] = set()
        self._order: deque[str] = deque()
        self._width = 0
        self._height = 0
        self._was_short = False
        self.filter = ""
        self.shown: list[Event] = []  # what was received, oldest first (tests, bench)

    def add(self, events: tuple[Event, ...] | list[Event]) -> None:
        for event in events:
            key = _key(event)
            if key in self._keys:
                continue
            self._keys.add(key)
            self._order.append(key)
            if len(self._order) > MAX_LINES:
                self._keys.discard(self._order.popleft())
            self.shown.append(event)
            del self.shown[:-MAX_LINES]
            if matches(event, self.filter):
                self._write(event)

    def set_filter(self, words: str) -> int:
        """Show only the matching events; returns how many match."""
        self.filter = words.strip()
        self.reflow()
        return sum(1 for event in self.shown if matches(event, self.filter))

    def reflow(self) -> None:
        """Write every kept event again at the pane's width (after a resize or a new filter),
        still following the newest line if it was."""
        following = self.scroll_y >= self.max_scroll_y
        self.clear()
        self._early = []
        self._day = None
        for event in self.shown:
            if matches(event, self.filter):
                self._write(event)
        if following:
            self.scroll_end(animate=False, immediate=True)

    def _write(self, event: Event) -> None:
        stamp = event_stamp(event)
        if stamp.date() != self._day:
            self._day = stamp.date()
            self._line(Text(f"── {day_label(stamp.date())} {stamp.year} ──", style=DIM))
        self._line(event_text(event))

    def _line(self, text: Text) -> None:
        # Wrapped at the pane's width (its scrollbar gutter is reserved), not the console's:
        # lines that come before the pane has a size wait for it.
        if not self._size_known:
            self._early.append(text)
            return
        width = self.scrollable_content_region.width
        if self._short():
            # Two rows or fewer (80x24 with a meter): a wrapped line would show only its tail
            # ("had it)"); one line per event, cut with an ellipsis, reads as the newest event.
            text = text.copy()
            text.truncate(width, overflow="ellipsis")
        self.write(text, width=width)

    def _short(self) -> bool:
        return 0 < self.scrollable_content_region.height <= SHORT_ROWS

    def on_resize(self, event: Resize) -> None:
        if not event.size.width:
            return
        # A row taken by an answer line or a longer detail: the newest line stays in view if it
        # was (a write scrolls to the end; a resize after it does not), the reader's place if
        # they scrolled back.
        before, self._height = self._height, self.scrollable_content_region.height
        followed = self.scroll_y >= max(0, self.virtual_size.height - before)
        if before and self._height != before and followed:
            self.scroll_end(animate=False, immediate=True)
        width = self.scrollable_content_region.width
        if not self._width:
            self._width = width
            self._was_short = self._short()
            if self._early:
                self.call_later(self._flush_early)
        elif width != self._width or self._short() != self._was_short:
            self._width = width
            self._was_short = self._short()
            self.call_later(self.reflow)

    def _flush_early(self) -> None:
        early, self._early = self._early, []
        for text in early:
            self._line(text)
