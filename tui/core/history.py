"""What the controller did, per channel over time and per Paris day: the arithmetic of history.

Pure. Instants are POSIX seconds (floats) so that a year of events sums quickly; the history store
turns event-log lines into ``Mark``s and the recorded levels into a mapping of hour start to
level. Days are Paris calendar days, bounded by ``paris_midnight``, so 23- and 25-hour days come
out right.

A channel's timeline is a list of ``Segment``s, each a stretch of one state (powered, cut,
unknown) with the reason in force and whether an operator override held it. From relay events:
the appliance is in the state of the last ``relay`` event; between a ``stop`` and the next
``start`` the service was not running and the state is unknown (not counted as cut); after a
stop with ``on_exit = "release"`` the appliance comes back in its wiring's released state. The
service logs a relay only when it moves it; a start that reads the relays from the board logs
their states (a ``board`` event with ``states``), a ``read`` mark per channel that makes its state
known from then on without counting as a switch. In logs written before that field, from a start
until a channel's first recorded switch its state is taken as the opposite of that switch. An
override holds from its ``force`` event until its ``release``/``expired`` event, its ``until``,
or the next ``force``, whichever comes first.
"""

import bisect
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from tui.core.config import Wiring
from tui.core.events import (
    BoardEvent,
    Event,
    ForecastEvent,
    MeterEvent,
    OverrideEvent,
    RelayEvent,
    StartEvent,
    StopEvent,
)
from tui.core.forecast import paris_midnight
from tui.core.i18n import N_
from tui.core.power import Power
from tui.core.wiring import appliance_powered

HOUR_SECONDS = 3600.0
STRAINED_LEVEL = 2  # orange and red
MAX_DAYS = 400  # the longest range `history` answers
NO_RECORD = N_("no record yet")  # these three are translated where they are shown
INFERRED = N_("as before its first recorded switch")
READ = N_("as the board's library reported at start")
POWER_RULE = "power"  # policy.Rule.POWER: a cut made to keep the meter from tripping
POWER_WORD = "power "  # how the power rule's reasons begin


class State(StrEnum):
    POWERED = "powered"
    CUT = "cut"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Mark:
    """One event that matters to history. ``channel`` is -1 for start/stop (every channel)."""

    t: float
    kind: str  # "relay", "read", "force", "release", "expired", "start", "stop"
    channel: int = -1
    powered: bool | None = None
    until: float | None = None  # force: the override's expiry (None: until released)
    text: str = ""  # relay: the reason; force: the message; stop: the on_exit policy
    rule: str = ""  # relay: the policy's rule that moved it ("power": a cut for the meter)


def event_mark(event: Event) -> Mark | None:
    """The mark an event makes in history, or None for events history does not use (a reload
    is not a start: the service ran on)."""
    t = event.ts.timestamp()
    match event:
        case RelayEvent():
            reason = event.reason or ""
            return Mark(t, "relay", event.channel, event.powered, None, reason, relay_rule(event))
        case OverrideEvent(action="force", powered=bool(powered)):
            until = event.until.timestamp() if event.until is not None else None
            return Mark(t, "force", event.channel, powered, until, event.message or "")
        case OverrideEvent(action="release" | "expired"):
            return Mark(t, event.action, event.channel)
        case StartEvent():
            return Mark(t, "start")
        case StopEvent():
            return Mark(t, "stop", text=event.on_exit or "")
    return None


def relay_rule(event: RelayEvent) -> str:
    """The rule behind a relay move; for a line logged before events carried it, a power cut
    is known by its reason's first word (the power rule's own wording)."""
    if event.rule:
        return event.rule
    if event.by is None and not event.powered and (event.reason or "").startswith(POWER_WORD):
        return POWER_RULE
    return ""


def measured_mark(event: Event) -> tuple[float, int, int] | None:
    """A channel's power as the meter measured it (a ``measured`` meter event): (time, channel,
    watts)."""
    if (
        isinstance(event, MeterEvent)
        and event.event == "measured"
        and event.channel is not None
        and event.watts is not None
        and event.watts > 0
    ):
        return event.ts.timestamp(), event.channel, event.watts
    return None


