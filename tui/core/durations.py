"""Durations as written in delestage.toml: "90s", "15m", "2h", "1h30m", "500ms", or bare seconds."""

import re
from datetime import timedelta

# ASCII only: `\d` and str.isdigit() would otherwise take Arabic-Indic or superscript digits.
# `m(?!s)` keeps "500ms" from being read as 500 minutes followed by a stray "s".
_PATTERN = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?", re.ASCII)
_BARE = re.compile(r"\d+", re.ASCII)

EXPECTED = 'a duration like "90s", "15m", "2h", "1h30m" or "500ms" (or whole seconds)'


def parse_duration(value: object) -> timedelta:
    """Parse a duration; raise ValueError with the expected form on anything else."""
    if isinstance(value, bool):
        raise ValueError(EXPECTED)
    try:
        if isinstance(value, int):
            if value < 0:
                raise ValueError(EXPECTED)
            return timedelta(seconds=value)
        if not isinstance(value, str):
            raise ValueError(EXPECTED)
        text = value.strip().lower()
        if _BARE.fullmatch(text):
            return timedelta(seconds=int(text))
        match = _PATTERN.fullmatch(text)
        if not text or match is None:
            raise ValueError(EXPECTED)
        days, hours, minutes, seconds, millis = (int(g) if g else 0 for g in match.groups())
        return timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds, milliseconds=millis
        )
    except OverflowError:
        # Beyond timedelta's range (about 2.7 million years): a typo, not a traceback.
        raise ValueError(EXPECTED) from None


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
