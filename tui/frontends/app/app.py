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
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Footer, Static

from tui.core.config import Config
from tui.core.durations import format_duration
from tui.core.errors import InputError
from tui.frontends.app.dialogs import ConfirmScreen, DurationPrompt, HelpScreen
from tui.frontends.app.eventlog import EventPane
from tui.frontends.app.header import Banner, StatusLine
from tui.frontends.app.relays import RelayGrid
from tui.frontends.app.text import LEVEL_WORDS, level_letter, level_style
from tui.frontends.app.timeline import SignalInfo, Timeline
from tui.service.interface import ControllerLink
from tui.service.snapshot import Snapshot, Update

EVENTS_TITLE = Text("Events (newest at the bottom)", style="bold")
MESSAGE_SECONDS = 20.0  # how long the answer to a command stays in the events' title line
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # reconnecting to a service that went away, seconds
STOP_TIMEOUT = 15.0  # how long quitting waits for an in-process controller to release the board

# Help text per binding id; the keys themselves come from the live bindings, so a keymap
# that moves an action shows its new key here.
HELP: dict[str, str] = {
    "select": "select that relay",
    "select_previous": "select the previous relay",
    "select_next": "select the next relay",
    "force_on": "force the selected relay ON (default duration)",
    "force_off": "force the selected relay CUT (default duration)",
    "force_on_for": "force ON: type a duration, a time, or 0 (held)",
    "force_off_for": "force CUT: type a duration, a time, or 0 (held)",
    "release": "back to automatic (also clears LATCHED)",
    "release_all": "every relay back to automatic (asks first)",
    "refresh": "refresh the forecast now (RTE quota permitting)",
    "events_up": "scroll the event log up",
    "events_down": "scroll the event log down",
    "help": "this help",
    "quit": "quit (an attached service keeps running)",
    "quit_ctrl_c": "quit, from anywhere",
}
DIGITS = [str(number) for number in range(8)]


