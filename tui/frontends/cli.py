"""The `delestage` command line.

Each command's work is imported only when that command runs, so `delestage --help` stays quick
and the service never loads Textual.
"""

import argparse
import sys
from collections.abc import Callable, Sequence

from tui import __version__
from tui.core.errors import InputError, expected_got
from tui.core.i18n import _

TYPE_CHECKING = False  # the typing module costs about 4 ms of every `delestage --help`
if TYPE_CHECKING:
    from typing import Any, NoReturn

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


_NO_BREAK = "\u00a0"


def _no_break_before_punctuation(text: str) -> str:
    """French puts a space before ``:`` ``;`` ``?`` ``!``: never a line break there."""
    for mark in ":;?!":
        text = text.replace(f" {mark}", f"{_NO_BREAK}{mark}")
    return text


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped without leaving a French ``:`` alone at the start of a line
    (``par défaut`` / ``: [policy]``); the output keeps plain spaces."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        lines = super()._split_lines(_no_break_before_punctuation(text), width)
        return [line.replace(_NO_BREAK, " ") for line in lines]

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        filled = super()._fill_text(_no_break_before_punctuation(text), width, indent)
        return filled.replace(_NO_BREAK, " ")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: bad arguments get one line and exit status 2, in the
    language of the words (argparse's own through ``argparse_words``)."""

    def __init__(self, *args: "Any", **kwargs: "Any") -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> "NoReturn":
        line = _("{message} (see {prog} --help)").format(message=message, prog=self.prog)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {line}\n")


def _config_option(parser: argparse.ArgumentParser, top: bool = False) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None if top else argparse.SUPPRESS,
        help=_(
            "configuration file (default: $DELESTAGE_CONFIG, ./delestage.toml, "
            "~/.config/delestage/delestage.toml)"
        ),
    )
    parser.add_argument(
        "--lang",
        choices=("auto", "fr", "en"),
        default=None if top else argparse.SUPPRESS,
        help=_(
            "language of the words: fr, en or auto (default: [ui] language, else LANGUAGE, "
            "LC_ALL, LC_MESSAGES, LANG)"
        ),
    )


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        default="5",
        help=_(
            "give up on a service that does not answer within this many seconds "
            "(default: %(default)s)"
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="delestage",
        description=_("Ecowatt load-shedding controller for a Phidget 1017 relay board."),
        epilog=_("Run `delestage COMMAND --help` for a command's options."),
    )
    _config_option(parser, top=True)
    parser.add_argument(
        "--version",
        action="version",
        version=f"delestage {__version__}",
        help=_("show program's version number and exit"),  # argparse's words, as 3.13 marks them
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help=_("run the service without the UI, one log line per event on stdout"),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser(
        "check", help=_("validate the configuration and say what was checked")
    )
    _config_option(check)

    init = commands.add_parser("init", help=_("write a fresh configuration file"))
    init.add_argument(
        "path", nargs="?", default="delestage.toml", help=_("where to write (default: %(default)s)")
    )
    init.add_argument("--force", action="store_true", help=_("overwrite an existing file"))

    boards = commands.add_parser(
        "boards", help=_("list the attached Phidget relay boards (to find the serial for [board])")
    )
    boards.add_argument(
        "--supported",
        action="store_true",
        help=_("first list every supported model: relays, relay kind, rating, switching rate"),
    )

    test_relays = commands.add_parser(
        "test-relays",
        help=_(
            "commissioning: switch each relay of the real board in turn (commanded and "
            "confirmed by the board's library: no board senses its contacts, watch the "
            "appliance), and put it back (asks first; refused while the service runs)"
        ),
    )
    _config_option(test_relays)
    test_relays.add_argument(
        "--channels",
        metavar="LIST",
        help=_("comma-separated channel indexes or names (default: every configured channel)"),
    )
    test_relays.add_argument(
        "--hold",
        metavar="SECONDS",
        default="3",
        help=_("how long each relay stays switched, at most 600 (default: %(default)s)"),
    )
    test_relays.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    test_relays.add_argument(
        "--board", metavar="NAME", help=_("several boards: only the relays of this [[board]]")
    )

    status = commands.add_parser("status", help=_("show the running service's state"))
    _config_option(status)
    _timeout_option(status)
    status.add_argument("--json", action="store_true", help=_("print the JSON status contract"))

    force = commands.add_parser(
        "force", help=_("override a channel: force it powered (on) or cut (off)")
    )
    _config_option(force)
    _timeout_option(force)
    force.add_argument(
        "channel", metavar="CH", help=_("channel number (across boards, with several) or name")
    )
    force.add_argument(
        "state",
        metavar="STATE",
        help=_(
            "on = ON (powered), off = CUT; a pilot-wire channel also takes an order: "
            "confort, eco, hors-gel (arret only where allow_off = true); an SG-Ready "
            "channel: blocked, normal, boost (max only where allow_max = true)"
        ),
    )
    until = force.add_mutually_exclusive_group()
    until.add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        help=_(
            'how long ("90m", "2h", "1h30m", at least 1m, at most 366d; "0s" = until '
            "released); default: [policy] override_duration"
        ),
    )
    until.add_argument(
        "--until",
        metavar="TIME",
        help=_('until a time: "14:30" or "14h30" (Paris time) or ISO 8601, at most 366 days ahead'),
    )

    release = commands.add_parser("release", help=_("return a channel (or all) to automatic"))
    _config_option(release)
    _timeout_option(release)
    release.add_argument("channel", metavar="CH|all", help=_("channel index, name, or all"))

    plan = commands.add_parser(
        "plan", help=_("preview every relay change over the forecast horizon")
    )
    _config_option(plan)
    plan.add_argument(
        "--forecast",
        metavar="FILE",
        help=_("a signals body exactly as RTE returns it (default: the configured source)"),
    )
    plan.add_argument(
        "--tempo",
        metavar="FILE",
        help=_("a Tempo calendar body exactly as RTE returns it (default: the [tempo] source)"),
    )
    plan.add_argument(
        "--from",
        dest="start",
        metavar="ISO",
        help=_("start time, ISO 8601 (Paris time unless it has an offset; default: now)"),
    )
    plan.add_argument(
        "--hours", metavar="N", help=_("how many hours to plan (default: to the forecast's end)")
    )
    plan.add_argument("--json", action="store_true", help=_("print the JSON plan contract"))
    plan.add_argument(
        "--fresh",
        action="store_true",
        help=_(
            "ignore the live state (overrides, latches, relay states and switch times a "
            "service saved); by default a plan from now starts from it"
        ),
    )

    history = commands.add_parser(
        "history", help=_("what was shed, per Paris day and channel (from the history store)")
    )
    _config_option(history)
    history.add_argument(
        "--from",
        dest="start",
        metavar="DATE",
        help=_("first day, YYYY-MM-DD (default: 6 days ago)"),
    )
    history.add_argument(
        "--to", dest="end", metavar="DATE", help=_("last day, YYYY-MM-DD (default: today)")
    )
    shape = history.add_mutually_exclusive_group()
    shape.add_argument(
        "--csv", dest="output", action="store_const", const="csv", help=_("CSV for a spreadsheet")
    )
    shape.add_argument(
        "--json", dest="output", action="store_const", const="json", help=_("one JSON object")
    )
    return parser


