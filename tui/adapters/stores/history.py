"""The history store: an SQLite file next to the event log that keeps what history needs.

The event log stays the journal; it rotates away after a few megabytes. This store keeps, for as
long as it lives (a year is a few megabytes), the events that history is made of, as ``Mark``
rows, and the level timeline as one row per hour. The service feeds it from the controller's
event subscription (``history_feed``); it can always be rebuilt from the log files still on disk
(``events.jsonl.3`` … ``events.jsonl``), and it is, with one line saying so, when it is missing
or damaged.

What it records, and why:
- ``relay`` (channel, powered, reason), the ``board`` event of a start that read the relays
  (``event: "read"`` with ``states``: one ``read`` mark per channel), ``override`` (force with
  powered and until, release, expired), ``start`` and ``stop`` (with on_exit) events, as
  marks; every event is stored once, however often it is seen (a digest of its canonical JSON
  is unique), so feeding it from the subscription and catching up from the files never counts
  anything twice.
- The level of each hour, from the ``levels`` that every ``forecast`` event carries: the level
  the controller believed when the hour was lived, i.e. from the latest forecast issued before
  the hour ended (a forecast issued later only fills hours nothing covered). That is what
  decided the cuts, so it is what "cut while orange or red" is measured against.
- For each log file read (by inode, with the hash of its first line), how far it was read, so a
  catch-up reads only what is new, and a rotated file is not read again.
- Since schema 2: a relay mark's ``rule`` (the policy's, so that cuts for power count apart),
  and each ``measured`` meter event (a channel's power as the meter saw it) in ``measured``. A
  version 1 store is migrated in place when opened for writing (its marks' rule ``""``), and
  read as it is when read-only.
"""

import contextlib
import errno
import functools
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from tui.adapters.stores.eventlog import log_files, open_log_file, read_open
from tui.core.events import Event
from tui.core.forecast import Forecast, paris_iso
from tui.core.history import (
    HOUR_SECONDS,
    Mark,
    board_read_marks,
    encode_levels,
    event_mark,
    forecast_hours,
    measured_mark,
)
from tui.core.i18n import _

STORE_NAME = "history.sqlite"
SCHEMA_VERSION = "2"  # 2: a relay mark's rule, the measured table (a "1" store is migrated)
BUSY_TIMEOUT = 5.0  # seconds: a reader waits this long for the writer's transaction
HEAD_BYTES = 256  # what identifies a log file besides its inode (inodes are reused)

