"""The daily minimum (``min_daily_run``, issue 25): at least N hours of power per Paris day.

Pure. The run so far comes from what every switch already records (``RelayHistory.ran_day`` and
``ran``: the time powered on that Paris day up to the last switch, kept by ``accrue`` from
``record_switch``), plus the current powered stretch since ``ran_from`` (the switch-on that
began it). A relay powered since a time not known (released on by the board at a first start,
a state file from before this was kept) is not counted until its next switch: the minimum then
runs more, never less; a plan counts such a relay from its start.

Where the rest runs: the rest of the Paris day is cut into pieces where nothing changes, and
each piece is scored: low-carbon hours first (0), then the off-peak window (``[policy]
off_peak``, 1), then green (2), then anything else not excluded (3: an unknown level outside
the window, a level the channel is not shed at). Pieces where the channel's shed rule holds
(its Ecowatt level within ``lead``, a Tempo peak it is shed for) are never used. The best
pieces, earliest first among equals, are taken until the rest is covered; the channel runs
now when now is in one. With no forecast at all every piece is scored by the off-peak window
alone, so the minimum still runs, off-peak first.

The choice is stable: running through a chosen piece, or waiting through an unchosen one,
leaves the rest of the choice as it was, so it never flip-flops. A run is at least
``min_restore`` long from its switch-on (when the day has room), so that the minimum never asks
for a restore ``min_restore`` forbids; and it asks for two ``restore_gap`` and a
``min_switch_gap`` more than configured (in whole minutes: 3 min by default), so that a
switch-on waiting for its restore slot at the end of the day still leaves it met.
"""

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tui.core.comfort_config import parse_off_peak
from tui.core.config import ChannelConfig, PolicyConfig, ShedAt
from tui.core.forecast import PARIS, Forecast, Level, next_paris_midnight, paris_midnight
from tui.core.i18n import _
from tui.core.tempo import TempoCalendar, tempo_day
from tui.core.tempo_rule import tempo_colours, tempo_peak_within

_SHED = {ShedAt.ORANGE: Level.ORANGE, ShedAt.RED: Level.RED, ShedAt.NEVER: None}
_EXCLUDED = -1


def paris_day(when: datetime) -> date:
    return when.astimezone(PARIS).date()


def _overlap_today(since: datetime, at: datetime) -> timedelta:
    """The part of [since, at) on the Paris day of ``at``."""
    start = max(since, paris_midnight(paris_day(at)))
    return max(at - start, timedelta(0))


def accrue(
    ran_day: date | None,
    ran: timedelta,
    powered: bool | None,
    since: datetime | None,
    at: datetime,
) -> tuple[date, timedelta]:
    """(day, time powered that day up to ``at``) once the stretch ending at ``at`` is added."""
    day = paris_day(at)
    total = ran if ran_day == day else timedelta(0)
    if powered is True and since is not None:
        total += _overlap_today(since, at)
    return day, total


def ran_today(
    ran_day: date | None,
    ran: timedelta,
    powered: bool | None,
    since: datetime | None,
    now: datetime,
) -> timedelta:
    """How long the channel has been powered on the Paris day of ``now``."""
    return accrue(ran_day, ran, powered, since, now)[1]


def hm(delta: timedelta) -> str:
    """``2h10``, ``4h``, ``0h05``: the daily minimum's words."""
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}" if minutes else f"{hours}h"


@dataclass(frozen=True)
class DailyChoice:
    run_now: bool
    done: timedelta
    need: timedelta  # the channel's min_daily_run
    edge: datetime | None  # the next instant the choice may change (a piece's end or start)
    next_start: datetime | None = None  # not running: when the next chosen piece starts

    def words(self) -> str:
        return _("running for its daily minimum: {done} of {need} done").format(
            done=hm(self.done), need=hm(self.need)
        )


def _off_peak_edges(windows: tuple[tuple[time, time], ...], day: date) -> list[datetime]:
    edges: list[datetime] = []
    for start, end in windows:
        for moment in (start, end):
            edges.append(datetime.combine(day, moment, tzinfo=PARIS).astimezone(UTC))
    return edges


def _in_off_peak(windows: tuple[tuple[time, time], ...], when: datetime) -> bool:
    local = when.astimezone(PARIS).time().replace(tzinfo=None)
    for start, end in windows:
        if start < end:
            if start <= local < end:
                return True
        elif local >= start or local < end:
            return True
    return False


