"""Parse a body as RTE's Tempo calendar endpoint returns it, and write one (demo, fake RTE).

Three shapes are accepted (``reference/tempo.md``): production, where ``tempo_like_calendars``
is an object whose ``values`` is an array; the sandbox, where it is an array whose item holds
``values`` as a single object; and the shape RTE's Swagger describes, an array of calendars
whose ``values`` are arrays. Values come newest first; each covers one Paris calendar day,
midnight to midnight with that day's offset. A value without ``value`` is an unknown day, never
blue. Anything else raises one ``ForecastFormatError`` naming the field, except a day's
``end_date``, which concerns that day alone: one that reads the next Paris midnight but carries
the start's offset on a daylight-saving day (``2024-03-31T00:00:00+01:00`` to
``2024-04-01T00:00:00+01:00``) is repaired to that midnight; any other end that is not that
day's is refused for that day only, which stays unknown, and is said in ``refused``.
"""

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from tui.core.forecast import PARIS, paris_midnight
from tui.core.i18n import _
from tui.core.signals import ForecastFormatError, _document, _generated, _timestamp, rte_error
from tui.core.tempo import Colour, TempoCalendar, TempoDay

ROOT = "tempo_like_calendars"
_COLOURS = {"BLUE": Colour.BLUE, "WHITE": Colour.WHITE, "RED": Colour.RED}


def _entries(document: object) -> Iterator[tuple[str, object]]:
    """Every value of every calendar in the body, with the path that names it."""
    if not isinstance(document, dict) or ROOT not in document:
        error = rte_error(document)
        got = _(", got {error}, not data").format(error=error) if error else ""
        raise ForecastFormatError(
            "body: " + _("expected a JSON object with {root}").format(root=f'"{ROOT}"') + got
        )
    root = document[ROOT]
    if isinstance(root, dict):
        calendars: list[tuple[str, object]] = [(ROOT, root)]
    elif isinstance(root, list):
        calendars = [(f"{ROOT}[{index}]", item) for index, item in enumerate(root)]
    else:
        raise ForecastFormatError(f"{ROOT}: " + _("expected an object or an array of calendars"))
    for where, calendar in calendars:
        if not isinstance(calendar, dict):
            raise ForecastFormatError(f"{where}: " + _("expected an object with values"))
        values = calendar.get("values")
        if isinstance(values, list):
            for index, value in enumerate(values):
                yield f"{where}.values[{index}]", value
        elif isinstance(values, dict):  # the sandbox: one value, not in an array
            yield f"{where}.values", values
        else:
            raise ForecastFormatError(f"{where}.values: " + _("expected an array of days"))


class _RefusedDay(Exception):
    """One day of the calendar that cannot be trusted; the rest of the calendar can."""


def _day(entry: object, where: str) -> TempoDay:
    if not isinstance(entry, dict):
        raise ForecastFormatError(f"{where}: " + _("expected an object with start_date and value"))
    start = _timestamp(entry.get("start_date"), f"{where}.start_date")
    local = start.astimezone(PARIS)
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        raise ForecastFormatError(
            f"{where}.start_date: "
            + _("expected a Paris midnight, got {value}").format(value=repr(entry["start_date"]))
        )
    day = local.date()
    raw = entry.get("value")
    if raw is None:
        colour = None  # one real day came without a value: unknown, not blue
    elif isinstance(raw, str) and raw.strip().upper() in _COLOURS:
        colour = _COLOURS[raw.strip().upper()]
    else:
        raise ForecastFormatError(
            f"{where}.value: "
            + _('expected "BLUE", "WHITE" or "RED", got {value}').format(value=repr(raw))
        )
    end = _timestamp(entry.get("end_date"), f"{where}.end_date")
    if not _ends_the_day(start, end, day):
        raise _RefusedDay(
            f"{where}.end_date: "
            + _(
                "expected the end of the day that starts at {start}, got {value}: that day is "
                "left unknown"
            ).format(start=entry["start_date"], value=repr(entry["end_date"]))
        )
    return TempoDay(day, colour, _generated(entry.get("updated_date")))


def _ends_the_day(start: datetime, end: datetime, day: date) -> bool:
    """Whether ``end`` is the end of Paris day ``day``: at most its next midnight; or that
    midnight written with the start's offset (the hour the clock changes by), repaired."""
    following = day + timedelta(days=1)
    midnight = paris_midnight(following)
    if start < end <= midnight:
        return True
    written = end.replace(tzinfo=None)
    off_by = abs(end - midnight)
    return written == datetime(following.year, following.month, following.day) and (
        off_by <= timedelta(hours=1) and end.utcoffset() == start.utcoffset()
    )


def parse_tempo(
    body: bytes | str | object, *, fetched: datetime | None = None, source: str = ""
) -> TempoCalendar:
    """Build a TempoCalendar from a calendars body (bytes, text, or already-decoded JSON)."""
    days: list[TempoDay] = []
    refused: list[str] = []
    for where, entry in _entries(_document(body)):
        try:
            days.append(_day(entry, where))
        except _RefusedDay as error:
            refused.append(str(error))
    return TempoCalendar(tuple(days), fetched=fetched, source=source, refused=tuple(refused))


def calendar_to_body(calendar: TempoCalendar) -> dict[str, object]:
    """A production-shaped body for a calendar, newest first, as RTE writes it."""
    values: list[dict[str, object]] = []
    for item in reversed(calendar.days):
        value: dict[str, object] = {
            "start_date": _midnight(item.day),
            "end_date": _midnight(item.day + timedelta(days=1)),
        }
        if item.colour is not None:
            value["value"] = item.colour.value.upper()
        updated = item.updated or paris_midnight(item.day) - timedelta(hours=13, minutes=40)
        value["updated_date"] = updated.astimezone(PARIS).isoformat()
        values.append(value)
    calendars: dict[str, object] = {}
    if calendar.days:
        calendars["start_date"] = _midnight(calendar.days[0].day)
        calendars["end_date"] = _midnight(calendar.days[-1].day + timedelta(days=1))
    calendars["values"] = values
    return {ROOT: calendars}


def _midnight(day: date) -> str:
    return paris_midnight(day).astimezone(PARIS).isoformat()
