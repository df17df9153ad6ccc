"""Pilot-wire channels (fil pilote): one channel, two relays, two diodes, four orders.

A French electric radiator reads its pilot wire against neutral:

- no signal: **Confort** (the radiator's own thermostat at its comfort setting);
- the whole mains wave: **Éco** (setback, about 3.5 °C lower);
- one half-wave only: **Hors-gel** (frost protection, about 7 °C) for one of them, **Arrêt**
  (off) for the other. Sources disagree on which half-wave is which, so it is configured
  (``hors_gel = "negative"``, the usual reading, or ``"positive"``).

Two relays each feed the phase to the wire through a diode, one per half-wave (the circuit is
in docs/going-live.md): both open is Confort, both closed is Éco, one closed is a half-wave.

**SG-Ready** heat pumps (``sg_ready = { ... }``) fit the same model: two relays on the heat
pump's two SG inputs give four operating states (the BWP label's table, input 1 then input 2):
1:0 **blocked** (the supplier's lock), 0:0 **normal**, 0:1 **boost** (a switch-on
recommendation: the pump heats ahead, the buffer and the water tank a little hotter) and 1:1
**max** (a definite switch-on order, only with ``allow_max = true``). Both released is normal,
as both released is Confort; a cut is blocked; a low-carbon hour asks for boost
(``low_carbon = "boost"``). The channel's ``pilot`` field holds either kind (``kind``).

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

from tui.core.durations import format_duration, parse_duration
from tui.core.forecast import Level
from tui.core.i18n import N_, _


class Kind(StrEnum):
    PILOT = "pilot"  # a radiator's pilot wire (fil pilote)
    SG_READY = "sg-ready"  # a heat pump's two SG-Ready inputs


class Order(StrEnum):
    CONFORT = "confort"
    ECO = "eco"
    HORS_GEL = "hors-gel"
    ARRET = "arret"
    # SG-Ready's four operating states (BWP numbering 1 to 4)
    BLOCKED = "blocked"
    NORMAL = "normal"
    BOOST = "boost"
    MAX = "max"

    @property
    def kind(self) -> "Kind":
        return Kind.SG_READY if self in KIND_ORDERS[Kind.SG_READY] else Kind.PILOT

    @property
    def label(self) -> str:
        label = _LABELS[self]
        # The pilot orders are the radiator's own French words in every language.
        return _(label) if self in KIND_ORDERS[Kind.SG_READY] else label


_LABELS = {
    Order.CONFORT: "Confort",
    Order.ECO: "Éco",
    Order.HORS_GEL: "Hors-gel",
    Order.ARRET: "Arrêt",
    Order.BLOCKED: N_("Blocked"),
    Order.NORMAL: N_("Normal"),
    Order.BOOST: N_("Boost"),
    Order.MAX: N_("Max"),
}

# Each kind's orders, from the mildest cut to the strongest: when two rules cut at once (an
# orange hour on a Tempo red day), the strongest of their orders is sent.
KIND_ORDERS = {
    Kind.PILOT: (Order.CONFORT, Order.ECO, Order.HORS_GEL, Order.ARRET),
    Kind.SG_READY: (Order.MAX, Order.BOOST, Order.NORMAL, Order.BLOCKED),
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
    "blocked": Order.BLOCKED,
    "block": Order.BLOCKED,
    "normal": Order.NORMAL,
    "boost": Order.BOOST,
    "max": Order.MAX,
}

# What was expected, marked for the catalog: translated where shown (``orders_expected``).
ORDERS_EXPECTED = N_('one of "confort", "eco", "hors-gel", "arret"')
SG_ORDERS_EXPECTED = N_('one of "blocked", "normal", "boost", "max"')


def parse_order(value: object) -> Order:
    """An order from what a person typed; ValueError naming what was expected."""
    if isinstance(value, str):
        order = _ALIASES.get(value.strip().lower())
        if order is not None:
            return order
    raise ValueError(_(ORDERS_EXPECTED))


def kind_words(kind: Kind) -> str:
    """``pilot wire`` or ``SG-Ready``, in the operator's language."""
    return _("SG-Ready") if kind is Kind.SG_READY else _("pilot wire")


def orders_expected(pilot: "PilotConfig") -> str:
    return _(SG_ORDERS_EXPECTED if pilot.kind is Kind.SG_READY else ORDERS_EXPECTED)