def board_read_marks(event: Event) -> list[Mark]:
    """The ``read`` marks of a start's board read: each channel's state as the board reported
    it (``states``). Logs from before that field have none: history then infers the state from
    the first switch."""
    if not isinstance(event, BoardEvent):
        return []
    t = event.ts.timestamp()
    return [Mark(t, "read", channel, powered) for channel, powered in event.read_states().items()]


def forecast_hours(event: Event) -> list[tuple[float, int]]:
    """The level of each hour a ``forecast`` event carries (hour start, level), if any."""
    if not isinstance(event, ForecastEvent) or event.levels is None or event.levels_from is None:
        return []
    return list(decode_levels(event.levels_from.timestamp(), event.levels).items())


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    state: State
    reason: str = ""
    forced: bool = False
    planned: bool = False  # from the plan (the future), not from the record
    rule: str = ""  # the rule of the relay move that began it ("power": cut for the meter)

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ChannelInfo:
    index: int
    name: str
    wiring: Wiring = Wiring.NO
    power: Power | None = None
    place: str = ""  # several boards: ``garage/3`` (tui/core/places.py); "" for one board


@dataclass(frozen=True)
class DayRow:
    day: date
    channel: int
    name: str
    switches: int
    cut_seconds: float
    cut_strained_seconds: float
    forced_seconds: float
    power: Power | None
    cut_power_seconds: float = 0.0  # of the cut time, cut by the power rule (the meter)
    # "measured": the energy counts with the power the meter measured (in force at each moment:
    # a later measure never changes a past day); "configured": with `power`; "": no power.
    power_source: str = ""
    measured_kwh: float | None = None  # the energy so counted, with power_source "measured"

    @property
    def cut_power_minutes(self) -> int:
        return round(self.cut_power_seconds / 60)

    @property
    def cut_minutes(self) -> int:
        return round(self.cut_seconds / 60)

    @property
    def cut_strained_minutes(self) -> int:
        return round(self.cut_strained_seconds / 60)

    @property
    def forced_minutes(self) -> int:
        return round(self.forced_seconds / 60)

    @property
    def energy_kwh(self) -> float | None:
        """Energy kept off the grid in strained hours: cut time in orange/red x power."""
        if self.power_source == "measured":
            return self.measured_kwh
        return energy_kwh(self.cut_strained_seconds, self.power)


def energy_kwh(seconds: float, power: Power | None) -> float | None:
    if power is None:
        return None
    return round(seconds / HOUR_SECONDS * power.kilowatts, 3)


# --- timelines --------------------------------------------------------------------------------


def channel_segments(
    marks: Iterable[Mark], channel: ChannelInfo, start: float, end: float
) -> list[Segment]:
    """The recorded timeline of one channel over [start, end).

    ``marks`` in time order, those of this channel and the start/stop ones, including the latest
    of each kind before ``start`` (the store's prelude) so the state at ``start`` is known.
    """
    out: list[Segment] = []
    running = True
    started_at: float | None = None
    powered: bool | None = None
    reason = NO_RECORD
    rule = ""
    forced_until: float | None = None  # None: not forced; inf: until released
    force_text = ""
    cursor = -math.inf

    def current() -> tuple[State, str, bool]:
        if forced_until is not None:
            why = force_text
        elif not running:
            why = "service not running"
        else:
            why = reason
        if not running or powered is None:
            return State.UNKNOWN, why, forced_until is not None
        return (State.POWERED if powered else State.CUT), why, forced_until is not None

    def current_rule() -> str:
        return rule if running and forced_until is None and powered is not None else ""

    def close(at: float) -> None:
        nonlocal cursor
        low, high = max(cursor, start), min(at, end)
        if high > low:
            state, why, forced = current()
            moved_by = current_rule()
            last = out[-1] if out else None
            if (
                last is not None
                and last.end == low
                and (last.state, last.reason, last.forced, last.rule)
                == (state, why, forced, moved_by)
            ):
                out[-1] = Segment(last.start, high, state, why, forced, rule=moved_by)
            else:
                out.append(Segment(low, high, state, why, forced, rule=moved_by))
        cursor = max(cursor, at)

    for mark in marks:
        if mark.channel not in (-1, channel.index):
            continue
        if forced_until is not None and forced_until <= mark.t:
            close(forced_until)
            forced_until = None
        close(mark.t)
        if mark.kind == "relay":
            if powered is None and running and started_at is not None and mark.powered is not None:
                _infer(out, started_at, not mark.powered)
            powered = mark.powered
            reason = mark.text
            # A store's marks from before rules were kept: a power cut by its first word.
            legacy = not mark.powered and mark.text.startswith(POWER_WORD)
            rule = mark.rule or (POWER_RULE if legacy else "")
        elif mark.kind == "read":
            powered = mark.powered
            reason = mark.text or READ
            rule = ""
        elif mark.kind == "force":
            until = mark.until if mark.until is not None else math.inf
            forced_until = until if until > mark.t else None
            force_text = mark.text or "forced by operator"
        elif mark.kind in ("release", "expired"):
            forced_until = None
        elif mark.kind == "stop":
            running = False
            if mark.text == "release":
                powered = appliance_powered(channel.wiring, False)
                reason = "released when the service stopped"
                rule = ""
        elif mark.kind == "start":
            running = True
            started_at = mark.t
    if forced_until is not None and forced_until < end:
        close(forced_until)
        forced_until = None
    close(end)
    return out


