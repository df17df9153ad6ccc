"""The comfort rules of issue 25, case by case: min_restore, the daily minimum, rotation groups
(their reasons, their plan, their configuration). The properties are in
test_comfort_properties.py."""

from datetime import datetime, timedelta

import pytest
from support.policy import CUT, POWERED, at, channel, config, decide, levels, on_since

from tui.core.config import Fallback, Run, ShedAt, config_from_dict
from tui.core.daily_run import hm
from tui.core.errors import InputError
from tui.core.forecast import next_paris_midnight
from tui.core.plan import Plan, build_plan, render_plan_text
from tui.core.policy import RelayHistory, Rule, evaluate, record_switch

GREEN_2_DAYS = levels("1" * 48)


# --- min_restore ------------------------------------------------------------------------------


def test_no_restore_the_rules_would_undo_within_min_restore() -> None:
    # Red 18:00-20:00, one green hour, red again 21:00-22:00: a restore at 20:40 would be cut
    # again at 20:45 (the lead), 5 minutes later.
    forecast = levels("1" * 18 + "33" + "1" + "3" + "11")
    cfg = config(channel(0, shed_at=ShedAt.RED), min_restore=timedelta(minutes=10))
    decision = decide(at("20:40"), forecast, cfg, {0: CUT})[0]
    assert decision.wanted and not decision.powered
    assert decision.waiting == (
        "min_restore: not restored for less than 10 min (cut again at 20:45: red 21:00-22:00 "
        "in 15 min)"
    )
    assert decision.wait_until == at("20:45")
    # At 20:30 the restore lasts 15 minutes: it is made.
    assert decide(at("20:30"), forecast, cfg, {0: CUT})[0].powered


def test_min_restore_zero_restores_whatever_comes_next() -> None:
    forecast = levels("1" * 18 + "33" + "1" + "3" + "11")
    cfg = config(channel(0, shed_at=ShedAt.RED), min_restore=timedelta(0))
    assert decide(at("20:40"), forecast, cfg, {0: CUT})[0].powered


def test_a_low_carbon_hour_too_short_to_be_worth_a_restore() -> None:
    # Low-carbon 02:00-03:00 only: at 02:55 a restore would last 5 minutes.
    forecast = levels("11011111")
    cfg = config(channel(0, run=Run.LOW_CARBON), min_restore=timedelta(minutes=10))
    decision = decide(at("02:55"), forecast, cfg, {0: CUT})[0]
    assert not decision.powered and decision.waiting is not None
    assert "cut again at 03:00" in decision.waiting


# --- the daily minimum ------------------------------------------------------------------------


def _water_heater(**fields: object) -> object:
    values: dict[str, object] = {
        "name": "Chauffe-eau",
        "run": Run.LOW_CARBON,
        "shed_at": ShedAt.RED,
        "min_daily_run": timedelta(hours=4),
    }
    values.update(fields)
    return channel(0, **values)


def test_a_forecast_without_low_carbon_hours_runs_the_minimum_off_peak() -> None:
    cfg = config(_water_heater())  # type: ignore[arg-type]
    plan = build_plan(GREEN_2_DAYS, cfg, at("00:00"), at("00:00", day=3))
    assert plan.initial == {0: True}
    assert plan.initial_reasons[0] == "running for its daily minimum: 0h of 4h done"
    # 4 h (and a margin of two restore slots, 3 min) at the start of the off-peak window.
    assert [(c.at, c.powered) for c in plan.changes] == [
        (at("04:03"), False),
        (at("00:00", day=2), True),
        (at("04:03", day=2), False),
    ]
    ons = [c for c in plan.changes if c.powered]
    assert [c.at for c in ons] == [at("00:00", day=2)]
    runs = _powered_per_day(plan, at("00:00"), at("00:00", day=3))
    assert all(timedelta(hours=4) <= ran <= timedelta(hours=4, minutes=5) for ran in runs)


def _powered_per_day(plan: Plan, start: datetime, end: datetime, index: int = 0) -> list[timedelta]:
    """The channel's powered time on each Paris day of [start, end)."""
    state, since, spans = plan.initial[index], plan.start, []
    for change in (c for c in plan.changes if c.channel == index):
        if state:
            spans.append((since, change.at))
        state, since = change.powered, change.at
    if state:
        spans.append((since, plan.end))
    days = []
    low = start
    while low < end:
        high = next_paris_midnight(low)
        days.append(
            sum(
                (min(high, b) - max(low, a) for a, b in spans if min(high, b) > max(low, a)),
                timedelta(0),
            )
        )
        low = high
    return days


def test_the_daily_minimum_prefers_low_carbon_hours_and_says_how_far_it_is() -> None:
    # Low-carbon 13:00-15:00: those two hours first, the other two off-peak (00:00-02:00).
    forecast = levels("1" * 13 + "00" + "1" * 9)
    cfg = config(_water_heater())  # type: ignore[arg-type]
    plan = build_plan(forecast, cfg, at("00:00"), at("00:00", day=2))
    changes = [(c.at, c.powered, c.rule) for c in plan.changes]
    assert changes[0][:2] == (at("02:03"), False)
    assert (at("13:00"), True, Rule.LOW_CARBON) in changes
    # Mid-run, the reason counts what is done.
    item = RelayHistory(powered=True, last_on=at("00:00"), ran_day=None, ran_from=at("00:00"))
    decision = decide(at("01:10"), forecast, cfg, {0: item})[0]
    assert decision.reason == "running for its daily minimum: 1h10 of 4h done"
    assert hm(timedelta(hours=2, minutes=10)) == "2h10"


