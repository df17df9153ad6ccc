"""Real RTE answers (tests/data/real-bodies/, see its PROVENANCE.md): every body parsed and
planned, by the core and by `delestage plan --forecast FILE --json`, with the wall-clock hours of
the daylight-saving days checked (DESIGN.md "Time": pas n is the wall-clock hour n).

Derived probes: the real DST bodies with distinct levels written into them, each level checked
on its wall-clock hour and each planned cut at its wall-clock time.
"""

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from tui.core.config import Config, config_from_dict
from tui.core.forecast import HOUR, PARIS, Forecast, Level, paris_midnight
from tui.core.plan import build_plan, plan_to_json
from tui.core.signals import parse_signals
from tui.core.tempo_body import parse_tempo
from tui.frontends.cli import main

BODIES = Path(__file__).resolve().parent / "data" / "real-bodies"
ECOWATT = sorted(path.name for path in BODIES.glob("*.json") if "-err-" not in path.name)
ECOWATT = [name for name in ECOWATT if not name.startswith("tempo-")]
# The daylight-saving day each body holds, and its length in hours.
DST = {
    "ac-2022-10-30-autumn-fetched-0252.json": (date(2022, 10, 30), 25),
    "ac-2023-10-26-autumn-as-d3.json": (date(2023, 10, 29), 25),
    "ac-2023-03-23-spring-as-d3.json": (date(2023, 3, 26), 23),
    "ac-2024-03-31-spring-today.json": (date(2024, 3, 31), 23),
}

CONFIG_TOML = """\
[ecowatt]
source = "demo"

[board]
kind = "simulated"

[policy]
lead = "15m"
restore_gap = "60s"
fallback = "shed"

[[channel]]
index = 0
name = "Chauffe-eau"
shed_at = "orange"
priority = 2

[[channel]]
index = 1
name = "Radiateurs"
shed_at = "red"
priority = 1

[[channel]]
index = 2
name = "Lave-linge"
shed_at = "never"
"""


def _config() -> Config:
    import tomllib

    return config_from_dict(tomllib.loads(CONFIG_TOML), path="real.toml")


def _read(name: str) -> bytes:
    return (BODIES / name).read_bytes()


def _days(body: bytes) -> list[date]:
    return [datetime.fromisoformat(day["jour"]).date() for day in json.loads(body)["signals"]]


def _iso(day: date, hour: int, minute: int = 0, fold: int = 0) -> str:
    when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS, fold=fold)
    return when.astimezone(UTC).astimezone(PARIS).isoformat()


def test_every_file_is_in_the_provenance_note() -> None:
    note = (BODIES / "PROVENANCE.md").read_text(encoding="utf-8")
    for path in BODIES.glob("*.json"):
        named = path.name in note or (path.name.startswith("ac-") and "`ac-*.json`" in note)
        assert named, path.name
    assert set(DST) <= set(ECOWATT) and len(ECOWATT) == 6


# --- every body, parsed -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ECOWATT)
def test_every_real_body_covers_each_day_midnight_to_midnight(name: str) -> None:
    body = _read(name)
    forecast = parse_signals(body, source="rte")
    days = _days(body)
    assert forecast.start == paris_midnight(days[0])
    assert forecast.until == paris_midnight(days[-1] + timedelta(days=1))
    assert [day.jour.astimezone(PARIS).date() for day in forecast.days] == days
    starts = [slot.start for slot in forecast.slots]
    assert all(b - a == HOUR for a, b in pairwise(starts))
    # Every level is the one RTE gave for that wall-clock hour of that day.
    given = {
        (datetime.fromisoformat(day["jour"]).date(), value["pas"]): value["hvalue"]
        for day in json.loads(body)["signals"]
        for value in day["values"]
    }
    for slot in forecast.slots:
        local = slot.start.astimezone(PARIS)
        assert int(slot.level) == given[(local.date(), local.hour)], local


