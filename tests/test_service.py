"""The controller in-process: on a virtual clock, with the simulated board and the fake RTE."""

import asyncio
import contextlib
import json
import os
import stat
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support.fake_rte import FakeRte, production_body
from support.real_phidget import absent_serial
from support.service import at, make_config, make_controller, running, with_tempo

from tui.adapters.boards.factory import make_board
from tui.adapters.clock import ManualClock
from tui.adapters.sources.factory import make_source
from tui.adapters.stores.eventlog import read_events
from tui.adapters.stores.lock import AlreadyRunning
from tui.adapters.stores.state import StateStore
from tui.core.config import BoardConfig, BoardKind, OnExit, Wiring
from tui.core.events import parse_event
from tui.core.forecast import PARIS, Level
from tui.core.plan import build_plan, released_on_attach
from tui.core.policy import RelayHistory
from tui.core.signals import parse_signals
from tui.core.tempo import Colour, TempoCalendar, TempoDay
from tui.core.wiring import appliance_powered
from tui.frontends.event_text import event_line
from tui.service import events_hub
from tui.service.control_socket import ControlServer, socket_path
from tui.service.controller import Controller
from tui.service.remote import RemoteController, connect
from tui.service.snapshot import Update

DAY = at("2026-12-02T00:00:00+01:00")  # a Wednesday: the demo week is strained on weekdays


async def next_update(
    updates: AsyncIterator[Update], predicate: Callable[[Update], bool]
) -> Update:
    """The first update that matches (others may come first: each step publishes one)."""

    async def first() -> Update:
        async for update in updates:
            if predicate(update):
                return update
        raise AssertionError("the update stream ended")

    return await asyncio.wait_for(first(), 5)


def relay_events(state_dir: Path) -> list[tuple[str, int, bool]]:
    return [
        (event["ts"], event["channel"], event["powered"])
        for event in [event.to_dict() for event in read_events(state_dir)]
        # Decisions only: not a relay the board released, nor the controller putting it back.
        if event["kind"] == "relay" and "by" not in event
    ]


@pytest.mark.parametrize(
    ("start", "days", "tempo"),
    [
        (DAY, 1, False),  # a red weekday
        (at("2026-03-28T00:00:00+01:00"), 2, False),  # across the 23-hour day
        (at("2026-10-24T00:00:00+02:00"), 2, False),  # across the 25-hour day
        (DAY, 2, True),  # a red Tempo day too, then a white one, from the fake's Tempo API
    ],
    ids=["red-day", "spring-dst", "autumn-dst", "tempo-red-day"],
)
async def test_the_service_through_the_fake_rte_matches_plan(
    tmp_path: Path, start: datetime, days: int, tempo: bool
) -> None:
    end = start + timedelta(days=days)
    clock = ManualClock(start, auto_advance=True)
    body = production_body(start.astimezone(PARIS).date())
    forecast = parse_signals(body)
    with FakeRte(clock=clock.now, body=body) as rte:
        config = make_config(tmp_path / "state", source="rte", base_url=rte.url)
        calendar = None
        if tempo:
            first = start.astimezone(PARIS).date() - timedelta(days=1)
            colours = (Colour.BLUE, Colour.RED, Colour.WHITE, Colour.BLUE)
            calendar = TempoCalendar(
                tuple(TempoDay(first + timedelta(days=n), c) for n, c in enumerate(colours))
            )
            rte.tempo = calendar
            config = with_tempo(config, rte.url)
        plan = build_plan(forecast, config, start, end, tempo=calendar)
        if tempo:  # the red day's peak and the white day's cut the Tempo channels
            reasons = {change.reason for change in plan.changes}
            assert "Tempo red, peak 06:00-22:00" in " ".join(reasons)
            assert "Tempo white, peak 06:00-22:00" in " ".join(reasons)
        assert len(plan.changes) >= 4
        # Start from the plan's initial state, settled, as `plan` assumes.
        StateStore(tmp_path / "state").save(
            {}, {ch: RelayHistory(powered=powered) for ch, powered in plan.initial.items()}
        )
        controller, board = make_controller(config, clock)
        await asyncio.wait_for(controller.run(until=end), 60)
    expected = [(change.at, change.channel, change.powered) for change in plan.changes]
    seen = [(at(ts), channel, powered) for ts, channel, powered in relay_events(tmp_path / "state")]
    # The stop at the end releases the relays: not part of the plan.
    assert seen == expected
    assert board.rate_violations() == []
    # One call at start (no cache), then the 30-minute cadence; RTE never had to say 429.
    calls = [r for r in rte.requests if r.path.endswith("/signals")]
    assert 1 <= len(calls) <= 48 * days + 1
    assert all(r.status == 200 for r in calls)
    if tempo:  # Tempo: at start, then after 10:40 until tomorrow was out; one token for both
        tempo_calls = [r for r in rte.requests if r.path.endswith("/tempo_like_calendars")]
        assert 2 <= len(tempo_calls) <= 2 * days + 1
        assert all(r.status == 200 for r in tempo_calls)
        assert rte.token_calls <= days * 12 + 1


