"""The Phidget InterfaceKit 0/0/8 (1017) through Phidget22: one DigitalOutput per relay in use.

What shapes this module (see the 1017 reference notes, with their corrections):

- The long-running path uses ``open()`` with attach/detach/error handlers, never
  ``openWaitForAttachment``, which closes the channel on timeout so that it never attaches later.
  A board plugged in late, or unplugged and replugged, attaches by itself.
- Every attach releases the relay (unless channel persistence is on). The board does not put the
  relay back by itself: it reads the state and reports it, and the controller, which counts
  every relay movement against the 20-per-minute rating, decides and commands the re-apply.
- Handlers run on a pool of library threads (the 8 attach handlers at once): they only update
  this object's state under its locks and call ``emit``.
- The revision is not in the SKU ("1017" for all): a 1017_2 is told by ``getMaxFailsafeTime``
  (code 20 before it) or ``getDeviceVersion() >= 200``.
- A failsafe trip (error event 4108) makes every call fail with code 59 until the channel is
  closed and reopened without persistence (persistence suppresses the reset that clears a trip),
  which a worker thread does, backing off when trips repeat.
- A failsafe that tripped before this process started, met with persistence on: from 1.23 the
  library sends an enable packet after the attach handler, which fails on a tripped channel,
  and Detach follows Attach at once (no trip event, no code 59). A persistent channel detached
  within ``ATTACH_BOUNCE`` of its attach is taken for that, and reopened as after a trip.
- ``getState`` is the library's memory of the last successful ``setState``: no Phidget relay
  board senses its contacts. A relay is "commanded and confirmed by the board's library", never
  "read back"; the only fault this can show is a ``setState`` that failed.
- ``getState`` raising code 51 (a persistent VINT channel never set) means "unknown".
- Phidget22 matches a channel by class, index, serial, label and hub port, never by device:
  with no serial configured a DigitalOutput of any Phidget can attach. ``getDeviceID`` is
  checked on attach and a foreign device refused (its channel closed).
- Attachment is per relay: one that never attaches does not hold the others back.
- The keepalive resets each relay in turn, one USB transfer each (up to 100 ms): it is timed,
  and a pass longer than a third of the failsafe period is said once.
- One process at a time can own a USB board; a second one gets error events with code 2.

Phidget22 is loaded only by ``phidget_lib.load_phidget22``; tests pass a ``PhidgetApi`` holding
fakes instead. Discovery and `check`'s probe are ``phidget_discovery``.
"""

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from tui.adapters.boards.base import (
    BoardEvent,
    BoardEventKind,
    BoardInfo,
    EventSink,
    keepalive_overrun,
)
from tui.adapters.boards.phidget_lib import (
    BUSY_HELP,
    EVENT_BUSY,
    EVENT_ERROR_ENDED,
    EVENT_FAILSAFE,
    FAILSAFE_TRIPPED,
    NOT_ATTACHED,
    REVISION_OLD,
    UDEV_HINT,
    UNKNOWN_VALUE,
    UNSUPPORTED,
    PhidgetApi,
    accepted,
    address,
    describe_error,
    error_code,
    load_phidget22,
    revision_for,
    wanted_words,
)
from tui.core.config import BoardConfig, OnExit
from tui.core.devices import Device, device_by_id
from tui.core.durations import format_duration
from tui.core.i18n import _

# A failsafe that trips again soon after a reopen: wait longer each time before reopening.
REOPEN_QUIET = 60.0  # seconds without a trip after which the next reopen is immediate again
REOPEN_BACKOFF_MAX = 60.0
# A persistent channel detached this soon after its attach: the library could not enable it,
# because its failsafe tripped before this process started.
ATTACH_BOUNCE = 1.0


def _word(energised: bool | None) -> str:
    if energised is None:
        return "unknown"
    return "energised" if energised else "released"


