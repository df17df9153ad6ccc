"""argparse's own words (``usage:``, ``options``, ``invalid choice``...) in the operator's
language, from the project's catalog (docs/francais.md).

argparse translates every word it writes through the module-level ``_`` and ``ngettext`` it
imported from gettext (the global ``messages`` domain, looked up in the system's locale
directories, where nothing ships French for it). ``install`` points those two names at
``tui.core.i18n``, so argparse reads the catalog ``--lang`` / ``[ui] language`` / the
environment chose, the one shipped in the package. English stays argparse's own text: the
English catalog has no entry for these, and a lookup without one returns the msgid.

``WORDS`` and ``_plurals`` hold argparse's msgids, as Python 3.11 to 3.13 write them, for
``tools/i18n.py`` to extract; tests/test_french.py checks that every msgid of the running
Python's argparse is among them.
"""

import argparse

from tui.core import i18n
from tui.core.i18n import N_, ngettext

WORDS = (
    # what a user reads: the help and the errors
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("subcommands"),
    N_("%(heading)s:"),
    N_(" (default: %(default)s)"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("%(prog)s: warning: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("argument '%(argument_name)s' is deprecated"),
    N_("command '%(parser_name)s' is deprecated"),
    N_("option '%(option)s' is deprecated"),
    # what only a programmer building a parser reads
    N_("%r is not callable"),
    N_("'required' is an invalid argument for positionals"),
    N_(".__call__() not defined"),
    N_('argument "-" with mode %r'),
    N_("cannot have multiple subparser arguments"),
    N_("cannot merge actions - two groups are named %r"),
    N_("conflicting subparser alias: %s"),
    N_("conflicting subparser: %s"),
    N_("dest= is required for options like %r"),
    N_("invalid conflict_resolution value: %r"),
    N_("invalid option string %(option)r: must start with a character %(prefix_chars)r"),
    N_("mutually exclusive arguments must be optional"),
    N_("unexpected option string: %s"),
)


def _plurals(count: int) -> tuple[str, ...]:
    """argparse's plural msgids, for the extraction (argparse itself asks for them)."""
    return (
        ngettext("expected %s argument", "expected %s arguments", count),
        ngettext("conflicting option string: %s", "conflicting option strings: %s", count),
    )


PLURALS = (
    ("expected %s argument", "expected %s arguments"),
    ("conflicting option string: %s", "conflicting option strings: %s"),
)


def install() -> None:
    """argparse's ``_`` and ``ngettext`` read the project's catalog from now on (in this
    process: only delestage's own parser runs in it)."""
    vars(argparse)["_"] = i18n._
    vars(argparse)["ngettext"] = i18n.ngettext
