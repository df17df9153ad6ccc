"""The pilot order of a pilot-wire channel, from the policy's decision for it.

A pilot channel is decided like every other (``policy.evaluate``: its rules, constraints and
reasons); its decision's ``powered`` is the normal order and a cut is a setback order: the one
of the strained level that cuts it (the highest at or above its ``shed_at`` within
``[now, now + lead]``), ``cut`` for every other cut, or the operator's named order
(``force CH eco``). An SG-Ready channel's powered decision is ``low_carbon`` (boost) in a
low-carbon hour, its normal order otherwise. Pure: the time and the forecast come in as
arguments.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta

from tui.core.config import ChannelConfig, Config
from tui.core.forecast import Forecast, Level
from tui.core.pilot import Order, PilotConfig
from tui.core.policy import Decision, Override, Rule, shed_level
from tui.core.tempo import TempoCalendar
from tui.core.tempo_rule import tempo_colours, tempo_peak_within


def strain_level(
    forecast: Forecast | None, threshold: Level | None, now: datetime, lead: timedelta
) -> Level | None:
    """The highest level at or above ``threshold`` within ``[now, now + lead]``; None if none."""
    if forecast is None or threshold is None:
        return None
    for level in (Level.RED, Level.ORANGE):
        if level >= threshold and forecast.first_at_or_above(level, now, now + lead) is not None:
            return level
    return None


def order_for(
    pilot: PilotConfig,
    powered: bool,
    rule: Rule,
    strain: Level | None,
    forced: Order | None = None,
    other_cut: bool = False,
    low_carbon: bool = False,
) -> Order:
    """The order for a decision: ``forced`` when the operator named one, else normal when
    powered (``pilot.low_carbon`` in a low-carbon hour, when it has one), else the setback
    of the strain that sheds it, ``cut`` for any other cut (``other_cut``: another rule, such
    as Tempo, cuts it too: the stronger of the two, in the kind's order ``pilot.orders``)."""
    if rule is Rule.OVERRIDE and forced is not None and pilot.allowed(forced):
        return forced
    if powered and rule is Rule.LOCK_BOUND:  # a lock at its bound, or resting after one
        return pilot.normal
    if powered:
        if low_carbon and pilot.low_carbon is not None and pilot.allowed(pilot.low_carbon):
            return pilot.low_carbon
        return pilot.normal
    candidates = []
    if rule is Rule.SHED and strain is not None:
        candidates.append(pilot.setback(strain))
    if rule is Rule.OVERRIDE:  # a plain forced cut
        return pilot.plain_cut
    if other_cut or not candidates:
        candidates.append(pilot.cut)
    order = max(candidates, key=pilot.orders.index)
    return order if pilot.allowed(order) else pilot.fallback


def channel_order(
    channel: ChannelConfig,
    decision: Decision,
    forecast: Forecast | None,
    now: datetime,
    lead: timedelta,
    forced: Order | None = None,
    tempo: TempoCalendar | None = None,
) -> Order | None:
    """The order of a pilot channel for its decision at ``now``; None for a plain channel."""
    if channel.pilot is None:
        return None
    strain = strain_level(forecast, shed_level(channel), now, lead)
    peak = tempo_peak_within(tempo, tempo_colours(channel), now, now + lead) is not None
    clean = forecast is not None and forecast.level_at(now) is Level.LOW_CARBON
    pilot = channel.pilot
    return order_for(pilot, decision.powered, decision.rule, strain, forced, peak, clean)


def forced_orders(overrides: Mapping[int, Override], now: datetime) -> dict[int, Order]:
    """The operator's named orders (``force CH eco``) still in force at ``now``."""
    return {
        channel: Order(override.order)
        for channel, override in overrides.items()
        if override.order is not None and override.active(now)
    }


def orders(
    config: Config,
    decisions: Mapping[int, Decision],
    forecast: Forecast | None,
    now: datetime,
    forced: Mapping[int, Order] | None = None,
    tempo: TempoCalendar | None = None,
) -> dict[int, Order]:
    """Every pilot channel's order for the decisions at ``now``."""
    forced = forced or {}
    out: dict[int, Order] = {}
    for channel in config.channels:
        decision = decisions.get(channel.index)
        if channel.pilot is None or decision is None:
            continue
        order = channel_order(
            channel, decision, forecast, now, config.policy.lead, forced.get(channel.index), tempo
        )
        if order is not None:
            out[channel.index] = order
    return out
