"""The shedding policy: for every channel, powered or cut, why, and what it waits for.

Pure: the time, the forecast, the configuration, the live overrides and each relay's switch
history come in as arguments; decisions and the next time a decision is due come out. Nothing
here reads the clock. All instants are UTC-aware; Paris time only appears in the words.

The rules, first that applies (DESIGN.md, "Shedding semantics"):

1. Override: an active operator override (``Override.active(now)``) forces powered or cut,
   "forced cut by operator until 14:30". It clears the auto_restore latch.
2. Shed: the level at ``now`` or at any moment of ``[now, now + lead]`` is at or above the
   channel's ``shed_at`` (never for "never"). The reason names the strained run of hours,
   "red 18:00-20:00", or "orange 08:00-13:00 in 15 min" while only the lead window reaches it.
   Tempo (``tempo_rule``): also when the Tempo colour in force at some moment of
   ``[now, now + lead]`` is in the channel's ``shed_tempo`` and that moment is in peak hours,
   "Tempo red, peak 06:00-22:00"; an unknown colour never sheds.
   With ``auto_restore = false`` a channel cut by this rule is latched (``Decision.latched``):
   it stays cut after the strain until an operator releases it (the service clears the latch),
   with a reason saying so; the latch outranks rules 3 to 5, and a latch on a channel whose
   config now says ``auto_restore = true`` is ignored.
   Rotation groups (``rotation.py``): of the members the shed rule holds, only those whose
   turn it is are cut (``Rule.ROTATION``, powered or cut), with no latch.
   Daily minimum (``daily_run.py``): when rules 3 and 4 would cut a channel with
   ``min_daily_run``, it is powered in the hours chosen for the rest of the day's minimum
   (``Rule.DAILY``, "running for its daily minimum: 2h10 of 4h done").
   SG-Ready lock bound (``sg_lock.py``): an automatic cut of a heat pump blocked for
   ``max_blocked`` is released to its normal order, and no lock starts within the release
   after the one before (``Rule.LOCK_BOUND``); not an override, a power cut or a rotation turn.
3. Low-carbon run: powered only while the level at ``now`` is 0; an unknown level counts as
   "not low-carbon" ("green: waiting for a low-carbon hour (next at 02:00)").
4. Fallback: no forecast hour covers ``now``: the configured fallback, "no forecast since 06:00:
   fallback powered" ("no forecast: ..." when there is no forecast at all).
5. Normal: powered, "green, no strain until 08:00".

Constraints, which every decision respects, overrides included. When one delays the wanted
state, ``Decision.powered`` stays at the relay's current state, ``waiting`` says what it waits
for and until when ("min_off until 10:32", Paris time) and ``wait_until`` is that instant; when
several delay it, the one that ends last is reported.

- ``min_on``: a powered relay is not cut before ``last_on + min_on``; ``min_off``: a cut relay
  is not powered before ``last_off + min_off``.
- ``min_switch_gap`` between any two switches of one relay, and never more than RATE_LIMIT
  switches of one relay in any 60 s (the 1017's rating; absolute, whatever the config says):
  a switch may happen only once ``switches[-RATE_LIMIT] + 60 s`` has passed.
- Cuts happen at once, all together.
- Switch-ons that the rules make (restores, low-carbon starts, and the first switch-on after a
  start with an unknown relay state) are staggered: at most one per ``restore_gap`` across all
  channels, measured from the latest switch-on of any channel (the greatest ``last_on``), the
  lowest ``priority`` number first (ties: lower index). Only channels whose own constraints
  allow a switch-on join that queue; the others report their own wait ("min_off until ...")
  and join when it ends. Queued channels report "restore slot 2 of 3 at 13:03" (one alone:
  "restore_gap until 13:03").
  ``restore_gap = 0`` lets every ready channel switch on together.
- An automatic switch-on is held back when the relay could not be cut again (``min_on``, the
  gap, the rate limit) by ``lead`` before the next hour at or above the channel's ``shed_at``:
  powering it would leave it powered into the strain. It waits for the shed to take over:
  "held off before red 18:00-20:00 until 17:45".
- Operator force-powered overrides are not staggered (never fight the operator) but respect
  ``min_off``, the gap and the rate limit, and count as a switch-on for the stagger of others.
- An unknown relay state (``RelayHistory.powered is None``, first start) counts as cut for
  switch-ons, and a wanted cut from it happens at once. A relay in an unknown state must be set
  one way or the other, so a queued switch-on from it is applied as a cut until its slot.
- ``min_restore``: an automatic switch-on (not a rotation turn, not an override) is held when
  the rules would cut the channel again within it: "min_restore: not restored for less than
  10 min (cut again at 20:45: red 21:00-22:00 in 15 min)", until that cut.
- With a meter (``room``, power_rule.py), a switch-on from the queue whose ``power`` the meter
  could not carry waits for room (the power rule's own re-close test): "room under the 9 kVA
  limit (needs 7.4 kVA, 1.6 kVA free)". Each switch-on books its power for the next; a channel
  with no ``power`` is not held (nothing to weigh), an operator's force never is.
- When an override expires the channel is simply automatic again: the relay moves only if the
  automatic decision differs from its current state.

``Evaluation.next_due`` is the earliest instant strictly after ``now`` at which any decision
could change: the next level change of the forecast, the next level change at ``now + lead``
(minus the lead), every ``wait_until``, every override expiry, a daily minimum's next start or
end (its run kept to ``min_restore`` included), and a rotation turn's end (or a waiting
member's last turn ceasing to count). ``None`` when nothing can change any more.
"""

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from tui.core import daily_run, i18n, rotation, sg_lock
from tui.core.config import ChannelConfig, Config, Fallback, PolicyConfig, Run, ShedAt
from tui.core.daily_run import accrue
from tui.core.forecast import PARIS, Forecast, Level, Period, Slot, clock_time
from tui.core.i18n import N_, _
from tui.core.meter import format_kva
from tui.core.pilot import Order
from tui.core.tempo import TempoCalendar
from tui.core.tempo_rule import (
    all_tempo_colours,
    tempo_colours,
    tempo_next_edge,
    tempo_peak_within,
)