def _run_check(args: argparse.Namespace) -> int:
    from tui.frontends.check import run_check

    return run_check(args.config, sys.stdout)


def _run_init(args: argparse.Namespace) -> int:
    from tui.frontends.init import run_init

    return run_init(args.path, args.force, sys.stdout)


def _run_boards(args: argparse.Namespace) -> int:
    from tui.frontends.boards_cmd import run_boards

    return run_boards(sys.stdout, sys.stderr, supported=args.supported)


def _run_test_relays(args: argparse.Namespace) -> int:
    from tui.core.durations import parse_seconds
    from tui.frontends.test_relays_cmd import run_test_relays

    try:
        hold = parse_seconds(args.hold, 0, 600)
    except ValueError as error:
        raise InputError(expected_got("--hold", str(error), repr(args.hold))) from None
    return run_test_relays(
        args.config, args.channels, args.yes, hold, sys.stdout, sys.stderr, on_board=args.board
    )


def _run_status(args: argparse.Namespace) -> int:
    from tui.frontends.control_cmds import parse_timeout, run_status

    timeout = parse_timeout(args.timeout)
    return run_status(args.config, args.json, sys.stdout, sys.stderr, timeout)


def _run_force(args: argparse.Namespace) -> int:
    from tui.frontends.control_cmds import parse_timeout, run_force

    timeout = parse_timeout(args.timeout)
    return run_force(
        args.config,
        args.channel,
        args.state,
        args.duration,
        args.until,
        sys.stdout,
        sys.stderr,
        timeout,
    )


def _run_release(args: argparse.Namespace) -> int:
    from tui.frontends.control_cmds import parse_timeout, run_release

    timeout = parse_timeout(args.timeout)
    return run_release(args.config, args.channel, sys.stdout, sys.stderr, timeout)


