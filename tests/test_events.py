"""Typed events (tui/core/events.py): every kind round-trips to the JSON line the service writes,
every older form reads once, nothing a reader does not know is lost, and damage names its field.
"""

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.adapters.stores.eventlog import LOG_NAME, EventLog, ReadStats, read_events
from tui.adapters.stores.history import open_store
from tui.core.config import config_from_dict
from tui.core.events import (
    MAX_INT,
    BoardEvent,
    ErrorEvent,
    Event,
    ForecastEvent,
    MeterEvent,
    OverrideEvent,
    RelayEvent,
    ReloadEvent,
    StartEvent,
    StopEvent,
    TempoForecastEvent,
    UnknownEvent,
    channel_of,
    parse_event,
)
from tui.core.forecast import PARIS
from tui.core.history import board_read_marks, event_mark
from tui.frontends.event_text import event_line
from tui.service.history_view import channel_infos, recorded_rows
from tui.service.snapshot import BoardView, ForecastView, Snapshot, Update

FIXTURE = Path(__file__).parent / "data" / "events_before_typed.jsonl"

# Lines exactly as the service wrote them before events were typed (a demo run on a virtual
# clock, 2026-12-02, pid made 1): every kind and every optional-field variant.
WRITTEN = (Path(__file__).parent / "data" / "events_written.jsonl").read_text()
LINES = WRITTEN.splitlines()
TYPES = {
    "start": StartEvent,
    "forecast": ForecastEvent,
    "board": BoardEvent,
    "override": OverrideEvent,
    "relay": RelayEvent,
    "reload": ReloadEvent,
    "error": ErrorEvent,
    "stop": StopEvent,
}


