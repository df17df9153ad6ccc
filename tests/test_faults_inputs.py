"""Fault suite (issue 11): bad input from every source is one clear line, and the loop goes on.

Times and durations from the socket, the command line, RTE's headers and forecast bodies are
bounded by the one parser (tui.core.durations); names are NFC and free of control characters.
"""

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from service_support import at, config_document, make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.rte.session import MAX_RETRY_AFTER, parse_retry_after
from tui.core.config import LogFormat, config_from_dict
from tui.core.durations import MAX_HORIZON, parse_hold, parse_time
from tui.core.errors import InputError
from tui.core.events import parse_event
from tui.core.signals import ForecastFormatError, parse_signals
from tui.frontends.cli import main
from tui.frontends.control_cmds import parse_for, parse_until, resolve_channel
from tui.frontends.headless import EventPrinter
from tui.frontends.plan_cmd import parse_from
from tui.service.control_socket import ControlServer, socket_path
from tui.service.preflight import service_problems

DAY = at("2026-12-02T00:00:00+01:00")
NOW = DAY + timedelta(hours=15)


async def _ask(path: Path, raw: bytes) -> dict[str, Any]:
    reader, writer = await asyncio.open_unix_connection(str(path), limit=1 << 20)
    try:
        writer.write(raw + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    assert line, f"no reply to {raw[:60]!r}"
    return json.loads(line)


FUZZ: dict[str, bytes] = {
    "seconds 1e-9": b'{"op": "force", "channel": 1, "powered": false, "seconds": 1e-9}',
    "seconds NaN": b'{"op": "force", "channel": 1, "powered": false, "seconds": NaN}',
    "seconds Infinity": b'{"op": "force", "channel": 1, "powered": false, "seconds": Infinity}',
    "seconds 1e300": b'{"op": "force", "channel": 1, "powered": false, "seconds": 1e300}',
    "seconds 2**80": b'{"op": "force", "channel": 1, "powered": false, "seconds": '
    + str(2**80).encode()
    + b"}",
    "seconds -1": b'{"op": "force", "channel": 1, "powered": false, "seconds": -1}',
    "seconds 30": b'{"op": "force", "channel": 1, "powered": false, "seconds": 30}',
    "until 9999": b'{"op": "force", "channel": 1, "powered": false, '
    b'"until": "9999-12-31T23:59:59+00:00"}',
    "until year 1": b'{"op": "force", "channel": 1, "powered": false, '
    b'"until": "0001-01-01T00:00:00+00:00"}',
    "until naive": b'{"op": "force", "channel": 1, "powered": false, "until": "2026-12-03T10:00"}',
    "until a number": b'{"op": "force", "channel": 1, "powered": false, "until": 1e300}',
    "channel 2**80": b'{"op": "force", "channel": ' + str(2**80).encode() + b', "powered": true}',
    "nested 30000": b'{"op": ' * 30_000 + b"1" + b"}" * 30_000,
    "array nested 30000": b"[" * 30_000 + b"]" * 30_000,
    "binary": bytes(range(1, 10)) + b"\xff\xfe",
    "not an object": b"42",
    "unknown op": b'{"op": "reboot"}',
}


async def test_socket_garbage_gets_one_line_each_and_the_loop_goes_on(tmp_path: Path) -> None:
    """Issue 11 #1 and #11: NaN, 1e300, 1e-9, 9999, deep nesting over the socket."""
    state = tmp_path / "s"
    clock = ManualClock(NOW)
    controller, _ = make_controller(make_config(state), clock)
    async with running(controller):
        await controller.force(2, False, duration=timedelta(hours=3))
        before = dict(controller.overrides)
        server = ControlServer(controller, socket_path(state))
        await server.start()
        try:
            for name, raw in FUZZ.items():
                reply = await _ask(socket_path(state), raw)
                assert reply["ok"] is False, name
                assert "internal error" not in reply["error"], (name, reply)
                assert "\n" not in reply["error"]
            assert controller.overrides == before  # nothing saved, nothing widened
            snapshot = await _ask(socket_path(state), b'{"op": "snapshot"}')
            assert snapshot["ok"] is True
            clock.advance(3 * 3600 + 120)  # the real override expires on time
            await controller.refresh()
            assert controller.overrides == {}
        finally:
            await server.close()


async def test_a_request_in_flight_at_stop_gets_a_reply(tmp_path: Path) -> None:
    """Issue 11 #10: a client in flight at SIGTERM got an empty reply."""
    state = tmp_path / "s"
    clock = ManualClock(NOW)
    controller, _ = make_controller(make_config(state), clock)
    hang = asyncio.Event()

    async def never(now: datetime, *, manual: bool = False) -> Any:
        await hang.wait()

    task = asyncio.create_task(controller.run())
    await asyncio.wait_for(controller.started.wait(), 10)
    controller.source.refresh = never  # type: ignore[method-assign]
    server = ControlServer(controller, socket_path(state))
    await server.start()
    asking = asyncio.create_task(_ask(socket_path(state), b'{"op": "refresh"}'))
    await asyncio.sleep(0.2)
    controller.stop()
    await asyncio.wait_for(task, 10)
    await server.close()
    reply = await asyncio.wait_for(asking, 10)
    assert reply == {"ok": False, "error": "the service is stopping; try again"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9999-12-31T23:59:59+00:00", "a time between 2000 and 2099"),
        ("2028-01-01T00:00+01:00", "a time at most 366d ahead"),
        ("0001-01-01T00:00", "a time between 2000 and 2099"),
        ("25:00", "a time like 14:30"),
        ("1430", "a bare number is ambiguous"),
        ("tomorrow", "a time like 14:30"),
    ],
)
def test_until_is_bounded(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_until(text, NOW)


def test_times_are_written_the_french_way_too() -> None:
    assert parse_until("14h30", NOW) == parse_until("14:30", NOW)
    assert parse_from("17h00", NOW) == datetime(2026, 12, 2, 16, tzinfo=UTC)
    assert parse_hold("16h45", NOW) == datetime(2026, 12, 2, 15, 45, tzinfo=UTC)
    assert parse_time("2026-12-03T08:00", NOW) == datetime(2026, 12, 3, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("90", "a bare number is ambiguous"),
        ("30s", "an override of at least 1m"),
        ("500ms", "an override of at least 1m"),
        ("367d", "at most 366d"),
        ("-5m", "a positive duration"),
    ],
)
def test_for_is_bounded_and_never_widened_to_until_released(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_for(text)
    with pytest.raises(ValueError):
        parse_hold(text, NOW)
    assert parse_for("0s") == timedelta(0)  # the explicit "until released"
    assert parse_for("366d") == MAX_HORIZON


@pytest.mark.parametrize("option", ["--for", "--until"])
def test_a_value_starting_with_a_dash_gets_its_own_message(
    option: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 11 #14: `--for -5m` said "expected one argument"."""
    config = tmp_path / "delestage.toml"
    config.write_text((Path(__file__).parent.parent / "delestage.toml").read_text())
    assert main(["force", "0", "off", option, "-5m", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{option}: expected") and len(err.splitlines()) == 1


@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:00"])
def test_plan_from_far_years_is_one_line(start: str) -> None:
    with pytest.raises(InputError, match="--from: expected a time between 2000 and 2099"):
        parse_from(start, NOW)


@pytest.mark.parametrize("jour", ["0001-01-01T00:00:00+00:00", "9999-12-31T00:00:00+01:00"])
def test_a_forecast_day_in_year_1_or_9999_is_refused(jour: str) -> None:
    body = {"signals": [{"jour": jour, "values": [{"pas": 0, "hvalue": 1}]}]}
    with pytest.raises(ForecastFormatError, match=r"signals\[0\]\.jour: .*between 2000 and 2099"):
        parse_signals(body)


@pytest.mark.parametrize(
    "value", ["99999999999999999999", "86401", "Wed, 21 Oct 2099 07:28:00 GMT"]
)
def test_retry_after_is_bounded(value: str) -> None:
    """Issue 11 #11: a huge Retry-After raised OverflowError."""
    assert parse_retry_after(value, NOW) <= MAX_RETRY_AFTER


def test_names_are_matched_in_any_normal_form() -> None:
    """Issue 11 #14: a name typed in NFD was refused while the error showed the same name."""
    document = config_document(Path("/tmp/x"))
    document["channel"][0]["name"] = "Sèche-linge"
    config = config_from_dict(document)
    assert resolve_channel(config, "Se\u0300che-linge") == 0
    assert resolve_channel(config, "SÈCHE-LINGE") == 0


def test_control_characters_never_reach_the_headless_log() -> None:
    out = io.StringIO()
    printer = EventPrinter(out, LogFormat.TEXT)
    printer(
        parse_event(
            {"ts": NOW.isoformat(), "kind": "error", "what": "x", "message": "a\nb\x1b[2J\x07"}
        )
    )
    line = out.getvalue()
    assert line.count("\n") == 1 and "\x1b" not in line and "\x07" not in line
    assert "a\\x0ab\\x1b[2J\\x07" in line


def test_a_closed_stdout_is_raised_once_then_stays_failing() -> None:
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    printer = EventPrinter(Closed(), LogFormat.TEXT)
    event = parse_event({"ts": NOW.isoformat(), "kind": "start"})
    for _ in range(2):
        with pytest.raises(BrokenPipeError):
            printer(event)


def test_check_refuses_what_the_service_would(tmp_path: Path) -> None:
    """Issue 11 #13: `check` said ok for an unknown socket_group or a state_dir that is a file."""
    as_file = tmp_path / "file"
    as_file.write_text("")
    cases = {
        "unknown group": (
            {"state_dir": str(tmp_path / "ok"), "socket_group": "no-such-grp"},
            "no group",
        ),
        "file": ({"state_dir": str(as_file)}, "is a file"),
        "too long": ({"state_dir": str(tmp_path / ("d" * 120))}, "too long for a Unix socket"),
    }
    for name, (service, words) in cases.items():
        document = config_document(tmp_path)
        document["service"] = service
        problems = service_problems(config_from_dict(document))
        assert any(words in problem for problem in problems), name
    document = config_document(tmp_path / "fine")
    assert service_problems(config_from_dict(document)) == []


def test_a_state_dir_with_nul_is_refused_by_the_configuration(tmp_path: Path) -> None:
    document = config_document(tmp_path)
    document["service"] = {"state_dir": "/tmp/a\x00b"}
    with pytest.raises(InputError, match=r"service\.state_dir: expected a string without control"):
        config_from_dict(document)


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"signals": ' + b"[" * 100_000])
def test_a_forecast_body_nested_too_deep_is_one_line(body: bytes) -> None:
    with pytest.raises(ForecastFormatError, match="nested too deep"):
        parse_signals(body)


@pytest.mark.parametrize("value", ["nan", "inf", "1e300", "-1", "soon", "601"])
def test_test_relays_hold_is_bounded(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A held-out class: `--hold nan` once reached time.sleep (ValueError), `inf` hung."""
    assert main(["test-relays", "--hold", value, "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--hold: expected a number of seconds from 0 to 600")


def test_a_generation_time_in_year_1_is_ignored_not_a_crash() -> None:
    body = {
        "signals": [
            {
                "GenerationFichier": "0001-01-01T00:00:00+01:00",
                "jour": "2026-12-02T00:00:00+01:00",
                "values": [{"pas": 0, "hvalue": 1}],
            }
        ]
    }
    assert parse_signals(body).generated is None
