"""The configuration model of delestage.toml, and its validation.

``config_from_dict`` takes the already-parsed TOML table and returns frozen objects, or raises
``InputError`` listing every problem at once, one line each, naming the file and the key path.
``config_to_dict`` is its inverse, used by ``delestage init``.
"""

import difflib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from tui.core.comfort_config import parse_off_peak
from tui.core.devices import DEFAULT_MODEL, MODELS, model_choices
from tui.core.durations import EXPECTED as DURATION_EXPECTED
from tui.core.durations import MIN_OVERRIDE, format_duration, parse_duration
from tui.core.errors import InputError, expected_got
from tui.core.i18n import SETTINGS as LANGUAGE_SETTINGS
from tui.core.i18n import _
from tui.core.meter_config import (
    METER_SCHEMA,
    MeterConfig,
    meter_problems,
    meter_to_dict,
    tic_fallback_problems,
    tic_tempo_problems,
)
from tui.core.names import REFUSED, refused_char, refused_words
from tui.core.pilot import (
    UNKNOWN_KEY,
    Kind,
    PilotConfig,
    PilotProblem,
    pilot_from_table,
    pilot_to_table,
    sg_ready_from_table,
    table_key,
    table_keys,
)
from tui.core.power import EXPECTED as POWER_EXPECTED
from tui.core.power import Power, format_power, parse_power
from tui.core.tempo import Colour

RTE_BASE_URL = "https://digital.iservices.rte-france.com"
CHANNEL_COUNT = 8  # relays of one board laid out as a 1017 (no model): the single-board limit
CHANNEL_LIMIT = 32  # channels in all, over several [[board]] entries
CHANNEL_NUMBERS = 64  # channel numbers across boards (board's first number + relay) stay below


class Source(StrEnum):
    RTE = "rte"
    SANDBOX = "sandbox"
    DEMO = "demo"
    FILE = "file"


class BoardKind(StrEnum):
    PHIDGET = "phidget"
    SIMULATED = "simulated"


class OnExit(StrEnum):
    RELEASE = "release"
    KEEP = "keep"


class Fallback(StrEnum):
    POWERED = "powered"
    SHED = "shed"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class Wiring(StrEnum):
    NO = "no"
    NC = "nc"


class ShedAt(StrEnum):
    ORANGE = "orange"
    RED = "red"
    NEVER = "never"


class Run(StrEnum):
    ALWAYS = "always"
    LOW_CARBON = "low-carbon"


@dataclass(frozen=True)
class EcowattConfig:
    source: Source = Source.RTE
    base_url: str = RTE_BASE_URL
    file: str | None = None
    credentials_file: str | None = None
    timeout: timedelta = timedelta(seconds=10)


class TempoFromMeter(StrEnum):
    """``[tempo] source = "tic"``: the colours the meter's TIC carries (``[meter]`` reads it)."""

    TIC = "tic"


@dataclass(frozen=True)
class TempoConfig:
    """``[tempo]``: off unless present. The credentials are Ecowatt's (one RTE application)."""

    source: Source | TempoFromMeter = Source.RTE
    base_url: str = RTE_BASE_URL
    file: str | None = None
    # ``fallback = "tic"``: the source first, the meter's colours for a day it has no answer for.
    fallback: TempoFromMeter | None = None


@dataclass(frozen=True)
class BoardConfig:
    kind: BoardKind = BoardKind.PHIDGET
    serial: int | None = None
    hub_port: int | None = None
    attach_timeout: timedelta = timedelta(seconds=5)
    on_exit: OnExit = OnExit.RELEASE
    failsafe: timedelta = timedelta(0)
    name: str = ""  # [[board]] entries are named; a single [board] may leave it out
    model: str | None = None  # a key of tui.core.devices.MODELS; None: detected (laid out as 1017)

    @property
    def relays(self) -> int:
        """How many relays the board's layout has (its model's, else the 1017's 8)."""
        return MODELS[self.model or DEFAULT_MODEL].relays


# The failsafe keepalive resets each relay in turn, one USB transfer each, which the library
# gives up to 100 ms; the pass must fit in a third of the period (the keepalive's interval).
# With several boards one pass covers every board's relays, one after another (MultiBoard).
KEEPALIVE_TRANSFER = timedelta(milliseconds=100)


def failsafe_floor(relays: int) -> timedelta:
    """The shortest failsafe whose keepalive pass over ``relays`` (every board's), at worst, fits
    in a third of it."""
    return 3 * relays * KEEPALIVE_TRANSFER


@dataclass(frozen=True)
class PolicyConfig:
    lead: timedelta = timedelta(minutes=15)
    restore_gap: timedelta = timedelta(seconds=60)
    min_switch_gap: timedelta = timedelta(seconds=5)
    fallback: Fallback = Fallback.POWERED
    override_duration: timedelta = timedelta(hours=2)
    # Comfort (issue 25): no restore the rules would undo within min_restore; rotation groups
    # cut rotate_cut of their channels at a time, in turns of rotate_every; off_peak is where a
    # daily minimum runs when the forecast offers no better hours (tui/core/daily_run.py).
    min_restore: timedelta = timedelta(minutes=10)
    rotate_every: timedelta = timedelta(minutes=10)
    rotate_cut: int = 1
    off_peak: str = "22:00-06:00"


