"""The Tempo part of rule 2: examples on day boundaries and daylight-saving days, and
`delestage plan --tempo FILE --forecast FILE` end to end."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from support.policy import at, channel, config, levels

from tui.core.config import ShedAt
from tui.core.forecast import PARIS
from tui.core.plan import build_plan
from tui.core.policy import Override, RelayHistory, Rule, evaluate
from tui.core.signals import forecast_to_body
from tui.core.tempo import Colour, TempoCalendar, TempoDay
from tui.core.tempo_body import calendar_to_body
from tui.frontends.cli import main

RED, WHITE, BLUE = Colour.RED, Colour.WHITE, Colour.BLUE


def calendar(first: date, *colours: Colour | None) -> TempoCalendar:
    return TempoCalendar(
        tuple(TempoDay(first + timedelta(days=i), c) for i, c in enumerate(colours))
    )


def green(start: datetime, days: int = 3) -> object:
    """All-green Ecowatt hours from ``start`` (elapsed hours: right on DST days)."""
    hours = int((start + timedelta(days=days) - start).total_seconds() // 3600)
    return levels("1" * hours, start)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)


# 30 Nov blue, 1 Dec red, 2 Dec white, 3 Dec unknown.
WEEK = calendar(date(2026, 11, 30), BLUE, RED, WHITE, None)
FORECAST = green(midnight(date(2026, 11, 30)), 4)
CHANNELS = (
    channel(0, name="Chauffe-eau", shed_tempo=(RED,), priority=3),
    channel(1, name="Borne VE", shed_tempo=(RED, WHITE), priority=2),
    channel(2, name="Frigo", priority=1),
)
CONFIG = config(*CHANNELS)


def decide(now: datetime, tempo: TempoCalendar | None = WEEK, cfg: object = CONFIG) -> dict:
    history = {ch.index: RelayHistory(powered=True) for ch in cfg.channels}  # type: ignore[attr-defined]
    return evaluate(now, FORECAST, cfg, {}, history, tempo).decisions  # type: ignore[arg-type]


def test_a_red_days_peak_cuts_the_channels_that_list_red() -> None:
    decisions = decide(at("12:00"))
    assert decisions[0].powered is False and decisions[0].rule is Rule.SHED
    assert decisions[0].reason == "Tempo red, peak 06:00-22:00"
    assert decisions[1].powered is False
    assert decisions[2].powered is True  # no shed_tempo: left alone


def test_a_white_days_peak_cuts_only_the_channels_that_list_white() -> None:
    decisions = decide(at("12:00", day=2))
    assert decisions[0].powered is True
    assert decisions[1].powered is False
    assert decisions[1].reason == "Tempo white, peak 06:00-22:00"


@pytest.mark.parametrize(
    ("when", "cut", "reason"),
    [
        (at("05:44"), False, None),  # before 06:00 - lead: the night of the day before
        (at("05:45"), True, "Tempo red, peak 06:00-22:00 in 15 min"),
        (at("05:50"), True, "Tempo red, peak 06:00-22:00 in 10 min"),
        (at("21:59"), True, "Tempo red, peak 06:00-22:00"),
        (at("22:00"), False, None),  # off-peak hours of the red day
        (at("03:00", day=2), False, None),  # 00:00-06:00 on the 2nd: still the red day, off-peak
    ],
)
def test_the_day_boundaries(when: datetime, cut: bool, reason: str | None) -> None:
    decision = decide(when)[0]
    assert decision.powered is not cut
    if reason is not None:
        assert decision.reason == reason


def test_the_night_before_a_red_day_belongs_to_the_blue_day() -> None:
    # 1 Dec 05:00 is in the Tempo day of 30 Nov (blue); with a lead that reaches 06:00 the red
    # peak ahead cuts, without it nothing does.
    assert decide(at("05:00"))[0].powered is True
    long_lead = config(*CHANNELS, lead=timedelta(hours=1))
    assert decide(at("05:00"), cfg=long_lead)[0].powered is False


def test_unknown_colours_never_shed() -> None:
    unknown = calendar(date(2026, 11, 30), None, None, None)
    assert all(d.powered for d in decide(at("12:00"), tempo=unknown).values())
    # 3 Dec is unknown in WEEK: nothing cut in its peak hours.
    assert all(d.powered for d in decide(at("12:00", day=3)).values())
    assert all(d.powered for d in decide(at("12:00"), tempo=None).values())


def test_shed_at_never_is_never_cut_by_tempo() -> None:
    never = config(channel(0, shed_at=ShedAt.NEVER, shed_tempo=(RED,)))
    assert decide(at("12:00"), cfg=never)[0].powered is True


def test_an_operator_override_wins_over_tempo() -> None:
    history = {0: RelayHistory(powered=True)}
    forced = {0: Override(powered=True, since=at("11:00"))}
    cfg = config(CHANNELS[0])
    decision = evaluate(at("12:00"), FORECAST, cfg, forced, history, WEEK).decisions[0]
    assert decision.powered is True and decision.rule is Rule.OVERRIDE


def test_auto_restore_off_keeps_the_channel_cut_after_the_peak() -> None:
    cfg = config(channel(0, shed_tempo=(RED,), auto_restore=False))
    plan = build_plan(FORECAST, cfg, at("00:00"), at("12:00", day=2), tempo=WEEK)  # type: ignore[arg-type]
    assert [(c.at, c.powered) for c in plan.changes] == [(at("05:45"), False)]


def test_a_restore_that_could_not_be_undone_before_the_peak_is_held_off() -> None:
    # Ecowatt orange 03:00-05:00 on the red day; min_on 2 h: powered at 05:00 it could not be
    # cut before 07:00, an hour into the red peak. It waits for the Tempo cut instead.
    strained = levels("111" + "22" + "1" * 91, midnight(date(2026, 12, 1)))
    cfg = config(channel(0, shed_tempo=(RED,), min_on=timedelta(hours=2)))
    plan = build_plan(strained, cfg, at("00:00"), at("23:00"), tempo=WEEK)  # type: ignore[arg-type]
    assert [(c.at, c.powered) for c in plan.changes] == [(at("02:45"), False), (at("22:00"), True)]
    history = {0: RelayHistory(powered=False, last_off=at("02:45"))}
    decision = evaluate(at("05:00"), strained, cfg, {}, history, WEEK).decisions[0]  # type: ignore[arg-type]
    assert decision.powered is False and decision.wanted is True
    assert decision.waiting == "held off before Tempo red, peak 06:00-22:00 until 05:45"


@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 28), date(2026, 3, 29), date(2026, 10, 24), date(2026, 10, 25)],
    ids=["before-spring", "spring", "before-autumn", "autumn"],
)
def test_daylight_saving_days_cut_at_local_times(day: date) -> None:
    tempo = calendar(day - timedelta(days=1), BLUE, RED, BLUE)
    start = midnight(day - timedelta(days=1))
    cfg = config(channel(0, shed_tempo=(RED,)))
    plan = build_plan(green(start), cfg, start, start + timedelta(days=3), tempo=tempo)  # type: ignore[arg-type]
    local = [(c.at.astimezone(PARIS).strftime("%d %H:%M"), c.powered) for c in plan.changes]
    assert local == [(f"{day:%d} 05:45", False), (f"{day:%d} 22:00", True)]


def test_next_due_lands_on_the_tempo_edges() -> None:
    history = {ch.index: RelayHistory(powered=True) for ch in CONFIG.channels}
    due = evaluate(at("00:30"), FORECAST, CONFIG, {}, history, WEEK).next_due
    assert due == at("05:45")
    cut = {0: RelayHistory(powered=False), 1: RelayHistory(powered=False), 2: history[2]}
    due = evaluate(at("12:00"), FORECAST, CONFIG, {}, cut, WEEK).next_due
    assert due == at("21:45")  # the lead window leaves the peak at 21:45, the peak at 22:00


# --- the command --------------------------------------------------------------------------------

CONFIG_TOML = """\
[ecowatt]
source = "demo"

