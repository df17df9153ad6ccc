"""The shedding policy: for every channel, powered or cut, why, and what it waits for.

Pure: the time, the forecast, the configuration, the live overrides and each relay's switch
history come in as arguments; decisions and the next time a decision is due come out.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tui.core.config import Config
from tui.core.forecast import Forecast

RATE_LIMIT = 20  # switches of one relay in any 60 s: the 1017's rated maximum, absolute
RATE_WINDOW_SECONDS = 60


class Rule(StrEnum):
    OVERRIDE = "override"
    SHED = "shed"
    LOW_CARBON = "low-carbon"
    FALLBACK = "fallback"
    NORMAL = "normal"


@dataclass(frozen=True)
class Override:
    """An operator's order for one channel: powered or cut, until a time or until released."""

    powered: bool
    since: datetime
    until: datetime | None = None  # None: until released

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True)
class RelayHistory:
    """What the service remembers of one relay, persisted across restarts.

    ``powered`` is the appliance state last applied (None: unknown, e.g. at first start);
    ``switches`` holds the times of the most recent switches (at least the last RATE_LIMIT),
    oldest first; ``latched`` is a cut kept after a shed because auto_restore is false.
    """

    powered: bool | None = None
    last_on: datetime | None = None
    last_off: datetime | None = None
    switches: tuple[datetime, ...] = ()
    latched: bool = False


@dataclass(frozen=True)
class Decision:
    channel: int
    powered: bool  # the state to apply now (after constraints)
    wanted: bool  # the state the rules want (before constraints)
    rule: Rule
    reason: str  # "red 18:00-20:00", "forced cut by operator until 14:30", ...
    waiting: str | None = None  # "min_off until 10:32", "restore slot 3 of 4 at 13:03"
    wait_until: datetime | None = None
    latched: bool = False  # the RelayHistory.latched value to store after this decision


@dataclass(frozen=True)
class Evaluation:
    decisions: Mapping[int, Decision] = field(default_factory=dict)
    next_due: datetime | None = None  # when to evaluate again, even if nothing else happens


def evaluate(
    now: datetime,
    forecast: Forecast | None,
    config: Config,
    overrides: Mapping[int, Override],
    history: Mapping[int, RelayHistory],
) -> Evaluation:
    raise NotImplementedError


def record_switch(history: RelayHistory, powered: bool, at: datetime) -> RelayHistory:
    raise NotImplementedError
