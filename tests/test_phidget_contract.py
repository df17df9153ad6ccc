"""One contract for Phidget22 as the adapter uses it, run against every implementation at hand.

- ``fake``: tests/fake_phidget.py (no board plugged in, or a FakeBoard plugged in);
- ``real``: the real Phidget22 library, on the paths that need no board (channels addressed to
  a serial no attached device has, so nothing real can attach);
- ``board``: the real library and a real 1017, only when DELESTAGE_TEST_BOARD_SERIAL names
  the board's serial (docs/going-live.md: "Testing on a real board"). It switches relay 0 of
  that board.

The no-board half is what keeps the fake honest: every assertion there holds for the real
library too, so the fake's codes and lifecycle are the library's, not a guess.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fake_phidget import FakeBoard, FakeUsb, Recorder, wait_until
from real_phidget import absent_serial, board_serial

from tui.adapters.boards.base import BoardEventKind
from tui.adapters.boards.phidget import PhidgetBoard
from tui.adapters.boards.phidget_lib import (
    REVISION_FAILSAFE,
    REVISION_OLD,
    PhidgetApi,
    load_phidget22,
)
from tui.core.config import BoardConfig, OnExit

NOT_ATTACHED, TIMED_OUT = 52, 3


@dataclass
class Library:
    name: str
    api: PhidgetApi
    serial: int  # what channels are addressed to


@pytest.fixture(params=["fake", "real"])
def no_board(request: pytest.FixtureRequest) -> Iterator[Library]:
    """A library with no board that the channels could reach."""
    if request.param == "fake":
        usb = FakeUsb()
        usb.plug(FakeBoard(999))  # another board: never matched
        yield Library("fake", usb.api(), 424242)
        usb.stop()
    else:
        yield Library("real", load_phidget22(), absent_serial())


def _board_params() -> list[str]:
    return ["fake", "board"] if board_serial() is not None else ["fake"]


@pytest.fixture(params=_board_params())
def with_board(request: pytest.FixtureRequest) -> Iterator[Library]:
    """A library with an attached 1017 the channels are addressed to."""
    if request.param == "fake":
        usb = FakeUsb()
        usb.plug(FakeBoard(123456, revision="1017_2"))
        yield Library("fake", usb.api(), 123456)
        usb.stop()
    else:
        serial = board_serial()
        assert serial is not None
        yield Library("board", load_phidget22(), serial)


def channel(library: Library, index: int = 0) -> Any:
    handle = library.api.DigitalOutput()
    handle.setDeviceSerialNumber(library.serial)
    handle.setChannel(index)
    return handle


def code_of(library: Library, call: Any) -> int:
    with pytest.raises(library.api.PhidgetException) as caught:
        call()
    return int(caught.value.code)  # type: ignore[attr-defined]


# --- no board -----------------------------------------------------------------------------------


def test_a_new_channel_is_closed_and_answers_its_address(no_board: Library) -> None:
    handle = channel(no_board)
    assert handle.getIsOpen() is False
    assert handle.getAttached() is False
    assert handle.getDeviceSerialNumber() == no_board.serial
    assert no_board.api.DigitalOutput().getDeviceSerialNumber() == -1  # unset: any serial


@pytest.mark.parametrize(
    "call",
    [
        lambda h: h.getState(),
        lambda h: h.setState(True),
        lambda h: h.getDeviceSKU(),
        lambda h: h.getDeviceVersion(),
        lambda h: h.getMaxFailsafeTime(),
        lambda h: h.enableFailsafe(1000),
        lambda h: h.resetFailsafe(),
    ],
    ids=["getState", "setState", "SKU", "version", "maxFailsafe", "enableFailsafe", "reset"],
)
def test_device_calls_raise_not_attached_before_and_after_open(
    no_board: Library, call: Any
) -> None:
    handle = channel(no_board)
    assert code_of(no_board, lambda: call(handle)) == NOT_ATTACHED
    handle.open()
    try:
        assert code_of(no_board, lambda: call(handle)) == NOT_ATTACHED
    finally:
        handle.close()


def test_open_returns_at_once_and_stays_open_until_closed(no_board: Library) -> None:
    handle = channel(no_board)
    handle.setChannelPersistence(True)  # allowed before open
    assert handle.getChannelPersistence() is True
    handle.open()
    handle.open()  # a second open is harmless
    assert handle.getIsOpen() is True
    assert handle.getAttached() is False
    handle.close()
    handle.close()  # and so is a second close
    assert handle.getIsOpen() is False


def test_open_wait_for_attachment_times_out_with_code_3_and_closes(no_board: Library) -> None:
    handle = channel(no_board)
    assert code_of(no_board, lambda: handle.openWaitForAttachment(200)) == TIMED_OUT
    assert handle.getIsOpen() is False


def test_the_adapter_waits_for_a_board_that_is_not_there(no_board: Library) -> None:
    board = PhidgetBoard(BoardConfig(serial=no_board.serial), [0, 5], api=no_board.api)
    events = Recorder()
    board.open(events)
    board.set_relay(0, True)  # detached: no exception, nothing to command
    board.keepalive()
    assert board.open_channels() == [0, 5]
    assert not board.attached
    assert board.relay(0) is None
    assert board.info().revision is None
    board.close(OnExit.RELEASE)
    assert board.open_channels() == []
    assert events.events == []


# --- with a board ------------------------------------------------------------------------------


def test_attach_releases_the_relay_and_commands_read_back(with_board: Library) -> None:
    board = PhidgetBoard(BoardConfig(serial=with_board.serial), [0], api=with_board.api)
    events = Recorder()
    board.open(events)
    try:
        events.wait_for(lambda: bool(events.of(BoardEventKind.ATTACHED)))
        wait_until(lambda: board.relay(0) is not None)
        assert board.relay(0) is False  # released by the attach: no persistence
        assert board.info().serial == with_board.serial
        assert board.info().revision in (REVISION_FAILSAFE, REVISION_OLD)
        board.set_relay(0, True)
        assert board.relay(0) is True
        board.set_relay(0, False)
        assert board.relay(0) is False
        assert events.of(BoardEventKind.ERROR) == []
    finally:
        board.close(OnExit.RELEASE)
    assert board.open_channels() == []


def test_the_sku_is_1017_whatever_the_revision(with_board: Library) -> None:
    handle = channel(with_board)
    handle.openWaitForAttachment(5000)
    try:
        assert handle.getDeviceSKU() == "1017"
        version = int(handle.getDeviceVersion())
        try:
            handle.getMaxFailsafeTime()
            has_failsafe = True
        except with_board.api.PhidgetException:
            has_failsafe = False
        assert has_failsafe is (version >= 200)
    finally:
        handle.close()
