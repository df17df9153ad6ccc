"""A fake Phidget22 that mirrors the 1017 reference notes, for the paths a real board would take.

What it mirrors (shared/reference/phidget-1017.md, including "Corrections and additions"; the
no-board half is checked against the real library by tests/test_phidget_contract.py):
- before attach every device call raises code 52 (Device not Attached), while the addressing
  getters answer what was set (``getDeviceSerialNumber`` is -1 when unset);
- ``getDeviceSKU`` is "1017" for every revision; the revision shows in ``getDeviceVersion``
  (200 and up for a 1017_2) and ``getMaxFailsafeTime`` (30000 on a 1017_2, code 20 before);
- attach and close force the relay off, unless channel persistence was set before open();
- ``getState`` returns the last commanded value; on a persistent VINT channel (a 1017_2 on a
  hub) whose state was never set since it opened it raises code 51 (unknown value);
- handlers run on library threads, several at once: each channel has its own dispatcher, so the
  8 attach handlers of a board run concurrently (events of one channel stay in order);
- ``setState``, ``resetFailsafe`` and ``enableFailsafe`` are synchronous transfers that take
  ``FakeBoard.latency`` seconds;
- a failsafe trip releases the relay, fires error event 4108, then every call raises code 59.
  Only the reset the library sends on attach and on close clears it, and persistence suppresses
  both: a tripped persistent channel stays tripped through close and reopen. Unplugging (power
  loss) clears it. ``enableFailsafe`` raises code 20 on a 1017_0/1;
- openWaitForAttachment raises code 3 on timeout and closes the channel;
- a board held by another process makes open attempts fire error event 2 (busy);
- a channel with a hub port, or with IsHubPortDevice, never matches a USB 1017.

``FakeUsb`` is the machine: plug and unplug boards, trip failsafes, and read ``calls``, the log
of the calls made on each relay's channel, to assert orders.
"""

import contextlib
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.adapters.boards.base import BoardEvent, BoardEventKind
from tui.adapters.boards.phidget import PhidgetBoard
from tui.adapters.boards.phidget_lib import PhidgetApi
from tui.core.config import BoardConfig

_DESCRIPTIONS = {
    3: "Timed Out",
    20: "Not Supported",
    51: "Unknown or Invalid Value",
    52: "Device not Attached",
    59: "Failsafe Triggered",
}

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


TIMED_OUT, UNSUPPORTED, UNKNOWN_VALUE, NOT_ATTACHED, FAILSAFE_TRIPPED = 3, 20, 51, 52, 59
EVENT_BUSY, EVENT_FAILSAFE = 2, 4108
# getDeviceVersion per revision: the 1017_2 is 200 and up.
VERSIONS = {"1017_0": 100, "1017_1": 110, "1017_2": 200}


@dataclass
class FakeBoard:
    """A 1017 with its 8 relay coils."""

    serial: int = 123456
    revision: str = "1017_2"  # not visible in the SKU: only in the version and capabilities
    hub_port: int | None = None  # set: a 1017_2 on a VINT hub
    name: str = "PhidgetInterfaceKit 0/0/8"
    relays: list[bool] = field(default_factory=lambda: [False] * 8)
    # A relay whose read-back disagrees with what was commanded (a broken board, for tests).
    stuck: dict[int, bool] = field(default_factory=dict)
    # Relays whose next N setState calls fail with this code (a USB hiccup), for tests.
    failing: dict[int, list[int]] = field(default_factory=dict)
    failsafe_ms: dict[int, int] = field(default_factory=dict)
    failsafe_resets: Counter[int] = field(default_factory=Counter)
    tripped: set[int] = field(default_factory=set)  # latched in the device until a reset
    latency: float = 0.002  # seconds each synchronous USB transfer takes

    sku = "1017"  # every revision

    @property
    def version(self) -> int:
        return VERSIONS[self.revision]

    @property
    def has_failsafe(self) -> bool:
        return self.revision == "1017_2"


class _Dispatcher:
    """One library thread delivering one channel's events in order."""

    def __init__(self, usb: "FakeUsb", name: str) -> None:
        self.queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.usb = usb
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            job = self.queue.get()
            try:
                if job is None:
                    return
                with self.usb.lock:
                    self.usb.handler_threads.add(threading.get_ident())
                try:
                    job()
                except Exception as error:  # the library prints and swallows them
                    print(f"fake-phidget: exception in a handler: {error!r}")
            finally:
                self.queue.task_done()