@pytest.mark.parametrize("name", sorted(DST))
def test_the_dst_day_has_its_real_length(name: str) -> None:
    day, hours = DST[name]
    forecast = parse_signals(_read(name))
    own = [slot for slot in forecast.slots if slot.start.astimezone(PARIS).date() == day]
    assert len(own) == hours
    assert own[0].start == paris_midnight(day)
    assert own[-1].end == paris_midnight(day + timedelta(days=1))
    wall = [slot.start.astimezone(PARIS).hour for slot in own]
    if hours == 23:
        assert wall == [0, 1, *range(3, 24)]
    else:
        assert wall == [0, 1, 2, 2, *range(3, 24)]


def test_the_v5_body_keeps_its_low_carbon_hours() -> None:
    forecast = parse_signals(_read("arbok-v5-2025-02-20-lowcarbon.json"))
    assert len(forecast.slots) == 96
    assert any(slot.level is Level.LOW_CARBON for slot in forecast.slots)
    assert forecast.until == paris_midnight(date(2025, 2, 24))


@pytest.mark.parametrize(
    ("name", "colours"),
    [
        ("tempo-esp32-2023-02-28.json", ["WHITE", "RED", "RED"]),
        ("tempo-dtroncy-2023-12-02.json", ["WHITE", "BLUE", "BLUE"]),
    ],
)
def test_the_real_tempo_bodies_parse(name: str, colours: list[str]) -> None:
    calendar = parse_tempo(_read(name))
    assert [day.colour.value.upper() for day in calendar.days] == colours  # type: ignore[union-attr]


# --- every body, planned (core) -----------------------------------------------------------------


@pytest.mark.parametrize("name", ECOWATT)
def test_every_real_body_plans_to_its_end_and_the_fallback_starts_at_midnight(name: str) -> None:
    forecast = parse_signals(_read(name))
    assert forecast.start is not None and forecast.until is not None
    config = _config()
    plan = build_plan(forecast, config, forecast.start, forecast.until + 2 * HOUR)
    strained = any(slot.level >= Level.ORANGE for slot in forecast.slots)
    inside = [change for change in plan.changes if change.at < forecast.until]
    if not strained:
        assert inside == [], inside  # all green: nothing moves while the forecast lasts
    # After the last published hour, the fallback "shed" cuts what may be cut, at midnight.
    after = [change for change in plan.changes if change.at >= forecast.until]
    assert [(c.at, c.channel, c.powered) for c in after] == [
        (forecast.until, 0, False),
        (forecast.until, 1, False),
    ]
    assert after[0].at.astimezone(PARIS).hour == 0


# --- every body, planned by the command -----------------------------------------------------------


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "delestage.toml"
    path.write_text(CONFIG_TOML, encoding="utf-8")
    return path


def _plan_json(
    capsys: pytest.CaptureFixture[str], config_path: Path, forecast: Path, *extra: str
) -> dict[str, object]:
    start = _days(forecast.read_bytes())[0].isoformat()
    arguments = ["--config", str(config_path), "plan", "--forecast", str(forecast)]
    status = main([*arguments, "--from", start, "--json", *extra])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    document: dict[str, object] = json.loads(out)
    return document


