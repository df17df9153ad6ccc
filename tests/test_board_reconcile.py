"""Issue 12: the controller knows what the board really did (items 5, 6, 7 and 9).

On the simulated board, which behaves as a 1017 does: released on attach, released by an
unplug or a failsafe trip, and never putting a relay back by itself.
"""

import asyncio
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from support.service import at, make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.core.config import BoardConfig, BoardKind
from tui.core.policy import RATE_LIMIT
from tui.core.wiring import appliance_powered
from tui.frontends.app.relays import render_grid
from tui.frontends.control_cmds import render_status

DAY = at("2026-12-02T00:00:00+01:00")
AFTERNOON = DAY + timedelta(hours=15)  # green, no strain before the evening


async def settle(controller: object) -> None:
    await controller.settle()  # type: ignore[attr-defined]


# --- 9. the first start reads the relays from the board -------------------------------------------


async def test_a_first_start_takes_each_relay_from_the_board_and_moves_none_needlessly(
    tmp_path: Path,
) -> None:
    clock = ManualClock(AFTERNOON, auto_advance=False)
    config = make_config(tmp_path / "state")
    controller, board = make_controller(config, clock)
    async with running(controller):
        await settle(controller)
        decisions = controller.evaluation.decisions
        for channel in config.channels:
            released = appliance_powered(channel.wiring, False)
            if decisions[channel.index].wanted == released:
                # e.g. the "nc" radiators, powered with the relay released: never energised.
                assert board.transitions_of(channel.index) == [], channel.name
        assert controller.history[1].powered is True  # "nc", released: powered, from the board
        # The switch-ons that are needed are staggered, one at a time, and only switch-ons.
        assert all(item.energised for item in board.transitions)
        assert len(board.transitions) <= 1
    read = [
        e
        for e in [event.to_dict() for event in read_events(tmp_path / "state")]
        if e.get("event") == "read"
    ]
    assert len(read) == 1 and "Radiateurs ON" in read[0]["message"]


# --- 5. a command the board did not take is retried, counted, and shown --------------------------


async def test_a_failed_command_is_retried_with_backoff_and_the_mismatch_shown(
    tmp_path: Path,
) -> None:
    clock = ManualClock(AFTERNOON, auto_advance=False)
    config = make_config(tmp_path / "state")
    controller, board = make_controller(config, clock)
    async with running(controller):
        await settle(controller)
        clock.advance(120)
        await settle(controller)
        assert board.state(0) is True  # Chauffe-eau ("no") powered
        clock.advance(10)  # past min_switch_gap
        board.simulate_command_failures(0, count=2)
        await controller.force(0, False, duration=timedelta(minutes=30))
        assert board.state(0) is True, "the board did not take it"
        snapshot = await controller.snapshot()
        mismatch = snapshot.channel(0).mismatch
        assert mismatch is not None
        assert mismatch.startswith("board's library has ON, should be CUT: retry 2 at ")
        assert "BOARD MISMATCH: board's library has ON" in render_status(snapshot)
        grid = render_grid(snapshot.channels, 0, snapshot.now, 80).plain
        assert "BOARD: board's library has ON" in grid  # in the relay grid's row
        assert "Board mismatch: board's library has ON" in grid  # and the selected one's line
        assert snapshot.to_status()["channels"][0]["mismatch"] == mismatch
        switches = len(controller.history[0].switches)

        clock.advance(2)  # first retry after 2 s: fails again
        await settle(controller)
        assert board.state(0) is True
        assert "retry 3" in ((await controller.snapshot()).channel(0).mismatch or "")
        clock.advance(3)  # not yet: the second retry waits 4 s
        await settle(controller)
        assert len(controller.history[0].switches) == switches + 1
        clock.advance(1)
        await settle(controller)
        assert board.state(0) is False
        assert (await controller.snapshot()).channel(0).mismatch is None
        # Every attempt counted against the rating: the failed command and the two retries.
        assert len(controller.history[0].switches) == switches + 2
    events = [event.to_dict() for event in read_events(tmp_path / "state")]
    errors = [e for e in events if e["kind"] == "error" and e.get("what") == "board"]
    assert len(errors) == 1, "one error for the streak, not one per retry"
    assert any(e["kind"] == "relay" and e.get("by") == "reconcile" for e in events)


