"""Durations as written in delestage.toml: "90s", "15m", "2h", "1h30m", or bare seconds."""

import re
from datetime import timedelta

_PATTERN = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

EXPECTED = 'a duration like "90s", "15m", "2h" or "1h30m" (or whole seconds)'


def parse_duration(value: object) -> timedelta:
    """Parse a duration; raise ValueError with the expected form on anything else."""
    if isinstance(value, bool):
        raise ValueError(EXPECTED)
    if isinstance(value, int):
        if value < 0:
            raise ValueError(EXPECTED)
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError(EXPECTED)
    text = value.strip().lower()
    if text.isdigit():
        return timedelta(seconds=int(text))
    match = _PATTERN.match(text)
    if not text or match is None:
        raise ValueError(EXPECTED)
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The canonical written form, which parse_duration reads back to the same value."""
    total = int(delta.total_seconds())
    if total == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)
