"""Saved state, vetted before it is applied: whose it is, and whether its times make sense.

Pure: the configuration, the saved entries and ``now`` come in; what may be applied and one line
per problem come out. The service at start, ``plan`` and ``check`` use it alike.

- **Whose it is.** A state file names, for each relay index, the appliance it was saved for
  (the channel's name and wiring). An entry saved for another appliance (the demo's Borne VE
  where the live configuration has a Lave-linge, or the same name wired the other way) is
  dropped, override, latch and switch times together, with one line per relay: it is never
  applied. A file written before the names were recorded (version 1 without ``channels``) is
  taken by relay index as before, and every override or latch in it is said once, so that an
  operator can release what is not theirs; its next save records the names.
- **Times from the future.** A switch time or an override start after ``now`` (the clock was
  fast when it was saved, or it went back since) is taken as ``now``, with one line: waiting
  for it could hold a relay for days. An override ending more than ``MAX_HORIZON`` ahead
  (no delestage writes one) is refused, with one line.
- **Orders the channel may not be sent.** An override naming an order (``force CH max``) that
  the channel's configuration does not allow (``max`` on a heat pump whose ``allow_max`` is
  false, ``arret`` without ``allow_off``, a pilot order on a heat pump, any order on a plain
  channel: a hand-edited file, or a configuration changed since) is taken as the plain force
  it sends instead (forced on: normal running; forced cut: the ``cut`` order), with one line,
  so that its reason says what is applied, not the order refused.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from tui.core.config import ChannelConfig, Wiring
from tui.core.durations import MAX_HORIZON
from tui.core.forecast import PARIS, clock_time
from tui.core.i18n import _
from tui.core.pilot import Order
from tui.core.policy import Override, RelayHistory


@dataclass(frozen=True)
class Owner:
    """The appliance a relay's saved entries belong to."""

    name: str
    wiring: Wiring

    @staticmethod
    def of(channel: ChannelConfig) -> "Owner":
        return Owner(channel.name, channel.wiring)

    def describe(self) -> str:
        return _("{name} (wiring {wiring})").format(name=self.name, wiring=self.wiring.value)


def owners_of(channels: Iterable[ChannelConfig]) -> dict[int, Owner]:
    return {channel.index: Owner.of(channel) for channel in channels}


@dataclass
class Vetted:
    overrides: dict[int, Override] = field(default_factory=dict)
    history: dict[int, RelayHistory] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # one line each, for the event log


def _override_words(override: Override, now: datetime) -> str:
    until = (
        _("until {time}").format(time=clock_time(override.until, now))
        if override.until
        else _("until released")
    )
    words = _("forced on {until}") if override.powered else _("forced cut {until}")
    return words.format(until=until)


def _refused_order(channel: ChannelConfig, order: str) -> str | None:
    """Why ``order`` may not be sent on ``channel`` (None: it may)."""
    if channel.pilot is None:
        return "not a pilot-wire or SG-Ready channel"
    try:
        return channel.pilot.refusal(Order(order))
    except ValueError:  # pragma: no cover  # the store reads known orders only
        return "not an order"


def _paris(when: datetime) -> str:
    return when.astimezone(PARIS).isoformat(timespec="seconds")


def _has_entries(override: Override | None, item: RelayHistory | None) -> bool:
    return override is not None or (item is not None and item != RelayHistory())


def _entries(override: Override | None, item: RelayHistory | None, now: datetime) -> str:
    parts = []
    if override is not None:
        parts.append(_("override ({words})").format(words=_override_words(override, now)))
    if item is not None and item.latched:
        parts.append(_("latch"))
    if item is not None and (item.switches or item.last_on or item.last_off):
        parts.append(_("switch times"))
    if item is not None and item.powered is not None and not parts:
        parts.append(_("relay state"))
    return ", ".join(parts) or _("entries")


def _clamp(item: RelayHistory, now: datetime) -> RelayHistory:
    def at_most(when: datetime | None) -> datetime | None:
        return min(when, now) if when is not None else None

    return replace(
        item,
        last_on=at_most(item.last_on),
        last_off=at_most(item.last_off),
        switches=tuple(sorted(min(at, now) for at in item.switches)),
        ran_from=at_most(item.ran_from),
        turn_from=at_most(item.turn_from),
    )


def _latest(item: RelayHistory) -> datetime | None:
    # ran_from and turn_from too: a daily run or a rotation turn counted from the future would
    # never be done or never end.
    stamps = (item.last_on, item.last_off, item.ran_from, item.turn_from, *item.switches)
    times = [t for t in stamps if t is not None]
    return max(times) if times else None


def vet_saved_state(
    channels: Iterable[ChannelConfig],
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
    owners: Mapping[int, Owner] | None,
    now: datetime,
    where: str = "state.json",
) -> Vetted:
    """What of the saved state may be applied to ``channels`` at ``now``, and what was not.

    ``owners``: the appliances the file names per relay index (None: a file from before they
    were recorded). Channels not configured are forgotten silently, as always."""
    out = Vetted()
    future: list[str] = []
    latest: datetime | None = None
    for channel in channels:
        index = channel.index
        override = overrides.get(index)
        item = history.get(index)
        if not _has_entries(override, item):
            continue
        label = _("relay {index}").format(index=index)
        if owners is not None:
            saved_for = owners.get(index)
            if saved_for != Owner.of(channel):
                was = saved_for.describe() if saved_for else _("an appliance it does not name")
                out.notes.append(
                    f"{where}: "
                    + _(
                        "{label} was saved for {was}, not {now}: dropped, never applied ({entries})"
                    ).format(
                        label=label,
                        was=was,
                        now=Owner.of(channel).describe(),
                        entries=_entries(override, item, now),
                    )
                )
                continue
        elif override is not None or (item is not None and item.latched):
            kept = (
                [_("override ({words})").format(words=_override_words(override, now))]
                if override
                else []
            )
            kept += [_("latch")] if item is not None and item.latched else []
            out.notes.append(
                f"{where}: "
                + _(
                    "saved without appliance names (an older version): its {kept} on {label} is "
                    "taken for {name} by relay index; release it if it was not meant for this "
                    "appliance"
                ).format(kept=_(" and ").join(kept), label=label, name=channel.name)
            )
        if override is not None:
            if override.until is not None and override.until - now > MAX_HORIZON:
                out.notes.append(
                    f"{where}: "
                    + _(
                        "the override on {label} ({name}) ends {time}, more than 366 days "
                        "ahead: refused, the channel is automatic"
                    ).format(label=label, name=channel.name, time=_paris(override.until))
                )
                override = None
            elif override.since > now:
                future.append(channel.name)
                latest = max(latest or override.since, override.since)
                override = replace(override, since=now)
        if override is not None and override.order is not None:
            refused = _refused_order(channel, override.order)
            if refused is not None:
                plain = replace(override, order=None)
                out.notes.append(
                    f"{where}: the override on {label} ({channel.name}) names "
                    f"{override.order!r}, which it may not be sent ({refused}): taken as "
                    f"{_override_words(plain, now)}"
                )
                override = plain
        if override is not None:
            out.overrides[index] = override
        if item is not None:
            last = _latest(item)
            if last is not None and last > now:
                if channel.name not in future:
                    future.append(channel.name)
                latest = max(latest or last, last)
                item = _clamp(item, now)
            out.history[index] = item
    if future and latest is not None:
        out.notes.append(
            f"{where}: "
            + _(
                "switch times or override starts after now (latest {time}; the clock was ahead "
                "when they were saved, or it went back since): taken as now for {names}"
            ).format(time=_paris(latest), names=", ".join(future))
        )
    return out
