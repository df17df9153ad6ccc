"""The one parser for durations and times, wherever they come from: delestage.toml, the command
line (``--for``, ``--until``, ``--from``), the control socket, the UI's P/S dialog, files on disk
and HTTP headers.

Durations are written ``"90s"``, ``"15m"``, ``"2h"``, ``"1h30m"``, ``"1d"``, ``"500ms"``; a bare
number other than ``0`` is refused with a hint (``90`` could be seconds, minutes or hours).
Times of day are ``14:30`` or ``14h30`` (Paris time, the next such moment); dates are ISO 8601
(Paris time unless they carry an offset).

Everything is bounded: no duration exceeds ``MAX_HORIZON`` (one year), no instant lies outside
``EARLIEST``..``LATEST``, and an override ends at most ``MAX_HORIZON`` ahead. A tiny override
(under ``MIN_OVERRIDE``) is refused, never widened to "until released". Pure: the current time
comes in as an argument.
"""

import math
import re
from datetime import UTC, datetime, time, timedelta

from tui.core.forecast import PARIS
from tui.core.i18n import N_, _

# The longest duration anywhere, and how far ahead an override may end: one year (a leap one).
MAX_HORIZON = timedelta(days=366)
# The shortest override: anything shorter is a typo (1e-9 s, "1ms"), not an intent.
MIN_OVERRIDE = timedelta(minutes=1)
# Instants outside this window are damage or typos (year 1, year 9999), not data.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# ASCII only: `\d` and str.isdigit() would otherwise take Arabic-Indic or superscript digits.
# `m(?!s)` keeps "500ms" from being read as 500 minutes followed by a stray "s".
_PATTERN = re.compile(
    r"(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m(?!s))?(?:(\d{1,9})s)?(?:(\d{1,9})ms)?", re.ASCII
)
_BARE = re.compile(r"[+-]?\d+(?:[.,]\d*)?", re.ASCII)
_TIME_OF_DAY = re.compile(r"(\d{1,2})(?::|h)(\d{2})", re.ASCII | re.IGNORECASE)

# What was expected, marked for the catalog (tui/core/i18n.py) and translated where raised:
# the messages below say what a person typed wrong (delestage.toml, --for, the UI's dialog).
EXPECTED = N_('a duration like "90s", "15m", "2h", "1h30m" or "500ms" (at most 366d)')
TIME_EXPECTED = N_(
    "a time like 14:30 or 14h30 (Paris time), or a date and time like 2026-12-01T14:30 "
    "(Paris time unless it carries an offset)"
)


def _bare_hint(text: str) -> str:
    number = text.lstrip("+")
    return _(
        'a duration with its unit, e.g. "{number}s", "{number}m" or "{number}h" '
        "(a bare number is ambiguous)"
    ).format(number=number)


def parse_duration(value: object, maximum: timedelta = MAX_HORIZON) -> timedelta:
    """Parse a duration; raise ValueError saying what was expected on anything else.

    ``0`` (zero in any unit) is accepted; other bare numbers are refused with a hint.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(_(EXPECTED))
    text = str(value).strip().lower()
    if text in ("0", "+0"):
        return timedelta(0)
    if _BARE.fullmatch(text):
        raise ValueError(_bare_hint(text))
    if text.startswith("-"):
        raise ValueError(_("a positive duration: {expected}").format(expected=_(EXPECTED)))
    match = _PATTERN.fullmatch(text)
    if not text or match is None:
        raise ValueError(_(EXPECTED))
    days, hours, minutes, seconds, millis = (int(g) if g else 0 for g in match.groups())
    try:
        delta = timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds, milliseconds=millis
        )
    except OverflowError:
        raise ValueError(_(EXPECTED)) from None
    if delta > maximum:
        raise ValueError(_("a duration of at most {most}").format(most=format_duration(maximum)))
    return delta


def duration_from_seconds(value: object, what: str = "seconds") -> timedelta:
    """A number of seconds from JSON or a header: finite, ≥ 0, at most ``MAX_HORIZON``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what}: expected a number of seconds, got {value!r:.40}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what}: expected a finite number of seconds, got {value!r}")
    if value < 0:
        raise ValueError(f"{what}: expected a number of seconds ≥ 0, got {value!r:.40}")
    if value > MAX_HORIZON.total_seconds():
        raise ValueError(
            f"{what}: at most {MAX_HORIZON.total_seconds():.0f} ({format_duration(MAX_HORIZON)}), "
            f"got {value!r:.40}"
        )
    return timedelta(seconds=value)


