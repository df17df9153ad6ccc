"""The `delestage` command line.

Each command's work is imported only when that command runs, so `delestage --help` stays quick
and the service never loads Textual.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from tui import __version__
from tui.core.errors import InputError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: bad arguments get one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _config_option(parser: argparse.ArgumentParser, top: bool = False) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None if top else argparse.SUPPRESS,
        help="configuration file (default: $DELESTAGE_CONFIG, ./delestage.toml, "
        "~/.config/delestage/delestage.toml)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="delestage",
        description="Ecowatt load-shedding controller for a Phidget 1017 relay board.",
        epilog="Run `delestage COMMAND --help` for a command's options.",
    )
    _config_option(parser, top=True)
    parser.add_argument("--version", action="version", version=f"delestage {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="validate the configuration and say what was checked")
    _config_option(check)

    init = commands.add_parser("init", help="write a fresh configuration file")
    init.add_argument(
        "path", nargs="?", default="delestage.toml", help="where to write (default: %(default)s)"
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


def _run_check(args: argparse.Namespace) -> int:
    from tui.frontends.check import run_check

    return run_check(args.config, sys.stdout)


def _run_init(args: argparse.Namespace) -> int:
    from tui.frontends.init import run_init

    return run_init(args.path, args.force, sys.stdout)


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": _run_check,
    "init": _run_init,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        return _COMMANDS[args.command](args)
    except InputError as error:
        for line in error.problems:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