def choose(
    channel: ChannelConfig,
    now: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    tempo: TempoCalendar | None,
    done: timedelta,
    on_since: datetime | None,
) -> DailyChoice | None:
    """Whether the daily minimum wants the channel powered now; None when it has none.

    ``on_since``: when the relay's current powered stretch began (None: not powered, or not
    known), so that a stretch the minimum keeps lasts at least ``min_restore`` from it.
    """
    need_total = channel.min_daily_run
    if not need_total:
        return None
    day_end = next_paris_midnight(now)
    # A little more than the minimum, so that a switch-on that waits for its restore slot
    # (restore_gap) at the end of the day still leaves it met.
    margin = policy.restore_gap * 2 + policy.min_switch_gap
    margin = timedelta(minutes=-(-margin // timedelta(minutes=1)))  # whole minutes
    remaining = need_total + margin - done
    if done >= need_total and on_since is None:
        remaining = timedelta(0)
    # A run it started lasts min_restore, even past the minimum (never a restore too short).
    floor = policy.min_restore - (now - on_since) if on_since is not None else timedelta(0)
    if remaining <= timedelta(0) and floor <= timedelta(0):
        return DailyChoice(False, done, need_total, day_end)
    if on_since is None:
        floor = policy.min_restore
    need = max(remaining, floor)
    pieces = _pieces(channel, now, day_end, forecast, policy, tempo)
    ranked = sorted((p for p in pieces if p[2] != _EXCLUDED), key=lambda p: (p[2], p[0]))
    chosen: list[tuple[datetime, datetime]] = []
    left = need
    for start, end, _rank in ranked:
        if left <= timedelta(0):
            break
        take = min(end - start, left)
        chosen.append((start, start + take))
        left -= take
    chosen.sort()
    # A powered stretch younger than min_restore runs on to min_restore from its switch-on
    # while the day has room for it, whether or not now is in a chosen piece: better hours may
    # have taken the rest of the need (a switch-on that waited for its restore slot began
    # after the piece it was chosen for, which then ended before min_restore).
    hold = now
    if on_since is not None:
        hold = min(on_since + policy.min_restore, _room_end(pieces, now))
    for start, end in chosen:
        if start <= now < end:
            # Run to the end of the chosen stretch (adjacent pieces join), and at least
            # min_restore from its switch-on.
            stop = end
            for other_start, other_end in chosen:
                if other_start == stop:
                    stop = other_end
            stop = max(stop, min((on_since or now) + policy.min_restore, _room_end(pieces, now)))
            return DailyChoice(True, done, need_total, stop)
    if hold > now:
        return DailyChoice(True, done, need_total, hold)
    upcoming = [start for start, _ in chosen if start > now]
    following = min(upcoming) if upcoming else None
    return DailyChoice(False, done, need_total, following or day_end, following)


def _room_end(pieces: list[tuple[datetime, datetime, int]], now: datetime) -> datetime:
    """The end of the stretch from ``now`` that is not excluded (the shed rule, the day)."""
    end = now
    for start, stop, score in pieces:
        if start > end:
            break
        if score == _EXCLUDED:
            break
        end = stop
    return end


def _pieces(
    channel: ChannelConfig,
    now: datetime,
    day_end: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    tempo: TempoCalendar | None,
) -> list[tuple[datetime, datetime, int]]:
    """[now, day_end) cut where the score may change, each piece with its score."""
    windows = parse_off_peak(policy.off_peak)
    threshold = _SHED[channel.shed_at]
    lead = policy.lead
    edges: set[datetime] = set()
    for day in {paris_day(now), paris_day(day_end - timedelta(microseconds=1))}:
        edges.update(_off_peak_edges(windows, day))
    if forecast is not None:
        for slot in forecast.slots:
            if slot.end <= now - lead or slot.start - lead >= day_end:
                continue
            edges.update((slot.start, slot.end))
            if threshold is not None and slot.level >= threshold:
                edges.add(slot.start - lead)
    colours = tempo_colours(channel)
    if tempo is not None and colours:
        for peak in tempo.peaks(colours, after=tempo_day(now)):
            if peak.start - lead >= day_end:
                break
            edges.update((peak.start - lead, peak.start, peak.end))
    points = sorted(edge for edge in edges if now < edge < day_end)
    bounds = [now, *points, day_end]
    pieces: list[tuple[datetime, datetime, int]] = []
    for start, end in itertools.pairwise(bounds):
        pieces.append((start, end, _score(channel, start, forecast, policy, tempo, windows)))
    return pieces


def _score(
    channel: ChannelConfig,
    at: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    tempo: TempoCalendar | None,
    windows: tuple[tuple[time, time], ...],
) -> int:
    threshold = _SHED[channel.shed_at]
    strain = None
    if forecast is not None and threshold is not None:
        strain = forecast.first_at_or_above(threshold, at, at + policy.lead)
    if strain is not None:
        return _EXCLUDED
    if tempo_peak_within(tempo, tempo_colours(channel), at, at + policy.lead) is not None:
        return _EXCLUDED
    level = forecast.level_at(at) if forecast is not None else None
    if level is Level.LOW_CARBON:
        return 0
    if _in_off_peak(windows, at):
        return 1
    if level is Level.GREEN:
        return 2
    return 3