[board]
kind = "simulated"

[policy]
lead = "15m"
restore_gap = "60s"

[tempo]
source = "demo"

[[channel]]
index = 0
name = "Chauffe-eau"
shed_at = "orange"
priority = 3
shed_tempo = ["red"]

[[channel]]
index = 1
name = "Borne VE"
shed_at = "orange"
priority = 2
shed_tempo = ["red"]

[[channel]]
index = 2
name = "Seche-linge"
shed_at = "orange"
priority = 4
shed_tempo = ["white"]

[[channel]]
index = 3
name = "Frigo"
shed_at = "red"
priority = 1
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    config_path = tmp_path / "delestage.toml"
    config_path.write_text(CONFIG_TOML, encoding="utf-8")
    forecast_path = tmp_path / "signals.json"
    forecast_path.write_text(json.dumps(forecast_to_body(FORECAST)), encoding="utf-8")  # type: ignore[arg-type]
    tempo_path = tmp_path / "tempo.json"
    tempo_path.write_text(json.dumps(calendar_to_body(WEEK)), encoding="utf-8")
    return config_path, forecast_path, tempo_path


def _args(files: tuple[Path, Path, Path], *extra: str) -> list[str]:
    config_path, forecast_path, tempo_path = files
    return [
        *("plan", "--config", str(config_path), "--forecast", str(forecast_path)),
        *("--tempo", str(tempo_path), *extra),
    ]


