"""`delestage test-relays` on a pilot-wire or SG-Ready channel: its two relays walk the orders.

From where the two relays are, each order in turn (Éco, Hors-gel, then Arrêt only where
``allow_off = true``; a heat pump's blocked, boost, then max only where ``allow_max = true``),
held so that the installer can watch the appliance, then back to the order it had (Confort or
normal when unknown). The two commands of each step go in the order that never
passes through Arrêt (``tui/core/pilot.transition``), each relay within its 20 switches a
minute.
"""

from collections.abc import Callable
from typing import TextIO

from tui.adapters.boards.base import RelayBoard
from tui.adapters.clock import Clock
from tui.core.config import ChannelConfig
from tui.core.forecast import clock_time
from tui.core.i18n import N_, _, number_text
from tui.core.pilot import HalfWave, Kind, Order, PilotConfig, order_of, transition
from tui.core.policy import RelayHistory, count_movement, next_switch_allowed

Pause = Callable[[float], object]

WAITING = N_("    relay {relay}: waiting {seconds} s (until {until}): 20 switches a minute at most")


def walk_orders(pilot: PilotConfig) -> list[Order]:
    if pilot.kind is Kind.SG_READY:
        return [Order.BLOCKED, Order.BOOST, *([Order.MAX] if pilot.allow_max else [])]
    return [Order.ECO, Order.HORS_GEL, *([Order.ARRET] if pilot.allow_off else [])]


def _resting(pilot: PilotConfig) -> Order:
    """The order of two released relays."""
    return Order.NORMAL if pilot.kind is Kind.SG_READY else Order.CONFORT


def _order(board: RelayBoard, pilot: PilotConfig) -> Order | None:
    return order_of({relay: board.relay(relay) for relay in pilot.relays}, pilot)


def describe(channel: ChannelConfig, board: RelayBoard, hold: float) -> str:
    """The line shown before the confirmation."""
    pilot = channel.pilot
    assert pilot is not None
    now = _order(board, pilot)
    steps = ", ".join(order.label for order in walk_orders(pilot))
    if pilot.kind is Kind.SG_READY:
        skipped = "" if pilot.allow_max else _(" (max skipped: allow_max = false)")
        what = _("SG-Ready, input 1 then input 2")
    else:
        skipped = "" if pilot.allow_off else _(" (Arrêt skipped: allow_off = false)")
        what = (
            _("pilot wire, Hors-gel on the positive half-wave")
            if pilot.hors_gel is HalfWave.POSITIVE
            else _("pilot wire, Hors-gel on the negative half-wave")
        )
    return _(
        "  relays {positive}+{negative} {name} ({what}): now {now}; {steps} for {seconds} s "
        "each{skipped}, then back"
    ).format(
        positive=pilot.positive,
        negative=pilot.negative,
        name=channel.name,
        what=what,
        now=now.label if now else _("unknown"),
        steps=steps,
        seconds=number_text(f"{hold:g}"),
        skipped=skipped,
    )


def walk(
    channel: ChannelConfig,
    board: RelayBoard,
    history: dict[int, RelayHistory],
    hold: float,
    out: TextIO,
    clock: Clock,
    pause: Pause,
) -> bool:
    """Walk the orders and come back; whether the board's library confirmed every step.
    ``history`` (per relay) is updated with every movement, for the rate limit."""
    pilot = channel.pilot
    assert pilot is not None
    before = _order(board, pilot) or _resting(pilot)
    ok = True
    should = (
        _("the heat pump should be in {order}")
        if pilot.kind is Kind.SG_READY
        else _("the radiator should be in {order}")
    )
    for order in [*walk_orders(pilot), before]:
        states = {relay: board.relay(relay) for relay in pilot.relays}
        for relay, energised in transition(states, order, pilot):
            item = history.get(relay, RelayHistory())
            allowed = next_switch_allowed(item, clock.now())
            if allowed is not None:
                seconds = (allowed - clock.now()).total_seconds()
                print(
                    _(WAITING).format(
                        relay=relay, seconds=f"{seconds:.0f}", until=clock_time(allowed)
                    ),
                    file=out,
                )
                pause(seconds)
            board.set_relay(relay, energised)
            history[relay] = count_movement(item, clock.now())
        reached = _order(board, pilot)
        good = reached is order
        ok &= good
        back = _(" (back)") if order is before and order not in walk_orders(pilot) else ""
        print(
            _(
                "  relays {positive}+{negative} {name}: {order}{back}, board's library confirms "
                "{reached} ({verdict}): {should}"
            ).format(
                positive=pilot.positive,
                negative=pilot.negative,
                name=channel.name,
                order=order.label,
                back=back,
                reached=reached.label if reached else _("unknown"),
                verdict=_("ok") if good else _("MISMATCH"),
                should=should.format(order=order.label),
            ),
            file=out,
        )
        if not back:
            pause(hold)
    return ok
