"""The `file` source: a saved signals body (``plan --forecast``, tests, offline installations).

The file is user input: at start an unreadable or malformed file is an InputError naming the
file and the field. Later it is re-read whenever it changes (a cheap stat), and a broken
version while someone edits it leaves the last good forecast in force.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Generic, TypeVar, cast, overload

from tui.adapters.sources.base import Fetched, RefreshResult
from tui.adapters.user_files import read_user_file
from tui.core.errors import InputError
from tui.core.forecast import Forecast, clock_time
from tui.core.i18n import _
from tui.core.signals import parse_signals

# How often the file is stat-ed for changes: a file only changes when someone edits it.
POLL = timedelta(minutes=5)


Parsed = TypeVar("Parsed")
T = TypeVar("T", bound=Fetched)


def read_body_file(path: Path, what: str, parse: Callable[..., Parsed]) -> Parsed:
    """Parse a saved body with ``parse``; ``fetched`` is the file's modification time.
    Every problem is one line naming the file (``what`` names the expected content)."""
    body = read_user_file(path, what)
    try:
        fetched = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error})") from None
    try:
        return parse(body, fetched=fetched, source="file")
    except InputError as error:
        raise InputError([f"{path}: {problem}" for problem in error.problems]) from None


def read_forecast_file(path: Path) -> Forecast:
    """Parse a saved signals body; ``fetched`` is the file's modification time."""
    return read_body_file(path, _("forecast file"), parse_signals)


class FileSource(Generic[T]):
    """``read`` parses the file: a signals body by default (``read_tempo_file`` for Tempo)."""

    kind = "file"

    @overload
    def __init__(self: "FileSource[Forecast]", path: Path) -> None: ...

    @overload
    def __init__(self, path: Path, read: Callable[[Path], T]) -> None: ...

    def __init__(self, path: Path, read: Callable[[Path], T] | None = None) -> None:
        self.path = path
        # Without ``read`` the first overload made this a FileSource[Forecast].
        self._read = cast(Callable[[Path], T], read or read_forecast_file)
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the last read
        self._last: T | None = None
        self._error: str | None = None  # what is wrong with the version last seen

    def __repr__(self) -> str:
        return f"FileSource({str(self.path)!r})"

    def _signature(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def load_cached(self, now: datetime) -> T | None:
        signature = self._signature()
        self._last = self._read(self.path)
        self._seen = signature
        return self._last

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[T]:
        signature = self._signature()
        if signature is not None and signature == self._seen and not manual:
            # Unchanged: nothing new, but a broken version stays reported until it is fixed.
            return RefreshResult(error=self._error)
        self._seen = signature
        try:
            data = self._read(self.path)
        except InputError as error:
            self._error = "; ".join(error.problems)
            if self._last is not None and self._last.fetched is not None:
                read = clock_time(self._last.fetched, now)
                self._error += f"; keeping the forecast read {read}"
            return RefreshResult(error=self._error)
        self._error = None
        self._last = data
        return RefreshResult(data=data)

    def next_refresh(self, now: datetime) -> datetime:
        signature = self._signature()
        if signature is not None and signature != self._seen:
            return now
        return now + POLL

    async def aclose(self) -> None:
        return None
