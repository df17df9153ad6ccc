"""The Textual terminal UI: signal timeline, relay grid, event log, keyboard overrides.

``DelestageApp`` talks to the controller through a ``ControllerLink`` only, so it runs the same
in-process (the link is the controller itself; the app then also runs ``service``, the coroutine
that drives it and serves the control socket) and attached to a service over the socket.

Idle, it writes almost nothing to the terminal: panes redraw only when what they show changes,
the clock shows minutes and is redrawn once a minute, and nothing animates.
"""

import asyncio
import contextlib
import difflib
import unicodedata
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingsMap, BindingType
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from tui.core.config import BoardKind, Config
from tui.core.durations import format_duration
from tui.core.errors import InputError
from tui.core.events import StartEvent, StopEvent
from tui.core.i18n import N_, _
from tui.core.pilot import Order
from tui.frontends.app import french
from tui.frontends.app.channels_view import ChannelsView, ViewCache
from tui.frontends.app.dialogs import (
    ConfirmScreen,
    DurationPrompt,
    FilterPrompt,
    GoToPrompt,
    HelpScreen,
)
from tui.frontends.app.eventlog import EventPane
from tui.frontends.app.header import Banner, StatusLine
from tui.frontends.app.help_tempo import tempo_help
from tui.frontends.app.relays import RelayGrid
from tui.frontends.app.stopping import (
    gone_banner,
    gone_banner_short,
    gone_channels,
    on_exit_words,
)
from tui.frontends.app.text import LEVEL_WORDS, level_letter, level_style, paris
from tui.frontends.app.timeline import SignalInfo, Timeline
from tui.frontends.startup import resume_collector
from tui.service.interface import ControllerLink
from tui.service.snapshot import Snapshot, Update

EVENTS_TITLE = N_("Events (newest at the bottom)")
MESSAGE_SECONDS = 20.0  # how long the answer to a command stays in the events' title line
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # reconnecting to a service that went away, seconds
STOP_TIMEOUT = 15.0  # how long quitting waits for an in-process controller to release the board
COLLECTOR_PAUSE_MAX = 5.0  # seconds from mount after which the start's paused collector resumes
MIN_WIDTH, MIN_HEIGHT = 80, 24  # the layout is made for this; below it the screen says so
PALETTE_SKIP = {"commands", "quit_ctrl_c"}  # the palette itself; a second quit


def strained(level: int | None) -> bool:
    return level is not None and level >= 2


# Help text per binding id; the keys themselves come from the live bindings, so a keymap
# that moves an action shows its new key here.
HELP: dict[str, str] = {
    "select": N_("select that relay"),
    "select_go": N_("go to a relay: type its number or name"),
    "select_previous": N_("select the previous relay"),
    "select_next": N_("select the next relay"),
    "force_on": N_("force the selected relay ON (default duration)"),
    "force_off": N_("force the selected relay CUT (default duration)"),
    "force_on_for": N_("force ON: type a duration, a time, or 0 (held)"),
    "force_off_for": N_("force CUT: type a duration, a time, or 0 (held)"),
    "force_eco": N_("a pilot-wire channel: force Éco (default duration)"),
    "force_hors_gel": N_("a pilot-wire channel: force Hors-gel (default duration)"),
    "release": N_("back to automatic (also clears LATCHED)"),
    "release_all": N_("every relay back to automatic (asks first)"),
    "refresh": N_("refresh the forecast and Tempo (within RTE's limits)"),
    "history": N_("channels hour by hour: recorded, planned, and why"),
    "events_up": N_("scroll the event log up"),
    "events_down": N_("scroll the event log down"),
    "events_home": N_("the oldest event of the log"),
    "events_end": N_("the newest event (and follow new ones)"),
    "events_full": N_("the event log alone, full height (again: back)"),
    "events_filter": N_("filter the log by channel (index or name) or kind; empty: all"),
    "commands": N_("the command palette: every action, by name"),
    "help": N_("this help"),
    "quit": N_("quit (an attached service keeps running)"),
    "quit_ctrl_c": N_("quit, from anywhere"),
}
DIGITS = [str(number) for number in range(10)]
# Past channel 9 (several boards, up to 32 channels): a digit then another within this many
# seconds selects the two-digit channel (1 then 2: channel 12).
DIGIT_SECONDS = 1.5


