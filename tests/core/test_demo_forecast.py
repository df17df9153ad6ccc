"""The demo forecast: deterministic per date, and shaped like a strained winter week."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from tui.core.demo_forecast import DEMO_DAYS, demo_forecast
from tui.core.forecast import HOUR, PARIS, Level, paris_midnight
from tui.core.signals import forecast_to_body, parse_signals

DATES = [date(2024, 11, 21) + timedelta(days=offset) for offset in range(60)] + [
    date(2024, 3, 28),  # the window holds the 23-hour day
    date(2024, 3, 31),
    date(2024, 10, 25),  # the window holds the 25-hour day
    date(2024, 10, 27),
    date(2025, 1, 1),
]


def local_hour(when: datetime) -> int:
    return when.astimezone(PARIS).hour


@pytest.mark.parametrize("day", DATES)
def test_four_continuous_days_from_paris_midnight(day: date) -> None:
    forecast = demo_forecast(day)
    assert forecast.start == paris_midnight(day)
    assert forecast.until == paris_midnight(day + timedelta(days=DEMO_DAYS))
    starts = [slot.start for slot in forecast.slots]
    assert all(later - earlier == HOUR for earlier, later in pairwise(starts))
    assert len(forecast.days) == DEMO_DAYS


@pytest.mark.parametrize("day", DATES)
def test_every_level_shows_on_the_first_day(day: date) -> None:
    forecast = demo_forecast(day)
    first_day = [
        slot.level for slot in forecast.slots if slot.start.astimezone(PARIS).date() == day
    ]
    assert set(first_day) == set(Level)


@pytest.mark.parametrize("day", DATES)
def test_strain_only_in_rte_windows_and_cuts_at_most_two_hours(day: date) -> None:
    forecast = demo_forecast(day)
    for slot in forecast.slots:
        if slot.level >= Level.ORANGE:
            assert local_hour(slot.start) in (*range(8, 13), 18, 19), slot
    red_runs = []
    run = 0
    for slot in forecast.slots:
        run = run + 1 if slot.level is Level.RED else 0
        red_runs.append(run)
    assert max(red_runs) <= 2
    # Low-carbon at night, every night.
    for slot in forecast.slots:
        if local_hour(slot.start) in (0, 1, 2, 3, 4, 5):
            assert slot.level is Level.LOW_CARBON


def test_some_afternoons_are_low_carbon() -> None:
    afternoons = {
        slot.start.astimezone(PARIS).date()
        for day in DATES[:14]
        for slot in demo_forecast(day).slots
        if local_hour(slot.start) == 15 and slot.level is Level.LOW_CARBON
    }
    assert afternoons


def test_strained_and_calm_days_alternate() -> None:
    forecast = demo_forecast(date(2024, 12, 2))
    worst = [day.dvalue for day in forecast.days]
    assert worst == [3, 2, 1, 2]


def test_the_same_date_gives_the_same_forecast_and_dates_differ() -> None:
    assert demo_forecast(date(2024, 12, 2)) == demo_forecast(date(2024, 12, 2))
    shapes = {tuple(slot.level for slot in demo_forecast(day).slots[:24]) for day in DATES[:30]}
    assert len(shapes) > 1


def test_generated_the_evening_before_and_fetched_as_given() -> None:
    fetched = datetime(2024, 12, 2, 9, 30, tzinfo=UTC)
    forecast = demo_forecast(date(2024, 12, 2), fetched=fetched)
    assert forecast.generated == datetime(2024, 12, 1, 19, tzinfo=UTC)  # 20:00 in Paris
    assert forecast.fetched == fetched
    assert forecast.source == "demo"
    assert all(day.message for day in forecast.days)


@pytest.mark.parametrize("day", [date(2024, 3, 31), date(2024, 10, 27)])
def test_dst_days_have_23_and_25_hours(day: date) -> None:
    forecast = demo_forecast(day)
    hours = sum(1 for slot in forecast.slots if slot.start.astimezone(PARIS).date() == day)
    assert hours == (23 if day.month == 3 else 25)


def test_the_demo_body_is_a_valid_rte_body() -> None:
    forecast = demo_forecast(date(2024, 12, 2))
    again = parse_signals(forecast_to_body(forecast), fetched=forecast.fetched, source="demo")
    assert again == forecast
