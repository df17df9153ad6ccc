"""Typed events: one frozen dataclass per kind, written as one JSON object per line.

Pure (no I/O, no clock). Every event has ``ts`` (an aware time) and a ``kind``; each class holds
its kind's fields, typed. ``to_dict()`` gives the JSON object the event log, the control socket
and MQTT carry, with the field names and value forms of the log since its first version (``ts``
and every time as Paris ISO 8601 with its offset; an optional field left out when it is not
set, except the ones always written, ``null`` or not: a forecast's ``until``, Tempo's
``today``/``tomorrow``, a force's ``until``).

``parse_event()`` reads every form ever written, once, for every reader:
- the old ``start`` with ``reload: true`` (before reload was its own kind) is a ``ReloadEvent``;
- fields it does not know are kept in ``extra`` and written back, so nothing is lost;
- a kind it does not know is an ``UnknownEvent`` that writes back as it came;
- anything else (not an object, no kind, a ``ts`` that is not an aware time, a required field
  missing, a field of the wrong type) is damage: ``ValueError`` naming the field, which the
  log's reader counts and skips.

The round trip ``parse_event(d).to_dict() == d`` holds for every line the service writes.
"""

import dataclasses
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Union, cast, get_args, get_origin

from tui.core.durations import EARLIEST, LATEST, parse_instant, sane_instant
from tui.core.forecast import PARIS, paris_iso

_HEAD_NAMES = frozenset({"ts", "kind"})


