"""Reading files: regular files only, bounded in size; a file the user named fails in one line.

A device (``/dev/zero``), a FIFO or a directory where a file belongs is refused at once instead
of read until memory runs out or waited on forever; so is a file larger than its kind can be.
"""

import os
import stat

from tui.adapters.safe_open import open_state_file
from tui.core.errors import InputError
from tui.core.i18n import _

# Configuration files and forecast bodies are a few kB; 4 MB leaves room and bounds memory.
MAX_USER_FILE = 4 * 1024 * 1024


def read_regular_file(path: str | os.PathLike[str], limit: int, follow: bool = True) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (``follow=False``: never through
    a symbolic link, for the files of the state directory: ``open_state_file``).

    Raises FileNotFoundError when there is none, and OSError (with a ``strerror`` in words)
    for anything else that is not such a file: a directory, a device, a FIFO, too large.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    fd = os.open(path, flags) if follow else open_state_file(path, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, _("is a directory"))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(22, _("not a regular file (a device, a FIFO or a socket)"))
        chunks = []
        total = 0
        while chunk := os.read(fd, 1 << 16):
            total += len(chunk)
            if total > limit:
                raise OSError(27, _("larger than {limit} bytes").format(limit=limit))
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_user_file(path: str | os.PathLike[str], what: str, limit: int = MAX_USER_FILE) -> bytes:
    """The file's bytes, or InputError naming the file and what went wrong.

    ``what`` names the expected content for the messages, in the operator's language
    (``_("configuration file")``, ``_("forecast file")``).
    """
    name = str(path)
    try:
        return read_regular_file(path, limit)
    except FileNotFoundError:
        raise InputError(f"{name}: " + _("no such {what}").format(what=what)) from None
    except IsADirectoryError:
        reason = _("is a directory, expected a {what}").format(what=what)
        raise InputError(f"{name}: {reason}") from None
    except PermissionError:
        reason = _("cannot read the file (permission denied)")
        raise InputError(f"{name}: {reason}") from None
    except ValueError:  # an embedded NUL in the name
        reason = _("not a usable file name (it contains NUL)")
        raise InputError(f"{name!r}: {reason}") from None
    except OSError as error:
        reason = _("cannot use it as a {what} ({reason})").format(
            what=what, reason=error.strerror or error
        )
        raise InputError(f"{name}: {reason}") from None


def read_private_file(
    path: str | os.PathLike[str], what: str, error: type[Exception], limit: int = 64 * 1024
) -> str:
    """A secret's file as text, refused (like ssh keys) when group or others may read it.

    ``what`` names it in the messages ("credentials file"); every failure is raised as
    ``error`` with one line naming the file, and never quotes the content. Like every file here
    it must be a regular file of bounded size (a FIFO is refused, never waited on).
    """
    origin = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        try:
            mode = os.fstat(fd).st_mode
        finally:
            os.close(fd)
        if not stat.S_ISREG(mode):
            raise error(f"{origin}: expected a regular file")
        if mode & 0o077:
            raise error(
                f"{origin}: the {what} is accessible by group or others "
                f"(mode {stat.S_IMODE(mode):04o}); run `chmod 600 {origin}`"
            )
        data = read_regular_file(path, limit)
    except FileNotFoundError:
        raise error(f"{origin}: no such {what}") from None
    except PermissionError:
        raise error(f"{origin}: cannot read the {what}") from None
    except ValueError:  # an embedded NUL in the name
        raise error(f"{origin!r}: not a usable file name (it contains NUL)") from None
    except OSError as problem:
        raise error(f"{origin}: cannot read ({problem.strerror or problem})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{origin}: expected UTF-8 text") from None