class DelestageApp(App[int]):
    CSS_PATH = "delestage.tcss"
    TITLE = "delestage"
    ENABLE_COMMAND_PALETTE = False
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (28, "-tall")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("0", "select(0)", "select", key_display="0-7", id="select_0"),
        *(
            Binding(str(n), f"select({n})", f"select relay {n}", show=False, id=f"select_{n}")
            for n in range(1, 8)
        ),
        Binding("up", "move(-1)", "previous", show=False, id="select_previous"),
        Binding("down", "move(1)", "next", show=False, id="select_next"),
        Binding("p", "force(True)", "on/cut", key_display="p/s", id="force_on"),
        Binding("s", "force(False)", "cut", show=False, id="force_off"),
        Binding("P", "force_for(True)", "for…", key_display="P/S", id="force_on_for"),
        Binding("S", "force_for(False)", "cut for…", show=False, id="force_off_for"),
        Binding("a", "release", "auto", id="release"),
        Binding("A", "release_all", "all auto", id="release_all"),
        Binding("r", "refresh", "refresh", id="refresh"),
        Binding("pageup", "events_page(-1)", "events up", show=False, id="events_up"),
        Binding("pagedown", "events_page(1)", "events down", show=False, id="events_down"),
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
        self.animation_level = "none"
        self.link = link
        self.config = config
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.snapshot: Snapshot | None = None
        self.selected: int | None = None
        self.connected = True
        self.problem = ""
        self.last_message = ""
        self._service = service
        self._service_task: asyncio.Task[None] | None = None
        self._history = history
        self._quitting = False
        self._first_update = asyncio.Event()
        self._message_timer: Timer | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(self.link.description, id="status")
        yield Banner(id="banner")
        yield Timeline(id="timeline")
        yield SignalInfo(self.config.policy.fallback.value, id="signal")
        yield RelayGrid(id="relays")
        yield Static(EVENTS_TITLE, id="events-title")
        yield EventPane(id="events")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        if self.config.ui.keys:
            self.set_keymap(dict(self.config.ui.keys))
        self._redraw()
        if self._service is not None:
            self._service_task = asyncio.create_task(self._run_service(self._service))
        self.run_worker(self._follow(), name="updates", group="link", exit_on_error=False)
        self._schedule_tick()

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
            self.connected, self.problem = False, problem
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
        # The first update replays the service's recent events: the scroll-back.
        if not first or self._history:
            self.query_one(EventPane).add(update.events)
        self._redraw()
        self._first_update.set()

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
        self.query_one(StatusLine).show(snapshot, now, self.connected)
        self.query_one(Banner).show(snapshot, self.connected, self.problem)
        if snapshot is not None:
            self.query_one(Timeline).show(snapshot.forecast, now, snapshot.tempo)
            self.query_one(SignalInfo).show(snapshot.forecast, snapshot.level, now)
            self.query_one(RelayGrid).show(snapshot.channels, self.selected, now)

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
        title.update(EVENTS_TITLE)
        title.remove_class("-message")
        self._message_timer = None

    # -- commands ----------------------------------------------------------------------------

    def _command(self, what: str, call: Callable[[], Awaitable[str]]) -> None:
        self.run_worker(self._run_command(what, call), group="commands", exit_on_error=False)

    async def _run_command(self, what: str, call: Callable[[], Awaitable[str]]) -> None:
        try:
            message = await call()
        except InputError as error:
            self._say("; ".join(error.problems), error=True)
        except Exception as error:
            self._say(f"{what} failed: {error or error.__class__.__name__}", error=True)
        else:
            self._say(message)

    def _channels(self) -> dict[int, str]:
        """Index to name, as the controller has them (attached, its configuration rules)."""
        if self.snapshot is not None:
            return {channel.index: channel.name for channel in self.snapshot.channels}
        return {channel.index: channel.name for channel in self.config.channels}

    def _target(self) -> int | None:
        if self.selected is None:
            self._say("no relay selected yet: waiting for the controller", error=True)
        return self.selected

    def action_select(self, index: int) -> None:
        configured = sorted(self._channels())
        if index not in configured:
            listed = ", ".join(str(number) for number in configured)
            self._say(f"relay {index} is not configured (configured: {listed})", error=True)
            return
        self.selected = index
        self._redraw()

    def action_move(self, step: int) -> None:
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
        what = "forcing ON" if powered else "forcing CUT"
        self._command(what, lambda: self.link.force(channel, powered))

    def action_force_for(self, powered: bool) -> None:
        channel = self._target()
        if channel is None:
            return
        state = "ON" if powered else "CUT"
        default = self.config.policy.override_duration
        name = self._channels().get(channel, "")
        question = f"Force relay {channel} {name} {state}: for how long?"
        placeholder = format_duration(default) if default else "0"

        def chosen(hold: timedelta | datetime | None) -> None:
            if hold is None:
                return
            what = f"forcing {state}"
            if isinstance(hold, datetime):
                self._command(what, lambda: self.link.force(channel, powered, until=hold))
            else:
                self._command(what, lambda: self.link.force(channel, powered, duration=hold))

        self.push_screen(DurationPrompt(question, placeholder, self.now()), chosen)

    def action_release(self) -> None:
        channel = self._target()
        if channel is None:
            return
        self._command("releasing", lambda: self.link.release(channel))

    def action_release_all(self) -> None:
        def chosen(yes: bool | None) -> None:
            if yes:
                self._command("releasing all", lambda: self.link.release(None))
            else:
                self._say("nothing changed")

        self.push_screen(
            ConfirmScreen("Return EVERY relay to automatic (forced and latched ones too)?"),
            chosen,
        )

    def action_refresh(self) -> None:
        self._command("refreshing", self.link.refresh)

    def action_events_page(self, direction: int) -> None:
        events = self.query_one(EventPane)
        if direction < 0:
            events.scroll_page_up(animate=False)
        else:
            events.scroll_page_down(animate=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_text()))

    async def action_quit(self) -> None:
        await self._stop_service()
        self.exit(0)

    # -- help --------------------------------------------------------------------------------

    def key_table(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every binding of the app, with the keymap applied (asked
        while the main screen is up: a modal screen hides the app's bindings)."""
        keys: dict[str, list[str]] = {}
        for key, active in self.screen.active_bindings.items():
            if active.node is not self:
                continue
            binding = active.binding
            ident = binding.id or binding.action
            if ident.startswith("select_") and ident[7:].isdigit():
                ident = "select"
            keys.setdefault(ident, []).append(self.get_key_display(Binding(key, binding.action)))
        if keys.get("select") == DIGITS:
            keys["select"] = ["0-7"]
        table = [(" ".join(keys[ident]), HELP[ident]) for ident in HELP if ident in keys]
        table += [(" ".join(shown), ident) for ident, shown in keys.items() if ident not in HELP]
        return table

    def help_text(self) -> Text:
        out = Text("Keys\n", style="bold")
        table = self.key_table()
        width = max(len(keys) for keys, _ in table)
        for keys, what in table:
            out.append(f"  {keys:<{width}}  ", style="bold")
            out.append(f"{what}\n")
        duration = self.config.policy.override_duration
        default = format_duration(duration) if duration else "until released"
        out.append(f"  (default override duration: {default})\n\n")
        out.append("Words\n", style="bold")
        out.append("  ON / CUT       the appliance is powered / cut (not the relay coil)\n")
        out.append("  UNKNOWN        the board is detached: the real state is not known\n")
        out.append("  AUTO           the rules decide\n")
        out.append("  FORCED 14:30   an operator override until 14:30; 'held': until released\n")
        out.append("  LATCHED        cut after a shed, stays cut until released (a)\n")
        out.append("  Levels         ")
        for level in (0, 1, 2, 3, None):
            out.append(level_letter(level), style=level_style(level))
            word = LEVEL_WORDS[level].lower() if level is not None else "unknown"
            out.append(f" {word}  ")
        out.append("\n  ▶              the current hour in the timeline, the selected relay")
        return out


def binding_ids() -> list[str]:
    return [binding.id for binding in DelestageApp.BINDINGS if isinstance(binding, Binding)]


def keymap_problems(config: Config) -> list[str]:
    """One line per ``[ui] keys`` entry that names no binding of the app."""
    known = binding_ids()
    problems = []
    for binding in config.ui.keys:
        if binding not in known:
            close = difflib.get_close_matches(binding, known, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"known ids: {', '.join(known)}"
            problems.append(f"{config.path}: ui.keys.{binding}: no such binding id ({hint})")
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
    return app.return_code or 0