RATE_LIMIT = 20  # switches of one relay in any 60 s: the 1017's rated maximum, absolute
RATE_WINDOW_SECONDS = 60
RATE_WINDOW = timedelta(seconds=RATE_WINDOW_SECONDS)

# Closed intervals made half-open: "strictly before" on the forecast's closed-range queries.
_TICK = timedelta(microseconds=1)

_SHED_LEVEL = {ShedAt.ORANGE: Level.ORANGE, ShedAt.RED: Level.RED, ShedAt.NEVER: None}


class Room(Protocol):
    """The meter's headroom for switch-ons (``power_rule.PowerRoom``)."""

    @property
    def limit(self) -> int: ...

    def fits(self, needed: float, min_on: timedelta) -> bool: ...

    def free_va(self) -> float: ...

    def book(self, needed: float) -> "Room": ...


class Rule(StrEnum):
    OVERRIDE = "override"
    SHED = "shed"
    POWER = "power"  # the power rule ([meter], power_rule.py): cut before the meter trips
    LOW_CARBON = "low-carbon"
    DAILY = "daily-minimum"  # min_daily_run (daily_run.py)
    ROTATION = "rotation"  # a rotation group's turns in a strain (rotation.py)
    LOCK_BOUND = "lock-bound"  # an SG-Ready lock at its bound, or the release after (sg_lock.py)
    FALLBACK = "fallback"
    NORMAL = "normal"


@dataclass(frozen=True)
class Override:
    """An operator's order for one channel: powered or cut, until a time or until released."""

    powered: bool
    since: datetime
    until: datetime | None = None  # None: until released
    order: str | None = None  # a pilot channel's named order ("eco"; tui/core/pilot.py)

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True)
class RelayHistory:
    """What the service remembers of one relay, persisted across restarts.

    ``powered`` is the appliance state last applied (None: unknown, e.g. at first start);
    ``switches`` holds the times of the most recent switches (at least the last RATE_LIMIT),
    oldest first; ``latched`` is a cut kept after a shed because auto_restore is false.
    """

    powered: bool | None = None
    last_on: datetime | None = None
    last_off: datetime | None = None
    switches: tuple[datetime, ...] = ()
    latched: bool = False
    # Powered time on the Paris day ran_day up to the last switch (daily_run.accrue), and
    # when the current powered stretch began (None: cut, or powered since a time not known).
    ran_day: date | None = None
    ran: timedelta = timedelta(0)
    ran_from: datetime | None = None
    # A rotation group member cut in its turn: when that turn began (rotation.py).
    turn_from: datetime | None = None


@dataclass(frozen=True)
class Decision:
    channel: int
    powered: bool  # the state to apply now (after constraints)
    wanted: bool  # the state the rules want (before constraints)
    rule: Rule
    reason: str  # "red 18:00-20:00", "forced cut by operator until 14:30", ...
    waiting: str | None = None  # "min_off until 10:32", "restore slot 3 of 4 at 13:03"
    wait_until: datetime | None = None
    latched: bool = False  # the RelayHistory.latched value to store after this decision
    latch_holds: bool = False  # cut by the latch itself (the shed that set it is over)
    ends: datetime | None = None  # a cut: when the rule that decides it lets go (None: unknown)
    turn_from: datetime | None = None  # the RelayHistory.turn_from value to store


@dataclass(frozen=True)
class Evaluation:
    decisions: Mapping[int, Decision] = field(default_factory=dict)
    next_due: datetime | None = None  # when to evaluate again, even if nothing else happens


# --- words ------------------------------------------------------------------------------------


