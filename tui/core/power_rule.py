"""The power rule: keep the home under its meter's cut-off power, never let the Linky trip.

Pure: the meter's latest reading, the time, the configuration, the overrides and each relay's
history come in; the new ``PowerState`` (which channels are cut for power, and why) comes out.
``policy.evaluate`` then cuts those channels (``Rule.POWER``) with the grid rules' constraints.

- The limit is ``[meter] limit``, else the meter's own cut-off power (PCOUP, ISOUSC x 200 V).
- The meter's trip filter (``meter.TripFilter``) is followed from every reading; a channel is
  cut when the predicted time before a trip falls under ``margin`` (default 30 s), or at once
  on the meter's own overrun flag with ``on_overrun = "cut"``. A spike the meter rides out
  (1.2 x the limit: the filter settles at 1.44 < 1.69) cuts nothing with ``"model"``.
- One channel per cut, the least important first (the highest ``priority`` number; among
  those, the smallest whose power covers the excess, else the largest), then a look at the
  frames that follow (not before ``SETTLE``, so that the next frame shows the cut). Candidates
  are powered, automatic (an override wins: a forced-on load counts in the power and others
  are cut around it), ``shed_power = true`` and not ``shed_at = "never"``. Nothing left to cut
  is said (``PowerStep.said``) once per episode.
- A cut is lifted like a délesteur's re-close test: one channel at a time, the most important
  first, not before ``restore_after`` after its cut, once the headroom has covered its power
  (plus that of channels lifted and not yet seen drawing) for ``restore_test``, and never
  into a predicted trip. With ``on_overrun = "model"`` the headroom is the meter's own
  tolerance (``_room``): the filter must carry the sum for ever, or for ``margin`` +
  ``restore_after`` at least. ``min_off``, the gap and the switching limit then apply in the
  policy.
- A stale meter (no reading for ``stale_after``) is never "no load": nothing is lifted on it;
  after ``stale_hold`` the cuts are lifted together and the policy staggers the restores.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from tui.core.config import ChannelConfig, Config, ShedAt
from tui.core.forecast import clock_time
from tui.core.i18n import _
from tui.core.meter import (
    MeterReading,
    MeterState,
    TripFilter,
    format_kva,
    with_added,
)
from tui.core.meter_config import MeterConfig, OnOverrun
from tui.core.policy import Override, RelayHistory

SETTLE = timedelta(seconds=2)  # after a cut, the next frame that can show it


@dataclass(frozen=True)
class PowerCut:
    at: datetime
    power_va: float  # what cutting it should take off: its `power`, else the excess then
    reason: str


@dataclass(frozen=True)
class PowerState:
    filter: TripFilter = field(default_factory=TripFilter)
    reading: MeterReading | None = None  # the last reading taken into the filter
    cuts: Mapping[int, PowerCut] = field(default_factory=dict)
    clear_since: datetime | None = None  # headroom has covered the next restore since then
    over_since: datetime | None = None  # power above the limit since then
    last_cut: datetime | None = None
    pending: Mapping[int, datetime] = field(default_factory=dict)  # lifted, not yet drawing
    stale_since: datetime | None = None
    alarm: bool = False  # "nothing left to cut" said for this episode
    limit: int | None = None
    trip_in: float | None = None  # seconds before a trip at the power last seen; None: never


@dataclass(frozen=True)
class PowerStep:
    state: PowerState
    cut: int | None = None  # the channel cut at this step
    lifted: tuple[int, ...] = ()  # cuts lifted at this step
    said: tuple[str, ...] = ()  # loud words: nothing left to cut
    next_due: datetime | None = None

    @property
    def cuts(self) -> dict[int, str]:
        """Channel -> reason, for ``policy.evaluate``."""
        return {index: cut.reason for index, cut in self.state.cuts.items()}


@dataclass(frozen=True)
class PowerRoom:
    """The headroom a switch-on the other rules make may use (``policy.evaluate``'s restore
    queue): at a strain's end, a low-carbon start or a rotation turn, a load the meter could
    not carry waits for room instead of being restored into a rebound the power rule would
    then cut again. ``booked``: switched on, not yet in the reading, or taken by an earlier
    switch-on of the same evaluation."""

    filter: TripFilter
    reading: MeterReading
    limit: int
    meter: MeterConfig
    booked: float = 0.0

    def fits(self, needed: float, min_on: timedelta) -> bool:
        """The re-close test of a power cut's lift (``_room``), for ``needed`` more."""
        needed += self.booked
        return _room(self.filter, self.reading, self.limit, needed, self.meter, min_on)

    def free_va(self) -> float:
        return max(self.limit - self.reading.power_va - self.booked, 0.0)

    def book(self, needed: float) -> "PowerRoom":
        return replace(self, booked=self.booked + needed)


