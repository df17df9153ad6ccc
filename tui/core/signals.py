"""Parse a body exactly as RTE's Ecowatt v5 signals endpoint returns it.

Strict about what matters (levels, hours, timestamps): anything that could put a wrong level on
an hour raises one ``ForecastFormatError`` naming the day index and the field. Tolerant about
what RTE is known to do: days in any order, missing hours (left unknown, never level 0), padded
messages, extra fields.

The hour model (DESIGN.md "Time", reference/ecowatt-v5.md): ``pas`` n is the wall-clock hour n
of the Paris day ``jour``, 0 to 23, on every day. Every real body has 24 values on the
daylight-saving days too, so on the 23-hour spring day pas 2 names an hour the clock skips and
is dropped (pas 3 is 03:00 CEST), and on the 25-hour autumn day pas 2 covers both 02:00 hours
(CEST, then CET; pas 3 is 03:00 CET). A day is covered from its midnight to the next and never
spills into another day. A daylight-saving day given as many entries as it has hours (23 or 25,
never seen from RTE) is read as hours elapsed since ``jour`` instead.
"""

import json
from datetime import UTC, date, datetime, timedelta
from typing import TypeGuard

from tui.core.durations import sane_instant
from tui.core.errors import InputError
from tui.core.forecast import HOUR, PARIS, Day, Forecast, Level, Slot, paris_midnight
from tui.core.i18n import _

MAX_PAS = 24  # pas 0..23 are wall-clock hours; 24 only on an autumn day of 25 entries


class ForecastFormatError(InputError):
    """A signals body that cannot be trusted; the message names the day index and field."""


def _is_int(value: object) -> TypeGuard[int]:
    # JSON true/false decode to bool, which Python counts as int.
    return isinstance(value, int) and not isinstance(value, bool)


def _timestamp(value: object, where: str) -> datetime:
    expected = _("expected an ISO 8601 timestamp with offset, got {value}")
    if not isinstance(value, str):
        shown = _("nothing") if value is None else repr(value)
        raise ForecastFormatError(f"{where}: " + expected.format(value=shown))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ForecastFormatError(f"{where}: " + expected.format(value=repr(value))) from None
    if parsed.tzinfo is None:
        raise ForecastFormatError(
            f"{where}: "
            + _("expected an ISO 8601 timestamp with offset, got {value} (no offset)").format(
                value=repr(value)
            )
        )
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