def test_the_daily_minimum_runs_with_no_forecast_at_all() -> None:
    cfg = config(_water_heater(), fallback=Fallback.SHED)  # type: ignore[arg-type]
    plan = build_plan(None, cfg, at("00:00"), at("00:00", day=3))
    runs = _powered_per_day(plan, at("00:00"), at("00:00", day=3))
    assert all(ran >= timedelta(hours=4) for ran in runs), runs
    ons = [c for c in plan.changes if c.powered]
    assert ons and all(c.reason.startswith("running for its daily minimum: ") for c in ons)


def test_the_daily_minimum_never_runs_in_a_strain_it_is_shed_for() -> None:
    # Red all night until 06:00 (and the lead before it), green after: the off-peak window is
    # strained, so the minimum runs in the first green hours.
    forecast = levels("333333" + "1" * 18)
    cfg = config(_water_heater())  # type: ignore[arg-type]
    plan = build_plan(forecast, cfg, at("00:00"), at("00:00", day=2))
    assert plan.initial == {0: False}
    assert plan.changes[0].at == at("06:00") and plan.changes[0].rule is Rule.DAILY


def test_the_day_run_is_kept_by_each_switch_and_starts_again_at_midnight() -> None:
    item = record_switch(RelayHistory(), True, at("22:00"))
    item = record_switch(item, False, at("23:30"))
    assert item.ran_day is not None and item.ran_day.isoformat() == "2026-12-01"
    assert item.ran == timedelta(hours=1, minutes=30)
    item = record_switch(item, True, at("23:45"))
    item = record_switch(item, False, at("00:20", day=2))
    assert item.ran == timedelta(minutes=20)  # only the part after midnight counts that day


# --- rotation ---------------------------------------------------------------------------------


def _rooms(**policy: object) -> object:
    return config(
        *(channel(i, name=f"room{i}", shed_at=ShedAt.RED, rotate="rooms") for i in range(3)),
        **policy,
    )


def test_a_rotation_group_is_cut_in_turns_through_a_red_evening() -> None:
    forecast = levels("1" * 17 + "3333" + "111")
    cfg = _rooms(lead=timedelta(0), restore_gap=timedelta(0))
    plan = build_plan(forecast, cfg, at("16:00"), at("23:00"))  # type: ignore[arg-type]
    cuts = [(c.at, c.channel) for c in plan.changes if not c.powered]
    assert cuts[:4] == [
        (at("17:00"), 0),
        (at("17:10"), 1),
        (at("17:20"), 2),
        (at("17:30"), 0),
    ]
    assert plan.changes[0].reason == "red 17:00-21:00, its turn in rotation group rooms until 17:10"
    restored = next(c for c in plan.changes if c.powered)
    assert restored.reason == (
        "red 17:00-21:00: powered, rotation group rooms cuts room1 until 17:20"
    )
    text = render_plan_text(plan, cfg)  # type: ignore[arg-type]
    assert "its turn in rotation group rooms" in text
    # One cut at a time, each room about a third of the four hours.
    cut = _cut_minutes(plan)
    assert max(cut.values()) - min(cut.values()) <= 10, cut


def _cut_minutes(plan: Plan) -> dict[int, float]:
    out: dict[int, float] = {}
    for index, powered in plan.initial.items():
        since, state, total = plan.start, powered, timedelta(0)
        for change in (c for c in plan.changes if c.channel == index):
            if not state:
                total += change.at - since
            since, state = change.at, change.powered
        if not state:
            total += plan.end - since
        out[index] = total.total_seconds() / 60
    return out


def test_a_rotation_turn_waits_for_min_on_by_lasting_longer() -> None:
    members = [
        channel(i, shed_at=ShedAt.RED, rotate="g", min_on=timedelta(minutes=25)) for i in range(2)
    ]
    cfg = config(*members, lead=timedelta(0), rotate_every=timedelta(minutes=10))
    history = {0: on_since(at("16:00")), 1: on_since(at("16:00"))}
    evaluation = evaluate(at("17:00"), levels("1" * 17 + "33"), cfg, {}, history)
    cut = [d for d in evaluation.decisions.values() if not d.powered]
    assert len(cut) == 1 and cut[0].ends == at("17:25")  # the turn is min_on long


def test_an_override_takes_a_member_out_of_its_rotation() -> None:
    from tui.core.policy import Override

    cfg = _rooms(lead=timedelta(0))
    forecast = levels("1" * 17 + "3333")
    overrides = {0: Override(True, at("16:00"))}
    decisions = evaluate(at("17:00"), forecast, cfg, overrides, {i: POWERED for i in range(3)})  # type: ignore[arg-type]
    assert decisions.decisions[0].rule is Rule.OVERRIDE
    rotating = [d for d in decisions.decisions.values() if d.rule is Rule.ROTATION]
    assert len(rotating) == 2 and sum(not d.wanted for d in rotating) == 1


