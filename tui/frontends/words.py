"""The words every view uses for the same facts: the UI, `status`, `plan` and the headless log.

An appliance is ON or CUT (UNKNOWN while the board cannot tell); an override is FORCED ON or
FORCED CUT (FORCED on a pilot-wire or SG-Ready channel, whose State says the order sent), until
a time or held until released; LATCHED is a channel kept cut after a shed.
Times and dates are written by ``tui.core.forecast.clock_time``: ``14:30`` today,
``Wed 02 Dec 14:30`` on another day.
"""

from datetime import datetime

from tui.core.forecast import clock_time
from tui.core.i18n import _
from tui.core.pilot import Kind, Order, kind_words
from tui.service.snapshot import ChannelView


def state_key(powered: bool | None) -> str:
    """``ON``, ``CUT`` or ``UNKNOWN`` whatever the language (a style's key)."""
    if powered is None:
        return "UNKNOWN"
    return "ON" if powered else "CUT"


def state_word(powered: bool | None) -> str:
    if powered is None:
        return _("UNKNOWN")
    return _("ON") if powered else _("CUT")


def order_word(order: str) -> str:
    """A pilot channel's order as the grid shows it: ``CONFORT``, ``ÉCO``, ``HORS-GEL``,
    ``ARRÊT`` (core/pilot.py)."""
    try:
        return Order(order).label.upper()
    except ValueError:
        return order.upper()


def order_kind_word(order: str) -> str:
    """``pilot wire`` or ``SG-Ready``: the kind of channel an order is sent on."""
    try:
        return kind_words(Order(order).kind)
    except ValueError:
        return kind_words(Kind.PILOT)


def channel_state_word(channel: ChannelView) -> str:
    """The state column: ON/CUT/UNKNOWN, or a pilot channel's order on its wire."""
    if channel.order is not None and channel.powered is not None:
        return order_word(channel.order)
    return state_word(channel.powered)


def channel_state_key(channel: ChannelView) -> str:
    """The state column's style key: ``ON``, ``CUT`` or ``UNKNOWN``; a two-relay channel's
    order is styled as what it is for the appliance (Confort, a heat pump's boost: ON; a
    setback, a lock: CUT)."""
    return state_key(channel.powered)


def forced_word(channel: ChannelView) -> str:
    """``FORCED ON`` / ``FORCED CUT`` (the override's direction, not the relay's state).

    A pilot-wire or SG-Ready channel is never cut nor switched on as a plain one is: it is
    sent an order (Éco, Hors-gel, boost...), which its State says. Its mode is ``FORCED``,
    so that a forced Éco does not read as a cut that did not happen."""
    if channel.order is not None or channel.forced_order is not None:
        return _("FORCED")
    direction = channel.forced_powered if channel.forced_powered is not None else channel.wanted
    if direction is None:
        return _("FORCED UNKNOWN")
    return _("FORCED ON") if direction else _("FORCED CUT")


def until_words(channel: ChannelView, now: datetime) -> str:
    """``until 16:08``, ``until Wed 02 Dec 08:00`` or ``until released``."""
    if channel.until:
        return _("until {time}").format(time=clock_time(channel.until, now))
    return _("until released")


def mode_words(channel: ChannelView, now: datetime) -> str:
    """The whole mode: ``FORCED CUT until Wed 02 Dec 08:00``, ``LATCHED``, ``AUTO``."""
    if channel.mode == "forced":
        return f"{forced_word(channel)} {until_words(channel, now)}"
    if channel.latched and channel.latch_holds:
        return _("LATCHED")
    return _("AUTO")


def power_words(channel: ChannelView) -> str | None:
    """``2450 W measured (2000 W configured)``: the meter's step at its switches beside the
    configured ``power``; None until the meter has measured it."""
    if channel.measured_power_w is None:
        return None
    if channel.power_w is None:
        return _("{watts} W measured").format(watts=channel.measured_power_w)
    return _("{watts} W measured ({configured:g} W configured)").format(
        watts=channel.measured_power_w, configured=channel.power_w
    )
