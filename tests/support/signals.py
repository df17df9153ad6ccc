"""Signals bodies as RTE writes them, built day by day (shared by the signals and truth-view
tests)."""

import json
from datetime import UTC, date, datetime

from tui.core.forecast import PARIS


def jour(day: date) -> str:
    """RTE's `jour`: local midnight with its offset."""
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).isoformat()


def day_entry(day: date, levels: list[int] | dict[int, int], **extra: object) -> dict[str, object]:
    pairs = list(levels.items() if isinstance(levels, dict) else enumerate(levels))
    entry: dict[str, object] = {
        "GenerationFichier": "2024-11-20T23:00:00+01:00",
        "jour": jour(day),
        "dvalue": max(max(dict(pairs).values(), default=1), 1),
        "message": "Pas d'alerte.",
        "values": [{"pas": pas, "hvalue": level} for pas, level in pairs],
    }
    entry.update(extra)
    return entry


def body(*days: dict[str, object]) -> str:
    return json.dumps({"signals": list(days)})


def paris(year: int, month: int, day: int, hour: int, fold: int = 0) -> datetime:
    """A Paris wall-clock time as a UTC instant (``fold=1``: the second 02:00 in autumn)."""
    return datetime(year, month, day, hour, tzinfo=PARIS, fold=fold).astimezone(UTC)
