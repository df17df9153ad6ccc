"""The operator's commands in words and bounds: pure functions the controller's commands use.

An override's end is checked by the one validation module (``core.durations``) and rounded to a
whole minute; a release says which channels are back to automatic and which a shed still in
force cuts again; a reload says what needs a restart instead.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from tui.core.config import Config
from tui.core.durations import check_override_length, check_until
from tui.core.errors import InputError
from tui.core.events import StartEvent
from tui.core.forecast import clock_time
from tui.core.i18n import _
from tui.core.meter_config import meter_source_of
from tui.core.pilot import Order
from tui.core.policy import RelayHistory


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
            raise InputError("for: " + _("expected {expected}").format(expected=error)) from None
        # Whole minutes: an operator reads and types "until 14:30", not 14:29:47.
        until = next_minute(now + length) if length else None
    if until is not None:
        try:
            check_until(until, now)
        except ValueError as error:
            raise InputError("until: " + _("expected {expected}").format(expected=error)) from None
    return until


def next_minute(when: datetime) -> datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + timedelta(minutes=1)


def expiry_words(until: datetime | None, now: datetime) -> str:
    return _("until {time}").format(time=clock_time(until, now)) if until else _("until released")


def forced_words(powered: bool, expiry: str, order: str | None = None) -> str:
    """The override event's message: ``forced cut by operator until 16:08``; a pilot-wire
    channel's named order: ``forced Éco by operator until 16:08``."""
    if order is not None:
        return _("forced {order} by operator {until}").format(
            order=Order(order).label, until=expiry
        )
    words = _("forced on by operator {until}") if powered else _("forced cut by operator {until}")
    return words.format(until=expiry)


def unsaved_words(problem: str | None) -> str:
    """Added to a command's answer when its override could not be saved: it holds now, and
    is lost if the service restarts before a save succeeds."""
    if problem is None:
        return ""
    return _("; not saved ({problem}): lost if the service restarts before it can save").format(
        problem=problem
    )


def force_answer(
    name: str, powered: bool, expiry: str, waiting: str | None, order: str | None = None
) -> str:
    """The answer to a force: ``Sauna: forced cut until 16:08; waiting: min_on until 16:10``
    (``Chambres: forced Éco until 16:08`` for a pilot-wire channel's named order)."""
    words = _("{name}: forced on {until}") if powered else _("{name}: forced cut {until}")
    label = Order(order).label if order is not None else ""
    if order is not None:
        words = _("{name}: forced {order} {until}")
    wait = _("; waiting: {waiting}").format(waiting=waiting) if waiting else ""
    return words.format(name=name, until=expiry, order=label) + wait


def released_words(
    freed: Sequence[str], still_cut: Sequence[tuple[str, datetime | None]], now: datetime
) -> str:
    """``freed``: names back to automatic; ``still_cut``: (name, end of the shed) cut again at
    once by a shed in force and, with auto_restore off, latched again. The latched ones come
    first, so that the point (when to release again) fits one 80-column line."""
    if not freed and not still_cut:
        return _("nothing to release: already automatic")
    parts = [
        _("{name}: latched again by the shed in force; release it after {time}").format(
            name=name, time=clock_time(ends, now)
        )
        if ends is not None
        else _("{name}: latched again by the shed in force; release it once it is over").format(
            name=name
        )
        for name, ends in still_cut
    ]
    if freed:
        parts.append(_("back to automatic: {names}").format(names=", ".join(freed)))
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
        # A pilot channel's relays are opened, and its drive built, at start (pilot_drive.py).
        or {c.index: c.pilot for c in new.channels} != {c.index: c.pilot for c in running.channels}
    ):
        return (
            f"{new.path}: changes to [board], [ecowatt], [service], [tempo], the [meter] "
            "source, the set of channel indexes or a channel's pilot settings need a restart; "
            "keeping the running configuration"
        )
    return None


def relays_words(config: Config, history: Mapping[int, RelayHistory]) -> str:
    """Each appliance's state in one line, for the stop event: ``Chauffe-eau CUT, ...``."""
    words = {True: _("ON"), False: _("CUT"), None: _("UNKNOWN")}
    parts = []
    for channel in config.channels:
        item = history.get(channel.index)
        parts.append(f"{channel.name} {words[item.powered if item is not None else None]}")
    return ", ".join(parts)


def unclean_words(start: StartEvent, now: datetime) -> str:
    """Said at a start that follows a run which never said stop."""
    pid = f" (PID {start.pid})" if start.pid else ""
    return (
        f"the previous run{pid}, started {clock_time(start.ts, now)}, ended uncleanly: it never "
        "said stop (a crash, kill -9 or a power cut); its relays stayed as it left them"
    )
