"""Commands arriving on ``base/channel/{index}/set``, read with the CLI's own parsers and bounds.

``on`` / ``off`` force the channel for the configured override duration (like `p` / `s` in the
UI), ``auto`` releases it; a pilot-wire channel also takes its orders (``eco``, ``hors-gel``,
``confort``), like `force CH eco`; the JSON forms carry ``for`` (a duration, "0s" = until
released) or ``until`` (ISO 8601, or "14:30" Paris time), or ``{"mode": "auto"}``. Anything else
is refused with one line saying what was expected, and nothing changes.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.durations import parse_override_length, parse_override_until
from tui.core.pilot import parse_order

EXPECTED = (
    'expected on, off, auto, {"powered": true|false} with optional "for" (a duration) or '
    '"until" (a time), or {"mode": "auto"}'
)
MAX_PAYLOAD = 1024  # a command is a few dozen bytes; anything far bigger is not one


class CommandError(ValueError):
    """A refused command; the text is the one line published on ``base/error``."""


@dataclass(frozen=True)
class Command:
    channel: int
    powered: bool | None  # None: back to automatic
    duration: timedelta | None = None
    until: datetime | None = None
    order: str | None = None  # a pilot-wire channel's named order ("eco"); the service checks it


def parse_channel(text: str) -> int:
    """The index of ``base/channel/{index}/set`` in its one written form: ``1``, never ``01``
    (the topic the bridge publishes the channel's state under, and the one it subscribes to)."""
    if not text.isascii() or not text.isdigit() or len(text) > 2 or str(int(text)) != text:
        raise CommandError(
            f"channel {text!r}: expected a channel index as the bridge writes it (0-63, no "
            "leading zero)"
        )
    return int(text)


def parse_command(channel_text: str, payload: bytes, now: datetime) -> Command:
    channel = parse_channel(channel_text)
    if len(payload) > MAX_PAYLOAD:
        raise CommandError(f"payload of {len(payload)} bytes: {EXPECTED}")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError(f"payload is not UTF-8 text: {EXPECTED}") from None
    word = text.lower()
    if word in ("on", "off"):
        return Command(channel, word == "on")
    if word == "auto":
        return Command(channel, None)
    try:  # a pilot-wire channel's order: "eco", "hors-gel", "confort" (core/pilot.py)
        return Command(channel, False, order=parse_order(word).value)
    except ValueError:
        pass
    if not text.startswith("{"):
        raise CommandError(f"{text[:40]!r}: {EXPECTED}")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"{error.msg} at column {error.colno}"
        raise CommandError(f"invalid JSON ({where}): {EXPECTED}") from None
    return _from_json(channel, body, now)


def _from_json(channel: int, body: object, now: datetime) -> Command:
    if not isinstance(body, dict):
        raise CommandError(f"JSON {type(body).__name__}: {EXPECTED}")
    if "mode" in body:
        if body != {"mode": "auto"}:
            raise CommandError(f'"mode" takes "auto" alone: {EXPECTED}')
        return Command(channel, None)
    unknown = sorted(set(body) - {"powered", "for", "until"})
    if unknown:
        raise CommandError(f"unknown key {unknown[0]!r}: {EXPECTED}")
    powered = body.get("powered")
    if not isinstance(powered, bool):
        raise CommandError(f'"powered": expected true or false, got {json.dumps(powered)}')
    if "for" in body and "until" in body:
        raise CommandError('"for" and "until": give one or the other')
    duration = until = None
    if "for" in body:
        try:
            duration = parse_override_length(body["for"])
        except ValueError as error:
            raise CommandError(f'"for": expected {error}, got {json.dumps(body["for"])}') from None
    if "until" in body:
        value = body["until"]
        if not isinstance(value, str):
            raise CommandError(f'"until": expected an ISO 8601 time, got {json.dumps(value)}')
        try:
            until = parse_override_until(value, now)
        except ValueError as error:
            raise CommandError(f'"until": expected {error}, got {value!r}') from None
    return Command(channel, powered, duration, until)
