"""A fake Phidget22 that mirrors the 1017 reference notes, for the paths a real board would take.

What it mirrors (shared/reference/phidget-1017.md, including "Corrections and additions"; the
no-board half is checked against the real library by tests/test_phidget_contract.py):
- before attach every device call raises code 52 (Device not Attached), while the addressing
  getters answer what was set (``getDeviceSerialNumber`` is -1 when unset);
- ``getDeviceSKU`` is "1017" for every revision; the revision shows in ``getDeviceVersion``
  (200 and up for a 1017_2) and ``getMaxFailsafeTime`` (30000 on a 1017_2, code 20 before);
- every kind of tui/core/devices.py's table (``board_of_kind``), each with the failsafe the
  table gives it: the 1017_2, the 1014_3 (version 800), the REL boards from device version 110
  and the REL1101_1; ``enableFailsafe`` and ``getMaxFailsafeTime`` raise code 20 on the others;
- attach and close force the relay off, unless channel persistence was set before open();
- ``getState`` returns the last commanded value; on a persistent VINT channel (a 1017_2 on a
  hub) whose state was never set since it opened it raises code 51 (unknown value);
- handlers run on the library's shared pool, never on the caller's thread; events of one
  channel stay in order. The real library's pool varies (8 slow handlers ran on 1 to 6 threads
  from one run to the next): ``FakeUsb(pool=...)`` sets the fake's, 2 threads by default;
- ``close()`` fires no Detach; reopening the same handle attaches again and fires Attach;
  ``openWaitForAttachment`` returns after the attach handler has run;
- ``getDeviceID`` answers the device's id (12 for a 1017): a channel addressed by index only
  attaches to any device with a DigitalOutput of that index (``FakeBoard(device_id=...)``);
- ``setState``, ``resetFailsafe`` and ``enableFailsafe`` are synchronous transfers that take
  ``FakeBoard.latency`` seconds;
- a failsafe trip releases the relay, fires error event 4108, then every packet sent to the
  device (``setState``, ``resetFailsafe``, ``enableFailsafe``) raises code 59, while the getters
  keep answering (a stale ``getState``, ``getMaxFailsafeTime``, ``getDeviceVersion``).
  Only the reset the library sends on attach and on close clears it, and persistence suppresses
  both: a tripped persistent channel stays tripped through close and reopen, and its attach is
  followed at once by a Detach (from 1.23 the library sends an enable packet after the attach
  handler, which fails on a tripped channel: no error event, no code 59). Unplugging (power
  loss) clears it. ``enableFailsafe`` raises code 20 on a 1017_0/1;
- ``getState`` is the library's memory of the last successful ``setState``: no relay board
  senses its contacts, so the only fault it can show is a ``setState`` that failed
  (``FakeBoard.failing``);
- ``setHubPort`` takes -1..6 and ``setChannel`` -1..63 (code 21 otherwise, as the library's
  setters do); a USB board is on hub port 0 for matching, so ``setHubPort(0)`` is tolerated;
- openWaitForAttachment raises code 3 on timeout and closes the channel;
- a board held by another process makes open attempts fire error event 2 (busy);
- a channel with another hub port than the board's, or with IsHubPortDevice, never matches.

``FakeUsb`` is the machine: plug and unplug boards, trip failsafes, and read ``calls``, the log
of the calls made on each relay's channel, to assert orders.
"""

import contextlib
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.adapters.boards.base import BoardEvent, BoardEventKind
from tui.adapters.boards.phidget import PhidgetBoard
from tui.adapters.boards.phidget_lib import PhidgetApi
from tui.core.config import BoardConfig
from tui.core.devices import MODELS