async def test_a_first_start_with_nothing_saved_does_what_plan_fresh_says(tmp_path: Path) -> None:
    """`plan --fresh` starts every relay as the board leaves it on attach, as the service does:
    at 14:00 on a green afternoon the `no` loads come up staggered, the `nc` ones stay put."""
    start = DAY + timedelta(hours=14)
    end = start + timedelta(hours=3)
    clock = ManualClock(start, auto_advance=True)
    body = production_body(start.astimezone(PARIS).date())
    config = make_config(tmp_path / "state")
    assert {channel.wiring for channel in config.channels} == {Wiring.NO, Wiring.NC}
    plan = build_plan(parse_signals(body), config, start, end, history=released_on_attach(config))
    for channel in config.channels:
        assert plan.initial[channel.index] is (channel.wiring is Wiring.NC)
    assert [c for c in plan.changes if c.at < start + timedelta(minutes=30)], "nothing restored"
    with FakeRte(clock=clock.now, body=body) as rte:
        config = make_config(tmp_path / "state", source="rte", base_url=rte.url)
        controller, _board = make_controller(config, clock)
        await asyncio.wait_for(controller.run(until=end), 60)
    expected = [(change.at, change.channel, change.powered) for change in plan.changes]
    seen = [(at(ts), channel, powered) for ts, channel, powered in relay_events(tmp_path / "state")]
    assert seen == expected


def test_the_demo_week_has_a_red_day() -> None:
    forecast = parse_signals(production_body(DAY.date()))
    assert Level.RED in {slot.level for slot in forecast.slots if slot.start < DAY + timedelta(1)}


async def test_transitions_on_the_board_follow_wiring(tmp_path: Path) -> None:
    clock = ManualClock(DAY + timedelta(hours=9), auto_advance=False)
    config = make_config(tmp_path / "state")
    controller, board = make_controller(config, clock)
    async with running(controller):
        snapshot = await controller.snapshot()
        for channel in config.channels:
            view = snapshot.channel(channel.index)
            energised = board.relay(channel.index)
            if energised is not None:
                assert view.powered == appliance_powered(channel.wiring, energised)


async def test_force_and_release_move_the_relay_and_are_persisted(tmp_path: Path) -> None:
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    state = tmp_path / "state"
    config = make_config(state)
    controller, _board = make_controller(config, clock)
    async with running(controller):
        clock.advance(600)  # past every switch gap of the first decisions
        message = await controller.force(2, False, duration=timedelta(minutes=30))
        assert "Borne VE: forced cut until" in message
        snapshot = await controller.snapshot()
        assert snapshot.channel(2).powered is False
        assert snapshot.channel(2).mode == "forced"
        assert snapshot.channel(2).reason.startswith("forced cut by operator")
        saved, _, _ = StateStore(state).load()
        assert saved[2].powered is False
        clock.advance(600)
        released = await controller.release(2)
        assert released == "back to automatic: Borne VE"
        assert (await controller.snapshot()).channel(2).mode == "auto"
        assert await controller.release(None) == "nothing to release: already automatic"
    kinds = [event["kind"] for event in [event.to_dict() for event in read_events(state)]]
    assert kinds[0] == "start" and kinds[-1] == "stop"
    overrides = [
        e for e in [event.to_dict() for event in read_events(state)] if e["kind"] == "override"
    ]
    assert [e["action"] for e in overrides] == ["force", "release"]


