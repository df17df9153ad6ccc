"""Where delestage keeps its state: overrides, switch history, forecast cache, events, socket.

And how it opens files there: the service often runs as root or as a service user, and a
state directory that someone else may write is one where a symbolic link can point a write at
``/etc/passwd``. So every file the service opens there is opened without following a link
(``open_state_file``), and a directory writable by group or others, or owned by another user,
is refused (``state_dir_safety``), at start and by `delestage check`.
"""

import grp
import os
import pwd
import stat
from collections.abc import Mapping
from pathlib import Path

from tui.adapters.config_file import config_relative
from tui.adapters.safe_open import open_state_file
from tui.core.config import Config

__all__ = ["open_state_file", "resolve_state_dir", "state_dir_safety"]


def resolve_state_dir(config: Config, environ: Mapping[str, str] | None = None) -> Path:
    """``[service] state_dir``, else $XDG_STATE_HOME/delestage, else ~/.local/state/delestage.

    A relative ``state_dir`` is relative to the configuration file's folder (``core.paths``)."""
    env = os.environ if environ is None else environ
    if config.service.state_dir:
        return config_relative(config, config.service.state_dir, env)
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "delestage"


def _user(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def state_dir_safety(directory: Path, socket_group: str | None = None) -> list[str]:
    """Why this existing directory is unsafe to hold the service's state (empty when it is
    safe, or does not exist yet): a symbolic link, owned by another user than this process's,
    writable by others, or by its group (allowed only for the ``socket_group`` setup, where the
    group is that group: its members are the service's operators)."""
    try:
        info = os.lstat(directory)
    except OSError:
        return []
    if stat.S_ISLNK(info.st_mode):
        return [
            f"{directory}: state directory is a symbolic link; set [service] state_dir to the "
            "real directory"
        ]
    if not stat.S_ISDIR(info.st_mode):
        return []  # said elsewhere ("is a file, not a directory")
    problems = []
    me = os.geteuid()
    if info.st_uid != me:
        problems.append(
            f"{directory}: state directory belongs to {_user(info.st_uid)}, not to this "
            f"service's user {_user(me)}; run `chown {_user_name(me)} {directory}` or run as "
            "its owner"
        )
    mode = stat.S_IMODE(info.st_mode)
    shared = False
    if socket_group:
        with_group = _group_id(socket_group)
        shared = with_group is not None and info.st_gid == with_group
    if mode & 0o002 or (mode & 0o020 and not shared):
        who = "others" if mode & 0o002 else "its group"
        fix = "chmod 700" if not socket_group else "chmod 750"
        problems.append(
            f"{directory}: state directory is writable by {who} (mode {mode:04o}); run "
            f"`{fix} {directory}` (a group may write it only with [service] socket_group "
            "set to that group)"
        )
    return problems


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_id(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None
