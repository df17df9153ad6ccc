"""`delestage boards`, the board line of `delestage check`, and the serial `delestage init` fills.

Phidget22 itself stays in the adapter (tui.adapters.boards.phidget_lib loads it) and is loaded
only when one of these runs.
"""

import os
from dataclasses import replace
from typing import TextIO

from tui.compose.boards import (
    UDEV_HINT,
    BoardLibraryMissing,
    FoundBoard,
    PhidgetApi,
    Sighting,
    list_relay_boards,
    load_phidget22,
    probe_board,
)
from tui.core.config import BoardConfig, BoardKind, ChannelConfig, Config
from tui.core.devices import DEFAULT_MODEL, DEVICES, MODELS, direct_load_problem
from tui.core.durations import format_duration
from tui.core.i18n import N_, _, number_text
from tui.core.policy import RATE_LIMIT

# Long enough for the library's first USB scan to report what is plugged in.
SEARCH_SECONDS = 1.5
INIT_SEARCH_SECONDS = 1.0


def _where(board: FoundBoard) -> str:
    return (
        "USB" if board.hub_port is None else _("VINT hub port {port}").format(port=board.hub_port)
    )


def _wanted(board: BoardConfig) -> str:
    """``wanted_words`` in the language in use: "a Phidget 1017"."""
    if board.model is not None:
        return _("a Phidget {model}").format(model=MODELS[board.model].model)
    if board.serial is not None:
        return _("a Phidget relay board of delestage's table")
    return _("a Phidget {model}").format(model=DEFAULT_MODEL)


def _normal_user() -> bool:
    return os.geteuid() != 0 if hasattr(os, "geteuid") else False


def _nothing_found(sighting: Sighting) -> str:
    if sighting.other_devices:
        return _("no 1017 attached ({count} other Phidget device(s) seen)").format(
            count=sighting.other_devices
        )
    text = _("no Phidget attached at all")
    return f"{text}; {_(UDEV_HINT)}" if _normal_user() else text


# What a newcomer checks when nothing at all is seen (`delestage boards`).
NOTHING_SEEN_STEPS = (
    N_("what to check:"),
    N_(
        "  - `lsusb` lists the board (Phidgets Inc., vendor 06c2)? If not: the cable, another "
        "USB port, a powered hub;"
    ),
    N_("  - as a normal user: Phidgets' udev rule is installed, and the board replugged since;"),
    N_("  - the board section of docs/troubleshooting.md."),
)