def _what_instead(body: bytes | bytearray | str) -> str:
    """What a body that is not JSON is, when it says: blank, or an HTML page (a proxy's)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else body
    if not text.strip():
        return _("an empty body") if not text else _("a blank body")
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html")):
        title = text.lower().find("<title>")
        end = text.lower().find("</title>", title)
        if 0 <= title < end:
            words = _printable(text[title + 7 : end])[:80]
            return _("an HTML page ({title})").format(title=words) if words else _("an HTML page")
        return _("an HTML page")
    return ""


def _printable(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def rte_error(document: object) -> str:
    """``"RTE's error ECOWATT_COMMON_T05 (Internal Server Error)"`` for one of RTE's error
    objects, ``""`` for anything else."""
    if not isinstance(document, dict):
        return ""
    code, description = document.get("error"), document.get("error_description")
    if not isinstance(code, str) or not code.strip():
        return ""
    code = _printable(code)[:64]
    said = _printable(description)[:160] if isinstance(description, str) else ""
    return _("RTE's error {code}").format(code=code) + (f" ({said})" if said else "")


def _document(body: bytes | str | object) -> object:
    if not isinstance(body, bytes | bytearray | str):
        return body
    instead = _what_instead(body)
    if instead:
        raise ForecastFormatError("body: " + _("expected JSON, got {what}").format(what=instead))
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise ForecastFormatError(
            "body: " + _("expected JSON text, got undecodable bytes")
        ) from None
    except ValueError as error:
        # json's own words (``Expecting value: line 1 column 1``) are kept as it wrote them.
        raise ForecastFormatError(
            "body: " + _("expected JSON ({error})").format(error=error)
        ) from None
    except RecursionError:
        raise ForecastFormatError("body: " + _("expected JSON (nested too deep)")) from None


def parse_signals(
    body: bytes | str | object, *, fetched: datetime | None = None, source: str = ""
) -> Forecast:
    """Build a Forecast from a signals body (bytes, text, or already-decoded JSON)."""
    document = _document(body)
    if not isinstance(document, dict) or "signals" not in document:
        error = rte_error(document)
        got = _(", got {error}, not data").format(error=error) if error else ""
        raise ForecastFormatError(
            "body: " + _('expected a JSON object with a "signals" array') + got
        )
    signals = document["signals"]
    if not isinstance(signals, list):
        raise ForecastFormatError("signals: " + _("expected an array of days"))

    # Keyed by UTC start: Paris wall-clock times repeat on the autumn day and compare equal.
    chosen: dict[datetime, Level] = {}
    days: list[Day] = []
    generated: datetime | None = None
    for index, day in enumerate(signals):
        where = f"signals[{index}]"
        if not isinstance(day, dict):
            raise ForecastFormatError(
                f"{where}: " + _("expected an object, got {type}").format(type=type(day).__name__)
            )
        jour = _timestamp(day.get("jour"), f"{where}.jour")
        local = jour.astimezone(PARIS)
        if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
            # The hours are this day's: any other time would name another day or shift them.
            raise ForecastFormatError(
                f"{where}.jour: "
                + _("expected local midnight (Europe/Paris), got {value} ({time} in Paris)").format(
                    value=repr(day.get("jour")), time=f"{local:%H:%M}"
                )
            )
        values = day.get("values")
        if not isinstance(values, list):
            raise ForecastFormatError(f"{where}.values: " + _("expected an array of hours"))
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
        pairs: list[tuple[int, Level, str]] = []
        for position, entry in enumerate(values):
            spot = f"{where}.values[{position}]"
            if not isinstance(entry, dict):
                raise ForecastFormatError(f"{spot}: " + _("expected an object with pas and hvalue"))
            pas = entry.get("pas")
            if not _is_int(pas) or not 0 <= pas <= MAX_PAS:
                raise ForecastFormatError(
                    f"{spot}.pas: "
                    + _("expected an integer from 0 to {most}, got {value}").format(
                        most=MAX_PAS, value=repr(pas)
                    )
                )
            hvalue = entry.get("hvalue")
            if not _is_int(hvalue) or not 0 <= hvalue <= 3:
                raise ForecastFormatError(
                    f"{spot}.hvalue: "
                    + _("expected a level from 0 to 3, got {value}").format(value=repr(hvalue))
                )
            pairs.append((pas, Level(hvalue), f"{spot}.pas"))
        for start, level in _hours_of(local.date(), pairs):
            _claim(chosen, start, level)
    return Forecast(
        slots=tuple(Slot(start, level) for start, level in chosen.items()),
        generated=generated,
        fetched=fetched,
        source=source,
        days=tuple(sorted(days, key=lambda day: day.jour.astimezone(UTC))),
    )


def day_hours_by_pas(day: date) -> dict[int, tuple[datetime, ...]]:
    """The one-hour UTC slots of a Paris day, by wall-clock hour (its ``pas``): 24 hours on a
    normal day; no hour 2 on the spring day; two hours 2 (CEST, then CET) on the autumn day."""
    hours: dict[int, list[datetime]] = {}
    moment, end = paris_midnight(day), paris_midnight(day + timedelta(days=1))
    while moment < end:
        hours.setdefault(moment.astimezone(PARIS).hour, []).append(moment)
        moment += HOUR
    return {pas: tuple(starts) for pas, starts in hours.items()}


def _elapsed_day(length: int, pas_values: set[int]) -> bool:
    """Whether a daylight-saving day's entries count elapsed hours rather than wall-clock ones:
    as many distinct entries as the day has hours (23 or 25), or a pas 24 on the autumn day."""
    if length == 24 or not pas_values or max(pas_values) >= length:
        return False
    return len(pas_values) == length or max(pas_values) == 24


def _hours_of(day: date, pairs: list[tuple[int, Level, str]]) -> list[tuple[datetime, Level]]:
    """Each (pas, level) of one day as the UTC hours it covers (see the module's hour model)."""
    midnight = paris_midnight(day)
    length = int((paris_midnight(day + timedelta(days=1)) - midnight) / HOUR)
    if _elapsed_day(length, {pas for pas, _level, _spot in pairs}):
        return [(midnight + HOUR * pas, level) for pas, level, _spot in pairs]
    by_pas = day_hours_by_pas(day)
    hours: list[tuple[datetime, Level]] = []
    for pas, level, spot in pairs:
        if pas > 23:
            raise ForecastFormatError(
                f"{spot}: "
                + _(
                    "expected a wall-clock hour from 0 to 23 ({day} has {length} hours), "
                    "got {value}"
                ).format(day=day.isoformat(), length=length, value=pas)
            )
        # The spring day's pas 2 names no hour on the clock: nothing to place.
        hours.extend((start, level) for start in by_pas.get(pas, ()))
    return hours


def _claim(chosen: dict[datetime, Level], start: datetime, level: Level) -> None:
    """Record one hour; a second claim on it (a day given twice, a pas repeated) keeps the
    higher level, the one that errs on the side of the grid. Two claims disagree only in a
    broken body."""
    held = chosen.get(start)
    if held is None or level > held:
        chosen[start] = level


def forecast_to_body(forecast: Forecast) -> dict[str, object]:
    """A signals body for a forecast, as RTE writes it (demo source, fake RTE, tests).

    The inverse of the parser's hour model: each hour's pas is its wall-clock hour. On the
    autumn day both 02:00 hours are pas 2, written with the higher of their levels (the parser
    gives it back to both); on the spring day pas 2 is written, as RTE does, with the higher
    level of its neighbours, and the parser drops it again.
    """
    by_day: dict[date, dict[int, int]] = {}
    for slot in forecast.slots:
        local = slot.start.astimezone(PARIS)
        hours = by_day.setdefault(local.date(), {})
        hours[local.hour] = max(hours.get(local.hour, 0), int(slot.level))
    for when, hours in by_day.items():
        if 2 not in day_hours_by_pas(when) and 1 in hours and 3 in hours:
            hours[2] = max(hours[1], hours[3])
    known = {day.jour.astimezone(PARIS).date(): day for day in forecast.days}
    signals: list[dict[str, object]] = []
    for when, hours in sorted(by_day.items()):
        values = [{"pas": pas, "hvalue": level} for pas, level in sorted(hours.items())]
        worst = max(max(hours.values()), 1)
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
