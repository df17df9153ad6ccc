"""What the meter says, and the meter's own trip filter.

Pure. A ``MeterReading`` is one frame's power facts, whatever the source (a TIC frame, a
demo house, an MQTT payload); ``reading_from_frame`` reads a TIC frame in either mode.

The trip filter is Enedis-NOI-CPT_54E §7: each second, ``Y(n) = 0.008·X(n)² + 0.992·Y(n-1)``
with X = S / PCOUP (per phase on a three-phase meter, against PCOUP / 3); the breaker opens
when Y reaches 1.3² = 1.69. With X held constant the filter has a closed form, so the state
moves by any elapsed time and the time left before a trip is exact:
``Y(t) = X² + (Y0 - X²)·0.992^t``.
"""

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from tui.core.tempo import Colour
from tui.core.tic import Frame, Mode

ALPHA = 0.008
DECAY = 1 - ALPHA
METER_STEP = timedelta(seconds=1)  # the meter steps its filter once a second (tic.md)
TRIP_LEVEL = 1.3**2  # Y at which the Linky opens its breaker
VA_PER_AMP = 200  # historique: ISOUSC (A) x 200 V = the reference power (VA)
STGE_OVERRUN = 1 << 7
STGE_BREAKER = 0b111 << 1
STGE_STANDARD = 1 << 17
# What a real meter can say (tic.md): SINSTS and PAPP are 5-digit fields in VA, PCOUP and PREF
# 2-digit fields in kVA. A value past these (a checksum can pass on noise, an MQTT publisher
# can send anything) is no reading of this home: a power is dropped as a garbled frame's, a
# cut-off power is unknown (the limit known before is kept), never a limit of 1 VA or 10^30.
MAX_POWER_VA = 99_999
CUTOFF_RANGE_VA = range(1_000, 99_000 + 1)


def plausible_power(va: float | None) -> int | None:
    """``va`` rounded, None when no meter could have said it."""
    return round(va) if va is not None and 0 <= va <= MAX_POWER_VA else None


def plausible_cutoff(va: float | None) -> int | None:
    """A cut-off power in VA, None when none or no meter's."""
    return round(va) if va is not None and round(va) in CUTOFF_RANGE_VA else None


class MeterState(StrEnum):
    """What the snapshot says of the meter: ``ok``, ``stale`` (no valid frame for a while:
    never read as no load), ``waiting`` (none yet), ``tripped`` (its breaker says open)."""

    WAITING = "waiting"
    OK = "ok"
    STALE = "stale"
    TRIPPED = "tripped"


@dataclass(frozen=True)
class MeterReading:
    at: datetime  # when the reading was taken (the frame's end)
    power_va: int  # apparent power drawn, all phases
    phases_va: tuple[int, ...] = ()  # per phase on a three-phase meter; () single-phase
    cutoff_va: int | None = None  # PCOUP, or ISOUSC x 200 V in historique
    reference_va: int | None = None  # PREF
    overrun: bool = False  # the meter's own flag: STGE bit 7, or ADPS present
    breaker_open: bool = False  # STGE bits 1-3 not 0
    mode: Mode | None = None
    garbled: int = 0  # groups dropped in this frame
    # The Tempo colours the frame carries (a Tempo contract): the day in force, the next one.
    # None: not carried, or not known yet (DEMAIN "----" until about 20:00).
    tempo_today: Colour | None = None
    tempo_tomorrow: Colour | None = None

    @property
    def fetched(self) -> datetime:
        return self.at


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isdigit() else None


def reading_from_frame(frame: Frame, at: datetime) -> MeterReading | None:
    """The power facts of one frame; None when it carries no power (a frame whose power group
    was garbled: never read as zero)."""
    if frame.mode is Mode.STANDARD:
        power = plausible_power(_int(frame.get("SINSTS")))
        phases = tuple(plausible_power(_int(frame.get(f"SINSTS{n}"))) for n in (1, 2, 3))
        pcoup, pref = _int(frame.get("PCOUP")), _int(frame.get("PREF"))
        stge_text = frame.get("STGE")
        try:
            stge = int(stge_text, 16) if stge_text else 0
        except ValueError:
            stge = 0
        today, tomorrow = _stge_tempo(stge)
        three = all(p is not None for p in phases)
        if power is None and three:
            power = sum(p for p in phases if p is not None)
        if power is None:
            return None
        return MeterReading(
            at=at,
            power_va=power,
            phases_va=tuple(p for p in phases if p is not None) if three else (),
            cutoff_va=plausible_cutoff((pcoup or pref or 0) * 1000),
            reference_va=pref * 1000 if pref else None,
            overrun=bool(stge & STGE_OVERRUN),
            breaker_open=bool(stge & STGE_BREAKER),
            mode=Mode.STANDARD,
            garbled=frame.garbled,
            tempo_today=today,
            tempo_tomorrow=tomorrow,
        )
    power = plausible_power(_int(frame.get("PAPP")))
    if power is None:
        return None
    isousc = _int(frame.get("ISOUSC"))
    overrun = any(f"ADPS{suffix}" in frame.groups for suffix in ("", "1", "2", "3")) or any(
        label.startswith("ADIR") for label in frame.groups
    )
    reference = plausible_cutoff(isousc * VA_PER_AMP) if isousc else None
    return MeterReading(
        at=at,
        power_va=power,
        cutoff_va=reference,
        reference_va=reference,
        overrun=overrun,
        mode=Mode.HISTORIQUE,
        garbled=frame.garbled,
        tempo_today=_PTEC_COLOURS.get((frame.get("PTEC") or "")[-2:])
        if _tempo_ptec(frame)
        else None,
        tempo_tomorrow=_DEMAIN_COLOURS.get((frame.get("DEMAIN") or "").strip()),
    )


