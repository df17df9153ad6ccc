"""The Phidget 1017 adapter against a fake DigitalOutput that mirrors the reference notes.

The fake (tests/fake_phidget.py) raises code 52 until attached, forces relays off on attach and
close (unless persistence), runs handlers on its own thread, and trips failsafes with event 4108
then code 59 until the channel is closed and reopened.
"""

import threading
from datetime import timedelta

import pytest
from support.fake_phidget import FakeBoard, FakeUsb, Recorder, make_board, wait_until

from tui.adapters.boards.base import BoardEventKind
from tui.adapters.boards.phidget_discovery import list_relay_boards, probe_board
from tui.core.config import BoardConfig, BoardKind, ChannelConfig, Config, OnExit, ShedAt, Wiring
from tui.core.wiring import appliance_powered, relay_energised
from tui.frontends.boards_cmd import check_board_line

# The board adapter on the fake Phidget22 (whose exceptions are the real library's) and its
# threads' timed waits: both hang under libfaketime (docs/testing.md).
pytestmark = pytest.mark.phidget_lib

SERIAL = 123456
ATTACHED, DETACHED = BoardEventKind.ATTACHED, BoardEventKind.DETACHED
ERROR, FAILSAFE = BoardEventKind.ERROR, BoardEventKind.FAILSAFE


def attached_event(events: Recorder, count: int = 1) -> None:
    events.wait_for(lambda: len(events.of(ATTACHED)) >= count)


# --- startup ----------------------------------------------------------------------------------


def test_startup_order_addresses_each_relay_before_opening_and_reads_the_state_on_attach(
    usb: FakeUsb,
) -> None:
    board, events = make_board(usb)
    board.set_relay(1, True)  # before open(): nothing to command, and no error
    board.open(events)
    for index in (0, 1, 2):
        assert usb.calls(index) == [
            "setDeviceSerialNumber",
            "setChannel",
            "setOnAttachHandler",
            "setOnDetachHandler",
            "setOnErrorHandler",
            "open",
        ]
    assert not board.attached
    assert board.relay(1) is None
    assert board.open_channels() == [0, 1, 2]  # open() keeps waiting for the board

    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_1"))
    attached_event(events)
    usb.settle()
    assert board.attached
    # The attach only reads: moving a relay is the controller's decision, and it counts them.
    assert "setState" not in usb.calls(1)
    assert usb.calls(1)[-1] == "getState"
    assert [board.relay(index) for index in (0, 1, 2)] == [False, False, False]
    board.set_relay(1, True)
    assert usb.calls(1)[-2:] == ["setState", "getState"]
    assert hardware.relays[:3] == [False, True, False]
    assert [board.relay(index) for index in (0, 1, 2)] == [False, True, False]
    assert len(events.of(ATTACHED)) == 1, "one event for the board, not one per relay"
    assert board.info().serial == SERIAL
    assert board.info().revision == "1017_0/1017_1"
    assert not board.info().failsafe
    assert events.of(ERROR) == []
    assert threading.main_thread().ident not in usb.handler_threads


def test_a_board_already_plugged_in_attaches_on_open_and_relays_start_released(
    usb: FakeUsb,
) -> None:
    hardware = usb.plug(FakeBoard(SERIAL))
    hardware.relays[0] = True  # left on by someone: attach forces it off
    board, events = make_board(usb)
    board.open(events)
    attached_event(events)
    usb.settle()
    assert hardware.relays[0] is False
    assert board.relay(0) is False


def test_only_configured_relays_are_opened_and_others_are_refused(usb: FakeUsb) -> None:
    board, events = make_board(usb, channels=(3, 6))
    board.open(events)
    assert sorted(ch.index for ch in usb.made if ch.index is not None) == [3, 6]
    with pytest.raises(ValueError, match="relay 0 is not configured"):
        board.set_relay(0, True)


def test_hub_port_is_set_only_when_configured_and_never_as_a_hub_port_device(
    usb: FakeUsb,
) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, hub_port=2))
    board, events = make_board(usb, hub_port=2)
    board.open(events)
    attached_event(events)
    usb.settle()
    board.set_relay(0, True)
    assert ("setHubPort", 2) in usb.channel(0).log
    assert "setIsHubPortDevice" not in usb.calls(0)
    assert hardware.relays[0] is True