async def test_override_expiry_returns_to_automatic(tmp_path: Path) -> None:
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    config = make_config(tmp_path / "state")
    controller, _ = make_controller(config, clock)
    async with running(controller):
        clock.advance(600)
        await controller.force(0, True, duration=timedelta(minutes=10))
        clock.advance(11 * 60)
        await controller.settle()
        snapshot = await controller.snapshot()
        assert snapshot.channel(0).mode == "auto"
    expired = [
        e
        for e in [event.to_dict() for event in read_events(tmp_path / "state")]
        if e.get("action") == "expired"
    ]
    assert len(expired) == 1 and expired[0]["channel"] == 0


async def test_operator_hammering_never_exceeds_the_relay_rate(tmp_path: Path) -> None:
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    config = make_config(tmp_path / "state", min_switch_gap="0s")
    controller, board = make_controller(config, clock)
    async with running(controller):
        clock.advance(600)
        for press in range(60):
            await controller.force(0, press % 2 == 0, duration=timedelta(hours=1))
            clock.advance(0.5)
    assert board.rate_violations() == []
    assert len(board.transitions_of(0)) <= 21


async def test_restart_keeps_overrides_and_history(tmp_path: Path) -> None:
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    state = tmp_path / "state"
    config = make_config(state)
    controller, _ = make_controller(config, clock)
    async with running(controller):
        clock.advance(600)
        await controller.force(1, False, duration=None, until=clock.now() + timedelta(hours=3))
    first_overrides, first_history, _ = StateStore(state).load()
    clock.advance(60)
    again, _board = make_controller(config, clock)
    async with running(again):
        snapshot = await again.snapshot()
        assert snapshot.channel(1).mode == "forced"
        assert snapshot.channel(1).until == first_overrides[1].until
        assert again.history[1].switches[: len(first_history[1].switches)] == (
            first_history[1].switches
        )


async def test_overrides_end_on_a_whole_minute_and_history_is_replayed(tmp_path: Path) -> None:
    clock = ManualClock(DAY + timedelta(hours=15, seconds=13), auto_advance=False)
    config = make_config(tmp_path / "state")
    controller, _ = make_controller(config, clock)
    async with running(controller):
        message = await controller.force(0, False, duration=timedelta(minutes=30))
        assert message.endswith("forced cut until 15:31")  # 15:00:13 + 30 min, rounded up
    again, _ = make_controller(config, clock)
    async with running(again):
        first = await again.updates().__anext__()
    kinds = [event.kind for event in first.events]
    # The first run, from start to stop, then the second one's own start.
    assert kinds[0] == "start" and "override" in kinds and kinds.count("start") == 2
    assert kinds.index("stop") < len(kinds) - 1 and kinds[kinds.index("stop") + 1] == "start"
    assert first.events == tuple(read_events(tmp_path / "state")[: len(first.events)])


async def test_release_on_exit_records_what_it_does_to_each_appliance(tmp_path: Path) -> None:
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    state = tmp_path / "state"
    config = make_config(state)
    assert config.board.on_exit is OnExit.RELEASE
    controller, board = make_controller(config, clock)
    async with running(controller):
        pass
    _, history, _ = StateStore(state).load()
    for channel in config.channels:
        assert board.relay(channel.index) in (False, None)
        assert history[channel.index].powered == appliance_powered(channel.wiring, False)


async def test_board_detach_marks_unknown_and_reattach_reapplies(tmp_path: Path) -> None:
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    config = make_config(tmp_path / "state")
    controller, board = make_controller(config, clock)
    updates = controller.updates()
    async with running(controller):
        await updates.__anext__()
        before = {ch.index: board.state(ch.index) for ch in config.channels}
        board.simulate_detach()
        update = await next_update(
            updates,
            lambda u: any(e["kind"] == "board" for e in [event.to_dict() for event in u.events]),
        )
        assert not update.snapshot.board.attached
        assert all(channel.powered is None for channel in update.snapshot.channels)
        board.simulate_attach()
        update = await next_update(updates, lambda u: u.snapshot.board.attached)
        assert all(channel.powered is not None for channel in update.snapshot.channels)
        assert {ch.index: board.state(ch.index) for ch in config.channels} == before
    await updates.aclose()


