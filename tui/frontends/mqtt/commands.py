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
from tui.core.i18n import N_, _
from tui.core.pilot import parse_order

# The refusals' free text follows the language (the error payload's fields do not).
EXPECTED = N_(
    'expected on, off, auto, {"powered": true|false} with optional "for" (a duration) or '
    '"until" (a time), or {"mode": "auto"}'
)


def _expected() -> str:
    return _(EXPECTED)


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
            _(
                "channel {text}: expected a channel index as the bridge writes it (0-63, no "
                "leading zero)"
            ).format(text=repr(text))
        )
    return int(text)


def parse_command(channel_text: str, payload: bytes, now: datetime) -> Command:
    channel = parse_channel(channel_text)
    if len(payload) > MAX_PAYLOAD:
        raise CommandError(
            _("payload of {count} bytes: {expected}").format(
                count=len(payload), expected=_expected()
            )
        )
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError(
            _("payload is not UTF-8 text: {expected}").format(expected=_expected())
        ) from None
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
        raise CommandError(f"{text[:40]!r}: {_expected()}")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        # json's own words (``Expecting value``) are kept as it wrote them.
        raise CommandError(
            _("invalid JSON ({reason} at column {column}): {expected}").format(
                reason=error.msg, column=error.colno, expected=_expected()
            )
        ) from None
    return _from_json(channel, body, now)


def _from_json(channel: int, body: object, now: datetime) -> Command:
    if not isinstance(body, dict):
        raise CommandError(f"JSON {type(body).__name__}: {_expected()}")
    if "mode" in body:
        if body != {"mode": "auto"}:
            raise CommandError(
                _('"mode" takes "auto" alone: {expected}').format(expected=_expected())
            )
        return Command(channel, None)
    unknown = sorted(set(body) - {"powered", "for", "until"})
    if unknown:
        raise CommandError(
            _("unknown key {key}: {expected}").format(key=repr(unknown[0]), expected=_expected())
        )
    powered = body.get("powered")
    if not isinstance(powered, bool):
        raise CommandError(
            '"powered": '
            + _("expected true or false, got {value}").format(value=json.dumps(powered))
        )
    if "for" in body and "until" in body:
        raise CommandError(_('"for" and "until": give one or the other'))
    duration = until = None
    if "for" in body:
        try:
            duration = parse_override_length(body["for"])
        except ValueError as error:
            raise CommandError(
                '"for": '
                + _("expected {what}, got {value}").format(
                    what=error, value=json.dumps(body["for"])
                )
            ) from None
    if "until" in body:
        value = body["until"]
        if not isinstance(value, str):
            raise CommandError(
                '"until": '
                + _("expected an ISO 8601 time, got {value}").format(value=json.dumps(value))
            )
        try:
            until = parse_override_until(value, now)
        except ValueError as error:
            raise CommandError(
                '"until": '
                + _("expected {what}, got {value}").format(what=error, value=repr(value))
            ) from None
    return Command(channel, powered, duration, until)
