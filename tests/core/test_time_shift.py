"""core.time_shift: every wall time in a state moved by a clock step, one object one copy."""

from datetime import UTC, datetime, timedelta

from tui.core.meter import MeterReading
from tui.core.power_rule import PowerCut, PowerState, PowerStep
from tui.core.time_shift import shift_times

T0 = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
BACK = timedelta(hours=-2)


def test_every_time_in_the_power_state_moves_and_nothing_else() -> None:
    reading = MeterReading(at=T0, power_va=9000, cutoff_va=9000)
    state = PowerState(
        reading=reading,
        cuts={2: PowerCut(at=T0 - timedelta(seconds=30), power_va=7400, reason="power")},
        clear_since=None,
        last_cut=T0 - timedelta(seconds=30),
        pending={1: T0 - timedelta(seconds=5)},
        limit=9000,
    )
    moved = shift_times(PowerStep(state, next_due=T0 + timedelta(seconds=1)), BACK)
    assert moved.next_due == T0 + timedelta(seconds=1) + BACK
    assert moved.state.reading is not None and moved.state.reading.at == T0 + BACK
    assert moved.state.reading.power_va == 9000 and moved.state.limit == 9000
    assert moved.state.cuts[2].at == T0 - timedelta(seconds=30) + BACK
    assert moved.state.cuts[2].reason == "power"
    assert moved.state.last_cut == T0 - timedelta(seconds=30) + BACK
    assert moved.state.pending == {1: T0 - timedelta(seconds=5) + BACK}
    assert moved.state.clear_since is None
    assert state.reading is reading and reading.at == T0  # the original is left as it was


def test_one_object_held_twice_is_one_moved_object() -> None:
    reading = MeterReading(at=T0, power_va=1000)
    memo: dict[int, object] = {}
    first = shift_times(PowerState(reading=reading), BACK, memo)
    second = shift_times(reading, BACK, memo)
    assert first.reading is second


def test_no_step_is_the_value_itself() -> None:
    state = PowerState(reading=MeterReading(at=T0, power_va=1000))
    assert shift_times(state, timedelta(0)) is state
