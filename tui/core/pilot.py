"""Pilot-wire channels (fil pilote): one channel, two relays, two diodes, four orders.

A French electric radiator reads its pilot wire against neutral:

- no signal: **Confort** (the radiator's own thermostat at its comfort setting);
- the whole mains wave: **Éco** (setback, about 3.5 °C lower);
- one half-wave only: **Hors-gel** (frost protection, about 7 °C) for one of them, **Arrêt**
  (off) for the other. Sources disagree on which half-wave is which, so it is configured
  (``hors_gel = "negative"``, the usual reading, or ``"positive"``).

Two relays each feed the phase to the wire through a diode, one per half-wave (the circuit is
in docs/going-live.md): both open is Confort, both closed is Éco, one closed is a half-wave.

For the policy a pilot channel is a channel with ``wiring = "nc"``: its relays released (a
dead controller, an attach without persistence) give Confort, the appliance "powered"; a cut
is a setback order, chosen per strain level (``orange = "eco"``, ``red = "hors-gel"``), for
every other cut (``cut``: an operator's, Tempo's, the power rule's, a fallback) and by an
operator's named order (``force CH eco``). Arrêt is never sent unless ``allow_off = true``.

Pure: no I/O, no clock. The service drives the two relays through ``relay_states`` and
``transition`` (the order of the two relay commands, so that no intermediate state is Arrêt).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tui.core.forecast import Level


class Order(StrEnum):
    CONFORT = "confort"
    ECO = "eco"
    HORS_GEL = "hors-gel"
    ARRET = "arret"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Order.CONFORT: "Confort",
    Order.ECO: "Éco",
    Order.HORS_GEL: "Hors-gel",
    Order.ARRET: "Arrêt",
}

# What people type: accents and a few spellings, all to one order.
_ALIASES = {
    "confort": Order.CONFORT,
    "comfort": Order.CONFORT,
    "eco": Order.ECO,
    "éco": Order.ECO,
    "hors-gel": Order.HORS_GEL,
    "horsgel": Order.HORS_GEL,
    "hors_gel": Order.HORS_GEL,
    "frost": Order.HORS_GEL,
    "arret": Order.ARRET,
    "arrêt": Order.ARRET,
    "off": Order.ARRET,
}

ORDERS_EXPECTED = 'one of "confort", "eco", "hors-gel", "arret"'


def parse_order(value: object) -> Order:
    """An order from what a person typed; ValueError naming what was expected."""
    if isinstance(value, str):
        order = _ALIASES.get(value.strip().lower())
        if order is not None:
            return order
    raise ValueError(ORDERS_EXPECTED)


class HalfWave(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class PilotConfig:
    """``pilot = { ... }`` in a ``[[channel]]``.

    ``relays``: the relay that passes the positive half-wave, then the one that passes the
    negative half-wave (the channel's ``index`` is one of them).
    """

    relays: tuple[int, int]
    hors_gel: HalfWave = HalfWave.NEGATIVE  # the half-wave that means Hors-gel; the other: Arrêt
    normal: Order = Order.CONFORT  # the order when the channel is not cut
    orange: Order = Order.ECO  # cut by an orange hour (ahead or now)
    red: Order = Order.HORS_GEL  # cut by a red hour
    cut: Order = Order.HORS_GEL  # every other cut: operator, Tempo, power rule, fallback
    allow_off: bool = False  # whether Arrêt may ever be sent

    @property
    def positive(self) -> int:
        return self.relays[0]

    @property
    def negative(self) -> int:
        return self.relays[1]

    def setback(self, level: Level | None) -> Order:
        """The order for a cut while the strain at hand is ``level`` (None: not a level's)."""
        if level is Level.RED:
            return self.red
        if level is Level.ORANGE:
            return self.orange
        return self.cut

    def allowed(self, order: Order) -> bool:
        return order is not Order.ARRET or self.allow_off


PILOT_KEYS = ("relays", "hors_gel", "normal", "orange", "red", "cut", "allow_off")


def relay_states(order: Order, pilot: PilotConfig) -> dict[int, bool]:
    """Each of the two relays energised (True) or released for ``order``."""
    frost = pilot.negative if pilot.hors_gel is HalfWave.NEGATIVE else pilot.positive
    off = pilot.positive if frost == pilot.negative else pilot.negative
    on = {
        Order.CONFORT: (),
        Order.ECO: (pilot.positive, pilot.negative),
        Order.HORS_GEL: (frost,),
        Order.ARRET: (off,),
    }[order]
    return {pilot.positive: pilot.positive in on, pilot.negative: pilot.negative in on}


def order_of(states: Mapping[int, bool | None], pilot: PilotConfig) -> Order | None:
    """The order two relay states give; None when either is unknown."""
    positive, negative = states.get(pilot.positive), states.get(pilot.negative)
    if positive is None or negative is None:
        return None
    for order in Order:
        wanted = relay_states(order, pilot)
        if wanted[pilot.positive] == positive and wanted[pilot.negative] == negative:
            return order
    raise AssertionError("two relays give one of four orders")  # pragma: no cover


def transition(
    current: Mapping[int, bool | None], target: Order, pilot: PilotConfig
) -> list[tuple[int, bool]]:
    """The relay commands, in order, from ``current`` to ``target``: each relay at most once,
    and never through Arrêt on the way, allowed or not (Confort to Éco closes the Hors-gel relay
    first; Éco to Confort opens the Arrêt relay first). A relay whose state is unknown is
    commanded whatever it is."""
    wanted = relay_states(target, pilot)
    moves = [(relay, on) for relay, on in wanted.items() if current.get(relay) is not on]
    if len(moves) < 2:
        return moves
    for candidate in (moves, moves[::-1]):
        relay, on = candidate[0]
        other = candidate[1][0]
        known = current.get(other)
        # The state between the two commands; an unknown relay may be either way.
        middles = [
            order_of({relay: on, other: state}, pilot)
            for state in ((known,) if known is not None else (False, True))
        ]
        # Never Arrêt on the way, even where it may be sent: it is not what was asked.
        if all(middle is not None and middle is not Order.ARRET for middle in middles):
            return candidate
    return moves  # pragma: no cover  # one of the two orders always avoids Arrêt


def order_words(order: Order | None) -> str:
    return order.label if order is not None else "unknown"


# --- the configuration: pilot = { ... } in a [[channel]] ----------------------------------------

RELAYS_EXPECTED = "two different relay numbers from 0 to 7, [positive, negative] (e.g. [2, 3])"


UNKNOWN_KEY = "unknown key"


class PilotProblem(ValueError):
    """A bad ``pilot`` key: ``key`` names it, the message says what was expected."""

    def __init__(self, key: str, expected: str) -> None:
        super().__init__(expected)
        self.key = key


def _relays(value: object, count: int) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(item, int) and not isinstance(item, bool) for item in value)
        or not all(0 <= item < count for item in value)
        or value[0] == value[1]
    ):
        raise PilotProblem("relays", RELAYS_EXPECTED.replace("7", str(count - 1)))
    return value[0], value[1]


