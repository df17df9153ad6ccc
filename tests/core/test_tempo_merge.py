"""``[tempo] fallback = "tic"``: RTE's calendar first, the meter's colours for the days RTE has
none for, and the days where both give a colour and differ (core.tempo_merge, pure)."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tui.core.tempo import Colour, TempoCalendar, TempoDay
from tui.core.tempo_merge import Disagreement, disagreements, merge_calendars

D = date(2026, 12, 8)
RED, WHITE, BLUE = Colour.RED, Colour.WHITE, Colour.BLUE


def cal(*days: tuple[date, Colour | None], source: str = "") -> TempoCalendar:
    return TempoCalendar(tuple(TempoDay(day, colour) for day, colour in days), source=source)


def test_rte_answers_and_the_meter_fills_only_what_rte_lacks() -> None:
    rte = cal((D, RED), (D + timedelta(days=1), None))  # tomorrow published without a value
    tic = cal((D, WHITE), (D + timedelta(days=1), BLUE), source="tic")
    merged = merge_calendars(rte, "rte", tic, "tic")
    assert merged is not None
    assert merged.today_tomorrow  # a calendar like any other for the policy
    assert (merged.colour(D), merged.source_of(D)) == (RED, "rte")
    assert (merged.colour(D + timedelta(days=1)), merged.source_of(D + timedelta(days=1))) == (
        BLUE,
        "tic",
    )
    assert disagreements(rte, "rte", tic, "tic") == (Disagreement(D, RED, WHITE, "rte", "tic"),)


def test_rte_down_is_the_meter_alone_and_nothing_known_is_none() -> None:
    tic = cal((D, WHITE), (D + timedelta(days=1), None), source="tic")
    merged = merge_calendars(None, "rte", tic, "tic")
    assert merged is not None and merged.colour(D) is WHITE and merged.source_of(D) == "tic"
    # Neither knows tomorrow: unknown (never blue), and no source for it.
    assert merged.colour(D + timedelta(days=1)) is None
    assert merged.source_of(D + timedelta(days=1)) is None
    assert merge_calendars(None, "rte", None, "tic") is None
    assert disagreements(None, "rte", tic, "tic") == ()
    # The meter silent: RTE's calendar, each day said to be RTE's.
    rte = cal((D, RED))
    alone = merge_calendars(rte, "rte", None, "tic")
    assert alone is not None and alone.source_of(D) == "rte"


colours = st.sampled_from([RED, WHITE, BLUE, None])
days = st.dictionaries(st.integers(0, 20), colours, max_size=12)


def _calendar(picked: dict[int, Colour | None]) -> TempoCalendar:
    return cal(*((D + timedelta(days=n), colour) for n, colour in picked.items()))


@given(days, days, st.booleans(), st.booleans())
def test_merge_properties(
    first: dict[int, Colour | None], second: dict[int, Colour | None], has1: bool, has2: bool
) -> None:
    rte = _calendar(first) if has1 else None
    tic = _calendar(second) if has2 else None
    merged = merge_calendars(rte, "rte", tic, "tic")
    if rte is None and tic is None:
        assert merged is None
        return
    assert merged is not None
    found = {item.day: item for item in disagreements(rte, "rte", tic, "tic")}
    for n in set(first) | set(second):
        day = D + timedelta(days=n)
        mine = rte.colour(day) if rte else None
        theirs = tic.colour(day) if tic else None
        # RTE wins whenever it has a colour; the meter only fills in; unknown stays unknown.
        assert merged.colour(day) == (mine if mine is not None else theirs)
        expected_source = "rte" if mine is not None else "tic" if theirs is not None else None
        assert merged.source_of(day) == expected_source
        # A disagreement exactly when both know the day and differ; RTE's colour is the one used.
        differ = mine is not None and theirs is not None and mine != theirs
        assert (day in found) == differ
        if differ:
            assert found[day].primary == merged.colour(day) == mine
            assert found[day].fallback == theirs
    # Nothing the merge adds that neither calendar had.
    known = {item.day for c in (rte, tic) if c is not None for item in c.days}
    assert {item.day for item in merged.days} == known


@given(days)
def test_the_same_calendar_twice_never_disagrees(picked: dict[int, Colour | None]) -> None:
    calendar = _calendar(picked)
    assert disagreements(calendar, "rte", calendar, "tic") == ()
    merged = merge_calendars(calendar, "rte", calendar, "tic")
    assert merged is not None
    assert all(merged.colour(item.day) == item.colour for item in calendar.days)
