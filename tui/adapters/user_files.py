"""Reading a file the user named (configuration, forecast body): every failure is one line."""

import os
import stat

from tui.core.errors import InputError


def read_user_file(path: str | os.PathLike[str], what: str) -> bytes:
    """The file's bytes, or InputError naming the file and what went wrong.

    ``what`` names the expected content for the messages ("configuration file", "forecast file").
    """
    name = str(path)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputError(f"{name}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, expected a {what}") from None
    except PermissionError:
        raise InputError(f"{name}: cannot read the file (permission denied)") from None
    except OSError as error:
        raise InputError(f"{name}: cannot read the file ({error.strerror or error})") from None


def read_private_file(path: str | os.PathLike[str], what: str, error: type[Exception]) -> str:
    """A secret's file as text, refused (like ssh keys) when group or others may read it.

    ``what`` names it in the messages ("credentials file"); every failure is raised as
    ``error`` with one line naming the file, and never quotes the content.
    """
    origin = str(path)
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 (stat the open file, not the name)
    except FileNotFoundError:
        raise error(f"{origin}: no such {what}") from None
    except PermissionError:
        raise error(f"{origin}: cannot read the {what}") from None
    except OSError as problem:
        raise error(f"{origin}: cannot read ({problem.strerror or problem})") from None
    with handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise error(f"{origin}: expected a regular file")
        if mode & 0o077:
            raise error(
                f"{origin}: the {what} is accessible by group or others "
                f"(mode {stat.S_IMODE(mode):04o}); run `chmod 600 {origin}`"
            )
        try:
            return handle.read()
        except UnicodeDecodeError:
            raise error(f"{origin}: expected UTF-8 text") from None