def _run_plan(args: argparse.Namespace) -> int:
    from tui.frontends.plan_cmd import run_plan

    return run_plan(
        args.config,
        args.forecast,
        args.start,
        args.hours,
        args.json,
        sys.stdout,
        tempo_path=args.tempo,
        fresh=args.fresh,
    )


def _run_history(args: argparse.Namespace) -> int:
    from tui.frontends.history_cmd import run_history

    return run_history(args.config, args.start, args.end, args.output or "text", sys.stdout)


def _run_default(args: argparse.Namespace) -> int:
    """No command: the service (--headless) or the UI."""
    from tui.frontends.startup import pause_collector, resume_collector

    if not args.headless:
        pause_collector()  # until the first screen is drawn (startup.py)
    try:
        return _run_service_or_ui(args)
    finally:
        resume_collector()


def _run_service_or_ui(args: argparse.Namespace) -> int:
    from tui.compose.files import AlreadyRunning, find_config
    from tui.compose.remote import ServiceUnavailable

    path = find_config(args.config)
    try:
        if args.headless:
            from tui.frontends.headless import run_headless

            return run_headless(path)
        from tui.frontends.launch import run_interactive

        return run_interactive(path)
    except (AlreadyRunning, ServiceUnavailable) as error:
        print(f"delestage: {error}", file=sys.stderr)
        return EXIT_FAILED


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": _run_check,
    "init": _run_init,
    "boards": _run_boards,
    "test-relays": _run_test_relays,
    "status": _run_status,
    "force": _run_force,
    "release": _run_release,
    "plan": _run_plan,
    "history": _run_history,
}


# Options whose value may start with "-" ("--for -5m"): argparse would take it for an option
# and say "expected one argument"; joined as "--for=-5m", the value gets its own clear message.
_VALUE_OPTIONS = ("--for", "--until", "--from", "--hours", "--timeout")


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    joined: list[str] = []
    items = list(argv)
    index = 0
    while index < len(items):
        item = items[index]
        following = items[index + 1] if index + 1 < len(items) else None
        if (
            item in _VALUE_OPTIONS
            and following is not None
            and following.startswith("-")
            and following[1:2].isdigit()
        ):
            joined.append(f"{item}={following}")
            index += 2
            continue
        joined.append(item)
        index += 1
    return joined


def _quiet_stdout() -> None:
    """The reader left (`delestage status | head -1`): send the rest nowhere, silently, so
    neither this command nor the interpreter's final flush raises on the closed pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _closed_stdout(command: str) -> None:
    """Started with standard output closed (``delestage plan >&-``, as some supervisors and
    cron set-ups do): the interpreter left ``sys.stdout`` None and every print would raise. The
    command still runs (a force still forces, its exit status still tells); what it would print
    goes to /dev/null, and stderr says so once."""
    import os

    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is not None:
        print(
            _("delestage {command}: standard output is closed: its output is dropped").format(
                command=command
            ),
            file=sys.stderr,
        )


def _early_language(arguments: Sequence[str]) -> None:
    """Before parsing: ``--lang`` as typed, else the environment (the configuration's
    ``[ui] language`` is read once the command line is known, by ``_choose_language``)."""
    from tui.compose.language import set_language

    setting = "auto"
    for position, item in enumerate(arguments):
        if item == "--lang" and position + 1 < len(arguments):
            setting = arguments[position + 1]
        elif item.startswith("--lang="):
            setting = item.removeprefix("--lang=")
    set_language(setting if setting in ("fr", "en") else "auto")


def _choose_language(args: argparse.Namespace) -> None:
    """``--lang``, else ``[ui] language`` of the configuration, else the environment."""
    from tui.compose.language import configured_setting, set_language

    setting = args.lang
    if setting is None:
        from tui.compose.files import find_config

        try:
            path = find_config(args.config)
        except InputError:
            path = None  # the command says so, in the language of the environment
        setting = configured_setting(path)
    set_language(setting)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if "--headless" in arguments:
        from tui.frontends.early_signals import install_early_signals

        install_early_signals()  # before anything slow: a signal now must not kill us
    from tui.frontends.argparse_words import install

    install()  # argparse's own words (usage:, options, invalid choice...) from our catalog
    _early_language(arguments)  # --help and argparse's own lines in the language asked
    parser = build_parser()
    args = parser.parse_args(_join_dash_values(arguments))
    if args.headless and args.command is not None:
        parser.error(_("--headless runs the service; it takes no command"))
    try:
        _choose_language(args)
        if sys.stdout is None and args.command is not None:
            _closed_stdout(args.command)
        return _COMMANDS.get(args.command, _run_default)(args)
    except InputError as error:
        try:
            for line in error.problems:
                print(line, file=sys.stderr)
        except OSError:
            pass
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
