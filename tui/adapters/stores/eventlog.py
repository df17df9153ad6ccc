"""The event log: JSON Lines in the state directory, one object per line, flushed as written.

Writing: each line goes out in a single append-mode write, and a write that fails or comes up
short (a full disk) is cut back off the file, so the log holds whole lines or nothing; when even
that fails, the next line starts on a fresh line so that the damage stays confined to one line.
A log that cannot be written never raises: the failure is reported once (and again when writing
works again) and the relays carry on. The file rotates by size, keeping a few old files.

Reading (``iter_events`` / ``read_events``, also used by `history`) yields typed events
(``tui.core.events``, which reads every older form of a line): damaged lines (half an object, a
NUL tail left by a power cut, binary, a line too long, a field of the wrong type) are skipped and
counted in a ``ReadStats``, never raised; a path that is not a regular file reads as empty, with
a reason.
"""

import contextlib
import errno
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tui.adapters.state_dir import open_state_file
from tui.core.events import Event, parse_event
from tui.core.i18n import _

LOG_NAME = "events.jsonl"
MAX_LINE = 64 * 1024  # an event line is a few hundred bytes; longer is damage


def _stderr(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(f"delestage: {message}", file=sys.stderr)


class EventLog:
    def __init__(
        self,
        directory: Path,
        max_bytes: int = 1_000_000,
        keep: int = 3,
        report: Callable[[str], None] = _stderr,
    ) -> None:
        self.path = directory / LOG_NAME
        self.max_bytes = max_bytes
        self.keep = keep
        self.failing = False
        self._report = report
        self._fd = -1
        # Whether the file may end in the middle of a line (a crash, a short write).
        self._ragged = True

    def _open(self) -> int:
        fd = open_state_file(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o640)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(21, "not a regular file")
        return fd

    def write(self, event: Event) -> None:
        """Append one event, whole or not at all. Never raises: the relays matter more."""
        text = json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":"), default=str)
        line = (text + "\n").encode("utf-8", "backslashreplace")
        try:
            if self._fd < 0:
                self._fd = self._open()
                self._ragged = True
            size = os.fstat(self._fd).st_size
            if size + len(line) > self.max_bytes:
                self._rotate()
                size = 0
            if self._ragged:
                line = self._mend(size) + line
            self._append(line, size)
        except OSError as error:
            self._failed(error)
        else:
            if self.failing:
                self.failing = False
                self._report(f"{self.path}: writing events again")

    def _mend(self, size: int) -> bytes:
        """A newline first when the file ends mid-line, so the damaged line stays alone."""
        self._ragged = False
        if size == 0:
            return b""
        return b"" if os.pread(self._fd, 1, size - 1) == b"\n" else b"\n"

    def _append(self, line: bytes, size: int) -> None:
        try:
            written = os.write(self._fd, line)
        except OSError:
            self._cut_back(size)
            raise
        if written != len(line):
            self._cut_back(size)
            raise OSError(28, f"short write ({written} of {len(line)} bytes)")

    def _cut_back(self, size: int) -> None:
        try:
            os.ftruncate(self._fd, size)
        except OSError:
            self._ragged = True

    def _failed(self, error: OSError) -> None:
        self._ragged = True
        if self._fd >= 0 and not os.path.exists(self.path):
            self.close()  # rotated away under us: reopen next time
        if not self.failing:
            self.failing = True  # before reporting: the report may write an event itself
            self._report(
                f"cannot write {self.path} ({error.strerror or error}): events are not logged "
                "until it can; relays are still driven"
            )

    def _rotate(self) -> None:
        os.close(self._fd)
        self._fd = -1
        for number in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{LOG_NAME}.{number}")
            if older.exists():
                older.replace(self.path.with_name(f"{LOG_NAME}.{number + 1}"))
        if self.path.exists():
            self.path.replace(self.path.with_name(f"{LOG_NAME}.1"))
        self._fd = self._open()

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


@dataclass
class ReadStats:
    """What a read of the event log met: lines read, lines skipped as damaged, and why not."""

    events: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self, path: Path) -> str | None:
        """One line for the operator, or None when everything read cleanly."""
        if not self.skipped and not self.problems:
            return None
        parts = list(self.problems)
        if self.skipped:
            parts.append(f"{self.skipped} damaged line(s) skipped")
        return f"{path}: {'; '.join(parts)}"


