"""The operator's commands in words and bounds: pure functions the controller's commands use.

An override's end is checked by the one validation module (``core.durations``) and rounded to a
whole minute; a release says which channels are back to automatic and which a shed still in
force cuts again; a reload says what needs a restart instead.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from tui.core.config import Config
from tui.core.durations import check_override_length, check_until
from tui.core.errors import InputError
from tui.core.forecast import clock_time
from tui.core.meter_config import meter_source_of


def override_until(
    now: datetime, default: timedelta, duration: timedelta | None, until: datetime | None
) -> datetime | None:
    """When a force given ``duration`` or ``until`` (neither: the configured default) ends;
    None: until released. Raises InputError naming the field."""
    if until is None:
        length = default if duration is None else duration
        try:
            check_override_length(length)
        except ValueError as error:
            raise InputError(f"for: expected {error}") from None
        # Whole minutes: an operator reads and types "until 14:30", not 14:29:47.
        until = next_minute(now + length) if length else None
    if until is not None:
        try:
            check_until(until, now)
        except ValueError as error:
            raise InputError(f"until: expected {error}") from None
    return until


def next_minute(when: datetime) -> datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + timedelta(minutes=1)


def expiry_words(until: datetime | None, now: datetime) -> str:
    return f"until {clock_time(until, now)}" if until else "until released"


def released_words(freed: Sequence[str], still_cut: Sequence[tuple[str, str]]) -> str:
    """``freed``: names back to automatic; ``still_cut``: (name, reason) cut again at once by a
    shed in force (and, with auto_restore off, latched again)."""
    if not freed and not still_cut:
        return "nothing to release: already automatic"
    parts = [f"back to automatic: {', '.join(freed)}"] if freed else []
    parts += [
        f"{name}: released, but still cut by {reason}; auto_restore is off, so it stays cut "
        "after that shed too: release it again once the shed is over"
        for name, reason in still_cut
    ]
    return "; ".join(parts)


def restart_needed(running: Config, new: Config) -> str | None:
    """Why ``new`` cannot replace ``running`` live, or None."""
    if (
        new.board != running.board
        or new.ecowatt != running.ecowatt
        or new.service != running.service
        or new.tempo != running.tempo
        or meter_source_of(new.meter) != meter_source_of(running.meter)
        or {c.index for c in new.channels} != {c.index for c in running.channels}
    ):
        return (
            f"{new.path}: changes to [board], [ecowatt], [service], [tempo], the [meter] "
            "source or the set of channel indexes need a restart; keeping the running "
            "configuration"
        )
    return None
