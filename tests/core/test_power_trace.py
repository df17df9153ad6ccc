"""The last hour's power as the timeline draws it: a peak per minute, folded into the columns
there are, against the limit."""

from datetime import UTC, datetime, timedelta

from tui.core.power_trace import MINUTES, OVER, PowerTrace, buckets, sparkline

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_each_minute_keeps_its_peak_and_the_hour_slides() -> None:
    trace = PowerTrace()
    for second in range(0, 120, 10):
        trace = trace.seen(T0 + timedelta(seconds=second), 1000 + second)
    peaks = trace.peaks(T0 + timedelta(seconds=119))
    assert len(peaks) == MINUTES and peaks[-2:] == (1050, 1110)
    assert set(peaks[:-2]) == {None}
    later = trace.seen(T0 + timedelta(minutes=60), 500)
    assert [p for p in later.peaks(T0 + timedelta(minutes=60)) if p is not None] == [1110, 500]
    assert later.peaks(T0 + timedelta(minutes=200)) == (None,) * MINUTES


def test_folded_into_fewer_columns_and_drawn_against_the_limit() -> None:
    peaks = [1000] * 30 + [None] * 10 + [9000, 9900] + [4500] * 18
    assert buckets(peaks, 60) == peaks
    folded = buckets(peaks, 20)
    assert len(folded) == 20 and folded[13] == 9900 and folded[12] is None
    line = sparkline(peaks, 9000, 20)
    assert len(line) == 20 and line[13] == OVER and line[12] == " "
    assert line[0] == "▁" and line[-1] == "▄"
    assert sparkline([9000], 9000, 1) == "█"
