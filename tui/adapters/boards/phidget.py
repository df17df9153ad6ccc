"""The Phidget InterfaceKit 0/0/8 (1017) through Phidget22: one DigitalOutput per relay in use.

What shapes this module (see the 1017 reference notes):

- The long-running path uses ``open()`` with attach/detach/error handlers, never
  ``openWaitForAttachment``, which closes the channel on timeout so that it never attaches later.
  A board plugged in late, or unplugged and replugged, attaches by itself.
- Every attach forces the relay off (unless channel persistence is on), so the wanted state is
  re-applied in the attach handler; commands given while detached are remembered for then.
- Handlers run on library threads: they only update this object's state and call ``emit``.
- A failsafe trip (error event 4108) makes every call fail with code 59 until the channel is
  closed and reopened, which a short worker thread does.
- One process at a time can own a USB board; a second one gets error events with code 2.

Phidget22 is imported only by ``load_phidget22``, so the rest of the program never loads it;
tests pass a ``PhidgetApi`` holding fakes instead.
"""

import contextlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tui.adapters.boards.base import (
    BoardEvent,
    BoardEventKind,
    BoardInfo,
    BoardLibraryMissing,
    EventSink,
)
from tui.core.config import BoardConfig, OnExit
from tui.core.durations import format_duration

# Phidget22's ErrorCode and ErrorEventCode values, as plain ints so this module loads without it.
TIMED_OUT = 3
UNSUPPORTED = 20
NOT_ATTACHED = 52
FAILSAFE_TRIPPED = 59
EVENT_BUSY = 2
EVENT_ERROR_ENDED = 4096
EVENT_FAILSAFE = 4108
# DeviceID.PHIDID_1017, ChannelClass.PHIDCHCLASS_DIGITALOUTPUT, DeviceClass.PHIDCLASS_VINT
PHIDID_1017 = 12
DIGITAL_OUTPUT = 6
VINT_DEVICE = 21

LIBRARY_HELP = (
    "install the Debian package libusb-1.0-0 (sudo apt-get install libusb-1.0-0) and, to use "
    'the board as a normal user, Phidgets\' udev rule for vendor 06c2 (README: "Troubleshooting"); '
    'or set [board] kind = "simulated"'
)
BUSY_HELP = (
    "board busy: another process has this Phidget board open, and only one process can own a USB "
    "board; stop it (another delestage service, the Phidget Control Panel), or run `delestage` "
    "to attach to the running service"
)


@dataclass(frozen=True)
class PhidgetApi:
    """The parts of Phidget22 this module uses; tests pass fakes that mirror them."""

    DigitalOutput: Callable[[], Any]
    Manager: Callable[[], Any]
    PhidgetException: type[Exception]


def load_phidget22() -> PhidgetApi:
    """Import Phidget22 and load its native library, or raise BoardLibraryMissing in one line."""
    try:
        from Phidget22.Devices.DigitalOutput import DigitalOutput
        from Phidget22.Devices.Manager import Manager
        from Phidget22.Phidget import Phidget
        from Phidget22.PhidgetException import PhidgetException

        # Importing loads nothing native; the first call does, and fails without libusb.
        Phidget.getLibraryVersion()
    except ImportError as error:
        raise BoardLibraryMissing(
            f"the Phidget22 Python package is missing ({error}): pip install phidget22"
        ) from None
    except OSError as error:
        raise BoardLibraryMissing(
            f"the Phidget22 native library cannot load ({error}): {LIBRARY_HELP}"
        ) from None
    return PhidgetApi(
        DigitalOutput=DigitalOutput, Manager=Manager, PhidgetException=PhidgetException
    )


def _code(error: Exception) -> int | None:
    code = getattr(error, "code", None)
    return int(code) if code is not None else None


def _describe(error: Exception) -> str:
    description = getattr(error, "description", "") or str(error).splitlines()[0]
    return f"{description} (Phidget22 code {_code(error)})"


def _word(energised: bool) -> str:
    return "energised" if energised else "released"


