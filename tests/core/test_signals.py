"""The signals parser: strict about levels, hours and timestamps, tolerant about RTE's habits."""

import json
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.signals import body, day_entry, paris

from tui.core.errors import InputError
from tui.core.forecast import HOUR, PARIS, Forecast, Level, Slot, paris_midnight
from tui.core.signals import ForecastFormatError, forecast_to_body, parse_signals

FETCHED = datetime(2024, 11, 21, 6, 30, tzinfo=UTC)


# --- a normal answer ---------------------------------------------------------------------------

NORMAL_DAYS = [date(2024, 11, 21) + timedelta(days=offset) for offset in range(4)]
NORMAL = body(
    *(
        day_entry(day, [0] * 6 + [1] * 2 + [2] * 5 + [1] * 5 + [3] * 2 + [1] * 4)
        for day in NORMAL_DAYS
    )
)


def test_a_normal_answer_gives_96_hours_from_jour_plus_pas() -> None:
    forecast = parse_signals(NORMAL, fetched=FETCHED, source="rte")
    assert len(forecast.slots) == 96
    assert forecast.start == paris(2024, 11, 21, 0)
    assert forecast.until == paris(2024, 11, 25, 0)
    assert forecast.level_at(paris(2024, 11, 21, 8)) is Level.ORANGE
    assert forecast.level_at(paris(2024, 11, 22, 18)) is Level.RED
    assert forecast.level_at(paris(2024, 11, 23, 3)) is Level.LOW_CARBON
    assert forecast.generated == datetime(2024, 11, 20, 22, tzinfo=UTC)
    assert forecast.fetched == FETCHED
    assert forecast.source == "rte"
    assert [day.jour.date() for day in forecast.days] == NORMAL_DAYS


def test_bytes_text_and_decoded_json_give_the_same_forecast() -> None:
    from_text = parse_signals(NORMAL)
    assert parse_signals(NORMAL.encode()) == from_text
    assert parse_signals(json.loads(NORMAL)) == from_text
    assert parse_signals(b"\xef\xbb\xbf" + NORMAL.encode()) == from_text  # UTF-8 BOM


def test_days_in_any_order_give_the_same_forecast() -> None:
    days = json.loads(NORMAL)["signals"]
    shuffled = json.dumps({"signals": [days[2], days[0], days[3], days[1]]})
    assert parse_signals(shuffled).slots == parse_signals(NORMAL).slots
    assert [day.jour.date() for day in parse_signals(shuffled).days] == NORMAL_DAYS


def test_missing_hours_are_unknown_never_level_0() -> None:
    day = date(2022, 6, 4)
    forecast = parse_signals(body(day_entry(day, {h: 1 for h in range(24) if h not in (5, 6, 7)})))
    assert len(forecast.slots) == 21
    assert forecast.level_at(paris(2022, 6, 4, 4)) is Level.GREEN
    for hour in (5, 6, 7):
        assert forecast.level_at(paris(2022, 6, 4, hour)) is None
    assert forecast.level_at(paris(2022, 6, 4, 8)) is Level.GREEN
    assert forecast.next_change(paris(2022, 6, 4, 4)) == paris(2022, 6, 4, 5)


def test_a_missing_day_is_unknown_and_the_reach_stops_before_it() -> None:
    first, third = date(2024, 11, 21), date(2024, 11, 23)
    forecast = parse_signals(body(day_entry(first, [1] * 24), day_entry(third, [2] * 10)))
    assert forecast.level_at(paris(2024, 11, 22, 12)) is None
    assert forecast.until == paris(2024, 11, 23, 10)  # D+3 published for part of the day


def test_messages_are_stripped_and_extra_fields_ignored() -> None:
    day = date(2024, 11, 21)
    entry = day_entry(day, [1] * 24, message="   Pas d'alerte.        ", couleur="vert")
    entry["values"][0]["extra"] = "ignored"  # type: ignore[index]
    document = {"signals": [entry], "version": 5, "meta": {"x": 1}}
    forecast = parse_signals(json.dumps(document))
    assert forecast.days[0].message == "Pas d'alerte."
    assert forecast.days[0].dvalue == 1
    assert len(forecast.slots) == 24


def test_display_only_fields_that_are_odd_do_not_discard_levels() -> None:
    day = date(2024, 11, 21)
    entry = day_entry(day, [2] * 24, GenerationFichier="hier soir", dvalue=True, message=None)
    forecast = parse_signals(body(entry))
    assert forecast.generated is None
    assert forecast.days[0].dvalue is None
    assert forecast.days[0].message == ""
    assert len(forecast.slots) == 24


