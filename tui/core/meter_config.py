"""The ``[meter]`` section: the home's power meter and the power rule's settings.

Off unless present (``Config.meter`` is then None). Each key's parser raises ValueError with
what it expected; ``config.py`` turns that into its one line per bad key.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from tui.core.durations import EXPECTED as DURATION_EXPECTED
from tui.core.durations import format_duration, parse_duration
from tui.core.i18n import N_, _
from tui.core.meter_mqtt import Preset


class MeterSource(StrEnum):
    TIC = "tic"
    MQTT = "mqtt"
    DEMO = "demo"
    FILE = "file"


class OnOverrun(StrEnum):
    CUT = "cut"  # the meter's own overrun flag (STGE bit 7, ADPS) cuts at once
    MODEL = "model"  # only the trip filter's prediction cuts (a kettle's spike cuts nothing)


@dataclass(frozen=True)
class MeterConfig:
    source: MeterSource = MeterSource.TIC
    port: str | None = None  # tic: a device path or a pyserial URL (rfc2217://, socket://)
    baud: int | None = None  # tic: 1200 or 9600; None ("auto"): detected, and re-detected
    file: str | None = None  # file: a recorded capture (raw bytes, or one group per line)
    limit: int | None = None  # None: the meter's own PCOUP (ISOUSC x 200 V in historique)
    margin: timedelta = timedelta(seconds=30)  # cut when the meter would trip sooner than this
    restore_after: timedelta = timedelta(minutes=5)  # no restore sooner after a power cut
    restore_test: timedelta = timedelta(seconds=60)  # headroom held this long before a restore
    stale_after: timedelta = timedelta(seconds=10)  # no valid frame this long: stale
    stale_hold: timedelta = timedelta(minutes=10)  # power cuts held this long on a stale meter
    # The flag is raised for any overrun of PREF, a kettle's too: the filter says which trips.
    on_overrun: OnOverrun = OnOverrun.MODEL
    # mqtt: the topic a publisher sends the meter on, its payload's shape (a preset, or the
    # power's own dotted path) and the broker (None: [mqtt]'s, with its login).
    topic: str | None = None
    preset: Preset | None = None
    power_field: str | None = None
    broker: str | None = None


_VA = re.compile(r"(\d+(?:\.\d+)?)\s*(k?va)", re.ASCII | re.IGNORECASE)
LIMIT_EXPECTED = N_('an apparent power like "9kVA" or "6000VA" (1 kVA to 36 kVA)')


def parse_limit(value: object) -> int:
    match = _VA.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(_(LIMIT_EXPECTED))
    amount = float(match.group(1)) * (1000 if match.group(2).lower() == "kva" else 1)
    if not 1000 <= amount <= 36000:
        raise ValueError(_(LIMIT_EXPECTED))
    return round(amount)


def format_limit(va: int) -> str:
    return f"{va / 1000:g}kVA" if va % 100 == 0 else f"{va}VA"


def _duration(low: timedelta) -> Callable[[object], timedelta]:
    def parse(value: object) -> timedelta:
        duration = parse_duration(value)
        if duration < low:
            raise ValueError(
                _("{expected}, at least {least}").format(
                    expected=_(DURATION_EXPECTED), least=format_duration(low)
                )
            )
        return duration

    return parse


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ValueError(_("a non-empty string without control characters"))
    return value


def _baud(value: object) -> int | None:
    if value == "auto":
        return None
    if value in (1200, 9600) and not isinstance(value, bool):
        return int(str(value))
    raise ValueError(_('"auto", 1200 (historique) or 9600 (standard)'))


def _enum(kind: type[StrEnum]) -> Callable[[object], Any]:
    def parse(value: object) -> StrEnum:
        if isinstance(value, str) and value in {m.value for m in kind}:
            return kind(value)
        choices = ", ".join(f'"{m.value}"' for m in kind)
        raise ValueError(_("one of {choices}").format(choices=choices))

    return parse


def _topic(value: object) -> str:
    text = _text(value)
    if any(c in text for c in "#+") or text.startswith("/"):
        raise ValueError(_('a topic without wildcards, like "tele/tasmota_linky/SENSOR"'))
    return text


_BROKER = re.compile(r"mqtts?://[^\s/]+/?", re.ASCII)


def _broker(value: object) -> str:
    if not isinstance(value, str) or not _BROKER.fullmatch(value):
        raise ValueError(_('a broker URL like "mqtt://host:1883" or "mqtts://host:8883"'))
    return value


# key in the file -> (field, parser)
METER_SCHEMA: Mapping[str, tuple[str, Callable[[object], Any]]] = {
    "source": ("source", _enum(MeterSource)),
    "port": ("port", _text),
    "baud": ("baud", _baud),
    "file": ("file", _text),
    "limit": ("limit", parse_limit),
    "margin": ("margin", _duration(timedelta(seconds=1))),
    "restore_after": ("restore_after", _duration(timedelta(0))),
    "restore_test": ("restore_test", _duration(timedelta(0))),
    "stale_after": ("stale_after", _duration(timedelta(seconds=2))),
    "stale_hold": ("stale_hold", _duration(timedelta(0))),
    "on_overrun": ("on_overrun", _enum(OnOverrun)),
    "topic": ("topic", _topic),
    "preset": ("preset", _enum(Preset)),
    "power_field": ("power_field", _text),
    "broker": ("broker", _broker),
}


def meter_problems(meter: MeterConfig) -> list[str]:
    """What the keys say together that no key says alone."""
    problems = []
    if meter.source is MeterSource.TIC and meter.port is None:
        problems.append(
            "meter.port: "
            + _(
                'expected a serial port ("/dev/ttyACM0") or a pyserial URL '
                '("rfc2217://host:port", "socket://host:port") when source = "tic"'
            )
        )
    if meter.source is MeterSource.FILE and meter.file is None:
        problems.append(
            "meter.file: " + _('expected a path to a recorded TIC capture when source = "file"')
        )
    if meter.source is MeterSource.MQTT and meter.topic is None:
        problems.append(
            "meter.topic: " + _('expected the topic the meter is published on when source = "mqtt"')
        )
    if meter.source is MeterSource.MQTT and meter.preset is None and meter.power_field is None:
        problems.append(
            "meter.preset: "
            + _(
                'expected "teleinfo2mqtt", "tasmota" or "zigbee2mqtt", or a power_field, when '
                'source = "mqtt"'
            )
        )
    return problems


def meter_to_dict(meter: MeterConfig) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, (name, _parse) in METER_SCHEMA.items():
        value = getattr(meter, name)
        if value is None:
            continue
        if isinstance(value, timedelta):
            value = format_duration(value)
        elif isinstance(value, StrEnum):
            value = value.value
        elif name == "limit":
            value = format_limit(value)
        out[key] = value
    return out


def meter_source_of(meter: "MeterConfig | None") -> tuple[object, ...] | None:
    """What of ``[meter]`` a running service cannot change without a restart: the source.
    The rule's settings (limit, margin, restore...) apply at a reload."""
    if meter is None:
        return None
    return (
        meter.source,
        meter.port,
        meter.baud,
        meter.file,
        meter.topic,
        meter.preset,
        meter.power_field,
        meter.broker,
    )


def tic_tempo_problems(meter: "MeterConfig | None") -> list[str]:
    """``[tempo] source = "tic"`` reads the colours from the frames of ``[meter]``."""
    if meter is not None and meter.source in (MeterSource.TIC, MeterSource.FILE):
        return []
    return ["tempo.source: " + _tic_needs_a_meter()]


def _tic_needs_a_meter() -> str:
    return _(
        '"tic" reads the Tempo colours from the meter\'s TIC; expected a [meter] with '
        'source = "tic" (or "file")'
    )


def tic_fallback_problems(source: object, meter: "MeterConfig | None") -> list[str]:
    """``[tempo] fallback = "tic"``: the meter's colours behind another source."""
    if getattr(source, "value", source) == "tic":
        return ["tempo.fallback: " + _('"tic" is already the source; remove fallback')]
    if meter is not None and meter.source in (MeterSource.TIC, MeterSource.FILE):
        return []
    return ["tempo.fallback: " + _tic_needs_a_meter()]
