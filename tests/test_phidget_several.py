"""Issue 22: several boards (a 1017 and a REL1101, 24 channels) through the Phidget adapter over
the fake Phidget22 library, driven by the service's own loop on a virtual clock. One board
unplugged leaves the other switching; the header names the detached board; a relay that does
not attach is named on its own."""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from support.fake_phidget import FakeBoard, FakeUsb
from support.service import at, config_document, running

from tui.adapters.boards.multi import MultiBoard, Part
from tui.adapters.boards.phidget import PhidgetBoard
from tui.adapters.clock import ManualClock
from tui.compose.service import build_controller
from tui.core.config import BoardConfig, BoardKind, Config, OnExit, config_from_dict
from tui.core.devices import DEVICES, Addressing, Device
from tui.frontends.app.header import detached_words
from tui.frontends.control_cmds import render_status
from tui.service.controller import Controller

pytestmark = pytest.mark.phidget_lib  # the adapter's threads and the fake's: timed waits

TABLEAU, GARAGE = 111111, 222222
AFTERNOON = at("2026-12-02T15:00:00+01:00")


def several(state: Path) -> Config:
    document = config_document(state, restore_gap="0s")
    document["board"] = [
        {"name": "tableau", "serial": TABLEAU, "model": "1017", "attach_timeout": "200ms"},
        {
            "name": "garage",
            "serial": GARAGE,
            "model": "REL1101",
            "hub_port": 2,
            "attach_timeout": "200ms",
        },
    ]
    document["channel"] = [
        {"index": n, "name": f"t{n}", "shed_at": "never", "board": "tableau"} for n in range(8)
    ] + [{"index": n, "name": f"g{n}", "shed_at": "never", "board": "garage"} for n in range(16)]
    return config_from_dict(document, "test.toml")


def board_for(usb: FakeUsb, config: Config) -> MultiBoard:
    """What tui/adapters/boards/factory.py builds, over the fake library."""
    parts = []
    for board in config.boards:
        relays = {c.index: c.relay_on_board for c in config.channels if c.board == board.name}
        phidget = PhidgetBoard(board, list(relays.values()), api=usb.api())
        parts.append(Part(board.name, phidget, relays))
    return MultiBoard(parts)


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"condition still false after {seconds} s")


async def settled(usb: FakeUsb, controller: Controller) -> None:
    await asyncio.to_thread(usb.settle)
    await asyncio.sleep(0)
    await controller.settle()


def rel1101(channels: int = 16) -> FakeBoard:
    return FakeBoard(
        GARAGE,
        revision="REL1101",
        hub_port=2,
        device_id=83,
        name="16x Isolated Solid State Relay Phidget",
        sku="REL1101",
        channels=channels,
        relays=[False] * 16,
    )


async def test_two_boards_24_channels_one_unplugged_leaves_the_other_switching(
    tmp_path: Path, usb: FakeUsb
) -> None:
    config = several(tmp_path / "state")
    assert [c.index for c in config.channels] == list(range(24))
    tableau = usb.plug(FakeBoard(TABLEAU, revision="1017_1"))
    garage = usb.plug(rel1101())
    clock = ManualClock(AFTERNOON, auto_advance=False)
    board = board_for(usb, config)
    controller = build_controller(config, clock, {}, board=board)
    async with running(controller):
        await until(lambda: board.attached)
        await settled(usb, controller)
        # Every channel powered ("no" wiring: relay energised), on the right board.
        await until(lambda: all(tableau.relays) and all(garage.relays))
        info = board.info()
        assert [part.model for part in info.parts] == ["1017", "REL1101"]
        assert info.parts[1].revision == "REL1101 version 100"

        clock.advance(10)  # past min_switch_gap
        await settled(usb, controller)
        await controller.force(11, False, duration=timedelta(hours=1))  # garage relay 3
        await settled(usb, controller)
        assert garage.relays[3] is False and all(tableau.relays)

        usb.unplug(GARAGE)
        await until(lambda: not any(board.channel_attached(i) for i in range(8, 24)))
        await settled(usb, controller)
        snapshot = await controller.snapshot()
        assert snapshot.board.detached_boards == ("garage",)
        assert snapshot.board.unattached == tuple(range(8, 24))
        assert detached_words(snapshot) == "BOARD garage DETACHED"
        assert snapshot.channel(0).powered is True and snapshot.channel(12).powered is None
        assert snapshot.channel(12).board == "garage"
        status = snapshot.to_status()
        assert status["board"]["detached_boards"] == ["garage"]
        assert status["board"]["unattached"] == list(range(8, 24))
        assert status["channels"][12]["board"] == "garage"
        assert "board: phidget, DETACHED (garage detached)" in render_status(snapshot)

        clock.advance(10)
        await settled(usb, controller)
        answer = await controller.force(2, False, duration=timedelta(hours=1))
        await settled(usb, controller)
        assert tableau.relays[2] is False, answer  # the other board still switches

        usb.plug(garage)
        await until(lambda: all(board.channel_attached(i) for i in range(8, 24)))
        clock.advance(10)
        await settled(usb, controller)
        await until(lambda: sum(garage.relays) == 15)
        assert garage.relays[3] is False, "the override holds on the board that came back"
        assert (await controller.snapshot()).board.detached_boards == ()


