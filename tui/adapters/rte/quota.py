"""RTE's quota, shared on disk: one production call per 15 minutes across restarts and processes.

The time of the last call (and any ``Retry-After`` RTE imposed) lives in a small JSON file in the
state directory. Checking and recording a call happen under an exclusive ``flock`` on a separate
lock file (the data file is replaced on every write, so it cannot carry the lock), which makes
"may I call?" and "I am calling" one atomic step for every process sharing the directory.
"""

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui.adapters.atomic import atomic_write
from tui.adapters.state_dir import open_state_file
from tui.adapters.user_files import read_regular_file
from tui.core.durations import parse_instant

QUOTA_INTERVAL = timedelta(seconds=900)
QUOTA_FILE = "ecowatt-quota.json"
MAX_QUOTA_BYTES = 4096  # two timestamps
LOCK_FILE = "ecowatt-quota.lock"

log = logging.getLogger("tui.rte.quota")


class QuotaGate:
    """When the next production call may be made, as agreed by every process on the machine."""

    def __init__(
        self, directory: Path, interval: timedelta = QUOTA_INTERVAL, name: str | None = None
    ) -> None:
        """``name`` gives another API its own files (``tempo-quota``: its own call times)."""
        self.directory = directory
        self.interval = interval
        self._path = directory / (f"{name}.json" if name else QUOTA_FILE)
        self._lock_path = directory / (f"{name}.lock" if name else LOCK_FILE)
        self._damaged = False
        # What this process knows when the file cannot hold it (a directory in its place, a
        # full disk): the quota still holds here, and the forecast still refreshes.
        self._memory: tuple[datetime | None, datetime | None] = (None, None)
        self._said: set[str] = set()

    def next_allowed(self, now: datetime) -> datetime:
        """The earliest instant a call may be made (``now`` or earlier when one may be made now)."""
        with self._locked(exclusive=False):
            last_call, not_before = self._read(now)
        return self._allowed(last_call, not_before, now)

    def try_reserve(self, now: datetime) -> datetime | None:
        """Record a call at ``now`` if one is allowed (None), else say when one will be."""
        with self._locked(exclusive=True):
            last_call, not_before = self._read(now)
            allowed = self._allowed(last_call, not_before, now)
            if allowed > now:
                if self._damaged:
                    # Fix the fail-safe reading in place, so the wait it imposes ends.
                    self._write(last_call, not_before)
                return allowed
            self._write(now, not_before)
        return None

    def unreserve(self, now: datetime, previous: datetime | None) -> None:
        """The call reserved at ``now`` never reached RTE (the connection failed): the last
        call is ``previous`` again, unless another process has called since."""
        with self._locked(exclusive=True):
            last_call, not_before = self._read(now)
            if last_call == now:
                self._write(previous, not_before)

    def last_call(self, now: datetime) -> datetime | None:
        with self._locked(exclusive=False):
            return self._read(now)[0]

    def defer(self, until: datetime, now: datetime) -> None:
        """RTE said not before ``until`` (429 ``Retry-After``): no process calls earlier."""
        with self._locked(exclusive=True):
            last_call, not_before = self._read(now)
            if not_before is None or until > not_before:
                not_before = until
            self._write(last_call, not_before)

    # -- internals -----------------------------------------------------------------------

    def _allowed(
        self, last_call: datetime | None, not_before: datetime | None, now: datetime
    ) -> datetime:
        allowed = now - self.interval
        if last_call is not None:
            allowed = max(allowed, last_call + self.interval)
        if not_before is not None:
            allowed = max(allowed, not_before)
        return allowed

    def _say_once(self, key: str, message: str) -> None:
        if key not in self._said:
            self._said.add(key)
            log.warning("%s", message)

    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = open_state_file(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            # Without the lock, processes may race for one call; this one still keeps the quota.
            self._say_once(
                "lock",
                f"{self._lock_path}: cannot be used as the quota lock "
                f"({error.strerror or error}); going on without it",
            )
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        self._damaged = False
        try:
            document = json.loads(read_regular_file(self._path, MAX_QUOTA_BYTES, follow=False))
            last_call = _instant(document.get("last_call"))
            not_before = _instant(document.get("not_before"))
        except FileNotFoundError:
            return self._memory
        except IsADirectoryError:
            self._say_once(
                "directory",
                f"{self._path}: is a directory, not the quota file; the quota is kept by this "
                "process alone until it is removed",
            )
            return self._memory
        except (OSError, ValueError, AttributeError, RecursionError) as error:
            # Fail safe: a damaged file may hide a call made a moment ago, so it counts as a
            # call made when the file was last written (at the latest, now).
            log.warning(
                "unreadable quota file %s (%s): counted as a call just made", self._path, error
            )
            self._damaged = True
            return self._written_at(now), None
        # A stored time far in the future means the clock went back: waiting for it could take
        # days, and the interval it protected has no meaning on the new clock.
        horizon = now + self.interval
        if last_call is not None and last_call > horizon:
            log.warning("quota file says the last call was at %s, after now: ignored", last_call)
            last_call = None
        if not_before is not None and not_before > now + timedelta(days=1):
            not_before = None
        return last_call, not_before

    def _written_at(self, now: datetime) -> datetime:
        try:
            written = datetime.fromtimestamp(os.lstat(self._path).st_mtime, UTC)
        except (OSError, ValueError, OverflowError):
            return now
        return min(written, now)

    def _write(self, last_call: datetime | None, not_before: datetime | None) -> None:
        self._memory = (last_call, not_before)
        document = {
            "last_call": last_call.isoformat() if last_call else None,
            "not_before": not_before.isoformat() if not_before else None,
        }
        try:
            atomic_write(self._path, json.dumps(document).encode() + b"\n")
        except OSError as error:
            self._say_once(
                "directory" if isinstance(error, IsADirectoryError) else "write",
                f"{self._path}: cannot be written ({error.strerror or error}); the quota is "
                "kept by this process alone until it can",
            )
        else:
            self._said.discard("write")


def _instant(value: object) -> datetime | None:
    return None if value is None else parse_instant(value)
