"""`delestage test-relays`: commissioning, one relay at a time, on the real board.

For the installer: each chosen relay is switched to the other state, held so that the
appliance can be watched, and put back where it was. Each command is "commanded and confirmed
by the board's library": Phidget22's getState is the library's memory of the last command it
got through, and no Phidget relay board senses its contacts, so the appliance is what to watch.
It refuses while a service owns the board (it takes the service's lock for the whole test, so
none can start meanwhile), asks for confirmation first, and keeps within the relay's 20
switches a minute, counting what the service did before it (the saved switch history) and
recording what it did for the service.
"""

import threading
from collections.abc import Callable
from typing import TextIO

from tui.adapters.boards.base import BoardEvent, BoardEventKind, RelayBoard
from tui.adapters.clock import Clock, SystemClock
from tui.compose.boards import make_board
from tui.compose.files import (
    AlreadyRunning,
    ServiceLock,
    StateStore,
    find_config,
    load_config,
    resolve_state_dir,
)
from tui.core.config import ChannelConfig, Config
from tui.core.errors import InputError
from tui.core.forecast import clock_time
from tui.core.i18n import N_, _, number_text
from tui.core.policy import Override, RelayHistory, count_movement, next_switch_allowed
from tui.core.wiring import appliance_powered
from tui.frontends import pilot_walk
from tui.frontends.control_cmds import resolve_channel

Pause = Callable[[float], object]

# The answers that switch ("o"/"oui" as well in French).
YES = ("y", "yes", "o", "oui")
CANNOT_SAVE = N_("cannot save the switch history ({error}): continuing")
WAITING = N_("    relay {relay}: waiting {seconds} s (until {until}): 20 switches a minute at most")


def verdict(ok: bool) -> str:
    """``ok`` or ``MISMATCH``: whether the board's library confirms the command."""
    return _("ok") if ok else _("MISMATCH")


def _seconds(value: float) -> str:
    """``1.5`` / ``1,5``: seconds as the user typed them."""
    return number_text(f"{value:g}")


def parse_channels(config: Config, text: str | None) -> list[ChannelConfig]:
    """``"0,3,Sauna"`` → those channels, in that order; None → every configured channel."""
    if text is None:
        return list(config.channels)
    chosen: list[ChannelConfig] = []
    for part in (item.strip() for item in text.split(",")):
        if not part:
            raise InputError(
                "--channels: "
                + _("expected channel indexes or names, got {text}").format(text=repr(text))
            )
        channel = config.channel(resolve_channel(config, part))
        if channel not in chosen:
            chosen.append(channel)
    return chosen


def on_board_only(
    config: Config, chosen: list[ChannelConfig], name: str | None
) -> list[ChannelConfig]:
    """``--board NAME``: only the chosen channels on that board (several boards)."""
    if name is None:
        return chosen
    names = [board.name for board in config.boards]
    if name not in names:
        known = ", ".join(names) if names else _("none: this configuration has one [board]")
        raise InputError(
            "--board: "
            + _("expected the name of a [[board]] ({known}), got {name}").format(
                known=known, name=repr(name)
            )
        )
    return [channel for channel in chosen if channel.board == name]


def _relay(energised: bool | None) -> str:
    if energised is None:
        return _("unknown")
    return _("energised") if energised else _("released")


def _appliance(channel: ChannelConfig, energised: bool) -> str:
    return _("POWERED") if appliance_powered(channel.wiring, energised) else _("CUT")


