"""Wall-clock steps on a virtual clock: the relay protections run on the monotonic clock.

``ManualClock.step`` moves the wall clock alone, as an NTP step or ``date -s`` does; the
monotonic clock, by which min_on, min_off, min_switch_gap, the rate cap (20 in 60 s) and the
restore stagger are measured, does not move. The same faults with a real process under
libfaketime are in ``test_clock_faketime.py``.
"""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from support.service import at, make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.service.controller import Controller

START = at("2026-12-02T03:00:00+01:00")  # a demo weekday night: nothing strained


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the controller's task run until ``condition`` holds (bounded; virtual time stands)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def clock_lines(controller: Controller) -> list[str]:
    return [
        event.message
        for event in read_events(controller.state_dir)
        if event.kind == "error" and getattr(event, "what", "") == "clock"
    ]


async def test_a_forward_step_does_not_reset_the_rate_cap(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state", min_switch_gap="0s")
    clock = ManualClock(START)
    controller, board = make_controller(config, clock)
    async with running(controller):
        for press in range(30):
            clock.advance(0.1)
            await controller.force(0, press % 2 == 0, duration=timedelta(hours=1))
        before = len(board.transitions_of(0))
        clock.step(3600)  # NTP: one hour forward, 3 real seconds into the run
        answers = []
        for press in range(30):
            clock.advance(0.1)
            answers.append(await controller.force(0, press % 2 == 0, duration=timedelta(hours=1)))
        assert "waiting: rate limit" in answers[0], answers[0]
        # Every switch happened within 6 real seconds: never more than 20 of them.
        assert before == 20
        assert len(board.transitions_of(0)) == 20
        assert any("stepped forward by 1 h 0 min 0 s" in line for line in clock_lines(controller))


async def test_min_off_and_min_on_keep_their_real_length_across_a_forward_step(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "state")
    clock = ManualClock(START)
    controller, _ = make_controller(config, clock)
    async with running(controller):
        await controller.force(2, True, duration=timedelta(hours=1))  # Borne VE, min_off 5 min
        clock.advance(10)
        await controller.force(2, False, duration=timedelta(hours=1))
        assert controller.history[2].powered is False
        clock.advance(1)
        clock.step(3600)
        answer = await controller.force(2, True, duration=timedelta(hours=1))
        assert "waiting: min_off until" in answer
        assert controller.history[2].powered is False
        clock.advance(5 * 60 - 2)  # the cut was at 10 s, the step at 11 s: now 309 s
        await controller.settle()
        assert controller.history[2].powered is False  # 299 real seconds after the cut
        clock.advance(2)
        await controller.settle()
        assert controller.history[2].powered is True, controller.evaluation.decisions[2]


async def test_a_backward_step_does_not_freeze_a_relay(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")  # min_switch_gap 5 s
    clock = ManualClock(START)
    controller, _ = make_controller(config, clock)
    async with running(controller):
        await controller.force(1, True, duration=timedelta(hours=4))
        clock.advance(10)
        clock.step(-2 * 3600)  # two hours back
        answer = await controller.force(1, False, duration=timedelta(hours=1))
        assert "waiting" not in answer, answer
        assert controller.history[1].powered is False
        # The switch times moved with the step: none lies in the future.
        now = clock.now()
        assert all(at <= now for at in controller.history[1].switches)
        assert any("stepped back by 2 h 0 min 0 s" in line for line in clock_lines(controller))


async def test_a_forward_step_is_acted_on_at_once(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    clock = ManualClock(START)
    controller, _ = make_controller(config, clock)
    async with running(controller):
        await controller.force(1, False, duration=timedelta(minutes=30))
        assert controller.history[1].powered is False
        steps = controller._steps_done
        # The loop now sleeps until the override ends. The wall clock jumps past that end:
        # the sleep ends at the step, not at its old deadline (nor 300 s later).
        clock.advance(61)  # past the gap and the restore stagger (an advance wakes nobody)
        clock.step(3600)
        await until(lambda: controller._steps_done > steps, "a step after the clock step")
        await until(lambda: 1 not in controller.overrides, "the override's end")
        assert controller.history[1].powered is True, controller.evaluation.decisions[1]
        assert 1 not in controller.overrides
        assert clock_lines(controller)


async def test_a_small_difference_is_not_a_step(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    clock = ManualClock(START)
    controller, _ = make_controller(config, clock)
    async with running(controller):
        await controller.force(1, False, duration=timedelta(minutes=30))
        clock.step(0.5)
        await controller.settle()
        assert clock_lines(controller) == []


async def test_min_on_after_a_backward_step_ends_on_real_time_not_two_hours_later(
    tmp_path: Path,
) -> None:
    """The audit's Climatisation: powered at 12:10, the clock stepped back to 10:30, a cut
    waited "min_on until 12:15:01" through the whole red period."""
    config = make_config(tmp_path / "state")
    channels = tuple(
        replace(channel, min_on=timedelta(minutes=5)) if channel.index == 0 else channel
        for channel in config.channels
    )
    config = replace(config, channels=channels)
    clock = ManualClock(START)
    controller, _ = make_controller(config, clock)
    async with running(controller):
        await controller.force(0, True, duration=timedelta(hours=4))
        clock.advance(10)
        clock.step(-100 * 60)  # 12:10 -> 10:30
        answer = await controller.force(0, False, duration=timedelta(hours=1))
        assert "waiting: min_on until" in answer
        wait_until = controller.evaluation.decisions[0].wait_until
        assert wait_until is not None
        assert wait_until - clock.now() <= timedelta(minutes=5)  # 4 min 50 s, not 1 h 45
        clock.advance(5 * 60)
        await controller.settle()
        assert controller.history[0].powered is False


def test_microsecond_drifts_add_up_and_move_the_times_once_they_reach_a_millisecond() -> None:
    """The wall and monotonic clocks drift apart by microseconds at every step: no switch time
    moves for each (the history would be new at every step), none of the drift is lost."""
    from datetime import UTC, datetime

    from tui.service.clock_watch import QUANTUM, ClockWatch

    watch = ClockWatch()
    wall = datetime(2026, 12, 7, 12, tzinfo=UTC)
    watch.start(wall, 100.0)
    moved = []
    for second in range(1, 401):  # 3 us more wall time than monotonic time each second
        moved.append(
            watch.rebase(wall + timedelta(seconds=second, microseconds=3 * second), 100.0 + second)
        )
    given = [delta for delta in moved if delta]
    assert given and all(delta >= QUANTUM for delta in given)
    assert len(given) == 1200 // 1000  # 1.2 ms of drift in all: one move of 1 ms so far
    # Nothing lost: what has not moved yet is less than a quantum.
    assert timedelta(0) <= timedelta(microseconds=1200) - sum(given, timedelta(0)) < QUANTUM
