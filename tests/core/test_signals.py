"""The signals parser: strict about levels, hours and timestamps, tolerant about RTE's habits."""

import json
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.signals import body, day_entry, paris

from tui.core.errors import InputError
from tui.core.forecast import HOUR, Forecast, Level, Slot, paris_midnight
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

SPRING = date(2024, 3, 31)
AUTUMN = date(2024, 10, 27)


def test_spring_day_with_23_entries_skips_the_missing_wall_clock_hour() -> None:
    levels = [1] * 23
    levels[2] = 3  # pas 2 is the hour from 03:00 CEST: 02:00 does not exist that night
    forecast = parse_signals(body(day_entry(SPRING, levels)))
    assert len(forecast.slots) == 23
    assert forecast.until == paris(2024, 4, 1, 0)
    assert forecast.until - forecast.start == 23 * HOUR
    assert forecast.level_at(paris(2024, 3, 31, 1)) is Level.GREEN
    assert forecast.level_at(paris(2024, 3, 31, 3)) is Level.RED
    assert forecast.level_at(paris(2024, 3, 31, 4)) is Level.GREEN
    # One continuous run: no hole where the clock jumped.
    starts = [slot.start for slot in forecast.slots]
    assert all(later - earlier == HOUR for earlier, later in pairwise(starts))


def test_spring_day_with_24_entries_gives_its_extra_hour_to_the_next_day() -> None:
    spring = day_entry(SPRING, [1] * 23 + [3])  # pas 23 is 00:00 on 1 April
    next_day = day_entry(SPRING + timedelta(days=1), [0] * 24)
    for order in ([spring, next_day], [next_day, spring]):
        forecast = parse_signals(body(*order))
        assert len(forecast.slots) == 23 + 24
        assert forecast.level_at(paris(2024, 4, 1, 0)) is Level.LOW_CARBON
    # Alone, the spring day's 24th entry still says something true about that hour.
    alone = parse_signals(body(spring))
    assert alone.level_at(paris(2024, 4, 1, 0)) is Level.RED


def test_autumn_day_with_25_entries_keeps_both_2_oclock_hours() -> None:
    levels = [1] * 25
    levels[2], levels[3] = 2, 3  # 02:00 CEST, then 02:00 CET an hour later
    forecast = parse_signals(body(day_entry(AUTUMN, levels)))
    assert len(forecast.slots) == 25
    assert forecast.until == paris(2024, 10, 28, 0)
    assert forecast.until - forecast.start == 25 * HOUR
    assert forecast.level_at(paris(2024, 10, 27, 2, fold=0)) is Level.ORANGE
    assert forecast.level_at(paris(2024, 10, 27, 2, fold=1)) is Level.RED
    assert forecast.level_at(paris(2024, 10, 27, 3)) is Level.GREEN
    assert forecast.level_at(paris(2024, 10, 27, 23)) is Level.GREEN


def test_autumn_day_with_only_24_entries_leaves_its_last_hour_unknown() -> None:
    forecast = parse_signals(body(day_entry(AUTUMN, [1] * 24)))
    assert len(forecast.slots) == 24
    assert forecast.level_at(paris(2024, 10, 27, 22)) is Level.GREEN
    assert forecast.level_at(paris(2024, 10, 27, 23)) is None
    assert forecast.until == paris(2024, 10, 27, 23)


def test_a_whole_dst_week_is_continuous_in_real_time() -> None:
    """Four days across the autumn change: 24 + 25 + 24 + 24 hours, no gap, no overlap."""
    first = AUTUMN - timedelta(days=1)
    counts = [24, 25, 24, 24]
    days = [day_entry(first + timedelta(days=i), [1] * n) for i, n in enumerate(counts)]
    forecast = parse_signals(body(*days))
    assert len(forecast.slots) == sum(counts)
    starts = [slot.start for slot in forecast.slots]
    assert all(later - earlier == HOUR for earlier, later in pairwise(starts))


# --- two claims on one hour ---------------------------------------------------------------------


def test_where_two_days_claim_an_hour_the_day_whose_date_it_is_wins() -> None:
    first, second = date(2024, 11, 21), date(2024, 11, 22)
    # The first day runs on with a 25th entry (pas 24 = 00:00 on the 22nd) at red; the
    # second day says green for its own midnight hour.
    overflowing = day_entry(first, [1] * 24 + [3])
    own = day_entry(second, [1] * 24)
    for order in ([overflowing, own], [own, overflowing]):
        forecast = parse_signals(body(*order))
        assert forecast.level_at(paris(2024, 11, 22, 0)) is Level.GREEN
        assert len(forecast.slots) == 48


def test_duplicate_entries_within_a_day_keep_the_higher_level() -> None:
    entry = day_entry(date(2024, 11, 21), [1] * 24)
    entry["values"].append({"pas": 9, "hvalue": 3})  # type: ignore[union-attr]
    entry["values"].append({"pas": 10, "hvalue": 0})  # type: ignore[union-attr]
    forecast = parse_signals(body(entry))
    assert len(forecast.slots) == 24
    assert forecast.level_at(paris(2024, 11, 21, 9)) is Level.RED
    assert forecast.level_at(paris(2024, 11, 21, 10)) is Level.GREEN


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
    assert again.slots == forecast.slots
    assert again.generated == (generated if slots else None)
    for day in document["signals"]:  # type: ignore[attr-defined]
        assert 1 <= day["dvalue"] <= 3
        pas = [value["pas"] for value in day["values"]]
        assert pas == sorted(pas) and pas[0] >= 0 and pas[-1] <= 24


def test_forecast_to_body_writes_jour_as_rte_does() -> None:
    forecast = Forecast(slots=(Slot(paris(2024, 7, 1, 9), Level.ORANGE),))
    (day,) = forecast_to_body(forecast)["signals"]  # type: ignore[misc]
    assert day["jour"] == "2024-07-01T00:00:00+02:00"
    assert day["values"] == [{"pas": 9, "hvalue": 2}]
    assert day["dvalue"] == 2
