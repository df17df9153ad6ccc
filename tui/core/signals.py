"""Parse a body exactly as RTE's Ecowatt v5 signals endpoint returns it.

Strict about what matters (levels, hours, timestamps): anything that could put a wrong level on
an hour raises one ``ForecastFormatError`` naming the day index and the field. Tolerant about
what RTE is known to do: days in any order, missing hours (left unknown, never level 0), 23 to 25
entries on daylight-saving days, padded messages, extra fields.
"""

import json
from datetime import UTC, date, datetime, timedelta
from typing import TypeGuard

from tui.core.durations import sane_instant
from tui.core.errors import InputError
from tui.core.forecast import PARIS, Day, Forecast, Level, Slot, paris_midnight

MAX_PAS = 24  # a 25-hour autumn day has pas 0..24


class ForecastFormatError(InputError):
    """A signals body that cannot be trusted; the message names the day index and field."""


def _is_int(value: object) -> TypeGuard[int]:
    # JSON true/false decode to bool, which Python counts as int.
    return isinstance(value, int) and not isinstance(value, bool)


def _timestamp(value: object, where: str) -> datetime:
    expected = f"{where}: expected an ISO 8601 timestamp with offset"
    if not isinstance(value, str):
        shown = "nothing" if value is None else repr(value)
        raise ForecastFormatError(f"{expected}, got {shown}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ForecastFormatError(f"{expected}, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ForecastFormatError(f"{expected}, got {value!r} (no offset)")
    try:
        sane_instant(parsed)
    except ValueError as error:
        raise ForecastFormatError(f"{where}: {error}") from None
    return parsed


def _generated(value: object) -> datetime | None:
    """``GenerationFichier`` is display-only: a bad stamp must not discard good levels."""
    if not isinstance(value, str):
        return None
    try:
        return sane_instant(datetime.fromisoformat(value))
    except ValueError:
        return None


def _document(body: bytes | str | object) -> object:
    if not isinstance(body, bytes | bytearray | str):
        return body
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise ForecastFormatError("body: expected JSON text, got undecodable bytes") from None
    except ValueError as error:
        raise ForecastFormatError(f"body: expected JSON ({error})") from None
    except RecursionError:
        raise ForecastFormatError("body: expected JSON (nested too deep)") from None


def parse_signals(
    body: bytes | str | object, *, fetched: datetime | None = None, source: str = ""
) -> Forecast:
    """Build a Forecast from a signals body (bytes, text, or already-decoded JSON)."""
    document = _document(body)
    if not isinstance(document, dict) or "signals" not in document:
        raise ForecastFormatError('body: expected a JSON object with a "signals" array')
    signals = document["signals"]
    if not isinstance(signals, list):
        raise ForecastFormatError("signals: expected an array of days")

    # Keyed by UTC start: Paris wall-clock times repeat on the autumn day and compare equal.
    # start -> (level, whether the hour lies on the date of the day that gave it)
    chosen: dict[datetime, tuple[Level, bool]] = {}
    days: list[Day] = []
    generated: datetime | None = None
    for index, day in enumerate(signals):
        where = f"signals[{index}]"
        if not isinstance(day, dict):
            raise ForecastFormatError(f"{where}: expected an object, got {type(day).__name__}")
        jour = _timestamp(day.get("jour"), f"{where}.jour")
        local = jour.astimezone(PARIS)
        if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
            # Hours count from jour: any other time would shift every level it gives.
            raise ForecastFormatError(
                f"{where}.jour: expected local midnight (Europe/Paris), "
                f"got {day.get('jour')!r} ({local:%H:%M} in Paris)"
            )
        values = day.get("values")
        if not isinstance(values, list):
            raise ForecastFormatError(f"{where}.values: expected an array of hours")
        stamp = _generated(day.get("GenerationFichier"))
        if stamp is not None and (generated is None or stamp > generated):
            generated = stamp
        dvalue = day.get("dvalue")
        message = day.get("message")
        days.append(
            Day(
                jour=jour,
                dvalue=dvalue if _is_int(dvalue) else None,
                message=message.strip() if isinstance(message, str) else "",
            )
        )
        own_date = jour.astimezone(PARIS).date()
        for position, entry in enumerate(values):
            spot = f"{where}.values[{position}]"
            if not isinstance(entry, dict):
                raise ForecastFormatError(f"{spot}: expected an object with pas and hvalue")
            pas = entry.get("pas")
            if not _is_int(pas) or not 0 <= pas <= MAX_PAS:
                raise ForecastFormatError(
                    f"{spot}.pas: expected an integer from 0 to {MAX_PAS}, got {pas!r}"
                )
            hvalue = entry.get("hvalue")
            if not _is_int(hvalue) or not 0 <= hvalue <= 3:
                raise ForecastFormatError(
                    f"{spot}.hvalue: expected a level from 0 to 3, got {hvalue!r}"
                )
            # Elapsed hours from the day's midnight: right on 23- and 25-hour days.
            start = (jour + timedelta(hours=pas)).astimezone(UTC)
            own = start.astimezone(PARIS).date() == own_date
            _claim(chosen, start, Level(hvalue), own)
    return Forecast(
        slots=tuple(Slot(start, level) for start, (level, _) in chosen.items()),
        generated=generated,
        fetched=fetched,
        source=source,
        days=tuple(sorted(days, key=lambda day: day.jour.astimezone(UTC))),
    )


def _claim(
    chosen: dict[datetime, tuple[Level, bool]], start: datetime, level: Level, own: bool
) -> None:
    """Record one hour; the day whose date it is wins, and a tie keeps the higher level.

    Two equally entitled claims disagree only in a broken body; the higher level is the one
    that errs on the side of the grid.
    """
    existing = chosen.get(start)
    if existing is None:
        chosen[start] = (level, own)
        return
    held, held_own = existing
    if own != held_own:
        if own:
            chosen[start] = (level, own)
        return
    if level > held:
        chosen[start] = (level, own)


def forecast_to_body(forecast: Forecast) -> dict[str, object]:
    """A signals body for a forecast, as RTE would write it (demo source, fake RTE, tests)."""
    by_day: dict[date, list[dict[str, int]]] = {}
    for slot in forecast.slots:
        local = slot.start.astimezone(PARIS)
        by_day.setdefault(local.date(), [])
        # Subtract in UTC: between two Paris times Python subtracts wall clocks.
        pas = int((slot.start - paris_midnight(local.date())).total_seconds() // 3600)
        by_day[local.date()].append({"pas": pas, "hvalue": int(slot.level)})
    known = {day.jour.astimezone(PARIS).date(): day for day in forecast.days}
    signals: list[dict[str, object]] = []
    for when, values in sorted(by_day.items()):
        worst = max(max(value["hvalue"] for value in values), 1)
        described = known.get(when)
        entry: dict[str, object] = {}
        if forecast.generated is not None:
            entry["GenerationFichier"] = forecast.generated.astimezone(PARIS).isoformat()
        entry["jour"] = paris_midnight(when).astimezone(PARIS).isoformat()
        entry["dvalue"] = described.dvalue if described and described.dvalue else worst
        message = described.message if described and described.message else _MESSAGES[worst]
        entry["message"] = message
        entry["values"] = values
        signals.append(entry)
    return {"signals": signals}


_MESSAGES = {
    1: "Pas d'alerte.",
    2: "Risque de coupures d'électricité.",
    3: "Des coupures d'électricité sont en cours.",
}