class FakeUsb:
    def __init__(self) -> None:
        self.boards: dict[int, FakeBoard] = {}
        self.busy: set[int] = set()  # serials another process holds
        self.others: list[tuple[int, int]] = []  # (serial, device id) of attached non-1017s
        self.made: list[FakeDigitalOutput] = []  # every channel object, in creation order
        self.lock = threading.RLock()
        self._open: list[FakeDigitalOutput] = []
        self._dispatchers: dict[int, _Dispatcher] = {}
        self.handler_threads: set[int] = set()
        # Handlers running right now, and the most that ever ran at the same time.
        self.running_handlers = 0
        self.most_concurrent_handlers = 0

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
        """The coils lose USB power: relays release, trips clear; attached channels detach."""
        with self.lock:
            board = self.boards.pop(serial)
            board.relays[:] = [False] * 8
            board.failsafe_ms.clear()
            board.tripped.clear()
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
            board.tripped.add(index)
            self.dispatch(
                channel, channel.on_error, channel, EVENT_FAILSAFE, "Failsafe procedure initiated."
            )

    def settle(self) -> None:
        """Wait until every handler queued so far has run (and those they queued)."""
        for _ in range(3):
            with self.lock:
                dispatchers = list(self._dispatchers.values())
            for dispatcher in dispatchers:
                dispatcher.queue.join()

    def stop(self) -> None:
        with self.lock:
            dispatchers = list(self._dispatchers.values())
        for dispatcher in dispatchers:
            dispatcher.queue.put(None)
        for dispatcher in dispatchers:
            dispatcher.thread.join(timeout=5)

    def channel(self, index: int) -> "FakeDigitalOutput":
        """The latest channel object addressed to relay ``index``."""
        return [ch for ch in self.made if ch.index == index][-1]

    def calls(self, index: int) -> list[str]:
        """The names of the calls made on relay ``index``'s latest channel, in order."""
        return [call[0] for call in self.channel(index).log]

    # -- internals ----------------------------------------------------------------------------

    def dispatch(self, source: object, handler: Callable[..., None] | None, *args: Any) -> None:
        """Queue ``handler(*args)`` on the library thread of ``source`` (a channel, a manager)."""
        if handler is None:
            return
        with self.lock:
            dispatcher = self._dispatchers.get(id(source))
            if dispatcher is None:
                dispatcher = _Dispatcher(self, f"fake-phidget-{len(self._dispatchers)}")
                self._dispatchers[id(source)] = dispatcher

        def job() -> None:
            with self.lock:
                self.running_handlers += 1
                self.most_concurrent_handlers = max(
                    self.most_concurrent_handlers, self.running_handlers
                )
            try:
                handler(*args)
            finally:
                with self.lock:
                    self.running_handlers -= 1

        dispatcher.queue.put(job)

    def _matches(self, channel: "FakeDigitalOutput", board: FakeBoard) -> bool:
        if channel.serial is not None and channel.serial != board.serial:
            return False
        if channel.is_remote or channel.is_hub_port_device:
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
                    channel,
                    channel.on_error,
                    channel,
                    EVENT_BUSY,
                    f"Local device: <{board.name} S/N:{board.serial}> open failed because "
                    "device is in use.",
                )
                return
            assert channel.index is not None
            channel.board = board
            if channel.persistence:
                # No reset: the relay and a tripped failsafe stay as they were. A VINT channel
                # does not know its state until this process sets it.
                vint = board.hub_port is not None
                channel.state = None if vint else board.relays[channel.index]
            else:
                board.relays[channel.index] = False  # the reset on attach: relay off
                board.tripped.discard(channel.index)
                board.failsafe_ms.pop(channel.index, None)
                channel.state = False
            self.dispatch(channel, channel.on_attach, channel)
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
        self.is_remote = False
        self.persistence = False
        self.is_open = False
        self.board: FakeBoard | None = None
        self.state: bool | None = None
        self.on_attach: Callable[..., None] | None = None
        self.on_detach: Callable[..., None] | None = None
        self.on_error: Callable[..., None] | None = None

    def _log(self, name: str, *args: Any) -> None:
        self.log.append((name, *args))

    @property
    def tripped(self) -> bool:
        board = self.board
        return board is not None and self.index in board.tripped

    @property
    def opens(self) -> int:
        return self.log.count(("open",))

    # -- addressing and handlers (before open) ------------------------------------------------

    def setDeviceSerialNumber(self, serial: int) -> None:
        self._log("setDeviceSerialNumber", serial)
        self.serial = serial

    def getDeviceSerialNumber(self) -> int:
        if self.board is not None:
            return self.board.serial
        return -1 if self.serial is None else self.serial

    def setChannel(self, index: int) -> None:
        self.index = index
        self._log("setChannel", index)

    def setHubPort(self, port: int) -> None:
        self._log("setHubPort", port)
        self.hub_port = port

    def setIsHubPortDevice(self, value: bool) -> None:
        self._log("setIsHubPortDevice", value)
        self.is_hub_port_device = value

    def setIsRemote(self, value: bool) -> None:
        self._log("setIsRemote", value)
        self.is_remote = value

    def setChannelPersistence(self, value: bool) -> None:
        self._log("setChannelPersistence", value)
        self.persistence = value

    def getChannelPersistence(self) -> bool:
        return self.persistence

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
            self.usb._register(self, False)

    def _detach(self, closing: bool = False) -> None:
        board = self.board
        assert board is not None and self.index is not None
        if closing and not self.persistence:
            # The reset on close: relay off, failsafe off, a trip cleared.
            board.relays[self.index] = False
            board.tripped.discard(self.index)
            board.failsafe_ms.pop(self.index, None)
        self.board = None
        self.state = None
        self.usb.dispatch(self, self.on_detach, self)

    def getIsOpen(self) -> bool:
        return self.is_open

    def getAttached(self) -> bool:
        return self.board is not None

    # -- while attached -----------------------------------------------------------------------

    def _attached(self) -> FakeBoard:
        if self.board is None:
            raise PhidgetException(NOT_ATTACHED)
        if self.tripped:
            raise PhidgetException(FAILSAFE_TRIPPED)
        return self.board

    def _transfer(self) -> None:
        """A synchronous USB transfer: the call returns when the board answered."""
        board = self.board
        if board is not None and board.latency:
            time.sleep(board.latency)

    def setState(self, value: bool) -> None:
        self._log("setState", value)
        self._transfer()
        with self.usb.lock:
            board = self._attached()
            assert self.index is not None
            failures = board.failing.get(self.index)
            if failures:
                raise PhidgetException(failures.pop(0))
            board.relays[self.index] = bool(value)
            self.state = bool(value)
            if self.index in board.failsafe_ms:
                board.failsafe_resets[self.index] += 1  # any setState also resets it

    def getState(self) -> bool:
        self._log("getState")
        with self.usb.lock:
            board = self._attached()
            assert self.index is not None
            if self.state is None:
                raise PhidgetException(UNKNOWN_VALUE)
            return board.stuck.get(self.index, self.state)

    def enableFailsafe(self, ms: int) -> None:
        self._log("enableFailsafe", ms)
        self._transfer()
        with self.usb.lock:
            board = self._attached()
            if not board.has_failsafe:
                raise PhidgetException(UNSUPPORTED)
            assert self.index is not None
            board.failsafe_ms[self.index] = ms

    def resetFailsafe(self) -> None:
        self._log("resetFailsafe")
        self._transfer()
        with self.usb.lock:
            board = self._attached()
            assert self.index is not None and self.index in board.failsafe_ms
            board.failsafe_resets[self.index] += 1

    def getMaxFailsafeTime(self) -> int:
        board = self._attached()
        if not board.has_failsafe:
            raise PhidgetException(UNSUPPORTED)
        return 30000

    def getDeviceVersion(self) -> int:
        return self._attached().version

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

    def getDeviceVersion(self) -> int:
        return self.board.version

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
                    self.usb.dispatch(self, self.on_attach, self, _ManagerChannel(board, index))
            for serial, device_id in self.usb.others:
                other = _ManagerChannel(FakeBoard(serial), 0, device_id=device_id)
                self.usb.dispatch(self, self.on_attach, self, other)

    def close(self) -> None:
        # Deliver what was reported before the close, so tests need not wait in real time.
        self.usb.settle()


class Recorder:
    """An EventSink that tests can wait on (events arrive on the fake's library threads)."""

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


def make_board(
    usb: FakeUsb, channels: tuple[int, ...] = (0, 1, 2), **config: Any
) -> tuple[PhidgetBoard, Recorder]:
    """The real adapter on the fake library, with a recorder for its events; ``config`` holds
    ``BoardConfig`` fields (serial 123456 unless given) and optionally ``sleep``."""
    sleep = config.pop("sleep", None)
    settings: dict[str, Any] = {"serial": 123456, **config}
    board = PhidgetBoard(BoardConfig(**settings), channels, api=usb.api(), sleep=sleep)
    return board, Recorder()
