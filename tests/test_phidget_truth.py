"""Issue 12: the 1017 and 1017_2 as the real Phidget22 library behaves (see the reference's
"Corrections and additions"), through the fake where a board is needed and through the real
library where none is."""

import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.fake_phidget import POOL_THREADS, FakeBoard, FakeUsb, make_board, wait_until
from support.real_phidget import absent_serial

from tui.adapters.boards.base import BoardEventKind, BoardLibraryMissing
from tui.adapters.boards.phidget_discovery import list_relay_boards
from tui.adapters.boards.phidget_lib import load_phidget22
from tui.core.config import (
    BoardConfig,
    BoardKind,
    ChannelConfig,
    Config,
    OnExit,
    ShedAt,
    config_from_dict,
)
from tui.core.errors import InputError
from tui.frontends.boards_cmd import check_board_line, run_boards
from tui.frontends.cli import main

# The real library, and the fake built on its exceptions (docs/testing.md).
pytestmark = pytest.mark.phidget_lib

SERIAL = 123456
ATTACHED, ERROR, FAILSAFE = BoardEventKind.ATTACHED, BoardEventKind.ERROR, BoardEventKind.FAILSAFE


def fake_config(**board: Any) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="a", shed_at=ShedAt.RED),),
        board=BoardConfig(kind=BoardKind.PHIDGET, serial=SERIAL, **board),
    )


# --- 1. the revision is told by capability, not by the SKU -------------------------------------


@pytest.mark.parametrize(
    ("revision", "told", "failsafe"),
    [("1017_2", "1017_2", True), ("1017_1", "1017_0/1017_1", False)],
)
def test_the_revision_is_told_by_capability_though_every_sku_is_1017(
    usb: FakeUsb, revision: str, told: str, failsafe: bool
) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision=revision))
    assert hardware.sku == "1017"
    board, events = make_board(usb)
    board.open(events)
    events.wait_for(lambda: bool(events.of(ATTACHED)))
    assert board.info().revision == told
    assert board.info().failsafe is failsafe
    assert f"Phidget {told} serial {SERIAL} attached" in events.of(ATTACHED)[0].message
    board.close(OnExit.RELEASE)

    ok, line = check_board_line(fake_config(), api=usb.api())
    assert ok, line
    assert line.startswith(f"Phidget {told} serial {SERIAL} found")
    assert ("hardware failsafe available" in line) is failsafe

    out = io.StringIO()
    assert run_boards(out, io.StringIO(), wait=0, api=usb.api()) == 0
    assert f"{SERIAL}  1017   PhidgetInterfaceKit 0/0/8  {told}" in out.getvalue()
    assert list_relay_boards(wait=0, api=usb.api()).boards[0].revision == told


