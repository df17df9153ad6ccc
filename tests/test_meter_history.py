"""History with the meter: minutes cut by the power rule apart, energy kept off counted with the
power the meter measured (and saying which), the store migrated from its first version."""

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tui.adapters.stores.history import HistoryStore, store_path
from tui.core.events import ForecastEvent, MeterEvent, RelayEvent, StartEvent
from tui.core.history import ChannelInfo
from tui.core.power import Power
from tui.frontends.history_cmd import CSV_COLUMNS, render_csv, render_text
from tui.service.history_view import recorded_rows

DAY = date(2026, 12, 1)
T0 = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 Paris
NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
CHANNELS = [ChannelInfo(0, "Chauffe-eau", power=Power(2000)), ChannelInfo(1, "Borne VE")]


def events(rule: bool = True) -> list:  # type: ignore[type-arg]
    minutes = timedelta(minutes=1)
    red = "".join("3" if 11 <= hour < 14 else "1" for hour in range(24))  # Paris 12:00-15:00
    return [
        StartEvent(ts=T0 - 60 * minutes, mode="demo"),
        ForecastEvent(
            ts=T0 - 60 * minutes,
            source="demo",
            levels_from=datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
            levels=red,
        ),
        # 30 minutes cut for power, then 60 for the grid (red), channel 0; 20 for power, channel 1.
        RelayEvent(
            ts=T0,
            channel=0,
            powered=False,
            reason="power 9.8 kVA over 9 kVA for 40 s: the meter would trip in 25 s",
            rule="power" if rule else None,
        ),
        MeterEvent(ts=T0 + 5 * minutes, event="measured", message="m", channel=0, watts=1800),
        RelayEvent(ts=T0 + 30 * minutes, channel=0, powered=True, reason="red", rule="normal"),
        RelayEvent(ts=T0 + 40 * minutes, channel=0, powered=False, reason="red", rule="shed"),
        RelayEvent(ts=T0 + 100 * minutes, channel=0, powered=True, reason="ok", rule="normal"),
        RelayEvent(
            ts=T0 + 200 * minutes, channel=1, powered=False, reason="power 9.5 kVA", rule="power"
        ),
        RelayEvent(ts=T0 + 220 * minutes, channel=1, powered=True, reason="ok", rule="normal"),
    ]


def test_power_cuts_apart_and_energy_with_the_measured_power(tmp_path: Path) -> None:
    store = HistoryStore(store_path(tmp_path))
    store.add(events())
    rows = {row.channel: row for row in recorded_rows(store, CHANNELS, DAY, DAY, NOW)}
    store.close()
    water, car = rows[0], rows[1]
    assert (water.cut_minutes, water.cut_power_minutes, water.cut_strained_minutes) == (90, 30, 90)
    # 5 min at the configured 2 kW before the first measure, then 85 min at 1.8 kW.
    assert water.power_source == "measured" and water.energy_kwh == 2.717
    assert (car.cut_minutes, car.cut_power_minutes) == (20, 20)
    assert car.power_source == "" and car.energy_kwh is None
    csv = render_csv(list(rows.values())).splitlines()
    assert csv[0] == ",".join(CSV_COLUMNS)
    assert CSV_COLUMNS[-2:] == ("cut_power_minutes", "power_source")
    assert csv[1] == "2026-12-01,0,Chauffe-eau,4,90,90,0,2.717,30,measured"
    assert csv[2] == "2026-12-01,1,Borne VE,2,20,0,0,,20,"
    text = render_text(list(rows.values()), DAY, DAY, DAY).splitlines()
    header = next(line for line in text if line.startswith("date"))
    assert header.split() == [
        "date", "ch", "name", "switches", "cut", "strained", "forced", "power", "kWh"
    ]  # fmt: skip
    water_line = next(line for line in text if line.startswith("2026-12-01   0"))
    assert water_line.split()[-2:] == ["0:30", "2.717*"]
    assert any(line.startswith("kWh*: counted with the power the meter measured") for line in text)