@dataclass(frozen=True)
class ServiceConfig:
    state_dir: str | None = None
    log_format: LogFormat = LogFormat.TEXT
    socket_group: str | None = None


@dataclass(frozen=True)
class UiConfig:
    # Binding id -> Textual key names, comma-separated ("1,ampersand"): remaps the UI's keys,
    # e.g. for an AZERTY keyboard where the digits need Shift.
    keys: Mapping[str, str] = field(default_factory=dict)
    # Ring the terminal bell when a strained period starts or the service is lost.
    bell: bool = False
    # "auto" (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), "fr" or "en": tui/core/i18n.py.
    language: str = "auto"


@dataclass(frozen=True)
class MqttConfig:
    """[mqtt]: off unless the section is present (Config.mqtt is then None)."""

    url: str = "mqtt://localhost:1883"
    username: str | None = None
    password_file: str | None = None  # else $DELESTAGE_MQTT_PASSWORD, else no password
    ca_file: str | None = None
    node_id: str | None = None  # None: the host name, lower-case, [a-z0-9_] (found at run time)
    topic_prefix: str = "delestage"
    discovery_prefix: str = "homeassistant"  # "": no Home Assistant discovery
    # Home Assistant's birth topic: its "online" has discovery announced again ("": ignored).
    birth_topic: str = "homeassistant/status"


@dataclass(frozen=True)
class ChannelConfig:
    index: int
    name: str
    shed_at: ShedAt
    wiring: Wiring = Wiring.NO
    priority: int = 1
    min_on: timedelta = timedelta(0)
    min_off: timedelta = timedelta(0)
    run: Run = Run.ALWAYS
    auto_restore: bool = True
    # The appliance's power, for the energy kept off the grid (history, UI); None: not given.
    power: Power | None = None
    shed_tempo: tuple[Colour, ...] = ()  # Tempo colours whose peak hours cut the channel
    shed_power: bool = True  # the power rule ([meter]) may cut it (never with shed_at "never")
    min_daily_run: timedelta = timedelta(0)  # powered at least this long per Paris day (0: off)
    rotate: str | None = None  # a rotation group's name (tui/core/rotation.py)
    # Several boards: the board's name and the relay on it (``index`` is then the channel's
    # number across boards: the board's first number plus the relay). One board: "" and None.
    board: str = ""
    relay: int | None = None
    # A pilot-wire or SG-Ready channel (tui/core/pilot.py, ``kind``): two relays, four orders;
    # None: one relay. Its relays are numbered as ``index`` is: across boards, on the board.
    pilot: PilotConfig | None = None

    @property
    def relay_on_board(self) -> int:
        return self.index if self.relay is None else self.relay

    @property
    def relays(self) -> tuple[int, ...]:
        """The relays the channel drives, numbered across boards as ``index`` is: its index, or
        a pilot channel's two."""
        return self.pilot.relays if self.pilot is not None else (self.index,)

    @property
    def relays_on_board(self) -> dict[int, int]:
        """Each of ``relays`` (numbered across boards) to its relay on the channel's board."""
        offset = self.index - self.relay_on_board
        return {relay: relay - offset for relay in self.relays}


@dataclass(frozen=True)
class Config:
    channels: tuple[ChannelConfig, ...]
    ecowatt: EcowattConfig = field(default_factory=EcowattConfig)
    board: BoardConfig = field(default_factory=BoardConfig)  # the first (or only) board
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    tempo: TempoConfig | None = None  # None: no [tempo] section, Tempo is off
    mqtt: MqttConfig | None = None
    meter: MeterConfig | None = None  # None: no [meter] section, no power rule
    # Every board, in the order of the file; () means the one ``board`` (a single [board]).
    boards: tuple[BoardConfig, ...] = ()
    # Where it was read from, for messages; two configs that configure the same thing are equal.
    path: str = field(default="delestage.toml", compare=False)

    def channel(self, index: int) -> ChannelConfig:
        for channel in self.channels:
            if channel.index == index:
                return channel
        raise KeyError(index)

    @property
    def all_boards(self) -> tuple[BoardConfig, ...]:
        return self.boards or (self.board,)


# --- validation -------------------------------------------------------------------------------

_MISSING = object()


class _Invalid(Exception):
    def __init__(self, expected: str, got: str | None = None) -> None:
        super().__init__(expected)
        self.got = got  # what to show as "got", when not the raw value itself


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # JSON quoting shows control characters as escapes instead of sending them raw.
        shown = json.dumps(value[:80], ensure_ascii=False)
        # ...and the invisible ones (bidi overrides, line separators) JSON leaves raw.
        shown = "".join(
            f"\\u{ord(char):04x}" if unicodedata.category(char) in _NAME_REFUSED else char
            for char in shown
        )
        return shown if len(value) <= 80 else shown[:-1] + '..."'
    if isinstance(value, dict):
        return _("a table")
    if isinstance(value, list):
        return _("an array")
    return repr(value)


def _missing(where: str) -> str:
    return f"{where}: " + _("missing (required)")


def _enum(kind: type[StrEnum]) -> Callable[[object], Any]:
    choices = ", ".join(f'"{member.value}"' for member in kind)

    def parse(value: object) -> StrEnum:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return kind(value)
        except ValueError:
            raise _Invalid(_("one of {choices}").format(choices=choices)) from None

    return parse


