"""Finding Phidget relay boards (every model of tui/core/devices.py): `delestage boards`
lists them, `delestage check` probes the configured one without moving a relay. Through a
``PhidgetApi`` (``phidget_lib``), like the board."""

import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.adapters.boards.phidget_lib import (
    DIGITAL_OUTPUT,
    EVENT_BUSY,
    VINT_DEVICE,
    PhidgetApi,
    accepted,
    address,
    load_phidget22,
    revision_for,
    revision_from_version,
)
from tui.core.config import BoardConfig
from tui.core.devices import device_by_id


@dataclass(frozen=True)
class FoundBoard:
    """A 1017 the Phidget Manager sees attached."""

    serial: int
    name: str
    revision: str  # "1017_2" or "1017_0/1017_1", told by the device version (the SKU is "1017")
    hub_port: int | None  # for a VINT device (a 1017_2 on a hub, a REL board); None on USB
    relays: int
    model: str = "1017"  # the table's model (tui/core/devices.py), told by the device ID


@dataclass(frozen=True)
class Sighting:
    boards: tuple[FoundBoard, ...]
    other_devices: int  # Phidgets that are not a 1017


class _Census:
    """Collects the Manager's attach events (library thread) into boards."""

    def __init__(self, api: PhidgetApi) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._relays: dict[tuple[int, int | None], set[int]] = {}
        self._about: dict[tuple[int, int | None], tuple[str, str]] = {}
        self._models: dict[tuple[int, int | None], str] = {}
        self._others: set[tuple[int, int | None, int]] = set()

    def saw(self, channel: Any) -> None:
        try:
            serial = int(channel.getDeviceSerialNumber())
            vint = int(channel.getDeviceClass()) == VINT_DEVICE
            hub_port = int(channel.getHubPort()) if vint else None
            device = int(channel.getDeviceID())
            model = device_by_id(device)
            if model is None:
                with self._lock:
                    self._others.add((serial, hub_port, device))
                return
            if int(channel.getChannelClass()) != DIGITAL_OUTPUT:
                return
            key = (serial, hub_port)
            if model.model == "1017":
                revision, _ = revision_from_version(channel, self._api)
            else:
                revision = f"{model.model} version {int(channel.getDeviceVersion())}"
            about = (str(channel.getDeviceName()), revision or str(channel.getDeviceSKU()))
            models = model.model
            index = int(channel.getChannel())
        except Exception:
            return  # a channel that vanished while being read: the next scan shows it
        with self._lock:
            self._relays.setdefault(key, set()).add(index)
            self._about[key] = about
            self._models[key] = models

    def result(self) -> Sighting:
        with self._lock:
            boards = tuple(
                FoundBoard(
                    serial,
                    *self._about[(serial, port)],
                    port,
                    len(indexes),
                    self._models[(serial, port)],
                )
                for (serial, port), indexes in sorted(
                    self._relays.items(), key=lambda item: (item[0][0], item[0][1] or -1)
                )
            )
            return Sighting(boards, len(self._others))


def _start_census(api: PhidgetApi) -> tuple[Any, _Census]:
    census = _Census(api)
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
    foreign: str | None = None  # a device that is not a 1017 the channels attached to
    # Relays that attached then detached at once: a failsafe tripped before (persistence on).
    bounced: tuple[int, ...] = ()


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

    foreign: list[str] = []
    bounced: set[int] = set()

    def on_detach(index: int) -> None:
        with done:
            if index in attached:  # the probe's persistence keeps a trip: enabling it failed
                bounced.add(index)

    def on_attach(index: int, handle: Any) -> None:
        other = _not_a_1017(handle, config)
        with done:
            if other is None:
                attached.add(index)
            elif other not in foreign:
                foreign.append(other)
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
            address(handle, config, index)
            handle.setChannelPersistence(True)
            handle.setOnAttachHandler(lambda ch, index=index: on_attach(index, ch))
            handle.setOnDetachHandler(lambda _ch, index=index: on_detach(index))
            handle.setOnErrorHandler(lambda _ch, code, _text: on_error(int(code)))
            handles[index] = handle
            handle.open()
        with done:
            done.wait_for(
                lambda: busy or len(attached) + len(foreign) >= len(indexes),
                timeout=config.attach_timeout.total_seconds(),
            )
            seen = sorted(attached)
            was_busy = busy
            refused = foreign[0] if foreign else None
            tripped = tuple(sorted(bounced))
        serial, revision, failsafe = None, None, None
        if seen:
            with contextlib.suppress(api.PhidgetException):
                serial = int(handles[seen[0]].getDeviceSerialNumber())
            device = None
            with contextlib.suppress(api.PhidgetException, TypeError, ValueError):
                device = device_by_id(int(handles[seen[0]].getDeviceID()))
            revision, failsafe = revision_for(handles[seen[0]], api, device)
    finally:
        for handle in handles.values():
            with contextlib.suppress(api.PhidgetException):
                handle.close()
        manager.close()
    return Probe(
        found=len(seen) == len(indexes) and not was_busy and refused is None,
        attached=tuple(seen),
        missing=tuple(index for index in indexes if index not in seen),
        busy=was_busy,
        serial=serial,
        revision=revision,
        failsafe=bool(failsafe),
        sighting=census.result(),
        foreign=refused,
        bounced=tripped,
    )


def _not_a_1017(handle: Any, config: BoardConfig) -> str | None:
    """The device a channel attached to, in words, when the configuration does not take it
    (Phidget22 matches a channel by class and index, never by device); None for a device it
    takes (``phidget_lib.accepted``) or when it cannot tell."""
    try:
        device = int(handle.getDeviceID())
    except Exception:
        return None
    if accepted(config, device) is not None:
        return None
    about = []
    for getter in ("getDeviceName", "getDeviceSKU", "getDeviceSerialNumber"):
        with contextlib.suppress(Exception):
            about.append(str(getattr(handle, getter)()))
    name, rest = (about[0], about[1:]) if about else ("a Phidget", [])
    details = ", ".join([*rest[:1], *(f"serial {serial}" for serial in rest[1:2])])
    return f"{name} ({details + ', ' if details else ''}device id {device})"
