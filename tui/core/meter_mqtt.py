"""A meter another tool already publishes on MQTT: its JSON payload read as a ``MeterReading``.

Pure. Which fields hold what is a ``Fields`` value: a preset for the three common publishers,
or the user's own ``power_field`` (a dotted path, ``"ENERGY.Power"``). A value is a number, a
numeric string, or teleinfo2mqtt's ``{"raw": ..., "value": ...}``. A payload without a power
(not JSON, the field absent or not a number) is no reading: never "no load".

- ``teleinfo2mqtt``: one JSON object per frame, one key per TIC label (``PAPP`` or ``SINSTS``,
  ``ISOUSC`` or ``PCOUP``/``PREF``, ``ADPS``, ``STGE``), each ``{"raw", "value"}``.
- ``tasmota``: Tasmota's teleinfo driver, ``tele/<device>/SENSOR``, the TIC labels under
  ``"TIC"`` (the apparent power, not ``ENERGY.Power``, which is active power).
- ``zigbee2mqtt``: a LiXee ZLinky through Zigbee2MQTT, ``apparent_power`` (VA); its subscribed
  power's field differs between firmware versions, so ``[meter] limit`` gives the limit. The
  ZLinky reports every 60 s by default: too slow to prevent a trip (the reading turns stale
  after ``stale_after``); set its reporting to a few seconds.
"""

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tui.core.meter import (
    STGE_OVERRUN,
    VA_PER_AMP,
    MeterReading,
    plausible_cutoff,
    plausible_power,
)


class Preset(StrEnum):
    TELEINFO2MQTT = "teleinfo2mqtt"
    TASMOTA = "tasmota"
    ZIGBEE2MQTT = "zigbee2mqtt"


@dataclass(frozen=True)
class Fields:
    power: tuple[str, ...]  # paths to the apparent power (VA), the first present wins
    limit_kva: tuple[str, ...] = ()  # paths to a cut-off power in kVA (PCOUP, PREF)
    limit_amps: tuple[str, ...] = ()  # paths to a subscribed current in A (ISOUSC x 200 V)
    overrun: tuple[str, ...] = ()  # paths whose presence says an overrun (ADPS)
    stge: str | None = None  # the path to the status register (hex), bit 7: an overrun


def _tic(prefix: str) -> Fields:
    return Fields(
        power=(f"{prefix}SINSTS", f"{prefix}PAPP"),
        limit_kva=(f"{prefix}PCOUP", f"{prefix}PREF"),
        limit_amps=(f"{prefix}ISOUSC",),
        overrun=(f"{prefix}ADPS",),
        stge=f"{prefix}STGE",
    )


PRESETS: Mapping[Preset, Fields] = {
    Preset.TELEINFO2MQTT: _tic(""),
    Preset.TASMOTA: _tic("TIC."),
    Preset.ZIGBEE2MQTT: Fields(power=("apparent_power",)),
}


def fields_for(preset: Preset | None, power_field: str | None) -> Fields:
    """The preset's fields, its power path replaced by ``power_field`` when one is given."""
    if preset is None:
        return Fields(power=(power_field,) if power_field else ())
    fields = PRESETS[preset]
    if power_field:
        return Fields(
            (power_field,), fields.limit_kva, fields.limit_amps, fields.overrun, fields.stge
        )
    return fields


def _at(document: object, path: str) -> object:
    value = document
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, dict):  # teleinfo2mqtt: {"raw": "00450", "value": 450}
        value = value.get("value", value.get("raw"))
    return value


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value and abs(value) < 1e7 else None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return None
        return number if number == number and abs(number) < 1e7 else None
    return None


def _first(document: object, paths: tuple[str, ...]) -> float | None:
    for path in paths:
        number = _number(_at(document, path))
        if number is not None:
            return number
    return None


def reading_from_payload(payload: bytes, fields: Fields, at: datetime) -> MeterReading | None:
    """The reading a payload carries, None without a power a meter could have said."""
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    power = plausible_power(_first(document, fields.power))
    if power is None:
        return None
    kva = _first(document, fields.limit_kva)
    amps = _first(document, fields.limit_amps)
    cutoff = plausible_cutoff(kva * 1000 if kva else amps * VA_PER_AMP if amps else None)
    overrun = any(_at(document, path) not in (None, 0, "0", "") for path in fields.overrun)
    stge = _at(document, fields.stge) if fields.stge else None
    if isinstance(stge, str):
        with contextlib.suppress(ValueError):
            overrun = overrun or bool(int(stge, 16) & STGE_OVERRUN)
    return MeterReading(
        at=at,
        power_va=power,
        cutoff_va=cutoff,
        reference_va=cutoff,
        overrun=overrun,
    )