def power_room(
    state: PowerState, config: Config, history: Mapping[int, RelayHistory]
) -> PowerRoom | None:
    """The room for switch-ons after a ``power_step``; None when there is no basis for one
    (no meter, no reading or limit yet, a stale meter: restores then go as without a meter)."""
    meter, reading, limit = config.meter, state.reading, state.limit
    if meter is None or reading is None or limit is None or state.stale_since is not None:
        return None
    booked = 0.0
    for channel in config.channels:
        item = history.get(channel.index)
        watts = _expected(channel)
        if item is None or watts is None or not item.powered or item.last_on is None:
            continue
        if reading.at - item.last_on < SETTLE:  # on, but the reading cannot show it yet
            booked += watts
    return PowerRoom(state.filter, reading, limit, meter, booked)


def meter_state(state: PowerState) -> MeterState:
    if state.reading is None:
        return MeterState.WAITING
    if state.stale_since is not None:
        return MeterState.STALE
    if state.reading.breaker_open:
        return MeterState.TRIPPED
    return MeterState.OK


def limit_of(meter: MeterConfig, reading: MeterReading | None) -> int | None:
    if meter.limit is not None:
        return meter.limit
    return reading.cutoff_va if reading is not None else None


def _candidate(
    channel: ChannelConfig,
    now: datetime,
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
    cuts: Mapping[int, PowerCut],
) -> bool:
    override = overrides.get(channel.index)
    item = history.get(channel.index)
    return (
        channel.shed_power
        and channel.shed_at is not ShedAt.NEVER
        and channel.index not in cuts
        and not (override is not None and override.active(now))
        and item is not None
        and item.powered is True
    )


def _expected(channel: ChannelConfig) -> float | None:
    return channel.power.watts if channel.power is not None else None


def choose_cut(candidates: list[ChannelConfig], excess: float) -> ChannelConfig:
    """The least important tier; in it the smallest power covering ``excess``, else the
    largest (an unknown power counts as covering it); ties: the higher index."""
    tier = max(channel.priority for channel in candidates)
    pool = [channel for channel in candidates if channel.priority == tier]

    def power(channel: ChannelConfig) -> float:
        watts = _expected(channel)
        return excess if watts is None else watts

    covering = [channel for channel in pool if power(channel) >= excess]
    if covering:
        return min(covering, key=lambda c: (power(c), -c.index))
    return max(pool, key=lambda c: (power(c), c.index))


def _reason(reading: MeterReading, limit: int, state: PowerState, trip_in: float | None) -> str:
    power = format_kva(reading.power_va)
    if trip_in is not None and reading.power_va > limit:
        since = state.over_since or reading.at
        seconds = round((reading.at - since).total_seconds())
        return _(
            "power {power} over {limit} for {seconds} s: the meter would trip in {trip} s"
        ).format(power=power, limit=format_kva(limit), seconds=seconds, trip=max(round(trip_in), 0))
    return _("power {power}, limit {limit}: the meter flags an overrun").format(
        power=power, limit=format_kva(limit)
    )


def power_step(
    state: PowerState,
    reading: MeterReading | None,
    now: datetime,
    config: Config,
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
) -> PowerStep:
    """The power rule at ``now`` with the meter's latest ``reading`` (None: none yet)."""
    meter = config.meter
    if meter is None:
        return PowerStep(PowerState())
    channels = {channel.index: channel for channel in config.channels}
    # Channels gone from the configuration, or taken by an override: no longer cut for power.
    cuts = {
        index: cut
        for index, cut in state.cuts.items()
        if index in channels
        and not (index in overrides and overrides[index].active(now))
        and channels[index].shed_power
        and channels[index].shed_at is not ShedAt.NEVER
    }
    state = replace(state, cuts=cuts)
    # A frame whose PCOUP was garbled keeps the limit known from the frames before.
    limit = limit_of(meter, reading) or state.limit
    new = reading is not None and (state.reading is None or reading.at > state.reading.at)
    if new and reading is not None and limit is not None:
        switched = max(
            (at for h in history.values() for at in h.switches[-1:] if at <= reading.at),
            default=None,
        )
        state = replace(state, filter=state.filter.seen(reading, limit, switched), reading=reading)
    elif new:
        state = replace(state, reading=reading)
    state = replace(state, limit=limit)

    if reading is None or now - reading.at >= meter.stale_after:
        return _stale(state, reading, now, meter)
    state = replace(state, stale_since=None)
    if limit is None:  # no [meter] limit and no cut-off power from the meter yet: hold
        return PowerStep(state, next_due=reading.at + meter.stale_after)

    trip_in = state.filter.trip_in()
    over = reading.power_va > limit
    state = replace(
        state,
        trip_in=trip_in,
        over_since=(state.over_since or reading.at) if over else None,
    )
    # Words, before the state moves on: "for 40 s" counts from the first reading over.
    danger = (trip_in is not None and trip_in < meter.margin.total_seconds()) or (
        meter.on_overrun is OnOverrun.CUT and reading.overrun
    )
    pending = {
        index: since
        for index, since in state.pending.items()
        if index in channels
        and now - since < meter.restore_after
        and not _drawing(history.get(index), reading, since)
    }
    state = replace(state, pending=pending)
    stale_due = reading.at + meter.stale_after

    if danger:
        if state.last_cut is not None and reading.at - state.last_cut < SETTLE:
            return PowerStep(state, next_due=_earliest(stale_due, state.last_cut + SETTLE))
        candidates = [
            channel
            for channel in config.channels
            if _candidate(channel, now, overrides, history, state.cuts)
        ]
        excess = max(reading.power_va - limit, 1)
        if not candidates:
            said: tuple[str, ...] = ()
            if not state.alarm:
                when = (
                    _("in {seconds} s").format(seconds=round(trip_in))
                    if trip_in is not None
                    else _("soon")
                )
                said = (
                    _(
                        "power {power} over {limit} and nothing left to cut: the meter may trip "
                        "{when}"
                    ).format(
                        power=format_kva(reading.power_va), limit=format_kva(limit), when=when
                    ),
                )
            return PowerStep(replace(state, alarm=True), said=said, next_due=stale_due)
        chosen = choose_cut(candidates, excess)
        expected = _expected(chosen)
        cut = PowerCut(
            at=now,
            power_va=expected if expected is not None else excess,
            reason=_reason(reading, limit, state, trip_in),
        )
        state = replace(
            state, cuts={**state.cuts, chosen.index: cut}, last_cut=now, clear_since=None
        )
        return PowerStep(state, cut=chosen.index, next_due=stale_due)

    if trip_in is None:
        state = replace(state, alarm=False)
    if not state.cuts:
        return PowerStep(replace(state, clear_since=None), next_due=stale_due)
    # The re-close test, for the most important cut channel only.
    index = min(state.cuts, key=lambda i: (channels[i].priority, i))
    cut = state.cuts[index]
    needed = cut.power_va + sum(
        (_expected(channels[i]) or state.cuts.get(i, cut).power_va) for i in pending
    )
    fits = _room(state.filter, reading, limit, needed, meter, channels[index].min_on)
    if not fits:
        return PowerStep(replace(state, clear_since=None), next_due=stale_due)
    clear_since = state.clear_since or reading.at
    ready = max(clear_since + meter.restore_test, cut.at + meter.restore_after)
    if now < ready:
        return PowerStep(replace(state, clear_since=clear_since), next_due=min(ready, stale_due))
    rest = {i: c for i, c in state.cuts.items() if i != index}
    state = replace(state, cuts=rest, clear_since=None, pending={**pending, index: now})
    return PowerStep(state, lifted=(index,), next_due=stale_due)