# --- Tempo colours (tic.md: STGE bits 24-27; historique PTEC and DEMAIN) -----------------------

_STGE_COLOURS = {1: Colour.BLUE, 2: Colour.WHITE, 3: Colour.RED}
_PTEC_COLOURS = {"JB": Colour.BLUE, "JW": Colour.WHITE, "JR": Colour.RED}
_DEMAIN_COLOURS = {"BLEU": Colour.BLUE, "BLAN": Colour.WHITE, "ROUG": Colour.RED}


def _stge_tempo(stge: int) -> tuple[Colour | None, Colour | None]:
    return _STGE_COLOURS.get((stge >> 24) & 0b11), _STGE_COLOURS.get((stge >> 26) & 0b11)


def _tempo_ptec(frame: Frame) -> bool:
    """A Tempo period: ``HCJB``, ``HPJB``, ``HCJW``, ``HPJW``, ``HCJR``, ``HPJR``."""
    ptec = (frame.get("PTEC") or "").strip()
    return len(ptec) == 4 and ptec[:2] in ("HC", "HP") and ptec[2] == "J"


# --- the trip filter --------------------------------------------------------------------------


def advance(y: float, x: float, seconds: float) -> float:
    """The filter after ``seconds`` at a constant ratio ``x``."""
    target = x * x
    return float(target + (y - target) * DECAY ** max(seconds, 0.0))


def seconds_to_trip(y: float, x: float) -> float | None:
    """How long before the filter reaches the trip level at a constant ratio ``x``; None:
    never (the filter settles at x², below 1.69)."""
    if y >= TRIP_LEVEL:
        return 0.0
    target = x * x
    if target <= TRIP_LEVEL:
        return None
    return float(math.log((target - TRIP_LEVEL) / (target - y)) / math.log(DECAY))


@dataclass(frozen=True)
class TripFilter:
    """The meter's filter, one Y per phase (one on a single-phase meter), as of ``at``, with
    the ratios last seen (held until the next reading: the meter integrates them)."""

    ys: tuple[float, ...] = (0.0,)
    xs: tuple[float, ...] = (0.0,)
    at: datetime | None = None

    def moved_to(self, when: datetime) -> "TripFilter":
        """The filter at ``when``, the last ratios held since ``at``."""
        if self.at is None or when <= self.at:
            return replace(self, at=when if self.at is None else self.at)
        seconds = (when - self.at).total_seconds()
        ys = tuple(advance(y, x, seconds) for y, x in zip(self.ys, self.xs, strict=True))
        return TripFilter(ys, self.xs, when)

    def seen(
        self, reading: MeterReading, limit_va: int, switched_at: datetime | None = None
    ) -> "TripFilter":
        """The filter at the reading's time, then holding the reading's ratios.

        The reading's ratios count from the meter's step that measured them (the second before
        the reading: the meter steps once a second, Y(n) with X(n)), and from ``switched_at`` if
        a relay switched since the last reading: the load changed then, not at this frame.
        Holding the old ratios until the frame would leave the filter a step behind (a late cut
        at a constant load) and, after a relay moved, high after a cut (an early second cut near
        the filter's settling level) or low after a restore (a late one)."""
        xs = ratios(reading, limit_va)
        start = self if self.at is not None else replace(self, at=reading.at - METER_STEP)
        change = reading.at - METER_STEP
        if switched_at is not None and start.at is not None and start.at <= switched_at:
            change = min(change, switched_at)
        start = start.moved_to(change)
        if len(start.ys) == len(xs):
            start = replace(start, xs=xs)
        moved = start.moved_to(reading.at)
        ys = moved.ys if len(moved.ys) == len(xs) else tuple(max(moved.ys) for _ in xs)
        return TripFilter(ys, xs, reading.at)

    def trip_in(self, xs: tuple[float, ...] | None = None) -> float | None:
        """Seconds before a trip if the ratios held (``xs``, else the last seen); None: never."""
        times = [
            t
            for t in (seconds_to_trip(y, x) for y, x in zip(self.ys, xs or self.xs, strict=False))
            if t is not None
        ]
        return min(times) if times else None

    @property
    def level(self) -> float:
        """The highest Y, as a share of the trip level (1.0: the breaker opens)."""
        return max(self.ys) / TRIP_LEVEL


def ratios(reading: MeterReading, limit_va: int) -> tuple[float, ...]:
    """X per phase: S / PCOUP single-phase, S_i / (PCOUP / 3) three-phase."""
    if reading.phases_va:
        share = limit_va / len(reading.phases_va)
        return tuple(p / share for p in reading.phases_va)
    return (reading.power_va / limit_va,)


def with_added(reading: MeterReading, limit_va: int, added_va: float) -> tuple[float, ...]:
    """The ratios if ``added_va`` more were drawn (on the most loaded phase, three-phase)."""
    xs = list(ratios(reading, limit_va))
    if reading.phases_va:
        share = limit_va / len(reading.phases_va)
        worst = max(range(len(xs)), key=lambda i: xs[i])
        xs[worst] += added_va / share
    else:
        xs[0] += added_va / limit_va
    return tuple(xs)


def format_kva(va: float) -> str:
    """``9.8 kVA``, ``9 kVA``."""
    from tui.core.i18n import number_text  # here: the import block is busy in other branches

    kva = round(va / 1000, 1)
    return number_text(f"{kva:g} kVA")  # a decimal comma in French