def test_generated_is_the_latest_stamp_of_all_days() -> None:
    first, second = date(2024, 11, 21), date(2024, 11, 22)
    forecast = parse_signals(
        body(
            day_entry(first, [1] * 24, GenerationFichier="2024-11-20T23:00:00+01:00"),
            day_entry(second, [1] * 24, GenerationFichier="2024-11-21T09:15:00+01:00"),
        )
    )
    assert forecast.generated == datetime(2024, 11, 21, 8, 15, tzinfo=UTC)


def test_an_empty_signals_array_is_an_empty_forecast() -> None:
    forecast = parse_signals('{"signals": []}')
    assert forecast.slots == ()
    assert forecast.until is None


# --- daylight-saving days (2024: 31 March is 23 hours long, 27 October 25 hours) ------------------
# pas n is the wall-clock hour n of the Paris day (DESIGN.md "Time"): every real body has 24
# values numbered 0-23 on these days too. 23 or 25 entries (never seen) are elapsed hours.

SPRING = date(2024, 3, 31)
AUTUMN = date(2024, 10, 27)
DISTINCT = [pas % 4 for pas in range(24)]  # levels 0,1,2,3,0,... so every pas is told apart


def _wall(day: date, hour: int, fold: int = 0) -> datetime:
    return paris(day.year, day.month, day.day, hour, fold)


def test_spring_day_with_24_entries_puts_each_pas_on_its_wall_clock_hour() -> None:
    forecast = parse_signals(body(day_entry(SPRING, DISTINCT)))
    assert len(forecast.slots) == 23  # pas 2 names 02:00, which the clock skips
    assert forecast.start == _wall(SPRING, 0)
    assert forecast.until == paris(2024, 4, 1, 0)  # midnight to midnight, nothing spills
    for pas in (0, 1, *range(3, 24)):
        assert forecast.level_at(_wall(SPRING, pas)) is Level(DISTINCT[pas]), pas
    # 01:00 CET ends at 03:00 CEST: one continuous run in real time.
    starts = [slot.start for slot in forecast.slots]
    assert all(later - earlier == HOUR for earlier, later in pairwise(starts))
    assert forecast.level_at(datetime(2024, 3, 31, 1, tzinfo=UTC)) is Level.RED  # 03:00 CEST


def test_spring_day_pas_2_is_dropped_whatever_its_level() -> None:
    levels = [1] * 24
    levels[2] = 3
    forecast = parse_signals(body(day_entry(SPRING, levels)))
    assert {slot.level for slot in forecast.slots} == {Level.GREEN}


def test_autumn_day_with_24_entries_gives_pas_2_both_2_oclock_hours() -> None:
    forecast = parse_signals(body(day_entry(AUTUMN, DISTINCT)))
    assert len(forecast.slots) == 25
    assert forecast.start == _wall(AUTUMN, 0)
    assert forecast.until == paris(2024, 10, 28, 0)  # 23:00-24:00 is covered
    for pas in range(24):
        assert forecast.level_at(_wall(AUTUMN, pas)) is Level(DISTINCT[pas]), pas
    assert forecast.level_at(_wall(AUTUMN, 2, fold=1)) is Level.ORANGE  # 02:00 CET, pas 2 too
    assert forecast.level_at(_wall(AUTUMN, 3)) is Level.RED  # 03:00 CET is pas 3
    assert _wall(AUTUMN, 3) - _wall(AUTUMN, 2, fold=0) == 2 * HOUR
    starts = [slot.start for slot in forecast.slots]
    assert all(later - earlier == HOUR for earlier, later in pairwise(starts))


def test_a_spring_day_never_reaches_into_the_next_day() -> None:
    spring = day_entry(SPRING, [1] * 23 + [3])  # pas 23 is 23:00 CEST on 31 March
    next_day = day_entry(SPRING + timedelta(days=1), [0] * 24)
    for order in ([spring, next_day], [next_day, spring]):
        forecast = parse_signals(body(*order))
        assert len(forecast.slots) == 23 + 24
        assert forecast.level_at(_wall(SPRING, 23)) is Level.RED
        assert forecast.level_at(paris(2024, 4, 1, 0)) is Level.LOW_CARBON
    assert parse_signals(body(spring)).until == paris(2024, 4, 1, 0)


