"""The one way a file of the state directory is opened: never through a symbolic link.

Its own module (imported by ``state_dir`` and ``user_files``) so that every reader of the
state directory, whatever it imports, goes through it.
"""

import errno
import os

from tui.core.i18n import _

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_state_file(path: str | os.PathLike[str], flags: int, mode: int = 0o600) -> int:
    """``os.open`` for a file in the state directory, never through a symbolic link: a link
    there fails with ELOOP and words saying so."""
    try:
        return os.open(path, flags | NO_FOLLOW, mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OSError(
                errno.ELOOP,
                _("a symbolic link, never followed in the state directory: remove it"),
                str(path),
            ) from None
        raise
