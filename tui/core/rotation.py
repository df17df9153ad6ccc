"""Rotation groups (``rotate = "name"``, issue 25): in a strain, a group is cut in turns.

Pure. Channels sharing a ``rotate`` group are not all cut while their shed rule holds: only
``[policy] rotate_cut`` of them (k) at a time, each for a turn of ``rotate_every`` (raised to
the longest ``min_on``/``min_off`` of the group, so that a turn never has to wait for one),
the others staying powered. The members in rotation at ``now`` are those whose shed rule holds
then and that no operator override or power cut owns. Turns need at least 2k of them (so that
the k whose turn ends are never the ones to start the next); with fewer the shed rule cuts
them all as usual, so a partial strain never sheds less than the plain rule would.

No state beyond what every switch records: a member holds its turn while it is cut and its
``last_off`` is less than a turn ago. When fewer than k hold a turn, others start theirs:
those powered now before any still cut (from a turn just ended, its restore waiting) or whose
turn ended less than a turn ago (restored or not, so that a restore at the instant a turn
starts changes nothing), then the one powered longest today (``RelayHistory.ran``, the daily
minimum's count: the least cut), then the least recently cut; members cut together follow
each other round the group's cycle (channel order), and at the very first turn the least
important (the highest ``priority`` number) go first. Turns pass round the group that way,
across strains too, so cut time is shared: over a day, two members' cut time differs by about
one turn at most.

Constraints still apply to every switch (``policy``): a cut waits for ``min_on``, the gap and
the rate limit, a restore for ``min_off`` and its ``restore_gap`` slot.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from tui.core.config import ChannelConfig, PolicyConfig
from tui.core.daily_run import ran_today
from tui.core.forecast import clock_time, next_paris_midnight
from tui.core.i18n import _


class _Relay(Protocol):
    @property
    def powered(self) -> bool | None: ...

    @property
    def last_off(self) -> datetime | None: ...

    @property
    def ran_day(self) -> date | None: ...

    @property
    def ran(self) -> timedelta: ...

    @property
    def ran_from(self) -> datetime | None: ...

    @property
    def turn_from(self) -> datetime | None: ...


@dataclass(frozen=True)
class Turn:
    """One member's part in its group's rotation at ``now``."""

    cut: bool
    group: str
    until: datetime | None  # cut: when its turn ends; powered: the earliest turn end in the group
    cut_names: tuple[str, ...]  # the members whose turn it is
    started: datetime | None = None  # cut: when its turn began

    def words(self, strain: str, now: datetime) -> str:
        until = clock_time(self.until, now) if self.until is not None else None
        if self.cut:
            if until is None:
                return _("{strain}, its turn in rotation group {group}").format(
                    strain=strain, group=self.group
                )
            return _("{strain}, its turn in rotation group {group} until {time}").format(
                strain=strain, group=self.group, time=until
            )
        others = ", ".join(self.cut_names) or _("nobody yet")
        if until is None:
            return _("{strain}: powered, rotation group {group} cuts {others}").format(
                strain=strain, group=self.group, others=others
            )
        return _("{strain}: powered, rotation group {group} cuts {others} until {time}").format(
            strain=strain, group=self.group, others=others, time=until
        )


def turn_length(members: Iterable[ChannelConfig], policy: PolicyConfig) -> timedelta:
    """``rotate_every``, or the group's longest min_on or min_off when that is longer."""
    longest = [policy.rotate_every]
    for channel in members:
        longest.extend((channel.min_on, channel.min_off))
    return max(longest)


def groups(channels: Iterable[ChannelConfig]) -> dict[str, list[ChannelConfig]]:
    found: dict[str, list[ChannelConfig]] = {}
    for channel in channels:
        if channel.rotate is not None:
            found.setdefault(channel.rotate, []).append(channel)
    return found


