"""The day's run of a min_daily_run channel is kept in the state file (atomic, as every
save): a restart does not forget what ran today, and a damaged value is refused by name."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tui.adapters.stores.state import STATE_NAME, StateError, StateStore, decode_state
from tui.core.policy import RelayHistory, record_switch

T0 = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)  # 22:00 in Paris


def test_the_day_run_survives_a_save_and_a_load(tmp_path: Path) -> None:
    item = record_switch(RelayHistory(), True, T0)
    item = record_switch(item, False, T0 + timedelta(minutes=70))
    item = record_switch(item, True, T0 + timedelta(minutes=80))
    store = StateStore(tmp_path)
    store.save({}, {0: item})
    _, history, problem = store.load()
    assert problem is None
    assert history[0] == item
    assert history[0].ran == timedelta(minutes=70)
    assert history[0].ran_day == date(2026, 12, 1)
    assert history[0].ran_from == T0 + timedelta(minutes=80)
    # A file from before the day's run was kept loads as "nothing counted yet".
    document = json.loads((tmp_path / STATE_NAME).read_text())
    for key in ("ran_day", "ran_seconds", "ran_from"):
        del document["history"]["0"][key]
    assert decode_state(document)[1][0].ran_day is None


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("ran_day", "yesterday", "history.0.ran_day: expected a date"),
        ("ran_seconds", -5, "history.0.ran_seconds: expected 0 to 90000 seconds"),
        ("ran_seconds", True, "history.0.ran_seconds: expected"),
        ("ran_from", "2026-12-01T22:00:00", "history.0.ran_from"),
    ],
)
def test_a_damaged_day_run_is_refused_by_name(field: str, value: object, words: str) -> None:
    entry: dict[str, object] = {"powered": True, "ran_day": "2026-12-01", "ran_seconds": 60}
    entry[field] = value
    with pytest.raises(StateError, match=words):
        decode_state({"version": 1, "history": {"0": entry}})