def failsafe_from_sku(sku: str | None) -> bool:
    """Only the 1017_2 has a hardware failsafe (Phidget22 calls the older ones 1017_0/1017_1)."""
    return sku is not None and "1017_2" in sku


def _address(channel: Any, config: BoardConfig, index: int) -> None:
    """Serial when configured (else any 1017); a hub port only for a 1017_2 on a VINT hub.

    The 1017_2 on a hub is a VINT device with channels, so IsHubPortDevice stays False: setting
    it addresses the hub port itself as one digital output, which never matches a 1017.
    """
    if config.serial is not None:
        channel.setDeviceSerialNumber(config.serial)
    if config.hub_port is not None:
        channel.setHubPort(config.hub_port)
    channel.setChannel(index)


class _Relay:
    """One configured relay: its library channel and what is known about it."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.handle: Any = None
        self.wanted: bool | None = None  # the service's last command
        self.actual: bool | None = None  # the last acknowledged state, None while detached
        self.attached = False
        self.failsafe_on = False
        self.tripped = False  # failsafe tripped: every call fails until closed and reopened
        self.reopening = False
        # One command at a time per relay, so a re-apply on attach cannot overtake a newer one.
        self.apply_lock = threading.Lock()


class PhidgetBoard:
    """A 1017 driven through Phidget22 (see the module docstring for the lifecycle)."""

    kind = "phidget"

    def __init__(
        self, config: BoardConfig, channels: Iterable[int], api: PhidgetApi | None = None
    ) -> None:
        self.config = config
        self._api = api or load_phidget22()
        self._relays = {index: _Relay(index) for index in sorted(set(channels))}
        self._lock = threading.Lock()  # guards the board-level fields below
        self._emit: EventSink | None = None
        self._board_attached = False
        self._closing = False
        self._serial = config.serial
        self._sku: str | None = None
        self._failsafe_supported: bool | None = None
        self._told_no_failsafe = False
        self._told_busy = False
        self._workers: list[threading.Thread] = []

    # -- the RelayBoard protocol -------------------------------------------------------------

    def open(self, emit: EventSink) -> None:
        """Open every channel and return at once; each attaches whenever the board appears."""
        self._emit = emit
        for relay in self._relays.values():
            try:
                relay.handle = self._new_channel(relay)
                relay.handle.open()
            except self._api.PhidgetException as error:
                self._send(
                    BoardEventKind.ERROR,
                    f"relay {relay.index}: cannot open the channel: {_describe(error)}",
                    relay.index,
                )

    @property
    def attached(self) -> bool:
        return all(relay.attached for relay in self._relays.values())

    def info(self) -> BoardInfo:
        with self._lock:
            supported = self._failsafe_supported
            if supported is None:
                supported = failsafe_from_sku(self._sku)
            return BoardInfo(self.kind, serial=self._serial, revision=self._sku, failsafe=supported)

    def set_relay(self, channel: int, energised: bool) -> None:
        """Command a relay; never raises: problems become ERROR events."""
        relay = self._relay(channel)
        relay.wanted = energised
        self._apply(relay)

    def relay(self, channel: int) -> bool | None:
        relay = self._relay(channel)
        return relay.actual if relay.attached else None

    def keepalive(self) -> None:
        for relay in self._relays.values():
            with relay.apply_lock:
                if not (relay.failsafe_on and relay.attached and not relay.tripped):
                    continue
                try:
                    relay.handle.resetFailsafe()
                except self._api.PhidgetException as error:
                    self._command_failed(relay, "resetting the failsafe", error)

    def close(self, on_exit: OnExit) -> None:
        """Close every channel.

        "release": relays de-energise (closing does it; with persistence on, they are released
        first). "keep": relays stay as they are, which needs channel persistence, set before
        open from the configured ``on_exit``; without it the library releases them on close.
        """
        persistent = self.config.on_exit is OnExit.KEEP
        if on_exit is OnExit.RELEASE and persistent:
            for relay in self._relays.values():
                relay.wanted = False
                self._apply(relay)
        with self._lock:
            self._closing = True
            workers = list(self._workers)
        for worker in workers:
            worker.join(timeout=5)
        for relay in self._relays.values():
            if relay.handle is not None:
                # Already closed, or the board is gone: nothing left to release.
                with contextlib.suppress(self._api.PhidgetException):
                    relay.handle.close()
            relay.attached = False
            relay.actual = None

    # -- diagnostics -------------------------------------------------------------------------

    def open_channels(self) -> list[int]:
        """Relays whose library channel is open (attached, or waiting for the board)."""
        return [
            relay.index
            for relay in self._relays.values()
            if relay.handle is not None and relay.handle.getIsOpen()
        ]

    # -- handlers (library threads) ----------------------------------------------------------

    def _new_channel(self, relay: _Relay) -> Any:
        channel = self._api.DigitalOutput()
        _address(channel, self.config, relay.index)
        if self.config.on_exit is OnExit.KEEP:
            # Before open(): attach and close then leave the relay as it is.
            channel.setChannelPersistence(True)
        channel.setOnAttachHandler(lambda _ch: self._on_attach(relay))
        channel.setOnDetachHandler(lambda _ch: self._on_detach(relay))
        channel.setOnErrorHandler(lambda _ch, code, text: self._on_error(relay, int(code), text))
        return channel

    def _on_attach(self, relay: _Relay) -> None:
        if self._closing:
            return
        handle = relay.handle
        try:
            serial, sku = handle.getDeviceSerialNumber(), handle.getDeviceSKU()
        except self._api.PhidgetException:
            serial, sku = None, None
        with self._lock:
            self._serial = serial if serial is not None else self._serial
            self._sku = sku if sku is not None else self._sku
            self._told_busy = False
        relay.tripped = False
        relay.failsafe_on = False
        self._enable_failsafe(relay)
        relay.attached = True
        relay.reopening = False
        self._apply(relay)
        with self._lock:
            arrived = not self._board_attached and all(
                item.attached or item.reopening for item in self._relays.values()
            )
            if arrived:
                self._board_attached = True
        if arrived:
            self._send(BoardEventKind.ATTACHED, f"{self._name()} attached")

    def _on_detach(self, relay: _Relay) -> None:
        relay.attached = False
        relay.actual = None
        relay.failsafe_on = False
        if self._closing or relay.reopening:
            return
        with self._lock:
            left = self._board_attached
            self._board_attached = False
        if left:
            self._send(
                BoardEventKind.DETACHED,
                f"{self._name()} detached: its relays are released until it comes back, "
                "then the wanted states are re-applied",
            )

    def _on_error(self, relay: _Relay, code: int, text: str) -> None:
        if self._closing:
            return
        if code == EVENT_FAILSAFE:
            relay.tripped = True
            relay.actual = False
            self._send(
                BoardEventKind.FAILSAFE,
                f"relay {relay.index}: hardware failsafe tripped (no keepalive within "
                f"{format_duration(self.config.failsafe)}): relay released; reopening the channel",
                relay.index,
            )
            self._reopen_later(relay)
        elif code == EVENT_BUSY:
            with self._lock:
                told, self._told_busy = self._told_busy, True
            if not told:  # the library retries, and fires this on every attempt
                self._send(BoardEventKind.ERROR, BUSY_HELP)
        elif code != EVENT_ERROR_ENDED:
            self._send(
                BoardEventKind.ERROR,
                f"relay {relay.index}: {text.strip()} (Phidget22 error event {code})",
                relay.index,
            )

    # -- commands ----------------------------------------------------------------------------

    def _apply(self, relay: _Relay) -> None:
        """Send the wanted state and read it back; a no-op while detached (attach re-applies)."""
        with relay.apply_lock:
            wanted = relay.wanted
            if not relay.attached or relay.tripped:
                return
            try:
                if wanted is not None:
                    relay.handle.setState(wanted)
                state = bool(relay.handle.getState())
            except self._api.PhidgetException as error:
                what = f"setting it {_word(wanted)}" if wanted is not None else "reading it"
                self._command_failed(relay, what, error)
                return
            relay.actual = state
        if wanted is not None and state != wanted:
            self._send(
                BoardEventKind.ERROR,
                f"relay {relay.index}: commanded {_word(wanted)} but the board reports "
                f"{_word(state)}",
                relay.index,
            )

    def _command_failed(self, relay: _Relay, what: str, error: Exception) -> None:
        code = _code(error)
        if code == NOT_ATTACHED:
            return  # unplugged meanwhile: the detach event tells, the attach re-applies
        if code == FAILSAFE_TRIPPED:
            relay.tripped = True
            relay.actual = False
            self._reopen_later(relay)
            return
        self._send(
            BoardEventKind.ERROR,
            f"relay {relay.index}: {what} failed: {_describe(error)}",
            relay.index,
        )

    def _enable_failsafe(self, relay: _Relay) -> None:
        period = self.config.failsafe
        if not period:
            return
        try:
            relay.handle.enableFailsafe(int(period.total_seconds() * 1000))
        except self._api.PhidgetException as error:
            if _code(error) != UNSUPPORTED:
                self._send(
                    BoardEventKind.ERROR,
                    f"relay {relay.index}: enabling the failsafe failed: {_describe(error)}",
                    relay.index,
                )
                return
            with self._lock:
                self._failsafe_supported = False
                told, self._told_no_failsafe = self._told_no_failsafe, True
            if not told:
                self._send(
                    BoardEventKind.ERROR,
                    f"no hardware failsafe on this board ({self._sku or '1017_0/1017_1'}): "
                    f'board.failsafe = "{format_duration(period)}" has no effect; only a '
                    "1017_2 has one",
                )
            return
        relay.failsafe_on = True
        with self._lock:
            self._failsafe_supported = True

    def _reopen_later(self, relay: _Relay) -> None:
        """Close and reopen a tripped channel, off the library's thread that reported it."""
        with self._lock:
            if relay.reopening or self._closing:
                return
            relay.reopening = True
            self._workers = [worker for worker in self._workers if worker.is_alive()]
            worker = threading.Thread(
                target=self._reopen, args=(relay,), name=f"phidget-reopen-{relay.index}"
            )
            self._workers.append(worker)
        worker.start()

    def _reopen(self, relay: _Relay) -> None:
        # A tripped channel may refuse; open() below is what matters.
        with contextlib.suppress(self._api.PhidgetException):
            relay.handle.close()
        if self._closing:
            relay.reopening = False
            return
        try:
            relay.handle.open()
        except self._api.PhidgetException as error:
            relay.reopening = False
            self._send(
                BoardEventKind.ERROR,
                f"relay {relay.index}: reopening after the failsafe failed: {_describe(error)}",
                relay.index,
            )

    # -- helpers -----------------------------------------------------------------------------

    def _relay(self, channel: int) -> _Relay:
        try:
            return self._relays[channel]
        except KeyError:
            raise ValueError(
                f"relay {channel} is not configured (have {list(self._relays)})"
            ) from None

    def _name(self) -> str:
        name = f"Phidget {self._sku or '1017'}"
        return f"{name} serial {self._serial}" if self._serial is not None else name

    def _send(self, kind: BoardEventKind, message: str, channel: int | None = None) -> None:
        if self._emit is not None:
            self._emit(BoardEvent(kind, message, channel))