# --- 6. board I/O stays off the event loop's thread -----------------------------------------------


async def test_keepalive_relay_commands_and_close_run_off_the_event_loop_thread(
    tmp_path: Path,
) -> None:
    clock = ManualClock(AFTERNOON, auto_advance=False)
    config = make_config(tmp_path / "state")
    board_config = BoardConfig(kind=BoardKind.SIMULATED, failsafe=timedelta(seconds=1))
    controller, board = make_controller(replace(config, board=board_config), clock)
    async with running(controller):
        loop_thread = threading.get_ident()
        await settle(controller)
        await controller.force(1, False, duration=timedelta(minutes=5))
        clock.advance(1)
        await settle(controller)
    assert board.keepalives >= 2
    assert board.io_threads, "no board I/O happened"
    assert loop_thread not in board.io_threads
    # The close at shutdown too (USB transfers, reopen workers joined: issue 22, item 4).
    assert len(board.close_threads) == 1
    assert loop_thread not in board.close_threads


# --- 7. every relay movement counts, whoever causes it -------------------------------------------


async def test_replugs_and_trips_never_take_a_relay_over_twenty_switches_a_minute(
    tmp_path: Path,
) -> None:
    clock = ManualClock(AFTERNOON, auto_advance=False)
    config = make_config(tmp_path / "state")
    controller, board = make_controller(config, clock)
    async with running(controller):
        await settle(controller)
        await controller.force(0, True, duration=timedelta(hours=1))
        assert board.state(0) is True
        base = len(board.transitions_of(0))
        for cycle in range(15):
            if cycle % 3 == 2:
                board.simulate_failsafe(0)
            else:
                board.simulate_detach()
                await settle(controller)
                board.simulate_attach()
            await settle(controller)
        moves = board.transitions_of(0)
        window = [t for t in moves if t.at > clock.now() - timedelta(seconds=60)]
        assert len(window) <= RATE_LIMIT
        assert board.rate_violations() == []
        assert len(moves) - base < 30, "each replug was put back, uncounted"
        snapshot = await controller.snapshot()
        assert "rate limit" in (snapshot.channel(0).mismatch or "")
        clock.advance(61)
        await settle(controller)
        assert board.state(0) is True, "put back once the minute allows it"
        assert (await controller.snapshot()).channel(0).mismatch is None
    moved = [
        e
        for e in [event.to_dict() for event in read_events(tmp_path / "state")]
        if e.get("by") == "board"
    ]
    assert len([e for e in moved if e["channel"] == 0]) >= 10


async def test_a_restart_puts_back_what_the_attach_released_and_counts_it(
    tmp_path: Path,
) -> None:
    """A stop that left relays energised (a crash): the new attach releases them."""
    clock = ManualClock(AFTERNOON, auto_advance=False)
    state = tmp_path / "state"
    config = make_config(state)
    first, _ = make_controller(config, clock)
    async with running(first):
        await settle(first)
        await first.force(0, True, duration=timedelta(hours=1))
    # The release on exit was recorded; pretend it never happened, as after a kill -9.
    from tui.adapters.stores.state import StateStore

    overrides, history, _ = StateStore(state).load()
    history[0] = replace(history[0], powered=True)
    StateStore(state).save(overrides, history)
    second, board = make_controller(config, clock)
    async with running(second):
        await settle(second)
        assert board.state(0) is True
        assert len(second.history[0].switches) >= 2  # the release on attach and the put back
    await asyncio.sleep(0)