class _Attach:
    """Board events, as they come from the library's threads."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.attached = False
        self.busy = ""
        self.errors: list[str] = []

    def __call__(self, event: BoardEvent) -> None:
        with self.changed:
            if event.kind is BoardEventKind.ATTACHED:
                self.attached = True
            elif event.kind is BoardEventKind.ERROR:
                if event.message.startswith("board busy"):
                    self.busy = event.message
                self.errors.append(event.message)
            self.changed.notify_all()


def run_test_relays(
    config_path: str | None,
    channels_text: str | None,
    assume_yes: bool,
    hold: float,
    out: TextIO,
    err: TextIO,
    answer: Callable[[str], str] = input,
    *,
    board: RelayBoard | None = None,
    clock: Clock | None = None,
    sleep: Pause | None = None,
    on_board: str | None = None,
) -> int:
    config = load_config(find_config(config_path))
    chosen = on_board_only(config, parse_channels(config, channels_text), on_board)
    if hold < 0:
        raise InputError(
            "--hold: "
            + _("expected a number of seconds ≥ 0, got {hold}").format(hold=_seconds(hold))
        )
    clock = clock or SystemClock()
    pause = sleep or threading.Event().wait
    state_dir = resolve_state_dir(config)
    lock = ServiceLock(state_dir, config.service.socket_group)
    try:
        lock.acquire()
    except AlreadyRunning as error:
        print(
            "test-relays: "
            + _(
                "refused: {error}. The service owns the board; stop it first "
                "(e.g. sudo systemctl stop delestage), then run the test again"
            ).format(error=error),
            file=err,
        )
        return 1
    try:
        board = board or make_board(config, clock)
        return _commission(config, chosen, board, assume_yes, hold, out, err, answer, clock, pause)
    finally:
        lock.release()


def _commission(
    config: Config,
    chosen: list[ChannelConfig],
    board: RelayBoard,
    assume_yes: bool,
    hold: float,
    out: TextIO,
    err: TextIO,
    answer: Callable[[str], str],
    clock: Clock,
    pause: Pause,
) -> int:
    events = _Attach()
    timeout = config.board.attach_timeout.total_seconds()
    print(
        _("opening the {kind} board (up to {seconds} s)…").format(
            kind=board.kind, seconds=_seconds(timeout)
        ),
        file=err,
    )
    board.open(events)
    try:
        with events.changed:
            events.changed.wait_for(lambda: events.attached or bool(events.busy), timeout)
        if events.busy:
            print(f"test-relays: {events.busy}", file=err)
            return 1
        if not board.attached:
            print(
                "test-relays: "
                + _(
                    "the board did not attach within {seconds} s "
                    "(`delestage check` and `delestage boards` say why)"
                ).format(seconds=_seconds(timeout)),
                file=err,
            )
            return 1
        info = board.info()
        name = " ".join(str(part) for part in (info.kind, info.revision, info.serial) if part)
        print(_("board: {name}").format(name=name), file=out)
        if info.kind == "simulated":
            print(_("(simulated board: nothing real switches)"), file=out)
        print(
            _(
                'each relay below is switched, held, and put back; "confirmed" means commanded '
                "and confirmed by the board's library (no relay board senses its contacts: watch "
                "the appliance):"
            ),
            file=out,
        )
        for channel in chosen:
            if channel.pilot is not None:
                print(pilot_walk.describe(channel, board, hold), file=out)
                continue
            before = board.relay(channel.index)
            target = not before
            print(
                _(
                    "  relay {index} {name} (wiring {wiring}): now {before}; {target} for "
                    "{seconds} s: the appliance should be {appliance}, then back"
                ).format(
                    index=channel.index,
                    name=channel.name,
                    wiring=channel.wiring.value,
                    before=_relay(before),
                    target=_relay(target),
                    seconds=_seconds(hold),
                    appliance=_appliance(channel, target),
                ),
                file=out,
            )
        if not assume_yes:
            try:
                reply = answer(_("switch these relays now? [y/N] "))
            except EOFError:
                reply = ""
            if reply.strip().lower() not in YES:
                print(_("nothing switched"), file=out)
                return 1
        store = StateStore(resolve_state_dir(config))
        overrides, history, _problem = store.load()
        failures = 0
        for channel in chosen:
            if channel.pilot is not None:
                failures += not pilot_walk.walk(channel, board, history, hold, out, clock, pause)
                history = {i: h for i, h in history.items() if i in _channel_indexes(config)}
                _save(store, overrides, history, err)
                continue
            item = history.get(channel.index, RelayHistory())
            ok, item = _click(channel, board, item, hold, out, clock, pause)
            history[channel.index] = item
            failures += not ok
            try:
                # The service counts these switches too; the file keeps the appliances it names.
                store.save(overrides, history, store.owners)
            except OSError as error:
                print(_(CANNOT_SAVE).format(error=error), file=err)
        total = len(chosen)
        if failures:
            print(
                _(
                    "{failures} of {total} relay(s) not confirmed by the board's library as "
                    "commanded"
                ).format(failures=failures, total=total),
                file=out,
            )
            return 1
        print(
            _(
                "{total} relay(s) switched and put back, commanded and confirmed by the board's "
                "library"
            ).format(total=total),
            file=out,
        )
        return 0
    finally:
        board.close(config.board.on_exit)


def _channel_indexes(config: Config) -> set[int]:
    return {channel.index for channel in config.channels}


def _save(
    store: StateStore,
    overrides: dict[int, Override],
    history: dict[int, RelayHistory],
    err: TextIO,
) -> None:
    try:
        store.save(overrides, history, store.owners)
    except OSError as error:
        print(_(CANNOT_SAVE).format(error=error), file=err)


def _wait_for_rate(
    item: RelayHistory, channel: ChannelConfig, clock: Clock, out: TextIO, pause: Pause
) -> None:
    allowed = next_switch_allowed(item, clock.now())
    if allowed is None:
        return
    seconds = (allowed - clock.now()).total_seconds()
    print(
        _(WAITING).format(relay=channel.index, seconds=f"{seconds:.0f}", until=clock_time(allowed)),
        file=out,
    )
    pause(seconds)


def _switch(
    channel: ChannelConfig,
    board: RelayBoard,
    item: RelayHistory,
    energised: bool,
    clock: Clock,
    out: TextIO,
    pause: Pause,
) -> tuple[bool, RelayHistory]:
    _wait_for_rate(item, channel, clock, out, pause)
    now = clock.now()
    board.set_relay(channel.index, energised)
    item = count_movement(item, now)
    read = board.relay(channel.index)
    return read == energised, item


def _click(
    channel: ChannelConfig,
    board: RelayBoard,
    item: RelayHistory,
    hold: float,
    out: TextIO,
    clock: Clock,
    pause: Pause,
) -> tuple[bool, RelayHistory]:
    before = board.relay(channel.index)
    target = not before
    ok, item = _switch(channel, board, item, target, clock, out, pause)
    read = board.relay(channel.index)
    print(
        _(
            "  relay {index} {name}: {target}, board's library confirms {read} ({verdict}): "
            "the appliance should be {appliance}"
        ).format(
            index=channel.index,
            name=channel.name,
            target=_relay(target),
            read=_relay(read),
            verdict=verdict(ok),
            appliance=_appliance(channel, target),
        ),
        file=out,
    )
    pause(hold)
    restore = bool(before)  # unknown before: released, as a close would leave it
    back, item = _switch(channel, board, item, restore, clock, out, pause)
    read = board.relay(channel.index)
    print(
        _(
            "  relay {index} {name}: back to {restore}, board's library confirms {read} ({verdict})"
        ).format(
            index=channel.index,
            name=channel.name,
            restore=_relay(restore),
            read=_relay(read),
            verdict=verdict(back),
        ),
        file=out,
    )
    return ok and back, item
