"""Reading a file the user named (configuration, forecast body): every failure is one line."""

import os

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