def test_spring_day_with_23_entries_is_read_as_elapsed_hours() -> None:
    levels = [1] * 23
    levels[2] = 3  # elapsed: the third hour, from 03:00 CEST
    levels[22] = 2  # the last, 23:00 CEST
    forecast = parse_signals(body(day_entry(SPRING, levels)))
    assert len(forecast.slots) == 23
    assert forecast.until == paris(2024, 4, 1, 0)
    assert forecast.level_at(_wall(SPRING, 1)) is Level.GREEN
    assert forecast.level_at(_wall(SPRING, 3)) is Level.RED
    assert forecast.level_at(_wall(SPRING, 4)) is Level.GREEN
    assert forecast.level_at(_wall(SPRING, 23)) is Level.ORANGE


def test_autumn_day_with_25_entries_is_read_as_elapsed_hours() -> None:
    levels = [1] * 25
    levels[2], levels[3], levels[24] = 2, 3, 0  # 02:00 CEST, 02:00 CET, 23:00 CET
    forecast = parse_signals(body(day_entry(AUTUMN, levels)))
    assert len(forecast.slots) == 25
    assert forecast.until == paris(2024, 10, 28, 0)
    assert forecast.level_at(_wall(AUTUMN, 2, fold=0)) is Level.ORANGE
    assert forecast.level_at(_wall(AUTUMN, 2, fold=1)) is Level.RED
    assert forecast.level_at(_wall(AUTUMN, 3)) is Level.GREEN
    assert forecast.level_at(_wall(AUTUMN, 23)) is Level.LOW_CARBON


def test_an_autumn_day_with_a_pas_24_and_gaps_is_elapsed_too() -> None:
    levels = {pas: 1 for pas in range(25) if pas not in (5, 6)}
    levels[24] = 3
    forecast = parse_signals(body(day_entry(AUTUMN, levels)))
    assert len(forecast.slots) == 23
    assert forecast.level_at(_wall(AUTUMN, 23)) is Level.RED
    assert forecast.level_at(_wall(AUTUMN, 4)) is None  # elapsed hour 5 is 04:00 CET


def test_a_partial_dst_day_is_wall_clock() -> None:
    """D+3 published for part of the day: fewer entries than hours, numbered as the clock."""
    spring = parse_signals(body(day_entry(SPRING, {pas: 2 for pas in range(10)})))
    assert spring.until == _wall(SPRING, 10)
    assert len(spring.slots) == 9
    autumn = parse_signals(body(day_entry(AUTUMN, {pas: 2 for pas in range(10)})))
    assert autumn.until == _wall(AUTUMN, 10)
    assert len(autumn.slots) == 11


def test_a_pas_24_on_a_day_of_24_hours_is_refused_naming_it() -> None:
    for day in (date(2024, 11, 21), SPRING):
        with pytest.raises(ForecastFormatError) as raised:
            parse_signals(body(day_entry(day, [1] * 24 + [3])))
        (problem,) = raised.value.problems
        assert problem.startswith("signals[0].values[24].pas: expected a wall-clock hour"), problem


def test_a_whole_dst_week_is_continuous_in_real_time() -> None:
    """Four days across each change, 24 entries each as RTE sends: no gap, no overlap."""
    for change, hours in ((AUTUMN, 97), (SPRING, 95)):
        first = change - timedelta(days=1)
        days = [day_entry(first + timedelta(days=i), [1] * 24) for i in range(4)]
        forecast = parse_signals(body(*days))
        assert len(forecast.slots) == hours
        assert forecast.until == paris_midnight(first + timedelta(days=4))
        starts = [slot.start for slot in forecast.slots]
        assert all(later - earlier == HOUR for earlier, later in pairwise(starts))


@pytest.mark.parametrize("day", [date(2023, 3, 26), date(2026, 3, 29), date(2027, 3, 28)])
def test_probe_every_spring_pas_lands_on_its_wall_hour(day: date) -> None:
    levels = [(pas * 7 + 1) % 4 for pas in range(24)]
    forecast = parse_signals(body(day_entry(day, levels)))
    for pas in range(24):
        start = _wall(day, pas)
        if pas == 2:
            continue  # no such hour; _wall gives 03:00 CEST's instant
        assert start.astimezone(PARIS).hour == pas
        assert forecast.level_at(start) is Level(levels[pas]), pas
    assert forecast.until == paris_midnight(day + timedelta(days=1))