class HalfWave(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class PilotConfig:
    """``pilot = { ... }`` or ``sg_ready = { ... }`` in a ``[[channel]]`` (``kind``).

    ``relays``: for a pilot wire, the relay that passes the positive half-wave, then the one
    that passes the negative half-wave; for SG-Ready, the relay on SG input 1 (the lock), then
    the one on input 2. The channel's ``index`` is one of them.
    """

    relays: tuple[int, int]
    hors_gel: HalfWave = HalfWave.NEGATIVE  # the half-wave that means Hors-gel; the other: Arrêt
    normal: Order = Order.CONFORT  # the order when the channel is not cut
    orange: Order = Order.ECO  # cut by an orange hour (ahead or now)
    red: Order = Order.HORS_GEL  # cut by a red hour
    cut: Order = Order.HORS_GEL  # every other cut: operator, Tempo, power rule, fallback
    allow_off: bool = False  # whether Arrêt may ever be sent
    kind: Kind = Kind.PILOT
    low_carbon: Order | None = None  # SG-Ready: the order in a low-carbon hour, when not cut
    allow_max: bool = False  # SG-Ready: whether max (a definite switch-on order) may be sent
    # SG-Ready: the longest automatic lock at a time (0: no bound; sg_lock.py), and the most
    # a release after a lock must last before the next (as long as the lock, at most this).
    max_blocked: timedelta = timedelta(0)
    blocked_rest: timedelta = timedelta(0)

    @property
    def positive(self) -> int:
        return self.relays[0]

    @property
    def negative(self) -> int:
        return self.relays[1]

    @property
    def orders(self) -> tuple[Order, ...]:
        """This kind's four orders, from the mildest cut to the strongest."""
        return KIND_ORDERS[self.kind]

    @property
    def named(self) -> tuple[Order, ...]:
        """The orders an operator may name for this channel (``force CH eco``, an MQTT
        command, Home Assistant's select): this kind's, less those its configuration forbids."""
        return tuple(order for order in self.orders if self.allowed(order))

    @property
    def plain_cut(self) -> Order:
        """What a plain forced cut (``force CH off``, no order named) sends: ``cut``, or the
        fallback where ``cut`` may not be sent. Its reason names it: "forced Hors-gel"."""
        return self.cut if self.allowed(self.cut) else self.fallback

    @property
    def fallback(self) -> Order:
        """What is sent for an order that may not be (a saved ``max`` after ``allow_max`` was
        taken out): a pilot wire's setback, a heat pump's normal running."""
        if self.kind is Kind.SG_READY:
            return Order.NORMAL
        return self.cut if self.allowed(self.cut) else Order.HORS_GEL

    def powers(self, order: Order) -> bool:
        """Whether ``order`` leaves the appliance running as the policy means it (Confort; a
        heat pump's normal, boost and max)."""
        if self.kind is Kind.SG_READY:
            return order is not Order.BLOCKED
        return order is self.normal

    def setback(self, level: Level | None) -> Order:
        """The order for a cut while the strain at hand is ``level`` (None: not a level's)."""
        if level is Level.RED:
            return self.red
        if level is Level.ORANGE:
            return self.orange
        return self.cut

    def allowed(self, order: Order) -> bool:
        if order not in self.orders:
            return False
        if order is Order.MAX:
            return self.allow_max
        return order is not Order.ARRET or self.allow_off

    def refusal(self, order: Order) -> str | None:
        """Why ``order`` may not be sent on this channel (None: it may), in the words of
        its configuration."""
        if order not in self.orders:
            words = (
                _("{order} is not an order of an SG-Ready channel; expected {expected}")
                if self.kind is Kind.SG_READY
                else _("{order} is not an order of a pilot-wire channel; expected {expected}")
            )
            return words.format(order=repr(order.value), expected=orders_expected(self))
        if order is Order.MAX and not self.allow_max:
            return _("max is not allowed on this channel (sg_ready.allow_max = false)")
        if order is Order.ARRET and not self.allow_off:
            return _("Arrêt is not allowed on this channel (pilot.allow_off = false)")
        return None


PILOT_KEYS = ("relays", "hors_gel", "normal", "orange", "red", "cut", "allow_off")
SG_READY_KEYS = (
    "relays",
    "normal",
    "low_carbon",
    "orange",
    "red",
    "cut",
    "allow_max",
    "max_blocked",
    "blocked_rest",
)
# A supplier's lock (EVU-Sperre) lasts at most 2 h, and is followed by a release as long.
LOCK_DEFAULT = timedelta(hours=2)

# SG-Ready's operating states as (input 1, input 2) closed: the BWP label's table.
_SG_INPUTS = {
    Order.BLOCKED: (True, False),
    Order.NORMAL: (False, False),
    Order.BOOST: (False, True),
    Order.MAX: (True, True),
}


def relay_states(order: Order, pilot: PilotConfig) -> dict[int, bool]:
    """Each of the two relays energised (True) or released for ``order``."""
    if pilot.kind is Kind.SG_READY:
        first, second = _SG_INPUTS[order]
        return {pilot.positive: first, pilot.negative: second}
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
    for order in pilot.orders:
        wanted = relay_states(order, pilot)
        if wanted[pilot.positive] == positive and wanted[pilot.negative] == negative:
            return order
    raise AssertionError("two relays give one of four orders")  # pragma: no cover


def transition(
    current: Mapping[int, bool | None], target: Order, pilot: PilotConfig
) -> list[tuple[int, bool]]:
    """The relay commands, in order, from ``current`` to ``target``: each relay at most once,
    and never through Arrêt on the way, allowed or not (Confort to Éco closes the Hors-gel relay
    first; Éco to Confort opens the Arrêt relay first). SG-Ready passes through neither blocked
    nor max (a lock would stop the compressor for its restart delay; max is not what was
    asked): normal to max goes by boost. A relay whose state is unknown is commanded whatever
    it is."""
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
        if all(
            middle is not None and (middle not in _NOT_ON_THE_WAY or middle is target)
            for middle in middles
        ):
            return candidate
    return moves  # pragma: no cover  # one of the two orders always avoids them


# Both kinds' two-relay moves each have one middle state outside these (core/test_pilot.py).
_NOT_ON_THE_WAY = (Order.ARRET, Order.BLOCKED, Order.MAX)


def order_words(order: Order | None) -> str:
    return order.label if order is not None else "unknown"


# --- the configuration: pilot = { ... } in a [[channel]] ----------------------------------------

RELAYS_EXPECTED = N_(
    "two different relay numbers from 0 to {last}, [positive, negative] (e.g. [2, 3])"
)
SG_RELAYS_EXPECTED = N_(
    "two different relay numbers from 0 to {last}, [input 1, input 2] (e.g. [4, 5])"
)


def _relays_expected(kind: Kind, count: int) -> str:
    text = SG_RELAYS_EXPECTED if kind is Kind.SG_READY else RELAYS_EXPECTED
    return _(text).format(last=count - 1)


UNKNOWN_KEY = "unknown key"


class PilotProblem(ValueError):
    """A bad ``pilot`` key: ``key`` names it, the message says what was expected."""

    def __init__(self, key: str, expected: str) -> None:
        super().__init__(expected)
        self.key = key


def _relays(value: object, count: int, kind: Kind = Kind.PILOT) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(item, int) and not isinstance(item, bool) for item in value)
        or not all(0 <= item < count for item in value)
        or value[0] == value[1]
    ):
        raise PilotProblem("relays", _relays_expected(kind, count))
    return value[0], value[1]