# A \uD800-\uDFFF escape: JSON decodes a lone one to a surrogate, which no UTF-8 text (the
# history store's digests and columns, a terminal) can hold. A path with undecodable bytes in a
# message is one way such a line is written.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrubbed(value: object) -> object:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrubbed(key): _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


def _event(raw: bytes) -> Event | None:
    if len(raw) > MAX_LINE or b"\x00" in raw:
        return None
    try:
        document = json.loads(raw)
        if _SURROGATE_ESCAPE.search(raw):
            document = _scrubbed(document)
        # A ts every reader can turn into Paris time, fields of their types: else damage.
        return parse_event(document)
    except (ValueError, RecursionError):
        return None


def open_log_file(path: Path) -> int:
    """A descriptor on one log file, read-only: never through a symbolic link, never waiting
    on a FIFO (a device, a FIFO or a socket is refused, not read). Raises FileNotFoundError
    when there is none, OSError with words for the rest."""
    fd = open_state_file(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, _("not a regular file"), str(path))
    return fd


def iter_events(path: Path, stats: ReadStats | None = None) -> Iterator[Event]:
    """The events of one log file, oldest first, skipping (and counting) damaged lines."""
    stats = stats if stats is not None else ReadStats()
    try:
        fd = open_log_file(path)
    except FileNotFoundError:
        return
    except OSError as error:
        if error.errno == errno.EINVAL:
            stats.problems.append(str(error.strerror))
        else:
            stats.problems.append(f"cannot read ({error.strerror or error})")
        return
    with os.fdopen(fd, "rb") as handle:
        pending = b""
        while True:
            try:
                chunk = handle.read(1 << 16)
            except OSError as error:
                stats.problems.append(f"read failed ({error.strerror or error})")
                return
            if not chunk:
                break
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            if len(pending) > MAX_LINE:
                pending = b"\x00"  # too long to be an event: counted once, when it ends
            for raw in lines:
                yield from _counted(raw, stats)
        yield from _counted(pending, stats)


def _counted(raw: bytes, stats: ReadStats) -> Iterator[Event]:
    if not raw.strip():
        return
    event = _event(raw)
    if event is None:
        stats.skipped += 1
        return
    stats.events += 1
    yield event


def read_events(directory: Path, stats: ReadStats | None = None) -> list[Event]:
    """Every readable event of the current log file, oldest first."""
    return list(iter_events(directory / LOG_NAME, stats))


def log_files(directory: Path) -> list[Path]:
    """The log and its rotated files still kept, oldest first (``events.jsonl.3``, …, live)."""
    rotated = []
    for path in directory.glob(f"{LOG_NAME}.*"):
        suffix = path.name[len(LOG_NAME) + 1 :]
        if suffix.isdigit():
            rotated.append((int(suffix), path))
    live = directory / LOG_NAME
    return [path for _, path in sorted(rotated, reverse=True)] + ([live] if live.exists() else [])


READ_BUDGET = 1 << 20  # bytes of log read at one go: the events of one read stay small


def read_from(
    path: Path, offset: int = 0, budget: int = READ_BUDGET
) -> tuple[list[Event], int, int]:
    """The events of one log file from byte ``offset``: (events, damaged lines, offset reached),
    for a reader that comes back for more (the history store's catch-up). Opened as every log
    file is (``open_log_file``: no link, no FIFO); see ``read_open`` for the rest."""
    fd = open_log_file(path)
    try:
        return read_open(fd, offset, budget)
    finally:
        os.close(fd)


def read_open(fd: int, offset: int = 0, budget: int = READ_BUDGET) -> tuple[list[Event], int, int]:
    """``read_from`` on an open log file: about ``budget`` bytes of whole lines from
    ``offset`` (call again from the offset reached for more), never more than one chunk and
    one line in memory. Damaged lines are skipped and counted as ``iter_events`` does (a line
    longer than MAX_LINE once, when its newline comes, never kept); a last line without its
    newline is still being written and is left for the next read."""
    stats = ReadStats()
    events: list[Event] = []
    pending = b""
    too_long = False  # inside a line already known to be damage: its bytes are dropped
    position = reached = offset
    while reached - offset < budget:
        chunk = os.pread(fd, 1 << 16, position)
        if not chunk:
            break
        position += len(chunk)
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for raw in lines:
            if too_long:
                stats.skipped += 1
                too_long = False
            else:
                events.extend(_counted(raw, stats))
        if lines:
            reached = position - len(pending)
        if len(pending) > MAX_LINE:
            too_long, pending = True, b""
    return events, stats.skipped, reached