def parse_seconds(text: str, low: float, high: float) -> float:
    """A wait given on the command line in seconds (``5``, ``0.5``) or as a duration (``5s``):
    finite, from ``low`` to ``high``; ValueError saying so otherwise."""
    expected = _("a number of seconds from {low} to {high}").format(
        low=f"{low:g}", high=f"{high:g}"
    )
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parse_duration(text).total_seconds()
        except ValueError:
            raise ValueError(expected) from None
    if not low <= seconds <= high:  # also refuses NaN
        raise ValueError(expected)
    return seconds


def check_override_length(length: timedelta) -> None:
    """0 means "until released"; otherwise an override lasts MIN_OVERRIDE..MAX_HORIZON."""
    if length and length < MIN_OVERRIDE:
        raise ValueError(
            _('an override of at least {least} ("0s" means until released), not {length}').format(
                least=format_duration(MIN_OVERRIDE),
                length=format_duration(length) or _("under 1ms"),
            )
        )
    if length > MAX_HORIZON:
        raise ValueError(
            _("an override of at most {most}").format(most=format_duration(MAX_HORIZON))
        )


def check_until(until: datetime, now: datetime) -> None:
    """An override's end: in the future, at most MAX_HORIZON ahead."""
    if until.tzinfo is None:
        raise ValueError(_("a time with an offset"))
    if until <= now:
        raise ValueError(_("a time in the future, not {time}").format(time=_iso(until)))
    if until - now > MAX_HORIZON:
        raise ValueError(
            _("a time at most {most} ahead (until {last}), not {time}").format(
                most=format_duration(MAX_HORIZON), last=_iso(now + MAX_HORIZON), time=_iso(until)
            )
        )


def sane_instant(when: datetime) -> datetime:
    """``when`` as UTC if it is aware and within EARLIEST..LATEST, else ValueError."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{when.isoformat()}: " + _("expected a time with an offset"))
    try:
        utc = when.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{when.isoformat()}: " + _("out of range")) from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(
            f"{when.isoformat()}: "
            + _("expected a time between {first} and {last}").format(
                first=EARLIEST.year, last=LATEST.year - 1
            )
        )
    return utc


def parse_instant(value: object) -> datetime:
    """An ISO 8601 time with offset from a file or a peer, as UTC; ValueError otherwise."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"expected an ISO 8601 time with offset, got {value!r:.40}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 time with offset, got {value!r:.40}") from None
    return sane_instant(parsed)


def _iso(when: datetime) -> str:
    try:
        return when.astimezone(PARIS).isoformat(timespec="minutes")
    except OverflowError:
        return when.isoformat()


def _next_time_of_day(hour: int, minute: int, now: datetime) -> datetime:
    """The nearest instant after ``now`` that the Paris clock shows as ``hour:minute``.

    Both folds are tried: during the repeated autumn hour, 02:30 may still be ahead on the
    second pass (CET) while the first (CEST) is over, and it is never tomorrow's 02:30."""
    day = now.astimezone(PARIS).date()
    for offset in range(3):
        # Built on the Paris wall clock, then compared as UTC instants; a time skipped by the
        # spring change resolves one hour later, which is still in the future.
        wall = datetime.combine(day + timedelta(days=offset), time(hour, minute), tzinfo=PARIS)
        ahead = [
            instant
            for instant in (wall.astimezone(UTC), wall.replace(fold=1).astimezone(UTC))
            if instant > now
        ]
        if ahead:
            return min(ahead)
    raise ValueError(_(TIME_EXPECTED))  # pragma: no cover - one of three days is always ahead