def pilot_from_table(table: object, count: int = 8) -> PilotConfig:
    """The ``pilot`` table, or PilotProblem for its first bad key (the caller names the file
    and the channel)."""
    if not isinstance(table, dict):
        raise PilotProblem("", "a table, e.g. pilot = { relays = [2, 3] }")
    for key in table:
        if key not in PILOT_KEYS:
            raise PilotProblem(str(key), UNKNOWN_KEY)
    if "relays" not in table:
        raise PilotProblem("relays", RELAYS_EXPECTED)
    relays = _relays(table["relays"], count)
    hors_gel = HalfWave.NEGATIVE
    if "hors_gel" in table:
        try:
            hors_gel = HalfWave(table["hors_gel"])
        except ValueError:
            raise PilotProblem("hors_gel", '"negative" or "positive"') from None
    allow_off = table.get("allow_off", False)
    if not isinstance(allow_off, bool):
        raise PilotProblem("allow_off", "true or false")
    given: dict[str, Order] = {}
    for key in ("normal", "orange", "red", "cut"):
        if key in table:
            try:
                given[key] = parse_order(table[key])
            except ValueError:
                raise PilotProblem(key, ORDERS_EXPECTED) from None
    pilot = PilotConfig(
        relays=relays,
        hors_gel=hors_gel,
        normal=given.get("normal", Order.CONFORT),
        orange=given.get("orange", Order.ECO),
        red=given.get("red", Order.HORS_GEL),
        cut=given.get("cut", Order.HORS_GEL),
        allow_off=allow_off,
    )
    for key in ("normal", "orange", "red", "cut"):
        if not pilot.allowed(getattr(pilot, key)):
            raise PilotProblem(
                key, 'an order other than "arret" (Arrêt is never sent unless allow_off = true)'
            )
    return pilot


def pilot_to_table(pilot: PilotConfig) -> dict[str, object]:
    return {
        "relays": list(pilot.relays),
        "hors_gel": pilot.hors_gel.value,
        "normal": pilot.normal.value,
        "orange": pilot.orange.value,
        "red": pilot.red.value,
        "cut": pilot.cut.value,
        "allow_off": pilot.allow_off,
    }


# --- driving the two relays within the switching limit -----------------------------------------

RATE_LIMIT = 20  # switches of one relay in any 60 s (the 1017's rating; policy.RATE_LIMIT)
RATE_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True)
class RelayLog:
    """One physical relay of a pilot channel: its state and its latest switch times."""

    energised: bool | None = None
    switches: tuple[datetime, ...] = ()

    def free_at(self, gap: timedelta) -> datetime | None:
        """The earliest time the relay may switch again; None: no switch yet."""
        times = []
        if self.switches:
            times.append(self.switches[-1] + gap)
        if len(self.switches) >= RATE_LIMIT:
            times.append(self.switches[-RATE_LIMIT] + RATE_WINDOW)
        return max(times) if times else None

    def switched(self, energised: bool, at: datetime) -> "RelayLog":
        return RelayLog(energised, (*self.switches, at)[-RATE_LIMIT:])


@dataclass(frozen=True)
class DriveStep:
    moves: tuple[tuple[int, bool], ...]  # the relay commands to send now, in this order
    logs: Mapping[int, RelayLog]  # the relays after them
    retry_at: datetime | None = None  # when the rest may go (a relay's gap or rate limit)


def drive(
    pilot: PilotConfig,
    logs: Mapping[int, RelayLog],
    target: Order,
    now: datetime,
    gap: timedelta,
) -> DriveStep:
    """The commands that move the two relays toward ``target`` now: the safe sequence
    (``transition``) up to the first relay still held by its gap or the rate limit. Every
    prefix of that sequence is a safe state, so stopping there never gives Arrêt."""
    if not pilot.allowed(target):
        target = pilot.cut if pilot.allowed(pilot.cut) else Order.HORS_GEL
    states = {relay: logs.get(relay, RelayLog()).energised for relay in pilot.relays}
    out: dict[int, RelayLog] = {relay: logs.get(relay, RelayLog()) for relay in pilot.relays}
    moves: list[tuple[int, bool]] = []
    for relay, on in transition(states, target, pilot):
        free = out[relay].free_at(gap)
        if free is not None and free > now:
            return DriveStep(tuple(moves), out, free)
        out[relay] = out[relay].switched(on, now)
        moves.append((relay, on))
    return DriveStep(tuple(moves), out)
