"""The service's smaller parts: event log rotation, log lines, socket group, CLI time words."""

import asyncio
import grp
import io
import json
import os
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.service import fill_pipe, make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.stores import eventlog as eventlog_module
from tui.adapters.stores.eventlog import LOG_NAME, EventLog, read_events
from tui.adapters.stores.state import StateStore
from tui.core.config import LogFormat
from tui.core.errors import InputError
from tui.core.events import parse_event
from tui.frontends import control_cmds
from tui.frontends.control_cmds import parse_until, resolve_channel
from tui.frontends.event_text import event_line
from tui.frontends.headless import EventPrinter, StdoutStalled
from tui.service import remote as remote_module
from tui.service.control_socket import ControlServer, socket_path
from tui.service.remote import ServiceForbidden, connect

RELAY = {
    "ts": "2026-12-01T07:45:00+01:00",
    "kind": "relay",
    "channel": 0,
    "name": "Chauffe-eau",
    "powered": False,
    "reason": "red 08:00-13:00",
}


def test_event_log_rotates_by_size_and_keeps_a_few_whole_files(tmp_path: Path) -> None:
    log = EventLog(tmp_path, max_bytes=2_000, keep=3)
    for number in range(200):
        log.write(parse_event({**RELAY, "n": number}))
    log.close()
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [LOG_NAME, f"{LOG_NAME}.1", f"{LOG_NAME}.2", f"{LOG_NAME}.3"]
    numbers = []
    for name in reversed(names[1:]):
        numbers += [json.loads(line)["n"] for line in (tmp_path / name).read_text().splitlines()]
    numbers += [event["n"] for event in [event.to_dict() for event in read_events(tmp_path)]]
    assert numbers == list(range(numbers[0], 200))  # nothing lost or split inside the kept files
    assert all((tmp_path / name).stat().st_size <= 2_000 for name in names)


def test_headless_lines_are_readable_text_or_the_json_events() -> None:
    assert event_line(parse_event(RELAY)) == (
        "2026-12-01 07:45:00 relay    Chauffe-eau: CUT (red 08:00-13:00)"
    )
    text, as_json = io.StringIO(), io.StringIO()
    EventPrinter(text, LogFormat.TEXT)(parse_event(RELAY))
    EventPrinter(as_json, LogFormat.JSON)(parse_event(RELAY))
    assert text.getvalue() == event_line(parse_event(RELAY)) + "\n"
    assert json.loads(as_json.getvalue()) == RELAY