def _paris_wall(moment: datetime, now: datetime) -> datetime:
    """A naive ISO time read on the Paris clock as the nearest instant after ``now`` it names,
    as ``_next_time_of_day`` reads ``HH:MM``: during the repeated autumn hour the wall time
    02:30 is two instants, and on the second pass only the second (CET) is still ahead. When
    neither is ahead, the first (which the caller refuses as past)."""
    first = moment.replace(tzinfo=PARIS)
    try:
        ahead = [
            instant
            for instant in (first.astimezone(UTC), first.replace(fold=1).astimezone(UTC))
            if instant > now
        ]
    except OverflowError:  # year 1 or 9999: refused as out of range by the caller
        return first
    return min(ahead) if ahead else first


def parse_time(text: str, now: datetime, *, future: bool = True) -> datetime:
    """``14:30`` / ``14h30`` (the next such Paris time, or today's when not ``future``) or an
    ISO 8601 date and time (Paris time without an offset: in the repeated autumn hour, the
    nearest future instant on either pass when ``future``). UTC-aware, within
    EARLIEST..LATEST."""
    if not isinstance(text, str):
        raise ValueError(_(TIME_EXPECTED))
    stripped = text.strip()
    match = _TIME_OF_DAY.fullmatch(stripped)
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            raise ValueError(_(TIME_EXPECTED))
        if future:
            return _next_time_of_day(hour, minute, now)
        local = now.astimezone(PARIS).date()
        return datetime.combine(local, time(hour, minute), tzinfo=PARIS).astimezone(UTC)
    if _BARE.fullmatch(stripped):
        raise ValueError(
            _("{expected}; a bare number is ambiguous").format(expected=_(TIME_EXPECTED))
        )
    if len(stripped) > 40:
        raise ValueError(_(TIME_EXPECTED))
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise ValueError(_(TIME_EXPECTED)) from None
    if moment.tzinfo is None:
        moment = _paris_wall(moment, now) if future else moment.replace(tzinfo=PARIS)
    try:
        return sane_instant(moment)
    except ValueError:
        raise ValueError(
            _("a time between {first} and {last} ({expected})").format(
                first=EARLIEST.year, last=LATEST.year - 1, expected=_(TIME_EXPECTED)
            )
        ) from None


HOLD_EXPECTED = N_(
    'expected a duration like "90m", "2h", "1h30m", a time of day like "14:30" or "14h30", '
    'or "0" for until released'
)


def parse_override_until(text: str, now: datetime) -> datetime:
    """When an override ends, as typed (``--until``, the UI): parsed and bounded."""
    until = parse_time(text, now)
    check_until(until, now)
    return until


def parse_override_length(text: object) -> timedelta:
    """How long an override lasts, as typed (``--for``, the UI): parsed and bounded."""
    length = parse_duration(text)
    check_override_length(length)
    return length


def parse_hold(text: str, now: datetime) -> timedelta | datetime:
    """How long an override lasts, as typed in the UI: a time of day or ISO time (an instant,
    UTC), else a duration (``0`` = until released). Bounded like every override."""
    stripped = text.strip() if isinstance(text, str) else ""
    if _TIME_OF_DAY.fullmatch(stripped) or "T" in stripped or "-" in stripped[1:]:
        try:
            return parse_override_until(stripped, now)
        except ValueError as error:
            raise ValueError(f"{_(HOLD_EXPECTED)} ({error})") from None
    try:
        length = parse_override_length(stripped)
    except ValueError as error:
        detail = "" if str(error) == _(EXPECTED) else f" ({error})"
        raise ValueError(f"{_(HOLD_EXPECTED)}{detail}") from None
    return length


def format_duration(delta: timedelta) -> str:
    """The canonical written form, which parse_duration reads back to the same value.

    Sub-millisecond parts, which parse_duration never produces, are dropped.
    """
    total = delta // timedelta(milliseconds=1)
    if total <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)
