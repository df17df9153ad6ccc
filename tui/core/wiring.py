"""The one place that maps an appliance's power to its relay coil, per channel wiring."""

from tui.core.config import Wiring


def relay_energised(wiring: Wiring, powered: bool) -> bool:
    """NO: energised = powered. NC: energised = cut, so a dead controller leaves it powered."""
    return powered if wiring is Wiring.NO else not powered


def appliance_powered(wiring: Wiring, energised: bool) -> bool:
    return energised if wiring is Wiring.NO else not energised