async def test_one_relay_missing_on_a_board_is_named_alone(tmp_path: Path, usb: FakeUsb) -> None:
    config = several(tmp_path / "state")
    usb.plug(FakeBoard(TABLEAU, revision="1017_1"))
    usb.plug(rel1101(channels=15))  # relay 15 of the REL1101 never attaches (channel 23)
    clock = ManualClock(AFTERNOON, auto_advance=False)
    board = board_for(usb, config)
    controller = build_controller(config, clock, {}, board=board)
    async with running(controller):
        await until(lambda: all(board.channel_attached(i) for i in range(23)))
        await settled(usb, controller)
        snapshot = await controller.snapshot()
        assert not snapshot.board.attached
        assert snapshot.board.detached_boards == ()
        assert snapshot.board.unattached == (23,)
        assert detached_words(snapshot) == "RELAY 23 DETACHED"


async def test_a_board_of_another_model_at_the_serial_is_refused(
    tmp_path: Path, usb: FakeUsb
) -> None:
    """[board] model = "REL1101" at GARAGE's serial, but a REL1100 answers there."""
    config = several(tmp_path / "state")
    usb.plug(FakeBoard(TABLEAU, revision="1017_1"))
    usb.plug(
        FakeBoard(GARAGE, revision="REL1100", hub_port=2, device_id=82, sku="REL1100", channels=4)
    )
    clock = ManualClock(AFTERNOON, auto_advance=False)
    board = board_for(usb, config)
    messages: list[str] = []
    controller = build_controller(config, clock, {}, board=board)
    controller.add_listener(lambda event: messages.append(str(event.to_dict().get("message"))))
    async with running(controller):
        await until(lambda: all(board.channel_attached(i) for i in range(8)))
        await until(lambda: any("not a Phidget REL1101" in m for m in messages))
        await settled(usb, controller)
        assert not any(board.channel_attached(i) for i in range(8, 24))
        refused = [m for m in messages if "not a Phidget REL1101" in m]
        assert len(refused) == 1 and refused[0].startswith("board garage: refused ")


def test_check_probes_each_board_for_its_own_relays(tmp_path: Path, usb: FakeUsb) -> None:
    from tui.frontends.boards_cmd import check_board_line

    config = several(tmp_path / "state")
    usb.plug(FakeBoard(TABLEAU, revision="1017_1"))
    usb.plug(rel1101())
    ok, line = check_board_line(config, api=usb.api())
    assert ok, line
    tableau, garage = line.split("; board garage: ")
    assert tableau.startswith("board tableau: Phidget 1017_0/1017_1 serial 111111 found; relays 0")
    assert garage.startswith("Phidget REL1101 version 100 serial 222222 found; relays 0, 1,")
    assert "13, 14, 15 answered" in garage
    usb.unplug(GARAGE)
    ok, line = check_board_line(config, api=usb.api())
    assert not ok
    assert "board garage: Phidget REL1101 serial 222222 on VINT hub port 2 not found" in line
    assert line.startswith("board tableau: Phidget 1017_0/1017_1 serial 111111 found")


