"""The forecast model: levels, slots and the queries the policy and the UI rely on."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tui.core.forecast import (
    HOUR,
    PARIS,
    Forecast,
    Level,
    Period,
    Slot,
    clock_time,
    next_paris_midnight,
    paris_midnight,
)

T0 = datetime(2024, 11, 21, 7, tzinfo=UTC)  # 08:00 in Paris (winter, UTC+1)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def forecast_of(levels: dict[int, int], fetched: datetime | None = None) -> Forecast:
    """Hour offsets from T0 -> level; offsets not listed are unknown."""
    return Forecast(
        slots=tuple(Slot(at(offset), Level(level)) for offset, level in levels.items()),
        fetched=fetched,
    )


def test_levels_have_names_and_letters() -> None:
    assert [level.label for level in Level] == ["low-carbon", "green", "orange", "red"]
    assert [level.letter for level in Level] == ["L", "G", "O", "R"]
    assert [int(level) for level in Level] == [0, 1, 2, 3]


def test_slots_are_sorted_and_stored_in_utc() -> None:
    local = datetime(2024, 11, 21, 9, tzinfo=PARIS)
    forecast = Forecast(slots=(Slot(local, Level.RED), Slot(at(0), Level.GREEN)))
    assert [slot.start for slot in forecast.slots] == [at(0), at(1)]
    assert all(slot.start.tzinfo is UTC for slot in forecast.slots)
    assert forecast.slots[1].end == at(2)


def test_level_at_is_unknown_outside_and_in_gaps() -> None:
    forecast = forecast_of({0: 1, 1: 3, 3: 0})
    assert forecast.level_at(at(-0.01)) is None
    assert forecast.level_at(at(0)) is Level.GREEN
    assert forecast.level_at(at(1.99)) is Level.RED
    assert forecast.level_at(at(2.5)) is None  # the gap is unknown, never level 0
    assert forecast.level_at(at(3)) is Level.LOW_CARBON
    assert forecast.level_at(at(4)) is None
    assert forecast.slot_at(at(1.5)) == Slot(at(1), Level.RED)


def test_empty_forecast_answers_unknown_everywhere() -> None:
    forecast = Forecast(slots=())
    assert forecast.level_at(T0) is None
    assert forecast.start is None and forecast.until is None
    assert forecast.next_change(T0) is None
    assert forecast.next_strained(T0) is None
    assert forecast.max_level(at(0), at(5)) is None


def test_reach_and_age() -> None:
    forecast = forecast_of({0: 1, 1: 1, 5: 2}, fetched=at(-2))
    assert forecast.start == at(0)
    assert forecast.until == at(6)
    assert forecast.age(at(1)) == timedelta(hours=3)
    assert forecast_of({0: 1}).age(at(1)) is None


def test_next_change_includes_becoming_unknown() -> None:
    forecast = forecast_of({0: 1, 1: 1, 2: 2, 3: 2, 5: 2})
    assert forecast.next_change(at(0.5)) == at(2)
    assert forecast.next_change(at(2)) == at(4)  # orange -> unknown
    assert forecast.next_change(at(4.5)) == at(5)  # unknown -> orange
    assert forecast.next_change(at(5.5)) == at(6)  # orange -> unknown, past the end
    assert forecast.next_change(at(6)) is None


def test_next_strained_gives_the_whole_run_with_its_worst_level() -> None:
    forecast = forecast_of({0: 1, 1: 2, 2: 3, 3: 2, 4: 1, 5: 1, 6: 2})
    assert forecast.next_strained(at(0)) == Period(at(1), at(4), Level.RED)
    # Inside the run: the run it is in, not the next one.
    assert forecast.next_strained(at(2.5)) == Period(at(1), at(4), Level.RED)
    assert forecast.next_strained(at(4)) == Period(at(6), at(7), Level.ORANGE)
    assert forecast.next_strained(at(0), Level.RED) == Period(at(2), at(3), Level.RED)
    assert forecast.next_strained(at(7)) is None


def test_a_gap_splits_strained_runs() -> None:
    forecast = forecast_of({0: 2, 2: 2})
    assert forecast.next_strained(at(0)) == Period(at(0), at(1), Level.ORANGE)
    assert forecast.period_at_or_above(Level.ORANGE, at(2.5)) == Period(at(2), at(3), Level.ORANGE)
    assert forecast.period_at_or_above(Level.ORANGE, at(1.5)) is None


def test_max_level_and_first_at_or_above_over_a_window() -> None:
    forecast = forecast_of({0: 0, 1: 1, 2: 2, 3: 3})
    assert forecast.max_level(at(0), at(0.5)) is Level.LOW_CARBON
    assert forecast.max_level(at(0.5), at(2)) is Level.ORANGE  # the end is inclusive
    assert forecast.max_level(at(0.5), at(1.99)) is Level.GREEN
    assert forecast.first_at_or_above(Level.ORANGE, at(0), at(5)) == Slot(at(2), Level.ORANGE)
    assert forecast.first_at_or_above(Level.RED, at(0), at(2.5)) is None


def test_boundaries_within_a_window() -> None:
    forecast = forecast_of({0: 1, 1: 2, 3: 1})
    assert forecast.boundaries(at(0)) == [at(1), at(2), at(3), at(4)]
    assert forecast.boundaries(at(0.5), at(2)) == [at(1), at(2)]


def test_period_describes_itself_in_paris_time() -> None:
    assert Period(at(10), at(12), Level.RED).describe() == "red 18:00-20:00"


def test_paris_midnights_on_daylight_saving_days() -> None:
    spring, autumn = date(2024, 3, 31), date(2024, 10, 27)
    assert paris_midnight(spring) == datetime(2024, 3, 30, 23, tzinfo=UTC)
    assert paris_midnight(autumn) == datetime(2024, 10, 26, 22, tzinfo=UTC)
    # The 23-hour and 25-hour days, measured in real time.
    assert next_paris_midnight(paris_midnight(spring)) - paris_midnight(spring) == 23 * HOUR
    assert next_paris_midnight(paris_midnight(autumn)) - paris_midnight(autumn) == 25 * HOUR
    late = datetime(2024, 10, 27, 22, 59, tzinfo=UTC)  # 23:59 in Paris, still the 27th
    assert next_paris_midnight(late) == datetime(2024, 10, 27, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "now", "text"),
    [
        (
            datetime(2024, 11, 21, 13, 45, tzinfo=UTC),
            datetime(2024, 11, 21, 9, tzinfo=UTC),
            "14:45",
        ),
        (
            datetime(2024, 11, 21, 23, 30, tzinfo=UTC),
            datetime(2024, 11, 21, 9, tzinfo=UTC),
            "Fri 22 Nov 00:30",
        ),
        (datetime(2024, 7, 1, 12, tzinfo=UTC), None, "14:00"),
        (datetime(2024, 7, 1, 12, 0, 5, tzinfo=UTC), None, "14:00:05"),
    ],
)
def test_clock_time(when: datetime, now: datetime | None, text: str) -> None:
    assert clock_time(when, now) == text