@pytest.mark.phidget_lib
async def test_with_the_real_library_and_no_board_commands_wait_for_it(tmp_path: Path) -> None:
    """The real Phidget22 library, no 1017 attached: the service runs and says so."""
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    state = tmp_path / "state"
    # Addressed to a serial no attached device has: a real board is never switched by a test.
    board_config = BoardConfig(kind=BoardKind.PHIDGET, serial=absent_serial())
    config = replace(make_config(state), board=board_config)
    # Known states from a previous run: commands wait for the board (unknown ones are not
    # guessed: the board tells them on attach).
    StateStore(state).save({}, {ch.index: RelayHistory(powered=False) for ch in config.channels})
    config = replace(
        config, board=replace(config.board, attach_timeout=timedelta(milliseconds=300))
    )
    board = make_board(config, clock)
    source = make_source(config, state, {})
    controller = Controller(config, clock=clock, board=board, source=source, state_dir=state)
    updates = controller.updates()
    async with running(controller):
        await updates.__anext__()
        update = await next_update(
            updates,
            lambda u: any(
                e.get("event") == "missing" for e in [event.to_dict() for event in u.events]
            ),
        )
        assert not update.snapshot.board.attached
        assert all(channel.powered is None for channel in update.snapshot.channels)
    await updates.aclose()
    relays = [
        e
        for e in [event.to_dict() for event in read_events(state)]
        if e["kind"] == "relay" and "by" not in e
    ]
    assert relays and all(e["applied"] is False for e in relays)
    assert "board detached: applied when it attaches" in event_line(parse_event(relays[0]))


async def test_rte_down_for_the_whole_horizon_keeps_then_falls_back(tmp_path: Path) -> None:
    clock = ManualClock(DAY, auto_advance=True)
    state = tmp_path / "state"
    with FakeRte(clock=clock.now, body=production_body(DAY.date())) as rte:
        config = make_config(state, source="rte", base_url=rte.url, fallback="shed")
        # One good fetch fills the cache, then RTE answers 500 to everything.
        first, _ = make_controller(config, clock)
        await asyncio.wait_for(first.run(until=DAY + timedelta(minutes=1)), 30)
        rte.fail_next(*(["500"] * 400))
        controller, _ = make_controller(config, clock)
        end = DAY + timedelta(days=4, hours=6)
        await asyncio.wait_for(controller.run(until=end), 120)
        assert controller.forecast is not None
        assert controller.forecast.until is not None
        assert controller.forecast.until <= end
        # Retries went on through the whole outage, backing off to the 2 h cap, no faster.
        calls = [r for r in rte.requests if r.path.endswith("/signals")]
        assert 45 <= len(calls) <= 60
    events = [event.to_dict() for event in read_events(state)]
    errors = [e for e in events if e["kind"] == "error"]
    failures = [e for e in errors if "ECOWATT_COMMON_T05: Internal Server Error" in e["message"]]
    assert failures and at(failures[-1]["ts"]) > end - timedelta(hours=3)
    assert not [e for e in errors if "unexpectedly" in e["message"]]
    assert any("no forecast covers now" in e["message"] for e in errors)
    blind = [e for e in events if e["kind"] == "relay" and "no forecast" in e["reason"]]
    assert blind and all(e["powered"] is False for e in blind)  # fallback = "shed"


async def test_a_second_controller_is_refused_with_the_pid(tmp_path: Path) -> None:
    clock = ManualClock(DAY, auto_advance=False)
    config = make_config(tmp_path / "state")
    controller, _ = make_controller(config, clock)
    async with running(controller):
        second, _ = make_controller(config, clock)
        with pytest.raises(AlreadyRunning) as refused:
            second.acquire()
        assert f"PID {os.getpid()}" in str(refused.value)


# -- control socket ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(state: Path) -> AsyncIterator[Controller]:
    """A controller on a fixed virtual clock, serving its control socket."""
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    controller, _ = make_controller(make_config(state), clock)
    async with running(controller):
        server = ControlServer(controller, socket_path(state))
        await server.start()
        try:
            yield controller
        finally:
            await server.close()