@dataclass(frozen=True, kw_only=True, slots=True)
class EventBase:
    """What every event has: its time and the fields a reader did not know (kept, rewritten)."""

    KIND: ClassVar[str] = ""
    # Fixed fields written right after the kind (Tempo's ``what``), not stored per event.
    HEAD: ClassVar[Mapping[str, str]] = {}
    # Optional fields written even when None (as ``null``), as the log always had them.
    ALWAYS: ClassVar[frozenset[str]] = frozenset()

    ts: datetime
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # Fields always written that the line read did not have (a hand-made or older line): left
    # out again when it is written back, so that it round-trips as it came.
    omitted: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def __post_init__(self) -> None:
        ts = self.ts
        if not isinstance(ts, datetime) or ts.tzinfo is not PARIS or not EARLIEST <= ts < LATEST:
            try:
                ts = sane_instant(ts).astimezone(PARIS)
            except (ValueError, AttributeError, TypeError) as error:
                raise ValueError(f"ts: {error}") from None
            object.__setattr__(self, "ts", ts)
        if self.extra:
            taken = _HEAD_NAMES | self.HEAD.keys() | _spec_and_names(type(self))[1]
            clash = sorted(taken & self.extra.keys())
            if clash:
                raise ValueError(f"extra: {', '.join(clash)}: a field of the event itself")

    @property
    def kind(self) -> str:
        return self.KIND

    def _always(self) -> frozenset[str]:
        return self.ALWAYS

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this event, as the log writes it."""
        out: dict[str, Any] = {"ts": paris_iso(self.ts), "kind": self.kind, **self.HEAD}
        always = self._always() - self.omitted
        for item in _spec(type(self)):
            value = getattr(self, item.name)
            if not item.required and value is item.default and item.name not in always:
                continue
            out[item.name] = _encode(value)
        out.update(self.extra)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class StartEvent(EventBase):
    """The service started: ``mode`` (live, sandbox, demo, file), its PID, config, board."""

    KIND: ClassVar[str] = "start"
    mode: str | None = None
    pid: int | None = None
    config: str | None = None
    board: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReloadEvent(EventBase):
    """A reload applied a new configuration (the service did not start again)."""

    KIND: ClassVar[str] = "reload"
    mode: str | None = None
    pid: int | None = None
    config: str | None = None
    board: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class StopEvent(EventBase):
    """The service stopped, leaving the relays as ``on_exit`` says (``keep``, ``release``)."""

    KIND: ClassVar[str] = "stop"
    on_exit: str | None = None
    pid: int | None = None
    relays: str | None = None  # each appliance as the stop left it: "Chauffe-eau CUT, ..."


@dataclass(frozen=True, kw_only=True, slots=True)
class ForecastEvent(EventBase):
    """An Ecowatt forecast loaded (``cached``) or fetched (``called``: RTE was asked). ``levels``
    (a digit per hour from ``levels_from``, ``.`` unknown) is what history reads."""

    KIND: ClassVar[str] = "forecast"
    ALWAYS: ClassVar[frozenset[str]] = frozenset({"until"})
    source: str | None = None
    until: datetime | None = None
    cached: bool | None = None
    called: bool | None = None
    message: str | None = None
    levels_from: datetime | None = None
    levels: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TempoForecastEvent(EventBase):
    """The Tempo calendar loaded or updated: a ``forecast`` event with ``what: "tempo"``;
    ``today``/``tomorrow`` are colours (``blue``, ``white``, ``red``) or None, not published."""

    KIND: ClassVar[str] = "forecast"
    HEAD: ClassVar[Mapping[str, str]] = {"what": "tempo"}
    ALWAYS: ClassVar[frozenset[str]] = frozenset({"today", "tomorrow"})
    source: str | None = None
    today: str | None = None
    tomorrow: str | None = None
    cached: bool | None = None
    message: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RelayEvent(EventBase):
    """A relay moved: the appliance on ``channel`` is now ``powered`` (or cut), for ``reason``.
    ``applied``: False when the board was away (applied when it attaches); ``by``: ``board``
    (moved without a command) or ``reconcile`` (put back), absent for the controller's own;
    ``rule``: the policy's rule behind a controller's own move (history counts power cuts apart)."""

    KIND: ClassVar[str] = "relay"
    channel: int
    name: str | None = None
    powered: bool
    reason: str | None = None
    applied: bool | None = None
    by: str | None = None
    order: str | None = None  # a pilot channel's order after the move ("eco"; core/pilot.py)
    rule: str | None = None  # the policy's rule that decided it ("shed", "power"...), if one did


@dataclass(frozen=True, kw_only=True, slots=True)
class OverrideEvent(EventBase):
    """An operator's override: ``action`` ``force`` (with ``powered`` and ``until``, None for
    until released), ``release`` or ``expired``."""

    KIND: ClassVar[str] = "override"
    channel: int
    name: str | None = None
    action: str
    message: str | None = None
    powered: bool | None = None
    until: datetime | None = None

    def _always(self) -> frozenset[str]:
        return frozenset({"until"}) if self.action == "force" else frozenset()


@dataclass(frozen=True, kw_only=True, slots=True)
class BoardEvent(EventBase):
    """What the board did or said: ``event`` (``attached``, ``detached``, ``error``, ``read``,
    ``in-step``, ``missing``...). A ``read`` at start carries ``states``: channel number (as
    text) -> appliance powered, as written; ``read_states()`` gives the usable entries."""

    KIND: ClassVar[str] = "board"
    event: str
    channel: int | None = None
    message: str
    states: Mapping[str, object] | None = field(default=None, hash=False)

    def read_states(self) -> dict[int, bool]:
        """The channels the board reported, each with its appliance powered or not."""
        found: dict[int, bool] = {}
        for key, powered in (self.states or {}).items():
            if key.isdigit() and isinstance(powered, bool):
                found[int(key)] = powered
        return found


@dataclass(frozen=True, kw_only=True, slots=True)
class ErrorEvent(EventBase):
    """A part failed (``what``: forecast, tempo, board, state, events, mqtt, history, ...), or
    works again (``recovered``); ``channel`` when one relay is concerned."""

    KIND: ClassVar[str] = "error"
    what: str
    channel: int | None = None
    message: str
    recovered: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class MeterEvent(EventBase):
    """The power meter ([meter]): ``event`` is ``reading`` (the first reading, or a new mode or
    limit), ``nothing-left`` (over the limit with nothing left to cut: the meter may trip) or
    ``tripped`` (the meter says its breaker is open); ``power_va`` and ``limit_va`` then; or
    ``measured`` (a channel's power as the meter saw it switch: ``channel`` and ``watts``)."""

    KIND: ClassVar[str] = "meter"
    event: str
    message: str
    power_va: int | None = None
    limit_va: int | None = None
    mode: str | None = None
    channel: int | None = None  # measured: the channel whose power the meter saw
    watts: int | None = None  # measured: its power (the median of its last switches' steps)


@dataclass(frozen=True, kw_only=True, slots=True)
class TempoEvent(EventBase):
    """Tempo beyond a new calendar: ``event`` is ``disagreement`` when two sources give
    different colours for the Tempo day ``day`` (the Paris date, ``2026-12-08``): ``colour``
    from ``source`` is the one used (the primary, RTE), ``other_colour`` from ``other_source``
    (the meter's TIC) is not. Said once per day and per pair of colours."""

    KIND: ClassVar[str] = "tempo"
    event: str
    day: str
    source: str
    colour: str
    other_source: str
    other_colour: str
    message: str


@dataclass(frozen=True, kw_only=True, slots=True)
class UnknownEvent(EventBase):
    """A kind this version does not know (a newer service's): its fields kept in ``extra``."""

    kind_name: str

    @property
    def kind(self) -> str:
        return self.kind_name

    def to_dict(self) -> dict[str, Any]:
        return {"ts": paris_iso(self.ts), "kind": self.kind_name, **self.extra}


Event = (
    StartEvent
    | ReloadEvent
    | StopEvent
    | ForecastEvent
    | TempoForecastEvent
    | RelayEvent
    | OverrideEvent
    | BoardEvent
    | ErrorEvent
    | MeterEvent
    | TempoEvent
    | UnknownEvent
)

_BY_KIND: dict[str, type[EventBase]] = {
    cls.KIND: cls
    for cls in (
        StartEvent,
        ReloadEvent,
        StopEvent,
        ForecastEvent,
        RelayEvent,
        OverrideEvent,
        BoardEvent,
        ErrorEvent,
        MeterEvent,
        TempoEvent,
    )
}


def channel_of(event: Event) -> int | None:
    """The relay channel an event concerns, if any."""
    return (
        event.channel
        if isinstance(event, RelayEvent | OverrideEvent | BoardEvent | ErrorEvent)
        else None
    )


def parse_event(obj: object) -> Event:
    """The event of one JSON object as any version wrote it; ValueError naming the field for
    damage (the reader counts the line and skips it)."""
    if not isinstance(obj, Mapping):
        raise ValueError(f"event: expected a JSON object, got {type(obj).__name__}")
    if "kind" not in obj:
        raise ValueError("kind: missing")
    kind = obj["kind"]
    if not isinstance(kind, str):
        raise ValueError(f"kind: expected a string, got {kind!r:.40}")
    if "ts" not in obj:
        raise ValueError(f"{kind} event: ts: missing")
    try:
        ts = parse_instant(obj["ts"]).astimezone(PARIS)
    except ValueError as error:
        raise ValueError(f"{kind} event: ts: {error}") from None
    return _build(kind, ts, obj)


_ABSENT = object()


def _build(kind: str, ts: datetime, obj: Mapping[str, Any]) -> Event:
    cls = _BY_KIND.get(kind)
    if cls is None:
        rest = {key: value for key, value in obj.items() if key not in _HEAD_NAMES}
        return UnknownEvent(ts=ts, kind_name=kind, extra=rest)
    skip = _HEAD_NAMES
    if cls is StartEvent and obj.get("reload"):
        cls = ReloadEvent  # before reload was its own kind: a start with reload: true
        skip = _START_RELOAD
    elif cls is ForecastEvent and obj.get("what") == "tempo":
        cls = TempoForecastEvent
        skip = _TEMPO_HEAD
    spec, known = _spec_and_names(cls)
    values: dict[str, Any] = {}
    name = ""
    try:
        for item in spec:
            name = item.name
            value = obj.get(name, _ABSENT)
            if value is _ABSENT:
                if item.required:
                    raise ValueError("missing")
            elif type(value) is item.plain:
                values[name] = value  # the usual case: the JSON type is the field's type
            else:
                values[name] = item.decode(value)
    except ValueError as error:
        label = "forecast (tempo)" if cls is TempoForecastEvent else cls.KIND
        raise ValueError(f"{label} event: {name}: {error}") from None
    rest = {}
    if len(obj) > len(values) + len(skip & obj.keys()):
        rest = {key: value for key, value in obj.items() if key not in known and key not in skip}
    event: Any = cls(ts=ts, extra=rest, **values)
    missing = event._always() - values.keys()
    if missing:
        object.__setattr__(event, "omitted", frozenset(missing))
    return cast(Event, event)  # cls is one of Event's members


_START_RELOAD = _HEAD_NAMES | {"reload"}
_TEMPO_HEAD = _HEAD_NAMES | {"what"}


# --- field codecs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    required: bool
    default: object
    plain: type  # a value of exactly this type is taken as it is
    decode: Callable[[object], object]  # anything else: converted, or ValueError


# Every integer an event carries (a channel, a power, a count) is far inside JSON's safe range;
# one past it is damage, and would not fit the history store's SQLite INTEGER either.
MAX_INT = 2**53


class _Checked:
    """No value has this type: integers always go through ``_int`` and its range."""


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r:.40}")
    if not -MAX_INT <= value <= MAX_INT:
        raise ValueError(f"expected an integer within +-2^53, got {str(value)[:40]}")
    return int(value)


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r:.40}")
    return str(value)  # a StrEnum member: its value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r:.40}")
    return value


