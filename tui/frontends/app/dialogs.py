"""The small modal screens: how long to force, confirm all back to automatic, and help.

Each closes with a plain key as well as Esc (Esc is never the only way out), and ctrl+c quits
from anywhere.
"""

from datetime import datetime, timedelta
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.core.durations import HOLD_EXPECTED, parse_hold
from tui.core.i18n import _
from tui.frontends.app import french

__all__ = ["HOLD_EXPECTED", "ConfirmScreen", "DurationPrompt", "HelpScreen", "parse_hold"]


class DurationPrompt(ModalScreen[timedelta | datetime | None]):
    """Asks how long an override lasts; dismisses with a duration, an instant, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", id="prompt_cancel")
    ]

    def __init__(self, question: str, default: str, now: datetime) -> None:
        super().__init__()
        french.translate_bindings(self._bindings)
        self.question = question
        self.default = default
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.question, style="bold"), id="question")
            yield Static(
                _(
                    "A duration (90m, 2h, 1h30m), a time of day (14:30 or 14h30), or 0 for until "
                    "released. Enter on an empty line or Esc cancels."
                ),
                id="hint",
            )
            yield Input(placeholder=self.default, id="hold")
            yield Static("", id="problem")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.dismiss(None)
            return
        try:
            self.dismiss(parse_hold(text, self.now))
        except ValueError as error:
            self.query_one("#problem", Static).update(Text(f"“{text}”: {error}", style="bold red"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "yes", id="confirm_yes"),
        Binding("n,escape,q", "answer(False)", "no", id="confirm_no"),
    ]

    def __init__(self, question: str, quit_keys: bool = False) -> None:
        """``quit_keys``: the question is whether to quit, so q answers yes, not no."""
        super().__init__()
        french.translate_bindings(self._bindings)
        self.question = question
        self.quit_keys = quit_keys

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.question, style="bold"), id="question")
            hint = (
                _("y, q or Enter: quit    n or Esc: stay")
                if self.quit_keys
                else _("y or Enter: yes    n, q or Esc: no")
            )
            yield Static(hint, id="hint")

    def on_key(self, event: Key) -> None:
        if self.quit_keys and event.key == "q":
            event.stop()
            event.prevent_default()
            self.dismiss(True)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,enter", "close", "close", id="help_close"),
        Binding("up", "scroll(-1)", show=False),
        Binding("down", "scroll(1)", show=False),
        Binding("pageup", "scroll(-10)", show=False),
        Binding("pagedown", "scroll(10)", show=False),
    ]

    def __init__(self, text: Text) -> None:
        super().__init__()
        french.translate_bindings(self._bindings)
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", can_focus=False) as scroll:
            scroll.border_title = _("Help")
            scroll.border_subtitle = _("↑ ↓ PgUp PgDn scroll · q ? Enter Esc close")
            yield Static(self.text)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)


class LinePrompt(ModalScreen[str | None]):
    """A one-line question: Enter answers with the line, Esc with None."""

    def __init__(self) -> None:
        super().__init__()
        french.translate_bindings(self._bindings)

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FilterPrompt(LinePrompt):
    """Asks which events to show: a channel (index or name), a kind, or any words."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", id="filter_cancel")
    ]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(_("Filter the event log"), style="bold"), id="question")
            yield Static(
                _(
                    "A channel (3, Sauna), a kind (relay, override, error, forecast, board, "
                    "start, stop, reload) or any words. Enter on an empty line shows every "
                    "event; Esc keeps the filter as it is."
                ),
                id="hint",
            )
            yield Input(value=self.current, placeholder=_("all events"), id="filter")


class GoToPrompt(LinePrompt):
    """Asks which relay to select: its number (any, past the digits' 0-9) or its name."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", id="go_to_cancel")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(_("Go to a relay"), style="bold"), id="question")
            yield Static(
                _(
                    "Its number (12) or its name, or the start of only one name (Pompe). Enter "
                    "on an empty line or Esc cancels."
                ),
                id="hint",
            )
            yield Input(placeholder="12", id="go-to")
