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