def pilot_from_table(table: object, count: int = 8) -> PilotConfig:
    """The ``pilot`` table, or PilotProblem for its first bad key (the caller names the file
    and the channel)."""
    return _from_table(table, count, Kind.PILOT)


def sg_ready_from_table(table: object, count: int = 8) -> PilotConfig:
    """The ``sg_ready`` table, or PilotProblem for its first bad key."""
    return _from_table(table, count, Kind.SG_READY)


def table_key(pilot: PilotConfig) -> str:
    """The channel key that holds it: ``pilot`` or ``sg_ready``."""
    return "sg_ready" if pilot.kind is Kind.SG_READY else "pilot"


def table_keys(kind: Kind) -> tuple[str, ...]:
    return SG_READY_KEYS if kind is Kind.SG_READY else PILOT_KEYS


# The defaults of each kind's orders (PilotConfig's own are a pilot wire's).
_DEFAULTS = {
    Kind.PILOT: {
        "normal": Order.CONFORT,
        "orange": Order.ECO,
        "red": Order.HORS_GEL,
        "cut": Order.HORS_GEL,
    },
    Kind.SG_READY: {
        "normal": Order.NORMAL,
        "low_carbon": Order.BOOST,
        "orange": Order.BLOCKED,
        "red": Order.BLOCKED,
        "cut": Order.BLOCKED,
    },
}


