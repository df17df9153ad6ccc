"""Issue 13: every view (check, plan, status, the policy's words) tells the truth, the same way."""

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from support.policy import DAY, at, channel, config, decide, levels
from support.signals import body, day_entry

from tui.adapters.clock import ManualClock
from tui.adapters.stores.state import StateStore
from tui.core.config import Fallback, ShedAt
from tui.core.errors import InputError
from tui.core.events import parse_event
from tui.core.forecast import PARIS, Level, Period, clock_time
from tui.core.policy import Override, RelayHistory
from tui.core.signals import forecast_to_body, parse_signals
from tui.frontends.check import run_check
from tui.frontends.control_cmds import render_status
from tui.frontends.plan_cmd import run_plan
from tui.service.snapshot import BoardView, ChannelView, ForecastView, Snapshot

# -- 11: "never" means no automatic rule cuts it, the fallback included -------------------------


def test_fallback_shed_never_cuts_a_channel_never_shed() -> None:
    cfg = config(channel(0), channel(1, shed_at=ShedAt.NEVER), fallback=Fallback.SHED)
    empty = levels("")
    decisions = decide(at("10:00"), empty, cfg, {0: RelayHistory(True), 1: RelayHistory(True)})
    assert decisions[0].powered is False
    assert decisions[1].powered is True
    assert decisions[1].reason == "no forecast: fallback powered, never shed"


# -- 12: a jour that is not local midnight is refused -------------------------------------------


@pytest.mark.parametrize("jour", ["2024-11-21T06:00:00+01:00", "2024-11-21T00:00:00+00:00"])
def test_a_jour_that_is_not_local_midnight_is_refused(jour: str) -> None:
    entry = day_entry(date(2024, 11, 21), [1] * 24)
    entry["jour"] = jour
    with pytest.raises(InputError) as raised:
        parse_signals(body(entry))
    (line,) = raised.value.problems
    assert line.startswith("signals[0].jour: expected local midnight (Europe/Paris)")
    assert jour in line


# -- 10: each level over its own span; whole days; the repeated autumn hour ----------------------


def test_a_red_core_inside_orange_is_named_with_its_own_span() -> None:
    period = DAY.next_strained(at("06:00"))
    assert period is not None
    assert period.describe() == "orange 08:00-13:00"
    mixed = levels("11111111" + "22" + "33" + "2" + "1" * 11)
    described = mixed.next_strained(at("06:00"))
    assert described is not None
    assert described.describe() == "orange 08:00-13:00, red 10:00-12:00"


def test_a_whole_red_day_ends_at_24_00() -> None:
    whole = levels("3" * 24)
    period = whole.next_strained(at("00:00"))
    assert period is not None and period.describe() == "red 00:00-24:00"
    two = levels("3" * 48).next_strained(at("00:00"))
    assert two is not None and two.describe() == "red 00:00-Thu 03 Dec 00:00"


def test_the_two_2_oclock_hours_of_the_autumn_day_differ() -> None:
    first = datetime(2026, 10, 25, 0, tzinfo=UTC)  # 02:00 CEST
    second = datetime(2026, 10, 25, 1, tzinfo=UTC)  # 02:00 CET
    one = Period(first, first + timedelta(hours=1), Level.RED)
    two = Period(second, second + timedelta(hours=1), Level.RED)
    assert one.describe() != two.describe()
    assert one.describe() == "red 02:00 CEST-02:00 CET"
    assert two.describe() == "red 02:00 CET-03:00"
    assert clock_time(first) == "02:00 CEST"
    assert clock_time(datetime(2026, 10, 25, 3, tzinfo=UTC)) == "04:00"


def test_the_policy_reason_names_each_level() -> None:
    mixed = levels("11111111" + "22" + "33" + "2" + "1" * 11)
    decision = decide(at("10:30"), mixed, config(channel(0)), {0: RelayHistory(True)})[0]
    assert decision.reason == "orange 08:00-13:00, red 10:00-12:00"


# -- 4: check fails a forecast that does not cover now ------------------------------------------


def write_config(tmp_path: Path, ecowatt: str) -> Path:
    path = tmp_path / "delestage.toml"
    path.write_text(
        f'[ecowatt]\n{ecowatt}\n[board]\nkind = "simulated"\n'
        f'[service]\nstate_dir = "{tmp_path / "state"}"\n'
        '[[channel]]\nindex = 0\nname = "x"\nshed_at = "orange"\n'
    )
    return path


