"""`delestage plan`: every relay change the controller would make if the forecast held.

The same ``evaluate`` and ``record_switch`` the service runs, on a virtual clock that jumps from
one ``next_due`` to the next (never minute by minute), with nobody intervening. Pure: the
forecast, the configuration and the horizon come in as arguments.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from tui.core.config import Config, OnExit, Run
from tui.core.durations import format_duration
from tui.core.forecast import PARIS, Forecast, day_label, paris_iso, wall_time
from tui.core.i18n import N_, _, ngettext
from tui.core.pilot import Order, kind_words
from tui.core.pilot_orders import forced_orders
from tui.core.pilot_orders import orders as pilot_orders
from tui.core.places import board_place
from tui.core.policy import (
    Decision,
    Override,
    RelayHistory,
    Rule,
    evaluate,
    record_switch,
)
from tui.core.tempo import TempoCalendar
from tui.core.wiring import appliance_powered


@dataclass(frozen=True)
class Change:
    at: datetime
    channel: int
    powered: bool
    reason: str
    rule: Rule = Rule.NORMAL
    # A pilot-wire channel's order after the change (core/pilot.py); an order can change while
    # the channel stays cut (orange to red: Éco to Hors-gel). None: a plain channel.
    order: str | None = None


@dataclass(frozen=True)
class Plan:
    start: datetime
    end: datetime
    initial: dict[int, bool]
    changes: list[Change]
    initial_reasons: dict[int, str] = field(default_factory=dict)
    initial_orders: dict[int, str] = field(default_factory=dict)  # pilot channels at start


def settle(
    decisions: Mapping[int, Decision], history: Mapping[int, RelayHistory]
) -> dict[int, RelayHistory]:
    """Histories with every unknown relay already in its wanted state, with no switch times."""
    settled: dict[int, RelayHistory] = {}
    for index, decision in decisions.items():
        item = history.get(index) or RelayHistory()
        if item.powered is None:
            item = replace(item, powered=decision.wanted, latched=decision.latched)
        settled[index] = item
    return settled


def released_on_attach(config: Config) -> dict[int, RelayHistory]:
    """Every relay as a 1017 leaves it when the service opens it with no saved state.

    A channel opened without persistence is released on attach (``no`` loads cut, ``nc``
    loads powered), which is where a first start begins. With ``on_exit = "keep"`` the board
    keeps whatever the relay last had, which nothing here knows: those stay unknown.
    """
    if config.board.on_exit is OnExit.KEEP:
        return {}
    return {
        channel.index: RelayHistory(powered=appliance_powered(channel.wiring, False))
        for channel in config.channels
    }


def build_plan(
    forecast: Forecast | None,
    config: Config,
    start: datetime,
    end: datetime,
    overrides: Mapping[int, Override] | None = None,
    history: Mapping[int, RelayHistory] | None = None,
    tempo: TempoCalendar | None = None,
) -> Plan:
    """The relay changes over [start, end), in time order (channel order within an instant).

    ``history`` defaults to relays already settled in the state the rules want at ``start``;
    a given history is used as it is, except that unknown relays are settled the same way.
    """
    start = start.astimezone(UTC)
    end = end.astimezone(UTC)
    live = dict(overrides or {})
    first = evaluate(start, forecast, config, live, history or {}, tempo)
    state = settle(first.decisions, history or {})
    for index, item in state.items():
        if item.powered and item.ran_from is None:  # a daily minimum counts it from here
            state[index] = replace(item, ran_from=start)
    initial = {index: bool(item.powered) for index, item in state.items()}
    reasons = {index: decision.reason for index, decision in first.decisions.items()}
    settled = {i: replace(d, powered=bool(state[i].powered)) for i, d in first.decisions.items()}
    wire = pilot_orders(config, settled, forecast, start, forced_orders(live, start), tempo)
    initial_orders = {index: order.value for index, order in wire.items()}

    current = dict(initial_orders)
    changes: list[Change] = []
    now = start
    while now < end:
        evaluation = evaluate(now, forecast, config, live, state, tempo)
        forced = forced_orders(live, now)
        wire = pilot_orders(config, evaluation.decisions, forecast, now, forced, tempo)
        for index, decision in evaluation.decisions.items():
            item = state[index]
            order = wire.get(index)
            moved = order is not None and order.value != current.get(index)
            if decision.powered != item.powered or moved:
                if decision.powered != item.powered:
                    item = record_switch(item, decision.powered, now)
                value = order.value if order is not None else None
                changes.append(
                    Change(now, index, decision.powered, decision.reason, decision.rule, value)
                )
                if value is not None:
                    current[index] = value
            if item.latched != decision.latched or item.turn_from != decision.turn_from:
                item = replace(item, latched=decision.latched, turn_from=decision.turn_from)
            state[index] = item
        if evaluation.next_due is None:
            break
        if evaluation.next_due <= now:  # evaluate promises otherwise; never loop forever
            raise RuntimeError(f"policy next_due {evaluation.next_due} is not after {now}")
        now = evaluation.next_due
    return Plan(start, end, initial, changes, reasons, initial_orders)


def plan_ahead(
    *,
    forecast: Forecast | None,
    tempo: TempoCalendar | None,
    config: Config,
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
    start: datetime,
    end: datetime,
) -> Plan:
    """The one plan behind every view: `delestage plan`, the main screen's Next (and so
    `status` and MQTT, which read the same snapshot), and the planned hours of the `h` view.

    Every input is required, Tempo included (``None`` only when ``[tempo]`` is off or nothing
    is known yet), so that no view can plan without a rule the service applies. A plan over a
    shorter horizon is the start of a longer one: the views differ only in how far they look.
    """
    return build_plan(
        forecast, config, start, end, overrides=overrides, history=history, tempo=tempo
    )


def first_changes(plan: Plan, after: datetime) -> dict[int, Change]:
    """Each channel's first planned change strictly after ``after`` (its Next)."""
    first: dict[int, Change] = {}
    for change in plan.changes:
        if change.at > after and change.channel not in first:
            first[change.channel] = change
    return first