def _compact(obj: dict[str, Any]) -> str:
    """As the event log writes a line."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    "line", LINES, ids=[f"{i}-{json.loads(x)['kind']}" for i, x in enumerate(LINES)]
)
def test_every_kind_round_trips_to_the_line_written_today(line: str) -> None:
    obj = json.loads(line)
    event = parse_event(obj)
    expected = TempoForecastEvent if obj.get("what") == "tempo" else TYPES[obj["kind"]]
    assert type(event) is expected
    assert event.to_dict() == obj
    assert _compact(event.to_dict()) == line  # same names, same order, same value forms
    assert parse_event(event.to_dict()) == event


def test_the_event_log_writes_typed_events_as_the_same_bytes(tmp_path: Path) -> None:
    log = EventLog(tmp_path)
    for line in LINES:
        log.write(parse_event(json.loads(line)))
    log.close()
    assert (tmp_path / LOG_NAME).read_text() == WRITTEN
    stats = ReadStats()
    assert [event.to_dict() for event in read_events(tmp_path, stats)] == [
        json.loads(line) for line in LINES
    ]
    assert (stats.events, stats.skipped) == (len(LINES), 0)


def test_a_constructed_event_writes_the_line_the_service_always_wrote() -> None:
    """The service builds events with their constructors: the line equals the recorded one,
    and reads back to the same event."""
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    constructed = OverrideEvent(
        ts=now,
        channel=1,
        name="Radiateurs",
        action="force",
        message="forced cut by operator until 07:30",
        powered=False,
        until=datetime(2026, 12, 2, 6, 30, tzinfo=UTC),
    )
    assert _compact(constructed.to_dict()) == LINES[6]
    assert parse_event(constructed.to_dict()) == constructed
    # A field always written is written, null or not, when the caller gives it as None...
    assert ForecastEvent(ts=now, source="rte").to_dict()["until"] is None
    # ...and an optional one is left out.
    assert "applied" not in RelayEvent(ts=now, channel=0, powered=True).to_dict()


def test_the_old_start_with_reload_true_reads_as_a_reload() -> None:
    old = {
        "ts": "2026-11-20T11:30:00+01:00",
        "kind": "start",
        "reload": True,
        "mode": "live",
        "pid": 812,
        "config": "/etc/delestage.toml",
        "board": "phidget",
    }
    event = parse_event(old)
    assert isinstance(event, ReloadEvent) and event.kind == "reload"
    assert (event.mode, event.pid, event.config, event.board) == (
        "live",
        812,
        "/etc/delestage.toml",
        "phidget",
    )
    assert event.to_dict() == {**{k: v for k, v in old.items() if k != "reload"}, "kind": "reload"}
    assert event_mark(event) is None  # the service ran on: not a start in history
    assert event_line(event) == (
        "2026-11-20 11:30:00 reload   configuration reloaded from /etc/delestage.toml"
    )
    assert isinstance(parse_event({**old, "reload": False}), StartEvent)


def test_unknown_kinds_and_extra_fields_survive() -> None:
    newer = {"ts": "2026-12-02T07:00:00+01:00", "kind": "gauge", "watts": 2300, "phase": [1, 2]}
    event = parse_event(newer)
    assert isinstance(event, UnknownEvent) and event.kind == "gauge"
    assert event.extra == {"watts": 2300, "phase": [1, 2]}
    assert event.to_dict() == newer
    assert event_mark(event) is None and board_read_marks(event) == []

    extra = {**json.loads(LINES[8]), "note": "hand-added", "by_hand": {"who": "me"}}
    relay = parse_event(extra)
    assert isinstance(relay, RelayEvent) and relay.channel == 1 and relay.powered is False
    assert relay.extra == {"note": "hand-added", "by_hand": {"who": "me"}}
    assert relay.to_dict() == extra
    # Over the control socket (an attached UI, `RemoteController`): typed on arrival, and a
    # damaged one left out rather than breaking the stream.
    update = Update(_SNAPSHOT, (relay, event))
    sent = json.loads(json.dumps(update.to_dict()))
    assert sent["events"] == [extra, newer]
    sent["events"].insert(1, {"kind": "relay"})
    assert Update.from_dict(sent) == update

    # A field left out of an always-written one stays left out (a hand-made or older line).
    bare = {"ts": "2026-12-02T07:00:00+01:00", "kind": "forecast", "source": "demo"}
    assert parse_event(bare).to_dict() == bare
    with pytest.raises(ValueError, match="extra: channel: a field of the event itself"):
        RelayEvent(ts=relay.ts, channel=0, powered=True, extra={"channel": 1})


_SNAPSHOT = Snapshot(
    mode="demo",
    pid=1,
    now=datetime(2026, 12, 2, 7, 0, tzinfo=PARIS),
    level=None,
    board=BoardView("simulated", True),
    forecast=ForecastView("demo"),
    channels=(),
)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([1, 2], "event: expected a JSON object, got list"),
        ({"ts": "2026-12-02T07:00:00+01:00"}, "kind: missing"),
        ({"ts": "2026-12-02T07:00:00+01:00", "kind": 3}, "kind: expected a string, got 3"),
        ({"kind": "relay", "channel": 0, "powered": True}, "relay event: ts: missing"),
        ({"ts": "yesterday", "kind": "stop"}, "stop event: ts: expected an ISO 8601 time"),
        ({"ts": "2026-12-02T07:00:00", "kind": "stop"}, "stop event: ts: .*with an offset"),
        ({"ts": "0001-01-01T00:00:00+01:00", "kind": "start"}, "start event: ts: .*out of range"),
        (
            {"ts": "2026-12-02T07:00:00+01:00", "kind": "relay", "powered": False},
            "relay event: channel: missing",
        ),
        (
            {"ts": "2026-12-02T07:00:00+01:00", "kind": "relay", "channel": "0", "powered": 1},
            "relay event: channel: expected an integer, got '0'",
        ),
        (
            {"ts": "2026-12-02T07:00:00+01:00", "kind": "relay", "channel": 0, "powered": 1},
            "relay event: powered: expected true or false, got 1",
        ),
        (
            {
                "ts": "2026-12-02T07:00:00+01:00",
                "kind": "override",
                "channel": 0,
                "action": "force",
                "until": "soon",
            },
            "override event: until: expected an ISO 8601 time with offset, got 'soon'",
        ),
        (
            {"ts": "2026-12-02T07:00:00+01:00", "kind": "forecast", "what": "tempo", "today": 2},
            r"forecast \(tempo\) event: today: expected a string, got 2",
        ),
        (
            {
                "ts": "2026-12-02T07:00:00+01:00",
                "kind": "board",
                "event": "read",
                "message": "x",
                "states": [0],
            },
            "board event: states: expected a JSON object",
        ),
    ],
)
def test_a_damaged_line_is_an_error_naming_its_field(obj: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_event(obj)


def test_a_log_written_before_events_were_typed_still_reads(tmp_path: Path) -> None:
    """tests/data/events_before_typed.jsonl: the forms of older versions (no ``applied``, no
    board ``states``, no forecast ``levels``, a force with ``message`` last, ``start`` with
    ``reload: true``), a damaged line, an unknown kind and a hand-added field."""
    shutil.copy(FIXTURE, tmp_path / LOG_NAME)
    stats = ReadStats()
    events = read_events(tmp_path, stats)
    assert (stats.events, stats.skipped) == (14, 1)
    assert [type(event).__name__ for event in events] == [
        "StartEvent",
        "ForecastEvent",
        "BoardEvent",
        "BoardEvent",
        "RelayEvent",
        "OverrideEvent",
        "RelayEvent",
        "OverrideEvent",
        "RelayEvent",
        "ReloadEvent",
        "ErrorEvent",
        "RelayEvent",
        "UnknownEvent",
        "StopEvent",
    ]
    kept = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.endswith("}")]
    for event, obj in zip(events, kept, strict=True):
        if not isinstance(event, ReloadEvent):
            assert event.to_dict() == obj  # whatever the order it was written in
    assert [channel_of(event) for event in events[4:9]] == [0, 0, 0, 0, 0]
    assert event_line(events[5]) == (
        "2026-11-20 09:10:00 override Chauffe-eau: forced on by operator until 10:00"
    )

    # History from it: the numbers the store gave before events were typed (checked against
    # the code of 9b4ea0c on this very file): 07:45-09:10 and 10:00-13:00 cut, 50 min forced.
    store, message = open_store(tmp_path)
    assert message is not None and "1 damaged lines skipped" in message
    config = config_from_dict(
        {
            "service": {"state_dir": str(tmp_path)},
            "channel": [{"index": 0, "name": "Chauffe-eau", "shed_at": "red", "power": "2kW"}],
        }
    )
    day = date(2026, 11, 20)
    (row,) = recorded_rows(
        store, channel_infos(config), day, day, datetime(2026, 11, 21, tzinfo=PARIS)
    )
    store.close()
    assert (row.switches, row.cut_minutes, row.forced_minutes) == (4, 265, 50)


# --- a property: any event of any kind round-trips through its JSON --------------------------

_times = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC)
)
_text = st.text(max_size=20)
_maybe_text = st.none() | _text
_maybe_bool = st.none() | st.booleans()
_channel = st.integers(min_value=0, max_value=63)
# An event's integers are JSON numbers a reader keeps exactly (+-2^53): past that, damage
# (test_history). The round trip is of events the service can write.
_int = st.integers(min_value=-MAX_INT, max_value=MAX_INT)
_extra = st.dictionaries(
    st.text(min_size=1, max_size=8).map(lambda key: f"x_{key}"),
    st.none() | _int | _text | st.lists(_int, max_size=3),
    max_size=3,
)


def _events() -> st.SearchStrategy[Event]:
    common = {"ts": _times, "extra": _extra}
    identity = {
        "mode": _maybe_text,
        "pid": st.none() | st.integers(min_value=1, max_value=MAX_INT),
        "config": _maybe_text,
        "board": _maybe_text,
    }
    return st.one_of(
        st.builds(StartEvent, **common, **identity),
        st.builds(ReloadEvent, **common, **identity),
        st.builds(StopEvent, **common, on_exit=_maybe_text, pid=st.none() | _int),
        st.builds(
            ForecastEvent,
            **common,
            source=_maybe_text,
            until=st.none() | _times,
            cached=_maybe_bool,
            called=_maybe_bool,
            message=_maybe_text,
            levels_from=st.none() | _times,
            levels=st.none() | st.text(alphabet="0123.", max_size=30),
        ),
        st.builds(
            TempoForecastEvent,
            **common,
            source=_maybe_text,
            today=st.none() | st.sampled_from(["blue", "white", "red"]),
            tomorrow=st.none() | st.sampled_from(["blue", "white", "red"]),
            cached=_maybe_bool,
            message=_maybe_text,
        ),
        st.builds(
            RelayEvent,
            **common,
            channel=_channel,
            name=_maybe_text,
            powered=st.booleans(),
            reason=_maybe_text,
            applied=_maybe_bool,
            by=st.none() | st.sampled_from(["board", "reconcile"]),
        ),
        st.builds(
            OverrideEvent,
            **common,
            channel=_channel,
            name=_maybe_text,
            action=st.sampled_from(["force", "release", "expired"]),
            message=_maybe_text,
            powered=_maybe_bool,
            until=st.none() | _times,
        ),
        st.builds(
            BoardEvent,
            **common,
            event=_text,
            channel=st.none() | _channel,
            message=_text,
            states=st.none() | st.dictionaries(_channel.map(str), st.booleans(), max_size=4),
        ),
        st.builds(
            ErrorEvent,
            **common,
            what=_text,
            channel=st.none() | _channel,
            message=_text,
            recovered=st.booleans(),
        ),
        st.builds(
            MeterEvent,
            **common,
            event=st.sampled_from(["reading", "nothing-left", "tripped"]),
            message=_text,
            power_va=st.none() | st.integers(0, 40000),
            limit_va=st.none() | st.integers(1000, 36000),
            mode=st.none() | st.sampled_from(["historique", "standard"]),
        ),
        st.builds(UnknownEvent, **common, kind_name=st.sampled_from(["gauge", "tic", "x"])),
    )


@given(_events())
def test_any_event_round_trips_through_its_json(event: Event) -> None:
    line = json.dumps(event.to_dict(), ensure_ascii=False)
    again = parse_event(json.loads(line))
    assert again == event
    assert again.to_dict() == event.to_dict()
    assert list(again.to_dict())[:2] == ["ts", "kind"]


def test_every_reader_gets_paris_time() -> None:
    event = parse_event({"ts": "2026-12-02T06:00:00+00:00", "kind": "stop", "on_exit": "keep"})
    assert event.ts == datetime(2026, 12, 2, 7, 0, tzinfo=PARIS)
    assert event.to_dict()["ts"] == "2026-12-02T07:00:00+01:00"  # written as the service does
    assert event.ts - timedelta(hours=1) == datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
