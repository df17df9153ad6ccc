"""Issue 22: the controller with the Phidget adapter over the fake Phidget22 library.

Not the simulated board: these are the sequences the real library produces (tests/support/
fake_phidget.py mirrors it, and tests/test_phidget_contract.py holds the fake to the real
library where no board is needed), driven through the service's own loop on a virtual clock.
The adapter's monotonic clock is injected too, so that "at once" is a decision of the test.
"""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.fake_phidget import FakeBoard, FakeUsb
from support.service import at, make_config, running

from tui.adapters.boards.phidget import ATTACH_BOUNCE, PhidgetBoard
from tui.adapters.boards.phidget_lib import UDEV_HINT
from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.compose.service import build_controller
from tui.core.config import BoardConfig, BoardKind, Config, OnExit
from tui.service.controller import Controller

# The adapter's threads and the fake's: timed waits that hang under libfaketime.
pytestmark = pytest.mark.phidget_lib

SERIAL = 123456
DAY = at("2026-12-02T00:00:00+01:00")
AFTERNOON = DAY + timedelta(hours=15)  # green, no strain before the evening


class Monotonic:
    """The adapter's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def phidget_config(state: Path, **board: Any) -> Config:
    config = make_config(state)
    settings: dict[str, Any] = {"kind": BoardKind.PHIDGET, "serial": SERIAL, **board}
    return replace(config, board=BoardConfig(**settings))


def service(
    usb: FakeUsb, config: Config, clock: ManualClock, monotonic: Callable[[], float]
) -> tuple[Controller, PhidgetBoard]:
    indexes = [channel.index for channel in config.channels]
    board = PhidgetBoard(config.board, indexes, api=usb.api(), monotonic=monotonic)
    return build_controller(config, clock, {}, board=board), board


async def settled(usb: FakeUsb, controller: Controller) -> None:
    """Every library event delivered to the adapter and then to the loop, and a step after."""
    await asyncio.to_thread(usb.settle)
    await asyncio.sleep(0)
    await controller.settle()


def events_of(state: Path) -> list[dict[str, Any]]:
    return [event.to_dict() for event in read_events(state)]


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll, bounded, without blocking the loop (the adapter's threads and the loop's timers
    carry on meanwhile); not a timing assertion."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"condition still false after {seconds} s")


# --- 1. a persistent VINT channel that is unknown after a replug is commanded again -------------


async def test_a_vint_relay_unknown_after_a_replug_is_commanded_again_and_counted(
    tmp_path: Path, usb: FakeUsb
) -> None:
    state = tmp_path / "state"
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2", hub_port=1))
    config = phidget_config(state, hub_port=1, on_exit=OnExit.KEEP)
    clock, monotonic = ManualClock(AFTERNOON, auto_advance=False), Monotonic()
    controller, board = service(usb, config, clock, monotonic)
    async with running(controller):
        # The first start commands the unknown relays once they attach (on the library's
        # threads: later than the start on a loaded machine); then past their min_switch_gap.
        await until(lambda: all(board.channel_attached(ch.index) for ch in config.channels))
        await settled(usb, controller)
        clock.advance(10)
        await settled(usb, controller)
        answer = await controller.force(0, True, duration=timedelta(hours=2))
        assert hardware.relays[0] is True, answer
        switches = len(controller.history[0].switches)

        clock.advance(30)
        monotonic.now += 30
        usb.unplug(SERIAL)  # the relay releases; on a hub, persistence cannot say so after
        await settled(usb, controller)
        usb.plug(hardware)
        await settled(usb, controller)
        assert board.channel_attached(0)
        await settled(usb, controller)
        assert hardware.relays[0] is True, "the unknown relay was put back where it was"
        assert board.relay(0) is True
        assert len(controller.history[0].switches) == switches + 1, "the put-back is counted"
        assert (await controller.snapshot()).channel(0).mismatch is None
    # Every relay of the hub's board came back unknown: each commanded again, once.
    unknown = [e for e in events_of(state) if e.get("event") == "unknown"]
    assert sorted(e["channel"] for e in unknown) == [0, 1, 2, 3]
    assert (
        "cannot tell its state after the attach: commanding it powered again"
        in (unknown[0]["message"])
    )
    put_back = [e for e in events_of(state) if e.get("by") == "reconcile"]
    assert sorted(e["channel"] for e in put_back) == [0, 1, 2, 3]


# --- 2. a foreign device is refused in one line --------------------------------------------------


async def test_a_foreign_device_matching_the_channels_is_refused_in_one_line(
    tmp_path: Path, usb: FakeUsb
) -> None:
    state = tmp_path / "state"
    foreign = usb.plug(
        FakeBoard(777, revision="REL1000", device_id=81, name="4x Relay Phidget", sku="REL1000")
    )
    config = phidget_config(state, serial=None, attach_timeout=timedelta(milliseconds=200))
    clock = ManualClock(AFTERNOON, auto_advance=False)
    controller, board = service(usb, config, clock, Monotonic())
    async with running(controller):
        await settled(usb, controller)
        await controller.force(0, True, duration=timedelta(hours=2))
        await settled(usb, controller)
        await until(lambda: all(not usb.channel(i).getIsOpen() for i in range(4)))
        assert not any(board.channel_attached(i) for i in range(4))
        assert (await controller.snapshot()).channel(0).powered is None
    assert foreign.relays == [False] * 8
    assert all("setState" not in usb.calls(index) for index in range(4))
    refused = [e for e in events_of(state) if "not a Phidget 1017" in e.get("message", "")]
    assert len(refused) == 1, "one line for the device, not one per relay"
    line = refused[0]["message"]
    assert line.startswith("refused 4x Relay Phidget (REL1000, serial 777, device id 81)")
    assert "set [board] serial" in line


# --- 5. one relay that never attaches does not hold the others back ------------------------------


async def test_one_relay_that_never_attaches_leaves_the_others_observed_and_put_back(
    tmp_path: Path, usb: FakeUsb
) -> None:
    state = tmp_path / "state"
    # Relay 3 of the configuration has no channel on this board: it never attaches.
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_1", channels=3))
    config = phidget_config(state, attach_timeout=timedelta(milliseconds=200))
    clock, monotonic = ManualClock(AFTERNOON, auto_advance=False), Monotonic()
    controller, board = service(usb, config, clock, monotonic)
    async with running(controller):
        await settled(usb, controller)
        await until(lambda: any(e.get("event") == "missing" for e in events_of(state)))
        assert not board.attached and board.channel_attached(0)
        assert controller.history[1].powered is True, "relay 1 (nc) taken from the board"
        clock.advance(10)  # past any min_switch_gap of a relay the start commanded on attach
        await settled(usb, controller)
        answer = await controller.force(0, True, duration=timedelta(hours=2))
        assert hardware.relays[0] is True, answer
        energised = [index for index in range(3) if hardware.relays[index]]
        clock.advance(30)
        usb.unplug(SERIAL)
        await settled(usb, controller)
        usb.plug(hardware)  # the attach releases relay 0: moved behind the controller's back
        await settled(usb, controller)
        await settled(usb, controller)
        assert hardware.relays[0] is True, "put back though relay 3 never attached"
        assert [index for index in range(3) if hardware.relays[index]] == energised
    missing = [e for e in events_of(state) if e.get("event") == "missing"]
    assert len(missing) == 1
    assert missing[0]["message"].startswith("phidget board: relay(s) 3 not attached after 0.2 s")
    assert missing[0]["message"].endswith(UDEV_HINT)
    moved = [e for e in events_of(state) if e.get("by") == "board"]
    assert [e["channel"] for e in moved] == energised


# --- 6. a failsafe tripped before this process: attach, then detach at once ----------------------


async def test_a_failsafe_tripped_before_the_start_is_reopened_as_after_a_trip(
    tmp_path: Path, usb: FakeUsb
) -> None:
    state = tmp_path / "state"
    hardware = FakeBoard(SERIAL, revision="1017_2")
    hardware.tripped.add(0)  # a previous process's failsafe tripped, and nothing reset it
    usb.plug(hardware)
    config = phidget_config(state, on_exit=OnExit.KEEP)
    clock = ManualClock(AFTERNOON, auto_advance=False)
    controller, board = service(usb, config, clock, Monotonic())  # "at once": time stands
    async with running(controller):
        await settled(usb, controller)
        channel = usb.channel(0)
        await until(lambda: channel.opens == 2 and board.channel_attached(0))
        await settled(usb, controller)
        assert 0 not in hardware.tripped, "reopened without persistence: the reset cleared it"
        assert ("setChannelPersistence", False) in channel.log
        await controller.force(0, True, duration=timedelta(hours=2))
        assert hardware.relays[0] is True, "the relay works again"
        assert usb.channel(1).opens == 1, "the others were left alone"
    events = events_of(state)
    before = [e for e in events if "tripped before this process started" in e.get("message", "")]
    assert [(e["event"], e["channel"]) for e in before] == [("failsafe", 0)]
    assert not [e for e in events if e.get("event") == "detached"]


async def test_a_persistent_relay_unplugged_later_is_a_detach_not_a_trip(
    tmp_path: Path, usb: FakeUsb
) -> None:
    state = tmp_path / "state"
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    config = phidget_config(state, on_exit=OnExit.KEEP)
    clock, monotonic = ManualClock(AFTERNOON, auto_advance=False), Monotonic()
    controller, _ = service(usb, config, clock, monotonic)
    async with running(controller):
        await settled(usb, controller)
        monotonic.now += ATTACH_BOUNCE + 1
        usb.unplug(SERIAL)
        await settled(usb, controller)
        assert all(usb.channel(i).opens == 1 for i in range(4)), "not reopened"
        usb.plug(hardware)
        await settled(usb, controller)
    events = events_of(state)
    assert [e for e in events if e.get("event") == "detached"]
    assert not [e for e in events if e.get("event") == "failsafe"]
