"""Rotation groups (``rotate = "name"``, issue 25): in a strain, a group is cut in turns.

Pure. Channels sharing a ``rotate`` group are not all cut while their shed rule holds: only
``[policy] rotate_cut`` of them (k) at a time, each for a turn of ``rotate_every`` (raised to
the longest ``min_on``/``min_off`` of the group, so that a turn never has to wait for one),
the others staying powered. The members in rotation at ``now`` are those whose shed rule holds
then and that no operator override or power cut owns; with k or fewer of them there is nothing
to rotate and the shed rule cuts them all as usual.

No state beyond what every switch records: a member holds its turn while it is cut and its
``last_off`` is less than a turn ago. When fewer than k hold a turn, the members cut least
recently (the oldest ``last_off``; never cut first; then the least important, the highest
``priority`` number, then the higher index) start theirs. Turns pass round the group in that
order, across strains too, so cut time is shared: over any stretch, two members' cut time
differs by at most about one turn. Constraints still apply to every switch (``policy``): a cut
waits for ``min_on``, the gap and the rate limit, a restore for ``min_off`` and its
``restore_gap`` slot.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tui.core.config import ChannelConfig, PolicyConfig
from tui.core.forecast import clock_time


class _Relay(Protocol):
    @property
    def powered(self) -> bool | None: ...

    @property
    def last_off(self) -> datetime | None: ...


@dataclass(frozen=True)
class Turn:
    """One member's part in its group's rotation at ``now``."""

    cut: bool
    group: str
    until: datetime | None  # cut: when its turn ends; powered: the earliest turn end in the group
    cut_names: tuple[str, ...]  # the members whose turn it is

    def words(self, strain: str, now: datetime) -> str:
        when = f" until {clock_time(self.until, now)}" if self.until is not None else ""
        if self.cut:
            return f"{strain}, its turn in rotation group {self.group}{when}"
        others = ", ".join(self.cut_names) or "nobody yet"
        return f"{strain}: powered, rotation group {self.group} cuts {others}{when}"


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
        if len(strained) <= k:
            continue
        holders: list[ChannelConfig] = []
        waiting: list[ChannelConfig] = []
        for member in strained:
            item = history.get(member.index)
            last_off = item.last_off if item is not None else None
            if (
                item is not None
                and item.powered is False
                and last_off is not None
                and now < last_off + length
            ):
                holders.append(member)
                edges.append(last_off + length)
            else:
                waiting.append(member)

        def order(member: ChannelConfig) -> tuple[float, int, int]:
            item = history.get(member.index)
            last_off = item.last_off if item is not None else None
            age = last_off.timestamp() if last_off is not None else float("-inf")
            return (age, -member.priority, -member.index)

        waiting.sort(key=order)
        starting = waiting[: max(k - len(holders), 0)]
        edges.extend(now + length for _ in starting[:1])
        cut = [*holders, *starting]
        names = tuple(m.name for m in sorted(cut, key=lambda m: m.index))
        ends = [_turn_end(history.get(m.index), length, now) for m in cut if m in holders] + [
            now + length for _ in starting
        ]
        first_end = min(ends) if ends else None
        for member in strained:
            if member in holders:
                until = _turn_end(history.get(member.index), length, now)
                assigned[member.index] = Turn(True, name, until, names)
            elif member in starting:
                assigned[member.index] = Turn(True, name, now + length, names)
            else:
                assigned[member.index] = Turn(False, name, first_end, names)
    return assigned, edges


def _turn_end(item: _Relay | None, length: timedelta, now: datetime) -> datetime:
    last_off = item.last_off if item is not None else None
    return last_off + length if last_off is not None else now + length
