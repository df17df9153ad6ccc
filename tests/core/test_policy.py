"""The shedding policy, rule by rule and constraint by constraint, and their interactions.

Times are written in Paris wall-clock time and turned into UTC instants by ``at``; forecasts
are strings of one level a character (``levels``). The builders are in
tests/support/policy.py.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from support.policy import (
    CUT,
    DAY,
    LOW,
    POWERED,
    at,
    channel,
    config,
    decide,
    levels,
    off_since,
    on_since,
)

from tui.core.config import Fallback, Run, ShedAt
from tui.core.forecast import PARIS, Forecast
from tui.core.plan import build_plan
from tui.core.policy import (
    RATE_LIMIT,
    Override,
    RelayHistory,
    Rule,
    evaluate,
    record_switch,
)
from tui.core.signals import parse_signals

# --- the rules --------------------------------------------------------------------------------

RULE_CASES = [
    # id, forecast, channel fields, now, current state -> powered, rule, reason
    ("green", DAY, {}, at("06:00"), POWERED, True, Rule.NORMAL, "green, no strain until 08:00"),
    (
        "green red-channel",
        DAY,
        {"shed_at": ShedAt.RED},
        at("06:00"),
        POWERED,
        True,
        Rule.NORMAL,
        "green, no strain until 18:00",
    ),
    (
        "never shed",
        DAY,
        {"shed_at": ShedAt.NEVER},
        at("18:30"),
        POWERED,
        True,
        Rule.NORMAL,
        "red, never shed",
    ),
    ("orange", DAY, {}, at("09:00"), POWERED, False, Rule.SHED, "orange 08:00-13:00"),
    (
        "lead point",
        DAY,
        {},
        at("07:45"),
        POWERED,
        False,
        Rule.SHED,
        "orange 08:00-13:00 in 15 min",
    ),
    ("before lead", DAY, {}, at("07:44:59"), POWERED, True, Rule.NORMAL, None),
    (
        "red channel in orange",
        DAY,
        {"shed_at": ShedAt.RED},
        at("09:00"),
        POWERED,
        True,
        Rule.NORMAL,
        "orange, no strain until 18:00",
    ),
    (
        "red channel in red",
        DAY,
        {"shed_at": ShedAt.RED},
        at("18:30"),
        POWERED,
        False,
        Rule.SHED,
        "red 18:00-20:00",
    ),
    ("orange channel in red", DAY, {}, at("19:59"), POWERED, False, Rule.SHED, "red 18:00-20:00"),
    (
        "strain ended",
        DAY,
        {},
        at("13:00"),
        CUT,
        True,
        Rule.NORMAL,
        "green, no strain until 18:00",
    ),
    (
        "low-carbon hour",
        LOW,
        {"run": Run.LOW_CARBON},
        at("03:00"),
        POWERED,
        True,
        Rule.LOW_CARBON,
        "low-carbon 02:00-05:00",
    ),
    (
        "low-carbon waits",
        LOW,
        {"run": Run.LOW_CARBON},
        at("06:00"),
        POWERED,
        False,
        Rule.LOW_CARBON,
        "green: waiting for a low-carbon hour (next at 22:00)",
    ),
    (
        "low-carbon unknown hour",
        LOW,
        {"run": Run.LOW_CARBON},
        at("21:30"),
        CUT,
        False,
        Rule.LOW_CARBON,
        "level unknown: waiting for a low-carbon hour (next at 22:00)",
    ),
    (
        "low-carbon none ahead",
        DAY,
        {"run": Run.LOW_CARBON},
        at("06:00"),
        CUT,
        False,
        Rule.LOW_CARBON,
        "green: waiting for a low-carbon hour (none in the forecast)",
    ),
    (
        "low-carbon shed first",
        LOW,
        {"run": Run.LOW_CARBON},
        at("09:00"),
        CUT,
        False,
        Rule.SHED,
        "orange 08:00-13:00, then waiting for a low-carbon hour (22:00)",
    ),
    (
        "low-carbon never shed",
        LOW,
        {"run": Run.LOW_CARBON, "shed_at": ShedAt.NEVER},
        at("18:30"),
        CUT,
        False,
        Rule.LOW_CARBON,
        "red: waiting for a low-carbon hour (next at 22:00)",
    ),
    (
        "fallback in a gap",
        LOW,
        {},
        at("21:30"),
        POWERED,
        True,
        Rule.FALLBACK,
        "no forecast since 21:00: fallback powered",
    ),
    (
        "fallback without forecast",
        None,
        {},
        at("21:30"),
        CUT,
        True,
        Rule.FALLBACK,
        "no forecast: fallback powered",
    ),
    (
        "fallback after the end",
        DAY,
        {},
        at("01:00", day=2),
        POWERED,
        True,
        Rule.FALLBACK,
        "no forecast since 00:00: fallback powered",
    ),
    (
        "fallback before the start",
        DAY,
        {},
        at("23:00", day=30, month=11),
        POWERED,
        True,
        Rule.FALLBACK,
        "no forecast before Tue 01 Dec 00:00: fallback powered",
    ),
]


@pytest.mark.parametrize(
    ("forecast", "fields", "now", "item", "powered", "rule", "reason"),
    [case[1:] for case in RULE_CASES],
    ids=[case[0] for case in RULE_CASES],
)
def test_rules(
    forecast: Forecast | None,
    fields: dict[str, object],
    now: datetime,
    item: RelayHistory,
    powered: bool,
    rule: Rule,
    reason: str | None,
) -> None:
    decision = decide(now, forecast, config(channel(**fields)), {0: item})[0]
    assert (decision.wanted, decision.rule) == (powered, rule)
    assert decision.powered is powered  # no constraint in these cases
    assert decision.waiting is None
    if reason is not None:
        assert decision.reason == reason


def test_fallback_shed_cuts() -> None:
    decision = decide(at("21:30"), LOW, config(fallback=Fallback.SHED), {0: POWERED})[0]
    assert (decision.powered, decision.rule) == (False, Rule.FALLBACK)
    assert decision.reason == "no forecast since 21:00: fallback cut"


def test_lead_zero_cuts_exactly_at_the_hour() -> None:
    cfg = config(lead=timedelta(0))
    assert decide(at("07:59:59"), DAY, cfg, {0: POWERED})[0].powered is True
    assert decide(at("08:00"), DAY, cfg, {0: POWERED})[0].reason == "orange 08:00-13:00"


def test_long_lead_reads_in_hours() -> None:
    cfg = config(lead=timedelta(minutes=90))
    decision = decide(at("06:30"), DAY, cfg, {0: POWERED})[0]
    assert decision.reason == "orange 08:00-13:00 in 1 h 30"


# --- overrides --------------------------------------------------------------------------------

OVERRIDE_CASES = [
    # id, override, now, current -> powered, rule, reason
    (
        "forced powered in red",
        Override(True, at("18:00"), at("18:30")),
        at("18:10"),
        CUT,
        True,
        Rule.OVERRIDE,
        "forced on by operator until 18:30",
    ),
    (
        "forced cut until released",
        Override(False, at("06:00")),
        at("06:10"),
        POWERED,
        False,
        Rule.OVERRIDE,
        "forced cut by operator until released",
    ),
    (
        "until tomorrow",
        Override(False, at("20:00"), at("06:00", day=2)),
        at("21:00"),
        CUT,
        False,
        Rule.OVERRIDE,
        "forced cut by operator until Wed 02 Dec 06:00",
    ),
    (
        "expired",
        Override(True, at("18:00"), at("18:10")),
        at("18:10"),
        CUT,
        False,
        Rule.SHED,
        "red 18:00-20:00",
    ),
]


@pytest.mark.parametrize(
    ("override", "now", "item", "powered", "rule", "reason"),
    [case[1:] for case in OVERRIDE_CASES],
    ids=[case[0] for case in OVERRIDE_CASES],
)
def test_overrides(
    override: Override,
    now: datetime,
    item: RelayHistory,
    powered: bool,
    rule: Rule,
    reason: str,
) -> None:
    decision = decide(now, DAY, config(), {0: item}, {0: override})[0]
    assert (decision.powered, decision.rule, decision.reason) == (powered, rule, reason)


def test_override_expiry_moves_the_relay_only_if_automatic_differs() -> None:
    cfg = config()
    forced = {0: Override(False, at("06:00"), at("07:00"))}
    assert decide(at("06:59"), DAY, cfg, {0: CUT}, forced)[0].powered is False
    after = decide(at("07:00"), DAY, cfg, {0: CUT}, forced)[0]
    assert (after.powered, after.rule) == (True, Rule.NORMAL)
    forced_red = {0: Override(False, at("18:00"), at("18:30"))}
    assert decide(at("18:30"), DAY, cfg, {0: CUT}, forced_red)[0].powered is False


# --- the auto_restore latch -------------------------------------------------------------------


def test_a_shed_latches_a_manual_restore_channel() -> None:
    cfg = config(channel(auto_restore=False))
    decision = decide(at("09:00"), DAY, cfg, {0: POWERED})[0]
    assert (decision.powered, decision.latched) == (False, True)


def test_a_latched_channel_stays_cut_after_the_shed() -> None:
    cfg = config(channel(auto_restore=False))
    latched = replace(CUT, latched=True)
    decision = decide(at("14:00"), DAY, cfg, {0: latched})[0]
    assert (decision.powered, decision.rule, decision.latched) == (False, Rule.SHED, True)
    assert "an operator must release it" in decision.reason
    # Nothing but an operator changes it, so nothing is due for it before the next strain.
    assert evaluate(at("14:00"), DAY, cfg, {}, {0: latched}).next_due == at("17:45")


def test_an_override_clears_the_latch() -> None:
    cfg = config(channel(auto_restore=False))
    latched = replace(CUT, latched=True)
    forced = {0: Override(True, at("14:00"))}
    decision = decide(at("14:00"), DAY, cfg, {0: latched}, forced)[0]
    assert (decision.powered, decision.latched) == (True, False)


def test_no_latch_while_the_cut_is_held_by_min_on() -> None:
    cfg = config(channel(auto_restore=False, min_on=timedelta(minutes=30)))
    decision = decide(at("07:45"), DAY, cfg, {0: on_since(at("07:40"))})[0]
    assert (decision.powered, decision.latched) == (True, False)


def test_latch_is_ignored_once_auto_restore_is_back_on() -> None:
    decision = decide(at("14:00"), DAY, config(), {0: replace(CUT, latched=True)})[0]
    assert (decision.powered, decision.latched) == (True, False)


# --- the constraints --------------------------------------------------------------------------

TWENTY = tuple(at("07:44:30") + timedelta(seconds=second) for second in range(RATE_LIMIT))

CONSTRAINT_CASES = [
    # id, channel fields, policy fields, now, current, override
    #   -> powered, wanted, waiting, wait_until
    (
        "min_on holds a cut",
        {"min_on": timedelta(minutes=10)},
        {},
        at("07:45"),
        on_since(at("07:40")),
        None,
        True,
        False,
        "min_on until 07:50",
        at("07:50"),
    ),
    (
        "min_on elapsed",
        {"min_on": timedelta(minutes=10)},
        {},
        at("07:45"),
        on_since(at("07:35")),
        None,
        False,
        False,
        None,
        None,
    ),
    (
        "min_off holds a restore",
        {"min_off": timedelta(minutes=10)},
        {},
        at("13:00"),
        off_since(at("12:55")),
        None,
        False,
        True,
        "min_off until 13:05",
        at("13:05"),
    ),
    (
        "min_switch_gap",
        {},
        {},
        at("07:45"),
        on_since(at("07:44:58")),
        None,
        True,
        False,
        "min_switch_gap until 07:45:03",
        at("07:45:03"),
    ),
    (
        "rate limit",
        {},
        {"min_switch_gap": timedelta(0)},
        at("07:45"),
        RelayHistory(powered=True, last_on=TWENTY[-1], switches=TWENTY),
        None,
        True,
        False,
        "rate limit (20 switches a minute) until 07:45:30",
        at("07:45:30"),
    ),
    (
        "override during a min_off wait",
        {"min_off": timedelta(minutes=10)},
        {},
        at("09:05"),
        off_since(at("09:00")),
        Override(True, at("09:05")),
        False,
        True,
        "min_off until 09:10",
        at("09:10"),
    ),
    (
        "forced cut during min_on",
        {"min_on": timedelta(minutes=10)},
        {},
        at("06:05"),
        on_since(at("06:00")),
        Override(False, at("06:05")),
        True,
        False,
        "min_on until 06:10",
        at("06:10"),
    ),
    (
        "the longest wait is reported",
        {"min_off": timedelta(minutes=10)},
        {},
        at("13:00"),
        off_since(at("12:59:58")),
        None,
        False,
        True,
        "min_off until 13:09:58",
        at("13:09:58"),
    ),
    (
        "unknown state is cut at once",
        {"min_on": timedelta(minutes=10)},
        {},
        at("09:00"),
        RelayHistory(powered=None, switches=(at("08:59:59"),)),
        None,
        False,
        False,
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("fields", "policy", "now", "item", "override", "powered", "wanted", "waiting", "until"),
    [case[1:] for case in CONSTRAINT_CASES],
    ids=[case[0] for case in CONSTRAINT_CASES],
)
def test_constraints(
    fields: dict[str, object],
    policy: dict[str, object],
    now: datetime,
    item: RelayHistory,
    override: Override | None,
    powered: bool,
    wanted: bool,
    waiting: str | None,
    until: datetime | None,
) -> None:
    cfg = config(channel(**fields), **policy)
    overrides = {0: override} if override else {}
    evaluation = evaluate(now, DAY, cfg, overrides, {0: item})
    decision = evaluation.decisions[0]
    assert (decision.powered, decision.wanted) == (powered, wanted)
    assert (decision.waiting, decision.wait_until) == (waiting, until)
    if until is not None:
        assert evaluation.next_due == until


def test_rate_limit_counts_the_last_twenty_switches_in_sixty_seconds() -> None:
    cfg = config(min_switch_gap=timedelta(0))
    item = RelayHistory(powered=True, last_on=TWENTY[-1], switches=TWENTY)
    # 60 s after the oldest of twenty, one more switch fits in the window.
    assert decide(at("07:45:30"), DAY, cfg, {0: item})[0].powered is False
    assert decide(at("07:45:29"), DAY, cfg, {0: item})[0].powered is True


def test_rate_limit_holds_even_with_no_switch_gap_and_overrides() -> None:
    cfg = config(min_switch_gap=timedelta(0))
    recent = tuple(at("05:59:40") + timedelta(seconds=s) for s in range(RATE_LIMIT))
    item = RelayHistory(powered=False, last_off=recent[-1], switches=recent)
    forced = {0: Override(True, at("05:00"))}
    decision = decide(at("06:00"), DAY, cfg, {0: item}, forced)[0]
    assert (decision.powered, decision.rule) == (False, Rule.OVERRIDE)
    assert decision.waiting == "rate limit (20 switches a minute) until 06:00:40"


# --- the restore stagger ----------------------------------------------------------------------


def test_restores_are_staggered_by_priority_then_index() -> None:
    cfg = config(
        channel(0, shed_at=ShedAt.RED, priority=3),
        channel(1, shed_at=ShedAt.RED, priority=1),
        channel(2, shed_at=ShedAt.RED, priority=2),
        channel(3, shed_at=ShedAt.RED, priority=1),
    )
    evaluation = evaluate(at("20:00"), DAY, cfg, {}, dict.fromkeys(range(4), CUT))
    decisions = evaluation.decisions
    assert decisions[1].powered is True and decisions[1].waiting is None
    assert decisions[3].waiting == "restore slot 2 of 4 at 20:01"
    assert decisions[2].waiting == "restore slot 3 of 4 at 20:02"
    assert decisions[0].waiting == "restore slot 4 of 4 at 20:03"
    assert [decisions[i].powered for i in (0, 2, 3)] == [False, False, False]
    assert decisions[0].wait_until == at("20:03")
    assert evaluation.next_due == at("20:01")


def test_the_stagger_counts_from_the_latest_switch_on_of_any_channel() -> None:
    cfg = config(channel(0, shed_at=ShedAt.NEVER), channel(1, shed_at=ShedAt.RED))
    history = {0: on_since(at("19:59:30")), 1: CUT}
    decision = decide(at("20:00"), DAY, cfg, history)[1]
    assert (decision.powered, decision.waiting) == (False, "restore_gap until 20:00:30")


def test_force_powered_is_not_staggered_but_counts_for_the_others() -> None:
    cfg = config(channel(0, priority=1), channel(1, priority=5))
    forced = {1: Override(True, at("14:00"))}
    decisions = decide(at("14:00"), DAY, cfg, {0: CUT, 1: CUT}, forced)
    assert decisions[1].powered is True
    assert (decisions[0].powered, decisions[0].waiting) == (False, "restore_gap until 14:01")


def test_zero_restore_gap_restores_together() -> None:
    cfg = config(channel(0), channel(1), channel(2), restore_gap=timedelta(0))
    decisions = decide(at("14:00"), DAY, cfg, dict.fromkeys(range(3), CUT))
    assert all(decision.powered for decision in decisions.values())


def test_a_channel_held_by_its_own_constraint_does_not_hold_the_queue() -> None:
    cfg = config(channel(0, priority=1, min_off=timedelta(minutes=10)), channel(1, priority=2))
    decisions = decide(at("13:00"), DAY, cfg, {0: off_since(at("12:58")), 1: CUT})
    assert decisions[1].powered is True
    assert decisions[0].waiting == "min_off until 13:08"


def test_cuts_happen_together() -> None:
    cfg = config(*(channel(i, priority=i + 1) for i in range(8)))
    decisions = decide(at("07:45"), DAY, cfg, dict.fromkeys(range(8), POWERED))
    assert [decision.powered for decision in decisions.values()] == [False] * 8


def test_first_start_with_unknown_relays() -> None:
    cfg = config(
        channel(0, priority=2),
        channel(1, priority=1),
        channel(2, shed_at=ShedAt.RED, priority=3),
    )
    # In a red hour every channel is shed: cut at once, whatever it was.
    decisions = decide(at("18:30"), DAY, cfg)
    assert [(d.powered, d.rule, d.waiting) for d in decisions.values()] == [
        (False, Rule.SHED, None)
    ] * 3
    # In a green hour all are wanted powered: one at a time, most important first.
    decisions = decide(at("06:00"), DAY, cfg)
    assert decisions[1].powered is True
    assert decisions[0].waiting == "restore slot 2 of 3 at 06:01"
    assert decisions[2].waiting == "restore slot 3 of 3 at 06:02"


def test_a_queued_unknown_relay_says_it_then_owes_its_min_off() -> None:
    # Queued relays are set to cut to leave the unknown state, which starts their min_off.
    cfg = config(channel(0), channel(1, min_off=timedelta(minutes=10)))
    decisions = decide(at("06:00"), DAY, cfg)
    assert decisions[1].powered is False
    assert decisions[1].waiting == "restore slot 2 of 2 at 06:01, then min_off until 06:10"
    assert decisions[1].wait_until == at("06:01")


# --- switch-ons held back before a strain -----------------------------------------------------


def test_a_switch_on_that_could_not_be_undone_in_time_is_held_off() -> None:
    cfg = config(channel(min_on=timedelta(minutes=30)))
    decision = decide(at("07:20"), DAY, cfg, {0: CUT})[0]
    assert (decision.powered, decision.wanted) == (False, True)
    assert decision.waiting == "held off before orange 08:00-13:00 until 07:45"
    assert decision.wait_until == at("07:45")
    # Ten minutes earlier it can still run its 30 minutes and be cut at the lead point.
    assert decide(at("07:10"), DAY, cfg, {0: CUT})[0].powered is True


def test_no_hold_for_channels_never_shed_nor_for_the_operator() -> None:
    never = config(channel(min_on=timedelta(minutes=30), shed_at=ShedAt.NEVER))
    assert decide(at("07:20"), DAY, never, {0: CUT})[0].powered is True
    cfg = config(channel(min_on=timedelta(minutes=30)))
    forced = {0: Override(True, at("07:20"))}
    assert decide(at("07:20"), DAY, cfg, {0: CUT}, forced)[0].powered is True


# --- next_due ---------------------------------------------------------------------------------

NEXT_DUE_CASES = [
    ("green: the lead point", DAY, {}, at("06:00"), at("07:45")),
    ("in lead: the hour", DAY, {}, at("07:45"), at("08:00")),
    ("in orange: the lead before its end", DAY, {}, at("09:00"), at("12:45")),
    ("no forecast, nothing pending", None, {}, at("09:00"), None),
    ("after the forecast", DAY, {}, at("03:00", day=2), None),
    (
        "an override's expiry",
        None,
        {0: Override(False, at("08:00"), at("10:00"))},
        at("09:00"),
        at("10:00"),
    ),
]


@pytest.mark.parametrize(
    ("forecast", "overrides", "now", "due"),
    [case[1:] for case in NEXT_DUE_CASES],
    ids=[case[0] for case in NEXT_DUE_CASES],
)
def test_next_due(
    forecast: Forecast | None,
    overrides: dict[int, Override],
    now: datetime,
    due: datetime | None,
) -> None:
    item = CUT if overrides else POWERED
    evaluation = evaluate(now, forecast, config(), overrides, {0: item})
    assert evaluation.next_due == due


# --- interactions over time -------------------------------------------------------------------


def test_lead_time_across_midnight() -> None:
    forecast = levels("1" * 24 + "3" + "111")
    cfg = config(channel(shed_at=ShedAt.RED))
    plan = build_plan(forecast, cfg, at("20:00"), at("04:00", day=2))
    assert [(c.at, c.powered, c.reason) for c in plan.changes] == [
        (at("23:45"), False, "red 00:00-01:00 in 15 min"),
        (at("01:00", day=2), True, "green"),
    ]


def test_a_restore_wave_interrupted_by_a_new_red_hour() -> None:
    # Red 18:00-20:00, one green hour, red again 21:00-22:00, then green.
    forecast = levels("1" * 18 + "33" + "1" + "3" + "11")
    cfg = config(
        *(channel(i, shed_at=ShedAt.RED, priority=i + 1) for i in range(3)),
        channel(3, shed_at=ShedAt.RED, priority=4, min_on=timedelta(minutes=30)),
        channel(4, shed_at=ShedAt.RED, priority=5),
        restore_gap=timedelta(minutes=20),
        # The wave itself, every restore allowed: with the default min_restore (10 min) the
        # 20:40 restore, cut again at 20:45, is not made (test_comfort_policy.py).
        min_restore=timedelta(0),
    )
    plan = build_plan(forecast, cfg, at("17:00"), at("00:00", day=2))
    ons = [(c.at, c.channel) for c in plan.changes if c.powered]
    offs = [(c.at, c.channel) for c in plan.changes if not c.powered]
    assert ons[:3] == [(at("20:00"), 0), (at("20:20"), 1), (at("20:40"), 2)]
    # At 20:40 channel 3 (min_on 30 min) could not be cut by 20:45: its turn is skipped;
    # channel 4 is next after 20:40, but by 21:00 the new red hour has taken over.
    assert (at("20:40"), 3) not in ons
    assert offs[5:] == [(at("20:45"), 0), (at("20:45"), 1), (at("20:45"), 2)]
    # After the second red hour the wave starts again from the most important channel.
    assert ons[3:] == [
        (at("22:00"), 0),
        (at("22:20"), 1),
        (at("22:40"), 2),
        (at("23:00"), 3),
        (at("23:20"), 4),
    ]
    held = evaluate(
        at("20:40"),
        forecast,
        cfg,
        {},
        {0: POWERED, 1: POWERED, 2: CUT, 3: CUT, 4: CUT},
    ).decisions
    assert held[3].waiting == "held off before red 21:00-22:00 until 20:45"


def _dst_body(jour: str, hours: int, red: int, orange: int) -> dict[str, object]:
    values = [
        {"pas": pas, "hvalue": 3 if pas == red else 2 if pas == orange else 1}
        for pas in range(hours)
    ]
    return {"signals": [{"jour": jour, "dvalue": 3, "message": "", "values": values}]}


def test_spring_forward_day() -> None:
    # 29 March 2026: 23 hours; pas 2 is 03:00 CEST (01:00 UTC), pas 17 is 18:00 CEST.
    forecast = parse_signals(_dst_body("2026-03-29T00:00:00+01:00", 23, red=2, orange=17))
    cfg = config(channel())
    plan = build_plan(forecast, cfg, forecast.start, forecast.until)  # type: ignore[arg-type]
    utc = [(c.at.astimezone(UTC).strftime("%H:%M"), c.powered, c.reason) for c in plan.changes]
    assert utc == [
        ("00:45", False, "red 03:00-04:00 in 15 min"),
        ("02:00", True, "green, no strain until 18:00"),
        ("15:45", False, "orange 18:00-19:00 in 15 min"),
        ("17:00", True, "green"),
    ]
    assert plan.changes[0].at.astimezone(PARIS).isoformat() == "2026-03-29T01:45:00+01:00"


def test_fall_back_day() -> None:
    # 25 October 2026: 25 hours; pas 3 is the second 02:00 (CET, 01:00 UTC).
    forecast = parse_signals(_dst_body("2026-10-25T00:00:00+02:00", 25, red=3, orange=-1))
    cfg = config(channel(shed_at=ShedAt.RED))
    plan = build_plan(forecast, cfg, forecast.start, forecast.until)  # type: ignore[arg-type]
    assert [(c.at.isoformat(), c.powered, c.reason) for c in plan.changes] == [
        ("2026-10-25T00:45:00+00:00", False, "red 02:00 CET-03:00 in 15 min"),
        ("2026-10-25T02:00:00+00:00", True, "green"),
    ]
    assert plan.end == datetime(2026, 10, 25, 23, tzinfo=UTC)


# --- record_switch ----------------------------------------------------------------------------


def test_record_switch_keeps_what_the_constraints_need() -> None:
    item = RelayHistory()
    times = [at("06:00") + timedelta(seconds=10 * i) for i in range(RATE_LIMIT + 5)]
    for position, when in enumerate(times):
        item = record_switch(item, position % 2 == 0, when)
    assert item.powered is True  # the last, position 24, is even
    assert item.last_on == times[-1]
    assert item.last_off == times[-2]
    assert item.switches == tuple(times[-RATE_LIMIT:])


def test_record_switch_keeps_the_latch() -> None:
    item = record_switch(RelayHistory(powered=False, latched=True), False, at("06:00"))
    assert item.latched is True and item.last_off == at("06:00")


def test_evaluate_is_deterministic_and_ignores_unknown_channels() -> None:
    cfg = config(channel(0), channel(1, shed_at=ShedAt.RED))
    history = {0: POWERED, 1: CUT, 5: POWERED}
    overrides = {6: Override(True, at("06:00"))}
    first = evaluate(at("09:00"), DAY, cfg, overrides, history)
    assert first == evaluate(at("09:00"), DAY, cfg, overrides, history)
    assert list(first.decisions) == [0, 1]
