"""A fake Phidget22 that mirrors the 1017 reference notes, for the paths a real board would take.

What it mirrors (shared/reference/phidget-1017.md):
- every call on a channel raises code 52 (Device not Attached) until it is attached;
- attach and close force the relay off, unless channel persistence was set before open();
- handlers run on another thread (one dispatcher thread, in order, like the library's);
- a failsafe trip fires error event 4108, then every call raises code 59 until the channel is
  closed and reopened; enableFailsafe raises code 20 on a 1017_0/1;
- openWaitForAttachment raises code 3 on timeout and closes the channel;
- a board held by another process makes open attempts fire error event 2 (busy);
- a channel with a hub port, or with IsHubPortDevice, never matches a USB 1017.

``FakeUsb`` is the machine: plug and unplug boards, trip failsafes, and read ``calls``, the log
of the calls made on each relay's channel, to assert orders.
"""

import contextlib
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.adapters.boards.base import BoardEvent, BoardEventKind
from tui.adapters.boards.phidget import PhidgetApi

_DESCRIPTIONS = {3: "Timed Out", 20: "Not Supported", 52: "Device not Attached"}

try:
    from Phidget22.PhidgetException import PhidgetException

    PhidgetException(52)  # needs the native library
except (ImportError, OSError):

    class PhidgetException(Exception):  # type: ignore[no-redef]
        """Compatible with Phidget22's: code, description, details."""

        def __init__(self, code: int) -> None:
            self.code = code
            self.description = _DESCRIPTIONS.get(code, "Error")
            self.details = ""
            super().__init__(code)

        def __str__(self) -> str:
            return f"PhidgetException 0x{self.code:02x} ({self.description})\n{self.details}"


TIMED_OUT, UNSUPPORTED, NOT_ATTACHED, FAILSAFE_TRIPPED = 3, 20, 52, 59
EVENT_BUSY, EVENT_FAILSAFE = 2, 4108


@dataclass
class FakeBoard:
    """A 1017 with its 8 relay coils."""

    serial: int = 123456
    sku: str = "1017_2"
    hub_port: int | None = None  # set: a 1017_2 on a VINT hub
    name: str = "PhidgetInterfaceKit 0/0/8"
    relays: list[bool] = field(default_factory=lambda: [False] * 8)
    # A relay whose read-back disagrees with what was commanded (a broken board, for tests).
    stuck: dict[int, bool] = field(default_factory=dict)
    failsafe_ms: dict[int, int] = field(default_factory=dict)
    failsafe_resets: Counter[int] = field(default_factory=Counter)

    @property
    def has_failsafe(self) -> bool:
        return self.sku == "1017_2"