def test_boards_lists_every_model_by_device_id_and_init_writes_the_model(usb: FakeUsb) -> None:
    import io
    import tomllib

    from tui.frontends.boards_cmd import find_single_board, run_boards
    from tui.frontends.init import starter_text

    usb.plug(rel1101())
    out = io.StringIO()
    found = find_single_board(out, wait=0, api=usb.api())
    assert found is not None and (found.serial, found.model, found.relays) == (
        GARAGE,
        "REL1101",
        16,
    )
    text = starter_text(found.serial, found.model)
    config = config_from_dict(tomllib.loads(text), "init.toml")
    assert (config.board.serial, config.board.model) == (GARAGE, "REL1101")

    usb.plug(FakeBoard(TABLEAU, revision="1017_1"))
    out, err = io.StringIO(), io.StringIO()
    assert run_boards(out, err, wait=0, api=usb.api()) == 0
    rows = out.getvalue().splitlines()
    assert rows[0].split() == ["serial", "model", "board", "revision", "relays", "connection"]
    assert rows[1].startswith("111111  1017     PhidgetInterfaceKit 0/0/8")
    assert rows[2].startswith("222222  REL1101  16x Isolated Solid State Relay Phidget")
    assert rows[2].endswith("REL1101 version 100  16      VINT hub port 2")


# --- every model of the table, through the adapter -----------------------------------------------


@pytest.mark.parametrize("device", DEVICES, ids=lambda device: device.model)
def test_every_model_attaches_switches_and_releases_over_the_fake(
    usb: FakeUsb, device: Device
) -> None:
    vint = device.addressing is Addressing.VINT
    hardware = usb.plug(
        FakeBoard(
            GARAGE,
            revision=device.model,
            hub_port=2 if vint else None,
            device_id=device.device_id,
            sku=device.model,
            channels=device.relays,
            relays=[False] * device.relays,
        )
    )
    last = device.relays - 1
    for model in (device.model, None):  # named, then detected at the serial by its device ID
        config = BoardConfig(
            kind=BoardKind.PHIDGET, serial=GARAGE, model=model, hub_port=2 if vint else None
        )
        board = PhidgetBoard(config, range(device.relays), api=usb.api())
        board.open(lambda _event: None)
        usb.settle()
        assert board.attached, device.model
        assert board.info().model == device.model
        board.set_relay(last, True)
        assert hardware.relays[last] is True and board.relay(last) is True
        board.close(OnExit.RELEASE)
        assert hardware.relays == [False] * device.relays


@pytest.mark.parametrize("device", DEVICES, ids=lambda device: device.model)
def test_every_model_addressed_with_the_real_library_waits_unattached(device: Device) -> None:
    """The real Phidget22, no board: channels of every model's layout open (addressed to a
    serial no device has, with a hub port for the VINT ones) and wait, never attached."""
    from support.real_phidget import absent_serial

    from tui.adapters.boards.phidget_lib import load_phidget22

    vint = device.addressing is Addressing.VINT
    config = BoardConfig(
        kind=BoardKind.PHIDGET,
        serial=absent_serial(),
        model=device.model,
        hub_port=2 if vint else None,
    )
    board = PhidgetBoard(config, range(device.relays), api=load_phidget22())
    events: list[str] = []
    board.open(lambda event: events.append(event.message))
    try:
        assert sorted(board.open_channels()) == list(range(device.relays))
        assert not board.attached and board.relay(0) is None
        board.set_relay(0, True)  # detached: nothing happens, nothing raised
    finally:
        board.close(OnExit.RELEASE)
    assert events == []


def test_init_with_two_boards_writes_one_board_each_and_24_channels(
    tmp_path: Path, usb: FakeUsb
) -> None:
    """`init` with a 1017 and a REL1101 attached: one [[board]] each (name, model, serial, the
    REL1101's hub port) and a channel per relay, numbered across them; `check` loads it."""
    import io

    from tui.adapters.config_file import load_config
    from tui.frontends.init import run_init

    usb.plug(FakeBoard(TABLEAU, revision="1017_1"))
    usb.plug(rel1101())
    path = tmp_path / "delestage.toml"
    out = io.StringIO()
    assert run_init(str(path), False, out, api=usb.api(), wait=0) == 0
    assert out.getvalue().startswith(
        "2 relay boards attached (Phidget 1017_0/1017_1 serial 111111, Phidget REL1101 version "
        "100 serial 222222): one [[board]] each"
    )
    config = load_config(path)
    assert [(b.name, b.model, b.serial, b.hub_port) for b in config.boards] == [
        ("1017-111111", "1017", TABLEAU, None),
        ("rel1101-222222", "REL1101", GARAGE, 2),
    ]
    assert [c.index for c in config.channels] == list(range(24))
    assert [c.board for c in config.channels] == ["1017-111111"] * 8 + ["rel1101-222222"] * 16
    assert [c.relay_on_board for c in config.channels] == list(range(8)) + list(range(16))
    assert [c.name for c in config.channels[:3]] == ["Radiateurs", "Chauffe-eau", "Borne VE"]


