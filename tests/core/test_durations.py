"""Durations as written in delestage.toml."""

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.durations import EXPECTED, MAX_HORIZON, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d", timedelta(days=1)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("500ms", timedelta(milliseconds=500)),
        ("1s500ms", timedelta(seconds=1, milliseconds=500)),
        ("1m500ms", timedelta(minutes=1, milliseconds=500)),
        ("0s", timedelta(0)),
        ("0", timedelta(0)),
        (" 15M ", timedelta(minutes=15)),
        (0, timedelta(0)),
        ("366d", timedelta(days=366)),
    ],
)
def test_parse_accepts_the_documented_forms(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "s",
        "h",
        "1.5h",
        "1h 30m",
        "15 m",
        "5x",
        "30s1m",  # units out of order
        "1h1h",
        "1h30",  # a time of day (14h30), not a duration
        "500mss",
        "١٢",  # Arabic-Indic digits
        "²",
        "１２s",  # full-width digits
        1.5,
        True,
        False,
        None,
        ["15m"],
        "999999999999d",
        "9" * 30 + "s",
    ],
)
def test_parse_rejects_everything_else_with_the_expected_form(value: object) -> None:
    with pytest.raises(ValueError) as raised:
        parse_duration(value)
    assert str(raised.value) == EXPECTED


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=1, seconds=1), "1d1s"),
        (timedelta(milliseconds=500), "500ms"),
        (timedelta(seconds=30, milliseconds=1), "30s1ms"),
    ],
)
def test_format_is_canonical(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


_DELTAS = st.builds(
    lambda ms: timedelta(milliseconds=ms),
    st.integers(min_value=0, max_value=MAX_HORIZON // timedelta(milliseconds=1)),
)


@given(_DELTAS)
def test_format_then_parse_gives_the_same_duration(delta: timedelta) -> None:
    assert parse_duration(format_duration(delta)) == delta


@given(
    st.tuples(*(st.one_of(st.none(), st.integers(min_value=0, max_value=60)),) * 5),
    st.booleans(),
)
def test_any_written_form_parses_and_formats_back_to_the_same_value(
    parts: tuple[int | None, ...], upper: bool
) -> None:
    text = "".join(
        f"{amount}{unit}"
        for amount, unit in zip(parts, ("d", "h", "m", "s", "ms"), strict=True)
        if amount is not None
    )
    if not text:
        return
    if upper:
        text = text.upper()
    delta = parse_duration(text)
    days, hours, minutes, seconds, millis = (amount or 0 for amount in parts)
    assert delta == timedelta(
        days=days, hours=hours, minutes=minutes, seconds=seconds, milliseconds=millis
    )
    assert parse_duration(format_duration(delta)) == delta


@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.none()))
def test_parse_raises_only_value_error(value: object) -> None:
    try:
        result = parse_duration(value)
    except ValueError as error:
        assert str(error).startswith(("a duration", "a positive duration"))
    else:
        assert timedelta(0) <= result <= MAX_HORIZON


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("90", 'a duration with its unit, e.g. "90s", "90m" or "90h"'),
        (90, "a bare number is ambiguous"),
        ("-5m", "a positive duration"),
        ("-5", "a bare number is ambiguous"),
        ("1.5", "a bare number is ambiguous"),
        ("367d", "at most 366d"),
        (10**20, "a bare number"),
    ],
)
def test_bare_negative_and_too_long_durations_get_a_specific_hint(value: object, hint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(hint)):
        parse_duration(value)
