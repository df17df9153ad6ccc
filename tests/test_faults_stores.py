"""Fault suite (issue 20): the stores and the state directory.

A history store that is only busy, read-only or not a file is never treated as damaged; real
damage is set aside (kept as ``.damaged``) and rebuilt. No file in the state directory is
opened through a symbolic link, and a state directory others may write (or another user owns)
is refused at start and by `check`. A quota file replaced by a directory is one line.

Real parts: an SQLite lock held by another process (``BEGIN EXCLUSIVE``), files and
directories this process may not write (``support.privileges`` keeps root to the file modes),
a directory where the store belongs.
"""

import asyncio
import contextlib
import grp
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.privileges import unprivileged
from support.service import at, config_document, make_config, make_controller, run_cli, write_config

from tui.adapters.clock import ManualClock
from tui.adapters.rte.quota import QuotaGate
from tui.adapters.state_dir import state_dir_safety
from tui.adapters.stores import history as history_module
from tui.adapters.stores.eventlog import LOG_NAME, EventLog, ReadStats, iter_events, read_events
from tui.adapters.stores.history import (
    HistoryStore,
    StoreBusy,
    StoreNotAFile,
    open_for_reading,
    open_store,
    store_path,
)
from tui.adapters.stores.lock import LOCK_NAME
from tui.adapters.stores.state import STATE_NAME
from tui.adapters.user_files import read_regular_file
from tui.compose.service import serve
from tui.core.events import parse_event
from tui.core.forecast import PARIS
from tui.service.history_view import channel_infos, recorded_rows

DAY = at("2026-12-02T00:00:00+01:00")
PAST = datetime(2026, 1, 5, tzinfo=PARIS)