class FakeUsb:
    def __init__(self) -> None:
        self.boards: dict[int, FakeBoard] = {}
        self.busy: set[int] = set()  # serials another process holds
        self.others: list[tuple[int, int]] = []  # (serial, device id) of attached non-1017s
        self.made: list[FakeDigitalOutput] = []  # every channel object, in creation order
        self.lock = threading.RLock()
        self._open: list[FakeDigitalOutput] = []
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.handler_threads: set[int] = set()
        self._thread = threading.Thread(target=self._dispatch, name="fake-phidget", daemon=True)
        self._thread.start()

    # -- the world ----------------------------------------------------------------------------

    def api(self) -> PhidgetApi:
        return PhidgetApi(
            DigitalOutput=lambda: FakeDigitalOutput(self),
            Manager=lambda: FakeManager(self),
            PhidgetException=PhidgetException,
        )

    def plug(self, board: FakeBoard) -> FakeBoard:
        with self.lock:
            self.boards[board.serial] = board
            for channel in list(self._open):
                self._try_attach(channel)
        return board

    def unplug(self, serial: int) -> None:
        """The coils lose USB power: relays release; attached channels detach."""
        with self.lock:
            board = self.boards.pop(serial)
            board.relays[:] = [False] * 8
            board.failsafe_ms.clear()
            for channel in list(self._open):
                if channel.board is board:
                    channel._detach()

    def trip_failsafe(self, serial: int, index: int) -> None:
        with self.lock:
            board = self.boards[serial]
            channel = next(ch for ch in self._open if ch.board is board and ch.index == index)
            assert index in board.failsafe_ms, "the failsafe was never enabled"
            board.relays[index] = False
            del board.failsafe_ms[index]
            channel.tripped = True
            self.dispatch(
                channel.on_error, channel, EVENT_FAILSAFE, "Failsafe procedure initiated."
            )

    def settle(self) -> None:
        """Wait until every handler queued so far has run."""
        self._queue.join()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def channel(self, index: int) -> "FakeDigitalOutput":
        """The latest channel object addressed to relay ``index``."""
        return [ch for ch in self.made if ch.index == index][-1]

    def calls(self, index: int) -> list[str]:
        """The names of the calls made on relay ``index``'s latest channel, in order."""
        return [call[0] for call in self.channel(index).log]

    # -- internals ----------------------------------------------------------------------------

    def dispatch(self, handler: Callable[..., None] | None, *args: Any) -> None:
        if handler is not None:
            self._queue.put(lambda: handler(*args))

    def _dispatch(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self.handler_threads.add(threading.get_ident())
                try:
                    job()
                except Exception as error:  # the library prints and swallows them
                    print(f"fake-phidget: exception in a handler: {error!r}")
            finally:
                self._queue.task_done()

    def _matches(self, channel: "FakeDigitalOutput", board: FakeBoard) -> bool:
        if channel.serial is not None and channel.serial != board.serial:
            return False
        if channel.is_hub_port_device:
            return False
        if channel.hub_port is not None and channel.hub_port != board.hub_port:
            return False
        return channel.index is not None and 0 <= channel.index < 8

    def _try_attach(self, channel: "FakeDigitalOutput") -> None:
        if not channel.is_open or channel.board is not None:
            return
        for board in self.boards.values():
            if not self._matches(channel, board):
                continue
            if board.serial in self.busy:
                self.dispatch(
                    channel.on_error,
                    channel,
                    EVENT_BUSY,
                    f"Local device: <{board.name} S/N:{board.serial}> open failed because "
                    "device is in use.",
                )
                return
            channel.board = board
            if not channel.persistence:
                board.relays[channel.index] = False  # attach forces the relay off
            channel.state = board.relays[channel.index]
            self.dispatch(channel.on_attach, channel)
            return

    def _register(self, channel: "FakeDigitalOutput", is_open: bool) -> None:
        if is_open:
            self._open.append(channel)
        else:
            self._open.remove(channel)


class FakeDigitalOutput:
    def __init__(self, usb: FakeUsb) -> None:
        self.usb = usb
        usb.made.append(self)
        self.log: list[tuple[Any, ...]] = []
        self.serial: int | None = None
        self.index: int | None = None
        self.hub_port: int | None = None
        self.is_hub_port_device = False
        self.persistence = False
        self.is_open = False
        self.board: FakeBoard | None = None
        self.state: bool | None = None
        self.tripped = False
        self.on_attach: Callable[..., None] | None = None
        self.on_detach: Callable[..., None] | None = None
        self.on_error: Callable[..., None] | None = None

    def _log(self, name: str, *args: Any) -> None:
        self.log.append((name, *args))

    # -- addressing and handlers (before open) ------------------------------------------------

    def setDeviceSerialNumber(self, serial: int) -> None:
        self._log("setDeviceSerialNumber", serial)
        self.serial = serial

    def setChannel(self, index: int) -> None:
        self.index = index
        self._log("setChannel", index)

    def setHubPort(self, port: int) -> None:
        self._log("setHubPort", port)
        self.hub_port = port

    def setIsHubPortDevice(self, value: bool) -> None:
        self._log("setIsHubPortDevice", value)
        self.is_hub_port_device = value

    def setChannelPersistence(self, value: bool) -> None:
        self._log("setChannelPersistence", value)
        self.persistence = value

    def setOnAttachHandler(self, handler: Callable[..., None]) -> None:
        self._log("setOnAttachHandler")
        self.on_attach = handler

    def setOnDetachHandler(self, handler: Callable[..., None]) -> None:
        self._log("setOnDetachHandler")
        self.on_detach = handler

    def setOnErrorHandler(self, handler: Callable[..., None]) -> None:
        self._log("setOnErrorHandler")
        self.on_error = handler

    # -- lifecycle ----------------------------------------------------------------------------

    def open(self) -> None:
        self._log("open")
        with self.usb.lock:
            if self.is_open:
                return
            self.is_open = True
            self.usb._register(self, True)
            self.usb._try_attach(self)

    def openWaitForAttachment(self, timeout_ms: int) -> None:
        attached = threading.Event()
        previous = self.on_attach

        def on_attach(channel: Any) -> None:
            attached.set()
            if previous is not None:
                previous(channel)

        self.on_attach = on_attach
        self.open()
        if not attached.wait(timeout_ms / 1000):
            self.close()  # the library closes the channel on timeout
            raise PhidgetException(TIMED_OUT)

    def close(self) -> None:
        self._log("close")
        with self.usb.lock:
            if not self.is_open:
                return
            if self.board is not None:
                self._detach(closing=True)
            self.is_open = False
            self.tripped = False
            self.usb._register(self, False)

    def _detach(self, closing: bool = False) -> None:
        board = self.board
        assert board is not None and self.index is not None
        if closing and not self.persistence:
            board.relays[self.index] = False  # close forces the relay off
        board.failsafe_ms.pop(self.index, None)
        self.board = None
        self.state = None
        self.usb.dispatch(self.on_detach, self)

    def getIsOpen(self) -> bool:
        return self.is_open

    def getAttached(self) -> bool:
        return self.board is not None

    # -- while attached -----------------------------------------------------------------------

    def _attached(self) -> FakeBoard:
        if self.tripped:
            raise PhidgetException(FAILSAFE_TRIPPED)
        if self.board is None:
            raise PhidgetException(NOT_ATTACHED)
        return self.board

    def setState(self, value: bool) -> None:
        self._log("setState", value)
        with self.usb.lock:
            board = self._attached()
            assert self.index is not None
            board.relays[self.index] = bool(value)
            self.state = bool(value)

    def getState(self) -> bool:
        self._log("getState")
        with self.usb.lock:
            board = self._attached()
            assert self.index is not None and self.state is not None
            return board.stuck.get(self.index, self.state)

    def enableFailsafe(self, ms: int) -> None:
        self._log("enableFailsafe", ms)
        with self.usb.lock:
            board = self._attached()
            if not board.has_failsafe:
                raise PhidgetException(UNSUPPORTED)
            assert self.index is not None
            board.failsafe_ms[self.index] = ms

    def resetFailsafe(self) -> None:
        self._log("resetFailsafe")
        with self.usb.lock:
            board = self._attached()
            assert self.index is not None and self.index in board.failsafe_ms
            board.failsafe_resets[self.index] += 1

    def getDeviceSerialNumber(self) -> int:
        return self._attached().serial

    def getDeviceSKU(self) -> str:
        return self._attached().sku


@dataclass
class _ManagerChannel:
    """A channel as the Manager's attach event shows it (informational, not opened)."""

    board: FakeBoard
    index: int
    device_id: int = 12  # PHIDID_1017
    channel_class: int = 6  # DigitalOutput

    def getDeviceSerialNumber(self) -> int:
        return self.board.serial

    def getDeviceClass(self) -> int:
        return 21 if self.board.hub_port is not None else 9  # VINT or InterfaceKit

    def getHubPort(self) -> int:
        return self.board.hub_port or 0

    def getDeviceID(self) -> int:
        return self.device_id

    def getChannelClass(self) -> int:
        return self.channel_class

    def getDeviceName(self) -> str:
        return self.board.name

    def getDeviceSKU(self) -> str:
        return self.board.sku

    def getChannel(self) -> int:
        return self.index


class FakeManager:
    def __init__(self, usb: FakeUsb) -> None:
        self.usb = usb
        self.on_attach: Callable[..., None] | None = None

    def setOnAttachHandler(self, handler: Callable[..., None]) -> None:
        self.on_attach = handler

    def open(self) -> None:
        with self.usb.lock:
            for board in self.usb.boards.values():
                for index in range(8):
                    self.usb.dispatch(self.on_attach, self, _ManagerChannel(board, index))
            for serial, device_id in self.usb.others:
                other = _ManagerChannel(FakeBoard(serial, sku="other"), 0, device_id=device_id)
                self.usb.dispatch(self.on_attach, self, other)

    def close(self) -> None:
        # Deliver what was reported before the close, so tests need not wait in real time.
        self.usb.settle()


class Recorder:
    """An EventSink that tests can wait on (events arrive on the fake's dispatcher thread)."""

    def __init__(self) -> None:
        self.events: list[BoardEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: BoardEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: BoardEventKind) -> list[BoardEvent]:
        with self._changed:
            return [event for event in self.events if event.kind is kind]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition()`` holds; generous, since it is not a timing assertion."""
        with self._changed:
            if not self._changed.wait_for(condition, timeout=timeout):
                raise AssertionError(f"still waiting after {timeout} s; events: {self.events}")


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll for state that changes on other threads without an event to wake on."""
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        with contextlib.suppress(Exception):
            if condition():
                return
        done.wait(0.01)
    raise AssertionError(f"condition still false after {timeout} s")
