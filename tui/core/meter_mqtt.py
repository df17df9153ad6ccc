"""A meter another tool already publishes on MQTT: its JSON payload read as a ``MeterReading``.

Pure. Which fields hold what is a ``Fields`` value: a preset for the three common publishers,
or the user's own ``power_field`` (a dotted path, ``"ENERGY.Power"``). A value is a number, a
numeric string, or teleinfo2mqtt's ``{"raw": ..., "value": ...}``. A payload without a power
(not JSON, the field absent or not a number) is no reading: never "no load".

What each preset reads, as read in the publishers' own sources (the tests hold one payload of
each, shaped as those sources write it):

- ``teleinfo2mqtt`` (github.com/fmartinou/teleinfo2mqtt: app/mqtt/index.js,
  app/teleinfo/TicMode.js, app/teleinfo/history/HistoryTicMode.js,
  app/teleinfo/standard/StandardTicMode.js, docs/mqtt/README.md): one JSON object per frame
  on ``teleinfo/<ADCO or ADSC>``, one key per TIC label, each ``{"raw": the group's data,
  "value": the number it parses to, or the text}`` (plus ``"timestamp"`` on timestamped
  groups). Historique: ``PAPP`` (VA), ``ISOUSC`` (A, x 200 V; on a three-phase meter too,
  which was not checked), ``ADPS`` or ``ADIR1``-``ADIR3`` for the overrun. Standard:
  ``SINSTS`` (VA; ``SINSTS1``-``SINSTS3`` per phase), ``PCOUP`` and ``PREF``, which
  teleinfo2mqtt publishes in **VA** (it appends "000" to the meter's kVA: ``{"raw": "09000",
  "value": 9000}``), ``STGE`` kept as its hex text (bit 7: the overrun, bits 1-3: the
  breaker). It publishes at most one frame per ``EMIT_INTERVAL`` (10 s by default).
- ``tasmota`` (github.com/arendst/Tasmota: tasmota/tasmota_xnrg_energy/xnrg_15_teleinfo.ino;
  github.com/tasmota/docs: docs/Teleinfo.md): ``tele/<topic>/SENSOR``, the TIC labels under
  ``"TIC"``, an all-digit value written as a JSON number (``"PAPP":170``, ``"ISOUSC":15``,
  ``"PCOUP":12`` in kVA), any other as text (``"STGE":"003A4001"``; an all-digit STGE is a
  number: its decimal digits are the hex digits). The same object alone (``{"TIC":{...}}``)
  at every frame with ``EnergyConfig Full``; with the default telemetry only every
  TelePeriod (5 minutes), next to ``ENERGY`` (whose ``Power`` the driver fills with PAPP or
  SINSTS). ``ADPS`` or ``ADIR1``-``ADIR3`` are in a frame while the meter sends them
  (Tasmota's LibTeleinfo removes them at the frame's end, and publishes ``{"TIC":{"ADPS":1}}``
  alone, a message without a power).
- ``zigbee2mqtt`` (github.com/Koenkk/zigbee-herdsman-converters: src/devices/lixee.ts), a
  LiXee ZLinky_TIC: ``apparent_power`` (VA: PAPP in historique, SINSTS on a single-phase
  meter in standard, but SINSTS1, phase 1 only, on a three-phase one), ``total_apparent_power``
  (SINSTS, three-phase standard), ``apparent_power_ph_b``/``_ph_c`` (SINSTS2/3),
  ``power_threshold`` (PCOUP, kVA, standard). ``available_power`` is PREF in kVA in standard
  but ISOUSC in A in historique, so it is not read; nor is the ZLinky's ADPS (``warn_d_p_s``)
  or ``status_register``: lixee.ts does not say when they return to 0, and STGE is polled
  (every 600 s by default). Zigbee2MQTT configures the power's reporting at 60 s at the
  least, longer than ``stale_after``: lower it, a 60 s old power cannot prevent a trip.
"""

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from tui.core.meter import (
    STGE_BREAKER,
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
    # Paths to the three phases' apparent powers (VA): read when all three are there, and then
    # the total is ``power``'s if present, else their sum.
    phases: tuple[str, ...] = ()
    limit_kva: tuple[str, ...] = ()  # paths to a cut-off power in kVA (PCOUP, PREF)
    limit_va: tuple[str, ...] = ()  # paths to a cut-off power already in VA
    limit_amps: tuple[str, ...] = ()  # paths to a subscribed current in A (ISOUSC x 200 V)
    overrun: tuple[str, ...] = ()  # paths whose presence (not 0) says an overrun (ADPS)
    stge: str | None = None  # the path to the status register (hex), bit 7: an overrun


def _tic(prefix: str) -> Fields:
    """The TIC labels, both modes, under ``prefix``; the cut-off power's unit is the preset's."""
    return Fields(
        power=(f"{prefix}SINSTS", f"{prefix}PAPP"),
        phases=tuple(f"{prefix}SINSTS{n}" for n in (1, 2, 3)),
        limit_amps=(f"{prefix}ISOUSC",),
        overrun=(f"{prefix}ADPS", *(f"{prefix}ADIR{n}" for n in (1, 2, 3))),
        stge=f"{prefix}STGE",
    )


PRESETS: Mapping[Preset, Fields] = {
    # PCOUP and PREF in VA: StandardTicMode.getValue appends "000" to the meter's kVA.
    Preset.TELEINFO2MQTT: replace(_tic(""), limit_va=("PCOUP", "PREF")),
    Preset.TASMOTA: replace(_tic("TIC."), limit_kva=("TIC.PCOUP", "TIC.PREF")),
    Preset.ZIGBEE2MQTT: Fields(
        power=("total_apparent_power", "apparent_power"),
        phases=("apparent_power", "apparent_power_ph_b", "apparent_power_ph_c"),
        limit_kva=("power_threshold",),
    ),
}


def fields_for(preset: Preset | None, power_field: str | None) -> Fields:
    """The preset's fields, its power path replaced by ``power_field`` when one is given."""
    if preset is None:
        return Fields(power=(power_field,) if power_field else ())
    fields = PRESETS[preset]
    return replace(fields, power=(power_field,)) if power_field else fields


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


def _stge(value: object) -> int | None:
    """The status register: hex text, or (Tasmota, an all-digit register) the number its
    digits make in decimal, whose digits are the hex digits."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str):
        with contextlib.suppress(ValueError):
            return int(text.strip(), 16)
    return None


def _cutoff(document: object, fields: Fields) -> int | None:
    kva = _first(document, fields.limit_kva)
    va = _first(document, fields.limit_va)
    amps = _first(document, fields.limit_amps)
    for candidate in (
        kva * 1000 if kva else None,
        va or None,
        amps * VA_PER_AMP if amps else None,
    ):
        cutoff = plausible_cutoff(candidate)
        if cutoff is not None:
            return cutoff
    return None


def reading_from_payload(payload: bytes, fields: Fields, at: datetime) -> MeterReading | None:
    """The reading a payload carries, None without a power a meter could have said."""
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    phases = tuple(plausible_power(_number(_at(document, path))) for path in fields.phases)
    three = len(phases) == 3 and all(p is not None for p in phases)
    if three:  # the total is the first power path's (SINSTS), else the phases' sum: never
        # Zigbee2MQTT's apparent_power alone, phase 1 on a three-phase meter
        total = _first(document, fields.power[:1])
        power = plausible_power(total if total is not None else sum(p or 0 for p in phases))
    else:
        power = plausible_power(_first(document, fields.power))
    if power is None:
        return None
    cutoff = _cutoff(document, fields)
    overrun = any(_at(document, path) not in (None, 0, "0", "") for path in fields.overrun)
    stge = _stge(_at(document, fields.stge)) if fields.stge else None
    return MeterReading(
        at=at,
        power_va=power,
        phases_va=tuple(p for p in phases if p is not None) if three else (),
        cutoff_va=cutoff,
        reference_va=cutoff,
        overrun=overrun or bool(stge is not None and stge & STGE_OVERRUN),
        breaker_open=bool(stge is not None and stge & STGE_BREAKER),
    )