# --- rendering --------------------------------------------------------------------------------


def plan_to_json(plan: Plan, config: Config) -> dict[str, object]:
    """The ``plan --json`` document of DESIGN.md, exactly."""
    return {
        "from": paris_iso(plan.start),
        "until": paris_iso(plan.end),
        "channels": [
            # Several boards: the board's name and the relay on it, as `status --json` has them.
            {"index": ch.index, "name": ch.name}
            | ({"board": ch.board, "relay": ch.relay_on_board} if ch.board else {})
            for ch in config.channels
        ],
        "initial": {str(index): powered for index, powered in sorted(plan.initial.items())},
        **(
            {"initial_orders": {str(i): o for i, o in sorted(plan.initial_orders.items())}}
            if plan.initial_orders
            else {}
        ),
        "changes": [
            {
                "at": paris_iso(change.at),
                "channel": change.channel,
                "powered": change.powered,
                "reason": change.reason,
                **({"order": change.order} if change.order is not None else {}),
            }
            for change in plan.changes
        ],
    }


_NEVER = N_("never")  # shed_at = "never", in the words of the plan


def _when(moment: datetime) -> str:
    """The full date every line of a schedule needs, in the one date style."""
    return f"{day_label(moment.astimezone(PARIS).date())} {wall_time(moment)}"


def _state(powered: bool) -> str:
    """The words of every view: an appliance is ON or CUT."""
    return _("ON") if powered else _("CUT")


def _order_word(order: str | None) -> str:
    """A pilot channel's order in the plan's words (Confort, Éco, Hors-gel, Arrêt)."""
    return Order(order).label if order is not None else ""


def _minute(moment: datetime) -> str:
    """The plan's span in its title, to the minute: a plan from now starts at a second of it."""
    return _when(moment.replace(second=0, microsecond=0))


def render_plan_text(plan: Plan, config: Config, origin: str = "") -> str:
    """A schedule per channel: when it is cut, when it is back ON, and why; ``origin`` says
    which state the plan starts from (live or fresh)."""
    count = len(plan.changes)
    lines = [
        ngettext(
            "Plan from {start} to {end} (Europe/Paris): {count} relay change if the forecast "
            "holds.",
            "Plan from {start} to {end} (Europe/Paris): {count} relay changes if the forecast "
            "holds.",
            count,
        ).format(start=_minute(plan.start), end=_minute(plan.end), count=count),
    ]
    if origin:
        lines.append(_("Starting state: {origin}.").format(origin=origin))
    by_channel: dict[int, list[Change]] = {ch.index: [] for ch in config.channels}
    for change in plan.changes:
        by_channel.setdefault(change.channel, []).append(change)
    width = max([len(_minute(plan.start)), *(len(_when(c.at)) for c in plan.changes)])
    width = max(width, len(_("at start")))
    state_w = max(4, len(_state(True)), len(_state(False)))
    orders = [*plan.initial_orders.values(), *(c.order for c in plan.changes if c.order)]
    state_w = max([state_w, *(len(_order_word(order)) for order in orders)])
    for channel in config.channels:
        run = _(", runs in low-carbon hours") if channel.run is Run.LOW_CARBON else ""
        if channel.pilot is not None:
            run += _(", {kind} on relays {first} and {second}").format(
                kind=kind_words(channel.pilot.kind),
                first=channel.pilot.relays[0],
                second=channel.pilot.relays[1],
            )
        restore = "" if channel.auto_restore else _(", restored by hand")
        if channel.min_daily_run:
            restore += _(", at least {duration} a day").format(
                duration=format_duration(channel.min_daily_run)
            )
        if channel.rotate is not None:
            restore += _(", cut in turns with group {group}").format(group=channel.rotate)
        lines.append("")
        place = board_place(channel.board, channel.relay_on_board)
        lines.append(
            _("{index} {name} (shed at {shed_at}, priority {priority}{run}{restore})").format(
                index=channel.index,
                name=channel.name + (_(" on board {place}").format(place=place) if place else ""),
                shed_at=_(channel.shed_at.value),  # orange, red (level words), never
                priority=channel.priority,
                run=run,
                restore=restore,
            )
        )
        powered = plan.initial.get(channel.index, False)
        state = _order_word(plan.initial_orders.get(channel.index)) or _state(powered)
        reason = plan.initial_reasons.get(channel.index, "")
        lines.append(f"  {_('at start'):<{width}}  {state:<{state_w}}  {reason}".rstrip())
        changes = by_channel[channel.index]
        for change in changes:
            word = _order_word(change.order) or _state(change.powered)
            lines.append(f"  {_when(change.at):<{width}}  {word:<{state_w}}  " + change.reason)
        if not changes:
            lines.append(
                f"  {'':<{width}}  " + _("no change: {state} throughout").format(state=state)
            )
    return "\n".join(lines) + "\n"