# --- unplug, replug, commands while detached --------------------------------------------------


def test_unplug_and_replug_report_released_relays_and_move_none(usb: FakeUsb) -> None:
    board, events = make_board(usb)
    board.open(events)
    hardware = usb.plug(FakeBoard(SERIAL))
    attached_event(events)
    board.set_relay(0, True)
    board.set_relay(1, True)

    usb.unplug(SERIAL)
    events.wait_for(lambda: len(events.of(DETACHED)) == 1)
    usb.settle()
    assert not board.attached
    assert board.relay(0) is None
    assert len(events.of(DETACHED)) == 1, "one event for the board, not one per relay"

    board.set_relay(1, False)  # while detached: no error, nothing to command
    board.set_relay(2, True)
    assert events.of(ERROR) == []

    usb.plug(hardware)
    attached_event(events, count=2)
    usb.settle()
    # The board says where the relays are; putting them back is the controller's (counted) job.
    assert hardware.relays[:3] == [False, False, False]
    assert [board.relay(index) for index in (0, 1, 2)] == [False, False, False]
    assert "setState" not in usb.calls(2)
    assert events.of(ERROR) == []


def test_a_failed_set_state_is_an_error_event_and_the_library_keeps_the_old_state(
    usb: FakeUsb,
) -> None:
    """getState is the library's memory of the last successful setState: the only fault it
    can show is a setState that failed (no relay board senses its contacts)."""
    hardware = usb.plug(FakeBoard(SERIAL))
    board, events = make_board(usb)
    board.open(events)
    attached_event(events)
    usb.settle()
    hardware.failing[2] = [3]  # Timed Out
    board.set_relay(2, True)
    errors = events.of(ERROR)
    assert len(errors) == 1
    assert errors[0].channel == 2
    assert "relay 2: setting it energised failed: Timed Out (Phidget22 code 3)" in errors[0].message
    assert board.relay(2) is False, "the library's memory: the command did not go through"
    assert hardware.relays[2] is False
    board.set_relay(2, True)
    assert board.relay(2) is True and hardware.relays[2] is True


def test_a_busy_board_is_reported_once(usb: FakeUsb) -> None:
    usb.busy.add(SERIAL)
    usb.plug(FakeBoard(SERIAL))
    board, events = make_board(usb)
    board.open(events)
    usb.settle()
    errors = events.of(ERROR)
    assert len(errors) == 1, errors
    assert errors[0].message.startswith("board busy: another process has this Phidget board open")
    # Who may hold it besides another service (issue 22, item 8).
    assert "the Phidget Network Server (phidget22networkserver" in errors[0].message
    assert "the Phidget Control Panel" in errors[0].message
    assert not board.attached


# --- failsafe ---------------------------------------------------------------------------------


