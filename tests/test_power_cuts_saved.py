"""The power rule's cuts survive a restart: saved in state.json with the overrides (atomically,
with its copy), taken up by the next service so that a load cut for power is not put back at
once, and restored as before once ``restore_after`` has passed since the cut. A damaged
``power_cuts`` table costs only the cuts, never the overrides beside it."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.meter import ScriptedMeter
from support.service import make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.stores.power_cuts import decode_power_cuts, encode_power_cuts
from tui.adapters.stores.state import StateStore
from tui.core.config import Config
from tui.core.meter_config import MeterConfig, OnOverrun
from tui.core.policy import Override, RelayHistory
from tui.core.power import Power
from tui.core.power_rule import PowerCut, PowerState, power_step
from tui.core.state_vetting import Owner
from tui.service.containment import Part
from tui.service.controller import Controller
from tui.service.saved_state import SavedState

T0 = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # a green hour of the demo forecast's day
POWERS = {0: 2400, 1: 3000, 2: 7400, 3: 1000}
CUT = PowerCut(at=T0, power_va=7400.0, reason="power 22.5 kVA over 9 kVA for 10 s")


def meter_config(state: Path) -> Config:
    config = make_config(state)
    channels = tuple(
        replace(channel, power=Power(POWERS[channel.index])) for channel in config.channels
    )
    meter = MeterConfig(limit=9000, on_overrun=OnOverrun.MODEL)
    return replace(config, channels=channels, meter=meter)


async def feed(
    controller: Controller, clock: ManualClock, meter: ScriptedMeter, va: int, seconds: int
) -> None:
    for _ in range(seconds):
        clock.advance(1)
        meter.put(clock.now(), va)
        await controller.settle()


def test_the_table_round_trips_and_a_bad_one_is_dropped_alone(tmp_path: Path) -> None:
    assert decode_power_cuts({"power_cuts": encode_power_cuts({2: CUT})}) == ({2: CUT}, None)
    assert decode_power_cuts({}) == ({}, None)  # a file from before: no cut
    store = StateStore(tmp_path)
    forced = {1: Override(powered=False, since=T0)}
    history = {2: RelayHistory(powered=False, last_off=T0)}
    store.save(forced, history, None, {2: CUT})
    overrides, _history, problem = store.load()
    assert problem is None and overrides == forced and store.power_cuts == {2: CUT}
    bad: object
    for bad in (
        {"2": {"at": "yesterday"}},
        {"9": {}},
        {"64": encode_power_cuts({2: CUT})["2"]},  # past the last channel number (63)
        [],
        {"2": {**encode_power_cuts({2: CUT})["2"], "power_va": True}},
        # A reason is shown (status, the UI, the log): the names' rule, no raw ESC or bidi.
        {"2": {**encode_power_cuts({2: CUT})["2"], "reason": "cut \x1b[2J"}},
        {"2": {**encode_power_cuts({2: CUT})["2"], "reason": "cut \u202eRED"}},
        {"2": {**encode_power_cuts({2: CUT})["2"], "reason": "cut\u2028by operator"}},
    ):
        document = json.loads(store.path.read_text())
        document["power_cuts"] = bad
        store.path.write_text(json.dumps(document))
        overrides, _history, problem = store.load()
        # The overrides are kept, the file is not set aside, the cuts alone are dropped.
        assert problem is None and overrides == forced and store.path.exists()
        assert store.power_cuts == {} and "power cuts dropped" in (store.power_cuts_problem or "")
        reason = bad["2"].get("reason", "") if isinstance(bad, dict) and "2" in bad else ""
        if "cut" in str(reason):
            said = store.power_cuts_problem or ""
            assert "power_cuts.2.reason: a text without control, bidi or line-sep" in said
            assert not any(c in said for c in "\x1b\u202e\u2028"), said


def test_a_cut_on_a_second_boards_channel_is_kept(tmp_path: Path) -> None:
    # Channels are numbered across boards ([[board]]): a cut on channel 12 is as good as one on
    # channel 2, and it must not cost the cuts beside it.
    store = StateStore(tmp_path)
    store.save({}, {}, None, {2: CUT, 12: CUT})
    store.load()
    assert store.power_cuts == {2: CUT, 12: CUT} and store.power_cuts_problem is None


def test_with_no_reading_after_a_restart_the_cuts_are_held_then_lifted() -> None:
    config = meter_config(Path("/nonexistent"))
    assert config.meter is not None
    history = {c.index: RelayHistory(powered=c.index != 2) for c in config.channels}
    state = PowerState(cuts={2: CUT})
    step = power_step(state, None, T0, config, {}, history)
    assert step.cuts == {2: CUT.reason} and step.next_due == T0 + config.meter.stale_hold
    later = T0 + config.meter.stale_hold
    step = power_step(step.state, None, later, config, {}, history)
    assert step.lifted == (2,) and step.cuts == {}


async def test_a_power_cut_survives_a_restart_with_the_overrides(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    config = meter_config(state_dir)
    clock = ManualClock(T0)
    meter = ScriptedMeter()
    controller, _board = make_controller(config, clock, meter_source=meter)
    async with running(controller):
        await feed(controller, clock, meter, 4000, 2)
        await controller.force(0, True)
        # 2.5 x: a trip in about 40 s, a cut under the 30 s margin (about 11 s in).
        for _ in range(30):
            await feed(controller, clock, meter, 22500, 1)
            snap = await controller.snapshot()
            if snap.meter is not None and snap.meter.cuts:
                break
        assert snap.meter is not None and len(snap.meter.cuts) == 1
        (cut,) = snap.meter.cuts
        cut_at = clock.now()
    saved = json.loads((state_dir / "state.json").read_text())
    assert list(saved["power_cuts"]) == [str(cut)]
    assert json.loads((state_dir / "state.json.prev").read_text()) == saved

    # A new service on the same state directory, the load now light: the cut is held, with
    # its reason, and the override is still there.
    clock.advance(5)
    meter = ScriptedMeter()
    controller, _board = make_controller(config, clock, meter_source=meter)
    async with running(controller):
        await feed(controller, clock, meter, 1500, 60)
        snap = await controller.snapshot()
        assert snap.meter is not None and snap.meter.cuts == (cut,)
        assert not snap.channel(cut).powered and snap.channel(cut).rule == "power"
        assert snap.channel(0).mode == "forced"
        # restore_after (5 min) counts from the cut made before the restart.
        while clock.now() < cut_at + timedelta(minutes=5):
            await feed(controller, clock, meter, 1500, 10)
        await feed(controller, clock, meter, 1500, 5)
        snap = await controller.snapshot()
        assert snap.channel(cut).powered and snap.meter is not None and snap.meter.cuts == ()
    assert "power_cuts" in json.loads((state_dir / "state.json").read_text())
    assert json.loads((state_dir / "state.json").read_text())["power_cuts"] == {}


def test_a_cut_saved_for_another_appliance_is_dropped(tmp_path: Path) -> None:
    config = meter_config(tmp_path)
    store = StateStore(tmp_path)
    others = {2: Owner("Lave-linge", config.channels[2].wiring)}
    store.save({}, {}, others, {2: CUT, 1: replace(CUT, at=T0 + timedelta(hours=1))})
    saved = SavedState(store, Part("state", lambda *_: None))
    saved.load(config.channels, T0)
    # Channel 2 was saved for another appliance; channel 1's cut time from the future is now.
    assert saved.power_cuts == {}
    store.save({}, {}, None, {1: replace(CUT, at=T0 + timedelta(hours=1))})
    saved.load(config.channels, T0)
    assert saved.power_cuts == {1: CUT}