@pytest.mark.parametrize("name", ECOWATT)
def test_plan_json_of_every_real_body(
    name: str, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _plan_json(capsys, config_path, BODIES / name)
    last = _days(_read(name))[-1]
    assert document["from"] == _iso(_days(_read(name))[0], 0)
    assert document["until"] == _iso(last + timedelta(days=1), 0)  # ends at midnight
    assert document["initial"] == {"0": True, "1": True, "2": True}
    forecast = parse_signals(_read(name))
    if not any(slot.level >= Level.ORANGE for slot in forecast.slots):
        assert document["changes"] == []


def test_the_autumn_day_as_today_does_not_cut_at_23h(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's reproduction: fallback "shed", an all-green forecast, the autumn day read
    as elapsed hours left 23:00-24:00 uncovered and cut every channel at 23:00."""
    body = BODIES / "ac-2022-10-30-autumn-fetched-0252.json"
    for start in ("2022-10-30T00:00", "2022-10-30T22:00"):
        arguments = ["--config", str(config_path), "plan", "--forecast", str(body)]
        assert main([*arguments, "--from", start, "--json"]) == 0
        document = json.loads(capsys.readouterr().out)
        assert document["changes"] == []
        assert document["until"] == "2022-11-03T00:00:00+01:00"


def test_the_spring_day_as_the_last_ends_at_midnight(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = BODIES / "ac-2023-03-23-spring-as-d3.json"
    document = _plan_json(capsys, config_path, body)
    assert document["until"] == "2023-03-27T00:00:00+02:00"
    # Two hours past the end: the fallback cuts at midnight, not at 01:00 on a day RTE never
    # published.
    document = _plan_json(capsys, config_path, body, "--hours", str(4 * 24 - 1 + 2))
    assert [(c["at"], c["channel"]) for c in document["changes"]] == [  # type: ignore[index, union-attr]
        ("2023-03-27T00:00:00+02:00", 0),
        ("2023-03-27T00:00:00+02:00", 1),
    ]


COMMAND = [sys.executable, "-m", "tui"]
WINDOW = ["--from", "2023-10-29T12:00", "--hours", "13", "--json"]


def test_the_command_as_a_process(config_path: Path) -> None:
    body = BODIES / "ac-2023-10-26-autumn-as-d3.json"
    result = subprocess.run(
        [*COMMAND, "--config", str(config_path), "plan", "--forecast", str(body), *WINDOW],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    assert document["until"] == "2023-10-30T01:00:00+01:00"
    assert [(c["at"], c["powered"]) for c in document["changes"]] == [
        ("2023-10-30T00:00:00+01:00", False),
        ("2023-10-30T00:00:00+01:00", False),
    ]


# --- derived probes: distinct levels written into the real DST bodies ---------------------------


def _rewritten(name: str, levels: dict[int, int], default: int = 1) -> dict[str, object]:
    """The real body with the DST day's levels replaced (by pas), every other hour ``default``."""
    document: dict[str, object] = json.loads(_read(name))
    day, _ = DST[name]
    for entry in document["signals"]:  # type: ignore[attr-defined]
        own = datetime.fromisoformat(entry["jour"]).date() == day
        for value in entry["values"]:
            value["hvalue"] = levels.get(value["pas"], default) if own else default
    return document


@pytest.mark.parametrize("name", sorted(DST))
def test_probe_each_distinct_level_lands_on_its_wall_clock_hour(name: str) -> None:
    day, hours = DST[name]
    levels = {pas: (pas * 5 + 2) % 4 for pas in range(24)}
    forecast = parse_signals(json.dumps(_rewritten(name, levels)))
    for pas in range(24):
        if hours == 23 and pas == 2:
            continue
        for fold in (0, 1) if hours == 25 and pas == 2 else (0,):
            moment = datetime(day.year, day.month, day.day, pas, 30, tzinfo=PARIS, fold=fold)
            assert forecast.level_at(moment.astimezone(UTC)) is Level(levels[pas]), (pas, fold)


def _last(name: str) -> date:
    return _days(_read(name))[-1]


def _red_plan(document: dict[str, object]) -> list[tuple[str, bool]]:
    config = _config()
    forecast: Forecast = parse_signals(json.dumps(document))
    assert forecast.start is not None and forecast.until is not None
    plan = build_plan(forecast, config, forecast.start, forecast.until)
    changes = plan_to_json(plan, config)["changes"]
    return [(c["at"], c["powered"]) for c in changes if c["channel"] == 1]  # type: ignore[attr-defined, index]


SPRING_BODIES = ["ac-2023-03-23-spring-as-d3.json", "ac-2024-03-31-spring-today.json"]
AUTUMN_BODIES = ["ac-2022-10-30-autumn-fetched-0252.json", "ac-2023-10-26-autumn-as-d3.json"]


@pytest.mark.parametrize("name", SPRING_BODIES)
def test_probe_spring_reds_are_cut_at_their_wall_clock_hours(name: str) -> None:
    day, _ = DST[name]
    # Red at 03:00 (pas 3, the first hour of summer time) and at 23:00 (pas 23).
    changes = _red_plan(_rewritten(name, {3: 3, 23: 3}))
    assert changes[:3] == [
        (_iso(day, 1, 45), False),  # 15 minutes before 03:00 CEST is 01:45 CET
        (_iso(day, 4), True),
        (_iso(day, 22, 45), False),
    ]
    # The next midnight is green, or (the spring day as the last) the end of the forecast.
    assert changes[3:] == ([] if _last(name) == day else [(_iso(day + timedelta(days=1), 0), True)])


@pytest.mark.parametrize("name", AUTUMN_BODIES)
def test_probe_autumn_reds_are_cut_at_their_wall_clock_hours(name: str) -> None:
    day, _ = DST[name]
    # pas 2 red covers both 02:00 hours; pas 23 red is 23:00 CET, up to midnight.
    changes = _red_plan(_rewritten(name, {2: 3, 23: 3}))
    assert changes[:3] == [
        (_iso(day, 1, 45), False),
        (_iso(day, 3), True),  # 03:00 CET: two hours of red
        (_iso(day, 22, 45), False),
    ]
    assert changes[3:] == ([] if _last(name) == day else [(_iso(day + timedelta(days=1), 0), True)])
    # pas 3 alone is 03:00 CET, after both 02:00 hours.
    assert _red_plan(_rewritten(name, {3: 3})) == [
        (_iso(day, 2, 45, fold=1), False),
        (_iso(day, 4), True),
    ]


# --- RTE's failed answers given as a file: one line naming the file and what it is -------------


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("ac-err-empty.json", "body: expected JSON, got an empty body"),
        ("ac-err-single-space.json", "body: expected JSON, got a blank body"),
        ("ac-err-502-html.json", "body: expected JSON, got an HTML page (502 Bad Gateway)"),
        (
            "ac-err-ecowatt-common-t05.json",
            'body: expected a JSON object with a "signals" array, got RTE\'s error '
            "ECOWATT_COMMON_T05 (Internal Server Error), not data",
        ),
        (
            "tempo-err-f04-gladys-fixture.json",
            "got RTE's error TMPLIKSUPCON_TMPLIKCAL_F04 (The value of",
        ),
    ],
)
def test_an_error_body_as_the_forecast_is_one_line_and_exit_2(
    name: str, said: str, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = BODIES / name
    status = main(["--config", str(config_path), "plan", "--forecast", str(path)])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith(f"{path}: ") and said in err and err.count("\n") == 1, err


def test_tempos_error_body_as_the_calendar_is_one_line_and_exit_2(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tempo = BODIES / "tempo-err-f04-gladys-fixture.json"
    forecast = BODIES / "ac-2023-02-28-normal.json"
    arguments = ["--config", str(config_path), "plan", "--forecast", str(forecast)]
    status = main([*arguments, "--from", "2023-02-28", "--tempo", str(tempo)])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith(f'{tempo}: body: expected a JSON object with "tempo_like_calendars"')
    assert "TMPLIKSUPCON_TMPLIKCAL_F04" in err and err.count("\n") == 1


def test_a_real_tempo_body_with_its_ecowatt_day_plans_the_red_peaks(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """28 Feb - 2 Mar 2023: Ecowatt all green, Tempo WHITE, RED, RED (both real bodies)."""
    text = config_path.read_text(encoding="utf-8").replace(
        'name = "Radiateurs"\nshed_at = "red"\n',
        'name = "Radiateurs"\nshed_at = "red"\nshed_tempo = ["red"]\n',
    )
    config_path.write_text(
        text.replace('source = "demo"', 'source = "demo"\n\n[tempo]\nsource = "demo"')
    )
    forecast = BODIES / "ac-2023-02-28-normal.json"
    tempo = BODIES / "tempo-esp32-2023-02-28.json"
    arguments = ["--config", str(config_path), "plan", "--forecast", str(forecast)]
    assert main([*arguments, "--from", "2023-02-28", "--tempo", str(tempo), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [(c["at"], c["channel"], c["powered"]) for c in document["changes"]] == [
        ("2023-03-01T05:45:00+01:00", 1, False),
        ("2023-03-01T22:00:00+01:00", 1, True),
        ("2023-03-02T05:45:00+01:00", 1, False),
        ("2023-03-02T22:00:00+01:00", 1, True),
    ]
