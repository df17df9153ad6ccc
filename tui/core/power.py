"""A channel's electrical power as written in delestage.toml: ``"2kW"``, ``"800W"``."""

import re
from dataclasses import dataclass

from tui.core.i18n import N_, _

# ASCII digits only, as for durations; "kw"/"KW" are accepted, the unit is not ambiguous.
_PATTERN = re.compile(r"(\d+(?:\.\d+)?)\s*(k?w)", re.ASCII | re.IGNORECASE)
MAX_WATTS = 1_000_000.0  # a typo guard: no relay channel switches a megawatt

EXPECTED = N_('a power like "2kW", "800W" or "1.5kW" (above 0, at most 1000kW)')


@dataclass(frozen=True, order=True)
class Power:
    watts: float

    @property
    def kilowatts(self) -> float:
        return self.watts / 1000

    def __str__(self) -> str:
        return format_power(self)


def parse_power(value: object) -> Power:
    """Parse a power; raise ValueError with the expected form on anything else."""
    if not isinstance(value, str):
        raise ValueError(_(EXPECTED))
    match = _PATTERN.fullmatch(value.strip())
    if match is None:
        raise ValueError(_(EXPECTED))
    amount = float(match.group(1))
    watts = amount * 1000 if match.group(2).lower() == "kw" else amount
    if not 0 < watts <= MAX_WATTS:
        raise ValueError(_(EXPECTED))
    return Power(watts)


def format_power(power: Power) -> str:
    """The written form parse_power reads back: ``"2kW"``, ``"800W"``, ``"1.5kW"``."""
    if power.watts >= 1000:
        return f"{_plain(power.kilowatts)}kW"
    return f"{_plain(power.watts)}W"


def _plain(number: float) -> str:
    """No exponent and no trailing zeros: ``2``, ``1.5``, ``0.75``."""
    return f"{number:.6f}".rstrip("0").rstrip(".")
