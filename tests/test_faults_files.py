"""Fault suite (issue 11): files that survive damage.

The event log holds whole lines or nothing and its readers skip damaged lines; a state file
that does not validate is set aside; the lock needs no free space; every reader is bounded and
takes regular files only.
"""

import asyncio
import errno
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.fake_rte import production_body
from support.service import RTE_ENV, at, config_document, make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.config_file import load_config
from tui.adapters.rte.cache import BodyCache
from tui.adapters.rte.ecowatt import cache_path
from tui.adapters.sources.factory import make_source
from tui.adapters.stores import eventlog as eventlog_module
from tui.adapters.stores import lock as lock_module
from tui.adapters.stores.eventlog import LOG_NAME, EventLog, ReadStats, iter_events, read_events
from tui.adapters.stores.lock import AlreadyRunning, ServiceLock
from tui.adapters.stores.state import STATE_NAME, StateStore
from tui.adapters.user_files import read_user_file
from tui.compose.service import serve
from tui.core.config import Config, config_from_dict
from tui.core.errors import InputError
from tui.core.events import parse_event
from tui.core.forecast import PARIS
from tui.core.policy import Override, RelayHistory

DAY = at("2026-12-02T00:00:00+01:00")
EVENT = {"ts": "2026-12-02T07:45:00+01:00", "kind": "relay", "channel": 0, "powered": False}


def _saved_state(state: Path) -> tuple[dict[int, Override], dict[int, RelayHistory]]:
    overrides = {1: Override(powered=True, since=DAY, until=DAY + timedelta(days=3))}
    history = {
        2: RelayHistory(
            powered=False,
            last_on=DAY - timedelta(hours=1),
            last_off=DAY + timedelta(hours=15, minutes=58),
            switches=(DAY - timedelta(hours=1), DAY + timedelta(hours=15, minutes=58)),
            latched=True,
        )
    }
    StateStore(state).save(overrides, history)
    return overrides, history


def _latching_config(state: Path) -> Config:
    """Borne VE (channel 2) stays cut after a shed until released: its latch must survive."""
    document = config_document(state)
    document["channel"][2]["auto_restore"] = False
    return config_from_dict(document, path="test.toml")