def _duration(value: object) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as error:
        raise _Invalid(
            str(error) if isinstance(value, str | int) else _(DURATION_EXPECTED)
        ) from None


def _positive_duration(value: object) -> timedelta:
    """A wait that must not be zero: a zero timeout would fail every request at once."""
    duration = _duration(value)
    if not duration:
        raise _Invalid(
            _("a duration above zero ({expected})").format(expected=_(DURATION_EXPECTED))
        )
    return duration


def _control_free(text: str) -> bool:
    # Cc: NUL, newline, ESC, BEL, DEL, C1 controls; they would be written raw to logs and
    # terminals, and a path holding NUL cannot be opened at all.
    return not any(unicodedata.category(char) == "Cc" for char in text)


def _string(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(_("a non-empty string"))
    if not _control_free(value):
        raise _Invalid(_("a string without control characters (newline, tab, ESC, NUL...)"))
    return value


# The one rule for names shown to people (tui/core/names.py): no Cc, Cf, Zl or Zp.
_NAME_REFUSED = REFUSED


def _name(value: object) -> str:
    """A channel name, NFC-normalised so that it matches however it is typed."""
    text = _string(value)
    if (char := refused_char(text)) is not None:
        raise _Invalid(refused_words(char))
    return unicodedata.normalize("NFC", text.strip())


def _int_range(low: int, high: int | None) -> Callable[[object], int]:
    def expected() -> str:
        if high is None:
            return _("an integer ≥ {low}").format(low=low)
        return _("an integer from {low} to {high}").format(low=low, high=high)

    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(expected())
        if value < low or (high is not None and value > high):
            raise _Invalid(expected())
        return value

    return parse


def _off_peak(value: object) -> str:
    try:
        parse_off_peak(value)
    except ValueError as error:
        raise _Invalid(str(error)) from None
    assert isinstance(value, str)
    return value


def _daily_run(value: object) -> timedelta:
    try:
        return parse_duration(value, maximum=timedelta(hours=24))
    except ValueError:
        raise _Invalid(_('a duration from "0s" (off) to "24h", e.g. "4h"')) from None


def _power(value: object) -> Power:
    try:
        return parse_power(value)
    except ValueError:
        raise _Invalid(_(POWER_EXPECTED)) from None


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(_("true or false"))
    return value


def _key_table(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _Invalid(_('a table of binding id = "keys" (e.g. select_1 = "1,ampersand")'))
    for binding, keys in value.items():
        if not isinstance(keys, str) or not keys.strip():
            raise _Invalid(
                _('key names as a string for {binding} (e.g. "1,ampersand")').format(
                    binding=binding
                ),
                got=f"{binding} = {_describe(keys)}",
            )
    return dict(value)


def _language(value: object) -> str:
    if not isinstance(value, str) or value not in LANGUAGE_SETTINGS:
        choices = ", ".join(f'"{setting}"' for setting in LANGUAGE_SETTINGS)
        raise _Invalid(_("one of {choices}").format(choices=choices))
    return value


def _url(value: object) -> str:
    text = _string(value)
    if not text.startswith(("https://", "http://")):
        raise _Invalid(_('a URL starting with "https://"'))
    return text.rstrip("/")


def _tempo_colours(value: object) -> tuple[Colour, ...]:
    expected = _('a list of Tempo colours among "red" and "white" (e.g. ["red"])')
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Invalid(expected)
    colours: list[Colour] = []
    for item in value:
        if item not in (Colour.RED, Colour.WHITE):
            raise _Invalid(expected)
        if Colour(item) not in colours:
            colours.append(Colour(item))
    return tuple(colours)


# The channel keys of a two-relay channel (tui/core/pilot.py), each with its reader.
_TWO_RELAY_KEYS = {
    "pilot": (Kind.PILOT, pilot_from_table),
    "sg_ready": (Kind.SG_READY, sg_ready_from_table),
}


def _parse_pilot(
    value: object,
    prefix: str,
    problems: list[str],
    count: int = CHANNEL_COUNT,
    key: str = "pilot",
) -> PilotConfig | None:
    """``pilot = { ... }`` or ``sg_ready = { ... }`` (``key``): one line naming
    ``channel[n].pilot.key``, as everywhere; its relays are relays of the channel's board
    (``count`` of them), as ``index`` is."""
    kind, read = _TWO_RELAY_KEYS[key]
    try:
        return read(value, count)
    except PilotProblem as problem:
        if not isinstance(value, dict) or not problem.key:
            problems.append(expected_got(f"{prefix}{key}", str(problem), _describe(value)))
        elif str(problem) == UNKNOWN_KEY:  # a sentinel, never shown
            problems.append(_unknown_key(f"{prefix}{key}.", problem.key, list(table_keys(kind))))
        elif problem.key not in value:
            problems.append(_missing(f"{prefix}{key}.{problem.key}"))
        else:
            raw = value[problem.key]
            got = json.dumps(raw) if isinstance(raw, list) else _describe(raw)
            problems.append(expected_got(f"{prefix}{key}.{problem.key}", str(problem), got))
        return None


_Schema = dict[str, Callable[[object], Any]]

_BOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _board_name(value: object) -> str:
    if not isinstance(value, str) or not _BOARD_NAME.fullmatch(value):
        raise _Invalid(_('a board name of letters, digits, - and _ (e.g. "garage")'))
    return value


def _model(value: object) -> str:
    if not isinstance(value, str) or value.upper() not in MODELS:
        raise _Invalid(_("one of {choices}").format(choices=model_choices()))
    return value.upper()


# --- [mqtt] -----------------------------------------------------------------------------------

_MQTT_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?/?")
_MQTT_NODE = re.compile(r"[a-z0-9_]+")
_MQTT_LEVEL = re.compile(r"[^+#/\x00]+")


def _mqtt_url(value: object) -> str:
    text = _string(value).strip()
    scheme, _sep, rest = text.partition("://")
    match = _MQTT_HOST.fullmatch(rest)
    port = match and match.group(1)
    if scheme not in ("mqtt", "mqtts") or not match or (port and not 0 < int(port) < 65536):
        raise _Invalid(_('a broker URL like "mqtt://host:1883" or "mqtts://host:8883"'))
    return text.rstrip("/")


def _mqtt_node(value: object) -> str:
    if not isinstance(value, str) or not _MQTT_NODE.fullmatch(value):
        raise _Invalid(_("lower-case letters, digits and _ only"))
    return value


def _mqtt_topic(empty_ok: bool) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if empty_ok and value == "":
            return ""
        if not isinstance(value, str) or not all(
            _MQTT_LEVEL.fullmatch(level) for level in value.split("/")
        ):
            raise _Invalid(
                _(
                    'topic levels separated by /, without +, # or empty levels (or "" to turn '
                    "discovery off)"
                )
                if empty_ok
                else _("topic levels separated by /, without +, # or empty levels")
            )
        return value

    return parse


_MQTT_SCHEMA: _Schema = {
    "url": _mqtt_url,
    "username": _string,
    "password_file": _string,
    "ca_file": _string,
    "node_id": _mqtt_node,
    "topic_prefix": _mqtt_topic(empty_ok=False),
    "discovery_prefix": _mqtt_topic(empty_ok=True),
    "birth_topic": _mqtt_topic(empty_ok=True),
}


def _parse_mqtt(table: object, problems: list[str]) -> MqttConfig | None:
    if not isinstance(table, dict):
        problems.append(expected_got("mqtt", _("a table [mqtt]"), _describe(table)))
        return None
    mqtt = MqttConfig(**_parse_table(table, _MQTT_SCHEMA, "mqtt.", problems))
    if mqtt.ca_file and not mqtt.url.startswith("mqtts://"):
        problems.append(
            "mqtt.ca_file: " + _('only used with TLS; expected url = "mqtts://host:8883"')
        )
    return mqtt


_SECTIONS: dict[str, tuple[type, _Schema]] = {
    "ecowatt": (
        EcowattConfig,
        {
            "source": _enum(Source),
            "base_url": _url,
            "file": _string,
            "credentials_file": _string,
            "timeout": _positive_duration,
        },
    ),
    "board": (
        BoardConfig,
        {
            "kind": _enum(BoardKind),
            "serial": _int_range(1, None),
            "hub_port": _int_range(0, 5),
            "attach_timeout": _positive_duration,
            "on_exit": _enum(OnExit),
            "failsafe": _duration,
            "name": _board_name,
            "model": _model,
        },
    ),
    "policy": (
        PolicyConfig,
        {
            "lead": _duration,
            "restore_gap": _duration,
            "min_switch_gap": _duration,
            "fallback": _enum(Fallback),
            "override_duration": _duration,
            "min_restore": _duration,
            "rotate_every": _positive_duration,
            "rotate_cut": _int_range(1, CHANNEL_COUNT - 1),
            "off_peak": _off_peak,
        },
    ),
    "service": (
        ServiceConfig,
        {
            "state_dir": _string,
            "log_format": _enum(LogFormat),
            "socket_group": _string,
        },
    ),
    "ui": (UiConfig, {"keys": _key_table, "bell": _bool, "language": _language}),
}

_CHANNEL_SCHEMA: _Schema = {
    "index": _int_range(0, CHANNEL_COUNT - 1),
    "name": _name,
    "wiring": _enum(Wiring),
    "shed_at": _enum(ShedAt),
    "priority": _int_range(1, None),
    "min_on": _duration,
    "min_off": _duration,
    "run": _enum(Run),
    "auto_restore": _bool,
    "power": _power,
    "shed_tempo": _tempo_colours,
    "shed_power": _bool,
    "min_daily_run": _daily_run,
    "rotate": _name,
}


def _tempo_source(value: object) -> Source | TempoFromMeter:
    if value == TempoFromMeter.TIC.value:
        return TempoFromMeter.TIC
    try:
        return Source(value) if isinstance(value, str) else Source("")
    except ValueError:
        choices = ", ".join(f'"{member.value}"' for member in [*Source, *TempoFromMeter])
        raise _Invalid(_("one of {choices}").format(choices=choices)) from None


def _tempo_fallback(value: object) -> TempoFromMeter:
    if value == TempoFromMeter.TIC.value:
        return TempoFromMeter.TIC
    raise _Invalid(_('"tic" (the meter\'s colours when the source has none for a day)'))


_TEMPO_SCHEMA: _Schema = {
    "source": _tempo_source,
    "base_url": _url,
    "file": _string,
    "fallback": _tempo_fallback,
}
_CHANNEL_REQUIRED = ("index", "name", "shed_at")


def _unknown_key(where: str, key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"{where}{key}: " + _("unknown key (did you mean `{key}`?)").format(key=close[0])
    return f"{where}{key}: " + _("unknown key (known keys: {keys})").format(keys=", ".join(known))


def _parse_table(
    table: Mapping[str, object], schema: _Schema, prefix: str, problems: list[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in table.items():
        parse = schema.get(key)
        if parse is None:
            problems.append(_unknown_key(prefix, key, list(schema)))
            continue
        try:
            values[key] = parse(raw)
        except _Invalid as expected:
            got = expected.got if expected.got is not None else _describe(raw)
            problems.append(expected_got(f"{prefix}{key}", str(expected), got))
    return values


def config_from_dict(data: Mapping[str, object], path: str = "delestage.toml") -> Config:
    """Build a Config from a parsed TOML document, or raise InputError with every problem."""
    problems: list[str] = []
    sections: dict[str, Any] = {}
    known_top = [*_SECTIONS, "tempo", "mqtt", "meter", "channel"]
    for key in data:
        if key not in known_top:
            problems.append(_unknown_key("", key, known_top))
    boards: list[BoardConfig] = []
    for name, (kind, schema) in _SECTIONS.items():
        table = data.get(name, {})
        if name == "board" and isinstance(table, list):
            boards = _parse_boards(table, schema, problems)
            sections[name] = boards[0] if boards else BoardConfig()
            continue
        if not isinstance(table, dict):
            where = _("a table [{name}]").format(name=name)
            problems.append(expected_got(name, where, _describe(table)))
            continue
        sections[name] = kind(**_parse_table(table, schema, f"{name}.", problems))

    if "mqtt" in data:
        sections["mqtt"] = _parse_mqtt(data["mqtt"], problems)
    if "meter" in data:
        sections["meter"] = _parse_meter(data["meter"], problems)

    several = len(boards) > 1
    if not boards and isinstance(sections.get("board"), BoardConfig):
        boards = [sections["board"]]
    channels = _parse_channels(data.get("channel", _MISSING), problems, boards, several)
    tempo = _parse_tempo(data.get("tempo"), problems)

    ecowatt: EcowattConfig | None = sections.get("ecowatt")
    if ecowatt is not None and ecowatt.source is Source.FILE and ecowatt.file is None:
        problems.append(
            "ecowatt.file: " + _('expected a path to a saved forecast when source = "file"')
        )
    board: BoardConfig | None = sections.get("board")
    failsafe_range = _('expected "0s" (off) or a period from 500 ms to 30 s')
    if board is not None and board.failsafe and board.failsafe < timedelta(milliseconds=500):
        problems.append(f"board.failsafe: {failsafe_range}")
    if board is not None and board.failsafe > timedelta(seconds=30):
        problems.append(f"board.failsafe: {failsafe_range}")
    policy: PolicyConfig | None = sections.get("policy")
    if policy is not None and timedelta(0) < policy.override_duration < MIN_OVERRIDE:
        problems.append(
            "policy.override_duration: "
            + _('expected "0s" (until released) or at least {least}').format(
                least=format_duration(MIN_OVERRIDE)
            )
        )
    problems.extend(_rotation_problems(policy or PolicyConfig(), data.get("channel")))
    if board is not None and board.failsafe and board.on_exit is OnExit.KEEP:
        # Persistence (what "keep" needs) suppresses the only reset that clears a tripped
        # failsafe: the relay would stay released, tripped, for good.
        problems.append(
            "board.on_exit: "
            + _(
                '"keep" cannot be combined with a failsafe (board.failsafe = "{failsafe}"): a '
                'tripped failsafe only clears without channel persistence, which "keep" needs; '
                'set on_exit = "release" or failsafe = "0s"'
            ).format(failsafe=format_duration(board.failsafe))
        )
    # One keepalive pass resets the relays of every Phidget board in turn (MultiBoard.keepalive):
    # the floor is over all of them together, said once, at the first Phidget board.
    phidgets = [(n, b) for n, b in enumerate(boards) if b.kind is BoardKind.PHIDGET]
    for position, each in phidgets[:1]:
        names = {b.name for _n, b in phidgets}
        on_them = [c for c in channels if not several or c.board in names]
        relays = sum(len(channel.relays) for channel in on_them)  # a pilot channel has two
        floor = failsafe_floor(relays)
        if timedelta(milliseconds=500) <= each.failsafe < floor:
            key = f"board[{position}].failsafe" if several else "board.failsafe"
            text = (
                _(
                    '"{failsafe}" is too short for {relays} relays on {boards} boards: each '
                    "keepalive resets them one USB transfer at a time, board after board (up to "
                    "{transfer} ms each), which must fit in a third of the period; set "
                    'failsafe = "{floor}" or more on every [[board]]'
                )
                if len(phidgets) > 1
                else _(
                    '"{failsafe}" is too short for {relays} relays: each keepalive resets them '
                    "one USB transfer at a time (up to {transfer} ms each), which must fit in a "
                    'third of the period; set failsafe = "{floor}" or more'
                )
            )
            problems.append(
                f"{key}: "
                + text.format(
                    failsafe=format_duration(each.failsafe),
                    relays=relays,
                    boards=len(phidgets),
                    transfer=f"{KEEPALIVE_TRANSFER.total_seconds() * 1000:.0f}",
                    floor=format_duration(floor),
                )
            )

    if tempo is not None and tempo.source is TempoFromMeter.TIC:
        problems.extend(tic_tempo_problems(sections.get("meter")))
    if tempo is not None and tempo.fallback is TempoFromMeter.TIC:
        problems.extend(tic_fallback_problems(tempo.source, sections.get("meter")))
    if problems:
        raise InputError([f"{path}: {problem}" for problem in problems])
    return Config(
        channels=tuple(channels),
        path=path,
        tempo=tempo,
        boards=tuple(boards) if several else (),
        **sections,
    )


def _parse_boards(raw: list[object], schema: _Schema, problems: list[str]) -> list[BoardConfig]:
    """``[[board]]``: each a table with a unique ``name``; one entry is the same as ``[board]``."""
    boards: list[BoardConfig] = []
    if not raw:
        problems.append("board: " + _("expected a [board] table or [[board]] tables, got none"))
    names: dict[str, int] = {}
    addresses: dict[tuple[int, int | None], int] = {}
    for position, table in enumerate(raw):
        prefix = f"board[{position}]."
        if not isinstance(table, dict):
            problems.append(expected_got(f"board[{position}]", _("a table"), _describe(table)))
            continue
        before = len(problems)
        values = _parse_table(table, schema, prefix, problems)
        name = values.get("name")
        if name is None and len(raw) > 1 and "name" not in table:
            problems.append(
                f"{prefix}name: " + _('missing (required with several boards, e.g. "garage")')
            )
        if name is not None:
            if name in names:
                problems.append(
                    f"{prefix}name: "
                    + _('"{name}" is already used by {other}').format(
                        name=name, other=f"board[{names[name]}]"
                    )
                )
            names.setdefault(name, position)
        serial = values.get("serial")
        if len(raw) > 1 and values.get("kind", BoardKind.PHIDGET) is BoardKind.PHIDGET:
            if serial is None and "serial" not in table:
                problems.append(
                    f"{prefix}serial: "
                    + _(
                        "missing (required with several Phidget boards: without it any board "
                        "matches; `delestage boards` lists the serials)"
                    )
                )
            elif serial is not None:
                address = (serial, values.get("hub_port"))
                if address in addresses:
                    problems.append(
                        f"{prefix}serial: "
                        + _("{value} is already used by {other}").format(
                            value=serial, other=f"board[{addresses[address]}]"
                        )
                    )
                addresses.setdefault(address, position)
        if len(problems) == before:
            boards.append(BoardConfig(**values))
    # One keepalive and one shutdown serve every board: their failsafe and on_exit agree.
    for key in ("failsafe", "on_exit"):
        for position, board in enumerate(boards[1:], start=1):
            first, this = getattr(boards[0], key), getattr(board, key)
            if this != first:
                shown = format_duration(this) if key == "failsafe" else this.value
                wanted = format_duration(first) if key == "failsafe" else first.value
                expected = _(
                    'the same on every [[board]] ("{wanted}" as board[0]: one keepalive and one '
                    "shutdown serve them all)"
                ).format(wanted=wanted)
                problems.append(expected_got(f"board[{position}].{key}", expected, f'"{shown}"'))
    total = sum(board.relays for board in boards)
    if len(boards) > 1 and total > CHANNEL_NUMBERS:
        problems.append(
            "board: "
            + _("{boards} boards with {total} relays; expected at most {most}").format(
                boards=len(boards), total=total, most=CHANNEL_NUMBERS
            )
        )
    return boards


def board_offsets(boards: list[BoardConfig] | tuple[BoardConfig, ...]) -> dict[str, int]:
    """Each board's first channel number: boards in file order, each taking its layout's relays."""
    offsets: dict[str, int] = {}
    start = 0
    for board in boards:
        offsets[board.name] = start
        start += board.relays
    return offsets


def _parse_meter(table: object, problems: list[str]) -> MeterConfig | None:
    """``[meter]`` (tui/core/meter_config.py): one line per bad key, as everywhere."""
    if not isinstance(table, dict):
        problems.append(expected_got("meter", _("a table [meter]"), _describe(table)))
        return None

    def key(parse: Callable[[object], Any]) -> Callable[[object], Any]:
        def checked(value: object) -> Any:
            try:
                return parse(value)
            except ValueError as error:
                raise _Invalid(str(error)) from None

        return checked

    schema = {name: key(parse) for name, (_, parse) in METER_SCHEMA.items()}
    values = _parse_table(table, schema, "meter.", problems)
    meter = MeterConfig(**{METER_SCHEMA[name][0]: value for name, value in values.items()})
    problems.extend(meter_problems(meter))
    return meter


def _parse_tempo(raw: object, problems: list[str]) -> TempoConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(expected_got("tempo", _("a table [tempo]"), _describe(raw)))
        return None
    tempo = TempoConfig(**_parse_table(raw, _TEMPO_SCHEMA, "tempo.", problems))
    if tempo.source is Source.FILE and tempo.file is None:
        problems.append(
            "tempo.file: " + _('expected a path to a saved Tempo calendar when source = "file"')
        )
    return tempo


def _rotation_problems(policy: PolicyConfig, raw: object) -> list[str]:
    """Rotation groups that cannot rotate: a group of one, or rotate_cut leaving no room for
    turns. Read from the tables as written, so a channel refused for another key still counts
    in its group (its own line says what is wrong with it)."""
    problems: list[str] = []
    groups: dict[str, list[int]] = {}
    for position, table in enumerate(raw if isinstance(raw, list) else []):
        rotate = table.get("rotate") if isinstance(table, dict) else None
        if isinstance(rotate, str) and table.get("shed_at") != ShedAt.NEVER.value:
            groups.setdefault(rotate.strip(), []).append(position)
    for name, positions in groups.items():
        if len(positions) < 2:
            problems.append(
                f"channel[{positions[0]}].rotate: "
                + _(
                    'group "{name}" has only this channel; a rotation group needs at least 2'
                ).format(name=name)
            )
        elif 2 * policy.rotate_cut > len(positions):
            problems.append(
                "policy.rotate_cut: "
                + _(
                    '{cut} at a time leaves rotation group "{name}" ({count} channels) no room '
                    "for turns; expected at most {most} (half the group)"
                ).format(
                    cut=policy.rotate_cut, name=name, count=len(positions), most=len(positions) // 2
                )
            )
    return problems


def _parse_channels(
    raw: object, problems: list[str], boards: list[BoardConfig], several: bool
) -> list[ChannelConfig]:
    one = boards[0] if boards else BoardConfig()
    limit = CHANNEL_LIMIT if several else one.relays
    tables = _("1 to {limit} [[channel]] tables").format(limit=limit)
    if raw is _MISSING or raw == []:
        problems.append(expected_got("channel", tables, _("none")))
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        problems.append(expected_got("channel", _("[[channel]] tables"), _describe(raw)))
        return []
    if len(raw) > limit:
        problems.append(expected_got("channel", tables, str(len(raw))))
    by_name = {board.name: board for board in boards}
    offsets = board_offsets(boards)
    channels: list[ChannelConfig] = []
    seen_index: dict[int, int] = {}
    seen_name: dict[str, int] = {}
    owner: dict[int, int] = {}  # relay -> the channel (position) that drives it
    for position, table in enumerate(raw):
        prefix = f"channel[{position}]."
        before = len(problems)
        board = one
        wanted = table.get("board")
        if wanted is not None:
            if not isinstance(wanted, str) or wanted not in by_name:
                names = ", ".join(f'"{name}"' for name in by_name if name) or _("none named")
                expected = _("the name of a [[board]] ({names})").format(names=names)
                problems.append(expected_got(f"{prefix}board", expected, _describe(wanted)))
            else:
                board = by_name[wanted]
        elif several:
            problems.append(f"{prefix}board: " + _("missing (required with several boards)"))
        schema = {
            **_CHANNEL_SCHEMA,
            "index": _int_range(0, board.relays - 1),
            "board": lambda value: value,
        }
        plain = {key: value for key, value in table.items() if key not in _TWO_RELAY_KEYS}
        values = _parse_table(plain, schema, prefix, problems)
        two = [key for key in _TWO_RELAY_KEYS if key in table]
        if len(two) > 1:
            problems.append(
                f"{prefix}sg_ready: "
                + _(
                    "a channel is a pilot wire or an SG-Ready heat pump, not both; keep pilot "
                    "or sg_ready"
                )
            )
        elif two:
            values["pilot"] = _parse_pilot(table[two[0]], prefix, problems, board.relays, two[0])
        for key in _CHANNEL_REQUIRED:
            if key not in table:
                problems.append(_missing(f"{prefix}{key}"))
        if several:
            values.pop("board", None)
            if "index" in values:
                values["relay"] = values["index"]
                values["index"] = offsets[board.name] + values["index"]
                values["board"] = board.name
            if values.get("pilot") is not None:  # numbered across boards, as index is
                first, second = values["pilot"].relays
                start = offsets[board.name]
                values["pilot"] = replace(values["pilot"], relays=(start + first, start + second))
        else:
            values.pop("board", None)
        index = values.get("index")
        if index is not None:
            if index in seen_index:
                relay = values.get("relay", index)
                value = (
                    _("{relay} on board {board}").format(relay=relay, board=board.name)
                    if several
                    else str(relay)
                )
                problems.append(
                    f"{prefix}index: "
                    + _("{value} is already used by {other}").format(
                        value=value, other=f"channel[{seen_index[index]}]"
                    )
                )
            seen_index.setdefault(index, position)
        name = values.get("name")
        if name is not None:
            if name in seen_name:
                problems.append(
                    f"{prefix}name: "
                    + _('"{name}" is already used by {other}').format(
                        name=name, other=f"channel[{seen_name[name]}]"
                    )
                )
            seen_name.setdefault(name, position)
        if values.get("shed_tempo") and values.get("shed_at") is ShedAt.NEVER:
            problems.append(
                f"{prefix}shed_tempo: "
                + _(
                    'a channel with shed_at = "never" is never cut automatically; remove '
                    'shed_tempo or set shed_at to "orange" or "red"'
                )
            )
        if values.get("rotate") and values.get("auto_restore") is False:
            problems.append(
                f"{prefix}rotate: "
                + _(
                    "a channel with auto_restore = false stays cut after a shed, so it cannot "
                    "take turns; remove rotate or auto_restore"
                )
            )
        if values.get("rotate") and values.get("shed_at") is ShedAt.NEVER:
            problems.append(
                f"{prefix}rotate: "
                + _(
                    'a channel with shed_at = "never" is never cut automatically, so it cannot '
                    'take turns; remove rotate or set shed_at to "orange" or "red"'
                )
            )
        pilot = values.get("pilot")
        if pilot is not None:
            _pilot_channel(prefix, values, table, problems)
        if len(problems) == before:
            _pilot_relays(prefix, position, values, owner, problems, board.name if several else "")
        if len(problems) == before:
            channels.append(ChannelConfig(**values))
    return sorted(channels, key=lambda channel: channel.index)


def _pilot_channel(
    prefix: str, values: dict[str, Any], table: Mapping[str, object], problems: list[str]
) -> None:
    """A pilot channel: its index is one of its relays; released relays give Confort, so it
    is an "nc" channel for the policy (a dead controller leaves the radiator on its own)."""
    pilot: PilotConfig = values["pilot"]
    index = values.get("index")
    if index is not None and index not in pilot.relays:
        offset = index - values.get("relay", index)  # several boards: as written in the file
        expected = _("the channel's index ({index}) among them").format(index=index - offset)
        got = str([relay - offset for relay in pilot.relays])
        problems.append(expected_got(f"{prefix}{table_key(pilot)}.relays", expected, got))
    if table.get("wiring") == Wiring.NO.value:
        problems.append(expected_got(f"{prefix}wiring", _two_relay_words(pilot), '"no"'))
    values["wiring"] = Wiring.NC


def _two_relay_words(pilot: PilotConfig) -> str:
    """What a two-relay channel's wiring must be, in words."""
    if pilot.kind is Kind.SG_READY:
        return _(
            '"nc" or no wiring for an SG-Ready channel (its relays released give normal running)'
        )
    return _('"nc" or no wiring for a pilot channel (its relays released give Confort)')


def _pilot_relays(
    prefix: str,
    position: int,
    values: Mapping[str, Any],
    owner: dict[int, int],
    problems: list[str],
    board: str = "",
) -> None:
    """No relay driven by two channels: a pilot channel's second relay is not another's
    (``relays`` are numbered across boards; the message says them as the file does)."""
    pilot: PilotConfig | None = values.get("pilot")
    relays = pilot.relays if pilot is not None else (values["index"],)
    key = f"{table_key(pilot)}.relays" if pilot is not None else "index"
    offset = values["index"] - values.get("relay", values["index"])
    for relay in relays:
        other = owner.get(relay)
        if other is not None and other != position:
            words = (
                _("relay {relay} on board {board} is already driven by {other}")
                if board
                else _("relay {relay} is already driven by {other}")
            )
            problems.append(
                f"{prefix}{key}: "
                + words.format(relay=relay - offset, board=board, other=f"channel[{other}]")
            )
        owner.setdefault(relay, position)


# --- writing ----------------------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Power):
        return format_power(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _table(obj: object) -> dict[str, object]:
    """The fields of a section as TOML values, leaving out unset optional ones."""
    out: dict[str, object] = {}
    assert is_dataclass(obj)
    for item in fields(obj):
        name = item.name
        value = getattr(obj, name)
        if value is None or value == ():
            continue
        out[name] = _plain(value)
    return out


def config_to_dict(config: Config) -> dict[str, object]:
    """The inverse of config_from_dict: a document that loads back to an equal Config."""
    document: dict[str, object] = {
        "ecowatt": _table(config.ecowatt),
        "board": {k: v for k, v in _table(config.board).items() if (k, v) != ("name", "")},
        "policy": _table(config.policy),
        "service": _table(config.service),
        "ui": _table(config.ui),
        **({"tempo": _table(config.tempo)} if config.tempo is not None else {}),
    }
    if config.mqtt is not None:
        document["mqtt"] = _table(config.mqtt)
    if config.meter is not None:
        document["meter"] = meter_to_dict(config.meter)
    if config.boards:
        document["board"] = [_table(board) for board in config.boards]  # names are set
    document["channel"] = [_channel_table(channel) for channel in config.channels]
    return document


def _channel_table(channel: ChannelConfig) -> dict[str, object]:
    table = _table(channel)
    table.pop("relay", None)
    table.pop("pilot", None)
    if channel.pilot is not None:  # under its own key: pilot or sg_ready
        table[table_key(channel.pilot)] = pilot_to_table(channel.pilot)
    if channel.relay is not None:
        table["index"] = channel.relay
        if channel.pilot is not None:  # relays on the channel's board, as the file has them
            on_board = channel.relays_on_board
            relays = [on_board[relay] for relay in channel.pilot.relays]
            table[table_key(channel.pilot)] = {**pilot_to_table(channel.pilot), "relays": relays}
    if not channel.board:
        table.pop("board", None)
    return table
