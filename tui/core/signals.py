"""Parse a body exactly as RTE's Ecowatt v5 signals endpoint returns it.

Strict about what matters (levels, hours, timestamps), tolerant about what RTE is known to do:
days in any order, missing hours, 23 to 25 entries on daylight-saving days, padded messages,
extra fields.
"""

import json
from datetime import UTC, datetime, timedelta

from tui.core.errors import InputError
from tui.core.forecast import PARIS, Day, Forecast, Level, Slot

MAX_PAS = 24  # a 25-hour autumn day has pas 0..24


class ForecastFormatError(InputError):
    """A signals body that cannot be trusted; the message names the day index and field."""


def _timestamp(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise ForecastFormatError(f"{where}: expected an ISO 8601 timestamp with offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ForecastFormatError(
            f"{where}: expected an ISO 8601 timestamp with offset, got {value!r}"
        ) from None
    if parsed.tzinfo is None:
        raise ForecastFormatError(f"{where}: expected a timestamp with offset, got {value!r}")
    return parsed


def parse_signals(
    body: bytes | str | object, *, fetched: datetime | None = None, source: str = ""
) -> Forecast:
    """Build a Forecast from a signals body (bytes, text, or already-decoded JSON)."""
    if isinstance(body, bytes | str):
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise ForecastFormatError(f"body: expected JSON ({error})") from None
    else:
        document = body
    if not isinstance(document, dict) or "signals" not in document:
        raise ForecastFormatError('body: expected a JSON object with a "signals" array')
    signals = document["signals"]
    if not isinstance(signals, list):
        raise ForecastFormatError("signals: expected an array of days")

    # Keys are UTC: Paris wall-clock times repeat on the autumn day and compare equal.
    # start -> (slot, whether the slot lies on its own day's date)
    chosen: dict[datetime, tuple[Slot, bool]] = {}
    days: list[Day] = []
    generated: datetime | None = None
    for index, day in enumerate(signals):
        where = f"signals[{index}]"
        if not isinstance(day, dict):
            raise ForecastFormatError(f"{where}: expected an object")
        jour = _timestamp(day.get("jour"), f"{where}.jour")
        values = day.get("values")
        if not isinstance(values, list):
            raise ForecastFormatError(f"{where}.values: expected an array of hours")
        if isinstance(day.get("GenerationFichier"), str):
            try:
                stamp = datetime.fromisoformat(day["GenerationFichier"])
                if stamp.tzinfo is not None and (generated is None or stamp > generated):
                    generated = stamp
            except ValueError:
                pass  # display-only; a bad stamp must not discard good levels
        dvalue = day.get("dvalue")
        message = day.get("message")
        days.append(
            Day(
                jour=jour,
                dvalue=dvalue if isinstance(dvalue, int) and not isinstance(dvalue, bool) else None,
                message=message.strip() if isinstance(message, str) else "",
            )
        )
        own_date = jour.astimezone(PARIS).date()
        for position, entry in enumerate(values):
            spot = f"{where}.values[{position}]"
            if not isinstance(entry, dict):
                raise ForecastFormatError(f"{spot}: expected an object with pas and hvalue")
            pas = entry.get("pas")
            if isinstance(pas, bool) or not isinstance(pas, int) or not 0 <= pas <= MAX_PAS:
                raise ForecastFormatError(
                    f"{spot}.pas: expected an integer from 0 to {MAX_PAS}, got {pas!r}"
                )
            hvalue = entry.get("hvalue")
            if isinstance(hvalue, bool) or not isinstance(hvalue, int) or not 0 <= hvalue <= 3:
                raise ForecastFormatError(
                    f"{spot}.hvalue: expected a level from 0 to 3, got {hvalue!r}"
                )
            # Elapsed hours from the day's midnight: right on 23- and 25-hour days.
            start = (jour + timedelta(hours=pas)).astimezone(UTC)
            own = start.astimezone(PARIS).date() == own_date
            existing = chosen.get(start)
            if existing is None or (own and not existing[1]):
                chosen[start] = (Slot(start, Level(hvalue)), own)
    return Forecast(
        slots=tuple(slot for slot, _ in chosen.values()),
        generated=generated,
        fetched=fetched,
        source=source,
        days=tuple(sorted(days, key=lambda day: day.jour)),
    )


def forecast_to_body(forecast: Forecast) -> dict[str, object]:
    """A signals body for a forecast (used by the demo source and the tests' fake RTE)."""
    by_day: dict[datetime, list[dict[str, int]]] = {}
    for slot in forecast.slots:
        local = slot.start.astimezone(PARIS)
        midnight = datetime(local.year, local.month, local.day, tzinfo=PARIS)
        # Subtract in UTC: between two Paris times Python subtracts wall clocks.
        pas = int((slot.start.astimezone(UTC) - midnight.astimezone(UTC)).total_seconds() // 3600)
        by_day.setdefault(midnight, []).append({"pas": pas, "hvalue": int(slot.level)})
    generated = forecast.generated.isoformat() if forecast.generated else None
    signals = []
    for midnight, values in sorted(by_day.items()):
        worst = max(value["hvalue"] for value in values)
        signals.append(
            {
                "GenerationFichier": generated,
                "jour": midnight.isoformat(),
                "dvalue": max(worst, 1),
                "message": _MESSAGES[max(worst, 1)],
                "values": values,
            }
        )
    return {"signals": signals}


_MESSAGES = {
    1: "Pas d'alerte.",
    2: "Risque de coupures d'électricité.",
    3: "Des coupures d'électricité sont en cours.",
}
