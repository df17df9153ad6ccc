"""Persisted controller state: overrides and each relay's switch history, written atomically.

Loading is strict: a file that is not a regular file, too big, not JSON, nested too deep, or that
holds anything the controller could trip on later (a naive or out-of-range time, a ``null``
where a time belongs, a channel out of range) is moved aside as ``state.json.unreadable`` (never
deleted) and reported. The controller then starts from the copy of the same data kept beside it
(``state.json.prev``, written after each save), and from a clean state only when both are bad.
"""

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tui.adapters.atomic import atomic_write
from tui.adapters.stores.power_cuts import KEY as POWER_CUTS
from tui.adapters.stores.power_cuts import decode_power_cuts, encode_power_cuts
from tui.adapters.user_files import read_regular_file
from tui.core.config import CHANNEL_NUMBERS, Wiring
from tui.core.durations import parse_instant
from tui.core.names import refused_char, refused_words
from tui.core.pilot import Order
from tui.core.policy import Override, RelayHistory
from tui.core.power_rule import PowerCut
from tui.core.state_vetting import Owner

STATE_NAME = "state.json"
COPY_NAME = "state.json.prev"
VERSION = 1
MAX_STATE_BYTES = 1_000_000  # 8 channels of history is a few kB
MAX_SWITCHES = 1000  # more than the policy ever keeps per relay
MAX_NAME = 200
CHANNELS = range(CHANNEL_NUMBERS)  # several boards: the channel's number across them


class StateError(ValueError):
    """The saved state does not validate."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: object, where: str, optional: bool = True) -> datetime | None:
    if value is None and optional:
        return None
    try:
        return parse_instant(value)
    except ValueError as error:
        raise StateError(f"{where}: {error}") from None


def _bool(value: object, where: str, optional: bool = False) -> bool | None:
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise StateError(f"{where}: expected true or false, got {value!r:.40}")
    return value


def _table(document: dict[str, Any], key: str) -> dict[str, Any]:
    table = document.get(key, {})
    if not isinstance(table, dict):
        raise StateError(f"{key}: expected an object")
    return table


def _channel(key: str, raw: object, where: str) -> int:
    if not key.isdigit() or int(key) not in CHANNELS:
        raise StateError(f"{where}: expected a channel index 0-{CHANNELS[-1]}, got {key!r:.20}")
    if not isinstance(raw, dict):
        raise StateError(f"{where}.{key}: expected an object")
    return int(key)


def encode_state(
    overrides: dict[int, Override],
    history: dict[int, RelayHistory],
    owners: dict[int, Owner] | None = None,
    power_cuts: dict[int, PowerCut] | None = None,
) -> dict[str, Any]:
    """The document; ``owners`` names the appliance each relay's entries belong to (written as
    ``channels``: older versions ignore it and read the rest as before), ``power_cuts`` the
    power rule's cuts (``power_cuts.py``; older versions ignore it too)."""
    named = {} if owners is None else {"channels": _encode_owners(owners)}
    cuts = {} if power_cuts is None else {POWER_CUTS: encode_power_cuts(power_cuts)}
    return {
        "version": VERSION,
        **named,
        **cuts,
        "overrides": {
            str(channel): {
                "powered": override.powered,
                "since": _iso(override.since),
                "until": _iso(override.until),
                **({"order": override.order} if override.order else {}),
            }
            for channel, override in sorted(overrides.items())
        },
        "history": {
            str(channel): {
                "powered": item.powered,
                "last_on": _iso(item.last_on),
                "last_off": _iso(item.last_off),
                "switches": [_iso(at) for at in item.switches],
                "latched": item.latched,
                **_encode_ran(item),
            }
            for channel, item in sorted(history.items())
        },
    }


def _encode_ran(item: RelayHistory) -> dict[str, Any]:
    """The day's run so far (min_daily_run), left out when there is none to keep."""
    if item.ran_day is None:
        return {}
    return {
        "ran_day": item.ran_day.isoformat(),
        "ran_seconds": item.ran.total_seconds(),
        "ran_from": _iso(item.ran_from),
        "turn_from": _iso(item.turn_from),
    }


def _decode_ran(raw: dict[str, Any], where: str) -> dict[str, Any]:
    day, seconds = raw.get("ran_day"), raw.get("ran_seconds", 0)
    if day is None:
        return {}
    try:
        ran_day = date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        ran_day = None
    if ran_day is None:
        raise StateError(f"{where}.ran_day: expected a date YYYY-MM-DD, got {day!r:.40}")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 0 <= seconds <= 25 * 3600
    ):
        raise StateError(f"{where}.ran_seconds: expected 0 to 90000 seconds, got {seconds!r:.40}")
    ran_from = _time(raw.get("ran_from"), f"{where}.ran_from")
    turn_from = _time(raw.get("turn_from"), f"{where}.turn_from")
    return {
        "ran_day": ran_day,
        "ran": timedelta(seconds=seconds),
        "ran_from": ran_from,
        "turn_from": turn_from,
    }


def _encode_owners(owners: dict[int, Owner]) -> dict[str, Any]:
    return {
        str(channel): {"name": owner.name, "wiring": owner.wiring.value}
        for channel, owner in sorted(owners.items())
    }


def decode_owners(document: object) -> dict[int, Owner] | None:
    """The appliances a state document names per relay (None: a file from before they were
    recorded); StateError naming the field that does not validate."""
    if not isinstance(document, dict) or "channels" not in document:
        return None
    owners: dict[int, Owner] = {}
    for key, raw in _table(document, "channels").items():
        channel = _channel(key, raw, "channels")
        name, wiring = raw.get("name"), raw.get("wiring")
        if not isinstance(name, str) or not name or len(name) > MAX_NAME:
            raise StateError(f"channels.{key}.name: expected a channel name, got {name!r:.40}")
        # The configuration's rule for names (no control, bidi or line-separator character):
        # `check` and the event log print a saved name; shown escaped here, never raw.
        if (char := refused_char(name)) is not None:
            raise StateError(f"channels.{key}.name: {refused_words(char)}, got {name!r:.60}")
        if wiring not in {item.value for item in Wiring}:
            raise StateError(f'channels.{key}.wiring: expected "no" or "nc", got {wiring!r:.20}')
        owners[channel] = Owner(name, Wiring(wiring))
    return owners


