"""Why names every rule that holds a relay, each with its end (issue 21, item 6): the first
rule's words as before, then "then ... until ..." for each rule that takes over."""

from datetime import date

from support.policy import CUT, DAY, LOW, POWERED, at, channel, config, levels

from tui.core.config import Fallback, Run
from tui.core.forecast import describe_rest, strain_now_and_next
from tui.core.policy import Override, evaluate
from tui.core.tempo import Colour, TempoCalendar, TempoDay

# 1 Dec: low-carbon 00:00-06:00, green, orange 08:00-13:00 with red 10:00-12:00, green,
# red 19:00-20:00, green, low-carbon from 23:00.
STRAINED = levels("000000" + "11" + "22332" + "111111" + "3" + "111" + "0" + "00000000")
RED_DAY = TempoCalendar((TempoDay(date(2026, 12, 1), Colour.RED),))
WATER = channel(0, name="Chauffe-eau", run=Run.LOW_CARBON, shed_tempo=(Colour.RED,))


def reason(now: str, cfg: object, forecast: object = STRAINED, **options: object) -> str:
    history = options.get("history", {0: POWERED})
    tempo = options.get("tempo")
    overrides = options.get("overrides", {})
    evaluation = evaluate(at(now), forecast, cfg, overrides, history, tempo)  # type: ignore[arg-type]
    return evaluation.decisions[0].reason


def test_the_issue_example_names_each_rule_and_its_end() -> None:
    assert reason("10:30", config(WATER), tempo=RED_DAY) == (
        "orange 08:00-13:00, red 10:00-12:00, then Tempo red until 22:00, "
        "then waiting for a low-carbon hour (23:00)"
    )


def test_a_tempo_peak_then_a_low_carbon_wait() -> None:
    assert reason("14:00", config(WATER), tempo=RED_DAY) == (
        "Tempo red, peak 06:00-22:00, then waiting for a low-carbon hour (23:00)"
    )
    # Inside the peak, the red hour comes first and the peak holds after it.
    assert reason("19:30", config(WATER), tempo=RED_DAY) == (
        "red 19:00-20:00, then Tempo red until 22:00, then waiting for a low-carbon hour (23:00)"
    )


def test_a_rule_that_lets_go_into_a_powered_hour_says_nothing_more() -> None:
    assert reason("09:00", config(channel()), DAY) == "orange 08:00-13:00"
    assert reason("09:00", config(channel()), DAY, tempo=RED_DAY) == "orange 08:00-13:00"


def test_a_latching_shed_says_the_latch_follows() -> None:
    cfg = config(channel(auto_restore=False))
    assert reason("09:00", cfg, DAY) == (
        "orange 08:00-13:00, then latched until an operator releases it"
    )


def test_a_low_carbon_wait_then_a_shed() -> None:
    cfg = config(channel(run=Run.LOW_CARBON))
    # At 13:00 green: the next low-carbon hour is 22:00 (21:00 is missing); nothing after.
    assert reason("14:00", cfg, LOW) == "green: waiting for a low-carbon hour (next at 22:00)"


def test_an_ending_cut_override_names_the_rule_after_it() -> None:
    cfg = config(WATER)
    forced = {0: Override(powered=False, since=at("07:00"), until=at("09:00"))}
    assert reason("08:30", cfg, overrides=forced, tempo=RED_DAY) == (
        "forced cut by operator until 09:00, then orange until 13:00, "
        "then Tempo red until 22:00, then waiting for a low-carbon hour (23:00)"
    )


def test_the_fallback_cut_ends_the_chain() -> None:
    cfg = config(channel(), fallback=Fallback.SHED)
    short = levels("11111111" + "22222")  # ends at 13:00
    assert reason("09:00", cfg, short, history={0: CUT}) == (
        "orange 08:00-13:00, then no forecast since 13:00: fallback cut"
    )


def test_a_later_day_names_its_date() -> None:
    two = levels("1" * 20 + "2222" + "2" * 6 + "1" * 18)  # orange 20:00-Wed 06:00
    tempo = TempoCalendar((TempoDay(date(2026, 12, 2), Colour.RED),))
    text = reason("21:00", config(channel(shed_tempo=(Colour.RED,))), two, tempo=tempo)
    assert text == "orange 20:00-06:00, then Tempo red until Wed 02 Dec 22:00"


# -- issue 21, item 7: the strain under way and the next one, apart -------------------------


def test_the_strain_under_way_is_not_the_next_strain() -> None:
    under_way, upcoming = strain_now_and_next(STRAINED, at("12:50"))
    assert under_way is not None and upcoming is not None
    assert describe_rest(under_way, at("12:50")) == "orange until 13:00"
    assert describe_rest(under_way, at("10:30")) == "orange until 13:00 (red until 12:00)"
    assert describe_rest(under_way, at("09:00")) == "orange until 13:00 (red 10:00-12:00)"
    assert upcoming.describe() == "red 19:00-20:00"
    assert strain_now_and_next(STRAINED, at("14:00")) == (None, upcoming)
    assert strain_now_and_next(STRAINED, at("20:00")) == (None, None)