_DESCRIPTIONS = {
    3: "Timed Out",
    21: "Invalid Argument",
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


TIMED_OUT, UNSUPPORTED, INVALID_ARGUMENT = 3, 20, 21
UNKNOWN_VALUE, NOT_ATTACHED, FAILSAFE_TRIPPED = 51, 52, 59
PHIDID_1017 = 12
# The library's handler pool, as seen with slow handlers on 8 channels.
POOL_THREADS = 2
EVENT_BUSY, EVENT_FAILSAFE = 2, 4108
# getDeviceVersion per revision: the 1017_2 is 200 and up, the 1014_3 800 (libphidget22's
# channel ids: 1014 channels 000 and 704 before it, 800 on the 1014_3). A revision not listed
# (a REL board named by its model) is 100 unless ``FakeBoard(device_version=...)`` says.
# REL1101_1's own version number was not found in the sources read: what matters is that it has
# the failsafe whatever its version (its channels are "REL1101_1_..._100" with a failsafe).
VERSIONS = {
    "1017_0": 100,
    "1017_1": 110,
    "1017_2": 200,
    "1014_2": 704,
    "1014_3": 800,
    "REL1101_1": 100,
}
# The failsafe per device, as tui/core/devices.py's table states it (and libphidget22's
# DigitalOutput source): from which device version each device ID has one, and the revisions
# that have one whatever their version.
FAILSAFE_FROM = {12: 200, 9: 800, 81: 110, 82: 110, 83: 110}  # 1017, 1014, REL1000/1100/1101
FAILSAFE_REVISIONS = frozenset({"REL1101_1"})


@dataclass
class FakeBoard:
    """A 1017 with its 8 relay coils by default; ``board_of_kind`` makes the others."""

    serial: int = 123456
    revision: str = "1017_2"  # not visible in the SKU: only in the version and capabilities
    hub_port: int | None = None  # set: a 1017_2 on a VINT hub
    name: str = "PhidgetInterfaceKit 0/0/8"
    relays: list[bool] = field(default_factory=lambda: [False] * 8)
    # Relays whose next setState calls fail with these codes (a USB hiccup, a board that does
    # not take the command), for tests: the library's memory keeps the previous state.
    failing: dict[int, list[int]] = field(default_factory=dict)
    failsafe_ms: dict[int, int] = field(default_factory=dict)
    failsafe_resets: Counter[int] = field(default_factory=Counter)
    tripped: set[int] = field(default_factory=set)  # latched in the device until a reset
    latency: float = 0.002  # seconds each synchronous USB transfer takes
    device_id: int = PHIDID_1017  # another id: a foreign device with DigitalOutput channels
    sku: str = "1017"  # every revision of the 1017
    channels: int = 8
    device_version: int | None = None  # set: getDeviceVersion, whatever the revision's

    @property
    def version(self) -> int:
        if self.device_version is not None:
            return self.device_version
        return VERSIONS.get(self.revision, 100)

    @property
    def has_failsafe(self) -> bool:
        """Per device, as the table says: the 1017_2, the 1014_3, the REL boards from device
        version 110, the REL1101_1. ``enableFailsafe`` and ``getMaxFailsafeTime`` raise code
        20 on the others."""
        if self.revision in FAILSAFE_REVISIONS:
            return True
        least = FAILSAFE_FROM.get(self.device_id)
        return least is not None and self.version >= least

    @property
    def port(self) -> int:
        """The hub port the library matches: 0 for a USB board."""
        return self.hub_port or 0


def board_of_kind(
    model: str,
    revision: str | None = None,
    serial: int = 123456,
    hub_port: int | None = None,
    version: int | None = None,
) -> FakeBoard:
    """A fake board of the device table's ``model`` (tui/core/devices.py): its device ID,
    title, SKU and relays; ``revision`` ("1017_2", "1014_3", "REL1101_1") and ``version`` say
    which one, and so whether it has a failsafe."""
    device = MODELS[model]
    return FakeBoard(
        serial,
        revision=revision or model,
        hub_port=hub_port,
        name=device.title,
        relays=[False] * device.relays,
        device_id=device.device_id,
        sku=model,
        channels=device.relays,
        device_version=version,
    )


class _Pool:
    """The library's shared handler threads: any channel's events on any of them, one channel's
    events in order (never two of them at once)."""

    def __init__(self, usb: "FakeUsb", size: int = POOL_THREADS) -> None:
        self.usb = usb
        self.changed = threading.Condition()
        self.pending: dict[int, deque[Callable[[], None]]] = {}
        self.ready: deque[int] = deque()  # sources with jobs and none running
        self.running: set[int] = set()
        self.unfinished = 0
        self.stopping = False
        self.threads = [
            threading.Thread(target=self._run, name=f"fake-phidget-{n}", daemon=True)
            for n in range(size)
        ]
        for thread in self.threads:
            thread.start()

    def put(self, key: int, job: Callable[[], None]) -> None:
        with self.changed:
            self.pending.setdefault(key, deque()).append(job)
            self.unfinished += 1
            if key not in self.running and key not in self.ready:
                self.ready.append(key)
            self.changed.notify_all()

    def join(self) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.unfinished == 0)

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()
        for thread in self.threads:
            thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self.changed:
                self.changed.wait_for(lambda: bool(self.ready) or self.stopping)
                if not self.ready:
                    return
                key = self.ready.popleft()
                self.running.add(key)
                job = self.pending[key].popleft()
            with self.usb.lock:
                self.usb.handler_threads.add(threading.get_ident())
            try:
                job()
            except Exception as error:  # the library prints and swallows them
                print(f"fake-phidget: exception in a handler: {error!r}")
            finally:
                with self.changed:
                    self.running.discard(key)
                    self.unfinished -= 1
                    if self.pending[key]:
                        self.ready.append(key)
                    self.changed.notify_all()