async def test_socket_group_makes_the_socket_group_accessible(tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    clock = ManualClock(datetime(2026, 12, 1, 12, tzinfo=UTC))
    state = tmp_path / "state"
    controller, _ = make_controller(make_config(state), clock)
    async with running(controller):
        server = ControlServer(controller, socket_path(state), group)
        await server.start()
        try:
            info = socket_path(state).stat()
            assert stat.S_IMODE(info.st_mode) == 0o660
            assert info.st_gid == os.getgid()
            assert stat.S_IMODE(state.stat().st_mode) == 0o750
        finally:
            await server.close()
        assert not socket_path(state).exists()
        with pytest.raises(InputError, match="socket_group: no group named 'no-such-group'"):
            await ControlServer(controller, socket_path(state), "no-such-group").start()


def test_until_takes_a_paris_time_or_iso() -> None:
    now = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 14:00 in Paris
    assert parse_until("14:30", now) == datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
    assert parse_until("13:30", now) == datetime(2026, 12, 2, 12, 30, tzinfo=UTC)  # tomorrow
    assert parse_until("2026-12-03T08:00", now) == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert parse_until("2026-12-03T08:00+00:00", now) == datetime(2026, 12, 3, 8, tzinfo=UTC)
    with pytest.raises(InputError, match="--until: expected a time like 14:30"):
        parse_until("half past two", now)
    assert parse_until("23:59", now) - now < timedelta(days=1)


def test_channels_are_named_by_index_or_name(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    assert resolve_channel(config, "2") == 2
    assert resolve_channel(config, "borne ve") == 2
    with pytest.raises(InputError, match="CH: no channel '7'"):
        resolve_channel(config, "7")


async def test_a_state_dir_too_deep_for_a_socket_is_one_clear_line(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 12, tzinfo=UTC))
    state = tmp_path / ("deep" * 30)
    controller, _ = make_controller(make_config(state), clock)
    async with running(controller):
        server = ControlServer(controller, socket_path(state))
        with pytest.raises(InputError, match="too long for a Unix socket"):
            await server.start()


def test_a_full_disk_skips_log_lines_but_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = EventLog(tmp_path)
    log.write(parse_event({**RELAY, "n": 1}))

    def full(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(eventlog_module.os, "write", full)
        log.write(parse_event({**RELAY, "n": 2}))
        log.write(parse_event({**RELAY, "n": 3}))
    log.write(parse_event({**RELAY, "n": 4}))
    log.close()
    assert [event["n"] for event in [event.to_dict() for event in read_events(tmp_path)]] == [1, 4]
    assert capsys.readouterr().err.count("No space left on device") == 1


async def test_state_that_cannot_be_saved_is_reported_and_relays_still_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 14, tzinfo=UTC))
    state = tmp_path / "state"
    controller, board = make_controller(make_config(state), clock)

    def read_only(*args: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(StateStore, "save", read_only)
    async with running(controller):
        clock.advance(600)
        assert board.state(2) is True  # restored at start (wiring "no": energised = powered)
        await controller.force(2, False, duration=timedelta(minutes=30))
        assert board.state(2) is False
    problems = [
        e for e in [event.to_dict() for event in read_events(state)] if e.get("what") == "state"
    ]
    assert len(problems) == 1 and "Read-only file system" in problems[0]["message"]


def test_a_service_of_another_user_is_named_not_raced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root passes every permission check, so the refusal is simulated at the socket."""
    state = tmp_path / "state"
    state.mkdir()
    socket_path(state).touch()

    async def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(remote_module, "_connect", refused)
    with pytest.raises(ServiceForbidden, match="run as that user, or set \\[service\\]"):
        asyncio.run(connect(state))
    config = make_config(state)
    err = io.StringIO()
    assert control_cmds._link(config, err) is None
    assert "permission denied" in err.getvalue()


def test_a_stalled_stdout_drops_lines_says_so_once_and_counts_them_when_read_again() -> None:
    """The printer never blocks its caller: a full queue drops lines, raising only so that the
    containment reports the stall; once the reader is back the count of lost lines is printed."""
    read_end, write_end = os.pipe()
    fill_pipe(write_end)
    out = os.fdopen(write_end, "w")
    printer = EventPrinter(out, LogFormat.TEXT, queue_lines=3)
    raised: list[OSError] = []
    for _ in range(10):  # the writer holds one line, the queue three: the rest are dropped
        try:
            printer(parse_event(RELAY))
        except StdoutStalled as error:
            raised.append(error)
    assert raised and "stdout is not being read" in str(raised[0])
    assert printer.dropped == len(raised) >= 6

    received = bytearray()
    reader = threading.Thread(target=lambda: _read_all(read_end, received), daemon=True)
    reader.start()
    calls = 10
    deadline = time.monotonic() + 10
    while True:  # once the writer has made room, no error, and the loss is told in the output
        calls += 1
        try:
            printer(parse_event(RELAY))
            break
        except StdoutStalled:
            assert time.monotonic() < deadline, "the printer never recovered"
            time.sleep(0.05)
    printer.close()
    out.close()
    reader.join(10)
    text = received.decode()
    assert f"stdout is being read again: {printer.dropped} lines were dropped" in text
    assert text.count("Chauffe-eau: CUT") == calls - printer.dropped


def _read_all(fd: int, into: bytearray) -> None:
    while chunk := os.read(fd, 65536):
        into += chunk
    os.close(fd)