def test_check_fails_a_file_forecast_that_ended_long_ago(tmp_path: Path) -> None:
    old = tmp_path / "signals.json"
    old.write_text(
        json.dumps(forecast_to_body(levels("1" * 96, datetime(2022, 6, 1, tzinfo=PARIS))))
    )
    out = io.StringIO()
    assert (
        run_check(str(write_config(tmp_path, 'source = "file"\nfile = "' + str(old) + '"')), out)
        == 1
    )
    line = next(line for line in out.getvalue().splitlines() if line.startswith("forecast"))
    assert line.startswith("forecast  FAIL  file ")
    assert "does not cover now" in line and "it ended Sun 05 Jun 2022 00:00" in line


def test_check_passes_the_demo_forecast(tmp_path: Path) -> None:
    out = io.StringIO()
    run_check(str(write_config(tmp_path, 'source = "demo"')), out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("forecast"))
    assert line.startswith("forecast  ok    demo:")


# -- 8: plan starts from the live state; --fresh ignores it ---------------------------------------


PLAN_TOML = """\
[ecowatt]
source = "demo"
[board]
kind = "simulated"
[service]
state_dir = "{state}"
[[channel]]
index = 0
name = "Radiateurs"
shed_at = "red"
"""


def _plan_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A state directory, a configuration of one channel shed at red, the red day's forecast."""
    state = tmp_path / "state"
    state.mkdir()
    config_path = tmp_path / "delestage.toml"
    config_path.write_text(PLAN_TOML.format(state=state))
    forecast_path = tmp_path / "signals.json"
    forecast_path.write_text(json.dumps(forecast_to_body(DAY)))
    return state, config_path, forecast_path


def test_plan_starts_from_a_force_made_during_red(tmp_path: Path) -> None:
    state, config_path, forecast_path = _plan_files(tmp_path)
    now = at("18:30")  # red 18:00-20:00
    forced = Override(powered=True, since=now, until=at("19:30"))
    history = RelayHistory(powered=True, last_on=now, switches=(now,))
    StateStore(state).save({0: forced}, {0: history})

    def plan(*extra: bool, as_json: bool = False) -> str:
        out = io.StringIO()
        run_plan(
            str(config_path), str(forecast_path), None, "3", as_json, out,
            clock=ManualClock(now), fresh=bool(extra),
        )  # fmt: skip
        return out.getvalue()

    live = json.loads(plan(as_json=True))
    assert live["initial"] == {"0": True}
    assert [(c["at"], c["powered"]) for c in live["changes"]] == [
        ("2026-12-01T19:30:00+01:00", False),  # the override ends inside the red hour
        ("2026-12-01T20:00:00+01:00", True),
    ]
    text = plan()
    assert "Starting state: live: the state saved in" in text and "1 override" in text
    assert "at start          ON" in text
    fresh = plan(True)
    assert "Starting state: fresh: saved state ignored (--fresh)" in fresh
    assert "at start          CUT" in fresh


def test_a_switch_seconds_ago_is_the_plans_start_not_a_time_from_the_future(
    tmp_path: Path,
) -> None:
    """`plan` right after the service switched a relay (a UI force, then `plan` in the same
    minute): the switch is the live state's, not "switch times after now ... taken as now"
    (the plan once started at the minute's start, before the switch)."""
    state, config_path, forecast_path = _plan_files(tmp_path)
    now = at("18:30") + timedelta(seconds=40)
    switched = now - timedelta(seconds=10)
    StateStore(state).save({}, {0: RelayHistory(powered=False, last_off=switched)})
    out = io.StringIO()
    run_plan(str(config_path), str(forecast_path), None, "3", False, out, clock=ManualClock(now))
    text = out.getvalue()
    assert text.startswith("Plan from Tue 01 Dec 18:30 to Tue 01 Dec 21:30"), text
    assert "from the future" not in text and "taken as now" not in text, text
    assert "at start          CUT" in text