def _room(
    trip: TripFilter,
    reading: MeterReading,
    limit: int,
    needed: float,
    meter: MeterConfig,
    min_on: timedelta = timedelta(0),
) -> bool:
    """Whether ``needed`` more may be drawn now: the headroom under the limit covers it, or
    (``on_overrun = "model"``) the meter's own filter would carry it for at least ``margin``
    + ``restore_after`` (or the channel's ``min_on``, if longer) before the rule had to cut
    again, or for ever (X under 1.3). The hysteresis: a load restored over the limit runs at
    least as long as a cut lasts, and its ``min_on`` is not broken by the next cut."""
    after = trip.trip_in(with_added(reading, limit, needed))
    if limit - reading.power_va >= needed and after is None:
        return True
    if meter.on_overrun is OnOverrun.CUT:  # over the limit the meter's flag would cut again
        return False
    hold = meter.margin + max(meter.restore_after, min_on)
    return after is None or after >= hold.total_seconds()


def _drawing(item: RelayHistory | None, reading: MeterReading, since: datetime) -> bool:
    """A lifted channel whose switch-on the reading can already show."""
    return (
        item is not None
        and item.powered is True
        and item.last_on is not None
        and item.last_on >= since
        and reading.at - item.last_on >= SETTLE
    )


def _stale(
    state: PowerState, reading: MeterReading | None, now: datetime, meter: MeterConfig
) -> PowerStep:
    if reading is None:  # none yet: cuts saved before a restart are held, then lifted
        if not state.cuts:
            return PowerStep(state)
        since = state.stale_since or now
    else:
        since = state.stale_since or min(now, reading.at + meter.stale_after)
    state = replace(state, stale_since=since, clear_since=None, trip_in=None)
    if not state.cuts:
        return PowerStep(state)
    release = since + meter.stale_hold
    if now < release:
        return PowerStep(state, next_due=release)
    lifted = tuple(sorted(state.cuts))
    return PowerStep(replace(state, cuts={}), lifted=lifted)


def _earliest(*times: datetime | None) -> datetime | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def describe_meter(state: PowerState, now: datetime) -> str:
    """``4.2 / 9 kVA`` (the header), with the meter's state when it is not plain."""
    reading = state.reading
    if reading is None:
        return _("meter: waiting for a frame")
    limit = f" / {format_kva(state.limit)}" if state.limit else ""
    words = f"{format_kva(reading.power_va).removesuffix(' kVA')}{limit}"
    if state.stale_since is not None:
        return _("meter stale since {time} (last {words})").format(
            time=clock_time(state.stale_since, now), words=words
        )
    if state.trip_in is not None:
        return _("{words}, trip in {seconds} s").format(words=words, seconds=round(state.trip_in))
    return words