def _infer(out: list[Segment], since: float, powered: bool) -> None:
    """A service logs a relay only when it moves it: a channel's state from a start until its
    first recorded switch is the opposite of that switch (the service knew it, from the board or
    its saved state; a first start leaves no other trace). Fills those unknown stretches."""
    state = State.POWERED if powered else State.CUT
    position = len(out)
    while position > 0:
        segment = out[position - 1]
        if segment.end <= since or segment.state is not State.UNKNOWN:
            break
        if segment.reason == NO_RECORD:
            low = max(segment.start, since)
            known = Segment(low, segment.end, state, INFERRED, segment.forced, segment.planned)
            before = [Segment(segment.start, low, State.UNKNOWN, NO_RECORD, segment.forced)]
            out[position - 1 : position] = (before if low > segment.start else []) + [known]
        position -= 1


def planned_segments(
    now: float,
    end: float,
    powered: bool | None,
    reason: str,
    changes: Iterable[tuple[float, bool, str]],
    forced_until: float | None = None,
) -> list[Segment]:
    """The future of one channel from a plan: its state at ``now``, then each (time, powered,
    reason) change, until ``end``. ``forced_until``: an override in force now (inf: held)."""
    ordered = sorted(changes, key=lambda change: change[0])
    cuts = {at for at, _, _ in ordered if now < at < end}
    if forced_until is not None and now < forced_until < end:
        cuts.add(forced_until)
    points = [now, *sorted(cuts), end]
    out: list[Segment] = []
    position = 0
    for low, high in itertools.pairwise(points):
        while position < len(ordered) and ordered[position][0] <= low:
            _, powered, reason = ordered[position]
            position += 1
        if high > low:
            out.append(_planned(low, high, powered, reason, forced_until))
    return out


def _planned(
    start: float, end: float, powered: bool | None, reason: str, forced_until: float | None
) -> Segment:
    state = State.UNKNOWN if powered is None else State.POWERED if powered else State.CUT
    forced = forced_until is not None and start < forced_until
    return Segment(start, end, state, reason, forced, planned=True)


def hour_cells(segments: Sequence[Segment], hours: Sequence[float]) -> list[Segment | None]:
    """For each hour starting at ``hours[i]``, the segment that filled most of it (a cut wins a
    tie: it is what the view is for); None where nothing is known."""
    starts = [segment.start for segment in segments]
    cells: list[Segment | None] = []
    for hour in hours:
        best: Segment | None = None
        best_seconds = 0.0
        for segment in overlapping(segments, hour, hour + HOUR_SECONDS, starts):
            seconds = min(segment.end, hour + HOUR_SECONDS) - max(segment.start, hour)
            if seconds > best_seconds or (seconds == best_seconds and segment.state is State.CUT):
                best, best_seconds = segment, seconds
        cells.append(best)
    return cells


def overlapping(
    segments: Sequence[Segment], low: float, high: float, starts: Sequence[float] | None = None
) -> list[Segment]:
    """The segments (in time order) that overlap [low, high)."""
    keys = starts if starts is not None else [segment.start for segment in segments]
    first = max(bisect.bisect_right(keys, low) - 1, 0)
    found = []
    for segment in segments[first:]:
        if segment.start >= high:
            break
        if segment.end > low:
            found.append(segment)
    return found


