"""The meter's outputs (issue 24's display side), on a virtual clock: each channel's measured
power from the meter's steps at its switches, in the snapshot, `status --json`, the status text,
the relay grid and the event log."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.meter import ScriptedMeter
from support.service import make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.adapters.stores.history import HistoryStore, store_path
from tui.core.events import MeterEvent
from tui.core.meter_config import MeterConfig, OnOverrun
from tui.core.power import Power
from tui.frontends.app.relays import detail, render_grid
from tui.frontends.control_cmds import render_status
from tui.service.snapshot import Snapshot

T0 = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # a green hour of the demo forecast's day


def meter_config(state: Path):
    config = make_config(state)
    channels = tuple(replace(channel, power=Power(2000)) for channel in config.channels)
    meter = MeterConfig(limit=9000, on_overrun=OnOverrun.MODEL)
    return replace(config, channels=channels, meter=meter)


async def frames(controller, clock: ManualClock, meter: ScriptedMeter, va: int, count: int):
    for _ in range(count):
        clock.advance(1)
        meter.put(clock.now(), va)
        await controller.settle()


async def test_a_channel_switched_by_the_operator_is_measured_and_shown(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    meter = ScriptedMeter()
    controller, _board = make_controller(
        meter_config(tmp_path / "state"), clock, meter_source=meter
    )
    async with running(controller):
        await frames(controller, clock, meter, 6000, 3)
        snap = await controller.snapshot()
        channel = next(c for c in snap.channels if c.powered)
        assert channel.measured_power_w is None
        assert snap.to_status()["channels"][0]["measured_power_w"] is None
        await controller.force(channel.index, False)
        await controller.settle()
        await frames(controller, clock, meter, 3550, 3)  # the meter sees 2450 VA go
        snap = await controller.snapshot()
        seen = snap.channel(channel.index)
        assert seen.powered is False and seen.measured_power_w == 2450
        status = snap.to_status()["channels"]
        assert [c["measured_power_w"] for c in status if c["index"] == channel.index] == [2450]
        again = Snapshot.from_dict(json.loads(json.dumps(snap.to_dict())))
        assert again.channel(channel.index).measured_power_w == 2450
        assert "2450 W measured (2000 W configured)" in detail(seen, snap.now).plain
        assert "measured 2450 W" in render_status(snap)
        wide = render_grid(snap.channels, None, snap.now, 120).plain.splitlines()
        assert wide[0].split()[:6] == ["#", "Relay", "State", "Mode", "Power", "Why"]
        row = next(line for line in wide if line[2:].startswith(f"{channel.index} "))
        assert "2.5 kW" in row and all(len(line) <= 120 for line in wide)
        assert "(2 kW)" in wide[1 + (channel.index == 0)]  # configured, not measured yet
        narrow = render_grid(snap.channels, None, snap.now, 80).plain.splitlines()
        assert "Power" not in narrow[0] and all(len(line) <= 80 for line in narrow)
    said = [
        e
        for e in read_events(controller.state_dir)
        if isinstance(e, MeterEvent) and e.event == "measured"
    ]
    assert [(e.channel, e.watts) for e in said] == [(channel.index, 2450)]


async def test_a_restarted_service_shows_the_measured_power_the_history_kept(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    store = HistoryStore(store_path(state))
    store.add([MeterEvent(ts=T0, event="measured", message="m", channel=1, watts=2450)])
    store.close()
    clock = ManualClock(T0 + timedelta(hours=1))
    meter = ScriptedMeter()
    controller, _board = make_controller(meter_config(state), clock, meter_source=meter)
    async with running(controller):
        await frames(controller, clock, meter, 6000, 2)
        snap = await controller.snapshot()
    assert snap.channel(1).measured_power_w == 2450
    assert snap.channel(0).measured_power_w is None
    said = [e for e in read_events(controller.state_dir) if isinstance(e, MeterEvent)]
    assert all(e.event != "measured" for e in said)  # known already: not said again