def test_plan_with_nothing_saved_starts_from_the_relays_as_the_board_leaves_them(
    tmp_path: Path,
) -> None:
    """DESIGN: with no live state (or --fresh) every relay is as the board leaves it on attach:
    released, so a `no` load starts CUT and is restored, an `nc` load starts ON."""
    state = tmp_path / "state"
    config_path = tmp_path / "delestage.toml"
    config_path.write_text(
        PLAN_TOML.format(state=state)
        + '[[channel]]\nindex = 1\nname = "Chauffage"\nwiring = "nc"\nshed_at = "red"\n'
    )
    forecast_path = tmp_path / "signals.json"
    forecast_path.write_text(json.dumps(forecast_to_body(DAY)))
    now = at("14:00")  # green until 18:00
    for fresh in (False, True):
        out = io.StringIO()
        run_plan(
            str(config_path), str(forecast_path), None, "2", True, out,
            clock=ManualClock(now), fresh=fresh,
        )  # fmt: skip
        plan = json.loads(out.getvalue())
        assert plan["initial"] == {"0": False, "1": True}
        assert (plan["changes"][0]["channel"], plan["changes"][0]["powered"]) == (0, True)
        assert plan["changes"][0]["at"] <= "2026-12-01T14:05:00+01:00"
    text = io.StringIO()
    run_plan(str(config_path), str(forecast_path), None, "2", False, text, clock=ManualClock(now))
    assert "as the board leaves it on attach" in text.getvalue()


# -- 9: status says the day of an expiry and the wait, in text and JSON ---------------------------


def status_snapshot() -> Snapshot:
    now = at("22:00")
    forced = ChannelView(
        index=1, name="Radiateurs", wiring="nc", powered=False, wanted=True, mode="forced",
        until=at("08:00", day=2), rule="override", reason="forced on by operator",
        waiting="min_off until 22:10", forced_powered=True,
    )  # fmt: skip
    return Snapshot(
        mode="live", pid=7, now=now, level=1,
        board=BoardView(kind="phidget", attached=True),
        forecast=ForecastView(source="rte", covers_now=True, until=at("00:00", day=5)),
        channels=(forced,),
    )  # fmt: skip


def test_status_text_and_json_carry_the_same_facts() -> None:
    snapshot = status_snapshot()
    text = render_status(snapshot)
    row = text.splitlines()[-1]
    assert "FORCED ON until Wed 02 Dec 08:00" in row
    assert "CUT" in row and "[waiting: min_off until 22:10]" in row
    document = snapshot.to_status()["channels"][0]
    assert document["waiting"] == "min_off until 22:10"
    assert document["forced_powered"] is True
    assert document["until"] == "2026-12-02T08:00:00+01:00"


# -- 5: init writes a commented starter that follows docs/going-live.md's wiring advice ----------


@pytest.mark.phidget_lib
def test_init_writes_a_commented_starter_with_heating_on_nc(tmp_path: Path) -> None:
    from tui.adapters.config_file import load_config
    from tui.frontends.init import run_init

    path = tmp_path / "delestage.toml"
    assert run_init(str(path), False, io.StringIO()) == 0
    text = path.read_text()
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 15
    assert "heating in winter" in text
    config = load_config(path)
    heating = [c for c in config.channels if c.name.startswith("Radiateurs")]
    assert heating and all(c.wiring.value == "nc" for c in heating)
    assert config.ecowatt.source.value == "rte" and config.board.kind.value == "phidget"


# -- 21: one vocabulary and one date style -------------------------------------------------------


def test_every_view_words_an_override_and_a_date_the_same_way() -> None:
    import re

    from tui.frontends.app.relays import render_grid
    from tui.frontends.event_text import event_summary

    snapshot = status_snapshot()
    status = render_status(snapshot)
    grid = render_grid(snapshot.channels, None, snapshot.now, 118).plain
    event = {
        "ts": "2026-12-01T22:00:00+01:00",
        "kind": "relay",
        "channel": 1,
        "name": "Radiateurs",
        "powered": False,
        "reason": "forced cut by operator until Wed 02 Dec 08:00",
    }
    for text in (status, grid):
        assert "FORCED ON" in text and "until Wed 02 Dec 08:00" in text
        assert re.search(r"\b\d{2}/\d{2}\b", text) is None  # no 27/11 style anywhere
    assert (
        event_summary(parse_event(event))
        == "Radiateurs: CUT (forced cut by operator until Wed 02 Dec 08:00)"
    )
    assert "powered" not in status.split("\n")[-1].split("FORCED")[0]