def test_a_1017_2_with_a_failsafe_configured_enables_it(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    board, events = make_board(usb, failsafe=timedelta(seconds=2))
    board.open(events)
    events.wait_for(lambda: bool(events.of(ATTACHED)))
    usb.settle()
    assert hardware.failsafe_ms == {0: 2000, 1: 2000, 2: 2000}
    assert not [e for e in events.of(ERROR) if "no hardware failsafe" in e.message]


# --- 2. on_exit = "keep" and a failsafe ---------------------------------------------------------


def test_keep_with_a_failsafe_is_refused_in_one_line() -> None:
    document = {
        "board": {"kind": "phidget", "on_exit": "keep", "failsafe": "2s"},
        "channel": [{"index": 0, "name": "a", "shed_at": "red"}],
    }
    with pytest.raises(InputError) as refused:
        config_from_dict(document, path="site.toml")
    (line,) = refused.value.problems
    assert line.startswith('site.toml: board.on_exit: "keep" cannot be combined with a failsafe')
    assert "persistence" in line


def test_check_refuses_keep_with_a_failsafe_with_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text(
        '[board]\nkind = "simulated"\non_exit = "keep"\nfailsafe = "1s"\n\n'
        '[[channel]]\nindex = 0\nname = "a"\nshed_at = "red"\n'
    )
    assert main(["check", "--config", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "board.on_exit" in line and "failsafe" in line


def test_a_tripped_persistent_channel_is_reopened_without_persistence_once(
    usb: FakeUsb,
) -> None:
    """Refused in the configuration, but a board opened so (by hand, an older config) must not
    loop on "Failsafe Triggered": persistence would keep the trip through close and reopen."""
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    board, events = make_board(
        usb, channels=(0,), on_exit=OnExit.KEEP, failsafe=timedelta(seconds=1)
    )
    board.open(events)
    events.wait_for(lambda: bool(events.of(ATTACHED)))
    board.set_relay(0, True)
    channel = usb.channel(0)
    usb.trip_failsafe(SERIAL, 0)
    wait_until(lambda: board.relay(0) is False and channel.opens == 2)
    threading.Event().wait(0.3)  # a loop would have reopened many times by now
    usb.settle()
    assert channel.opens == 2, "reopened once, not in a loop"
    assert ("setChannelPersistence", False) in channel.log
    assert 0 not in hardware.tripped
    assert len(events.of(FAILSAFE)) == 1
    told = [e for e in events.of(ERROR) if "persistence turned off" in e.message]
    assert len(told) == 1
    board.set_relay(0, True)
    assert hardware.relays[0] is True


def test_the_fake_keeps_a_trip_through_close_when_persistent(usb: FakeUsb) -> None:
    """Fidelity: only the reset on attach/close clears a trip, and persistence suppresses it;
    reopened with persistence, a tripped channel attaches and detaches at once (the enable
    packet the library sends after the attach handler fails: no error event, no code 59)."""
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    api = usb.api()
    channel = api.DigitalOutput()
    channel.setDeviceSerialNumber(SERIAL)
    channel.setChannel(0)
    channel.setChannelPersistence(True)
    channel.openWaitForAttachment(2000)
    channel.enableFailsafe(1000)
    channel.setState(True)
    usb.trip_failsafe(SERIAL, 0)
    with pytest.raises(api.PhidgetException) as tripped:
        channel.setState(True)
    assert tripped.value.code == 59  # type: ignore[attr-defined]
    assert channel.getState() is True, "getters answer from the library's memory, stale"
    assert channel.getMaxFailsafeTime() == 30000
    seen: list[str] = []
    channel.setOnAttachHandler(lambda _ch: seen.append("attach"))
    channel.setOnDetachHandler(lambda _ch: seen.append("detach"))
    channel.setOnErrorHandler(lambda _ch, code, _text: seen.append(f"error {code}"))
    channel.close()
    channel.openWaitForAttachment(2000)
    usb.settle()
    assert seen == ["attach", "detach"]
    assert 0 in hardware.tripped
    with pytest.raises(api.PhidgetException) as detached:
        channel.setState(True)
    assert detached.value.code == 52  # type: ignore[attr-defined]
    channel.setChannelPersistence(False)
    channel.close()
    channel.openWaitForAttachment(2000)
    channel.setState(True)
    assert hardware.relays[0] is True
    channel.close()


# --- issue 22, item 7: the keepalive's budget ---------------------------------------------------


def test_a_failsafe_too_short_for_its_keepalive_is_refused_in_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """8 relays: 8 transfers of up to 100 ms must fit in a third of the period: 2.4 s."""
    channels = "".join(
        f'[[channel]]\nindex = {i}\nname = "r{i}"\nshed_at = "red"\n\n' for i in range(8)
    )
    path = tmp_path / "delestage.toml"
    path.write_text(f'[board]\nkind = "phidget"\nfailsafe = "2s"\n\n{channels}')
    assert main(["check", "--config", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(
        'delestage.toml: board.failsafe: "2s" is too short for 8 relays: each keepalive resets '
        "them one USB transfer at a time (up to 100 ms each), which must fit in a third of the "
        'period; set failsafe = "2s400ms" or more'
    )
    path.write_text(f'[board]\nkind = "phidget"\nfailsafe = "2s400ms"\n\n{channels}')
    config_from_dict(
        {
            "board": {"kind": "phidget", "failsafe": "2s400ms"},
            "channel": [{"index": i, "name": f"r{i}", "shed_at": "red"} for i in range(8)],
        }
    )
    config_from_dict(  # one relay: the 500 ms minimum holds
        {
            "board": {"kind": "phidget", "failsafe": "500ms"},
            "channel": [{"index": 0, "name": "a", "shed_at": "red"}],
        }
    )


def test_a_keepalive_pass_longer_than_a_third_of_the_period_is_said_once(usb: FakeUsb) -> None:
    usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    ticks = iter([10.0, 10.1, 20.0, 20.5, 30.0, 30.9])  # passes of 0.1, 0.5 and 0.9 s
    armed = threading.Event()
    board, events = make_board(
        usb,
        failsafe=timedelta(seconds=1),
        monotonic=lambda: next(ticks) if armed.is_set() else 0.0,
    )
    board.open(events)
    events.wait_for(lambda: bool(events.of(ATTACHED)))
    usb.settle()
    armed.set()  # from here on, only the keepalive passes read it
    board.keepalive()
    assert board.keepalive_seconds == pytest.approx(0.1)
    assert not [e for e in events.of(ERROR) if "keepalive" in e.message]
    board.keepalive()
    board.keepalive()
    said = [e.message for e in events.of(ERROR) if "keepalive" in e.message]
    assert said == [
        "the failsafe keepalive took 500 ms for 3 relay(s), more than a third of board.failsafe "
        '= "1s": a relay may trip before its next reset; set a longer board.failsafe'
    ]
    board.close(OnExit.RELEASE)


# --- 4. code 51: a persistent VINT channel that reports no state --------------------------------


def test_an_unknown_state_on_a_persistent_vint_channel_is_unknown_not_an_error(
    usb: FakeUsb,
) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2", hub_port=1))
    hardware.relays[2] = True
    board, events = make_board(usb, hub_port=1, on_exit=OnExit.KEEP)
    board.open(events)
    events.wait_for(lambda: bool(events.of(ATTACHED)))
    usb.settle()
    assert board.attached
    assert [board.relay(index) for index in (0, 1, 2)] == [None, None, None]
    assert events.of(ERROR) == []
    assert hardware.relays[2] is True  # nothing moved to find out
    board.set_relay(2, False)
    assert board.relay(2) is False


# --- 7. a failsafe that trips again and again: the reopen backs off -------------------------------


def test_repeated_trips_reopen_with_a_growing_backoff(usb: FakeUsb) -> None:
    usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    waits: list[float] = []
    board, events = make_board(
        usb, channels=(0,), failsafe=timedelta(seconds=1), sleep=waits.append
    )
    board.open(events)
    events.wait_for(lambda: bool(events.of(ATTACHED)))
    channel = usb.channel(0)
    for trip in range(1, 5):
        usb.trip_failsafe(SERIAL, 0)
        wait_until(lambda trip=trip: channel.opens == trip + 1 and board.relay(0) is False)
    assert waits == [1.0, 2.0, 4.0]  # the first reopen at once, then doubling
    assert "in 4 s" in events.of(FAILSAFE)[-1].message
    board.close(OnExit.RELEASE)


# --- the fake's threads: the 8 attach handlers on the library's shared pool ----------------------


@pytest.mark.parametrize("pool", [1, POOL_THREADS, 8])
def test_the_eight_attach_handlers_share_the_pool_and_the_board_attaches_once(pool: int) -> None:
    """Whatever the library's pool does (the real one varies from run to run)."""
    usb = FakeUsb(pool=pool)
    hardware = FakeBoard(SERIAL, revision="1017_2", latency=0.05)
    board, events = make_board(usb, channels=tuple(range(8)), failsafe=timedelta(seconds=1))
    board.open(events)
    usb.plug(hardware)
    events.wait_for(lambda: bool(events.of(ATTACHED)))
    usb.settle()
    assert usb.most_concurrent_handlers <= pool
    assert len(usb.handler_threads) <= pool
    if pool > 1:
        assert usb.most_concurrent_handlers > 1, "the handlers did run at the same time"
    assert board.attached
    assert len(events.of(ATTACHED)) == 1
    assert hardware.failsafe_ms == dict.fromkeys(range(8), 1000)
    board.close(OnExit.RELEASE)
    usb.stop()


# --- 3. the native library: missing on a Raspberry Pi, or too old --------------------------------

NO_LIBPHIDGET22 = "libphidget22.so.0: cannot open shared object file: No such file or directory"


@pytest.fixture
def no_libphidget22(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the py3-none-any wheel meets on a Raspberry Pi without the system library."""
    from Phidget22._phidget_support import PhidgetSupport

    def fail() -> None:
        raise OSError(NO_LIBPHIDGET22)

    monkeypatch.setattr(PhidgetSupport, "getDll", staticmethod(fail))


class _OldLibrary:
    """A libphidget22 1.22: no Phidget_setChannelPersistence symbol."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        if name == "Phidget_setChannelPersistence":
            raise AttributeError(f"/usr/lib/libphidget22.so.0: undefined symbol: {name}")
        return getattr(self._real, name)


@pytest.fixture
def old_libphidget22(monkeypatch: pytest.MonkeyPatch) -> None:
    from Phidget22._phidget_support import PhidgetSupport
    from Phidget22.Phidget import Phidget

    old = _OldLibrary(PhidgetSupport.getDll())
    monkeypatch.setattr(PhidgetSupport, "getDll", staticmethod(lambda: old))
    monkeypatch.setattr(
        Phidget,
        "getLibraryVersion",
        staticmethod(lambda: "Phidget22 - Version 1.22 - Built Mar 10 2025 10:00:00"),
    )


@pytest.fixture
def real_config() -> Config:
    """Made before the library is broken: it looks for a serial no attached device has."""
    return Config(
        channels=(ChannelConfig(index=0, name="a", shed_at=ShedAt.RED),),
        board=BoardConfig(kind=BoardKind.PHIDGET, serial=absent_serial()),
    )


def test_a_missing_libphidget22_is_named_with_where_to_get_it(
    real_config: Config, no_libphidget22: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(BoardLibraryMissing) as caught:
        load_phidget22()
    (line,) = caught.value.problems
    assert NO_LIBPHIDGET22 in line
    assert "libphidget22" in line.split("):", 1)[1]
    assert "Phidgets' Debian repository" in line
    assert "libusb" not in line
    assert main(["boards"]) == 2
    (err,) = capsys.readouterr().err.splitlines()
    assert "install libphidget22 from Phidgets' Debian repository" in err
    ok, board_line = check_board_line(real_config)
    assert not ok and "install libphidget22" in board_line


def test_a_libphidget22_older_than_1_23_is_refused_at_load_with_the_version_needed(
    real_config: Config, old_libphidget22: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(BoardLibraryMissing) as caught:
        load_phidget22()
    (line,) = caught.value.problems
    assert line.startswith("libphidget22 1.22 is too old: delestage needs libphidget22 1.23")
    ok, board_line = check_board_line(real_config)
    assert not ok and "1.23 or newer" in board_line
    assert main(["boards"]) == 2
    assert "1.23 or newer" in capsys.readouterr().err


def test_a_library_without_the_persistence_symbol_is_refused_whatever_its_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from Phidget22._phidget_support import PhidgetSupport

    old = _OldLibrary(PhidgetSupport.getDll())
    monkeypatch.setattr(PhidgetSupport, "getDll", staticmethod(lambda: old))
    with pytest.raises(BoardLibraryMissing, match=r"too old.*1\.23 or newer"):
        load_phidget22()


# --- 8. the tests never open a real board by accident -------------------------------------------


def test_the_suite_refuses_a_real_channel_that_could_reach_an_attached_board() -> None:
    api = load_phidget22()
    channel = api.DigitalOutput()
    channel.setChannel(0)  # no serial: any attached 1017 would match
    with pytest.raises(AssertionError, match="could switch a real board"):
        channel.open()
    assert not channel.getIsOpen()
    addressed = api.DigitalOutput()
    addressed.setDeviceSerialNumber(absent_serial())
    addressed.setChannel(0)
    addressed.open()  # addressed to a serial no attached device has: allowed
    assert addressed.getIsOpen()
    addressed.close()