def test_configured_power_without_a_measure_and_a_cut_logged_before_rules(tmp_path: Path) -> None:
    store = HistoryStore(store_path(tmp_path))
    store.add([e for e in events(rule=False) if not isinstance(e, MeterEvent)])
    rows = {row.channel: row for row in recorded_rows(store, CHANNELS, DAY, DAY, NOW)}
    store.close()
    assert rows[0].cut_power_minutes == 30  # known by the power rule's words
    assert rows[0].power_source == "configured" and rows[0].energy_kwh == 3.0


V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE marks (t REAL NOT NULL, kind TEXT NOT NULL, channel INTEGER NOT NULL,
    powered INTEGER, until REAL, text TEXT NOT NULL DEFAULT '', digest BLOB NOT NULL UNIQUE);
CREATE TABLE levels (hour INTEGER PRIMARY KEY, level INTEGER NOT NULL, set_at REAL NOT NULL)
    WITHOUT ROWID;
CREATE TABLE files (inode INTEGER PRIMARY KEY, head BLOB NOT NULL, offset INTEGER NOT NULL);
INSERT INTO meta VALUES ('schema', '1');
"""


def v1_store(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    start = (T0 - timedelta(hours=1)).timestamp()
    db.execute("INSERT INTO marks VALUES (?, 'start', -1, NULL, NULL, '', x'01')", (start,))
    db.execute(
        "INSERT INTO marks VALUES (?, 'relay', 0, 0, NULL, 'power 9.8 kVA', x'02')",
        (T0.timestamp(),),
    )
    db.execute(
        "INSERT INTO marks VALUES (?, 'relay', 0, 1, NULL, 'ok', x'03')",
        ((T0 + timedelta(minutes=30)).timestamp(),),
    )
    db.commit()
    db.close()


def test_a_first_version_store_is_read_as_it_is_and_migrated_in_place(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    v1_store(path)
    reader = HistoryStore(path, readonly=True)
    rows = recorded_rows(reader, CHANNELS, DAY, DAY, NOW)
    reader.close()
    # No rules in version 1: a power cut is known by the power rule's words.
    assert rows[0].cut_minutes == 30 and rows[0].cut_power_minutes == 30
    store = HistoryStore(path)  # the service's: migrated, every mark kept
    store.add([MeterEvent(ts=T0, event="measured", message="m", channel=0, watts=1900)])
    rows = recorded_rows(store, CHANNELS, DAY, DAY, NOW)
    store.close()
    assert rows[0].cut_minutes == 30 and rows[0].power_source == "measured"
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
    assert db.execute("SELECT count(*) FROM marks").fetchone() == (3,)
    db.close()


def test_a_later_measure_never_changes_a_past_day(tmp_path: Path) -> None:
    """Home Assistant's energy kept off is total_increasing: what was counted stays counted."""
    store = HistoryStore(store_path(tmp_path))
    store.add(events())
    before = recorded_rows(store, CHANNELS, DAY, DAY, NOW)[0].energy_kwh
    later = T0 + timedelta(days=1)
    store.add([MeterEvent(ts=later, event="measured", message="m", channel=0, watts=900)])
    after = recorded_rows(store, CHANNELS, DAY, DAY + timedelta(days=1), later)
    store.close()
    assert before == after[0].energy_kwh == 2.717
    assert after[2].day == DAY + timedelta(days=1) and after[2].energy_kwh == 0.0


def test_the_channels_over_time_view_says_the_minutes_cut_for_power() -> None:
    from tui.core.history import Totals
    from tui.frontends.app.channels_view import _totals_words

    value = Totals(switches=4, cut_minutes=90, cut_strained_minutes=90, energy_kwh=2.717)
    assert _totals_words(value) == "cut 1:30 (1:30 in orange/red, 2.7 kWh kept off)"
    power = Totals(4, 90, 90, 0, 2.717, cut_power_minutes=30)
    assert _totals_words(power) == "cut 1:30 (1:30 in orange/red, 0:30 for power, 2.7 kWh kept off)"