# --- levels -----------------------------------------------------------------------------------


def encode_levels(slots: Iterable[tuple[float, int]]) -> tuple[float, str] | None:
    """A forecast's hours as the ``forecast`` event records them: the first hour's start and one
    character per hour from there, the level's digit or ``.`` for an hour not published."""
    hours = dict(slots)
    if not hours:
        return None
    first, last = min(hours), max(hours)
    count = round((last - first) / HOUR_SECONDS) + 1
    text = "".join(
        str(hours[first + k * HOUR_SECONDS]) if first + k * HOUR_SECONDS in hours else "."
        for k in range(count)
    )
    return first, text


def decode_levels(first: float, text: str) -> dict[float, int]:
    """The inverse of encode_levels; characters other than 0-3 are unknown hours."""
    return {first + k * HOUR_SECONDS: int(char) for k, char in enumerate(text) if char in "0123"}


def strained_spans(levels: Mapping[float, int]) -> list[tuple[float, float]]:
    """The hours at orange or red, merged into [start, end) spans, in time order."""
    spans: list[tuple[float, float]] = []
    for hour in sorted(levels):
        if levels[hour] < STRAINED_LEVEL:
            continue
        if spans and spans[-1][1] == hour:
            spans[-1] = (spans[-1][0], hour + HOUR_SECONDS)
        else:
            spans.append((hour, hour + HOUR_SECONDS))
    return spans