# -- discovery and the one-shot check --------------------------------------------------------


@dataclass(frozen=True)
class FoundBoard:
    """A 1017 the Phidget Manager sees attached."""

    serial: int
    name: str
    sku: str
    hub_port: int | None  # for a 1017_2 on a VINT hub; None on USB
    relays: int


@dataclass(frozen=True)
class Sighting:
    boards: tuple[FoundBoard, ...]
    other_devices: int  # Phidgets that are not a 1017


class _Census:
    """Collects the Manager's attach events (library thread) into boards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._relays: dict[tuple[int, int | None], set[int]] = {}
        self._about: dict[tuple[int, int | None], tuple[str, str]] = {}
        self._others: set[tuple[int, int | None, int]] = set()

    def saw(self, channel: Any) -> None:
        try:
            serial = int(channel.getDeviceSerialNumber())
            vint = int(channel.getDeviceClass()) == VINT_DEVICE
            hub_port = int(channel.getHubPort()) if vint else None
            device = int(channel.getDeviceID())
            if device != PHIDID_1017:
                with self._lock:
                    self._others.add((serial, hub_port, device))
                return
            if int(channel.getChannelClass()) != DIGITAL_OUTPUT:
                return
            key = (serial, hub_port)
            about = (str(channel.getDeviceName()), str(channel.getDeviceSKU()))
            index = int(channel.getChannel())
        except Exception:
            return  # a channel that vanished while being read: the next scan shows it
        with self._lock:
            self._relays.setdefault(key, set()).add(index)
            self._about[key] = about

    def result(self) -> Sighting:
        with self._lock:
            boards = tuple(
                FoundBoard(serial, *self._about[(serial, port)], port, len(indexes))
                for (serial, port), indexes in sorted(
                    self._relays.items(), key=lambda item: (item[0][0], item[0][1] or -1)
                )
            )
            return Sighting(boards, len(self._others))


def _start_census(api: PhidgetApi) -> tuple[Any, _Census]:
    census = _Census()
    manager = api.Manager()
    manager.setOnAttachHandler(lambda _manager, channel: census.saw(channel))
    manager.open()
    return manager, census


def list_relay_boards(wait: float = 1.5, api: PhidgetApi | None = None) -> Sighting:
    """Every 1017 attached to this machine, as the Manager reports them within ``wait`` s."""
    api = api or load_phidget22()
    manager, census = _start_census(api)
    try:
        threading.Event().wait(wait)
    finally:
        manager.close()
    return census.result()


@dataclass(frozen=True)
class Probe:
    """What `delestage check` found of the configured board."""

    found: bool  # every configured relay attached within attach_timeout
    attached: tuple[int, ...]
    missing: tuple[int, ...]
    busy: bool  # another process holds the board
    serial: int | None
    revision: str | None
    failsafe: bool
    sighting: Sighting  # what else is attached, to explain a miss


def probe_board(
    config: BoardConfig, channels: Iterable[int], api: PhidgetApi | None = None
) -> Probe:
    """Wait up to ``attach_timeout`` for every configured relay, without moving any.

    Channel persistence is on, so neither the attach nor the close releases a relay that a
    stopped service left energised ("keep").
    """
    api = api or load_phidget22()
    indexes = sorted(set(channels))
    manager, census = _start_census(api)
    done = threading.Condition()
    attached: set[int] = set()
    busy = False

    def on_attach(index: int) -> None:
        with done:
            attached.add(index)
            done.notify_all()

    def on_error(code: int) -> None:
        nonlocal busy
        if code == EVENT_BUSY:
            with done:
                busy = True
                done.notify_all()

    handles: dict[int, Any] = {}
    try:
        for index in indexes:
            handle = api.DigitalOutput()
            _address(handle, config, index)
            handle.setChannelPersistence(True)
            handle.setOnAttachHandler(lambda _ch, index=index: on_attach(index))
            handle.setOnErrorHandler(lambda _ch, code, _text: on_error(int(code)))
            handles[index] = handle
            handle.open()
        with done:
            done.wait_for(
                lambda: busy or len(attached) == len(indexes),
                timeout=config.attach_timeout.total_seconds(),
            )
            seen = sorted(attached)
            was_busy = busy
        serial, sku = None, None
        if seen:
            try:
                serial = int(handles[seen[0]].getDeviceSerialNumber())
                sku = str(handles[seen[0]].getDeviceSKU())
            except api.PhidgetException:
                pass
    finally:
        for handle in handles.values():
            with contextlib.suppress(api.PhidgetException):
                handle.close()
        manager.close()
    return Probe(
        found=len(seen) == len(indexes) and not was_busy,
        attached=tuple(seen),
        missing=tuple(index for index in indexes if index not in seen),
        busy=was_busy,
        serial=serial,
        revision=sku,
        failsafe=failsafe_from_sku(sku),
        sighting=census.result(),
    )