async def _ask(path: Path, *lines: bytes) -> list[dict]:  # type: ignore[type-arg]
    reader, writer = await asyncio.open_unix_connection(str(path))
    replies = []
    for line in lines:
        writer.write(line)
        await writer.drain()
        replies.append(json.loads(await reader.readline()))
    writer.close()
    return replies


async def test_socket_is_private_and_survives_bad_requests(tmp_path: Path) -> None:
    state = tmp_path / "state"
    async with serving(state):
        path = socket_path(state)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        replies = await _ask(
            path,
            b"this is not json\n",
            b"[1, 2]\n",
            b'{"op": "explode"}\n',
            b'{"op": "force", "channel": 9, "powered": true}\n',
            b'{"op": "force", "channel": "x", "powered": true}\n',
            b'{"op": "force", "channel": 1, "powered": "yes"}\n',
            b'{"op": "snapshot", "id": 7}\n',
        )
        assert [reply["ok"] for reply in replies] == [False] * 6 + [True]
        assert "malformed request" in replies[0]["error"]
        assert "unknown 'explode'" in replies[2]["error"]
        assert "channel 9: not configured" in replies[3]["error"]
        assert replies[6]["id"] == 7 and replies[6]["snapshot"]["mode"] == "demo"


async def test_two_clients_and_one_that_leaves_mid_stream(tmp_path: Path) -> None:
    state = tmp_path / "state"
    async with serving(state) as controller:
        link = await connect(state)
        assert isinstance(link, RemoteController)
        assert link.description == f"attached to PID {os.getpid()}"
        # A subscriber that vanishes without a word.
        reader, writer = await asyncio.open_unix_connection(str(socket_path(state)))
        writer.write(b'{"op": "subscribe"}\n')
        await writer.drain()
        await reader.readline()
        writer.transport.abort()
        first, second = link.updates(), link.updates()
        await first.__anext__()
        await second.__anext__()
        controller.clock.advance(600)  # type: ignore[attr-defined]
        message = await link.force(3, True, duration=timedelta(minutes=20))
        assert message.startswith("Pompe: forced on until")
        a = await asyncio.wait_for(first.__anext__(), 5)
        b = await asyncio.wait_for(second.__anext__(), 5)
        assert a.snapshot.channel(3).mode == b.snapshot.channel(3).mode == "forced"
        await first.aclose()
        await second.aclose()
        status = (await link.snapshot()).to_status()
        assert status["channels"][3]["mode"] == "forced"
        assert set(status) == {"mode", "pid", "level", "board", "forecast", "channels"}


def test_state_file_is_replaced_atomically(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    history = {0: replace(RelayHistory(), powered=True, last_on=DAY)}
    store.save({}, history)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert store.load()[1] == history
    (tmp_path / "state.json").write_text("{truncated")
    overrides, loaded, problem = store.load()
    # Set aside, and the copy written with every save takes over.
    assert overrides == {} and loaded == history and problem and "unreadable state" in problem
    assert "restored from state.json.prev" in problem
    assert (tmp_path / "state.json.unreadable").exists()


async def test_a_subscriber_that_stops_reading_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_hub, "MAX_BACKLOG", 3)
    clock = ManualClock(DAY + timedelta(hours=15), auto_advance=False)
    controller, _ = make_controller(make_config(tmp_path / "state"), clock)
    async with running(controller):
        stalled = controller.updates()
        await stalled.__anext__()  # subscribed, then never reads again
        for minute in range(6):
            clock.advance(60)
            await controller.force(3, minute % 2 == 0, duration=timedelta(hours=1))
        assert controller.events.subscribers == 0
        backlog = [update async for update in stalled]
        assert len(backlog) == 3  # what was queued, then the end of the stream


async def test_a_failing_request_gets_an_error_reply_and_the_connection_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    async with serving(state) as controller:

        async def broken() -> str:
            raise RuntimeError("boom")

        monkeypatch.setattr(controller, "refresh", broken)
        replies = await _ask(socket_path(state), b'{"op": "refresh"}\n', b'{"op": "snapshot"}\n')
        assert replies[0] == {"ok": False, "error": "internal error: RuntimeError: boom"}
        assert replies[1]["ok"] is True