def test_failsafe_is_enabled_on_every_attach_and_reset_by_keepalive(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    board, events = make_board(usb, failsafe=timedelta(seconds=1.5))
    board.open(events)
    attached_event(events)
    usb.settle()
    assert hardware.failsafe_ms == {0: 1500, 1: 1500, 2: 1500}
    # Enabled first thing on attach, before the state is read.
    assert usb.calls(0)[-2:] == ["enableFailsafe", "getState"]
    board.keepalive()
    board.keepalive()
    assert hardware.failsafe_resets == {0: 2, 1: 2, 2: 2}
    assert board.info().failsafe

    usb.unplug(SERIAL)
    events.wait_for(lambda: len(events.of(DETACHED)) == 1)
    board.keepalive()  # detached: nothing to reset, and no error
    usb.plug(hardware)
    attached_event(events, count=2)
    usb.settle()
    assert hardware.failsafe_ms == {0: 1500, 1: 1500, 2: 1500}
    assert events.of(ERROR) == []


def test_a_failsafe_trip_is_reported_and_the_channel_reopened_released(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    board, events = make_board(usb, failsafe=timedelta(seconds=1))
    board.open(events)
    attached_event(events)
    board.set_relay(1, True)
    first = usb.channel(1)

    usb.trip_failsafe(SERIAL, 1)
    events.wait_for(lambda: len(events.of(FAILSAFE)) == 1)
    trip = events.of(FAILSAFE)[0]
    assert trip.channel == 1
    assert "failsafe tripped" in trip.message
    # The worker closes and reopens the same channel; its attach reads the released relay.
    wait_until(lambda: first.opens == 2 and board.relay(1) is False)
    usb.settle()
    assert ("close",) in first.log
    assert hardware.relays[1] is False
    assert hardware.failsafe_ms[1] == 1000
    assert events.of(DETACHED) == [], "a reopen is not the board going away"
    assert len(events.of(ATTACHED)) == 1
    resets = hardware.failsafe_resets[1]
    board.keepalive()
    assert hardware.failsafe_resets[1] == resets + 1
    board.set_relay(1, True)
    assert hardware.relays[1] is True
    assert events.of(ERROR) == []


def test_commands_on_a_tripped_channel_do_not_raise_and_trigger_the_reopen(
    usb: FakeUsb,
) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    board, events = make_board(usb, failsafe=timedelta(seconds=1))
    board.open(events)
    attached_event(events)
    channel = usb.channel(0)
    # Tripped without the event reaching us yet: the next command meets code 59.
    with usb.lock:
        hardware.tripped.add(0)
        hardware.relays[0] = False
    board.set_relay(0, True)
    wait_until(lambda: channel.opens == 2 and board.relay(0) is False)
    board.set_relay(0, True)
    assert hardware.relays[0] is True
    assert events.of(ERROR) == []


def test_a_1017_without_failsafe_says_so_once(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_0"))
    board, events = make_board(usb, failsafe=timedelta(seconds=2))
    board.open(events)
    attached_event(events)
    usb.unplug(SERIAL)
    usb.plug(hardware)
    attached_event(events, count=2)
    usb.settle()
    errors = events.of(ERROR)
    assert len(errors) == 1, errors
    assert errors[0].message.startswith("no hardware failsafe on this board (1017_0/1017_1)")
    board.keepalive()
    assert "resetFailsafe" not in usb.calls(0)
    assert not board.info().failsafe


# --- wiring and exit --------------------------------------------------------------------------


def test_no_and_nc_wiring_map_through_wiring_py(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL))
    board, events = make_board(usb, channels=(0, 1))
    board.open(events)
    attached_event(events)
    wiring = {0: Wiring.NO, 1: Wiring.NC}
    for index in (0, 1):  # both appliances powered
        board.set_relay(index, relay_energised(wiring[index], True))
    assert hardware.relays[:2] == [True, False]
    for index in (0, 1):
        assert appliance_powered(wiring[index], board.relay(index)) is True  # type: ignore[arg-type]
    for index in (0, 1):  # both cut
        board.set_relay(index, relay_energised(wiring[index], False))
    assert hardware.relays[:2] == [False, True]


def test_on_exit_release_deenergises_every_relay(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL))
    board, events = make_board(usb, channels=(0, 1), on_exit=OnExit.RELEASE)
    board.open(events)
    attached_event(events)
    board.set_relay(0, True)  # a "no" load powered
    board.set_relay(1, True)  # an "nc" load cut
    board.close(OnExit.RELEASE)
    assert hardware.relays[:2] == [False, False]
    assert appliance_powered(Wiring.NO, hardware.relays[0]) is False
    assert appliance_powered(Wiring.NC, hardware.relays[1]) is True
    assert "setChannelPersistence" not in usb.calls(0)
    assert board.open_channels() == []
    assert events.of(DETACHED) == [], "closing is not a detach"


def test_on_exit_keep_sets_persistence_before_open_and_leaves_relays(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL))
    hardware.relays[1] = True  # left energised by the previous run
    board, events = make_board(usb, channels=(0, 1), on_exit=OnExit.KEEP)
    board.open(events)
    attached_event(events)
    usb.settle()
    calls = usb.calls(0)
    assert calls.index("setChannelPersistence") < calls.index("open")
    # Not commanded yet: only persistence can have kept it energised through the attach.
    assert hardware.relays[1] is True
    assert board.relay(1) is True
    board.set_relay(0, True)
    board.close(OnExit.KEEP)
    assert hardware.relays[:2] == [True, True]
    assert board.open_channels() == []