# Another process takes the store's exclusive lock, says so, and holds it until its stdin closes.
LOCKER = (
    "import sqlite3, sys\n"
    "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "db.execute('BEGIN EXCLUSIVE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[subprocess.Popen[str]]:
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    try:
        yield holder
    finally:
        unlock(holder)


def unlock(holder: subprocess.Popen[str]) -> None:
    if holder.returncode is None and holder.stdin is not None and not holder.stdin.closed:
        holder.stdin.close()
        holder.wait(10)


def log_switches(directory: Path, days: int = 3, first: int = 0) -> int:
    """A log of ``days`` past days from PAST + ``first`` days, each cut 10:00-12:00 on
    channel 0; the number of events."""
    log = EventLog(directory)
    count = 0
    for day in range(first, first + days):
        start = PAST + timedelta(days=day, hours=10)
        for hour, powered in ((0, False), (2, True)):
            ts = (start + timedelta(hours=hour)).isoformat()
            log.write(
                parse_event(
                    {"ts": ts, "kind": "relay", "channel": 0, "powered": powered, "reason": "r"}
                )
            )
            count += 1
    log.close()
    return count


def one_channel(config: Path, state: Path) -> None:
    config.write_text(
        f'[service]\nstate_dir = "{state}"\n[[channel]]\nindex = 0\nname = "C"\nshed_at = "red"\n'
    )


def marks_in(path: Path) -> int:
    store = HistoryStore(path, readonly=True)
    try:
        return len(store.marks(0, 2e9, [0]))
    finally:
        store.close()


def run_child(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=unprivileged,
    )


@pytest.fixture
def quick_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_module, "BUSY_TIMEOUT", 0.3)


# -- busy -------------------------------------------------------------------------------------


def test_a_store_locked_by_another_process_is_busy_never_rebuilt(
    tmp_path: Path, quick_busy: None
) -> None:
    events = log_switches(tmp_path)
    store, _ = open_store(tmp_path)
    store.close()
    path = store_path(tmp_path)
    before = path.read_bytes()
    assert marks_in(path) == events
    with locked(path):
        with pytest.raises(StoreBusy, match="busy"):
            open_store(tmp_path)
        with pytest.raises(StoreBusy):
            open_for_reading(tmp_path)  # what `history` does: the same, never "nothing yet"
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []
    # Once the lock is gone, everything is still there.
    store, message = open_store(tmp_path)
    store.close()
    assert message is None
    assert marks_in(path) == events


async def test_the_service_waits_out_a_locked_store_and_loses_nothing(
    tmp_path: Path, quick_busy: None
) -> None:
    """The service starts while another process holds the store: it says "busy" once, records
    again when the lock is gone (with what was logged meanwhile), and keeps every old mark."""
    state = tmp_path / "state"
    state.mkdir()
    old = log_switches(state)
    store, _ = open_store(state)
    store.close()
    path = store_path(state)
    clock = ManualClock(DAY, auto_advance=True)
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    clock.hold(gate)  # virtual time stands still until the busy store has been met
    controller, _ = make_controller(make_config(state), clock)
    with locked(path) as holder:
        task = asyncio.create_task(serve(controller, until=DAY + timedelta(hours=24)))
        for _ in range(500):
            if any(e.to_dict().get("what") == "history" for e in read_events(state)):
                break
            await asyncio.sleep(0.02)
        unlock(holder)
        gate.set_result(None)
        await asyncio.wait_for(task, 60)
    said = [
        e["message"]
        for e in (e.to_dict() for e in read_events(state))
        if e["kind"] == "error" and e.get("what") == "history"
    ]
    assert len(said) == 2, said  # the failure, then the recovery
    assert "busy" in said[0] and "locked by another process" in said[0]
    assert "damaged" not in said[0] and "rebuilt" not in said[0]
    assert "works again" in said[1]
    assert not list(state.glob("*.damaged*"))
    # Every old mark is there, and the live store agrees with a rebuild from the whole log.
    config = make_config(state)
    channels = channel_infos(config)
    first, last, end = PAST.date(), DAY.astimezone(PARIS).date(), DAY + timedelta(days=1)
    live = HistoryStore(path, readonly=True)
    fed = recorded_rows(live, channels, first, last, end)
    assert len(live.marks(0, 2e9, [0])) >= old
    live.close()
    copy = tmp_path / "copy"
    copy.mkdir()
    for log in state.glob("events.jsonl*"):
        (copy / log.name).write_bytes(log.read_bytes())
    rebuilt, _ = open_store(copy)
    assert recorded_rows(rebuilt, channels, first, last, end) == fed
    rebuilt.close()


def test_history_during_a_lock_says_busy_and_leaves_the_marks(tmp_path: Path) -> None:
    """The command as a user runs it, with its own 5 s wait: one line, exit 1, nothing lost."""
    events = log_switches(tmp_path)
    store, _ = open_store(tmp_path)
    store.close()
    config = tmp_path / "d.toml"
    one_channel(config, tmp_path)
    day = ["--from", PAST.date().isoformat(), "--to", (PAST.date() + timedelta(2)).isoformat()]
    with locked(store_path(tmp_path)):
        done = subprocess.run(
            [sys.executable, "-m", "tui", "history", "--config", str(config), *day],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "busy" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert marks_in(store_path(tmp_path)) == events


# -- damaged: set aside, kept ------------------------------------------------------------------


def test_a_damaged_store_is_kept_as_damaged_and_rebuilt(tmp_path: Path) -> None:
    log_switches(tmp_path)
    damaged = b"this is not SQLite" * 300
    store_path(tmp_path).write_bytes(damaged)
    store, message = open_store(tmp_path)
    store.close()
    assert message is not None and message.count("\n") == 0
    assert "damaged" in message and "kept as history.sqlite.damaged" in message
    assert (tmp_path / "history.sqlite.damaged").read_bytes() == damaged
    # A second damaged store does not overwrite the first one set aside.
    store_path(tmp_path).write_bytes(b"\0" * 5000)
    open_store(tmp_path)[0].close()
    assert (tmp_path / "history.sqlite.damaged").read_bytes() == damaged
    assert (tmp_path / "history.sqlite.damaged.1").read_bytes() == b"\0" * 5000


def test_a_malformed_store_is_damage(tmp_path: Path) -> None:
    events = log_switches(tmp_path)
    store, _ = open_store(tmp_path)
    store.close()
    path = store_path(tmp_path)
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # the header is fine, every page is garbage
    path.write_bytes(bytes(data))
    store, message = open_store(tmp_path)
    store.close()
    assert message is not None and "damaged" in message and f"({events} events" in message
    assert (tmp_path / "history.sqlite.damaged").exists()


# -- read-only ---------------------------------------------------------------------------------

OPEN_STORE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from tui.adapters.stores.history import open_store, StoreReadOnly\n"
    "try:\n"
    "    open_store(Path(sys.argv[1]))\n"
    "except StoreReadOnly as error:\n"
    "    print('read-only:', error)\n"
    "else:\n"
    "    print('opened')\n"
)


def test_a_store_this_user_may_not_write_is_read_only_not_damaged(tmp_path: Path) -> None:
    events = log_switches(tmp_path, days=2)
    store, _ = open_store(tmp_path)
    store.close()
    log_switches(tmp_path, days=1, first=2)  # more to catch up with: the store must be written
    path = store_path(tmp_path)
    before = path.read_bytes()
    path.chmod(0o444)
    done = run_child(OPEN_STORE, str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("read-only:") and "readonly" in done.stdout, done.stdout
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.damaged*"))
    assert marks_in(path) == events


HISTORY_JSON = (
    "import io, json, sys\n"
    "from tui.frontends.history_cmd import run_history\n"
    "out, err = io.StringIO(), io.StringIO()\n"
    "code = run_history(sys.argv[1], '2026-01-05', '2026-01-08', 'json', out, err)\n"
    "print(json.dumps({'code': code, 'out': out.getvalue(), 'err': err.getvalue()}))\n"
)


@pytest.mark.parametrize("store", ["present", "missing"])
def test_history_as_a_socket_group_operator_reads_without_writing(
    tmp_path: Path, store: str
) -> None:
    """The service's directory (0750) and store (0640) as a group member sees them: nothing
    there may be written. The command reads the store as it is, or builds one in memory when
    there is none; it writes nothing into the state directory."""

    state = tmp_path / "state"
    state.mkdir()
    log_switches(state)
    if store == "present":
        open_store(state)[0].close()
    log_switches(state, days=1, first=3)  # logged after the store was last caught up
    config = tmp_path / "d.toml"
    one_channel(config, state)
    for path in state.iterdir():
        path.chmod(0o440)
    state.chmod(0o550)
    try:
        before = sorted(p.name for p in state.iterdir())
        done = run_child(HISTORY_JSON, str(config))
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["code"] == 0, result["err"]
        assert sorted(p.name for p in state.iterdir()) == before
    finally:
        state.chmod(0o750)
    err = result["err"]
    assert err.count("\n") == 1, err
    if store == "present":
        assert "read as it is, not updated from the event log" in err
    else:
        assert "built in memory from the event log (8 events)" in err
    rows = json.loads(result["out"])["days"]
    # The store as it was, or everything the log holds.
    expected = [120, 120, 120, 0] if store == "present" else [120, 120, 120, 120]
    assert [row["cut_minutes"] for row in rows] == expected


# -- not a file --------------------------------------------------------------------------------


def test_a_directory_where_the_store_belongs_is_said_clearly(tmp_path: Path) -> None:
    log_switches(tmp_path)
    store_path(tmp_path).mkdir()
    with pytest.raises(StoreNotAFile, match="is a directory, not a history store"):
        open_store(tmp_path)
    config = tmp_path / "d.toml"
    one_channel(config, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tui", "history", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "is a directory, not a history store" in done.stderr
    assert "disk I/O" not in done.stderr
    assert store_path(tmp_path).is_dir()  # left as it is


def test_a_symlink_where_the_store_belongs_is_not_followed(tmp_path: Path) -> None:
    log_switches(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"precious")
    os.symlink(elsewhere, store_path(tmp_path))
    with pytest.raises(StoreNotAFile, match="symbolic link"):
        open_store(tmp_path)
    assert elsewhere.read_bytes() == b"precious"


# -- the log files a catch-up reads: no link followed, no FIFO waited on, bounded ---------------


def test_a_rotated_log_linked_elsewhere_is_not_counted_and_said(tmp_path: Path) -> None:
    """`events.jsonl.1` linked to a log outside the state directory: its switches were
    counted by `history`."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    outside = tmp_path / "outside"
    outside.mkdir()
    log_switches(outside, days=2, first=1)
    os.symlink(outside / LOG_NAME, state / f"{LOG_NAME}.1")
    log_switches(state, days=1)
    config = tmp_path / "d.toml"
    one_channel(config, state)
    done = run_child(HISTORY_JSON, str(config))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["code"] == 0, result["err"]
    assert [row["cut_minutes"] for row in json.loads(result["out"])["days"]] == [120, 0, 0, 0]
    assert f"{LOG_NAME}.1: not read (a symbolic link" in result["err"], result["err"]


def test_a_fifo_among_the_log_files_is_never_waited_on(tmp_path: Path) -> None:
    """`mkfifo events.jsonl.2`: `history` hung on it (and the service's catch-up with it, so
    that SIGTERM never ended the service)."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    os.mkfifo(state / f"{LOG_NAME}.2")
    log_switches(state, days=1)
    config = tmp_path / "d.toml"
    one_channel(config, state)
    done = subprocess.run(
        [sys.executable, "-c", HISTORY_JSON, str(config)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    result = json.loads(done.stdout)
    assert result["code"] == 0, result["err"]
    assert [row["cut_minutes"] for row in json.loads(result["out"])["days"]] == [120, 0, 0, 0]
    assert f"{LOG_NAME}.2: not read (not a regular file)" in result["err"], result["err"]


def test_a_catch_up_reads_a_huge_line_in_bounded_memory(tmp_path: Path) -> None:
    """A 10 MB line without a newline, then one with it, in a rotated file: read a chunk at
    a time (it was read whole), skipped as one damaged line, the events around it kept."""
    import tracemalloc

    events = log_switches(tmp_path, days=1)
    (tmp_path / LOG_NAME).rename(tmp_path / f"{LOG_NAME}.1")
    with (tmp_path / f"{LOG_NAME}.1").open("ab") as handle:
        handle.write(b"x" * 10_000_000 + b"\n")
    log_switches(tmp_path, days=1, first=1)
    with (tmp_path / LOG_NAME).open("ab") as handle:
        handle.write(b"y" * 10_000_000)  # still being written, or a crash: no newline
    tracemalloc.start()
    try:
        store, _message = open_store(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, peak
    assert store.damaged_lines() == 1
    assert len(store.marks(0, 2e9, [0])) == 2 * events
    store.close()


def test_a_journal_linked_elsewhere_keeps_the_store_from_writing_through_it(
    tmp_path: Path,
) -> None:
    log_switches(tmp_path)
    open_store(tmp_path)[0].close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"precious")
    os.symlink(elsewhere, f"{store_path(tmp_path)}-journal")
    with pytest.raises(StoreNotAFile, match="-journal: is a symbolic link"):
        open_store(tmp_path)
    assert elsewhere.read_bytes() == b"precious"


# -- the state directory: no links followed, no directory others may write -------------------


def _service_config(tmp_path: Path, state: Path, **service: object) -> Path:
    document = config_document(state)
    document["service"].update(service)
    return write_config(tmp_path / "delestage.toml", document)


def test_a_pid_file_linked_to_another_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    """The lock (delestage.pid) linked to a copy of /etc/passwd: once truncated to 0 bytes."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    os.symlink(passwd, state / LOCK_NAME)
    done = run_cli("--headless", "--config", str(_service_config(tmp_path, state)))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "symbolic link" in done.stderr, done.stderr
    assert passwd.read_text() == "root:x:0:0:root:/root:/bin/bash\n"


def test_an_event_log_linked_elsewhere_is_never_appended_to(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    target.write_text("precious\n")
    os.symlink(target, state / LOG_NAME)
    log = EventLog(state, report=lambda _message: None)
    log.write(parse_event({"ts": PAST.isoformat(), "kind": "stop"}))
    log.close()
    assert log.failing
    assert target.read_text() == "precious\n"
    # Readers do not follow it either (`history` run as root would read any file).
    stats = ReadStats()
    assert list(iter_events(state / LOG_NAME, stats)) == []
    assert stats.problems and "symbolic link" in stats.problems[0]


def test_state_cache_and_quota_files_are_never_read_or_written_through_a_link(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    target.write_text("precious\n")
    for name in (STATE_NAME, "ecowatt-quota.json", "ecowatt-quota.lock"):
        os.symlink(target, state / name)
    with pytest.raises(OSError, match=r"symbolic link, never followed"):
        read_regular_file(state / STATE_NAME, 4096, follow=False)
    gate = QuotaGate(state)
    now = at("2026-12-02T10:00:00+01:00")
    # The linked quota file reads as damage (a call just made: fail safe), and is replaced by
    # a file of its own, never written through.
    assert gate.try_reserve(now) is not None
    assert not (state / "ecowatt-quota.json").is_symlink()
    assert gate.try_reserve(now + timedelta(minutes=16)) is None
    assert target.read_text() == "precious\n"


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o703])
def test_a_state_directory_others_may_write_is_refused_at_start_and_by_check(
    tmp_path: Path, mode: int
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(mode)
    config = _service_config(tmp_path, state)
    done = run_cli("--headless", "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and f"(mode {mode:04o})" in done.stderr, done.stderr
    assert "chmod 700" in done.stderr
    assert list(state.iterdir()) == []  # refused before anything was written there
    check = run_cli("check", "--config", str(config))
    assert check.returncode == 1
    line = next(line for line in check.stdout.splitlines() if line.startswith("service"))
    assert "FAIL" in line and "writable by" in line


def test_the_socket_group_setup_may_let_its_group_write(tmp_path: Path) -> None:
    """The documented exception: with [service] socket_group, a directory of that group may be
    group-writable (its members operate the service); others still may not."""
    state = tmp_path / "state"
    state.mkdir()
    group = grp.getgrgid(os.getegid()).gr_name
    os.chown(state, -1, os.getegid())
    state.chmod(0o770)
    assert state_dir_safety(state, socket_group=group) == []
    assert state_dir_safety(state) != []
    state.chmod(0o772)
    assert "writable by others" in state_dir_safety(state, socket_group=group)[0]


def test_a_state_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        state = tmp_path / "state"
        state.mkdir(mode=0o700)
        os.chown(state, 65534, -1)
    else:
        state = Path("/")  # root's, wherever the suite runs
    problems = state_dir_safety(state)
    assert problems and "belongs to" in problems[0] and "not to this service's user" in problems[0]


def test_a_state_directory_that_is_a_link_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    os.symlink(real, tmp_path / "state")
    assert "symbolic link" in state_dir_safety(tmp_path / "state")[0]


# -- a quota file replaced by a directory ---------------------------------------------------------


def test_a_quota_file_that_is_a_directory_is_one_line_and_the_quota_still_holds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "ecowatt-quota.json").mkdir()
    gate = QuotaGate(tmp_path)
    now = at("2026-12-02T10:00:00+01:00")
    with caplog.at_level("WARNING", logger="tui.rte.quota"):
        assert gate.try_reserve(now) is None  # the first call goes out: the forecast refreshes
        assert gate.try_reserve(now + timedelta(minutes=5)) is not None  # the quota holds
        assert gate.try_reserve(now + timedelta(minutes=16)) is None  # and the next refresh
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 1 and "is a directory, not the quota file" in said[0], said


def test_a_state_file_linked_elsewhere_is_set_aside_not_read_or_written(tmp_path: Path) -> None:
    from tui.adapters.stores.state import StateStore

    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.json"
    target.write_text("precious\n")
    os.symlink(target, state / STATE_NAME)
    store = StateStore(state)
    overrides, _, problem = store.load()
    assert overrides == {}
    assert problem is not None and "unreadable state" in problem
    store.save({}, {})
    assert not (state / STATE_NAME).is_symlink()
    assert target.read_text() == "precious\n"