# Version 2: each channel's power as the meter measured it (``measured`` meter events).
_MEASURED = """
CREATE TABLE IF NOT EXISTS measured (
    t REAL NOT NULL, channel INTEGER NOT NULL, watts INTEGER NOT NULL,
    digest BLOB NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS measured_by_channel ON measured (channel, t);
"""

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS marks (
    t REAL NOT NULL,
    kind TEXT NOT NULL,
    channel INTEGER NOT NULL,
    powered INTEGER,
    until REAL,
    text TEXT NOT NULL DEFAULT '',
    digest BLOB NOT NULL UNIQUE,
    rule TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS marks_by_time ON marks (t);
CREATE INDEX IF NOT EXISTS marks_by_channel ON marks (channel, kind, t);
CREATE TABLE IF NOT EXISTS levels (
    hour INTEGER PRIMARY KEY, level INTEGER NOT NULL, set_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    inode INTEGER PRIMARY KEY, head BLOB NOT NULL, offset INTEGER NOT NULL
);
"""
    + _MEASURED
)


# A forecast issued before the hour ended beats one issued after; among those, the latest;
# among forecasts issued after the hour, the earliest. Order-independent, so a rebuild agrees.
_UPSERT_LEVEL = """
INSERT INTO levels (hour, level, set_at) VALUES (?, ?, ?)
ON CONFLICT (hour) DO UPDATE SET level = excluded.level, set_at = excluded.set_at
WHERE (excluded.set_at < levels.hour + 3600
       AND (levels.set_at >= levels.hour + 3600 OR excluded.set_at > levels.set_at))
   OR (excluded.set_at >= levels.hour + 3600 AND levels.set_at >= levels.hour + 3600
       AND excluded.set_at < levels.set_at)
"""


class StoreDamaged(Exception):
    """The file is not a usable history store (not SQLite, damaged, another schema): the only
    case where a store is set aside (kept as ``history.sqlite.damaged``) and rebuilt."""


class StoreUnavailable(Exception):
    """The store is sound but cannot be used here and now: it is never set aside for this."""


class StoreBusy(StoreUnavailable):
    """Another connection holds a lock for longer than the wait: try again later."""


class StoreReadOnly(StoreUnavailable):
    """This process may read the store but not write it (permissions, a read-only disk)."""


class StoreNotAFile(StoreUnavailable):
    """Something else (a directory) is where the store belongs: nothing to read or replace."""


# SQLite's primary result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``).
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_AUTH = 3, 8, 14, 23
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def _classified(error: sqlite3.Error | OSError, path: Path) -> Exception:
    """The store's exception for an SQLite (or file) error: damage only where SQLite says the
    file is not a database or is malformed; a lock is busy; a refused write is read-only."""
    if isinstance(error, OSError):
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return StoreReadOnly(f"{path}: read-only ({error.strerror or error})")
        return StoreUnavailable(f"{path}: cannot use the store ({error.strerror or error})")
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreDamaged(f"{path}: not a usable history store ({error})")
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreBusy(
            f"{path}: history store busy ({error}; locked by another process for more than "
            f"{BUSY_TIMEOUT:g} s)"
        )
    if code in (_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_AUTH, _SQLITE_CANTOPEN):
        return StoreReadOnly(f"{path}: history store read-only here ({error})")
    return StoreUnavailable(f"{path}: cannot use the history store ({error})")


@contextlib.contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (sqlite3.Error, OSError) as error:
        raise _classified(error, path) from None


_R = TypeVar("_R")


def _reading(method: "Callable[..., _R]") -> "Callable[..., _R]":
    """A reading method whose SQLite errors are the store's (busy, damaged...)."""

    @functools.wraps(method)
    def wrapper(self: "HistoryStore", *args: Any, **kwargs: Any) -> _R:
        with _sqlite_errors(self.path):
            return method(self, *args, **kwargs)

    return wrapper


def _not_a_file(path: Path) -> StoreNotAFile | None:
    """A directory (or a device, a socket, a link) where the store belongs, or a link where
    one of its journals would be written (SQLite opens them itself, following links: this
    check, and a state directory no one else may write, keep it from writing through one);
    None for a file or none."""
    for journal in _JOURNALS:
        if os.path.islink(f"{path}{journal}"):
            return StoreNotAFile(
                f"{path}{journal}: is a symbolic link, never followed in the state directory; "
                "remove it and history is recorded again"
            )
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        return StoreNotAFile(f"{path}: cannot look at the store ({error.strerror or error})")
    if stat.S_ISREG(mode):
        return None
    what = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a symbolic link"
        if stat.S_ISLNK(mode)
        else "not a regular file"
    )
    return StoreNotAFile(
        f"{path}: is {what}, not a history store; move it away and history is recorded again"
    )


def forecast_levels(forecast: Forecast | None) -> dict[str, str]:
    """The fields a ``forecast`` event carries so history knows each hour's level:
    ``levels_from`` (the first hour, ISO) and ``levels`` (a digit per hour, ``.`` unknown)."""
    if forecast is None:
        return {}
    encoded = encode_levels((slot.start.timestamp(), int(slot.level)) for slot in forecast.slots)
    if encoded is None:
        return {}
    first, text = encoded
    return {"levels_from": paris_iso(datetime.fromtimestamp(first, UTC)), "levels": text}