def test_init_with_one_board_keeps_the_single_board_table(tmp_path: Path, usb: FakeUsb) -> None:
    import io

    from tui.frontends.init import run_init, starter_text

    usb.plug(rel1101())
    path = tmp_path / "delestage.toml"
    assert run_init(str(path), False, io.StringIO(), api=usb.api(), wait=0) == 0
    assert path.read_text(encoding="utf-8") == starter_text(GARAGE, "REL1101")
    assert "[[board]]" not in starter_text(GARAGE, "REL1101")


# --- defect 7 with several boards: one keepalive pass over every board -------------------------


def test_the_failsafe_floor_counts_every_boards_relays(tmp_path: Path) -> None:
    """A 1017 + a REL1101 (24 relays): one keepalive pass resets all 24 in turn, up to 2.4 s,
    so "4s800ms" (enough for the REL1101's 16 alone) is refused; 3 x 24 x 100 ms = 7.2 s."""
    from tui.core.errors import InputError

    def with_failsafe(failsafe: str) -> Config:
        document = config_document(tmp_path / "state", restore_gap="0s")
        document["board"] = [
            {"name": "tableau", "serial": TABLEAU, "model": "1017", "failsafe": failsafe},
            {
                "name": "garage",
                "serial": GARAGE,
                "model": "REL1101",
                "hub_port": 2,
                "failsafe": failsafe,
            },
        ]
        document["channel"] = [
            {"index": n, "name": f"t{n}", "shed_at": "never", "board": "tableau"} for n in range(8)
        ] + [
            {"index": n, "name": f"g{n}", "shed_at": "never", "board": "garage"} for n in range(16)
        ]
        return config_from_dict(document, "test.toml")

    with pytest.raises(InputError) as refused:
        with_failsafe("4s800ms")
    assert refused.value.problems == [
        'test.toml: board[0].failsafe: "4s800ms" is too short for 24 relays on 2 boards: each '
        "keepalive resets them one USB transfer at a time, board after board (up to 100 ms "
        'each), which must fit in a third of the period; set failsafe = "7s200ms" or more on '
        "every [[board]]"
    ]
    with pytest.raises(InputError):
        with_failsafe("7s100ms")
    assert len(with_failsafe("7s200ms").channels) == 24


def test_the_keepalive_of_several_boards_is_timed_as_one_pass(usb: FakeUsb) -> None:
    """Each board's share fits in a third of the period, the whole pass does not: said once,
    for the whole pass (the boards' own timers are not what counts)."""
    from support.fake_phidget import Recorder

    from tui.adapters.boards.base import BoardEventKind

    for serial in (TABLEAU, GARAGE):
        usb.plug(FakeBoard(serial, revision="1017_2"))
    failsafe = timedelta(seconds=1)
    boards = [
        PhidgetBoard(
            BoardConfig(kind=BoardKind.PHIDGET, serial=serial, model="1017", failsafe=failsafe),
            range(8),
            api=usb.api(),
        )
        for serial in (TABLEAU, GARAGE)
    ]
    ticks = iter([10.0, 10.3, 20.0, 20.5, 30.0, 30.9])  # whole passes of 0.3, 0.5 and 0.9 s
    board = MultiBoard(
        [
            Part("tableau", boards[0], {n: n for n in range(8)}),
            Part("garage", boards[1], {8 + n: n for n in range(8)}),
        ],
        failsafe=failsafe,
        monotonic=lambda: next(ticks),
    )
    events = Recorder()
    board.open(events)
    events.wait_for(lambda: all(board.channel_attached(n) for n in range(16)))
    usb.settle()
    try:
        board.keepalive()
        assert board.keepalive_seconds == pytest.approx(0.3)
        assert not [e for e in events.of(BoardEventKind.ERROR) if "keepalive" in e.message]
        board.keepalive()
        board.keepalive()
        said = [e.message for e in events.of(BoardEventKind.ERROR) if "keepalive" in e.message]
        assert said == [
            "2 boards: the failsafe keepalive took 500 ms for 16 relay(s), more than a third of "
            'board.failsafe = "1s": a relay may trip before its next reset; set a longer '
            "board.failsafe"
        ]
        assert [b.keepalive_seconds for b in boards] == [None, None]
        assert all(usb.boards[s].failsafe_resets[7] >= 3 for s in (TABLEAU, GARAGE))
    finally:
        board.close(OnExit.RELEASE)