class FakeUsb:
    def __init__(self, pool: int = POOL_THREADS) -> None:
        self.boards: dict[int, FakeBoard] = {}
        self.busy: set[int] = set()  # serials another process holds
        self.others: list[tuple[int, int]] = []  # (serial, device id) of attached non-1017s
        self.made: list[FakeDigitalOutput] = []  # every channel object, in creation order
        self.lock = threading.RLock()
        self._open: list[FakeDigitalOutput] = []
        self.handler_threads: set[int] = set()
        self._pool = _Pool(self, pool)
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
            board.relays[:] = [False] * len(board.relays)
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
        self._pool.join()

    def stop(self) -> None:
        self._pool.stop()

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

        self._pool.put(id(source), job)

    def _matches(self, channel: "FakeDigitalOutput", board: FakeBoard) -> bool:
        if channel.serial is not None and channel.serial != board.serial:
            return False
        if channel.is_remote or channel.is_hub_port_device:
            return False
        if channel.hub_port not in (None, -1, board.port):
            return False
        return channel.index is not None and 0 <= channel.index < board.channels

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
                if channel.index in board.tripped:
                    # The enable packet sent after the attach handler fails: Detach at once.
                    self.dispatch(channel, channel.on_attach, channel)
                    self.dispatch(channel, channel._enable_failed)
                    return
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
        self._log("setChannel", index)
        if not -1 <= index <= 63:
            raise PhidgetException(INVALID_ARGUMENT)
        self.index = index

    def setHubPort(self, port: int) -> None:
        self._log("setHubPort", port)
        if not -1 <= port <= 6:
            raise PhidgetException(INVALID_ARGUMENT)
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
            try:
                if previous is not None:
                    previous(channel)
            finally:
                attached.set()  # the library returns after the attach handler has run

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
        if not closing:  # close() fires no Detach, as in the library
            self.usb.dispatch(self, self.on_detach, self)

    def _enable_failed(self) -> None:
        """A tripped persistent channel: "Failed to enable channel because failsafe is
        triggered", and the library detaches it (no error event)."""
        with self.usb.lock:
            if self.board is None:
                return
            self.board = None
            self.state = None
            handler = self.on_detach
        if handler is not None:
            handler(self)

    def getIsOpen(self) -> bool:
        return self.is_open

    def getAttached(self) -> bool:
        return self.board is not None

    # -- while attached -----------------------------------------------------------------------

    def _attached(self) -> FakeBoard:
        """For the getters: they answer from the library's memory, tripped or not."""
        if self.board is None:
            raise PhidgetException(NOT_ATTACHED)
        return self.board

    def _sendable(self) -> FakeBoard:
        """For a packet sent to the device: refused with 59 once the failsafe tripped."""
        board = self._attached()
        if self.tripped:
            raise PhidgetException(FAILSAFE_TRIPPED)
        return board

    def _transfer(self) -> None:
        """A synchronous USB transfer: the call returns when the board answered."""
        board = self.board
        if board is not None and board.latency:
            time.sleep(board.latency)

    def setState(self, value: bool) -> None:
        self._log("setState", value)
        self._transfer()
        with self.usb.lock:
            board = self._sendable()
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
            self._attached()
            assert self.index is not None
            if self.state is None:
                raise PhidgetException(UNKNOWN_VALUE)
            return self.state

    def enableFailsafe(self, ms: int) -> None:
        self._log("enableFailsafe", ms)
        self._transfer()
        with self.usb.lock:
            board = self._sendable()
            if not board.has_failsafe:
                raise PhidgetException(UNSUPPORTED)
            assert self.index is not None
            board.failsafe_ms[self.index] = ms

    def resetFailsafe(self) -> None:
        self._log("resetFailsafe")
        self._transfer()
        with self.usb.lock:
            board = self._sendable()
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

    def getDeviceID(self) -> int:
        return self._attached().device_id

    def getDeviceName(self) -> str:
        return self._attached().name


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
                for index in range(board.channels):
                    seen = _ManagerChannel(board, index, device_id=board.device_id)
                    self.usb.dispatch(self, self.on_attach, self, seen)
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
    ``BoardConfig`` fields (serial 123456 unless given) and optionally ``sleep`` and
    ``monotonic`` (the adapter's clocks)."""
    sleep = config.pop("sleep", None)
    clock: dict[str, Any] = {"monotonic": config.pop("monotonic")} if "monotonic" in config else {}
    settings: dict[str, Any] = {"serial": 123456, **config}
    board = PhidgetBoard(BoardConfig(**settings), channels, api=usb.api(), sleep=sleep, **clock)
    return board, Recorder()