def _digest(event: Event) -> bytes:
    # The canonical JSON of the line as written: the same event read from the log or from the
    # subscription is stored once (and so is one stored before events were typed).
    canonical = json.dumps(
        event.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.blake2b(canonical.encode(), digest_size=12).digest()


def _channel_digest(channel: int, event: Event) -> bytes:
    """One of the several marks of one event (a board read): unique by the event and channel."""
    canonical = json.dumps(
        {"channel": channel, "event": event.to_dict()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.blake2b(canonical.encode(), digest_size=12).digest()


@dataclass
class CatchUp:
    events: int = 0  # new events read from the files
    earliest: float | None = None  # the oldest of them (POSIX seconds)
    damaged: int = 0  # lines skipped as damaged
    refused: list[str] = field(default_factory=list)  # log files not read: a link, a FIFO


class HistoryStore:
    """One connection to the store. Not thread-safe: one owner at a time."""

    def __init__(
        self,
        path: Path,
        readonly: bool = False,
        busy_timeout: float | None = None,
        memory: bool = False,
    ) -> None:
        """Open the store at ``path`` (``readonly``: as it is, never written; ``memory``: a new
        store in memory only, for a reader that may not write ``path``). Raises
        StoreDamaged only for real damage; StoreBusy, StoreReadOnly or StoreNotAFile otherwise
        (a sound store is never set aside for those)."""
        self.path = path
        self.readonly = readonly
        if not memory and (other := _not_a_file(path)) is not None:
            raise other
        try:
            self._inode = os.stat(path).st_ino if readonly else -1
            target, uri = (f"file:{path}?mode=ro", True) if readonly else (str(path), False)
            if memory:
                target, uri = ":memory:", False
            # Owned by one task at a time, which may hop threads (asyncio.to_thread).
            wait = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
            self._db = sqlite3.connect(target, uri=uri, timeout=wait, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise _classified(error, path) from None
        self._db.isolation_level = None  # explicit transactions
        try:
            with _sqlite_errors(path):
                if not readonly:
                    # Only a store that lacks them is written to here: a sound store this
                    # process may not write opens all the same, and fails at its first write.
                    present = {
                        name
                        for (name,) in self._db.execute(
                            "SELECT name FROM sqlite_master WHERE type = 'table'"
                        )
                    }
                    if not {"meta", "marks", "levels", "files"} <= present:
                        self._db.executescript(_SCHEMA)
                        self._db.execute(
                            "INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,)
                        )
                    self._inode = -1 if memory else os.stat(path).st_ino
                row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is not None and row[0] == "1" and not readonly:
                    self._migrate_from_1()
                    row = (SCHEMA_VERSION,)
        except BaseException:
            self._db.close()
            raise
        # A version 1 store read as it is (read-only): no rules, no measured power.
        self._v1 = row is not None and row[0] == "1"
        if row is None or row[0] not in (SCHEMA_VERSION, "1"):
            self._db.close()
            raise StoreDamaged(f"{path}: history store of another version ({row and row[0]})")

    def _migrate_from_1(self) -> None:
        """Version 1 to 2 in place: every mark kept (their rule unknown: ``""``)."""
        with self._transaction():
            self._db.execute("ALTER TABLE marks ADD COLUMN rule TEXT NOT NULL DEFAULT ''")
            for statement in _MEASURED.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))

    def close(self) -> None:
        self._db.close()

    @property
    def replaced(self) -> bool:
        """Whether the file was rebuilt (replaced) by another process since it was opened."""
        try:
            return os.stat(self.path).st_ino != self._inode
        except OSError:
            return True

    # -- writing -------------------------------------------------------------------------------

    def add(self, events: Iterable[Event]) -> int:
        """Record events (any kinds; those history does not use are passed over); returns how
        many were new."""
        marks: list[tuple[Mark, bytes]] = []
        levels: list[tuple[int, int, float]] = []
        measured: list[tuple[float, int, int, bytes]] = []
        for event in events:
            mark = event_mark(event)
            if (seen := measured_mark(event)) is not None:
                measured.append((*seen, _digest(event)))
            elif mark is not None:
                marks.append((mark, _digest(event)))
            elif read := board_read_marks(event):
                # One event, several marks: each is unique by the event and its channel.
                marks.extend((m, _channel_digest(m.channel, event)) for m in read)
            else:
                issued = event.ts.timestamp()
                levels.extend((int(hour), level, issued) for hour, level in forecast_hours(event))
        if not marks and not levels and not measured:
            return 0
        before = self._db.total_changes
        with _sqlite_errors(self.path), self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO marks (t, kind, channel, powered, until, text, digest, "
                "rule) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (m.t, m.kind, m.channel, m.powered, m.until, m.text, digest, m.rule)
                    for m, digest in marks
                ],
            )
            self._db.executemany(_UPSERT_LEVEL, levels)
            self._db.executemany("INSERT OR IGNORE INTO measured VALUES (?, ?, ?, ?)", measured)
        return self._db.total_changes - before

    @contextlib.contextmanager
    def _transaction(self) -> Any:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def catch_up(self, directory: Path) -> CatchUp:
        """Read what is new in the log files (oldest first) into the store."""
        result = CatchUp()
        with _sqlite_errors(self.path):
            known = {
                inode: (head, offset)
                for inode, head, offset in self._db.execute("SELECT inode, head, offset FROM files")
            }
        for path in log_files(directory):
            try:
                fd = open_log_file(path)
            except FileNotFoundError:
                continue  # rotated away meanwhile: its lines are in the next file
            except OSError as error:
                # A link or a FIFO where a log file belongs: never followed, never waited on.
                reason = _("not read ({reason})").format(reason=error.strerror or error)
                result.refused.append(f"{path}: {reason}")
                continue
            try:
                with contextlib.suppress(OSError):  # a read that failed: tried again next time
                    self._catch_up_file(fd, known, result)
            finally:
                os.close(fd)
        return result

    def _catch_up_file(self, fd: int, known: dict[int, tuple[bytes, int]], result: CatchUp) -> None:
        """One log file, from where the last catch-up left it, a bounded read at a time."""
        status = os.fstat(fd)
        head = os.pread(fd, HEAD_BYTES, 0)
        head_hash = hashlib.blake2b(head, digest_size=12).digest()
        previous = known.get(status.st_ino)
        offset = previous[1] if previous and previous[0] == head_hash else 0
        if offset > status.st_size or len(head) < HEAD_BYTES:
            offset = 0  # a short head may still grow: identify it again next time
        while offset < status.st_size:
            events, damaged, reached = read_open(fd, offset)
            if reached == offset:
                return  # only a line still being written
            self.add(events)
            result.events += len(events)
            if events:
                oldest = events[0].ts.timestamp()
                if result.earliest is None or oldest < result.earliest:
                    result.earliest = oldest
            result.damaged += damaged
            with _sqlite_errors(self.path), self._transaction():
                self._db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                    (status.st_ino, head_hash, reached),
                )
                if damaged:
                    self._db.execute(
                        "INSERT INTO meta VALUES ('damaged', ?) ON CONFLICT (key) DO UPDATE "
                        "SET value = CAST(value AS INTEGER) + excluded.value",
                        (damaged,),
                    )
            offset = reached

    # -- reading -------------------------------------------------------------------------------

    @_reading
    def damaged_lines(self) -> int:
        """Damaged event-log lines skipped since the store was built."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'damaged'").fetchone()
        return int(row[0]) if row else 0

    @_reading
    def marks(self, start: float, end: float, channels: Iterable[int]) -> list[Mark]:
        """The marks in [start, end) in time order, preceded by the latest relay (or board
        read) and override mark of each channel and the latest start/stop before ``start`` (the
        state then)."""
        prelude: list[tuple[Any, ...]] = []
        db = self._db
        columns = "t, kind, channel, powered, until, text, " + ("''" if self._v1 else "rule")
        for channel in channels:
            for kinds in (("relay", "read"), ("force", "release", "expired")):
                marks = ",".join("?" * len(kinds))
                row = db.execute(
                    f"SELECT {columns} FROM marks "
                    f"WHERE channel = ? AND kind IN ({marks}) AND t < ? "
                    "ORDER BY t DESC LIMIT 1",
                    (channel, *kinds, start),
                ).fetchone()
                if row:
                    prelude.append(row)
        row = db.execute(
            f"SELECT {columns} FROM marks WHERE channel = -1 AND t < ? ORDER BY t DESC LIMIT 1",
            (start,),
        ).fetchone()
        if row:
            prelude.append(row)
        rows = db.execute(
            f"SELECT {columns} FROM marks WHERE t >= ? AND t < ? ORDER BY t, rowid",
            (start, end),
        ).fetchall()
        return [_mark(row) for row in sorted(prelude, key=lambda r: r[0]) + rows]

    @_reading
    def levels(self, start: float, end: float) -> dict[float, int]:
        rows = self._db.execute(
            "SELECT hour, level FROM levels WHERE hour >= ? AND hour < ?",
            (int(start - HOUR_SECONDS), end),
        )
        return {float(hour): level for hour, level in rows}

    @_reading
    def measured(self, end: float, channels: Iterable[int]) -> dict[int, list[tuple[float, float]]]:
        """Each channel's powers as the meter measured them before ``end``: (time, watts), in
        time order; a channel never measured is left out."""
        if self._v1:
            return {}
        found = {}
        for channel in channels:
            rows = self._db.execute(
                "SELECT t, watts FROM measured WHERE channel = ? AND t < ? ORDER BY t",
                (channel, end),
            ).fetchall()
            if rows:
                found[channel] = [(float(t), float(watts)) for t, watts in rows]
        return found

    @_reading
    def first_record(self) -> float | None:
        row = self._db.execute("SELECT min(t) FROM marks").fetchone()
        return row[0] if row else None


def _mark(row: tuple[Any, ...]) -> Mark:
    t, kind, channel, powered, until, text, rule = row
    return Mark(t, kind, channel, None if powered is None else bool(powered), until, text, rule)


# --- opening, with the rebuild --------------------------------------------------------------


def store_path(state_dir: Path) -> Path:
    return state_dir / STORE_NAME


_JOURNALS = ("-journal", "-wal", "-shm")


def _remove_with_journals(path: Path) -> None:
    for suffix in ("", *_JOURNALS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def set_aside(path: Path) -> Path | None:
    """Move a damaged store (and its journals) aside as ``history.sqlite.damaged`` (then
    ``.damaged.1``, ...): kept for a look, never deleted. None when it was gone already."""
    aside = path.with_name(f"{path.name}.damaged")
    number = 0
    while os.path.lexists(aside):
        number += 1
        aside = path.with_name(f"{path.name}.damaged.{number}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return None  # another process set it aside first
    for suffix in _JOURNALS:
        with contextlib.suppress(FileNotFoundError):
            os.rename(f"{path}{suffix}", f"{aside}{suffix}")
    return aside


def rebuild(state_dir: Path) -> tuple[HistoryStore, CatchUp]:
    """A new store from the log files, built aside and renamed into place (where no store is:
    a damaged one was set aside first)."""
    path = store_path(state_dir)
    temporary = path.with_name(f".{STORE_NAME}.{os.getpid()}.tmp")
    with _sqlite_errors(temporary):
        _remove_with_journals(temporary)
    building = HistoryStore(temporary)
    try:
        result = building.catch_up(state_dir)
    except BaseException:
        building.close()
        _remove_with_journals(temporary)  # never a half-built store left behind, one per pid
        raise
    building.close()
    with _sqlite_errors(path):
        # A journal left without its file would otherwise be played into the new one.
        for suffix in _JOURNALS:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, path)
    return HistoryStore(path), result


def open_store(state_dir: Path, since: float | None = None) -> tuple[HistoryStore, str | None]:
    """The store, caught up with the log files, and the one line to say when it had to be
    rebuilt (missing, or damaged: then kept as ``.damaged``); None when nothing needs saying.
    ``since``: a missing store whose log only holds events from then on (this service's first
    start) is simply created.

    Only real damage rebuilds: a busy store raises StoreBusy (after a wait of BUSY_TIMEOUT), one
    this process may not write StoreReadOnly, a directory in its place StoreNotAFile."""
    path = store_path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    if (other := _not_a_file(path)) is not None:
        raise other
    existed = path.exists()
    store: HistoryStore | None = None
    aside: Path | None = None
    problem = ""
    try:
        if not existed:
            raise StoreDamaged(f"{path}: missing")
        store = HistoryStore(path)
        refused = store.catch_up(state_dir).refused
        return store, "; ".join(refused) or None
    except StoreDamaged as error:
        if store is not None:
            store.close()
        problem = _reason(error)
        if existed:
            with _sqlite_errors(path):
                aside = set_aside(path)
    except BaseException:
        if store is not None:
            store.close()
        raise
    store, result = rebuild(state_dir)
    fresh = result.earliest is None or (since is not None and result.earliest >= since)
    if not existed and fresh:
        return store, "; ".join(result.refused) or None  # a first start: nothing else to say
    kept = f", kept as {aside.name}" if aside is not None else ""
    why = "missing" if not existed else f"damaged ({problem}{kept})"
    skipped = f", {result.damaged} damaged lines skipped" if result.damaged else ""
    return store, "; ".join(
        [
            f"{path}: history store {why}; rebuilt from the event log "
            f"({result.events} events{skipped})",
            *result.refused,
        ]
    )


def _reason(error: Exception) -> str:
    text = str(error)
    return text.split(": ", 1)[1] if text.startswith(("/", ".")) and ": " in text else text


def open_for_reading(state_dir: Path) -> tuple[HistoryStore, str | None]:
    """``open_store``, or, where this user may not write (the service's directory, as a
    ``socket_group`` operator), the store as it is, read-only, and when there is none to read,
    one built in memory from the log files (never in the state directory). Raises StoreBusy
    when another process holds it locked, StoreNotAFile for a directory in its place, and
    StoreDamaged when there is nothing to read."""
    path = store_path(state_dir)
    try:
        return open_store(state_dir)
    except StoreReadOnly as error:
        why = _reason(error)
    with contextlib.suppress(StoreDamaged, StoreReadOnly):
        if path.exists():
            store = HistoryStore(path, readonly=True)
            return store, f"{path}: read as it is, not updated from the event log ({why})"
    store = HistoryStore(path, memory=True)
    result = store.catch_up(state_dir)
    return store, "; ".join(
        [
            f"{path}: cannot be written or read here ({why}); built in memory from the event "
            f"log ({result.events} events)",
            *result.refused,
        ]
    )