DAMAGE: dict[str, Any] = {
    "half object": b'{"ts":"2026-12-02T07:00:00+01:00","kind":"rel',
    "NUL tail": b"\x00" * 4096,
    "binary": bytes(range(256)) * 4,
    "not an object": b"[1, 2, 3]\n42\n",
    "deep nesting": b"[" * 100_000 + b"\n",
    "line too long": b'{"ts": "x", "kind": "relay", "pad": "' + b"x" * 200_000 + b'"}\n',
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
async def test_a_damaged_event_log_is_skipped_counted_and_state_survives(
    tmp_path: Path, damage: str
) -> None:
    """Issue 11 #2: one damaged line made the service fail to start and lose its state."""
    state = tmp_path / "state"
    state.mkdir()
    good = json.dumps(EVENT).encode() + b"\n"
    (state / LOG_NAME).write_bytes(good + DAMAGE[damage] + b"\n" + good)
    overrides, history = _saved_state(state)
    clock = ManualClock(DAY + timedelta(hours=16))
    controller, _ = make_controller(_latching_config(state), clock)
    async with running(controller):
        assert controller.overrides == overrides
        assert controller.history[2].switches == history[2].switches
        assert controller.history[2].latched
        reports = [
            e
            for e in [event.to_dict() for event in controller.events.recent]
            if e.get("what") == "events"
        ]
        assert len(reports) == 1 and "damaged line(s) skipped" in reports[0]["message"]
    stats = ReadStats()
    events = [event.to_dict() for event in read_events(state, stats)]
    assert stats.skipped >= 1
    assert events[:2] == [EVENT, EVENT] and events[-1]["kind"] == "stop"
    # The damage stays confined: every line after it is whole.
    tail = (state / LOG_NAME).read_bytes().split(DAMAGE[damage].rstrip(b"\n"))[-1]
    assert all(json.loads(line) for line in tail.splitlines()[1:] if line.strip())


async def test_an_event_log_that_is_a_directory_does_not_stop_the_service(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    (state / LOG_NAME).mkdir(parents=True)
    overrides, _ = _saved_state(state)
    clock = ManualClock(DAY + timedelta(hours=9))  # red: relays must move
    controller, board = make_controller(make_config(state), clock)
    async with running(controller):
        assert controller.overrides == overrides
        assert board.state(0) is False  # Chauffe-eau cut for red
        reports = [
            e["message"]
            for e in [event.to_dict() for event in controller.events.recent]
            if e.get("what") == "events"
        ]
        assert any("not a regular file" in message for message in reports)
    saved, _, problem = StateStore(state).load()
    assert problem is None and saved == overrides


def test_a_short_write_is_cut_back_so_the_log_holds_whole_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports: list[str] = []
    log = EventLog(tmp_path, report=reports.append)
    log.write(parse_event({**EVENT, "n": 1}))
    real_write = os.write

    def half(fd: int, data: bytes) -> int:
        return real_write(fd, data[: len(data) // 2])  # a full disk takes half, then no more

    monkeypatch.setattr(eventlog_module.os, "write", half)
    log.write(parse_event({**EVENT, "n": 2}))
    monkeypatch.undo()
    log.write(parse_event({**EVENT, "n": 3}))
    log.close()
    text = (tmp_path / LOG_NAME).read_bytes()
    assert text.endswith(b"\n")
    assert [json.loads(line)["n"] for line in text.splitlines()] == [1, 3]
    assert len(reports) == 2 and "short write" in reports[0] and "again" in reports[1]


def test_when_the_cut_back_fails_too_the_next_line_starts_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = EventLog(tmp_path, report=lambda message: None)
    log.write(parse_event({**EVENT, "n": 1}))
    real_write = os.write

    def half(fd: int, data: bytes) -> int:
        return real_write(fd, data[: len(data) // 2])

    def no_truncate(fd: int, size: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(eventlog_module.os, "write", half)
    monkeypatch.setattr(eventlog_module.os, "ftruncate", no_truncate)
    log.write(parse_event({**EVENT, "n": 2}))  # half a line stays on disk
    monkeypatch.undo()
    log.write(parse_event({**EVENT, "n": 3}))
    log.close()
    stats = ReadStats()
    assert [
        event["n"] for event in [event.to_dict() for event in read_events(tmp_path, stats)]
    ] == [1, 3]
    assert stats.skipped == 1


def test_a_log_left_mid_line_by_a_crash_is_mended_on_the_next_write(tmp_path: Path) -> None:
    (tmp_path / LOG_NAME).write_bytes(json.dumps(EVENT).encode() + b'\n{"ts":"2026-12')
    log = EventLog(tmp_path)
    log.write(parse_event({**EVENT, "n": 9}))
    log.close()
    stats = ReadStats()
    assert [
        event.get("n") for event in [event.to_dict() for event in read_events(tmp_path, stats)]
    ] == [None, 9]
    assert stats.skipped == 1


def test_the_tolerant_reader_reads_any_path_without_raising(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, problem in (
        (tmp_path / "missing", None),
        (tmp_path, "not a regular file"),
        (fifo, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
    ):
        stats = ReadStats()
        assert list(iter_events(path, stats)) == []
        assert stats.problems == ([problem] if problem else [])


STATE_DAMAGE: dict[str, bytes] = {
    "naive timestamps": json.dumps(
        {"overrides": {"1": {"powered": True, "since": "2026-12-02T10:00:00", "until": None}}}
    ).encode(),
    "null in switches": json.dumps(
        {"history": {"2": {"powered": False, "switches": [None, "2026-12-02T10:00:00+01:00"]}}}
    ).encode(),
    "deep nesting": b'{"history": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "year 9999": json.dumps(
        {"history": {"2": {"powered": False, "last_off": "9999-12-31T23:59:59+00:00"}}}
    ).encode(),
    "channel 99": json.dumps({"history": {"99": {"powered": True}}}).encode(),
    "powered as text": json.dumps({"history": {"2": {"powered": "yes"}}}).encode(),
    "a list": b"[]",
    "half written": b'{"version": 1, "overr',
    "too big": b'{"pad": "' + b"x" * 2_000_000 + b'"}',
}


@pytest.mark.parametrize("damage", list(STATE_DAMAGE), ids=list(STATE_DAMAGE))
async def test_state_that_does_not_validate_is_set_aside_and_the_start_goes_on(
    tmp_path: Path, damage: str
) -> None:
    """Issue 11 #6: naive times, null switches or deep nesting crashed every start."""
    state = tmp_path / "state"
    state.mkdir()
    (state / STATE_NAME).write_bytes(STATE_DAMAGE[damage])
    clock = ManualClock(DAY + timedelta(hours=9))
    controller, board = make_controller(make_config(state), clock)
    async with running(controller):
        assert board.state(0) is False  # red: the loop runs and cuts
        reports = [
            e["message"]
            for e in [event.to_dict() for event in controller.events.recent]
            if e.get("what") == "state"
        ]
        assert len(reports) == 1 and "kept as state.json.unreadable" in reports[0]
    assert (state / f"{STATE_NAME}.unreadable").read_bytes() == STATE_DAMAGE[damage]
    _, _, problem = StateStore(state).load()
    assert problem is None  # the new state.json is whole


def test_a_state_path_that_is_a_directory_or_a_fifo_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / STATE_NAME).mkdir()
    assert StateStore(tmp_path).load()[2] is not None
    assert (tmp_path / f"{STATE_NAME}.unreadable").is_dir()
    os.mkfifo(tmp_path / STATE_NAME)
    problem = StateStore(tmp_path).load()[2]  # must not block
    assert problem is not None and "not a regular file" in problem


def test_the_lock_holds_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11 #3: writing the PID on a full disk made the start fail."""

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lock_module.os, "pwrite", full)
    monkeypatch.setattr(lock_module.os, "ftruncate", full)
    first = ServiceLock(tmp_path)
    first.acquire()
    assert first.held
    with pytest.raises(AlreadyRunning):
        ServiceLock(tmp_path).acquire()
    first.release()
    ServiceLock(tmp_path).acquire()


def test_the_lock_falls_back_to_the_directory_when_no_file_can_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def no_inodes(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith("delestage.pid"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, flags, *args)

    monkeypatch.setattr(lock_module.os, "open", no_inodes)
    first = ServiceLock(tmp_path)
    first.acquire()
    with pytest.raises(AlreadyRunning):
        ServiceLock(tmp_path).acquire()
    first.release()


def test_a_clean_stop_leaves_no_stale_pid_and_a_restart_takes_the_lock(tmp_path: Path) -> None:
    lock = ServiceLock(tmp_path)
    lock.acquire()
    assert (tmp_path / "delestage.pid").read_text().strip() == str(os.getpid())
    lock.release()
    again = ServiceLock(tmp_path)
    again.acquire()
    again.release()


@pytest.mark.parametrize("where", ["a file", "NUL"])
def test_an_unusable_state_dir_is_one_line(tmp_path: Path, where: str) -> None:
    target = tmp_path / "state"
    if where == "a file":
        target.write_text("")
    else:
        target = Path(str(target) + "\0x")
    with pytest.raises(InputError) as raised:
        ServiceLock(target).acquire()
    assert len(raised.value.problems) == 1


def test_readers_take_regular_files_only_and_are_bounded(tmp_path: Path) -> None:
    """Issue 11 #12: /dev/zero read until MemoryError, a FIFO hung."""
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        with pytest.raises(InputError, match="not a regular file"):
            read_user_file(path, "forecast file")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 100)
    with pytest.raises(InputError, match="larger than 50 bytes"):
        read_user_file(big, "forecast file", limit=50)


def test_a_toml_nested_too_deep_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError) as raised:
        load_config(path)
    assert raised.value.problems == [f"{path}: not valid TOML: tables or arrays nested too deep"]


async def test_a_control_socket_path_that_is_a_directory_leaves_the_loop_running(
    tmp_path: Path,
) -> None:
    """Issue 11 #12: `control.sock` being a directory was a traceback; the socket is not
    essential, so the service drives the relays without it and says so."""
    state = tmp_path / "state"
    (state / "control.sock").mkdir(parents=True)
    clock = ManualClock(DAY + timedelta(hours=9))  # red
    controller, board = make_controller(make_config(state), clock)
    task = asyncio.create_task(serve(controller))
    await asyncio.wait_for(controller.started.wait(), 10)
    for _ in range(50):
        if any(
            e.get("what") == "socket"
            for e in [event.to_dict() for event in controller.events.recent]
        ):
            break
        await asyncio.sleep(0.05)
    reports = [
        e["message"]
        for e in [event.to_dict() for event in controller.events.recent]
        if e.get("what") == "socket"
    ]
    assert len(reports) == 1 and "cannot create the control socket" in reports[0]
    assert "running without it" in reports[0]
    assert board.state(0) is False  # and the loop cut for red all the same
    controller.stop()
    await asyncio.wait_for(task, 10)


def test_a_cached_forecast_fetched_in_the_future_is_refreshed_now(tmp_path: Path) -> None:
    """Issue 11 #5: a clock stepped back left a cache "fetched" tomorrow, and refreshes
    stopped silently."""
    now = DAY + timedelta(hours=10)
    config = make_config(tmp_path, source="rte", base_url="http://127.0.0.1:9")
    source = make_source(config, tmp_path, environ=RTE_ENV)
    body = json.dumps(production_body(DAY.astimezone(PARIS).date()))
    BodyCache(cache_path(tmp_path, "rte"), "rte").save(body, now + timedelta(days=1))
    assert source.load_cached(now) is not None
    assert source.next_refresh(now) <= now + timedelta(minutes=15)  # the quota's gap at most


def test_events_with_an_unusable_time_are_skipped_as_damaged(tmp_path: Path) -> None:
    """The UI and `history` turn every `ts` into Paris time: year 1 would overflow there."""
    lines = [
        {"ts": "0001-01-01T00:00:00+01:00", "kind": "start"},
        {"ts": "9999-12-31T23:59:59-01:00", "kind": "start"},
        {"ts": "2026-12-02T10:00:00", "kind": "start"},
        EVENT,
    ]
    (tmp_path / LOG_NAME).write_text("".join(json.dumps(line) + "\n" for line in lines))
    stats = ReadStats()
    assert [event.to_dict() for event in read_events(tmp_path, stats)] == [EVENT]
    assert stats.skipped == 3


def test_a_damaged_state_file_is_restored_from_its_copy(tmp_path: Path) -> None:
    """Damage to state.json (an editor, a bad block, a full disk mid-edit) loses nothing that
    the copy written with every save still holds."""
    overrides, history = _saved_state(tmp_path)
    (tmp_path / STATE_NAME).write_bytes(b'{"version": 1, "overr')
    restored, restored_history, problem = StateStore(tmp_path).load()
    assert restored == overrides and restored_history == history
    assert problem is not None and "restored from state.json.prev" in problem
    assert (tmp_path / f"{STATE_NAME}.unreadable").read_bytes() == b'{"version": 1, "overr'
    (tmp_path / "state.json.prev").write_bytes(b"\x00" * 10)
    _saved_state(tmp_path)
    (tmp_path / STATE_NAME).write_bytes(b"")
    assert StateStore(tmp_path).load()[0] == overrides  # every save rewrites the copy
