"""Persisted controller state: overrides and each relay's switch history, written atomically."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from tui.adapters.atomic import atomic_write
from tui.core.policy import Override, RelayHistory

STATE_NAME = "state.json"
VERSION = 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def encode_state(
    overrides: dict[int, Override], history: dict[int, RelayHistory]
) -> dict[str, Any]:
    return {
        "version": VERSION,
        "overrides": {
            str(channel): {
                "powered": override.powered,
                "since": _iso(override.since),
                "until": _iso(override.until),
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
            }
            for channel, item in sorted(history.items())
        },
    }


def decode_state(
    document: dict[str, Any],
) -> tuple[dict[int, Override], dict[int, RelayHistory]]:
    overrides = {
        int(channel): Override(
            powered=bool(raw["powered"]),
            since=_time(raw["since"]),  # type: ignore[arg-type]
            until=_time(raw.get("until")),
        )
        for channel, raw in document.get("overrides", {}).items()
    }
    history = {
        int(channel): RelayHistory(
            powered=raw.get("powered"),
            last_on=_time(raw.get("last_on")),
            last_off=_time(raw.get("last_off")),
            switches=tuple(_time(at) for at in raw.get("switches", ())),  # type: ignore[misc]
            latched=bool(raw.get("latched", False)),
        )
        for channel, raw in document.get("history", {}).items()
    }
    return overrides, history


class StateStore:
    def __init__(self, directory: Path) -> None:
        self.path = directory / STATE_NAME

    def load(
        self, keep: bool = False
    ) -> tuple[dict[int, Override], dict[int, RelayHistory], str | None]:
        """The saved state; an unreadable file is set aside (never deleted) and reported.
        ``keep``: a reader that is not the service (``plan``) leaves the file where it is."""
        if not self.path.exists():
            return {}, {}, None
        try:
            overrides, history = decode_state(json.loads(self.path.read_text()))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            if keep:
                return {}, {}, f"{self.path}: unreadable state ({error})"
            aside = self.path.with_name(f"{STATE_NAME}.unreadable")
            self.path.replace(aside)
            return {}, {}, f"{self.path}: unreadable state ({error}); kept as {aside.name}"
        return overrides, history, None

    def save(self, overrides: dict[int, Override], history: dict[int, RelayHistory]) -> None:
        data = json.dumps(encode_state(overrides, history), indent=1).encode()
        atomic_write(self.path, data, mode=0o600)