def _in(delta: timedelta) -> str:
    minutes = -(-int(delta.total_seconds()) // 60)  # rounded up: "in 1 min", never "in 0 min"
    if minutes < 60:
        return _("in {minutes} min").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return _("in {hours} h {minutes:02d}").format(hours=hours, minutes=minutes)
    return _("in {hours} h").format(hours=hours)


def shed_level(channel: ChannelConfig) -> Level | None:
    """The level at which a channel is cut; None for ``shed_at = "never"``."""
    return _SHED_LEVEL[channel.shed_at]


# --- forecast helpers -------------------------------------------------------------------------


def _slot_start(slot: Slot) -> datetime:
    return slot.start


def _run_of(forecast: Forecast, when: datetime, level: Level) -> Period | None:
    """The run of consecutive hours at exactly ``level`` containing ``when``."""
    slots = forecast.slots
    position = bisect.bisect_right(slots, when, key=_slot_start) - 1
    if position < 0 or not when < slots[position].end or slots[position].level != level:
        return None
    low = high = position
    while low > 0 and slots[low - 1].end == slots[low].start and slots[low - 1].level == level:
        low -= 1
    while (
        high + 1 < len(slots)
        and slots[high].end == slots[high + 1].start
        and slots[high + 1].level == level
    ):
        high += 1
    return Period(slots[low].start, slots[high].end, level)


def _next_hour_at(forecast: Forecast, after: datetime, level: Level) -> datetime | None:
    """The start of the first hour at exactly ``level`` beginning after ``after``."""
    slots = forecast.slots
    for slot in slots[bisect.bisect_right(slots, after, key=_slot_start) :]:
        if slot.level == level:
            return slot.start
    return None


def _no_forecast(forecast: Forecast | None, now: datetime) -> str:
    if forecast is None or not forecast.slots:
        return _("no forecast")
    slots = forecast.slots
    position = bisect.bisect_right(slots, now, key=_slot_start) - 1
    if position < 0:
        return _("no forecast before {time}").format(time=clock_time(slots[0].start, now))
    return _("no forecast since {time}").format(time=clock_time(slots[position].end, now))


# --- the rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Want:
    powered: bool
    rule: Rule
    reason: str
    latches: bool = False  # a cut here latches the channel (auto_restore = false)
    holds: bool = False  # the latch itself keeps the channel cut
    ends: datetime | None = None  # a cut: when the rule that makes it lets go (None: unknown)
    turn_from: datetime | None = None  # a rotation cut: when its turn began


# How many rules after the first a reason names ("..., then Tempo red until 22:00, then ...").
_THEN_LINKS = 3
_LATCH_HOLDS = N_("latched until an operator releases it")


@lru_cache(maxsize=4096)
def _clock_on(when: datetime, today: date, language: str) -> str:
    return clock_time(when, datetime.combine(today, time(12), tzinfo=PARIS))


def _clock(when: datetime, now: datetime) -> str:
    """``clock_time``, remembered: a plan words the same ends at every one of its steps."""
    return _clock_on(when, now.astimezone(PARIS).date(), i18n.language())


def _cut_hold(
    channel: ChannelConfig,
    at: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    tempo: TempoCalendar | None,
    latched: bool,
    now: datetime,
) -> tuple[str, datetime | None] | None:
    """The automatic rule that keeps the channel cut at ``at``, in the words of a "then" link,
    and when it lets go (None: no end known); None when no rule cuts it then."""
    threshold = shed_level(channel)
    if threshold is not None and forecast is not None:
        slot = forecast.first_at_or_above(threshold, at, at + policy.lead)
        if slot is not None:
            period = forecast.period_at_or_above(threshold, slot.start)
            end = period.end if period else slot.end
            lowest = (
                min((hour.level for hour in period.hours), default=slot.level)
                if period
                else slot.level
            )
            return _("{level} until {time}").format(level=lowest.words, time=_clock(end, now)), end
    peak = tempo_peak_within(tempo, tempo_colours(channel), at, at + policy.lead)
    if peak is not None:
        words = _("Tempo {colour} until {time}")
        return words.format(colour=peak.colour.words, time=_clock(peak.end, now)), peak.end
    if latched and not channel.auto_restore:
        return _(_LATCH_HOLDS), None
    level = forecast.level_at(at) if forecast is not None else None
    if channel.run is Run.LOW_CARBON:
        if level is Level.LOW_CARBON:
            return None
        upcoming = _next_hour_at(forecast, at, Level.LOW_CARBON) if forecast is not None else None
        when = _clock(upcoming, now) if upcoming else _("none in the forecast")
        return _("waiting for a low-carbon hour ({when})").format(when=when), upcoming
    if level is None and threshold is not None and policy.fallback is Fallback.SHED:
        return _("{no_forecast}: fallback cut").format(no_forecast=_no_forecast(forecast, at)), None
    return None


def _then(
    channel: ChannelConfig,
    want: _Want,
    now: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    tempo: TempoCalendar | None,
) -> _Want:
    """A cut's reason with every rule that holds the channel after it, each with its end:
    "orange 08:00-13:00, then Tempo red until 22:00, then waiting for a low-carbon hour (23:00)"."""
    if want.powered or want.ends is None or want.rule in (Rule.ROTATION, Rule.DAILY):
        return want
    links: list[str] = []
    at: datetime | None = want.ends
    latched = want.latches
    while at is not None and len(links) < _THEN_LINKS:
        hold = _cut_hold(channel, at, forecast, policy, tempo, latched, now)
        if hold is None:
            break
        words, ends = hold
        links.append(_("then {words}").format(words=words))
        at = ends if ends is not None and ends > at else None
    if not links:
        return want
    reason = ", ".join([want.reason, *links])
    return _Want(want.powered, want.rule, reason, want.latches, want.holds, want.ends)


def _want(
    channel: ChannelConfig,
    now: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    override: Override | None,
    item: RelayHistory,
    tempo: TempoCalendar | None = None,
    power_cut: str | None = None,
    turn: rotation.Turn | None = None,
) -> _Want:
    """What the rules want for the channel at ``now``; a cut names what holds it after."""
    want = _first_rule(channel, now, forecast, policy, override, item, tempo, power_cut, turn)
    return _lock_bound(channel, _then(channel, want, now, forecast, policy, tempo), item, now)


def _lock_bound(channel: ChannelConfig, want: _Want, item: RelayHistory, now: datetime) -> _Want:
    """An SG-Ready heat pump's automatic lock past ``max_blocked``, or within the release
    after a lock: its normal order instead (sg_lock.py). Never an operator's, a power cut or
    a rotation turn. A switch-on the rules want after a lock past its bound (one a constraint
    held, "held off before red") is the release too: nothing holds it but min_off, the gap
    and its restore slot."""
    if want.rule in (Rule.OVERRIDE, Rule.POWER, Rule.ROTATION):
        return want
    if want.powered and item.powered is not False:
        return want
    kept = sg_lock.release(channel.pilot, item.powered, item.last_on, item.last_off, now)
    if kept is None or channel.pilot is None:
        return want
    return _Want(True, Rule.LOCK_BOUND, kept.words(want.reason, channel.pilot, now))


def _first_rule(
    channel: ChannelConfig,
    now: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    override: Override | None,
    item: RelayHistory,
    tempo: TempoCalendar | None = None,
    power_cut: str | None = None,
    turn: rotation.Turn | None = None,
) -> _Want:
    if override is not None and override.active(now):
        until = (
            _("until {time}").format(time=clock_time(override.until, now))
            if override.until
            else _("until released")
        )
        forced = (
            _("forced on by operator {until}")
            if override.powered
            else _("forced cut by operator {until}")
        )
        reason = forced.format(until=until)
        named = override.order
        if named is None and not override.powered and channel.pilot is not None:
            named = channel.pilot.plain_cut.value  # not a cut of its supply: an order
        if named is not None:  # a pilot channel's order: "forced Éco"
            order = Order(named).label
            reason = _("forced {order} by operator {until}").format(order=order, until=until)
        return _Want(override.powered, Rule.OVERRIDE, reason, ends=override.until)

    if power_cut is not None:
        return _Want(False, Rule.POWER, power_cut)

    threshold = shed_level(channel)
    if threshold is not None and forecast is not None:
        slot = forecast.first_at_or_above(threshold, now, now + policy.lead)
        if slot is not None:
            period = forecast.period_at_or_above(threshold, slot.start)
            reason = period.describe() if period else slot.level.words
            if slot.start > now:
                reason = f"{reason} {_in(slot.start - now)}"
            ends = period.end if period else slot.end
            if turn is not None:
                return _turn_want(turn, reason, now)
            return _Want(False, Rule.SHED, reason, latches=not channel.auto_restore, ends=ends)

    peak = tempo_peak_within(tempo, tempo_colours(channel), now, now + policy.lead)
    if peak is not None:
        reason = peak.describe()
        if peak.start > now:
            reason = f"{reason} {_in(peak.start - now)}"
        if turn is not None:
            return _turn_want(turn, reason, now)
        return _Want(False, Rule.SHED, reason, latches=not channel.auto_restore, ends=peak.end)

    if item.latched and not channel.auto_restore:
        return _Want(
            False,
            Rule.SHED,
            _("kept cut after a shed (auto_restore is off): an operator must release it"),
            latches=True,
            holds=True,
        )

    rest = _later_rules(channel, now, forecast, policy, threshold)
    if rest.powered or not channel.min_daily_run:
        return rest
    return _daily(channel, now, forecast, policy, tempo, item, rest)


def _turn_want(turn: rotation.Turn, strain: str, now: datetime) -> _Want:
    """A rotating member in a strain: cut in its turn, powered between turns."""
    return _Want(
        not turn.cut,
        Rule.ROTATION,
        turn.words(strain, now),
        ends=turn.until,
        turn_from=turn.started if turn.cut else None,
    )


def _daily(
    channel: ChannelConfig,
    now: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    tempo: TempoCalendar | None,
    item: RelayHistory,
    rest: _Want,
) -> _Want:
    """The daily minimum over a cut the later rules want: run now, or say when it will."""
    done = daily_run.ran_today(item.ran_day, item.ran, item.powered, item.ran_from, now)
    on_since = item.ran_from if item.powered else None
    choice = daily_run.choose(channel, now, forecast, policy, tempo, done, on_since)
    if choice is None:
        return rest
    if choice.run_now:
        return _Want(True, Rule.DAILY, choice.words())
    if choice.next_start is None:
        return rest
    reason = _("{reason}; daily minimum from {time} ({done} of {need} done)").format(
        reason=rest.reason,
        time=clock_time(choice.next_start, now),
        done=daily_run.hm(done),
        need=daily_run.hm(choice.need),
    )
    ends = choice.next_start if rest.ends is None else min(rest.ends, choice.next_start)
    return _Want(False, Rule.DAILY, reason, rest.latches, rest.holds, ends)


def _later_rules(
    channel: ChannelConfig,
    now: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    threshold: Level | None,
) -> _Want:
    """Rules 3 to 5: the low-carbon run, the no-forecast fallback, powered."""
    level = forecast.level_at(now) if forecast is not None else None
    if channel.run is Run.LOW_CARBON:
        if level is Level.LOW_CARBON and forecast is not None:
            run = _run_of(forecast, now, Level.LOW_CARBON)
            return _Want(True, Rule.LOW_CARBON, run.describe() if run else level.words)
        upcoming = _next_hour_at(forecast, now, Level.LOW_CARBON) if forecast is not None else None
        known = level.words if level is not None else _("level unknown")
        when = (
            _("next at {time}").format(time=clock_time(upcoming, now))
            if upcoming
            else _("none in the forecast")
        )
        return _Want(
            False,
            Rule.LOW_CARBON,
            _("{level}: waiting for a low-carbon hour ({when})").format(level=known, when=when),
            ends=upcoming,
        )

    if level is None:
        # "never" means no automatic rule cuts the channel, the fallback "shed" included.
        powered = policy.fallback is Fallback.POWERED or threshold is None
        what = _("{no_forecast}: fallback powered") if powered else _("{no_forecast}: fallback cut")
        never = _(", never shed") if threshold is None and policy.fallback is Fallback.SHED else ""
        return _Want(
            powered, Rule.FALLBACK, what.format(no_forecast=_no_forecast(forecast, now)) + never
        )

    reason = level.words
    if threshold is None:
        reason = reason + _(", never shed")
    elif forecast is not None:
        strain = forecast.next_strained(now, threshold)
        if strain is not None:
            reason = reason + _(", no strain until {time}").format(
                time=clock_time(strain.start, now)
            )
    return _Want(True, Rule.NORMAL, reason)


# --- the constraints --------------------------------------------------------------------------


def _last_switch(item: RelayHistory) -> datetime | None:
    times = [t for t in (item.last_on, item.last_off) if t is not None]
    if item.switches:
        times.append(item.switches[-1])
    return max(times) if times else None


def _rate_release(switches: tuple[datetime, ...]) -> datetime | None:
    """When one more switch fits in the rate window, if it does not now."""
    return switches[-RATE_LIMIT] + RATE_WINDOW if len(switches) >= RATE_LIMIT else None


def _limits(
    item: RelayHistory,
    channel: ChannelConfig,
    policy: PolicyConfig,
    powered: bool,
    min_on: bool = True,
) -> list[tuple[datetime, str]]:
    """Each constraint on switching the relay to ``powered``, as (allowed from, name);
    ``min_on`` False for a power cut (a trip would cut everything anyway)."""
    limits: list[tuple[datetime, str]] = []
    if min_on and not powered and item.powered is True and item.last_on is not None:
        limits.append((item.last_on + channel.min_on, "min_on"))
    if powered and item.powered is False and item.last_off is not None:
        limits.append((item.last_off + channel.min_off, "min_off"))
    last = _last_switch(item)
    if last is not None:
        limits.append((last + policy.min_switch_gap, "min_switch_gap"))
    release = _rate_release(item.switches)
    if release is not None:
        limits.append(
            (release, _("rate limit ({count} switches a minute)").format(count=RATE_LIMIT))
        )
    return limits


def _blocker(
    item: RelayHistory,
    channel: ChannelConfig,
    policy: PolicyConfig,
    powered: bool,
    now: datetime,
    min_on: bool = True,
) -> tuple[datetime, str] | None:
    """The constraint that holds the relay longest from switching to ``powered``, if any."""
    limits = _limits(item, channel, policy, powered, min_on)
    blocking = [limit for limit in limits if limit[0] > now]
    return max(blocking, key=lambda limit: limit[0]) if blocking else None


def _strain_ahead(
    item: RelayHistory,
    channel: ChannelConfig,
    policy: PolicyConfig,
    forecast: Forecast | None,
    now: datetime,
    tempo: TempoCalendar | None = None,
) -> tuple[datetime, str] | None:
    """Whether a switch-on now could not be undone in time for the next strained hour."""
    threshold = shed_level(channel)
    if threshold is None:
        return None
    after = record_switch(item, True, now)
    earliest_cut = max(limit for limit, _ in _limits(after, channel, policy, False))
    horizon = earliest_cut + policy.lead - _TICK
    # Waiting ends when the shed rule takes over; the words say what the relay is kept from.
    holds: list[tuple[datetime, str]] = []
    slot = None if forecast is None else forecast.first_at_or_above(threshold, now, horizon)
    if slot is not None and forecast is not None:
        period = forecast.period_at_or_above(threshold, slot.start)
        name = period.describe() if period else slot.level.words
        holds.append((slot.start - policy.lead, _("held off before {what}").format(what=name)))
    peak = tempo_peak_within(tempo, tempo_colours(channel), now, horizon)
    if peak is not None:
        holds.append(
            (peak.start - policy.lead, _("held off before {what}").format(what=peak.describe()))
        )
    return min(holds, key=lambda hold: hold[0]) if holds else None


def _wait(
    channel: ChannelConfig, want: _Want, current: bool, limit: tuple[datetime, str], now: datetime
) -> Decision:
    until, name = limit
    return Decision(
        channel=channel.index,
        powered=current,
        wanted=want.powered,
        rule=want.rule,
        reason=want.reason,
        waiting=_("{name} until {time}").format(name=name, time=clock_time(until, now)),
        wait_until=until,
        latched=want.latches and not current,
        latch_holds=want.holds,
        ends=want.ends,
    )


def _apply(channel: ChannelConfig, want: _Want, powered: bool) -> Decision:
    return Decision(
        channel=channel.index,
        powered=powered,
        wanted=want.powered,
        rule=want.rule,
        reason=want.reason,
        latched=want.latches and not powered,
        latch_holds=want.holds,
        ends=want.ends,
        turn_from=None if powered else want.turn_from,
    )


def evaluate(
    now: datetime,
    forecast: Forecast | None,
    config: Config,
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
    tempo: TempoCalendar | None = None,
    power_cuts: Mapping[int, str] | None = None,
    room: Room | None = None,
) -> Evaluation:
    """Every channel's decision at ``now``, and when the next one is due.

    ``tempo`` is the Tempo calendar when ``[tempo]`` is on (None: Tempo plays no part);
    ``power_cuts`` the channels the power rule cuts, with their reasons (``power_rule.py``);
    ``room`` the meter's headroom for switch-ons (None: no meter, or none to go by).
    """
    power_cuts = power_cuts or {}
    policy = config.policy
    decisions: dict[int, Decision] = {}
    queue: list[tuple[ChannelConfig, _Want]] = []
    forced_on = False
    items: dict[int, RelayHistory] = {}
    assigned, edges = _rotation(now, forecast, config, overrides, history, tempo, power_cuts)

    for channel in config.channels:
        item = history.get(channel.index) or RelayHistory()
        items[channel.index] = item
        want = _want(
            channel,
            now,
            forecast,
            policy,
            overrides.get(channel.index),
            item,
            tempo,
            power_cuts.get(channel.index),
            assigned.get(channel.index),
        )
        current = item.powered
        if current is want.powered:
            decisions[channel.index] = _apply(channel, want, want.powered)
            continue
        if current is None:
            # Unknown: a cut is applied at once; a switch-on joins the stagger like a restore.
            if not want.powered:
                decisions[channel.index] = _apply(channel, want, False)
                continue
            blocker = None
        else:
            power = want.rule is Rule.POWER
            blocker = _blocker(item, channel, policy, want.powered, now, min_on=not power)
        automatic = want.rule not in (Rule.OVERRIDE, Rule.ROTATION, Rule.LOCK_BOUND)
        if blocker is None and want.powered and automatic:
            blocker = _strain_ahead(item, channel, policy, forecast, now, tempo)
        if blocker is None and want.powered and automatic:
            short = _cut_again_within(channel, now, forecast, policy, item, tempo)
            if short is not None:
                decisions[channel.index] = _not_worth(channel, want, short, policy, now)
                continue
        if blocker is not None:
            decisions[channel.index] = _wait(channel, want, bool(current), blocker, now)
        elif want.powered and want.rule is not Rule.OVERRIDE:
            queue.append((channel, want))
        else:
            decisions[channel.index] = _apply(channel, want, want.powered)
            forced_on |= want.powered

    if queue:
        _stagger(queue, items, forced_on, policy, now, decisions, room)

    ordered = {index: decisions[index] for index in sorted(decisions)}
    due = _next_due(now, forecast, policy, overrides, ordered.values())
    edges.extend(_daily_edges(now, forecast, config, history, tempo))
    edges.extend(_lock_edges(config, items, ordered, now))
    later = [edge for edge in edges if edge > now]
    if later and (due is None or min(later) < due):
        due = min(later)
    edge = tempo_next_edge(tempo, all_tempo_colours(config.channels), now, policy.lead)
    if edge is not None and (due is None or edge < due):
        due = edge
    return Evaluation(ordered, due)


def _shed_holds(
    channel: ChannelConfig,
    at: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    tempo: TempoCalendar | None,
) -> bool:
    """Whether rule 2 (shed: Ecowatt within lead, or a Tempo peak) holds the channel at ``at``."""
    threshold = shed_level(channel)
    if threshold is None:
        return False
    if forecast is not None and forecast.first_at_or_above(threshold, at, at + policy.lead):
        return True
    return tempo_peak_within(tempo, tempo_colours(channel), at, at + policy.lead) is not None


def _rotation(
    now: datetime,
    forecast: Forecast | None,
    config: Config,
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
    tempo: TempoCalendar | None,
    power_cuts: Mapping[int, str],
) -> tuple[dict[int, rotation.Turn], list[datetime]]:
    """The rotation groups' turns at ``now`` (rotation.py): members the shed rule holds and
    that no override or power cut owns."""
    members = [channel for channel in config.channels if channel.rotate is not None]
    if not members:
        return {}, []
    in_rotation = set()
    for channel in members:
        override = overrides.get(channel.index)
        if override is not None and override.active(now):
            continue
        if channel.index in power_cuts:
            continue
        if _shed_holds(channel, now, forecast, config.policy, tempo):
            in_rotation.add(channel.index)
    return rotation.turns(members, now, config.policy, history, in_rotation)


def _daily_edges(
    now: datetime,
    forecast: Forecast | None,
    config: Config,
    history: Mapping[int, RelayHistory],
    tempo: TempoCalendar | None,
) -> list[datetime]:
    """When a daily minimum may start or stop a run (a chosen piece's edge, midnight)."""
    edges: list[datetime] = []
    for channel in config.channels:
        if not channel.min_daily_run:
            continue
        item = history.get(channel.index) or RelayHistory()
        done = daily_run.ran_today(item.ran_day, item.ran, item.powered, item.ran_from, now)
        on_since = item.ran_from if item.powered else None
        choice = daily_run.choose(channel, now, forecast, config.policy, tempo, done, on_since)
        if choice is not None and choice.edge is not None:
            edges.append(choice.edge)
    return edges


def _lock_edges(
    config: Config,
    items: Mapping[int, RelayHistory],
    decisions: Mapping[int, Decision],
    now: datetime,
) -> list[datetime]:
    """When an SG-Ready lock reaches its bound, or the release after one ends, counted from
    the relay as these decisions leave it (a lock that starts now ends ``max_blocked`` on)."""
    edges = []
    for channel in config.channels:
        if not sg_lock.bounded(channel.pilot):
            continue
        item = items[channel.index]
        decision = decisions.get(channel.index)
        if decision is not None and decision.powered != item.powered:
            item = record_switch(item, decision.powered, now)
        edge = sg_lock.edge(channel.pilot, item.powered, item.last_on, item.last_off)
        if edge is not None:
            edges.append(edge)
    return edges


def _cut_again_within(
    channel: ChannelConfig,
    now: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    item: RelayHistory,
    tempo: TempoCalendar | None,
) -> tuple[datetime, str] | None:
    """When the automatic rules would cut the channel again within ``min_restore`` of a
    switch-on now, and why ("red 18:00-20:00"); None when the restore would last."""
    horizon = now + policy.min_restore
    if not policy.min_restore:
        return None
    after = record_switch(item, True, now)
    at = now
    while True:
        at_next = _rule_edge(channel, at, forecast, policy, after, tempo, horizon)
        if at_next is None or at_next >= horizon:
            return None
        at = at_next
        want = _first_rule(channel, at, forecast, policy, None, after, tempo)
        if not want.powered:
            return at, want.reason


def _rule_edge(
    channel: ChannelConfig,
    at: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    item: RelayHistory,
    tempo: TempoCalendar | None,
    horizon: datetime,
) -> datetime | None:
    """The first instant after ``at`` (before ``horizon``) where the channel's automatic
    rules may change; None when there is none before it."""
    times: list[datetime] = []
    if forecast is not None:
        change = _change_before(forecast, at, horizon)
        if change is not None:
            times.append(change)
        ahead = _change_before(forecast, at + policy.lead, horizon + policy.lead)
        if ahead is not None:
            times.append(ahead - policy.lead)
    edge = tempo_next_edge(tempo, tempo_colours(channel), at, policy.lead)
    if edge is not None:
        times.append(edge)
    if channel.min_daily_run:
        done = daily_run.ran_today(item.ran_day, item.ran, item.powered, item.ran_from, at)
        on_since = item.ran_from if item.powered else None
        choice = daily_run.choose(channel, at, forecast, policy, tempo, done, on_since)
        if choice is not None and choice.edge is not None:
            times.append(choice.edge)
    later = [t for t in times if t > at]
    return min(later) if later else None


def _change_before(forecast: Forecast, at: datetime, until: datetime) -> datetime | None:
    """``forecast.next_change(at)`` when it is before ``until`` (a scan that stops there)."""
    current = forecast.level_at(at)
    slots = forecast.slots
    first = max(bisect.bisect_right(slots, at, key=_slot_start) - 1, 0)
    for slot in slots[first:]:
        if slot.start >= until:
            break
        for edge in (slot.start, slot.end):
            if at < edge < until and forecast.level_at(edge) != current:
                return edge
    return None


def _not_worth(
    channel: ChannelConfig,
    want: _Want,
    short: tuple[datetime, str],
    policy: PolicyConfig,
    now: datetime,
) -> Decision:
    """A restore held back: the rules would cut the channel again within min_restore."""
    until, why = short
    minutes = int(policy.min_restore.total_seconds() // 60)
    waiting = _(
        "min_restore: not restored for less than {minutes} min (cut again at {time}: {why})"
    ).format(minutes=minutes, time=clock_time(until, now), why=why)
    return _held_cut(channel, want, waiting, until)


def _stagger(
    queue: list[tuple[ChannelConfig, _Want]],
    items: Mapping[int, RelayHistory],
    forced_on: bool,
    policy: PolicyConfig,
    now: datetime,
    decisions: dict[int, Decision],
    room: Room | None = None,
) -> None:
    """One switch-on per restore_gap, most important first; the others get their slot. A
    switch-on the meter's ``room`` cannot carry waits for room and takes no slot."""
    gap = policy.restore_gap
    ons = [item.last_on for item in items.values() if item.last_on is not None]
    latest = now if forced_on else max(ons, default=None)
    first = now if latest is None else max(now, latest + gap)
    queue.sort(key=lambda entry: (entry[0].priority, entry[0].index))
    position = 0
    for channel, want in queue:
        slot = first + gap * position
        needed = channel.power.watts if channel.power is not None else None
        if slot <= now and room is not None and needed is not None:
            if not room.fits(needed, channel.min_on):
                decisions[channel.index] = _no_room(channel, want, room, needed)
                continue
            room = room.book(needed)
        position += 1
        if slot <= now:
            decisions[channel.index] = _apply(channel, want, True)
            continue
        if len(queue) == 1:
            # Alone in the queue: only the gap since the latest switch-on holds it, said in
            # the form of every other constraint ("min_off until 10:32"), not "slot 1 of 1".
            waiting = _("restore_gap until {time}").format(time=clock_time(slot, now))
        else:
            waiting = _("restore slot {position} of {count} at {time}").format(
                position=position, count=len(queue), time=clock_time(slot, now)
            )
        owed = now + channel.min_off
        if items[channel.index].powered is None and owed > slot:
            # Set to cut now to leave the unknown state, the relay then owes its min_off: say
            # so, rather than promise a slot it will not take.
            waiting = waiting + _(", then min_off until {time}").format(time=clock_time(owed, now))
        decisions[channel.index] = _held_cut(channel, want, waiting, slot)


def _no_room(channel: ChannelConfig, want: _Want, room: Room, needed: float) -> Decision:
    waiting = _("room under the {limit} limit (needs {needed}, {free} free)").format(
        limit=format_kva(room.limit), needed=format_kva(needed), free=format_kva(room.free_va())
    )
    return _held_cut(channel, want, waiting)  # no time: the next meter reading looks again


def _held_cut(
    channel: ChannelConfig, want: _Want, waiting: str, until: datetime | None = None
) -> Decision:
    """A switch-on the rules want, held cut for ``waiting`` (until ``until``, if known)."""
    return Decision(
        channel=channel.index,
        powered=False,
        wanted=True,
        rule=want.rule,
        reason=want.reason,
        waiting=waiting,
        wait_until=until,
    )


def _next_due(
    now: datetime,
    forecast: Forecast | None,
    policy: PolicyConfig,
    overrides: Mapping[int, Override],
    decisions: Iterable[Decision],
) -> datetime | None:
    times = [d.wait_until for d in decisions if d.wait_until is not None]
    times.extend(item.until for item in overrides.values() if item.until is not None)
    if forecast is not None:
        change = forecast.next_change(now)
        if change is not None:
            times.append(change)
        ahead = forecast.next_change(now + policy.lead)
        if ahead is not None:
            times.append(ahead - policy.lead)
    future = [t for t in times if t > now]
    return min(future) if future else None


def record_switch(history: RelayHistory, powered: bool, at: datetime) -> RelayHistory:
    """The history after switching the relay to ``powered`` at ``at``."""
    ran_day, ran = accrue(history.ran_day, history.ran, history.powered, history.ran_from, at)
    return replace(
        history,
        powered=powered,
        ran_day=ran_day,
        ran=ran,
        ran_from=at if powered else None,
        last_on=at if powered else history.last_on,
        last_off=history.last_off if powered else at,
        switches=(*history.switches, at)[-RATE_LIMIT:],
    )


def count_movement(history: RelayHistory, at: datetime) -> RelayHistory:
    """The history after a relay movement that was not a decision (the board released the
    relay, or a command was sent to put it back): it counts against the rate limit, and
    leaves the appliance state the policy works from (``powered``) as it was."""
    return replace(history, switches=(*history.switches, at)[-RATE_LIMIT:])


def next_switch_allowed(history: RelayHistory, now: datetime) -> datetime | None:
    """When one more movement of the relay fits within RATE_LIMIT a minute; None: now."""
    release = _rate_release(history.switches)
    return release if release is not None and release > now else None