def supported_lines() -> list[str]:
    """The device table: every model delestage drives, its relays, kind, rating and rate."""
    rows = [
        (_("model"), _("relays"), _("relay kind"), _("rated per contact"), _("rate"), _("failsafe"))
    ]
    for device in DEVICES:
        rate = f"{device.max_per_minute}/min" if device.max_per_minute else _("no limit")
        rows.append(
            (
                device.model,
                str(device.relays),
                _(device.relay_kind.value),
                device.rating.words() + ("" if device.checked else _(" (unchecked)")),
                rate,
                _(device.failsafe),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [_("supported boards (docs/wiring.md):")]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  " + "  ".join(cells).rstrip())
    lines.append(
        _(
            "  delestage switches a relay at most {limit} times a minute on every model "
            "(the mechanical boards' rated rate); drive contactors, not heaters, from these relays"
        ).format(limit=RATE_LIMIT)
    )
    return lines


def run_boards(
    out: TextIO,
    err: TextIO,
    wait: float = SEARCH_SECONDS,
    api: PhidgetApi | None = None,
    supported: bool = False,
) -> int:
    """List the attached relay boards; exit status 1 when there is none.

    ``supported``: print the device table first (`delestage boards --supported`).
    """
    if supported:
        print("\n".join(supported_lines()), file=out)
    api = api or load_phidget22()  # a missing library is its one line, without "searching"
    print(
        _("searching for Phidget relay boards ({seconds} s)…").format(
            seconds=number_text(f"{wait:g}")
        ),
        file=err,
    )
    sighting = list_relay_boards(wait, api)
    if not sighting.boards:
        print(
            _("no Phidget relay board attached: {why}").format(why=_nothing_found(sighting)),
            file=out,
        )
        if not sighting.other_devices:
            print("\n".join(_(step) for step in NOTHING_SEEN_STEPS), file=out)
        return 1
    rows = [(_("serial"), _("model"), _("board"), _("revision"), _("relays"), _("connection"))]
    rows += [
        (
            str(board.serial),
            board.model,
            board.name,
            board.revision,
            str(board.relays),
            _where(board),
        )
        for board in sighting.boards
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip(), file=out)
    example = sighting.boards[0]
    print(
        _(
            'set it in delestage.toml: [board] serial = {serial}, model = "{model}" '
            "(`delestage init` does it when exactly one board is attached; several boards: "
            "[[board]] entries, docs/configuration.md)"
        ).format(serial=example.serial, model=example.model),
        file=out,
    )
    return 0


def rating_notes(config: Config) -> list[str]:
    """Channels whose configured ``power`` is more than their board's relay switches directly
    (the model's published rating, docs/wiring.md): warnings, since a contactor may be there."""
    models = {board.name: MODELS[board.model or DEFAULT_MODEL] for board in config.all_boards}
    grouped: dict[str, list[str]] = {}
    for channel in config.channels:
        if channel.power is None:
            continue
        problem = direct_load_problem(models[channel.board], channel.power.watts)
        if problem is not None:
            grouped.setdefault(problem, []).append(
                f"{channel.name} ({number_text(f'{channel.power.watts / 1000:g}')} kW)"
            )
    return [
        _("{channels}: {problem}").format(channels=", ".join(names), problem=problem)
        for problem, names in grouped.items()
    ]


def check_board_line(config: Config, api: PhidgetApi | None = None) -> tuple[bool, str]:
    """Whether the configured board answers within attach_timeout, and a line saying so.

    Several boards: each one probed for its own relays, one clause each ("board garage: ...").
    """
    if not config.boards:
        return _check_one(config, api)
    results = []
    for board in config.boards:
        relays = tuple(
            _on_its_board(channel) for channel in config.channels if channel.board == board.name
        )
        if relays:
            one = replace(config, board=board, boards=(), channels=relays)
            ok, line = _check_one(one, api)
            results.append((ok, _("board {name}: {line}").format(name=board.name, line=line)))
    return all(ok for ok, _line in results), "; ".join(line for _ok, line in results)


def _on_its_board(channel: ChannelConfig) -> ChannelConfig:
    """A channel of several boards as one board's: its relays numbered on its board."""
    pilot = channel.pilot
    if pilot is not None:
        on_board = channel.relays_on_board
        pilot = replace(pilot, relays=(on_board[pilot.positive], on_board[pilot.negative]))
    return replace(channel, index=channel.relay_on_board, relay=None, board="", pilot=pilot)


def _check_one(config: Config, api: PhidgetApi | None) -> tuple[bool, str]:
    board = config.board
    if board.kind is BoardKind.SIMULATED:
        return True, _("simulated board: nothing to find (relays are recorded, not switched)")
    model = board.model or "1017"
    wanted = f"Phidget {model}" + (
        _(" serial {serial}").format(serial=board.serial) if board.serial else _(" (any serial)")
    )
    if board.hub_port is not None:
        wanted += _(" on VINT hub port {port}").format(port=board.hub_port)
    timeout = format_duration(board.attach_timeout)
    try:
        opened = [relay for channel in config.channels for relay in channel.relays]
        probe = probe_board(board, opened, api)
    except BoardLibraryMissing as error:
        return False, error.problems[0]
    if probe.busy:
        return False, _(
            "{wanted} is attached but busy: another process holds it (is the service running? "
            "`delestage status` tells)"
        ).format(wanted=wanted)
    if probe.foreign:
        text = (
            _(
                "the relay channels attached to {found}, which is not {wanted}: set board.serial "
                "to the 1017's (`delestage boards` lists it)"
            )
            if board.model is None
            else _(
                "the relay channels attached to {found}, which is not {wanted}: set board.serial "
                "to the board's (`delestage boards` lists it)"
            )
        )
        return False, text.format(found=probe.foreign, wanted=_wanted(board))
    if probe.found:
        if probe.failsafe:
            failsafe = _("hardware failsafe available")
            if not board.failsafe:
                failsafe += _(' (off: board.failsafe = "0s")')
        else:
            failsafe = _("no hardware failsafe")
            if board.failsafe:
                failsafe += _(" (board.failsafe has no effect on this revision)")
        relays = ", ".join(str(index) for index in probe.attached)
        if probe.bounced:
            tripped = ", ".join(str(index) for index in probe.bounced)
            failsafe += _(
                "; relay(s) {tripped} attached then detached at once: a failsafe tripped "
                "before (no keepalive since a previous process stopped); the service reopens "
                "them without persistence at start, which clears it and releases them"
            ).format(tripped=tripped)
        return True, _(
            "Phidget {revision} serial {serial} found; relays {relays} answered; {failsafe}"
        ).format(
            revision=probe.revision or model,
            serial=probe.serial,
            relays=relays,
            failsafe=failsafe,
        )
    if probe.attached:
        missing = ", ".join(str(index) for index in probe.missing)
        return False, _(
            "{wanted} found, but relays {missing} did not answer within {timeout}"
        ).format(wanted=wanted, missing=missing, timeout=timeout)
    return False, _("{wanted} not found within {timeout}: {why}").format(
        wanted=wanted, timeout=timeout, why=_explain_miss(config, probe.sighting)
    )


def _explain_miss(config: Config, sighting: Sighting) -> str:
    if not sighting.boards:
        return _nothing_found(sighting)
    serial, hub_port = config.board.serial, config.board.hub_port
    seen = "; ".join(
        _("serial {serial} ({where})").format(serial=board.serial, where=_where(board))
        for board in sighting.boards
    )
    matching = [board for board in sighting.boards if serial in (None, board.serial)]
    if not matching:
        return _("attached instead: {seen}; fix board.serial (see `delestage boards`)").format(
            seen=seen
        )
    if hub_port is not None and all(board.hub_port != hub_port for board in matching):
        return _(
            "attached: {seen}, not on hub port {port}; fix board.hub_port, or remove it "
            "for a 1017 on USB"
        ).format(seen=seen, port=hub_port)
    return _("attached: {seen}, but its relays did not open (another process may hold it)").format(
        seen=seen
    )


def find_single_serial(
    out: TextIO, wait: float = INIT_SEARCH_SECONDS, api: PhidgetApi | None = None
) -> int | None:
    """The serial of the one attached relay board, saying what was found; None otherwise."""
    board = find_single_board(out, wait, api)
    return board.serial if board is not None else None


def find_single_board(
    out: TextIO, wait: float = INIT_SEARCH_SECONDS, api: PhidgetApi | None = None
) -> FoundBoard | None:
    """The one attached relay board (its serial and model), saying what was found; None when
    there are none or several."""
    boards = find_boards(out, wait, api)
    return boards[0] if len(boards) == 1 else None


def find_boards(
    out: TextIO, wait: float = INIT_SEARCH_SECONDS, api: PhidgetApi | None = None
) -> list[FoundBoard]:
    """Every attached relay board (serial, model, hub port), for `init`, saying what was found:
    one gets a single [board], several one [[board]] each."""
    try:
        boards = list(list_relay_boards(wait, api).boards)
    except BoardLibraryMissing as error:
        print(_("board serial left out: {why}").format(why=error.problems[0]), file=out)
        return []
    if len(boards) == 1:
        board = boards[0]
        print(
            _("found Phidget {revision} serial {serial}: board.serial and board.model set").format(
                revision=board.revision, serial=board.serial
            ),
            file=out,
        )
    elif not boards:
        print(
            _(
                "no Phidget relay board attached: board.serial left out (any 1017 will match; "
                "`delestage boards` lists them)"
            ),
            file=out,
        )
    else:
        found = ", ".join(
            _("Phidget {revision} serial {serial}").format(
                revision=board.revision, serial=board.serial
            )
            for board in boards
        )
        print(
            _(
                "{count} relay boards attached ({found}): one [[board]] each, with its name, "
                "model and serial, and one [[channel]] per relay"
            ).format(count=len(boards), found=found),
            file=out,
        )
    return boards
