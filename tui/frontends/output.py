"""Writing a command's output to stdout, surviving a reader that leaves early."""

import os
import sys
from typing import TextIO


def write_out(text: str, out: TextIO) -> None:
    """Write and flush; a closed pipe (`delestage plan | head`) is not an error, and leaves no
    traceback when the interpreter flushes stdout again on exit."""
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