# --- configuration ----------------------------------------------------------------------------


def _load(policy: dict[str, object], *channels: dict[str, object]) -> object:
    return config_from_dict({"policy": policy, "channel": list(channels)}, path="home.toml")


def _ch(index: int, **fields: object) -> dict[str, object]:
    return {"index": index, "name": f"c{index}", "shed_at": "red", **fields}


def test_the_comfort_keys_load_with_their_defaults() -> None:
    cfg = _load({}, _ch(0, min_daily_run="4h", rotate="g"), _ch(1, rotate="g"))
    policy = cfg.policy  # type: ignore[attr-defined]
    assert policy.min_restore == timedelta(minutes=10)
    assert policy.rotate_every == timedelta(minutes=10)
    assert policy.rotate_cut == 1
    assert policy.off_peak == "22:00-06:00"
    assert cfg.channels[0].min_daily_run == timedelta(hours=4)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("policy", "channels", "line"),
    [
        (
            {"off_peak": "22h-6h"},
            [_ch(0)],
            'home.toml: policy.off_peak: expected off-peak hours as "HH:MM-HH:MM"',
        ),
        ({"rotate_every": "0s"}, [_ch(0)], "home.toml: policy.rotate_every: expected a duration"),
        ({}, [_ch(0, min_daily_run="25h")], "home.toml: channel[0].min_daily_run: expected"),
        ({}, [_ch(0, rotate="g")], 'home.toml: channel[0].rotate: group "g" has only this'),
        (
            {"rotate_cut": 2},
            [_ch(0, rotate="g"), _ch(1, rotate="g"), _ch(2, rotate="g")],
            'home.toml: policy.rotate_cut: 2 at a time leaves rotation group "g"',
        ),
        (
            {},
            [_ch(0, rotate="g", shed_at="never"), _ch(1, rotate="g")],
            'home.toml: channel[0].rotate: a channel with shed_at = "never"',
        ),
        (
            {},
            [_ch(0, rotate="g", auto_restore=False), _ch(1, rotate="g")],
            "home.toml: channel[0].rotate: a channel with auto_restore = false",
        ),
    ],
)
def test_a_bad_comfort_key_is_one_line_naming_file_and_key(
    policy: dict[str, object], channels: list[dict[str, object]], line: str
) -> None:
    with pytest.raises(InputError) as error:
        _load(policy, *channels)
    assert any(problem.startswith(line) for problem in error.value.problems), error.value


def test_a_strained_winter_week_plan_shows_the_turns_and_the_daily_minimum() -> None:
    # Each day: red 07:00-10:00 and 17:00-20:00, orange between, green at night; no low-carbon
    # hour all week.
    day = "1111111" + "333" + "2222222" + "333" + "1111"
    forecast = levels(day * 7)
    cfg = config(
        _water_heater(),  # type: ignore[arg-type]
        channel(1, name="Salon", shed_at=ShedAt.RED, rotate="chauffage", priority=1),
        channel(2, name="Chambres", shed_at=ShedAt.RED, rotate="chauffage", priority=2),
    )
    plan = build_plan(forecast, cfg, at("00:00"), at("00:00", day=8))
    text = render_plan_text(plan, cfg)
    assert "(shed at red, priority 1, runs in low-carbon hours, at least 4h a day)" in text
    assert "its turn in rotation group chauffage" in text
    assert "running for its daily minimum" in text
    runs = _powered_per_day(plan, at("00:00"), at("00:00", day=8))
    assert len(runs) == 7 and all(ran >= timedelta(hours=4) for ran in runs), runs
    # Through each red spell one radiator group member is cut at a time, in turns.
    red_cuts = [c for c in plan.changes if c.channel in (1, 2) and not c.powered]
    assert len(red_cuts) >= 7 * 2 * 9  # two red spells a day, 3 h each, in turns of 10 min


def test_a_member_whose_turn_ends_is_restored_even_if_it_ran_longer_today() -> None:
    # Salon was powered all day, Chambres cut since 05:45 (Tempo): when Salon's first turn
    # ends, the turn passes to Chambres, however longer Salon ran today.
    members = [
        channel(1, name="Salon", shed_at=ShedAt.RED, rotate="g"),
        channel(2, name="Chambres", shed_at=ShedAt.RED, rotate="g"),
    ]
    cfg = config(*members, lead=timedelta(0))
    salon = record_switch(record_switch(RelayHistory(), True, at("00:00")), False, at("09:00"))
    chambres = record_switch(record_switch(RelayHistory(), True, at("00:00")), False, at("05:45"))
    chambres = record_switch(chambres, True, at("09:00"))
    forecast = levels("1" * 9 + "33" + "1")
    decisions = evaluate(at("09:10"), forecast, cfg, {}, {1: salon, 2: chambres}).decisions
    assert decisions[1].wanted and decisions[1].rule is Rule.ROTATION
    assert not decisions[2].wanted
