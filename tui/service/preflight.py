"""What the service would refuse at start, checked without starting it (for `delestage check`).

The service itself meets each of these at start (``prepare_state_dir``, the control socket's
``socket_problems``); this module asks the same questions up front, so that `check` never says
ok for a configuration the service then refuses.
"""

import os
from collections.abc import Mapping
from pathlib import Path

from tui.adapters.state_dir import resolve_state_dir, state_dir_safety
from tui.core.config import Config
from tui.core.i18n import _
from tui.service.control_socket import socket_path, socket_problems


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def state_dir_problems(directory: Path, socket_group: str | None = None) -> list[str]:
    """Why ``directory`` cannot serve as a state directory (empty when it can), unsafe ones
    included (``state_dir_safety``: a link, another owner, writable by group or others)."""
    try:
        os.fsencode(directory).index(b"\0")
    except ValueError:
        pass
    else:
        return [f"{str(directory)!r}: state directory name contains NUL"]
    try:
        if directory.exists() and not directory.is_dir():
            return [f"{directory}: state directory is a file, not a directory"]
        existing = _nearest_existing(directory)
        if not existing.is_dir():
            return [f"{directory}: cannot be created: {existing} is a file"]
        if not os.access(existing, os.W_OK | os.X_OK):
            what = "state directory" if existing == directory else f"its parent {existing}"
            return [f"{directory}: {what} is not writable by this user"]
    except OSError as error:
        return [f"{directory}: cannot use this path ({error.strerror or error})"]
    return state_dir_safety(directory, socket_group)


def service_problems(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    directory = resolve_state_dir(config, environ)
    group = config.service.socket_group
    return state_dir_problems(directory, group) + socket_problems(
        socket_path(directory), config.service.socket_group
    )


def service_check_line(config: Config) -> tuple[bool, str]:
    """``(ok, words)`` for the `service` line of `delestage check`."""
    directory = resolve_state_dir(config)
    problems = service_problems(config)
    if problems:
        return False, "; ".join(problems)
    group = config.service.socket_group
    shared = _(", socket shared with group {group}").format(group=group) if group else ""
    words = _("state directory {directory}, control socket {socket}")
    return True, words.format(directory=directory, socket=socket_path(directory)) + shared
