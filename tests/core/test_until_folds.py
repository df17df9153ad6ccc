"""`--until HH:MM` (the CLI, the UI's P/S, MQTT's `until`: one parser) around the autumn change.

On 25 October 2026 Paris goes from 03:00 CEST back to 02:00 CET: 02:00-03:00 happens twice.
A time typed during the repeated hour is the nearest future instant on either pass, never
tomorrow's.
"""

from datetime import UTC, datetime, timedelta

import pytest

from tui.core.durations import parse_hold, parse_override_until, parse_time
from tui.core.forecast import PARIS

FIRST_PASS_0205 = datetime(2026, 10, 25, 0, 5, tzinfo=UTC)  # 02:05 CEST
SECOND_PASS_0205 = datetime(2026, 10, 25, 1, 5, tzinfo=UTC)  # 02:05 CET


def test_second_pass_until_0230_is_25_minutes_away_not_tomorrow() -> None:
    until = parse_override_until("02:30", SECOND_PASS_0205)
    assert until - SECOND_PASS_0205 == timedelta(minutes=25)
    assert until.astimezone(PARIS).utcoffset() == timedelta(hours=1)  # CET, the second 02:30


def test_first_pass_until_0230_is_the_first_0230() -> None:
    until = parse_override_until("02:30", FIRST_PASS_0205)
    assert until - FIRST_PASS_0205 == timedelta(minutes=25)
    assert until.astimezone(PARIS).utcoffset() == timedelta(hours=2)  # CEST


def test_first_pass_after_0230_takes_the_second_pass_an_hour_later() -> None:
    now = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)  # 02:45 CEST
    assert parse_override_until("02:30", now) - now == timedelta(minutes=45)


def test_second_pass_after_0230_is_tomorrow() -> None:
    now = datetime(2026, 10, 25, 1, 45, tzinfo=UTC)  # 02:45 CET
    until = parse_override_until("02:30", now)
    assert until.astimezone(PARIS).date().isoformat() == "2026-10-26"


@pytest.mark.parametrize("text", ["02:30", "02h30"])
def test_the_ui_dialog_reads_the_same(text: str) -> None:
    assert parse_hold(text, SECOND_PASS_0205) == SECOND_PASS_0205 + timedelta(minutes=25)


def test_an_ordinary_day_is_unchanged() -> None:
    now = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 14:00 Paris
    assert parse_time("14:30", now) == datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
    assert parse_time("13:30", now) == datetime(2026, 12, 2, 12, 30, tzinfo=UTC)


def test_the_skipped_spring_hour_still_resolves_ahead() -> None:
    now = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # 01:30 CET, before the 02:00 jump
    until = parse_time("02:30", now)
    assert until > now
    assert until - now <= timedelta(hours=2)


# The ISO form (`--until 2026-10-25T02:30`, MQTT's {"until": ...}, the UI's P/S) read only the
# first pass: on the second, "a time in the future, not 2026-10-25T02:30+02:00".


def test_second_pass_iso_until_0230_is_the_second_0230() -> None:
    until = parse_override_until("2026-10-25T02:30", SECOND_PASS_0205)
    assert until - SECOND_PASS_0205 == timedelta(minutes=25)
    assert until.astimezone(PARIS).utcoffset() == timedelta(hours=1)  # CET


def test_first_pass_iso_until_0230_is_the_first_0230() -> None:
    until = parse_override_until("2026-10-25T02:30", FIRST_PASS_0205)
    assert until - FIRST_PASS_0205 == timedelta(minutes=25)
    assert until.astimezone(PARIS).utcoffset() == timedelta(hours=2)  # CEST


def test_first_pass_after_iso_0230_takes_the_second_pass() -> None:
    now = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)  # 02:45 CEST
    assert parse_override_until("2026-10-25T02:30:00", now) - now == timedelta(minutes=45)


def test_second_pass_after_iso_0230_is_past_and_refused() -> None:
    now = datetime(2026, 10, 25, 1, 45, tzinfo=UTC)  # 02:45 CET: both passes are over
    with pytest.raises(ValueError, match="in the future"):
        parse_override_until("2026-10-25T02:30", now)


def test_an_iso_time_with_its_offset_is_taken_as_written() -> None:
    # The offset says which pass: +02:00 is the first, over on the second pass.
    with pytest.raises(ValueError, match="in the future"):
        parse_override_until("2026-10-25T02:30+02:00", SECOND_PASS_0205)
    until = parse_override_until("2026-10-25T02:30+01:00", SECOND_PASS_0205)
    assert until - SECOND_PASS_0205 == timedelta(minutes=25)


def test_the_ui_reads_the_iso_form_the_same() -> None:
    # MQTT's {"until": ...}: tests/test_mqtt_parts.py; the CLI calls parse_override_until.
    expected = SECOND_PASS_0205 + timedelta(minutes=25)
    assert parse_hold("2026-10-25T02:30", SECOND_PASS_0205) == expected


def test_a_naive_iso_time_far_out_is_still_one_line() -> None:
    for text in ("9999-12-31T23:59", "0001-01-01T00:30"):
        with pytest.raises(ValueError, match="a time between"):
            parse_time(text, SECOND_PASS_0205)
