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
from tui.core.pilot import Kind, Order, PilotConfig, order_of, transition
from tui.core.policy import RelayHistory, count_movement, next_switch_allowed

Pause = Callable[[float], object]


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
        skipped = "" if pilot.allow_max else " (max skipped: allow_max = false)"
        what = "SG-Ready, input 1 then input 2"
    else:
        skipped = "" if pilot.allow_off else " (Arrêt skipped: allow_off = false)"
        what = f"pilot wire, Hors-gel on the {pilot.hors_gel.value} half-wave"
    return (
        f"  relays {pilot.positive}+{pilot.negative} {channel.name} ({what}): now "
        f"{now.label if now else 'unknown'}; {steps} for {hold:g} s each{skipped}, then back"
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
    appliance = "heat pump" if pilot.kind is Kind.SG_READY else "radiator"
    for order in [*walk_orders(pilot), before]:
        states = {relay: board.relay(relay) for relay in pilot.relays}
        for relay, energised in transition(states, order, pilot):
            item = history.get(relay, RelayHistory())
            allowed = next_switch_allowed(item, clock.now())
            if allowed is not None:
                seconds = (allowed - clock.now()).total_seconds()
                print(
                    f"    relay {relay}: waiting {seconds:.0f} s (until {clock_time(allowed)}): "
                    "20 switches a minute at most",
                    file=out,
                )
                pause(seconds)
            board.set_relay(relay, energised)
            history[relay] = count_movement(item, clock.now())
        reached = _order(board, pilot)
        good = reached is order
        ok &= good
        back = " (back)" if order is before and order not in walk_orders(pilot) else ""
        print(
            f"  relays {pilot.positive}+{pilot.negative} {channel.name}: {order.label}{back}, "
            f"board's library confirms {reached.label if reached else 'unknown'} "
            f"({'ok' if good else 'MISMATCH'}): the {appliance} should be in {order.label}",
            file=out,
        )
        if not back:
            pause(hold)
    return ok