@pytest.mark.parametrize("day", [date(2022, 10, 30), date(2023, 10, 29), date(2026, 10, 25)])
def test_probe_every_autumn_pas_lands_on_its_wall_hour(day: date) -> None:
    levels = [(pas * 7 + 1) % 4 for pas in range(24)]
    forecast = parse_signals(body(day_entry(day, levels)))
    for slot in forecast.slots:
        assert slot.level is Level(levels[slot.start.astimezone(PARIS).hour])
    assert forecast.level_at(_wall(day, 2, fold=1)) is Level(levels[2])
    assert forecast.until == paris_midnight(day + timedelta(days=1))


# --- two claims on one hour ---------------------------------------------------------------------


def test_a_day_given_twice_keeps_the_higher_level_of_each_hour() -> None:
    first = day_entry(date(2024, 11, 21), [1] * 12 + [3] * 12)
    second = day_entry(date(2024, 11, 21), [2] * 24)
    for order in ([first, second], [second, first]):
        forecast = parse_signals(body(*order))
        assert len(forecast.slots) == 24
        assert forecast.level_at(paris(2024, 11, 21, 0)) is Level.ORANGE
        assert forecast.level_at(paris(2024, 11, 21, 20)) is Level.RED


def test_duplicate_entries_within_a_day_keep_the_higher_level() -> None:
    entry = day_entry(date(2024, 11, 21), [1] * 24)
    entry["values"].append({"pas": 9, "hvalue": 3})  # type: ignore[union-attr]
    entry["values"].append({"pas": 10, "hvalue": 0})  # type: ignore[union-attr]
    forecast = parse_signals(body(entry))
    assert len(forecast.slots) == 24
    assert forecast.level_at(paris(2024, 11, 21, 9)) is Level.RED
    assert forecast.level_at(paris(2024, 11, 21, 10)) is Level.GREEN


def test_an_autumn_day_with_a_repeated_pas_stays_wall_clock() -> None:
    entry = day_entry(AUTUMN, [1] * 24)
    entry["values"].append({"pas": 9, "hvalue": 3})  # type: ignore[union-attr]
    forecast = parse_signals(body(entry))  # 25 entries, 24 distinct: not elapsed
    assert forecast.level_at(_wall(AUTUMN, 9)) is Level.RED
    assert forecast.until == paris(2024, 10, 28, 0)


# --- what is refused, each naming the day index and field ----------------------------------------

GOOD_DAY = day_entry(date(2024, 11, 21), [1] * 24)


def with_value(position: int, **fields: object) -> dict[str, object]:
    entry = json.loads(json.dumps(GOOD_DAY))
    entry["values"][position] = fields
    return entry


def with_field(**fields: object) -> dict[str, object]:
    entry = json.loads(json.dumps(GOOD_DAY))
    for key, value in fields.items():
        if value is _DROP:
            del entry[key]
        else:
            entry[key] = value
    return entry


_DROP = object()


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ("not json at all", "body:"),
        ('{"signals": [', "body:"),
        (b"\xff\xfe\xfa", "body:"),
        ("[1, 2]", "body:"),
        ('{"error": "COMMON_ERROR_T03"}', "body:"),
        ('{"signals": {"jour": 1}}', "signals:"),
        (body(GOOD_DAY, "a day"), "signals[1]:"),
        (body(GOOD_DAY, with_field(jour=_DROP)), "signals[1].jour:"),
        (body(with_field(jour="2024-11-21")), "signals[0].jour:"),
        (body(with_field(jour="2024-11-21T00:00:00")), "signals[0].jour:"),
        (body(with_field(jour="demain")), "signals[0].jour:"),
        (body(with_field(jour=20241121)), "signals[0].jour:"),
        (body(GOOD_DAY, GOOD_DAY, with_field(values=_DROP)), "signals[2].values:"),
        (body(with_field(values={"pas": 0})), "signals[0].values:"),
        (body(with_value(3, pas=3)), "signals[0].values[3].hvalue:"),
        (body(with_value(3, hvalue=1)), "signals[0].values[3].pas:"),
        (body(GOOD_DAY, with_value(4, pas="4", hvalue=1)), "signals[1].values[4].pas:"),
        (body(with_value(4, pas=4.0, hvalue=1)), "signals[0].values[4].pas:"),
        (body(with_value(4, pas=True, hvalue=1)), "signals[0].values[4].pas:"),
        (body(with_value(4, pas=25, hvalue=1)), "signals[0].values[4].pas:"),
        (body(with_value(4, pas=-1, hvalue=1)), "signals[0].values[4].pas:"),
        (body(with_value(5, pas=5, hvalue=4)), "signals[0].values[5].hvalue:"),
        (body(with_value(5, pas=5, hvalue=-1)), "signals[0].values[5].hvalue:"),
        (body(with_value(5, pas=5, hvalue="2")), "signals[0].values[5].hvalue:"),
        (body(with_value(5, pas=5, hvalue=2.0)), "signals[0].values[5].hvalue:"),
        (body(with_value(5, pas=5, hvalue=None)), "signals[0].values[5].hvalue:"),
        (body(with_value(5, pas=5, hvalue=False)), "signals[0].values[5].hvalue:"),
        (body(GOOD_DAY, with_field(values=[1, 2])), "signals[1].values[0]:"),
    ],
)
def test_untrustworthy_bodies_raise_one_error_naming_day_and_field(
    document: str | bytes, where: str
) -> None:
    with pytest.raises(ForecastFormatError) as raised:
        parse_signals(document)
    error = raised.value
    assert isinstance(error, InputError)  # the CLI turns it into one line and exit status 2
    assert len(error.problems) == 1
    assert "\n" not in error.problems[0]
    assert error.problems[0].startswith(where), error.problems[0]
    assert "expected" in error.problems[0]