class DelestageApp(App[int]):
    CSS_PATH = "delestage.tcss"
    TITLE = "delestage"
    ENABLE_COMMAND_PALETTE = True
    # Textual declares it an instance attribute (so no ClassVar), read from the class.
    VERTICAL_BREAKPOINTS: list[tuple[int, str]] | None = [(0, "-short"), (28, "-tall")]  # noqa: RUF012

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("0", "select(0)", "select", key_display="0-7", id="select_0"),
        *(
            Binding(str(n), f"select({n})", f"select relay {n}", show=False, id=f"select_{n}")
            for n in range(1, 10)
        ),
        # `g` is a pilot-wire channel's Hors-gel (force_hors_gel): `n` for a number or a name.
        Binding("n", "go_to", "go to", show=False, id="select_go"),
        Binding("up,k", "move(-1)", "previous", show=False, id="select_previous"),
        Binding("down,j", "move(1)", "next", show=False, id="select_next"),
        Binding("p", "force(True)", "on/cut", key_display="p/s", id="force_on"),
        Binding("s", "force(False)", "force cut", show=False, id="force_off"),
        Binding("P", "force_for(True)", "for…", key_display="P/S", id="force_on_for"),
        Binding("S", "force_for(False)", "cut for…", show=False, id="force_off_for"),
        Binding("e", "pilot('eco')", "Éco", show=False, id="force_eco"),
        Binding("g", "pilot('hors-gel')", "Hors-gel", show=False, id="force_hors_gel"),
        Binding("a", "release", "auto", id="release"),
        Binding("A", "release_all", "all auto", show=False, id="release_all"),
        Binding("r", "refresh", "refresh", id="refresh"),
        Binding("h", "channels_view", "history", show=False, id="history"),
        Binding("pageup", "events_page(-1)", "events up", show=False, id="events_up"),
        Binding("pagedown", "events_page(1)", "events down", show=False, id="events_down"),
        Binding("home", "events_edge(-1)", "oldest event", show=False, id="events_home"),
        Binding("end", "events_edge(1)", "newest event", show=False, id="events_end"),
        Binding("l", "toggle_log", "log", id="events_full"),
        Binding("slash", "filter_events", "filter", show=False, id="events_filter"),
        Binding("ctrl+p", "command_palette", "commands", show=False, id="commands"),
        Binding("question_mark", "help", "help", id="help"),
        Binding("q", "quit", "quit", id="quit"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True, id="quit_ctrl_c"),
    ]

    def __init__(
        self,
        link: ControllerLink,
        config: Config,
        *,
        service: Coroutine[Any, Any, None] | None = None,
        now: Callable[[], datetime] | None = None,
        history: bool = True,
    ) -> None:
        """``service``: for an in-process link, what runs the controller (it is awaited in the
        app's event loop and stopped through ``link.close()`` on quit). ``now``: the clock the
        panes show (tests and snapshots inject a fixed one). ``history``: show the recent events the
        service replays with its first update (the scroll-back)."""
        super().__init__()
        french.translate_bindings(self._bindings)
        digits_shown(self._bindings, config)
        self.animation_level = "none"
        self.link = link
        self.config = config
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.snapshot: Snapshot | None = None
        self.selected: int | None = None
        self.connected = True
        self.problem = ""
        self.problem_short = ""
        self.last_message = ""
        self._service = service
        self._service_task: asyncio.Task[None] | None = None
        self._history = history
        self._quitting = False
        self._first_update = asyncio.Event()
        self._message_timer: Timer | None = None
        self.history_views = ViewCache(link, self.now)
        self._stop_event: StopEvent | None = None  # the service's last word, if any
        self._known: dict[int, bool | None] = {}  # each relay's last state seen attached
        self._asking_quit = False
        self._level: int | None = None
        self._terminal: tuple[int, int] | None = None
        self._first_digit: int | None = None  # a digit that a second one may follow
        self._digit_timer: Timer | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(self.link.description, id="status")
        yield Banner(id="banner")
        yield Timeline(id="timeline")
        yield SignalInfo(self.config.policy.fallback.value, id="signal")
        yield RelayGrid(id="relays")
        yield Static(Text(_(EVENTS_TITLE), style="bold"), id="events-title")
        yield EventPane(id="events")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        keys = french.keymap(self.config.ui.keys, binding_ids())
        if keys:
            self.set_keymap(keys)
        self._redraw()
        if self._service is not None:
            self._service_task = asyncio.create_task(self._run_service(self._service))
        self.run_worker(self._follow(), name="updates", group="link", exit_on_error=False)
        self._schedule_tick()
        self.set_timer(COLLECTOR_PAUSE_MAX, resume_collector)  # even with no first update

    async def on_unmount(self) -> None:
        await self._stop_service()

    # -- the controller ----------------------------------------------------------------------

    async def _run_service(self, service: Coroutine[Any, Any, None]) -> None:
        try:
            await service
        except Exception as error:
            if not self._quitting:
                self.exit(1, 1, f"delestage: the controller stopped: {error}")
            return
        if not self._quitting:
            self.exit(1, 1, "delestage: the controller stopped")

    async def _stop_service(self) -> None:
        self._quitting = True
        with contextlib.suppress(Exception):
            await self.link.close()
        task = self._service_task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT)
            except Exception:
                task.cancel()

    async def _follow(self) -> None:
        """Apply every update; if an attached service goes away, say so and keep retrying."""
        delay = RETRY_FIRST
        while True:
            try:
                async for update in self.link.updates():
                    self._apply(update)
                    delay = RETRY_FIRST
                problem = "the service closed the connection"
            except InputError as error:
                problem = "; ".join(error.problems)
            except Exception as error:
                problem = str(error) or error.__class__.__name__
            if self._service_task is not None or self._quitting:
                return
            if self.connected:
                self._ring()  # the service is lost
            self.connected = False
            self.problem = gone_banner(self._stop_event, self.now(), problem)
            self.problem_short = gone_banner_short(self._stop_event, self.now())
            self._redraw()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    def _apply(self, update: Update) -> None:
        snapshot = update.snapshot
        first = self.snapshot is None
        self.snapshot = snapshot
        self.connected, self.problem = True, ""
        indexes = [channel.index for channel in snapshot.channels]
        if self.selected not in indexes:
            self.selected = indexes[0] if indexes else None
        if first:
            self.call_after_refresh(self._after_first_screen)
        # The first update replays the service's recent events: the scroll-back.
        if not first or self._history:
            self.query_one(EventPane).add(update.events)
        for event in update.events:
            if isinstance(event, StopEvent):
                self._stop_event = event
            elif isinstance(event, StartEvent):  # a reload is its own kind: not a start
                self._stop_event = None
        if snapshot.board.attached:
            self._known = {channel.index: channel.powered for channel in snapshot.channels}
        was = self._level
        self._level = snapshot.level
        if not first and strained(snapshot.level) and not strained(was):
            self._ring()  # a strained period starts
        self._redraw()
        self._first_update.set()

    def _after_first_screen(self) -> None:
        """Once the first screen with the service's state is drawn: what waited for it."""
        resume_collector()  # paused for the start (startup.py)
        # So that `h` opens on a drawn view; fetched after the first paint, not before it.
        self.run_worker(self.history_views.fetch(paris(self.now()).date()), exit_on_error=False)

    async def wait_for_first_update(self) -> None:
        await self._first_update.wait()

    async def wait_for_commands(self) -> None:
        """Until every command sent so far has been answered (tests, benchmarks)."""
        commands = [worker for worker in self.workers if worker.group == "commands"]
        if commands:  # an empty list would mean every worker, the updates follower included
            await self.workers.wait_for_complete(commands)

    # -- drawing -----------------------------------------------------------------------------

    def _redraw(self) -> None:
        now = self.now()
        snapshot = self.snapshot
        status = self.query_one(StatusLine)
        status.description = self.link_description()
        stopped = self._stop_event is not None  # its board closed on the way out
        status.show(snapshot, now, self.connected, stopped)
        self.query_one(Banner).show(
            snapshot,
            self.connected,
            self.problem,
            self._size_notice(),
            self.problem_short,
            stopped,
        )
        if snapshot is not None:
            self.query_one(Timeline).show(snapshot.forecast, now, snapshot.tempo, snapshot.meter)
            self.query_one(SignalInfo).show(snapshot.forecast, snapshot.level, now)
            channels = snapshot.channels
            if not self.connected:
                channels = gone_channels(snapshot, self._stop_event, self._known)
            # Gone: every row says why; the selected row's sentence would only repeat it,
            # and its lines keep the answer line in sight at 80x24.
            self.query_one(RelayGrid).show(channels, self.selected, now, detail=self.connected)

    def _ring(self) -> None:
        if self.config.ui.bell:
            self.bell()

    def _size_notice(self) -> str:
        """Said when the terminal is below the 80x24 the layout is made for."""
        width, height = self._terminal or self.size
        if not width or (width >= MIN_WIDTH and height >= MIN_HEIGHT):
            return ""
        return (
            f"TERMINAL TOO SMALL: {width}x{height}, made for {MIN_WIDTH}x{MIN_HEIGHT}; rows are "
            "hidden or cut: enlarge it, or l: the log alone"
        )

    def link_description(self) -> str:
        """``in-process``, or ``attached to PID n`` with the PID of the service that answers
        now (a restarted service has a new one)."""
        described = self.link.description
        if described.startswith("attached") and self.snapshot is not None:
            return f"attached to PID {self.snapshot.pid}"
        return described

    def _schedule_tick(self) -> None:
        now = self.now()
        to_next_minute = 60 - now.second - now.microsecond / 1e6
        self.set_timer(to_next_minute + 0.05, self.tick)

    def tick(self) -> None:
        """Once a minute: the clock, ages and the now marker move; panes repaint if they show
        something different."""
        self._redraw()
        self._schedule_tick()

    def _say(self, message: str, error: bool = False) -> None:
        """Answer the operator in the line above the event log (a toast would hide the newest
        events, the very ones a command makes), shown even where that line is usually hidden."""
        self.last_message = message
        line = Text("! " if error else "› ", style="bold red" if error else "bold")
        line.append(message, style="bold red" if error else "bold")
        title = self.query_one("#events-title", Static)
        title.update(line)
        title.add_class("-message")
        if self._message_timer is not None:
            self._message_timer.stop()
        self._message_timer = self.set_timer(MESSAGE_SECONDS, self._unsay)

    def _unsay(self) -> None:
        title = self.query_one("#events-title", Static)
        title.update(self._events_title())
        title.remove_class("-message")
        self._message_timer = None

    # -- commands ----------------------------------------------------------------------------

    def _command(self, what: str, call: Callable[[], Awaitable[str]]) -> None:
        self.run_worker(self._run_command(what, call), group="commands", exit_on_error=False)

    async def _run_command(self, what: str, call: Callable[[], Awaitable[str]]) -> None:
        if not self.connected and self._service_task is None:
            self._say(
                _("{what}: not sent, the service is gone; control is off until it is back").format(
                    what=what
                ),
                error=True,
            )
            return
        try:
            message = await call()
        except InputError as error:
            self._say("; ".join(error.problems), error=True)
        except Exception as error:
            failed = _("{what} failed: {error}")
            self._say(failed.format(what=what, error=error or error.__class__.__name__), error=True)
        else:
            self._say(message)

    def _channels(self) -> dict[int, str]:
        """Index to name, as the controller has them (attached, its configuration rules)."""
        if self.snapshot is not None:
            return {channel.index: channel.name for channel in self.snapshot.channels}
        return {channel.index: channel.name for channel in self.config.channels}

    def _target(self) -> int | None:
        if self.selected is None:
            self._say(_("no relay selected yet: waiting for the controller"), error=True)
        return self.selected

    def action_select(self, digit: int) -> None:
        """A digit key: that channel; right after a digit that can start a configured channel
        number (past 9, with several boards), the two-digit channel."""
        configured = self._channels()
        first = self._first_digit
        self._forget_digit()
        if first is not None and first * 10 + digit in configured:
            self._select(first * 10 + digit)
            return
        tens = [index for index in configured if digit and index // 10 == digit]
        if tens:
            self._first_digit = digit
            self._digit_timer = self.set_timer(DIGIT_SECONDS, self._forget_digit)
            if digit not in configured:
                words = _("{digit}…: a second digit selects relay {first}-{last}")
                self._say(words.format(digit=digit, first=min(tens), last=max(tens)))
                return
        self._select(digit)

    def _forget_digit(self) -> None:
        self._first_digit = None
        if self._digit_timer is not None:
            self._digit_timer.stop()
            self._digit_timer = None

    def action_go_to(self) -> None:
        """Any channel by its number or its name (the digits reach 0-9, two digits 10-31)."""
        self._forget_digit()

        def chosen(words: str | None) -> None:
            if words is None or not words.strip():
                return
            index = channel_named(self._channels(), words)
            if index is None:
                listed = ", ".join(str(number) for number in sorted(self._channels()))
                said = _("no relay “{words}” (configured: {listed})")
                self._say(said.format(words=words.strip(), listed=listed), error=True)
                return
            self._select(index)

        self.push_screen(GoToPrompt(), chosen)

    def _select(self, index: int) -> None:
        configured = sorted(self._channels())
        if index not in configured:
            listed = ", ".join(str(number) for number in configured)
            words = _("relay {index} is not configured (configured: {listed})")
            self._say(words.format(index=index, listed=listed), error=True)
            return
        self.selected = index
        self._redraw()

    def action_move(self, step: int) -> None:
        self._forget_digit()
        indexes = sorted(self._channels())
        if not indexes:
            return
        position = indexes.index(self.selected) if self.selected in indexes else 0
        self.selected = indexes[(position + step) % len(indexes)]
        self._redraw()

    def action_force(self, powered: bool) -> None:
        channel = self._target()
        if channel is None:
            return
        what = _("forcing ON") if powered else _("forcing CUT")
        self._command(what, lambda: self.link.force(channel, powered))

    def action_pilot(self, order: str) -> None:
        """Force a pilot-wire channel to a named order (`force CH eco` on the command line)."""
        channel = self._target()
        if channel is None:
            return
        pilot = self.config.channel(channel).pilot
        if pilot is None:
            self.notify(_("not a pilot-wire channel: p (ON) or s (CUT)"), severity="warning")
            return
        if not pilot.allowed(Order(order)):  # an SG-Ready heat pump has no Éco nor Hors-gel
            self.notify(
                _("an SG-Ready channel: p (normal) or s (blocked); boost with force CH boost"),
                severity="warning",
            )
            return
        what = _("forcing {order}").format(order=Order(order).label)
        self._command(what, lambda: self.link.force(channel, False, order=order))

    def action_force_for(self, powered: bool) -> None:
        channel = self._target()
        if channel is None:
            return
        state = _("ON") if powered else _("CUT")
        default = self.config.policy.override_duration
        name = self._channels().get(channel, "")
        question = _("Force relay {index} {name} {state}: for how long?").format(
            index=channel, name=name, state=state
        )
        placeholder = format_duration(default) if default else "0"

        def chosen(hold: timedelta | datetime | None) -> None:
            if hold is None:
                return
            what = _("forcing ON") if powered else _("forcing CUT")
            if isinstance(hold, datetime):
                self._command(what, lambda: self.link.force(channel, powered, until=hold))
            else:
                self._command(what, lambda: self.link.force(channel, powered, duration=hold))

        self.push_screen(DurationPrompt(question, placeholder, self.now()), chosen)

    def action_release(self) -> None:
        channel = self._target()
        if channel is None:
            return
        self._command(_("releasing"), lambda: self.link.release(channel))

    def action_release_all(self) -> None:
        def chosen(yes: bool | None) -> None:
            if yes:
                self._command(_("releasing all"), lambda: self.link.release(None))
            else:
                self._say(_("nothing changed"))

        self.push_screen(
            ConfirmScreen(_("Return EVERY relay to automatic (forced and latched ones too)?")),
            chosen,
        )

    def action_refresh(self) -> None:
        self._command(_("refreshing"), self.link.refresh)

    def action_channels_view(self) -> None:
        self.push_screen(ChannelsView(self.history_views, self.selected))

    def action_events_page(self, direction: int) -> None:
        events = self.query_one(EventPane)
        if direction < 0:
            events.scroll_page_up(animate=False)
        else:
            events.scroll_page_down(animate=False)

    def action_events_edge(self, direction: int) -> None:
        events = self.query_one(EventPane)
        if direction < 0:
            events.scroll_home(animate=False)
        else:
            events.scroll_end(animate=False)

    def action_toggle_log(self) -> None:
        """The event log alone (with the header), or back to every pane."""
        self.screen.toggle_class("-log-only")
        self.call_after_refresh(self.query_one(EventPane).scroll_end, animate=False)

    def action_filter_events(self) -> None:
        events = self.query_one(EventPane)

        def chosen(words: str | None) -> None:
            if words is None:
                return
            count = events.set_filter(words)
            self._set_events_title()
            if words.strip():
                said = _("log filtered on “{words}”: {count} event(s); / then Enter: all")
                self._say(said.format(words=words.strip(), count=count))
            else:
                self._say(_("log filter cleared: every event"))

        self.push_screen(FilterPrompt(events.filter), chosen)

    def _set_events_title(self) -> None:
        if self._message_timer is None:
            self.query_one("#events-title", Static).update(self._events_title())

    def _events_title(self) -> Text:
        words = self.query_one(EventPane).filter
        if not words:
            return Text(_(EVENTS_TITLE), style="bold")
        return Text(_("Events matching “{words}” (/ to change)").format(words=words), style="bold")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the UI, by name, in Textual's command palette (Ctrl+P)."""
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or binding.id in PALETTE_SKIP or not binding.id:
                continue
            what = _(HELP.get(binding.id, binding.description))
            if binding.id.startswith("select_") and binding.id[7:].isdigit():
                what = _("select relay {index}").format(index=binding.id[7:])
            title = what[0].upper() + what[1:]
            yield SystemCommand(title, binding.id, partial(self.run_action, binding.action))
        yield from super().get_system_commands(screen)

    def on_relay_grid_chosen(self, message: RelayGrid.Chosen) -> None:
        self._forget_digit()
        self._select(message.index)

    def on_resize(self, event: Resize) -> None:
        self._terminal = (event.size.width, event.size.height)
        self._redraw()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_text()))

    async def action_quit(self) -> None:
        """Quit; an in-process UI on a real board asks first, saying what on_exit will do
        (a second q or Ctrl+C while it asks quits)."""
        real = self.config.board.kind is BoardKind.PHIDGET
        if self._service is None or not real or self._asking_quit:
            await self._stop_service()
            self.exit(0)
            return

        async def chosen(yes: bool | None) -> None:
            self._asking_quit = False
            if yes:
                await self._stop_service()
                self.exit(0)
            else:
                self._say(_("still running: nothing changed"))

        self._asking_quit = True
        self.push_screen(
            ConfirmScreen(
                "Quit and STOP controlling the relays? This UI runs the controller itself. "
                f"{on_exit_words(self.config)}.",
                quit_keys=True,
            ),
            chosen,
        )

    # -- help --------------------------------------------------------------------------------

    def key_table(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every binding of the app, with the keymap applied (asked
        while the main screen is up: a modal screen hides the app's bindings)."""
        return [(keys, what) for keys, what, _ in self.key_rows()]

    def key_rows(self) -> list[tuple[str, str, str]]:
        """(keys, what they do, binding id for [ui] keys) for every binding of the app."""
        keys: dict[str, list[str]] = {}
        for key, active in self.screen.active_bindings.items():
            if active.node is not self:
                continue
            binding = active.binding
            ident = binding.id or binding.action
            if ident.startswith("select_") and ident[7:].isdigit():
                ident = "select"
            keys.setdefault(ident, []).append(self.get_key_display(Binding(key, binding.action)))
        last = last_digit(self.config)
        shown = [digit for digit in DIGITS if int(digit) <= last]
        if set(keys.get("select", ())) >= set(shown):  # AZERTY's top row too: said below
            keys["select"] = [f"0-{last}"]

        def ids(ident: str) -> str:
            return f"select_0…select_{DIGITS[-1]}" if ident == "select" else ident

        table = [
            (" ".join(keys[ident]), _(HELP[ident]), ids(ident)) for ident in HELP if ident in keys
        ]
        table += [
            (" ".join(shown), ident, ident) for ident, shown in keys.items() if ident not in HELP
        ]
        return table

    def _keymap_in_use(self) -> dict[str, str]:
        return french.keymap(self.config.ui.keys, binding_ids())

    def help_text(self) -> Text:
        out = Text(
            _("Keys (binding id, for [ui] keys in delestage.toml, in brackets)\n"), style="bold"
        )
        table = self.key_rows()
        width = max(len(keys) for keys, _, _ in table)
        for keys, what, ident in table:
            out.append(f"  {keys:<{width}}  ", style="bold")
            out.append(f"{what} ")
            out.append(f"[{ident}]\n", style="dim")
        duration = self.config.policy.override_duration
        default = format_duration(duration) if duration else _("until released")
        out.append(_("  (default override duration: {default})\n").format(default=default))
        if french.azerty_on(self._keymap_in_use()):
            if last_digit(self.config) == 7:
                words = _("  AZERTY: {keys} select relays 0-7 too, without Shift\n")
                out.append(words.format(keys=french.AZERTY_SHOWN))
            else:
                words = _("  AZERTY: {keys} select relays 0-9 too, without Shift\n")
                out.append(words.format(keys=french.AZERTY_SHOWN_TEN))
        go_to = next((keys for keys, _, ident in table if ident == "select_go"), "")
        if max((channel.index for channel in self.config.channels), default=0) >= 10 and go_to:
            words = _(
                "  Relays 10 and up: two digits in a row (1 then 2: relay 12), or {key} and "
                "its number or name\n"
            )
            out.append(words.format(key=go_to))
        out.append("\n")
        out.append(_("Words\n"), style="bold")
        out.append(_("  ON / CUT       the appliance is powered / cut (not the relay coil)\n"))
        out.append(_("  UNKNOWN        the board is detached: the real state is not known\n"))
        out.append(_("  AUTO           the rules decide\n"))
        out.append(_("  FORCED ON/CUT  an operator override in that direction; Why says until\n"))
        out.append(_("                 when ('until released': held until a or A)\n"))
        out.append(_("  FORCED         on a pilot wire or heat pump: State says the order sent\n"))
        out.append(_("  LATCHED        cut by a shed with auto_restore off: stays cut after it,\n"))
        out.append(_("                 until a or A\n"))
        out.append(_("  wait: …        a constraint (min_off, restore slot…) delays the rules\n"))
        out.append(_("  Dates          14:30 today; Wed 02 Dec 14:30 another day; 02:30 CEST /\n"))
        out.append(_("                 02:30 CET: the two 02:30s of the autumn change\n"))
        out.append(_("  Levels         "))
        for level in (0, 1, 2, 3, None):
            out.append(level_letter(level), style=level_style(level))
            word = _(LEVEL_WORDS[level]).lower() if level is not None else _("unknown")
            out.append(f" {word}  ")
        out.append(_("\n  ▶              the current hour in the timeline, the selected relay"))
        if self.config.tempo is not None:
            out.append_text(tempo_help())
        return out


def last_digit(config: Config) -> int:
    """The highest digit said to select a relay: 7 (one 1017, as always), 9 past channel 7."""
    return 9 if any(channel.index >= 8 for channel in config.channels) else 7


def digits_shown(bindings: BindingsMap, config: Config) -> None:
    """The footer's ``0-7`` reads ``0-9`` when channels go past 7 (several boards)."""
    last = last_digit(config)
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(item, key_display=f"0-{last}") if item.id == "select_0" else item
            for item in items
        ]


def channel_named(channels: Mapping[int, str], words: str) -> int | None:
    """The channel ``words`` names: its number, else its name (case-insensitive, any Unicode
    normal form, as `force` takes it), else the only name that starts with them."""
    text = words.strip()
    if text.isascii() and text.isdigit():
        return int(text) if int(text) in channels else None
    folded = unicodedata.normalize("NFC", text).casefold()
    names = {
        index: unicodedata.normalize("NFC", name).casefold() for index, name in channels.items()
    }
    exact = [index for index, name in names.items() if name == folded]
    if exact:
        return exact[0]
    starting = [index for index, name in names.items() if name.startswith(folded)]
    return starting[0] if len(starting) == 1 else None


def binding_ids() -> list[str]:
    return [b.id for b in DelestageApp.BINDINGS if isinstance(b, Binding) and b.id is not None]


def keymap_problems(config: Config) -> list[str]:
    """One line per ``[ui] keys`` entry that names no binding of the app."""
    known = binding_ids()
    problems = []
    for binding in config.ui.keys:
        if binding not in known:
            close = difflib.get_close_matches(binding, known, n=1)
            reason = (
                _("no such binding id (did you mean `{id}`?)").format(id=close[0])
                if close
                else _("no such binding id (known ids: {ids})").format(ids=", ".join(known))
            )
            problems.append(f"{config.path}: ui.keys.{binding}: {reason}")
    if problems:
        return problems
    return [f"{config.path}: {problem}" for problem in keymap_conflicts(config.ui.keys)]


def keymap_conflicts(keymap: Mapping[str, str]) -> list[str]:
    """One line per key that the remapped bindings share, and per binding left with no key:
    a key can do one thing only, so a remap must move the binding it takes over too."""
    owners: dict[str, list[str]] = {}
    keyless = []
    for binding in DelestageApp.BINDINGS:
        if not isinstance(binding, Binding) or binding.id is None:
            continue
        remapped = binding.id in keymap
        keys = keymap[binding.id] if remapped else binding.key
        names = [key.strip() for key in keys.split(",") if key.strip()]
        if not names:
            keyless.append(binding.id)
        for key in names:
            owners.setdefault(key, []).append(binding.id + ("" if remapped else _(" (default)")))
    problems = [
        "ui.keys: "
        + _("key `{key}` is bound to {ids}; give each a key of its own").format(
            key=key, ids=_(" and ").join(ids)
        )
        for key, ids in owners.items()
        if len(ids) > 1
    ]
    problems += [f"ui.keys.{ident}: " + _("no key left for this binding") for ident in keyless]
    return problems


def run_tui(
    link: ControllerLink,
    config: Config,
    service: Coroutine[Any, Any, None] | None = None,
) -> int:
    """Run the UI until the operator quits; the exit status for the command line."""
    problems = keymap_problems(config)
    if problems:
        if service is not None:
            service.close()
        raise InputError(problems)
    app = DelestageApp(link, config, service=service)
    app.run()
    if service is not None and app._service_task is None:
        service.close()  # never started (the app failed early): no "never awaited" warning
    code = app.return_code or 0
    if service is not None and app._service_task is not None and code == 0:
        # The terminal is the shell's again: say what quitting did, as the headless stop does.
        print(quit_line(config))
    return code


def quit_line(config: Config) -> str:
    """The line an in-process UI leaves after quitting: the service stopped with it."""
    words = _("delestage stopped (the service ran in this UI): {what}")
    return words.format(what=on_exit_words(config))
