"""Paths in the configuration: one rule for every key, relative to the configuration file.

Every path-valued key (``PATH_KEYS``) is resolved the same way:

- ``~`` and ``~/...`` start at the home directory (given, never looked up here);
- an absolute path is kept as written;
- anything else is relative to the folder holding the configuration file, not to the current
  directory: ``state_dir = "state"`` in ``/etc/delestage/delestage.toml`` is
  ``/etc/delestage/state`` whichever directory the service is started from.

``~user/...`` (another user's home) is not expanded: it would need the password database, and
is relative to the configuration's folder like any other relative path.

The configuration loader (``adapters.config_file.load_config``) applies ``resolve_config_paths``
with the file's absolute folder, so a loaded ``Config`` holds absolute paths; the adapters that
open these files apply ``resolve_path`` again, which leaves an absolute path as it is and gives a
``Config`` built in code (tests) the same rule. Pure string operations: no file system, no
environment, no current directory.
"""

import posixpath
from dataclasses import replace
from typing import Any

from tui.core.config import Config

# (section, key) of every path-valued key of the configuration.
PATH_KEYS: tuple[tuple[str, str], ...] = (
    ("service", "state_dir"),
    ("ecowatt", "file"),
    ("ecowatt", "credentials_file"),
    ("tempo", "file"),
    ("mqtt", "password_file"),
    ("mqtt", "ca_file"),
    ("meter", "file"),
)


def expand_home(value: str, home: str | None) -> str:
    """``~`` and ``~/...`` under ``home``; anything else (and everything when ``home`` is None)
    as written."""
    if home is None or not value.startswith("~"):
        return value
    if value == "~":
        return home
    if value.startswith("~/"):
        return posixpath.join(home, value[2:])
    return value  # ~user: not expanded


def resolve_path(value: str, folder: str, home: str | None) -> str:
    """``value`` as the rule in the module docstring has it; ``folder`` is the configuration
    file's folder ("" or "." for the current directory)."""
    expanded = expand_home(value, home)
    if posixpath.isabs(expanded) or not folder:
        return expanded
    return posixpath.join(folder, expanded)


def config_folder(config_path: str) -> str:
    """The folder holding the configuration file ("" when it was named without one)."""
    return posixpath.dirname(config_path)


def resolve_config_paths(config: Config, home: str | None, folder: str | None = None) -> Config:
    """``config`` with every key of ``PATH_KEYS`` resolved; ``folder`` defaults to the folder
    of ``config.path`` (pass the absolute one: the result then holds absolute paths)."""
    base = config_folder(config.path) if folder is None else folder
    changed: dict[str, Any] = {}
    for section_name in dict.fromkeys(section for section, _ in PATH_KEYS):
        section = getattr(config, section_name)
        if section is None:  # [tempo], [mqtt], [meter]: off
            continue
        values: dict[str, Any] = {}
        for owner, key in PATH_KEYS:
            value = getattr(section, key) if owner == section_name else None
            if value:
                values[key] = resolve_path(value, base, home)
        if values:
            changed[section_name] = replace(section, **values)
    return replace(config, **changed) if changed else config