def test_release_on_a_board_opened_for_keep_still_releases(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL))
    board, events = make_board(usb, channels=(0,), on_exit=OnExit.KEEP)
    board.open(events)
    attached_event(events)
    board.set_relay(0, True)
    board.close(OnExit.RELEASE)
    assert hardware.relays[0] is False


# --- discovery and check ----------------------------------------------------------------------


def test_list_relay_boards_groups_channels_by_board(usb: FakeUsb) -> None:
    usb.plug(FakeBoard(222, revision="1017_1"))
    usb.plug(FakeBoard(111, revision="1017_2", hub_port=3))
    usb.others.append((999, 40))
    sighting = list_relay_boards(wait=0, api=usb.api())
    assert [(b.serial, b.revision, b.hub_port, b.relays) for b in sighting.boards] == [
        (111, "1017_2", 3, 8),
        (222, "1017_0/1017_1", None, 8),
    ]
    assert sighting.other_devices == 1


def test_probe_finds_the_board_without_moving_a_relay(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    hardware.relays[1] = True  # a stopped service left it energised ("keep")
    probe = probe_board(BoardConfig(serial=SERIAL), [0, 1, 2], api=usb.api())
    usb.settle()
    assert probe.found and not probe.busy
    assert probe.attached == (0, 1, 2)
    assert (probe.serial, probe.revision, probe.failsafe) == (SERIAL, "1017_2", True)
    assert hardware.relays[1] is True
    assert all(not ch.is_open for ch in usb.made)


def test_probe_of_a_busy_board_says_busy(usb: FakeUsb) -> None:
    usb.plug(FakeBoard(SERIAL))
    usb.busy.add(SERIAL)
    probe = probe_board(
        BoardConfig(serial=SERIAL, attach_timeout=timedelta(seconds=30)), [0], api=usb.api()
    )
    assert probe.busy and not probe.found


def test_probe_of_another_serial_reports_what_is_attached(usb: FakeUsb) -> None:
    usb.plug(FakeBoard(111))
    probe = probe_board(
        BoardConfig(serial=SERIAL, attach_timeout=timedelta(seconds=0.3)), [0], api=usb.api()
    )
    assert not probe.found
    assert probe.missing == (0,)
    assert [board.serial for board in probe.sighting.boards] == [111]


def test_probe_refuses_a_foreign_device_the_channels_attached_to(usb: FakeUsb) -> None:
    """Phidget22 matches a channel by class and index: with no serial, any Phidget's
    DigitalOutput 0 attaches. `check` says so in one line instead of "found"."""
    usb.plug(FakeBoard(777, device_id=81, name="4x Relay Phidget", sku="REL1000"))
    probe = probe_board(BoardConfig(attach_timeout=timedelta(seconds=2)), [0, 1], api=usb.api())
    assert not probe.found
    assert probe.attached == ()
    assert probe.foreign == "4x Relay Phidget (REL1000, serial 777, device id 81)"
    config = Config(
        channels=(ChannelConfig(index=0, name="a", shed_at=ShedAt.RED),),
        board=BoardConfig(kind=BoardKind.PHIDGET, attach_timeout=timedelta(seconds=2)),
    )
    ok, line = check_board_line(config, api=usb.api())
    assert not ok
    assert line == (
        "the relay channels attached to 4x Relay Phidget (REL1000, serial 777, device id 81), "
        "which is not a Phidget 1017: set board.serial to the 1017's (`delestage boards` lists it)"
    )


def test_probe_tells_a_failsafe_tripped_before_by_its_attach_then_detach(usb: FakeUsb) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    hardware.tripped.add(1)  # a previous process's failsafe, never reset
    config = Config(
        channels=tuple(
            ChannelConfig(index=index, name=f"r{index}", shed_at=ShedAt.RED) for index in (0, 1)
        ),
        board=BoardConfig(kind=BoardKind.PHIDGET, serial=SERIAL),
    )
    probe = probe_board(config.board, [0, 1], api=usb.api())
    assert probe.found and probe.bounced == (1,)
    assert 1 in hardware.tripped, "the probe moves nothing, and clears nothing"
    ok, line = check_board_line(config, api=usb.api())
    assert ok
    assert "relay(s) 1 attached then detached at once: a failsafe tripped before" in line
