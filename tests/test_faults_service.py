"""Fault suite (issue 11), in-process on a virtual clock: every non-essential part fails, and the
control loop still switches every relay exactly when the plan says, with overrides, latches and
switch history intact.

Faults are injected where the real ones happen: ``OSError(ENOSPC)`` / ``OSError(EPIPE)`` from the
system calls the parts make, exceptions from a step, a subscriber that stops reading.
"""

import asyncio
import errno
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.fake_rte import production_body
from support.service import at, config_document, make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.stores import eventlog as eventlog_module
from tui.adapters.stores.eventlog import read_events
from tui.adapters.stores.state import StateStore
from tui.core.config import Config, config_from_dict
from tui.core.errors import InputError
from tui.core.events import Event
from tui.core.forecast import PARIS
from tui.core.plan import build_plan
from tui.core.policy import Override, RelayHistory
from tui.core.signals import parse_signals
from tui.core.wiring import appliance_powered
from tui.service import controller as controller_module
from tui.service.containment import Part

DAY = at("2026-12-02T00:00:00+01:00")  # a strained weekday of the demo week


def _settled_start(
    config: Config, state: Path, start: datetime
) -> list[tuple[datetime, int, bool]]:
    """Save the plan's initial state (as `plan` assumes) and return the plan's switches."""
    forecast = parse_signals(production_body(start.astimezone(PARIS).date()))
    plan = build_plan(forecast, config, start, start + timedelta(days=1))
    StateStore(state).save(
        {}, {ch: RelayHistory(powered=powered) for ch, powered in plan.initial.items()}
    )
    assert len(plan.changes) >= 4
    return [(change.at, change.channel, change.powered) for change in plan.changes]


def _switches(board: Any, config: Config) -> list[tuple[datetime, int, bool]]:
    wiring = {channel.index: channel.wiring for channel in config.channels}
    return [
        (t.at, t.channel, appliance_powered(wiring[t.channel], t.energised))
        for t in board.transitions
    ]


def _enospc(*args: object, **kwargs: object) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


async def test_failing_log_printer_saves_and_subscribers_never_delay_a_relay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    config = make_config(state, source="demo")
    start = DAY
    expected = _settled_start(config, state, start)
    clock = ManualClock(start, auto_advance=True)
    controller, board = make_controller(config, clock)

    printed: list[str] = []

    def closed_pipe(event: Event) -> None:
        raise OSError(errno.EPIPE, "Broken pipe")

    def bridge(event: Event) -> None:
        printed.append(event.kind)
        if "relay" in printed:  # broken for good by the first relay event
            raise RuntimeError("a bridge bug")

    controller.add_listener(closed_pipe, "event printer")
    controller.add_listener(bridge, "bridge")
    # The disk is full for the whole day: every log line and every save fails.
    monkeypatch.setattr(eventlog_module.os, "write", _enospc)
    monkeypatch.setattr(StateStore, "save", _enospc)
    stalled = controller.updates()
    await asyncio.wait_for(controller.run(until=start + timedelta(days=1)), 60)

    # The saved states applied at start and the release at stop are not part of the plan.
    end = start + timedelta(days=1)
    seen = [switch for switch in _switches(board, config) if start < switch[0] < end]
    assert seen == expected  # every relay on time despite every part failing
    assert board.rate_violations() == []
    errors = [
        e for e in [event.to_dict() for event in controller.events.recent] if e["kind"] == "error"
    ]
    for what in ("event printer", "bridge", "state", "events"):
        assert sum(e["what"] == what for e in errors) == 1, what  # reported once, not per event
    assert printed.count("relay") >= len(expected)  # the bridge kept being called
    await stalled.aclose()


async def test_a_step_that_raises_is_an_error_event_and_a_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    config = make_config(state)
    clock = ManualClock(DAY + timedelta(hours=5), auto_advance=True)
    controller, board = make_controller(config, clock)
    real = controller_module.evaluate
    failures = {"left": 3}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise OverflowError("date value out of range")
        return real(*args, **kwargs)

    monkeypatch.setattr(controller_module, "evaluate", flaky)
    await asyncio.wait_for(controller.run(until=DAY + timedelta(hours=12)), 60)
    errors = [
        e
        for e in [event.to_dict() for event in read_events(state)]
        if e.get("what") == "control loop"
    ]
    assert [e.get("recovered", False) for e in errors] == [False, True]
    assert "OverflowError: date value out of range" in errors[0]["message"]
    # Red 08:00-13:00 on the demo weekday: the orange/red channels were cut after all.
    assert board.state(0) is False  # Chauffe-eau, wiring "no": cut = de-energised


