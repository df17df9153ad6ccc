"""A channel whose state the first start took from the board's library (no switch) is known
from that moment: the board event's ``states`` make it a recorded CUT/ON in the arithmetic, the
store, `history --csv` and the channels-over-time view.
Logs from before that field keep the old inference."""

import asyncio
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

from support.service import at, config_document, make_config, make_controller, write_config

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.adapters.stores.history import HistoryStore, store_path
from tui.compose.service import serve
from tui.core.config import Wiring
from tui.core.events import parse_event
from tui.core.forecast import PARIS
from tui.core.history import (
    READ,
    ChannelInfo,
    Mark,
    State,
    board_read_marks,
    channel_segments,
    hour_cells,
)
from tui.frontends.history_cmd import run_history
from tui.service.history_view import build_view, channel_infos, recorded_rows

HEATER = ChannelInfo(0, "Chauffe-eau", Wiring.NO)
MORNING = at("2026-12-02T08:00:00+01:00")  # the demo red weekday: orange 08:00-13:00
NOON = MORNING + timedelta(hours=4)


def t(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp()


# --- the arithmetic ---------------------------------------------------------------------------


def test_a_channel_read_cut_at_start_is_cut_until_it_switches() -> None:
    marks = [
        Mark(t("2026-12-01T06:16"), "start"),
        Mark(t("2026-12-01T06:16"), "read", 0, False),
    ]
    segments = channel_segments(marks, HEATER, t("2026-12-01T00:00"), t("2026-12-02T00:00"))
    assert [(s.state, s.end - s.start, s.reason) for s in segments] == [
        (State.UNKNOWN, 6 * 3600 + 16 * 60, "no record yet"),
        (State.CUT, 17 * 3600 + 44 * 60, READ),
    ]


def test_a_read_state_beats_the_inference_from_the_first_switch() -> None:
    # Read ON at start, then cut at 09:00: the hours before are ON as read, and a later
    # restore-then-cut sequence cannot turn them into a guess.
    marks = [
        Mark(t("2026-12-01T06:00"), "start"),
        Mark(t("2026-12-01T06:00"), "read", 0, True),
        Mark(t("2026-12-01T09:00"), "relay", 0, False, text="red"),
    ]
    segments = channel_segments(marks, HEATER, t("2026-12-01T06:00"), t("2026-12-01T10:00"))
    assert [(s.state, s.reason) for s in segments] == [
        (State.POWERED, READ),
        (State.CUT, "red"),
    ]


def test_board_events_without_states_make_no_marks() -> None:
    old = {"ts": "2026-12-01T06:16:00+01:00", "kind": "board", "event": "read", "message": "x"}
    assert board_read_marks(parse_event(old)) == []
    new = {**old, "states": {"0": False, "1": True, "x": True, "2": "on"}}
    assert [(m.kind, m.channel, m.powered) for m in board_read_marks(parse_event(new))] == [
        ("read", 0, False),
        ("read", 1, True),
    ]


# --- a real controller run on a virtual clock ---------------------------------------------------


async def run_morning(state: Path) -> None:
    """08:00-12:00: the heater is wanted cut (orange) and the board, released, has it cut."""
    clock = ManualClock(MORNING, auto_advance=True)
    controller, _ = make_controller(make_config(state), clock)
    await asyncio.wait_for(serve(controller, until=NOON), 60)


async def test_the_store_records_a_channel_cut_from_start_without_a_switch(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    await run_morning(state)
    events = [event.to_dict() for event in read_events(state)]
    (read,) = [e for e in events if e["kind"] == "board" and e.get("event") == "read"]
    assert read["states"]["0"] is False and "Chauffe-eau CUT" in read["message"]
    assert not [e for e in events if e["kind"] == "relay" and e["channel"] == 0]

    config = make_config(state)
    channels = channel_infos(config)
    day = MORNING.astimezone(PARIS).date()
    store = HistoryStore(store_path(state))
    rows = recorded_rows(store, channels, day, day, NOON)
    store.close()
    heater = next(row for row in rows if row.channel == 0)
    assert (heater.switches, heater.cut_minutes, heater.cut_strained_minutes) == (0, 240, 240)

    # The view shows those hours as recorded CUT, and why.
    view = build_view(state, config, NOON, MORNING, NOON, None, {}, {}, None)
    segments = view.channels[0].segments
    hours = [MORNING.timestamp() + 3600 * k for k in range(4)]
    cells = hour_cells(segments, hours)
    assert all(c is not None and c.state is State.CUT and not c.planned for c in cells), cells
    assert all(c is not None and c.reason == READ for c in cells)


async def test_history_csv_counts_a_channel_cut_from_start(tmp_path: Path) -> None:
    state = tmp_path / "state"
    await run_morning(state)
    config = write_config(tmp_path / "d.toml", config_document(state))
    out, err = io.StringIO(), io.StringIO()
    clock = ManualClock(NOON)
    code = run_history(str(config), "2026-12-02", "2026-12-02", "csv", out, err, clock=clock)
    assert code == 0, err.getvalue()
    table = {row["channel"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    heater = table["0"]
    assert (heater["switches"], heater["cut_minutes"], heater["cut_strained_minutes"]) == (
        "0",
        "240",
        "240",
    )
