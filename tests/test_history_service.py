"""The service records history as it runs: fed by the controller's subscription, in agreement
with a rebuild from the log, and a broken store never stops the relays."""

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from support.service import at, make_config, make_controller

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.adapters.stores.history import HistoryStore, open_store, store_path
from tui.compose.service import serve
from tui.core.errors import InputError
from tui.core.forecast import PARIS
from tui.core.history import State
from tui.service.history_view import HistoryView, channel_infos, recorded_rows, view_window
from tui.service.remote import connect

DAY = at("2026-12-02T00:00:00+01:00")  # the demo week's red weekday


async def run_day(state: Path, until_hours: int = 24) -> None:
    clock = ManualClock(DAY, auto_advance=True)
    config = make_config(state)
    controller, _ = make_controller(config, clock)
    await asyncio.wait_for(serve(controller, until=DAY + timedelta(hours=until_hours)), 60)


async def test_a_day_of_service_is_recorded_and_agrees_with_a_rebuild(tmp_path: Path) -> None:
    state = tmp_path / "state"
    await run_day(state)
    config = make_config(state)
    channels = channel_infos(config)
    day = DAY.astimezone(PARIS).date()
    end = DAY + timedelta(days=1)

    live = HistoryStore(store_path(state))
    fed = recorded_rows(live, channels, day, day, end)
    live.close()
    heater = next(row for row in fed if row.channel == 0)  # shed at orange
    assert heater.switches >= 2
    assert heater.cut_strained_minutes > 0
    assert heater.cut_minutes >= heater.cut_strained_minutes
    # The stop was recorded too: the feed ends after the controller's last update.
    kinds = {event["kind"] for event in [event.to_dict() for event in read_events(state)]}
    assert "stop" in kinds

    # Rebuilt from the log alone, the numbers are the same.
    copy = tmp_path / "copy"
    shutil.copytree(state, copy, ignore=shutil.ignore_patterns("history.sqlite*", "*.sock"))
    rebuilt, message = open_store(copy)
    assert message is not None and "rebuilt" in message
    assert recorded_rows(rebuilt, channels, day, day, end) == fed
    rebuilt.close()


async def test_a_broken_store_fails_alone_and_says_so_once(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    store_path(state).mkdir()  # a directory where the file should be: every open fails
    await run_day(state, until_hours=12)
    events = [event.to_dict() for event in read_events(state)]
    failures = [e for e in events if e["kind"] == "error" and e.get("what") == "history"]
    assert len(failures) == 1, failures
    assert "history store failed" in failures[0]["message"]
    # The relays were driven all the same.
    assert len([e for e in events if e["kind"] == "relay"]) >= 8


async def test_the_view_has_the_record_then_the_plan(tmp_path: Path) -> None:
    state = tmp_path / "state"
    await run_day(state, until_hours=10)
    clock = ManualClock(DAY + timedelta(hours=10), auto_advance=False)
    controller, _ = make_controller(make_config(state), clock)
    task = asyncio.create_task(controller.run())
    try:
        await asyncio.wait_for(controller.started.wait(), 10)
        start, end = view_window(clock.now(), 0, 1)
        view = await controller.history_view(start, end)
    finally:
        controller.stop()
        await asyncio.wait_for(task, 10)
    assert view.start == start and view.end == end
    heater = view.channels[0]
    past = [s for s in heater.segments if not s.planned]
    future = [s for s in heater.segments if s.planned]
    now = clock.now().timestamp()
    assert past and all(s.end <= now for s in past)
    assert future and all(s.start >= now for s in future)
    assert any(s.state is State.CUT for s in past)  # the morning's strain was lived
    assert len(view.levels) >= 40
    # It crosses the control socket as JSON unchanged.
    assert HistoryView.from_dict(view.to_dict()) == view


async def test_the_view_crosses_the_control_socket(tmp_path: Path) -> None:
    state = tmp_path / "state"
    await run_day(state, until_hours=10)
    clock = ManualClock(DAY + timedelta(hours=10), auto_advance=False)
    controller, _ = make_controller(make_config(state), clock)
    task = asyncio.create_task(serve(controller))
    try:
        await asyncio.wait_for(controller.started.wait(), 10)
        remote = None
        for _ in range(100):  # the socket comes up just after the start
            remote = await connect(state)
            if remote is not None:
                break
            await asyncio.sleep(0.05)
        assert remote is not None
        start, end = view_window(clock.now(), 1, 2)
        attached = await remote.history_view(start, end)
        assert attached == await controller.history_view(start, end)
        with pytest.raises(InputError, match="end: expected after start"):
            await remote.history_view(end, start)
        with pytest.raises(InputError, match="at most 31 days later"):
            await remote.history_view(start, start + timedelta(days=40))
    finally:
        controller.stop()
        await asyncio.wait_for(task, 10)


class _Host:
    """What the history feed uses of the controller: its clock, its state directory, its
    event log's error lines."""

    def __init__(self, state_dir: Path, clock: ManualClock) -> None:
        self.state_dir = state_dir
        self.clock = clock
        self.said: list[str] = []

    def log_error(self, what: str, message: str) -> None:
        self.said.append(message)


async def test_a_failing_store_is_retried_on_the_monotonic_clock_across_steps(
    tmp_path: Path,
) -> None:
    """The retry was measured on the wall clock: after a -2 h step a failing store waited two
    hours (and a +2 h step retried it at once). A minute of monotonic time, whatever the wall
    clock does."""
    from tui.service.history_feed import RETRY, HistoryFeed

    state = tmp_path / "state"
    state.mkdir()
    store_path(state).mkdir()  # a directory where the store belongs: it fails, said once
    clock = ManualClock(DAY)
    host = _Host(state, clock)
    feed = HistoryFeed(host)  # type: ignore[arg-type]
    await feed._attempt(feed._open)
    assert feed.store is None and len(host.said) == 1 and "is a directory" in host.said[0]
    store_path(state).rmdir()  # put right: the next try succeeds
    clock.step(2 * 3600)  # the wall clock jumps ahead: not a reason to try again at once
    await feed._attempt(feed._open)
    assert feed.store is None
    clock.step(-4 * 3600)  # and back, two hours before the failure
    clock.advance(RETRY - 1)
    await feed._attempt(feed._open)
    assert feed.store is None  # not a minute yet
    clock.advance(1)
    await feed._attempt(feed._open)
    assert feed.store is not None, host.said  # a minute after the failure, not two hours
    assert len(host.said) == 2 and "works again" in host.said[1]
    feed.store.close()
