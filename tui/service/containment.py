"""Containment: the non-essential parts around the control loop fail alone and say so once.

The loop (decide, switch relays, keep the failsafe alive) must outlive everything else: the
headless printer, the event log, state saves, the control socket, subscribers, bridges. Each of
those is called through a ``Part``, which catches any exception, reports the first failure of a
streak (and the recovery that ends it) and returns, so nothing it does reaches the loop.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long a stop waits for a part to close its connections (a source, socket clients) before
# leaving it.
CLOSE_GRACE = 1.0

# A part's report: (part name, message, recovered?)
Report = Callable[[str, str, bool], None]


def describe_error(error: BaseException) -> str:
    """``Broken pipe`` / ``OverflowError: date value out of range``: short, one line."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error).splitlines()[0][:200] if str(error) else ""
    name = error.__class__.__name__
    return f"{name}: {text}" if text else name


class Part:
    """One non-essential part: ``call`` runs it, contained."""

    def __init__(self, name: str, report: Report, consequence: str = "") -> None:
        self.name = name
        self.consequence = consequence
        self.failing: str | None = None
        self.failures = 0
        self._report = report
        self._reporting = False

    def call(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            result = action(*args, **kwargs)
        except Exception as error:
            self.failed(error)
            return None
        self.succeeded()
        return result

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        if self.failing is not None:
            return
        self.failing = describe_error(error)
        log.debug("%s failed", self.name, exc_info=error)
        self._say(f"{self.name} failed ({self.failing}){self.consequence}", False)

    def succeeded(self) -> None:
        if self.failing is None:
            return
        self.failing = None
        self._say(f"{self.name} works again", True)

    def _say(self, message: str, recovered: bool) -> None:
        # The report may go through this very part (the printer prints its own failure): it
        # must neither recurse nor raise.
        if self._reporting:
            return
        self._reporting = True
        try:
            self._report(self.name, message, recovered)
        except Exception:  # the reporter is itself a part; the loop never sees this
            log.exception("reporting a failure of %s failed", self.name)
        finally:
            self._reporting = False