class _Relay:
    """One configured relay: its library channel and what is known about it."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.handle: Any = None
        self.actual: bool | None = None  # the last acknowledged state; None: unknown
        self.attached = False
        self.attached_at: float | None = None  # monotonic time of the last attach
        self.confirmed = False  # a command went through since the last attach
        self.foreign = False  # its channel attached to a device that is not a 1017: refused
        self.failsafe_on = False
        self.tripped = False  # failsafe tripped: every call fails until closed and reopened
        self.reopening = False
        self.persistent = False  # channel persistence currently set on the handle
        self.trips: list[float] = []  # monotonic times of recent trips, for the backoff
        # One command at a time per relay, so that a read on attach cannot interleave with one.
        self.io_lock = threading.Lock()


class PhidgetBoard:
    """A 1017 driven through Phidget22 (see the module docstring for the lifecycle)."""

    kind = "phidget"
    # What to check when the board does not attach (the service's "missing" event says it).
    hint = UDEV_HINT

    def __init__(
        self,
        config: BoardConfig,
        channels: Iterable[int],
        api: PhidgetApi | None = None,
        *,
        sleep: Callable[[float], object] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._api = api or load_phidget22()
        self._relays = {index: _Relay(index) for index in sorted(set(channels))}
        self._lock = threading.Lock()  # guards the board-level fields below
        self._emit: EventSink | None = None
        self._board_attached = False
        self._closing = False
        self._closed = threading.Event()
        # How a reopen waits out its backoff: returns early when the board is closed.
        self._sleep = sleep or self._closed.wait
        self._monotonic = monotonic
        self._serial = config.serial
        self._revision: str | None = None
        self._device: Device | None = None  # the table's model, from the device ID on attach
        self._failsafe_supported: bool | None = None
        self._told_no_failsafe = False
        self._told_busy = False
        self._told_persistence = False
        self._told_keepalive = False
        self._told_foreign: set[int] = set()  # serials of foreign devices already refused
        self.keepalive_seconds: float | None = None  # how long the last keepalive pass took
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
                    f"relay {relay.index}: cannot open the channel: {describe_error(error)}",
                    relay.index,
                )

    @property
    def attached(self) -> bool:
        """Every configured relay attached (the board as a whole)."""
        return all(relay.attached for relay in self._relays.values())

    def channel_attached(self, channel: int) -> bool:
        """This relay's channel attached and usable (not tripped, not a foreign device)."""
        relay = self._relay(channel)
        return relay.attached and not relay.tripped and not relay.foreign

    def info(self) -> BoardInfo:
        with self._lock:
            return BoardInfo(
                self.kind,
                serial=self._serial,
                revision=self._revision,
                failsafe=bool(self._failsafe_supported),
                name=self.config.name,
                model=self._device.model if self._device else self.config.model,
            )

    def set_relay(self, channel: int, energised: bool) -> None:
        """Command a relay; never raises: problems become ERROR events.

        A blocking USB transfer: call it off the event loop. While detached nothing happens
        (``relay()`` stays None); the controller commands again once the board is back.
        Afterwards ``relay()`` is the library's memory: the state commanded and confirmed by the
        board's library, or the previous one when the ``setState`` failed.
        """
        relay = self._relay(channel)
        with relay.io_lock:
            if not relay.attached or relay.tripped or relay.foreign:
                return
            try:
                relay.handle.setState(energised)
                relay.confirmed = True
            except self._api.PhidgetException as error:
                self._command_failed(relay, f"setting it {_word(energised)}", error)
            self._read(relay)

    def relay(self, channel: int) -> bool | None:
        relay = self._relay(channel)
        return relay.actual if self.channel_attached(channel) else None

    def keepalive(self) -> None:
        """Reset the failsafe of every relay: blocking USB transfers, call it off the loop.

        The pass is timed: one longer than a third of the failsafe period (the controller's
        keepalive interval) is said once, since a relay at its end may trip before the next.
        Several boards: ``MultiBoard.keepalive`` runs ``reset_failsafes`` of each in turn and
        times the whole pass instead.
        """
        started = self._monotonic()
        resets = self.reset_failsafes()
        if resets:
            self._measured(self._monotonic() - started, resets)

    def reset_failsafes(self) -> int:
        """One keepalive pass, untimed: how many relays were reset."""
        resets = 0
        for relay in self._relays.values():
            with relay.io_lock:
                if not (relay.failsafe_on and relay.attached and not relay.tripped):
                    continue
                resets += 1
                try:
                    relay.handle.resetFailsafe()
                except self._api.PhidgetException as error:
                    self._command_failed(relay, "resetting the failsafe", error)
        return resets

    def _measured(self, seconds: float, resets: int) -> None:
        self.keepalive_seconds = seconds
        message = keepalive_overrun(seconds, resets, self.config.failsafe)
        if message is None:
            return
        with self._lock:
            told, self._told_keepalive = self._told_keepalive, True
        if not told:
            self._send(BoardEventKind.ERROR, message)

    def close(self, on_exit: OnExit) -> None:
        """Close every channel.

        "release": relays de-energise (closing does it; with persistence on, they are released
        first). "keep": relays stay as they are, which needs channel persistence, set before
        open from the configured ``on_exit``; without it the library releases them on close.
        """
        if on_exit is OnExit.RELEASE:
            for relay in self._relays.values():
                if relay.persistent:
                    self.set_relay(relay.index, False)
        with self._lock:
            self._closing = True
            workers = list(self._workers)
        self._closed.set()
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
        address(channel, self.config, relay.index)
        if self.config.on_exit is OnExit.KEEP:
            # Before open(): attach and close then leave the relay as it is.
            channel.setChannelPersistence(True)
            relay.persistent = True
        channel.setOnAttachHandler(lambda _ch: self._on_attach(relay))
        channel.setOnDetachHandler(lambda _ch: self._on_detach(relay))
        channel.setOnErrorHandler(lambda _ch, code, text: self._on_error(relay, int(code), text))
        return channel

    def _on_attach(self, relay: _Relay) -> None:
        if self._closing:
            return
        handle = relay.handle
        refused = self._foreign(handle)
        if refused:
            relay.foreign = True
            other, line = refused
            with self._lock:
                told = other in self._told_foreign
                self._told_foreign.add(other)
            if not told:  # one line for the device, not one per relay
                self._send(BoardEventKind.ERROR, line)
            self._close_later(relay)
            return
        revision, failsafe = revision_for(handle, self._api, self._device)
        try:
            serial = int(handle.getDeviceSerialNumber())
        except self._api.PhidgetException:
            serial = None
        with self._lock:
            self._serial = serial if serial is not None else self._serial
            if revision is not None:
                self._revision = revision
                self._failsafe_supported = failsafe
            self._told_busy = False
        with relay.io_lock:
            relay.tripped = False
            relay.failsafe_on = False
            self._enable_failsafe(relay, failsafe)
            if not relay.tripped:
                # Released by the attach, or kept by persistence: the board's word, no guess.
                self._read(relay)
            if relay.tripped:
                return  # still tripped (persistence kept it): the reopen's attach reports
            relay.attached = True
            relay.attached_at = self._monotonic()
            relay.confirmed = False
            relay.reopening = False
        with self._lock:
            arrived = not self._board_attached and all(
                item.attached or item.reopening for item in self._relays.values()
            )
            if arrived:
                self._board_attached = True
        if arrived:
            self._send(BoardEventKind.ATTACHED, _("{board} attached").format(board=self._name()))

    def _on_detach(self, relay: _Relay) -> None:
        attached_at, relay.attached_at = relay.attached_at, None
        bounced = (
            relay.persistent
            and not relay.confirmed  # a command went through: the channel was enabled
            and attached_at is not None
            and self._monotonic() - attached_at < ATTACH_BOUNCE
        )
        relay.attached = False
        relay.actual = None
        relay.failsafe_on = False
        if self._closing or relay.reopening:
            return
        if bounced:
            self._tripped_before_start(relay)
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
            self._tripped(relay)
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

    def _read(self, relay: _Relay) -> bool | None:
        """Read the relay's state into ``relay.actual`` (None: the board cannot tell)."""
        try:
            state: bool | None = bool(relay.handle.getState())
        except self._api.PhidgetException as error:
            if error_code(error) not in (UNKNOWN_VALUE, NOT_ATTACHED):
                self._command_failed(relay, "reading it", error)
            state = None
        relay.actual = state
        return state

    def _command_failed(self, relay: _Relay, what: str, error: Exception) -> None:
        code = error_code(error)
        if code == NOT_ATTACHED:
            return  # unplugged meanwhile: the detach event tells
        if code == FAILSAFE_TRIPPED:
            self._tripped(relay)
            return
        self._send(
            BoardEventKind.ERROR,
            f"relay {relay.index}: {what} failed: {describe_error(error)}",
            relay.index,
        )

    def _enable_failsafe(self, relay: _Relay, supported: bool | None) -> None:
        period = self.config.failsafe
        if not period:
            return
        if supported is False:
            with self._lock:
                told, self._told_no_failsafe = self._told_no_failsafe, True
            if not told:
                self._send(
                    BoardEventKind.ERROR,
                    f"no hardware failsafe on this board ({self._revision or REVISION_OLD}): "
                    f'board.failsafe = "{format_duration(period)}" has no effect; only a '
                    "1017_2 has one",
                )
            return
        try:
            relay.handle.enableFailsafe(int(period.total_seconds() * 1000))
        except self._api.PhidgetException as error:
            if error_code(error) == UNSUPPORTED:
                with self._lock:
                    self._failsafe_supported = False
                    self._revision = REVISION_OLD
                self._enable_failsafe(relay, False)
            else:
                self._command_failed(relay, "enabling the failsafe", error)
            return
        relay.failsafe_on = True

    def _foreign(self, handle: Any) -> tuple[int, str] | None:
        """(serial, the refusal in one line) when the channel attached to a device that is not
        a 1017 (Phidget22 matches channels by class and index, never by device)."""
        try:
            device = int(handle.getDeviceID())
        except (self._api.PhidgetException, AttributeError, TypeError, ValueError):
            return None  # it cannot tell: the 1017 it was addressed to
        if accepted(self.config, device) is not None:
            with self._lock:
                self._device = device_by_id(device)
            return None
        name, sku, serial = "a Phidget", "?", -1
        with contextlib.suppress(Exception):
            name = str(handle.getDeviceName())
        with contextlib.suppress(Exception):
            sku = str(handle.getDeviceSKU())
        with contextlib.suppress(Exception):
            serial = int(handle.getDeviceSerialNumber())
        return serial, (
            f"refused {name} ({sku}, serial {serial}, device id {device}): its relay channels "
            f"matched the configuration but it is not {wanted_words(self.config)}, so "
            "delestage does not switch it and those relays stay unused; set [board] serial to "
            "the board's (`delestage boards` lists it), or its model, and restart"
        )

    def _close_later(self, relay: _Relay) -> None:
        """Close a refused channel off the library's thread that attached it."""

        def close() -> None:
            with contextlib.suppress(self._api.PhidgetException):
                relay.handle.close()

        self._start_worker(close, f"phidget-refuse-{relay.index}")

    def _start_worker(self, target: Callable[[], None], name: str) -> None:
        with self._lock:
            if self._closing:
                return
            self._workers = [worker for worker in self._workers if worker.is_alive()]
            worker = threading.Thread(target=target, name=name)
            self._workers.append(worker)
        worker.start()

    def _tripped_before_start(self, relay: _Relay) -> None:
        """Attach then Detach at once on a persistent channel: tripped before this process."""
        self._send(
            BoardEventKind.FAILSAFE,
            f"relay {relay.index}: attached then detached at once: its hardware failsafe "
            "tripped before this process started, and a tripped channel cannot be enabled "
            "while channel persistence keeps the trip; reopening it without persistence "
            "(relay released)",
            relay.index,
        )
        with self._lock:
            relay.trips.append(self._monotonic())
        self._reopen_later(relay, 0.0)

    def _tripped(self, relay: _Relay) -> None:
        """The failsafe released the relay; every call fails until the channel is reopened."""
        with self._lock:
            if relay.tripped or self._closing:
                return
            relay.tripped = True
            relay.actual = False
            now = self._monotonic()
            relay.trips = [t for t in relay.trips if now - t < REOPEN_QUIET] + [now]
            repeats = len(relay.trips) - 1
            delay = min(REOPEN_BACKOFF_MAX, 2.0 ** (repeats - 1)) if repeats else 0.0
        wait = f" in {delay:g} s (it tripped again soon after the last reopen)" if delay else ""
        self._send(
            BoardEventKind.FAILSAFE,
            f"relay {relay.index}: hardware failsafe tripped (no keepalive within "
            f"{format_duration(self.config.failsafe)}): relay released; reopening the "
            f"channel{wait}",
            relay.index,
        )
        self._reopen_later(relay, delay)

    def _reopen_later(self, relay: _Relay, delay: float) -> None:
        """Close and reopen a tripped channel, off the library's thread that reported it."""
        with self._lock:
            if relay.reopening or self._closing:
                return
            relay.reopening = True
            self._workers = [worker for worker in self._workers if worker.is_alive()]
            worker = threading.Thread(
                target=self._reopen, args=(relay, delay), name=f"phidget-reopen-{relay.index}"
            )
            self._workers.append(worker)
        worker.start()

    def _reopen(self, relay: _Relay, delay: float) -> None:
        if delay:
            self._sleep(delay)
        if relay.persistent:
            # Persistence suppresses the reset on close and attach, the only thing that clears
            # a trip: reopened as is, the channel would stay tripped and trip again forever.
            with contextlib.suppress(self._api.PhidgetException):
                relay.handle.setChannelPersistence(False)
            relay.persistent = False
            with self._lock:
                told, self._told_persistence = self._told_persistence, True
            if not told:
                self._send(
                    BoardEventKind.ERROR,
                    f"relay {relay.index}: a tripped failsafe only clears without channel "
                    'persistence: persistence turned off for this relay (on_exit = "keep" no '
                    "longer holds it)",
                    relay.index,
                )
        with relay.io_lock:
            # close() fires no Detach: the relay is not attached until the reopen's attach.
            relay.attached = False
            relay.actual = None
            with contextlib.suppress(self._api.PhidgetException):
                relay.handle.close()  # a tripped channel may refuse; open() below matters
        if self._closing:
            relay.reopening = False
            return
        try:
            relay.handle.open()
        except self._api.PhidgetException as error:
            relay.reopening = False
            self._send(
                BoardEventKind.ERROR,
                f"relay {relay.index}: reopening after the failsafe failed: "
                f"{describe_error(error)}",
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
        model = self._device.model if self._device else self.config.model or "1017"
        revision = self._revision if model == "1017" else None
        name = f"Phidget {revision or model}"
        if self.config.name:
            name = f"board {self.config.name} ({name})"
        return f"{name} serial {self._serial}" if self._serial is not None else name

    def _send(self, kind: BoardEventKind, message: str, channel: int | None = None) -> None:
        if self._emit is not None:
            self._emit(BoardEvent(kind, message, channel))
