"""The Tempo calendar: day arithmetic on ordinary and daylight-saving days, and the parser
of the three body shapes RTE is known to send (production, sandbox, Swagger)."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from support.fake_rte import TEMPO_SANDBOX_BODY

from tui.core.forecast import PARIS
from tui.core.signals import ForecastFormatError
from tui.core.tempo import (
    Colour,
    TempoCalendar,
    TempoDay,
    day_end,
    day_start,
    describe_tempo_days,
    in_peak,
    peak_end,
    tempo_day,
)
from tui.core.tempo_body import calendar_to_body, parse_tempo


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(UTC)


# As RTE's production endpoint answers: newest first, each day midnight to midnight.
PRODUCTION = {
    "tempo_like_calendars": {
        "start_date": "2023-12-02T00:00:00+01:00",
        "end_date": "2023-12-05T00:00:00+01:00",
        "values": [
            {
                "start_date": "2023-12-04T00:00:00+01:00",
                "end_date": "2023-12-05T00:00:00+01:00",
                "value": "RED",
                "updated_date": "2023-12-03T10:20:00+01:00",
            },
            {
                "start_date": "2023-12-03T00:00:00+01:00",
                "end_date": "2023-12-04T00:00:00+01:00",
                "value": "WHITE",
                "updated_date": "2023-12-02T10:20:00+01:00",
            },
            {
                "start_date": "2023-12-02T00:00:00+01:00",
                "end_date": "2023-12-03T00:00:00+01:00",
                "value": "BLUE",
                "updated_date": "2023-12-01T10:20:00+01:00",
            },
        ],
    }
}
# The sandbox: an array of calendars whose values is one object, a fixed day of 2016.
SANDBOX = TEMPO_SANDBOX_BODY
# RTE's Swagger: an array of calendars whose values are arrays.
SWAGGER = {
    "tempo_like_calendars": [
        {
            "start_date": "2024-03-30T00:00:00+01:00",
            "end_date": "2024-04-01T00:00:00+02:00",
            "values": [
                {
                    "start_date": "2024-03-31T00:00:00+01:00",
                    "end_date": "2024-04-01T00:00:00+02:00",
                    "value": "BLUE",
                    "updated_date": "2024-03-30T10:20:00+01:00",
                },
                {
                    "start_date": "2024-03-30T00:00:00+01:00",
                    "end_date": "2024-03-31T00:00:00+01:00",
                    "value": "WHITE",
                },
            ],
        }
    ]
}


# --- day arithmetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2023-12-04 00:00", date(2023, 12, 3)),  # midnight still belongs to the day before
        ("2023-12-04 05:59:59", date(2023, 12, 3)),
        ("2023-12-04 06:00", date(2023, 12, 4)),
        ("2023-12-04 23:59", date(2023, 12, 4)),
        ("2026-03-29 01:30", date(2026, 3, 28)),  # spring forward: 02:00-03:00 does not exist
        ("2026-03-29 03:30", date(2026, 3, 28)),
        ("2026-03-29 06:00", date(2026, 3, 29)),
        ("2026-10-25 05:59", date(2026, 10, 24)),  # fall back: 02:00-03:00 happens twice
        ("2026-10-25 06:00", date(2026, 10, 25)),
    ],
)
def test_the_tempo_day_runs_from_six_to_six(moment: str, expected: date) -> None:
    assert tempo_day(paris(moment)) == expected


def test_the_repeated_autumn_hour_is_in_the_previous_tempo_day_both_times() -> None:
    first = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=0).astimezone(UTC)
    second = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1).astimezone(UTC)
    assert second - first == timedelta(hours=1)
    assert tempo_day(first) == tempo_day(second) == date(2026, 10, 24)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 28), 23), (date(2026, 10, 24), 25), (date(2026, 12, 1), 24)],
)
def test_a_tempo_day_lasts_as_long_as_the_night_it_spans(day: date, hours: int) -> None:
    # The Tempo day of 28 March ends on the morning of the 29th, after the 23-hour night.
    assert day_end(day) - day_start(day) == timedelta(hours=hours)
    assert peak_end(day) - day_start(day) == timedelta(hours=16)
    assert day_start(day).astimezone(PARIS).hour == 6
    assert peak_end(day).astimezone(PARIS).hour == 22


@pytest.mark.parametrize(
    ("moment", "peak"),
    [
        ("2023-12-04 05:59:59", False),
        ("2023-12-04 06:00", True),
        ("2023-12-04 21:59:59", True),
        ("2023-12-04 22:00", False),
        ("2023-12-04 00:00", False),
    ],
)
def test_peak_hours_are_six_to_ten_at_night(moment: str, peak: bool) -> None:
    assert in_peak(paris(moment)) is peak


# --- the parser -------------------------------------------------------------------------------


def test_production_shape_newest_first() -> None:
    calendar = parse_tempo(json.dumps(PRODUCTION).encode())
    assert [(d.day, d.colour) for d in calendar.days] == [
        (date(2023, 12, 2), Colour.BLUE),
        (date(2023, 12, 3), Colour.WHITE),
        (date(2023, 12, 4), Colour.RED),
    ]
    assert calendar.days[2].updated == paris("2023-12-03 10:20")
    # 4 Dec 03:00 is still the white day of the 3rd; 06:00 starts the red one.
    assert calendar.colour_at(paris("2023-12-04 03:00")) is Colour.WHITE
    assert calendar.colour_at(paris("2023-12-04 06:00")) is Colour.RED
    assert calendar.today_tomorrow(paris("2023-12-03 12:00")) == (Colour.WHITE, Colour.RED)
    assert calendar.today_tomorrow(paris("2023-12-04 12:00")) == (Colour.RED, None)


def test_sandbox_shape() -> None:
    calendar = parse_tempo(json.dumps(SANDBOX))
    assert [(d.day, d.colour) for d in calendar.days] == [(date(2016, 3, 12), Colour.BLUE)]


def test_swagger_shape_across_the_spring_change() -> None:
    calendar = parse_tempo(SWAGGER)
    assert [(d.day, d.colour) for d in calendar.days] == [
        (date(2024, 3, 30), Colour.WHITE),
        (date(2024, 3, 31), Colour.BLUE),
    ]
    assert calendar.days[0].updated is None


def test_a_day_without_value_is_unknown_not_blue() -> None:
    body = json.loads(json.dumps(PRODUCTION))
    del body["tempo_like_calendars"]["values"][1]["value"]
    calendar = parse_tempo(body)
    assert calendar.colour(date(2023, 12, 3)) is None
    assert calendar.colour(date(2023, 12, 2)) is Colour.BLUE


def test_an_empty_calendar_before_anything_is_published() -> None:
    calendar = parse_tempo({"tempo_like_calendars": {"values": []}})
    assert calendar.days == ()
    assert calendar.today_tomorrow(paris("2023-12-03 12:00")) == (None, None)


def test_the_fallback_field_and_extra_fields_are_tolerated() -> None:
    body = json.loads(json.dumps(PRODUCTION))
    for value in body["tempo_like_calendars"]["values"]:
        value["fallback"] = "false"
        value["extra"] = 1
    assert len(parse_tempo(body).days) == 3


def _production_with(**changes: object) -> dict[str, object]:
    body = json.loads(json.dumps(PRODUCTION))
    body["tempo_like_calendars"]["values"][0].update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<xml/>", "body: expected JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "body: expected JSON (nested too deep)"),
        ({"signals": []}, 'body: expected a JSON object with "tempo_like_calendars"'),
        ({"tempo_like_calendars": "RED"}, "tempo_like_calendars: expected an object or an array"),
        ({"tempo_like_calendars": [1]}, "tempo_like_calendars[0]: expected an object"),
        ({"tempo_like_calendars": {}}, "tempo_like_calendars.values: expected an array of days"),
        (
            {"tempo_like_calendars": {"values": ["RED"]}},
            "tempo_like_calendars.values[0]: expected an object",
        ),
        (_production_with(value="PINK"), "tempo_like_calendars.values[0].value: expected"),
        (_production_with(value=2), "tempo_like_calendars.values[0].value: expected"),
        (_production_with(start_date="2023-12-04"), "values[0].start_date: expected an ISO 8601"),
        (
            _production_with(start_date="2023-12-04T00:00:00"),
            "values[0].start_date: expected an ISO 8601 timestamp with offset",
        ),
        (
            _production_with(start_date="2023-12-04T00:00:00+00:00"),
            "values[0].start_date: expected a Paris midnight",
        ),
        (_production_with(end_date=None), "values[0].end_date: expected an ISO 8601"),
    ],
)
def test_anything_else_is_one_line_naming_the_field(body: object, expected: str) -> None:
    with pytest.raises(ForecastFormatError) as raised:
        parse_tempo(body)
    assert len(raised.value.problems) == 1
    assert expected in raised.value.problems[0]


# --- one day's end_date concerns that day alone (issue 21, item 5) ------------------------------


def _spring_with(end_date: str) -> dict[str, object]:
    """The Swagger-shaped body around the spring change, 31 March 2024 ending ``end_date``."""
    body = json.loads(json.dumps(SWAGGER))
    body["tempo_like_calendars"][0]["values"][0]["end_date"] = end_date
    return body


def test_an_end_date_with_the_starts_offset_on_the_spring_day_is_repaired() -> None:
    # 2024-04-01T00:00:00+01:00 is 01:00 CEST: the next midnight written with the start's offset.
    calendar = parse_tempo(_spring_with("2024-04-01T00:00:00+01:00"))
    assert calendar.colour(date(2024, 3, 31)) is Colour.BLUE
    assert calendar.colour(date(2024, 3, 30)) is Colour.WHITE
    assert calendar.refused == ()


def test_an_end_date_with_the_starts_offset_on_the_autumn_day_is_taken() -> None:
    body = json.loads(json.dumps(SWAGGER))
    value = body["tempo_like_calendars"][0]["values"][0]
    value["start_date"], value["end_date"] = (
        "2024-10-27T00:00:00+02:00",
        "2024-10-28T00:00:00+02:00",
    )
    calendar = parse_tempo(body)
    assert calendar.colour(date(2024, 10, 27)) is Colour.BLUE and calendar.refused == ()


@pytest.mark.parametrize(
    "end_date",
    [
        "2023-12-06T00:00:00+01:00",  # two days
        "2024-04-01T06:00:00+02:00",  # past the next midnight
        "2024-04-01T00:00:00-01:00",  # the next midnight's wall time, not the start's offset
        "2024-03-31T00:00:00+01:00",  # not after the start
    ],
)
def test_any_other_wrong_end_date_refuses_that_day_not_the_calendar(end_date: str) -> None:
    calendar = parse_tempo(_spring_with(end_date))
    assert calendar.colour(date(2024, 3, 31)) is None  # unknown: Tempo cuts nothing that day
    assert calendar.colour(date(2024, 3, 30)) is Colour.WHITE  # the other day stands
    (problem,) = calendar.refused
    assert problem.startswith("tempo_like_calendars[0].values[0].end_date: expected the end of")
    assert end_date in problem and "left unknown" in problem and "\n" not in problem


def test_a_production_day_with_a_wrong_end_is_refused_alone() -> None:
    calendar = parse_tempo(_production_with(end_date="2023-12-06T00:00:00+01:00"))
    assert [day.day for day in calendar.days] == [date(2023, 12, 2), date(2023, 12, 3)]
    assert len(calendar.refused) == 1


def test_a_written_body_parses_back_to_the_same_calendar() -> None:
    calendar = parse_tempo(PRODUCTION)
    body = calendar_to_body(calendar)
    values = body["tempo_like_calendars"]["values"]  # type: ignore[index]
    assert [value["value"] for value in values] == ["RED", "WHITE", "BLUE"]  # newest first
    assert parse_tempo(body) == calendar


def test_duplicate_days_keep_a_known_colour_then_the_newest() -> None:
    known = TempoDay(date(2023, 12, 3), Colour.WHITE, paris("2023-12-02 10:20"))
    unknown = TempoDay(date(2023, 12, 3), None, paris("2023-12-02 11:00"))
    newer = TempoDay(date(2023, 12, 3), Colour.RED, paris("2023-12-02 11:00"))
    assert TempoCalendar((known, unknown)).colour(date(2023, 12, 3)) is Colour.WHITE
    assert TempoCalendar((unknown, known)).colour(date(2023, 12, 3)) is Colour.WHITE
    assert TempoCalendar((known, newer)).colour(date(2023, 12, 3)) is Colour.RED


def test_describe_tempo_days_names_every_day_of_a_span() -> None:
    calendar = parse_tempo(PRODUCTION)
    text = describe_tempo_days(calendar, paris("2023-12-03 00:00"), paris("2023-12-05 12:00"))
    assert text == "Tempo: Sat 02 blue, Sun 03 white, Mon 04 red, Tue 05 not published yet"