def decode_state(
    document: object,
) -> tuple[dict[int, Override], dict[int, RelayHistory]]:
    """The state in ``document``, or StateError naming the first field that does not validate."""
    if not isinstance(document, dict):
        raise StateError("expected a JSON object")
    overrides: dict[int, Override] = {}
    for key, raw in _table(document, "overrides").items():
        channel = _channel(key, raw, "overrides")
        where = f"overrides.{key}"
        since = _time(raw.get("since"), f"{where}.since", optional=False)
        until = _time(raw.get("until"), f"{where}.until")
        assert since is not None
        order = raw.get("order")
        if order is not None and order not in {item.value for item in Order}:
            raise StateError(f"{where}.order: expected a pilot order, got {order!r:.20}")
        overrides[channel] = Override(
            powered=bool(_bool(raw.get("powered"), f"{where}.powered")),
            since=since,
            until=until,
            order=order,
        )
    history: dict[int, RelayHistory] = {}
    for key, raw in _table(document, "history").items():
        channel = _channel(key, raw, "history")
        where = f"history.{key}"
        switches = raw.get("switches", [])
        if not isinstance(switches, list) or len(switches) > MAX_SWITCHES:
            raise StateError(f"{where}.switches: expected a list of at most {MAX_SWITCHES} times")
        times = [_time(at, f"{where}.switches", optional=False) for at in switches]
        history[channel] = RelayHistory(
            powered=_bool(raw.get("powered"), f"{where}.powered", optional=True),
            last_on=_time(raw.get("last_on"), f"{where}.last_on"),
            last_off=_time(raw.get("last_off"), f"{where}.last_off"),
            switches=tuple(sorted(t for t in times if t is not None)),
            latched=bool(_bool(raw.get("latched", False), f"{where}.latched")),
            **_decode_ran(raw, where),
        )
    return overrides, history


class StateStore:
    def __init__(self, directory: Path) -> None:
        self.path = directory / STATE_NAME
        self.copy = directory / COPY_NAME
        # The appliances the file read by the last load() names (None: none read, or a file
        # from before they were recorded): see core/state_vetting.py.
        self.owners: dict[int, Owner] | None = None
        # The power rule's cuts the file read by the last load() holds, and what was wrong
        # with them (they are dropped alone: the overrides beside them are kept).
        self.power_cuts: dict[int, PowerCut] = {}
        self.power_cuts_problem: str | None = None

    def load(
        self, keep: bool = False
    ) -> tuple[dict[int, Override], dict[int, RelayHistory], str | None]:
        """The saved state; one that does not validate is set aside (never deleted) and
        reported. Never raises: a damaged file must not stop the controller starting.
        ``keep``: a reader that is not the service (``plan``) leaves the file where it is.
        The appliances the file names are left in ``owners``."""
        self.owners = None
        self.power_cuts, self.power_cuts_problem = {}, None
        try:
            overrides, history, self.owners, cuts = _read(self.path)
            self.power_cuts, self.power_cuts_problem = cuts
            return overrides, history, None
        except FileNotFoundError:
            return {}, {}, None
        except (OSError, StateError) as error:
            reason = str(error.strerror if isinstance(error, OSError) and error.strerror else error)
            problem = self._unreadable(reason) if keep else self._set_aside(reason)
        try:
            overrides, history, self.owners, cuts = _read(self.copy)
        except (OSError, StateError):
            return {}, {}, f"{problem}; starting clean"
        self.power_cuts, self.power_cuts_problem = cuts
        return overrides, history, f"{problem}; restored from {self.copy.name}"

    def _unreadable(self, reason: str) -> str:
        return f"{self.path}: unreadable state ({reason})"

    def _set_aside(self, reason: str) -> str:
        aside = self.path.with_name(f"{STATE_NAME}.unreadable")
        try:
            os.replace(self.path, aside)
        except OSError as error:
            return (
                f"{self.path}: unreadable state ({reason}); it could not be moved aside "
                f"({error.strerror or error})"
            )
        return f"{self.path}: unreadable state ({reason}); kept as {aside.name}"

    def save(
        self,
        overrides: dict[int, Override],
        history: dict[int, RelayHistory],
        owners: dict[int, Owner] | None = None,
        power_cuts: dict[int, PowerCut] | None = None,
    ) -> None:
        data = json.dumps(encode_state(overrides, history, owners, power_cuts), indent=1).encode()
        atomic_write(self.path, data, mode=0o600)
        # A second, separate file with the same data: whatever damages one (an editor, a
        # failing disk block) leaves the other to start from.
        atomic_write(self.copy, data, mode=0o600)


def _read(
    path: Path,
) -> tuple[
    dict[int, Override],
    dict[int, RelayHistory],
    dict[int, Owner] | None,
    tuple[dict[int, PowerCut], str | None],
]:
    """A state file's content; FileNotFoundError, OSError (in words) or StateError."""
    data = read_regular_file(path, MAX_STATE_BYTES, follow=False)
    try:
        document = json.loads(data)
        return (*decode_state(document), decode_owners(document), decode_power_cuts(document))
    except RecursionError:
        raise StateError("nested too deep") from None
    except StateError:
        raise
    except ValueError as error:
        raise StateError(str(error)) from None