def _flag(table: dict[object, object], key: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise PilotProblem(key, _("true or false"))
    return value


def _lock_length(table: dict[object, object], key: str) -> timedelta:
    """``max_blocked``: "0s" (no bound) to 24 h; ``blocked_rest``: 1 minute to 24 h (a release
    that ends as it starts would be no release)."""
    rest = key == "blocked_rest"
    try:
        length = parse_duration(table.get(key, format_duration(LOCK_DEFAULT)), timedelta(hours=24))
        if rest and length < timedelta(minutes=1):
            raise ValueError(key)
    except ValueError:
        expected = (
            _('a duration from "1m" to "24h", e.g. "2h"')
            if rest
            else _('a duration from "0s" (no bound) to "24h", e.g. "2h"')
        )
        raise PilotProblem(key, expected) from None
    return length


def _from_table(table: object, count: int, kind: Kind) -> PilotConfig:
    sg = kind is Kind.SG_READY
    example = "sg_ready = { relays = [4, 5] }" if sg else "pilot = { relays = [2, 3] }"
    if not isinstance(table, dict):
        raise PilotProblem("", _("a table, e.g. {example}").format(example=example))
    for key in table:
        if key not in table_keys(kind):
            raise PilotProblem(str(key), UNKNOWN_KEY)
    if "relays" not in table:
        raise PilotProblem("relays", _relays_expected(kind, count))
    relays = _relays(table["relays"], count, kind)
    hors_gel = HalfWave.NEGATIVE
    if "hors_gel" in table:
        try:
            hors_gel = HalfWave(table["hors_gel"])
        except ValueError:
            raise PilotProblem("hors_gel", _('"negative" or "positive"')) from None
    allow_off = _flag(table, "allow_off")
    allow_max = _flag(table, "allow_max")
    orders = KIND_ORDERS[kind]
    expected = _(SG_ORDERS_EXPECTED if sg else ORDERS_EXPECTED)
    given: dict[str, Order] = dict(_DEFAULTS[kind])
    for key in given:
        if key in table:
            try:
                order = parse_order(table[key])
            except ValueError:
                raise PilotProblem(key, expected) from None
            if order not in orders:
                raise PilotProblem(key, expected)
            given[key] = order
    pilot = PilotConfig(
        relays=relays,
        hors_gel=hors_gel,
        normal=given["normal"],
        orange=given["orange"],
        red=given["red"],
        cut=given["cut"],
        allow_off=allow_off,
        kind=kind,
        low_carbon=given.get("low_carbon"),
        allow_max=allow_max,
        max_blocked=_lock_length(table, "max_blocked") if sg else timedelta(0),
        blocked_rest=_lock_length(table, "blocked_rest") if sg else timedelta(0),
    )
    for key in given:
        if not pilot.allowed(given[key]):
            raise PilotProblem(
                key,
                _(
                    'an order other than "max" (a definite switch-on order is never sent '
                    "unless allow_max = true)"
                )
                if sg
                else _('an order other than "arret" (Arrêt is never sent unless allow_off = true)'),
            )
    if sg and pilot.normal is Order.BLOCKED:
        raise PilotProblem("normal", _('an order other than "blocked" (it is the cut)'))
    return pilot


def pilot_to_table(pilot: PilotConfig) -> dict[str, object]:
    if pilot.kind is Kind.SG_READY:
        return {
            "relays": list(pilot.relays),
            "normal": pilot.normal.value,
            "low_carbon": (pilot.low_carbon or pilot.normal).value,
            "orange": pilot.orange.value,
            "red": pilot.red.value,
            "cut": pilot.cut.value,
            "allow_max": pilot.allow_max,
            "max_blocked": format_duration(pilot.max_blocked),
            "blocked_rest": format_duration(pilot.blocked_rest),
        }
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
        target = pilot.fallback
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