async def test_an_override_beyond_the_horizon_is_refused_and_nothing_is_saved(
    tmp_path: Path,
) -> None:
    """Issue 11 #1: `until 9999-12-31` was saved, then crashed the loop and every restart."""
    state = tmp_path / "state"
    config = make_config(state)
    clock = ManualClock(DAY + timedelta(hours=15))
    controller, _ = make_controller(config, clock)
    far = datetime.fromisoformat("9999-12-31T23:59:59+00:00")
    async with running(controller):
        for kwargs in (
            {"until": far},
            {"until": clock.now() + timedelta(days=367)},
            {"duration": timedelta(days=400)},
            {"duration": timedelta(microseconds=1)},
            {"duration": timedelta(seconds=59)},
        ):
            with pytest.raises(InputError, match="expected"):
                await controller.force(1, False, **kwargs)  # type: ignore[arg-type]
        assert controller.overrides == {}
        message = await controller.force(1, False, duration=timedelta(days=366))
        assert "forced cut" in message
    saved, _, problem = StateStore(state).load()
    assert problem is None and set(saved) == {1}


@pytest.mark.parametrize(
    "until",
    ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", "2026-12-02T10:00:00"],
)
def test_a_saved_state_with_an_unusable_time_is_set_aside(tmp_path: Path, until: str) -> None:
    """A state file from before the bounds (or edited by hand) cannot crash every start."""
    document = {
        "version": 1,
        "overrides": {
            "1": {"powered": False, "since": "2026-12-02T09:00:00+00:00", "until": until}
        },
        "history": {},
    }
    (tmp_path / "state.json").write_text(json.dumps(document))
    overrides, history, problem = StateStore(tmp_path).load()
    assert (overrides, history) == ({}, {})
    assert problem is not None and "kept as state.json.unreadable" in problem
    assert json.loads((tmp_path / "state.json.unreadable").read_text()) == document


async def test_latches_overrides_and_history_survive_a_day_of_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After faults, a restart finds exactly what the operator and the loop left."""
    state = tmp_path / "state"
    document = config_document(state)
    document["channel"][2]["auto_restore"] = False  # Borne VE latches cut after a shed
    config = config_from_dict(document, path="test.toml")
    clock = ManualClock(DAY + timedelta(hours=7), auto_advance=False)
    controller, _ = make_controller(config, clock)
    controller.add_listener(lambda event: _enospc(), "event printer")
    async with running(controller):
        clock.advance(600)
        await controller.force(3, True, duration=timedelta(hours=6))
        clock.advance(3 * 3600)  # into red 08:00-13:00
        await controller.refresh()
        monkeypatch.setattr(eventlog_module.os, "write", _enospc)
        clock.advance(60)
        await controller.refresh()
        monkeypatch.undo()
        overrides = dict(controller.overrides)
        history = dict(controller.history)
    assert history[2].latched and 3 in overrides
    again, _ = make_controller(config, clock)
    async with running(again):
        assert again.overrides == overrides
        for channel, item in history.items():
            assert again.history[channel].switches[: len(item.switches)] == item.switches
            assert again.history[channel].latched == item.latched


async def test_a_start_that_fails_before_loading_state_writes_no_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 #2: a failed start rewrote state.json without its overrides."""
    state = tmp_path / "state"
    config = make_config(state)
    clock = ManualClock(DAY + timedelta(hours=15))
    store = StateStore(state)
    store.save(
        {2: Override(powered=False, since=DAY, until=DAY + timedelta(days=2))},
        {2: RelayHistory(powered=False, last_off=DAY, switches=(DAY,))},
    )
    before = store.path.read_bytes()

    def broken(self: StateStore) -> Any:
        raise MemoryError("simulated")

    monkeypatch.setattr(StateStore, "load", broken)
    controller, _ = make_controller(config, clock)
    with pytest.raises(MemoryError):
        await controller.run()
    assert store.path.read_bytes() == before


def test_a_part_reports_its_first_failure_and_its_recovery_only() -> None:
    said: list[tuple[str, str, bool]] = []
    part = Part("printer", lambda *report: said.append(report), ": lines dropped")
    flaky = iter([OSError(errno.ENOSPC, "No space left on device")] * 3 + [None, None])

    def act() -> None:
        error = next(flaky)
        if error:
            raise error

    for _ in range(5):
        part.call(act)
    assert said == [
        ("printer", "printer failed (No space left on device): lines dropped", False),
        ("printer", "printer works again", True),
    ]
    assert part.failures == 3


def test_a_reporter_that_fails_through_the_same_part_does_not_recurse() -> None:
    calls: list[str] = []

    def report(name: str, message: str, recovered: bool) -> None:
        calls.append(message)
        part.call(os.write, -1, b"x")  # the report itself goes through the failing part

    part = Part("printer", report)
    part.call(os.write, -1, b"x")
    assert len(calls) == 1
