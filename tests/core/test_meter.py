"""The meter's trip filter (Enedis-NOI-CPT_54E §7) against its own recurrence and given times."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tui.core.meter import (
    TRIP_LEVEL,
    MeterReading,
    TripFilter,
    advance,
    seconds_to_trip,
)

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


def steps_to_trip(y: float, x: float, limit: int = 100_000) -> int | None:
    """The spec's recurrence, one step a second, until Y reaches 1.69."""
    for n in range(1, limit):
        y = 0.008 * x * x + 0.992 * y
        if y >= TRIP_LEVEL:
            return n
    return None


def test_the_spec_trip_times() -> None:
    # 1.4 x PCOUP: about 250 s; 2.5 x PCOUP: about 40 s; 1.1 x never (from a cold filter).
    at_14 = seconds_to_trip(0.0, 1.4)
    at_25 = seconds_to_trip(0.0, 2.5)
    assert at_14 is not None and 240 <= at_14 <= 255
    assert at_25 is not None and 38 <= at_25 <= 41
    assert seconds_to_trip(0.0, 1.1) is None
    assert seconds_to_trip(1.0, 1.2) is None  # a kettle at 1.2 x: the meter rides it out
    assert steps_to_trip(0.0, 1.4) == 247 and steps_to_trip(0.0, 2.5) == 40


@given(st.floats(0, 1.68), st.floats(1.31, 4.0))
def test_the_closed_form_matches_the_recurrence(y: float, x: float) -> None:
    predicted = seconds_to_trip(y, x)
    stepped = steps_to_trip(y, x)
    assert predicted is not None and stepped is not None
    assert stepped - 1 <= predicted <= stepped


@given(st.floats(0, 2), st.floats(0, 3), st.integers(0, 500))
def test_advance_is_the_recurrence(y: float, x: float, seconds: int) -> None:
    stepped = y
    for _ in range(seconds):
        stepped = 0.008 * x * x + 0.992 * stepped
    assert abs(advance(y, x, seconds) - stepped) < 1e-9


def test_a_filter_follows_readings_and_holds_the_last_power() -> None:
    limit = 9000
    state = TripFilter().seen(MeterReading(at=T0, power_va=9000 * 2), limit)
    state = state.moved_to(T0 + timedelta(seconds=20))
    # The reading's own second counts: the meter stepped Y(n) with X(n) before sending it.
    assert abs(state.ys[0] - advance(0.0, 2.0, 21)) < 1e-12
    left = state.trip_in()
    assert left is not None and abs(left - ((seconds_to_trip(0.0, 2.0) or 0) - 21)) < 1e-6


def test_a_relay_switch_between_frames_counts_from_the_switch() -> None:
    """A cut right after a frame: the next frame's lower power counts from the cut, not from
    that frame; with no switch the old power is held until the frame's own second."""
    limit = 9000
    first = TripFilter().seen(MeterReading(at=T0, power_va=18000), limit)
    after = MeterReading(at=T0 + timedelta(seconds=2), power_va=9000)
    cut = first.seen(after, limit, switched_at=T0)
    held = first.seen(after, limit)
    y0 = advance(0.0, 2.0, 1)
    assert abs(cut.ys[0] - advance(y0, 1.0, 2)) < 1e-12
    assert abs(held.ys[0] - advance(advance(y0, 2.0, 1), 1.0, 1)) < 1e-12
    assert cut.ys[0] < held.ys[0]
    # A switch before the last frame is already in that frame's power: nothing moves back.
    early = first.seen(after, limit, switched_at=T0 - timedelta(seconds=5))
    assert early.ys == held.ys


def test_three_phase_filters_each_phase_against_a_third_of_the_limit() -> None:
    reading = MeterReading(at=T0, power_va=6000, phases_va=(4500, 1000, 500))
    state = TripFilter().seen(reading, 9000)
    # 4500 VA on one phase of a 9 kVA three-phase meter: 1.5 x its 3 kVA share.
    assert state.xs == (1.5, 1000 / 3000, 500 / 3000)
    assert state.trip_in() == seconds_to_trip(0.0, 1.5)
