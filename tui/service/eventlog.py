"""The event log: JSON Lines in the state directory, one object per line, flushed as written.

Each line goes out in a single append-mode write, so a crash can at worst lose the line being
written, never truncate earlier ones. The file rotates by size, keeping a few old files.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

EVENT_KINDS = ("start", "stop", "forecast", "relay", "override", "board", "error")
LOG_NAME = "events.jsonl"


class EventLog:
    def __init__(self, directory: Path, max_bytes: int = 1_000_000, keep: int = 3) -> None:
        self.path = directory / LOG_NAME
        self.max_bytes = max_bytes
        self.keep = keep
        directory.mkdir(parents=True, exist_ok=True)
        self.failing = False
        self._fd = self._open()

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)

    def write(self, event: dict[str, Any]) -> None:
        """Append one event. A write that fails (disk full) is said once on stderr and
        otherwise skipped: the relays matter more than the log."""
        line = (json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        try:
            if self._fd < 0:  # a rotation that failed half-way: start a file again
                self._fd = self._open()
            if os.fstat(self._fd).st_size + len(line) > self.max_bytes:
                self._rotate()
            os.write(self._fd, line)
        except OSError as error:
            if not self.failing:
                print(f"delestage: cannot write {self.path}: {error}", file=sys.stderr)
            self.failing = True
        else:
            self.failing = False

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
            os.close(self._fd)
            self._fd = -1


def read_events(directory: Path) -> list[dict[str, Any]]:
    """Every event of the current log file, oldest first (tests and `status`)."""
    path = directory / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def log_files(directory: Path) -> list[Path]:
    """The log and its rotated files still kept, oldest first (``events.jsonl.3``, …, live)."""
    rotated = []
    for path in directory.glob(f"{LOG_NAME}.*"):
        suffix = path.name[len(LOG_NAME) + 1 :]
        if suffix.isdigit():
            rotated.append((int(suffix), path))
    live = directory / LOG_NAME
    return [path for _, path in sorted(rotated, reverse=True)] + ([live] if live.exists() else [])


def read_tolerant(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int, int]:
    """The events of one log file from byte ``offset``: (events, damaged lines, offset reached).

    A line that is not a JSON object with ``ts`` and ``kind`` (a crash mid-write, a disk error,
    an edit) is skipped and counted, never fatal. A last line without its newline is being
    written: it is left for the next read.
    """
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    complete = data.rfind(b"\n") + 1
    events: list[dict[str, Any]] = []
    damaged = 0
    for raw in data[:complete].splitlines():
        if not raw.strip():
            continue
        try:
            event = json.loads(raw)
        except ValueError:
            damaged += 1
            continue
        if isinstance(event, dict) and isinstance(event.get("ts"), str) and "kind" in event:
            events.append(event)
        else:
            damaged += 1
    return events, damaged, offset + complete