# --- forecast_to_body is the parser's inverse -----------------------------------------------------


def _as_wall_clock(slots: tuple[Slot, ...]) -> tuple[Slot, ...]:
    """What a body can say about these hours: one level per wall-clock hour, so the autumn
    day's two 02:00 hours both carry the higher of theirs."""
    by_hour: dict[tuple[date, int], int] = {}
    for slot in slots:
        local = slot.start.astimezone(PARIS)
        key = (local.date(), local.hour)
        by_hour[key] = max(by_hour.get(key, 0), int(slot.level))
    covered: dict[datetime, Slot] = {}
    for (day, hour), level in by_hour.items():
        moment = paris_midnight(day)
        while moment < paris_midnight(day + timedelta(days=1)):
            if moment.astimezone(PARIS).hour == hour:
                covered[moment] = Slot(moment, Level(level))
            moment += HOUR
    return tuple(sorted(covered.values(), key=lambda slot: slot.start))


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31)),
    levels=st.lists(st.sampled_from([0, 1, 2, 3, None]), min_size=1, max_size=4 * 25),
)
def test_forecast_to_body_round_trips(start: date, levels: list[int | None]) -> None:
    origin = paris_midnight(start)
    slots = tuple(
        Slot(origin + HOUR * offset, Level(level))
        for offset, level in enumerate(levels)
        if level is not None
    )
    generated = origin - timedelta(hours=4)
    forecast = Forecast(slots=slots, generated=generated)
    document = forecast_to_body(forecast)
    again = parse_signals(json.dumps(document))
    assert again.slots == _as_wall_clock(forecast.slots)
    assert again.generated == (generated if slots else None)
    for day in document["signals"]:  # type: ignore[attr-defined]
        assert 1 <= day["dvalue"] <= 3
        pas = [value["pas"] for value in day["values"]]
        assert pas == sorted(pas) and pas[0] >= 0 and pas[-1] <= 23
        assert len(set(pas)) == len(pas)


@pytest.mark.parametrize(
    "start", [date(2024, 3, 30), date(2024, 10, 26), date(2026, 3, 28), date(2026, 10, 24)]
)
def test_forecast_to_body_round_trips_across_each_change(start: date) -> None:
    """Round trips over a DST day with distinct levels (the generated ones above rarely
    cross one): 24 entries numbered 0-23 for each day, as RTE writes them."""
    origin = paris_midnight(start)
    end = paris_midnight(start + timedelta(days=3))
    hours = int((end - origin) / HOUR)
    slots = tuple(Slot(origin + HOUR * n, Level(n % 4)) for n in range(hours))
    forecast = Forecast(slots=slots)
    document = forecast_to_body(forecast)
    for day in document["signals"]:  # type: ignore[attr-defined]
        assert [value["pas"] for value in day["values"]] == list(range(24))
    again = parse_signals(json.dumps(document))
    assert again.slots == _as_wall_clock(slots)
    assert again.until == end
    assert again == parse_signals(json.dumps(forecast_to_body(again)))


def test_forecast_to_body_writes_jour_as_rte_does() -> None:
    forecast = Forecast(slots=(Slot(paris(2024, 7, 1, 9), Level.ORANGE),))
    (day,) = forecast_to_body(forecast)["signals"]  # type: ignore[misc]
    assert day["jour"] == "2024-07-01T00:00:00+02:00"
    assert day["values"] == [{"pas": 9, "hvalue": 2}]
    assert day["dvalue"] == 2
