"""`delestage plan`: the virtual-clock run, its JSON contract, its text form, and the command."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.policy import CUT, DAY, at, channel, config, levels

import tui.core.plan as plan_module
from tui.adapters.clock import ManualClock
from tui.core.config import Run, ShedAt
from tui.core.forecast import Forecast
from tui.core.plan import Change, build_plan, plan_to_json, render_plan_text
from tui.core.policy import Override, RelayHistory, Rule
from tui.core.signals import forecast_to_body
from tui.frontends.cli import main
from tui.frontends.plan_cmd import run_plan

FOUR_DAYS = levels(("1" * 7 + "0" + "22222" + "1" * 5 + "33" + "1111") * 4)

CONFIG_TOML = """\
[ecowatt]
source = "demo"

[board]
kind = "simulated"

[policy]
lead = "15m"
restore_gap = "60s"

[[channel]]
index = 0
name = "Chauffe-eau"
shed_at = "orange"
run = "low-carbon"

[[channel]]
index = 1
name = "Radiateurs"
shed_at = "red"
priority = 1

[[channel]]
index = 3
name = "Sauna"
shed_at = "orange"
priority = 2
auto_restore = false
"""


def three_channels() -> object:
    return config(
        channel(0, name="Chauffe-eau", run=Run.LOW_CARBON),
        channel(1, name="Radiateurs", shed_at=ShedAt.RED, priority=1),
        channel(3, name="Sauna", priority=2, auto_restore=False),
    )


# --- build_plan -------------------------------------------------------------------------------


def test_a_day_of_changes() -> None:
    plan = build_plan(DAY, three_channels(), at("00:00"), at("00:00", day=2))  # type: ignore[arg-type]
    assert plan.initial == {0: False, 1: True, 3: True}
    assert [(c.at, c.channel, c.powered, c.reason) for c in plan.changes] == [
        (
            at("07:45"),
            3,
            False,
            "orange 08:00-13:00 in 15 min, then latched until an operator releases it",
        ),
        (at("17:45"), 1, False, "red 18:00-20:00 in 15 min"),
        (at("20:00"), 1, True, "green"),
    ]
    assert plan.initial_reasons[0].startswith("green: waiting for a low-carbon hour")


def test_changes_are_in_time_then_channel_order_within_the_horizon() -> None:
    cfg = config(*(channel(i, priority=8 - i) for i in range(8)))
    plan = build_plan(FOUR_DAYS, cfg, at("00:00"), at("00:00", day=5))
    keys = [(c.at, c.channel) for c in plan.changes]
    assert keys == sorted(keys)
    assert all(plan.start <= c.at < plan.end for c in plan.changes)
    # Every cut is followed by a staggered wave: channel 7 (priority 1) first, a minute apart.
    wave = [c for c in plan.changes if c.powered and c.at < at("14:00")]
    assert [(c.at, c.channel) for c in wave] == [
        (at("13:00") + timedelta(minutes=k), 7 - k) for k in range(8)
    ]


def test_the_plan_jumps_from_decision_to_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[datetime] = []
    real = plan_module.evaluate

    def counting(now: datetime, *args: object) -> object:
        calls.append(now)
        return real(now, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_module, "evaluate", counting)
    cfg = config(*(channel(i, priority=i + 1) for i in range(8)))
    plan = build_plan(FOUR_DAYS, cfg, at("00:00"), at("00:00", day=5))
    assert len(plan.changes) > 50
    # Minute by minute would be 5760 evaluations; decision times are a few per hour at most.
    assert len(calls) < 250
    # Once at the start to settle the relays, then strictly forward in time.
    assert calls[1:] == sorted(set(calls[1:])) and calls[0] == calls[1]


def test_a_given_history_is_used_as_it_is() -> None:
    cfg = config(channel(0))
    history = {0: RelayHistory(powered=False, last_off=at("05:59"), switches=(at("05:59"),))}
    plan = build_plan(DAY, cfg, at("06:00"), at("07:00"), history=history)
    assert plan.initial == {0: False}
    assert [(c.at, c.powered) for c in plan.changes] == [(at("06:00"), True)]


def test_overrides_are_played_until_they_expire() -> None:
    cfg = config(channel(0))
    overrides = {0: Override(False, at("05:00"), at("06:30"))}
    plan = build_plan(DAY, cfg, at("06:00"), at("07:00"), overrides=overrides)
    assert plan.initial == {0: False}
    assert [(c.at, c.powered, c.rule) for c in plan.changes] == [(at("06:30"), True, Rule.NORMAL)]


def test_a_latched_channel_stays_cut_to_the_end() -> None:
    cfg = config(channel(0, auto_restore=False))
    plan = build_plan(DAY, cfg, at("00:00"), at("00:00", day=2))
    assert [(c.at, c.powered) for c in plan.changes] == [(at("07:45"), False)]


def test_no_forecast_plans_the_fallback() -> None:
    plan = build_plan(None, config(channel(0)), at("06:00"), at("12:00"))
    assert plan.initial == {0: True} and plan.changes == []


def test_an_empty_horizon() -> None:
    plan = build_plan(DAY, config(), at("06:00"), at("06:00"))
    assert plan.changes == [] and plan.initial == {0: True}


# --- JSON and text ----------------------------------------------------------------------------


def test_json_follows_the_contract_exactly() -> None:
    cfg = three_channels()
    plan = build_plan(DAY, cfg, at("00:00"), at("00:00", day=2))  # type: ignore[arg-type]
    document = plan_to_json(plan, cfg)  # type: ignore[arg-type]
    assert list(document) == ["from", "until", "channels", "initial", "changes"]
    assert document["from"] == "2026-12-01T00:00:00+01:00"
    assert document["until"] == "2026-12-02T00:00:00+01:00"
    assert document["channels"] == [
        {"index": 0, "name": "Chauffe-eau"},
        {"index": 1, "name": "Radiateurs"},
        {"index": 3, "name": "Sauna"},
    ]
    assert document["initial"] == {"0": False, "1": True, "3": True}
    assert document["changes"][0] == {
        "at": "2026-12-01T07:45:00+01:00",
        "channel": 3,
        "powered": False,
        "reason": "orange 08:00-13:00 in 15 min, then latched until an operator releases it",
    }
    assert json.loads(json.dumps(document)) == document


def test_json_times_carry_the_summer_offset() -> None:
    summer = levels(
        "1" * 18 + "3" + "1" * 5, start=datetime(2026, 7, 1, tzinfo=UTC) - timedelta(hours=2)
    )
    cfg = config(channel(0, shed_at=ShedAt.RED))
    start = datetime(2026, 6, 30, 22, tzinfo=UTC)
    document = plan_to_json(build_plan(summer, cfg, start, start + timedelta(days=1)), cfg)
    assert document["from"] == "2026-07-01T00:00:00+02:00"
    assert [c["at"] for c in document["changes"]] == [  # type: ignore[index, union-attr]
        "2026-07-01T17:45:00+02:00",
        "2026-07-01T19:00:00+02:00",
    ]


def test_text_is_a_schedule_per_channel() -> None:
    cfg = three_channels()
    forecast = levels(
        "1100011122222111113311111", start=datetime(2026, 12, 1, tzinfo=UTC) - timedelta(hours=1)
    )
    plan = build_plan(forecast, cfg, at("00:00"), at("00:00", day=2))  # type: ignore[arg-type]
    text = render_plan_text(plan, cfg)  # type: ignore[arg-type]
    lines = text.splitlines()
    assert lines[0].startswith("Plan from Tue 01 Dec 00:00 to Wed 02 Dec 00:00 (Europe/Paris)")
    assert "0 Chauffe-eau (shed at orange, priority 1, runs in low-carbon hours)" in lines
    assert any(" ON " in line and "low-carbon 02:00-05:00" in line for line in lines)
    assert "  Tue 01 Dec 17:45  CUT   red 18:00-20:00 in 15 min" in lines
    assert "  Tue 01 Dec 20:00  ON    green" in lines
    assert "3 Sauna (shed at orange, priority 2, restored by hand)" in lines


def test_text_says_when_nothing_changes() -> None:
    cfg = config(channel(0, shed_at=ShedAt.NEVER))
    text = render_plan_text(build_plan(DAY, cfg, at("00:00"), at("12:00")), cfg)
    assert "no change: ON throughout" in text
    assert "0 relay changes" in text


def test_change_defaults_to_the_normal_rule() -> None:
    assert Change(at("06:00"), 0, True, "green").rule is Rule.NORMAL


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    config_path = tmp_path / "delestage.toml"
    config_path.write_text(CONFIG_TOML, encoding="utf-8")
    forecast_path = tmp_path / "signals.json"
    forecast_path.write_text(json.dumps(forecast_to_body(FOUR_DAYS)), encoding="utf-8")
    return config_path, forecast_path


def test_plan_json_from_a_file(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config_path, forecast_path = files
    args = ["--config", str(config_path), "plan", "--forecast", str(forecast_path)]
    status = main([*args, "--from", "2026-12-01T06:00", "--hours", "12", "--json"])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert document["from"] == "2026-12-01T06:00:00+01:00"
    assert document["until"] == "2026-12-01T18:00:00+01:00"
    assert [c["channel"] for c in document["changes"]] == [0, 0, 3, 1]
    assert document["changes"][-1]["reason"] == "red 18:00-20:00 in 15 min"


def test_plan_defaults_to_the_end_of_the_forecast(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config_path, forecast_path = files
    status = main(
        [
            "plan",
            "--config",
            str(config_path),
            "--forecast",
            str(forecast_path),
            "--json",
            "--from",
            "2026-12-03T12:00:00Z",
        ]
    )
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document["from"] == "2026-12-03T13:00:00+01:00"
    assert document["until"] == "2026-12-05T00:00:00+01:00"


def test_plan_from_now_by_default(files: tuple[Path, Path]) -> None:
    config_path, forecast_path = files
    out = _Out()
    clock = ManualClock(datetime(2026, 12, 2, 5, 17, 42, 123, tzinfo=UTC))
    status = run_plan(str(config_path), str(forecast_path), None, "2", False, out, clock=clock)
    assert status == 0
    assert out.text.startswith("Plan from Wed 02 Dec 06:17 to Wed 02 Dec 08:17 (Europe/Paris)")


def test_plan_from_the_configured_source(files: tuple[Path, Path]) -> None:
    config_path, _ = files
    out, err = _Out(), _Out()
    seen: list[datetime] = []

    async def fetch(cfg: object, now: datetime) -> tuple[Forecast | None, str | None]:
        seen.append(now)
        return FOUR_DAYS, None

    clock = ManualClock(at("06:00"))
    status = run_plan(str(config_path), None, None, None, True, out, err, clock, fetch)
    assert status == 0 and seen == [at("06:00")]
    assert json.loads(out.text)["until"] == "2026-12-05T00:00:00+01:00"


def test_plan_says_why_the_source_gave_nothing(files: tuple[Path, Path]) -> None:
    config_path, _ = files
    out, err = _Out(), _Out()

    async def fetch(cfg: object, now: datetime) -> tuple[Forecast | None, str | None]:
        return None, "RTE quota: one call per 15 minutes"

    status = run_plan(
        str(config_path), None, None, None, False, out, err, ManualClock(at("06:00")), fetch
    )
    assert status == 1 and out.text == ""
    assert err.text == "plan: no forecast from source demo: RTE quota: one call per 15 minutes\n"


BAD_ARGUMENTS = [
    (
        "missing file",
        ["--forecast", "{tmp}/nothing.json"],
        "{tmp}/nothing.json: no such forecast file",
    ),
    ("not JSON", ["--forecast", "{tmp}/garbage.json"], "{tmp}/garbage.json: body: expected JSON"),
    (
        "bad level",
        ["--forecast", "{tmp}/level.json"],
        "{tmp}/level.json: signals[0].values[0].hvalue: expected a level from 0 to 3, got 7",
    ),
    ("a directory", ["--forecast", "{tmp}"], "{tmp}: is a directory"),
    ("bad --from", ["--from", "tomorrow"], "--from: expected a time like 14:30"),
    ("bad --hours", ["--hours", "many"], "--hours: expected a positive number of hours"),
    ("zero --hours", ["--hours", "0"], "--hours: expected a positive number of hours"),
    ("negative --hours", ["--hours", "-3"], "--hours: expected a positive number of hours"),
    ("infinite --hours", ["--hours", "inf"], "--hours: expected a positive number of hours"),
    (
        "after the forecast",
        ["--from", "2027-01-01"],
        "--from: 2027-01-01T00:00:00+01:00 is at or after",
    ),
]


@pytest.mark.parametrize(
    ("extra", "message"),
    [case[1:] for case in BAD_ARGUMENTS],
    ids=[case[0] for case in BAD_ARGUMENTS],
)
def test_bad_input_exits_2_with_one_line(
    files: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    config_path, forecast_path = files
    tmp = config_path.parent
    (tmp / "garbage.json").write_text("{not json", encoding="utf-8")
    body = {"signals": [{"jour": "2026-12-01T00:00:00+01:00", "values": [{"pas": 0, "hvalue": 7}]}]}
    (tmp / "level.json").write_text(json.dumps(body), encoding="utf-8")
    arguments = [part.format(tmp=tmp) for part in extra]
    if "--forecast" not in arguments:
        arguments += ["--forecast", str(forecast_path)]
    status = main(["plan", "--config", str(config_path), *arguments])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(message.format(tmp=tmp))


def test_the_console_script_prints_no_traceback(files: tuple[Path, Path]) -> None:
    config_path, _ = files
    missing = config_path.parent / "absent.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "plan",
            "--config",
            str(config_path),
            "--forecast",
            str(missing),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == f"{missing}: no such forecast file\n"


def test_plan_help_names_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    text = capsys.readouterr().out
    for option in ("--config", "--forecast", "--from", "--hours", "--json"):
        assert option in text


class _Out:
    """A text sink that remembers what was written (run_plan takes any TextIO)."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_cut_history_keeps_its_state_in_the_plan() -> None:
    plan = build_plan(DAY, config(channel(0)), at("09:00"), at("10:00"), history={0: CUT})
    assert plan.initial == {0: False} and plan.changes == []


def test_plan_says_the_power_rule_is_not_planned(files: tuple[Path, Path]) -> None:
    config_path, forecast_path = files
    config_path.write_text(
        config_path.read_text(encoding="utf-8") + '\n[meter]\nsource = "demo"\n',
        encoding="utf-8",
    )
    out = _Out()
    clock = ManualClock(datetime(2026, 12, 2, 5, 17, tzinfo=UTC))
    status = run_plan(str(config_path), str(forecast_path), None, "2", False, out, clock=clock)
    assert status == 0
    assert out.text.splitlines()[1] == (
        "power rule ([meter]): reacts live to the meter, not planned here (it may cut more)"
    )