def _plan(files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = main(_args(files, *extra))
    assert code == 0
    return capsys.readouterr().out


def test_plan_cuts_red_channels_on_a_red_day_and_restores_them_staggered(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _plan(files, capsys, "--from", "2026-12-01T00:00", "--hours", "24", "--json")
    changes = [(c["at"], c["channel"], c["powered"]) for c in json.loads(out)["changes"]]
    assert changes == [
        ("2026-12-01T05:45:00+01:00", 0, False),
        ("2026-12-01T05:45:00+01:00", 1, False),
        ("2026-12-01T22:00:00+01:00", 1, True),  # priority 2 before priority 3
        ("2026-12-01T22:01:00+01:00", 0, True),
    ]
    reasons = {c["reason"] for c in json.loads(out)["changes"] if not c["powered"]}
    assert reasons == {"Tempo red, peak 06:00-22:00 in 15 min"}


def test_plan_cuts_white_channels_on_a_white_day(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _plan(files, capsys, "--from", "2026-12-02T00:00", "--hours", "24", "--json")
    changes = [(c["at"], c["channel"], c["powered"]) for c in json.loads(out)["changes"]]
    assert changes == [
        ("2026-12-02T05:45:00+01:00", 2, False),
        ("2026-12-02T22:00:00+01:00", 2, True),
    ]


def test_plan_text_names_the_tempo_days(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _plan(files, capsys, "--from", "2026-12-01T12:00", "--hours", "48")
    assert out.splitlines()[1] == "Tempo: Tue 01 red, Wed 02 white, Thu 03 not published yet"
    assert "Tempo red, peak 06:00-22:00" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"tempo_like_calendars": {"values": [{"value": "RED"}]}}', "values[0].start_date"),
        ("not json", "body: expected JSON"),
    ],
)
def test_a_bad_tempo_file_is_one_line_and_status_2(
    files: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    content: str,
    expected: str,
) -> None:
    tempo_path = files[2]
    tempo_path.write_text(content, encoding="utf-8")
    # From within the forecast: "now" (the default) is past it from 4 December 2026 on.
    code = main(_args(files, "--from", "2026-12-01T12:00"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"{tempo_path}: ") and expected in err