def _instant(value: object) -> datetime:
    if isinstance(value, datetime):
        return sane_instant(value).astimezone(PARIS)
    return parse_instant(value).astimezone(PARIS)


def _object(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ValueError(f"expected a JSON object, got {value!r:.40}")
    return dict(value)


# Per field type: the type taken as it is, and the decoder of anything else.
_CODECS: dict[object, tuple[type, Callable[[object], object]]] = {
    int: (_Checked, _int),
    str: (str, _str),
    bool: (bool, _bool),
    datetime: (type(None), _instant),  # always converted (ISO text to a Paris time)
    Mapping[str, object]: (type(None), _object),
}


def _optional(decode: Callable[[object], object]) -> Callable[[object], object]:
    def decode_or_none(value: object) -> object:
        return None if value is None else decode(value)

    return decode_or_none


_SPECS: dict[type[EventBase], tuple[tuple[_Field, ...], frozenset[str]]] = {}


def _spec(cls: type[EventBase]) -> tuple[_Field, ...]:
    """The fields of one kind beyond ``ts`` and ``extra``, in the order they are written."""
    return _spec_and_names(cls)[0]


def _spec_and_names(cls: type[EventBase]) -> tuple[tuple[_Field, ...], frozenset[str]]:
    known = _SPECS.get(cls)
    if known is not None:
        return known
    spec = []
    for item in dataclasses.fields(cls):
        if item.name in ("ts", "extra", "omitted", "kind_name"):
            continue
        kind = item.type
        nullable = False
        if get_origin(kind) in (Union, types.UnionType):
            args = [arg for arg in get_args(kind) if arg is not type(None)]
            nullable = len(args) < len(get_args(kind))
            kind = args[0] if len(args) == 1 else kind
        plain, decode = _CODECS[kind]
        required = item.default is dataclasses.MISSING
        spec.append(
            _Field(
                item.name, required, item.default, plain, _optional(decode) if nullable else decode
            )
        )
    _SPECS[cls] = found = (tuple(spec), frozenset(item.name for item in spec))
    return found


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return paris_iso(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value
