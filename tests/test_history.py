"""History: the per-day arithmetic (day boundaries, DST days, energy), the store (rotation,
rebuild, damaged lines), the `power` key and `delestage history`."""

import csv
import io
import json
import math
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import LOG_NAME, EventLog, log_files, read_from
from tui.adapters.stores.history import HistoryStore, open_store, store_path
from tui.core.config import Wiring, config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.core.events import Event, parse_event
from tui.core.forecast import PARIS
from tui.core.history import (
    ChannelInfo,
    Mark,
    Segment,
    State,
    channel_segments,
    day_rows,
    decode_levels,
    encode_levels,
    hour_cells,
    planned_segments,
    totals,
    winter_start,
)
from tui.core.power import Power, parse_power
from tui.frontends.cli import main
from tui.frontends.history_cmd import CSV_COLUMNS, day_range, run_history
from tui.service.history_view import channel_infos, recorded_rows


def t(text: str) -> float:
    """A Paris wall-clock time as POSIX seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp()


def iso(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).isoformat()


HEATER = ChannelInfo(0, "Chauffe-eau", Wiring.NO, Power(2000))


def red_hours(first: str, count: int) -> dict[float, int]:
    return {t(first) + 3600 * k: 3 for k in range(count)}


def rows_for(marks: list[Mark], levels: dict[float, int], first: date, last: date, channel=HEATER):
    start = t(first.isoformat())
    end = t(last.isoformat()) + 2 * 86400
    segments = {channel.index: channel_segments(marks, channel, start, end)}
    switches = {channel.index: [m.t for m in marks if m.kind == "relay"]}
    return day_rows([channel], segments, switches, levels, first, last)


# --- the arithmetic ---------------------------------------------------------------------------


def test_a_cut_across_midnight_counts_in_both_days() -> None:
    marks = [
        Mark(t("2026-12-01T20:00"), "relay", 0, True, text="no strain"),
        Mark(t("2026-12-01T23:00"), "relay", 0, False, text="red 23:00-01:00"),
        Mark(t("2026-12-02T01:30"), "relay", 0, True, text="restored"),
    ]
    levels = red_hours("2026-12-01T23:00", 2)  # red 23:00-01:00
    first, second = rows_for(marks, levels, date(2026, 12, 1), date(2026, 12, 2))
    assert (first.day, first.cut_minutes, first.cut_strained_minutes) == (date(2026, 12, 1), 60, 60)
    assert (second.day, second.cut_minutes, second.cut_strained_minutes) == (
        date(2026, 12, 2),
        90,
        60,
    )
    assert (first.switches, second.switches) == (2, 1)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 12, 1), 24)],
    ids=["spring-forward-23h", "fall-back-25h", "ordinary-24h"],
)
def test_a_day_cut_from_midnight_to_midnight_counts_its_real_length(day: date, hours: int) -> None:
    next_day = date.fromordinal(day.toordinal() + 1)
    marks = [
        Mark(t(f"{day}T00:00"), "relay", 0, False, text="cut"),
        Mark(t(f"{next_day}T00:00"), "relay", 0, True, text="restored"),
    ]
    # Every hour of that day red, counted in real hours from midnight.
    levels = {t(f"{day}T00:00") + 3600 * k: 3 for k in range(hours)}
    (row, after) = rows_for(marks, levels, day, next_day)
    assert row.cut_minutes == hours * 60
    assert row.cut_strained_minutes == hours * 60
    assert row.energy_kwh == pytest.approx(2.0 * hours)
    assert after.cut_minutes == 0


def test_energy_is_strained_cut_time_times_power() -> None:
    marks = [
        Mark(t("2026-12-01T07:45"), "relay", 0, False, text="orange 08:00-09:00"),
        Mark(t("2026-12-01T10:15"), "relay", 0, True, text="restored"),
    ]
    # orange 08:00-09:00, green 09:00-10:00, red 10:00-11:00: strained cut = 60 + 15 min.
    levels = {t("2026-12-01T08:00"): 2, t("2026-12-01T09:00"): 1, t("2026-12-01T10:00"): 3}
    for power, kwh in ((Power(2000), 2.5), (Power(800), 1.0), (None, None)):
        channel = ChannelInfo(0, "x", Wiring.NO, power)
        (row,) = rows_for(marks, levels, date(2026, 12, 1), date(2026, 12, 1), channel)
        assert (row.cut_minutes, row.cut_strained_minutes) == (150, 75)
        assert row.energy_kwh == kwh


def test_forced_minutes_end_at_release_expiry_or_the_next_force() -> None:
    marks = [
        Mark(t("2026-12-01T08:00"), "force", 0, False, until=t("2026-12-01T09:00"), text="f"),
        Mark(t("2026-12-01T08:00"), "relay", 0, False, text="forced"),
        # expired at 09:00 without an event (the service was busy): still counts 60 min
        Mark(t("2026-12-01T12:00"), "force", 0, True, until=None, text="held"),
        Mark(t("2026-12-01T12:30"), "release", 0),
        Mark(t("2026-12-01T14:00"), "force", 0, True, until=t("2026-12-01T18:00"), text="a"),
        Mark(t("2026-12-01T14:10"), "force", 0, False, until=t("2026-12-01T14:20"), text="b"),
    ]
    (row,) = rows_for(marks, {}, date(2026, 12, 1), date(2026, 12, 1))
    assert row.forced_minutes == 60 + 30 + 20


def test_time_while_the_service_was_stopped_is_unknown_not_cut() -> None:
    marks = [
        Mark(t("2026-12-01T08:00"), "relay", 0, False, text="red"),
        Mark(t("2026-12-01T09:00"), "stop", text="keep"),
        Mark(t("2026-12-01T11:00"), "start"),
    ]
    segments = channel_segments(marks, HEATER, t("2026-12-01T00:00"), t("2026-12-01T12:00"))
    assert [(s.state, s.reason) for s in segments] == [
        (State.UNKNOWN, "no record yet"),
        (State.CUT, "red"),
        (State.UNKNOWN, "service not running"),
        (State.CUT, "red"),
    ]
    (row,) = rows_for(marks, {}, date(2026, 12, 1), date(2026, 12, 1))
    assert row.cut_minutes == 60 + 60 + 60 * 12  # until the end of the day in the record


def test_before_its_first_switch_a_channel_was_in_the_other_state() -> None:
    marks = [
        Mark(t("2026-12-01T06:00"), "start"),
        Mark(t("2026-12-01T09:00"), "relay", 0, False, text="red"),
        Mark(t("2026-12-01T11:00"), "relay", 0, True, text="restored"),
    ]
    segments = channel_segments(marks, HEATER, t("2026-12-01T00:00"), t("2026-12-01T12:00"))
    assert [(s.state, s.end - s.start) for s in segments] == [
        (State.UNKNOWN, 6 * 3600),  # before the service ever started: nothing is known
        (State.POWERED, 3 * 3600),  # it was powered, since the first switch cut it
        (State.CUT, 2 * 3600),
        (State.POWERED, 3600),
    ]
    assert segments[1].reason == "as before its first recorded switch"


def test_a_stop_that_releases_the_relays_leaves_each_appliance_as_its_wiring_says() -> None:
    nc = ChannelInfo(1, "Radiateurs", Wiring.NC)
    marks = [
        Mark(t("2026-12-01T08:00"), "relay", 1, False, text="red"),
        Mark(t("2026-12-01T09:00"), "stop", text="release"),
        Mark(t("2026-12-01T10:00"), "start"),
    ]
    segments = channel_segments(marks, nc, t("2026-12-01T08:00"), t("2026-12-01T11:00"))
    # NC released = powered: after the restart it is known powered, not still cut.
    assert segments[-1].state is State.POWERED


def test_totals_agree_with_the_sum_of_the_rows_as_shown() -> None:
    marks = [
        Mark(t("2026-12-01T08:00:20"), "relay", 0, False, text="r"),
        Mark(t("2026-12-01T08:01:00"), "relay", 0, True, text="r"),
        Mark(t("2026-12-02T08:00:20"), "relay", 0, False, text="r"),
        Mark(t("2026-12-02T08:01:00"), "relay", 0, True, text="r"),
    ]
    rows = rows_for(marks, red_hours("2026-12-01T08:00", 1), date(2026, 12, 1), date(2026, 12, 2))
    assert [row.cut_minutes for row in rows] == [1, 1]  # 40 s each, shown as 1 min
    assert totals(rows).cut_minutes == 2
    assert totals(rows).switches == 4


def test_hour_cells_take_the_state_that_filled_most_of_the_hour() -> None:
    base = t("2026-12-01T08:00")
    segments = [
        Segment(base, base + 900, State.POWERED, "a"),
        Segment(base + 900, base + 5400, State.CUT, "b"),
        Segment(base + 5400, base + 7200, State.POWERED, "c"),
    ]
    cells = hour_cells(segments, [base - 3600, base, base + 3600])
    assert cells[0] is None
    assert cells[1] is not None and cells[1].reason == "b"
    assert cells[2] is not None and cells[2].state is State.CUT  # a 30/30 tie goes to the cut


def test_planned_segments_follow_the_changes_and_the_override_expiry() -> None:
    now = t("2026-12-01T08:00")
    changes = [(now + 3600, False, "red 09:00-10:00"), (now + 7200, True, "restored")]
    segments = planned_segments(now, now + 4 * 3600, True, "no strain", changes, now + 1800)
    assert [(s.start - now, s.end - now, s.state, s.forced) for s in segments] == [
        (0, 1800, State.POWERED, True),
        (1800, 3600, State.POWERED, False),
        (3600, 7200, State.CUT, False),
        (7200, 4 * 3600, State.POWERED, False),
    ]
    assert all(segment.planned for segment in segments)


def test_levels_round_trip_through_the_event_encoding() -> None:
    hours = {t("2026-12-01T00:00"): 1, t("2026-12-01T01:00"): 3, t("2026-12-01T03:00"): 0}
    encoded = encode_levels(hours.items())
    assert encoded is not None and encoded[1] == "13.0"
    assert decode_levels(*encoded) == hours


def test_the_winter_starts_on_the_first_of_november() -> None:
    assert winter_start(date(2026, 11, 27)) == date(2026, 11, 1)
    assert winter_start(date(2027, 2, 3)) == date(2026, 11, 1)
    assert winter_start(date(2027, 7, 3)) == date(2026, 11, 1)


# --- power ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "watts"), [("2kW", 2000), ("800W", 800), ("1.5 kW", 1500), ("7.4kw", 7400)]
)
def test_power_parses(text: str, watts: float) -> None:
    assert parse_power(text).watts == pytest.approx(watts)


@pytest.mark.parametrize("value", ["2", "0W", "-1kW", "2MW", "1001kW", "kW", 2000, "２kW"])
def test_a_bad_power_is_one_line_naming_the_key(value: object) -> None:
    document = {"channel": [{"index": 0, "name": "x", "shed_at": "red", "power": value}]}
    with pytest.raises(InputError) as caught:
        config_from_dict(document, path="d.toml")
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("d.toml: channel[0].power: expected a power like")


def test_power_survives_init_round_trip() -> None:
    document = {"channel": [{"index": 0, "name": "x", "shed_at": "red", "power": "1.5kW"}]}
    config = config_from_dict(document)
    written = config_to_dict(config)
    assert written["channel"][0]["power"] == "1.5kW"  # type: ignore[index]
    assert config_from_dict(written) == config


# --- the store --------------------------------------------------------------------------------


def ev(when: str, kind: str, **fields: Any) -> Event:
    return parse_event({"ts": iso(when), "kind": kind, **fields})


def forecast_event(when: str, first: str, levels: str) -> Event:
    return ev(when, "forecast", source="demo", levels_from=iso(first), levels=levels)


def test_the_level_of_an_hour_is_the_one_believed_while_it_was_lived(tmp_path: Path) -> None:
    store, _ = open_store(tmp_path)
    early = forecast_event("2026-12-01T06:00", "2026-12-01T08:00", "33")  # red 08-10
    late = forecast_event("2026-12-01T09:30", "2026-12-01T08:00", "11")  # revised after 08-09
    # Either order of arrival gives the same timeline (a rebuild must agree with the live feed).
    for events in ([early, late], [late, early]):
        store.add(events)
        assert store.levels(t("2026-12-01T08:00"), t("2026-12-01T10:00")) == {
            t("2026-12-01T08:00"): 3,  # 08-09 was over when the revision came
            t("2026-12-01T09:00"): 1,  # 09-10 was still being lived: the revision holds
        }
        store.close()
        store_path(tmp_path).unlink()
        store, _ = open_store(tmp_path)


def test_an_event_seen_twice_is_stored_once(tmp_path: Path) -> None:
    store, _ = open_store(tmp_path)
    cut = ev("2026-12-01T08:00", "relay", channel=0, powered=False, reason="red")
    assert store.add([cut]) == 1
    assert store.add([parse_event(cut.to_dict())]) == 0
    assert len(store.marks(0, math.inf, [0])) == 1


def write_days(log: EventLog, store: HistoryStore | None, days: int) -> None:
    """``days`` days from 2026-01-01, each with a cut 08:00-10:00 during red 08-10."""
    for k in range(days):
        day = date.fromordinal(date(2026, 1, 1).toordinal() + k).isoformat()
        events = [
            forecast_event(f"{day}T00:00", f"{day}T00:00", "11111111331111111111111"),
            ev(f"{day}T08:00", "relay", channel=0, name="Chauffe-eau", powered=False, reason="red"),
            ev(f"{day}T10:00", "relay", channel=0, name="Chauffe-eau", powered=True, reason="ok"),
        ]
        for event in events:
            log.write(event)
        if store is not None:
            store.add(events)  # as the service's feed does, event by event


def logged_days(directory: Path, days: int, tail: bytes = b"") -> None:
    """An event log of ``days`` such days (no store), then ``tail`` appended as raw bytes."""
    log = EventLog(directory)
    write_days(log, None, days)
    log.close()
    if tail:
        with (directory / LOG_NAME).open("ab") as handle:
            handle.write(tail)


def config_for(state_dir: Path):
    return config_from_dict(
        {
            "service": {"state_dir": str(state_dir)},
            "channel": [{"index": 0, "name": "Chauffe-eau", "shed_at": "red", "power": "2kW"}],
        }
    )


def test_history_older_than_the_rotated_log_is_still_there(tmp_path: Path) -> None:
    log = EventLog(tmp_path, max_bytes=4000, keep=2)
    store, _ = open_store(tmp_path)
    write_days(log, store, 60)
    log.close()
    kept = [event for path in log_files(tmp_path) for event in read_from(path)[0]]
    assert kept[0].to_dict()["ts"] > iso("2026-02-01T00:00")  # January has rotated out of the log
    channels = channel_infos(config_for(tmp_path))
    now = datetime(2026, 3, 2, tzinfo=PARIS)
    rows = recorded_rows(store, channels, date(2026, 1, 1), date(2026, 1, 3), now)
    assert [(row.cut_minutes, row.cut_strained_minutes) for row in rows] == [(120, 120)] * 3
    assert rows[0].energy_kwh == 4.0
    store.close()

    # Without the store, only what the log still holds can come back, and that is said.
    store_path(tmp_path).unlink()
    store, message = open_store(tmp_path)
    assert message is not None and "history store missing; rebuilt from the event log" in message
    rebuilt = recorded_rows(store, channels, date(2026, 1, 1), date(2026, 3, 1), now)
    assert [row.cut_minutes for row in rebuilt[:3]] == [0, 0, 0]
    assert rebuilt[-1].cut_minutes == 120
    # The rotated files were read too: the first whole day they hold is all there.
    oldest = datetime.fromisoformat(kept[0].to_dict()["ts"]).date()
    rotated = log_files(tmp_path)[0]
    assert rotated.name == f"{LOG_NAME}.2"
    first_whole = next(row for row in rebuilt if row.day > oldest)
    assert (first_whole.cut_minutes, first_whole.switches) == (120, 2)
    live_start = datetime.fromisoformat(read_from(tmp_path / LOG_NAME)[0][0].to_dict()["ts"]).date()
    assert first_whole.day < live_start


def test_a_damaged_store_is_rebuilt_with_one_line(tmp_path: Path) -> None:
    logged_days(tmp_path, 3)
    store_path(tmp_path).write_bytes(b"this is not SQLite" * 100)
    store, message = open_store(tmp_path)
    assert message is not None
    assert message.count("\n") == 0 and "damaged" in message and "9 events" in message
    rows = recorded_rows(
        store,
        channel_infos(config_for(tmp_path)),
        date(2026, 1, 1),
        date(2026, 1, 3),
        datetime(2026, 1, 4, tzinfo=PARIS),
    )
    assert [row.cut_strained_minutes for row in rows] == [120, 120, 120]


def test_a_damaged_log_line_is_skipped_and_counted(tmp_path: Path) -> None:
    logged_days(
        tmp_path, 1, b'{"ts": "2026-01-01T12:00:00+01:00", "kind": "rel\n\xff\xfe garbage\n[1,2]\n'
    )
    events, damaged, _ = read_from(tmp_path / LOG_NAME)
    assert (len(events), damaged) == (3, 3)
    store, _ = open_store(tmp_path)
    assert store.damaged_lines() == 3
    store.close()


def test_lines_no_store_can_hold_never_stop_a_rebuild(tmp_path: Path) -> None:
    # An integer past SQLite's 64 bits is damage (skipped, counted); a lone surrogate (a path
    # with undecodable bytes in a message, say) is kept as U+FFFD. Either used to raise out of
    # the rebuild, on every start, and leave its temporary store behind.
    relay = {"ts": "2026-01-01T12:30:00+01:00", "kind": "relay", "channel": 0}
    relay |= {"name": "Chauffe-eau", "powered": True, "applied": True}
    measured = {"ts": "2026-01-01T12:31:00+01:00", "kind": "meter", "event": "measured"}
    measured |= {"message": "m", "channel": 0, "watts": 10**30}
    lines = [{**relay, "reason": "from /var/lib/\udcff"}, measured]
    logged_days(tmp_path, 1, b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    events, damaged, _ = read_from(tmp_path / LOG_NAME)
    assert damaged == 1
    assert any(getattr(e, "reason", "") == "from /var/lib/\ufffd" for e in events)
    store, message = open_store(tmp_path)
    assert message is not None and "1 damaged line" in message
    assert store.damaged_lines() == 1
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_a_rebuild_that_fails_leaves_no_temporary_store(tmp_path: Path, monkeypatch) -> None:
    logged_days(tmp_path, 1)

    def full(self: HistoryStore, state_dir: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(HistoryStore, "catch_up", full)
    with pytest.raises(OSError):
        open_store(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".history")] == []


def test_a_catch_up_reads_only_what_is_new(tmp_path: Path) -> None:
    log = EventLog(tmp_path)
    write_days(log, None, 2)
    store, _ = open_store(tmp_path)
    assert store.catch_up(tmp_path).events == 0
    write_days(log, None, 3)  # days 1-2 again (duplicates) and a third
    result = store.catch_up(tmp_path)
    assert result.events == 9  # read once each...
    assert len(store.marks(0, math.inf, [0])) == 6  # ...and stored once each
    log.close()


# --- `delestage history` -----------------------------------------------------------------------


def run(tmp_path: Path, *args: str, today: str = "2026-01-05T12:00") -> tuple[int, str, str]:
    config = tmp_path / "d.toml"
    config.write_text(
        f'[service]\nstate_dir = "{tmp_path}"\n'
        '[[channel]]\nindex = 0\nname = "Chauffe-eau"\nshed_at = "red"\npower = "2kW"\n'
        '[[channel]]\nindex = 1\nname = "Sèche-linge"\nshed_at = "orange"\n'
    )
    out, err = io.StringIO(), io.StringIO()
    options = dict(zip(["start", "end"], [None, None], strict=True))
    output = "text"
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag in ("--csv", "--json"):
            output = flag[2:]
        else:
            options["start" if flag == "--from" else "end"] = rest.pop(0)
    clock = ManualClock(datetime.fromisoformat(today).replace(tzinfo=PARIS))
    code = run_history(str(config), options["start"], options["end"], output, out, err, clock=clock)
    return code, out.getvalue(), err.getvalue()


def test_csv_has_the_contract_columns_and_loads_as_is(tmp_path: Path) -> None:
    logged_days(tmp_path, 3)
    code, out, err = run(tmp_path, "--from", "2026-01-01", "--to", "2026-01-03", "--csv")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert len(table) == 6  # 3 days x 2 channels
    heater = [row for row in table if row["channel"] == "0"]
    assert [row["cut_strained_minutes"] for row in heater] == ["120"] * 3
    assert [row["energy_shed_kwh"] for row in heater] == ["4.000"] * 3
    assert {row["energy_shed_kwh"] for row in table if row["channel"] == "1"} == {""}
    assert heater[0]["date"] == "2026-01-01" and heater[0]["name"] == "Chauffe-eau"


def test_text_has_a_table_with_totals_and_json_the_same_numbers(tmp_path: Path) -> None:
    logged_days(tmp_path, 3)
    code, text, _ = run(tmp_path, "--from", "2026-01-01", "--to", "2026-01-03")
    assert code == 0
    total = [line for line in text.splitlines() if line.startswith("total") and " 0 " in line]
    assert total and "6:00" in total[0] and "12.000" in total[0] and total[0].split()[3] == "6"
    code, out, _ = run(tmp_path, "--from", "2026-01-01", "--to", "2026-01-03", "--json")
    document = json.loads(out)
    assert document["totals"]["0"]["cut_strained_minutes"] == 360
    assert document["totals"]["0"]["energy_shed_kwh"] == 12.0
    assert document["total"]["switches"] == 6


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "2026-01-04", "--to", "2026-01-02"], "--from: 2026-01-04 is after --to"),
        (["--from", "2026-02-30"], "--from: expected a date such as"),
        (["--to", "yesterday"], "--to: expected a date such as"),
        (["--from", "2024-01-01"], "expected at most 400 days"),
        (["--to", "2026-02-01"], "--to: 2026-02-01 is in the future"),
        # A future --from without --to names the future day, not a --to nobody typed.
        (["--from", "2026-01-06"], "--from: 2026-01-06 is in the future (today is 2026-01-05)"),
    ],
)
def test_bad_dates_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError) as caught:
        day_range(
            args[1] if args[0] == "--from" else None,
            args[args.index("--to") + 1] if "--to" in args else None,
            date(2026, 1, 5),
        )
    assert len(caught.value.problems) == 1 and expected in caught.value.problems[0]
    # And through the command line: status 2, that one line, nothing on stdout.
    config = tmp_path / "d.toml"
    config.write_text('[[channel]]\nindex = 0\nname = "x"\nshed_at = "red"\n')
    code = main(["history", "--config", str(config), *args])
    captured = capsys.readouterr()
    if "future" in expected:
        return  # "today" on the command line is the real date; covered by day_range above
    assert code == 2
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1


def test_a_damaged_line_is_counted_on_stderr_and_not_fatal(tmp_path: Path) -> None:
    logged_days(tmp_path, 2, b"{not json\n")
    code, out, err = run(tmp_path, "--from", "2026-01-01", "--to", "2026-01-02", "--csv")
    assert code == 0
    assert "1 damaged event-log line skipped" in err
    assert len(out.splitlines()) == 1 + 4


def test_the_command_as_a_user_runs_it(tmp_path: Path) -> None:
    """The console script in a subprocess, on a log of one past day (named by --from/--to: the
    command's "today" is the real date, and the default range is covered by day_range above):
    the store is built with one line saying so, the CSV has that day's cut, and bad dates exit
    2 with one line."""
    now = datetime(2026, 1, 5, 12, 0, tzinfo=PARIS)
    first = (now - timedelta(hours=2)).isoformat()
    second = (now - timedelta(hours=1)).isoformat()
    log = EventLog(tmp_path)
    log.write(
        parse_event({"ts": first, "kind": "relay", "channel": 0, "powered": False, "reason": "red"})
    )
    log.write(
        parse_event({"ts": second, "kind": "relay", "channel": 0, "powered": True, "reason": "ok"})
    )
    log.close()
    config = tmp_path / "d.toml"
    config.write_text(
        f'[service]\nstate_dir = "{tmp_path}"\n'
        '[[channel]]\nindex = 0\nname = "Chauffe-eau"\nshed_at = "red"\npower = "2kW"\n'
    )
    script = [sys.executable, "-m", "tui", "history", "--config", str(config)]
    day = ["--from", now.date().isoformat(), "--to", now.date().isoformat()]
    done = subprocess.run([*script, *day, "--csv"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1 and "history store missing; rebuilt" in done.stderr
    today = [row for row in csv.DictReader(io.StringIO(done.stdout))][-1]
    assert today["date"] == now.date().isoformat()
    # Both switches fell that day.
    assert (today["switches"], today["cut_minutes"]) == ("2", "60")
    bad = subprocess.run([*script, "--from", "2026-13-01"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0 and "--from: expected a date" in bad.stderr


def test_mqtt_channel_state_carries_the_configured_power() -> None:
    from tui.frontends.mqtt.topics import channel_state
    from tui.service.snapshot import ChannelView

    base = ChannelView(0, "Chauffe-eau", "no", True, True, "auto", None, "normal", "no strain")
    assert "power_w" not in channel_state(base)
    with_power = ChannelView(**{**base.__dict__, "power_w": 2400.0})
    assert channel_state(with_power)["power_w"] == 2400.0