def _intersect(
    first: Sequence[tuple[float, float]], second: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    out = []
    i = j = 0
    while i < len(first) and j < len(second):
        low = max(first[i][0], second[j][0])
        high = min(first[i][1], second[j][1])
        if high > low:
            out.append((low, high))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return out


def _per_day(spans: Iterable[tuple[float, float]], edges: Sequence[float]) -> list[float]:
    """Seconds of ``spans`` within each day [edges[k], edges[k + 1])."""
    totals = [0.0] * (len(edges) - 1)
    for low, high in spans:
        position = max(bisect.bisect_right(edges, low) - 1, 0)
        while position < len(totals) and edges[position] < high:
            overlap = min(high, edges[position + 1]) - max(low, edges[position])
            if overlap > 0:
                totals[position] += overlap
            position += 1
    return totals


# --- days -------------------------------------------------------------------------------------


def day_edges(first: date, last: date) -> list[float]:
    """Paris midnights from ``first`` to the day after ``last``: the bounds of each day."""
    count = (last - first).days + 1
    return [paris_midnight(first + timedelta(days=k)).timestamp() for k in range(count + 1)]


def day_rows(
    channels: Sequence[ChannelInfo],
    segments: Mapping[int, Sequence[Segment]],
    switches: Mapping[int, Sequence[float]],
    levels: Mapping[float, int],
    first: date,
    last: date,
    measured: Mapping[int, Sequence[tuple[float, float]]] | None = None,
) -> list[DayRow]:
    """One row per day from ``first`` to ``last`` (inclusive) and channel, days first.
    ``measured``: per channel, the meter's measures (time, watts) in time order, those before
    ``first`` included: from the first, the energy counts with the measure in force."""
    edges = day_edges(first, last)
    strained = strained_spans(levels)
    columns: dict[int, tuple[list[int], list[float], list[float], list[float], list[float]]] = {}
    energies: dict[int, list[float | None]] = {}
    for channel in channels:
        timeline = segments.get(channel.index, ())
        cut = [(s.start, s.end) for s in timeline if s.state is State.CUT]
        cut_power = [
            (s.start, s.end)
            for s in timeline
            if s.state is State.CUT and s.rule == POWER_RULE and not s.forced
        ]
        forced = [(s.start, s.end) for s in timeline if s.forced]
        counts = [0] * (len(edges) - 1)
        for moment in switches.get(channel.index, ()):
            position = bisect.bisect_right(edges, moment) - 1
            if 0 <= position < len(counts):
                counts[position] += 1
        columns[channel.index] = (
            counts,
            _per_day(cut, edges),
            _per_day(_intersect(cut, strained), edges),
            _per_day(forced, edges),
            _per_day(cut_power, edges),
        )
        series = (measured or {}).get(channel.index, ())
        if series:
            energies[channel.index] = _measured_energy(
                _intersect(cut, strained), edges, series, channel.power
            )
    rows = []
    for k in range(len(edges) - 1):
        day = first + timedelta(days=k)
        for channel in channels:
            counts, cut_s, strained_s, forced_s, power_s = columns[channel.index]
            energy = energies.get(channel.index)
            kwh = energy[k] if energy is not None else None
            source = "measured" if kwh is not None else "configured" if channel.power else ""
            rows.append(
                DayRow(
                    day,
                    channel.index,
                    channel.name,
                    counts[k],
                    cut_s[k],
                    strained_s[k],
                    forced_s[k],
                    channel.power,
                    power_s[k],
                    source,
                    kwh,
                )
            )
    return rows


def _measured_energy(
    spans: Sequence[tuple[float, float]],
    edges: Sequence[float],
    series: Sequence[tuple[float, float]],
    configured: Power | None,
) -> list[float | None]:
    """kWh per day of ``spans`` at the power in force: the latest measure before each moment,
    the configured power before the first; None for a day before any measure (its energy is
    then the configured power's, counted by the row)."""
    times = [t for t, _ in series]
    pieces: list[tuple[float, float, float]] = []  # low, high, watts
    for low, high in spans:
        cuts = [low] + [t for t in times if low < t < high] + [high]
        for a, b in itertools.pairwise(cuts):
            position = bisect.bisect_right(times, a) - 1
            watts = series[position][1] if position >= 0 else (configured or Power(0)).watts
            pieces.append((a, b, watts))
    out: list[float | None] = []
    for k in range(len(edges) - 1):
        if times[0] >= edges[k + 1]:
            out.append(None)  # not measured yet that day
            continue
        wh = sum(
            (min(b, edges[k + 1]) - max(a, edges[k])) / HOUR_SECONDS * watts
            for a, b, watts in pieces
            if b > edges[k] and a < edges[k + 1]
        )
        out.append(round(wh / 1000, 3))
    return out


@dataclass(frozen=True)
class Totals:
    switches: int = 0
    cut_minutes: int = 0
    cut_strained_minutes: int = 0
    forced_minutes: int = 0
    energy_kwh: float | None = None
    cut_power_minutes: int = 0

    def to_dict(self) -> dict[str, int | float | None]:
        """With the names of `history`'s columns (``energy_shed_kwh``)."""
        return {
            "switches": self.switches,
            "cut_minutes": self.cut_minutes,
            "cut_strained_minutes": self.cut_strained_minutes,
            "forced_minutes": self.forced_minutes,
            "energy_shed_kwh": self.energy_kwh,
            "cut_power_minutes": self.cut_power_minutes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Totals":
        return cls(
            int(data["switches"]),
            int(data["cut_minutes"]),
            int(data["cut_strained_minutes"]),
            int(data["forced_minutes"]),
            data.get("energy_shed_kwh"),
            int(data.get("cut_power_minutes", 0)),
        )


def totals(rows: Iterable[DayRow]) -> Totals:
    """Sums of the rows as shown (rounded minutes), so a spreadsheet's sum agrees."""
    result = Totals()
    for row in rows:
        energy = row.energy_kwh
        if energy is not None:
            energy = round((result.energy_kwh or 0.0) + energy, 3)
        else:
            energy = result.energy_kwh
        result = Totals(
            result.switches + row.switches,
            result.cut_minutes + row.cut_minutes,
            result.cut_strained_minutes + row.cut_strained_minutes,
            result.forced_minutes + row.forced_minutes,
            energy,
            result.cut_power_minutes + row.cut_power_minutes,
        )
    return result


def hours_minutes(minutes: int) -> str:
    """``3:05``: minutes as hours:minutes, for people (CSV and JSON keep plain minutes)."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def winter_start(today: date) -> date:
    """The first day of the winter ``today`` belongs to (Ecowatt's season starts 1 November);
    from April to October, the winter just past."""
    year = today.year if today.month >= 11 else today.year - 1
    return date(year, 11, 1)