def turns(
    channels: Iterable[ChannelConfig],
    now: datetime,
    policy: PolicyConfig,
    history: Mapping[int, _Relay],
    in_rotation: set[int],
) -> tuple[dict[int, Turn], list[datetime]]:
    """Each rotating member's turn at ``now`` (members absent: no rotation, plain shed), and
    the instants a turn ends (when the policy must look again)."""
    assigned: dict[int, Turn] = {}
    edges: list[datetime] = []
    for name, members in groups(channels).items():
        length = turn_length(members, policy)
        strained = [m for m in members if m.index in in_rotation]
        k = policy.rotate_cut
        if len(strained) < 2 * k:
            continue  # no room for turns: the shed rule cuts them all
        holders: list[ChannelConfig] = []
        waiting: list[ChannelConfig] = []
        for member in strained:
            item = history.get(member.index)
            began = _turn_began(item)
            if item is not None and item.powered is False and began and now < began + length:
                holders.append(member)
            else:
                waiting.append(member)

        if len(holders) > k:
            # More cut within a turn than k (relays set cut at a first start, a strain
            # starting beside a cut): the k cut first keep their turn, the others are let go.
            holders.sort(key=lambda m: (_turn_began(history.get(m.index)), m.index))
            waiting.extend(holders[k:])
            holders = holders[:k]
        edges.extend(_turn_end(history.get(m.index), length, now) for m in holders)
        starting = _next_up(members, waiting, history, now, length)[: max(k - len(holders), 0)]
        # The order of the waiting members changes when a recent turn stops counting (below),
        # and at midnight, when the day's powered time starts again.
        edges.append(next_paris_midnight(now))
        for member in waiting:
            began = _turn_began(history.get(member.index))
            if began is not None and now < began + 2 * length:
                edges.append(began + 2 * length)
        edges.extend(now + length for _ in starting[:1])
        cut = [*holders, *starting]
        names = tuple(m.name for m in sorted(cut, key=lambda m: m.index))
        ends = [_turn_end(history.get(m.index), length, now) for m in cut if m in holders] + [
            now + length for _ in starting
        ]
        first_end = min(ends) if ends else None
        for member in strained:
            if member in holders:
                began = _turn_began(history.get(member.index))
                until = _turn_end(history.get(member.index), length, now)
                assigned[member.index] = Turn(True, name, until, names, began)
            elif member in starting:
                assigned[member.index] = Turn(True, name, now + length, names, now)
            else:
                assigned[member.index] = Turn(False, name, first_end, names)
    return assigned, edges


def _next_up(
    members: list[ChannelConfig],
    waiting: list[ChannelConfig],
    history: Mapping[int, _Relay],
    now: datetime,
    length: timedelta,
) -> list[ChannelConfig]:
    """``waiting`` in the order their turns come: those powered now before those still cut,
    then the one powered longest today (so the least cut) first; among equals the least
    recently cut. Members cut together (one turn of k) are a run of the group's cycle (channel
    order) and follow each other from the first of that run, so turns pass round the cycle;
    members never cut start, the least important first."""
    order = {m.index: p for p, m in enumerate(_cycle_order(members, waiting, history))}

    def powered_today(member: ChannelConfig) -> timedelta:
        item = history.get(member.index)
        if item is None:
            return timedelta(0)
        return ran_today(item.ran_day, item.ran, item.powered, item.ran_from, now)

    def cut_now_or_lately(member: ChannelConfig) -> bool:
        item = history.get(member.index)
        if item is None:
            return False
        began = _turn_began(item)
        return item.powered is False or (began is not None and now < began + 2 * length)

    # A member still cut (its turn just ended, its restore waiting) goes last: chosen again it
    # would stay cut with no new turn begun. So does one whose turn ended less than a turn ago,
    # restored or not: its restore at the instant a turn starts must not move it ahead of the
    # others (the turn chosen before the switch must be the one chosen after it).
    return sorted(waiting, key=lambda m: (cut_now_or_lately(m), -powered_today(m), order[m.index]))


def _cycle_order(
    members: list[ChannelConfig], waiting: list[ChannelConfig], history: Mapping[int, _Relay]
) -> list[ChannelConfig]:

    def last_off(member: ChannelConfig) -> datetime | None:
        item = history.get(member.index)
        return item.last_off if item is not None else None

    cycle = sorted(members, key=lambda m: m.index)
    position = {m.index: p for p, m in enumerate(cycle)}
    ties: dict[datetime | None, list[ChannelConfig]] = {}
    for member in waiting:
        ties.setdefault(last_off(member), []).append(member)
    ordered: list[ChannelConfig] = []
    for when in sorted(ties, key=lambda t: (t is not None, t)):
        tied = ties[when]
        inside = {m.index for m in tied}
        starts = [
            m for m in tied if cycle[(position[m.index] - 1) % len(cycle)].index not in inside
        ]
        if not starts:  # the whole cycle: the first turns go to the least important
            ordered.extend(sorted(tied, key=lambda m: (-m.priority, m.index)))
            continue
        first = min(position[m.index] for m in starts)
        ordered.extend(sorted(tied, key=lambda m: (position[m.index] - first) % len(cycle)))
    return ordered


def _turn_began(item: _Relay | None) -> datetime | None:
    """When the member's current turn began: its cut, or a later turn it went on into while
    still cut (``turn_from``, kept from the decision that began it)."""
    if item is None:
        return None
    times = [t for t in (item.last_off, item.turn_from) if t is not None]
    return max(times) if times else None


def _turn_end(item: _Relay | None, length: timedelta, now: datetime) -> datetime:
    began = _turn_began(item)
    return began + length if began is not None else now + length
