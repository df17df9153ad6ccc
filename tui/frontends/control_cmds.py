"""`delestage status`, `force` and `release`: talk to the running service over its socket."""

import asyncio
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import TextIO

from tui.compose.files import find_config, load_config, resolve_state_dir
from tui.compose.remote import (
    DEFAULT_TIMEOUT,
    RemoteController,
    ServiceUnavailable,
    connect,
    socket_path,
)
from tui.core.config import ChannelConfig, Config
from tui.core.durations import parse_override_length, parse_override_until, parse_seconds
from tui.core.errors import InputError, expected_got
from tui.core.forecast import Level, clock_time
from tui.core.i18n import N_, _
from tui.core.pilot import orders_expected, parse_order
from tui.core.places import board_place
from tui.core.tempo import colour_word
from tui.frontends.tempo_source import from_source, tempo_sources
from tui.frontends.words import channel_state_word, mode_words, order_word, state_word
from tui.service.snapshot import Snapshot

EXIT_NO_SERVICE = 1
# The meter's state in `status` (the snapshot's "waiting", "ok", "stale", "tripped").
METER_STATES = {
    "waiting": N_("waiting"),
    "ok": N_("ok"),
    "stale": N_("stale"),
    "tripped": N_("tripped"),
}
MAX_TIMEOUT = 3600.0


def _link(config: Config, err: TextIO, timeout: float = DEFAULT_TIMEOUT) -> RemoteController | None:
    state_dir = resolve_state_dir(config)
    try:
        link = asyncio.run(connect(state_dir, timeout))
    except ServiceUnavailable as error:
        print(error, file=err)
        return None
    if link is None:
        words = _(
            "no delestage service is running (nothing answers on {path}); "
            "start one with `delestage --headless` or `delestage`"
        )
        print(words.format(path=socket_path(state_dir)), file=err)
    return link


def _comparable(text: str) -> str:
    # NFC: a name typed in decomposed form (some keyboards, macOS) matches the configured one.
    return unicodedata.normalize("NFC", text.strip()).casefold()


def resolve_channel(config: Config, text: str) -> int:
    """A channel given by index or by name (case-insensitive, any Unicode normal form)."""
    if text.isascii() and text.isdigit():
        index = int(text)
        if any(channel.index == index for channel in config.channels):
            return index
    for channel in config.channels:
        if _comparable(channel.name) == _comparable(text):
            return channel.index
    known = ", ".join(f"{c.index} ({c.name})" for c in config.channels)
    words = _("CH: no channel {text} in {path}; expected one of {known}")
    raise InputError(words.format(text=repr(text), path=config.path, known=known))


def parse_until(text: str, now: datetime) -> datetime:
    """``14:30`` / ``14h30`` (the next such Paris time) or an ISO 8601 time (naive = Paris),
    at most the documented horizon ahead."""
    try:
        return parse_override_until(text, now)
    except ValueError as error:
        raise InputError(expected_got("--until", str(error), repr(text))) from None


def parse_for(text: str) -> timedelta:
    """``--for``: a duration (``0s`` = until released), bounded like every override."""
    try:
        return parse_override_length(text)
    except ValueError as error:
        raise InputError(expected_got("--for", str(error), repr(text))) from None


def render_status(snapshot: Snapshot) -> str:
    now = snapshot.now
    level = Level(snapshot.level).words if snapshot.level is not None else _("unknown")
    board = snapshot.board
    board_text = f"{board.kind}, {_('attached') if board.attached else _('DETACHED')}"
    if board.detached_boards:
        board_text += f" ({', '.join(board.detached_boards)} detached)"
    elif board.unattached and not board.attached:
        board_text += f" (relay {', '.join(str(i) for i in board.unattached)} not attached)"
    if board.serial:
        board_text += _(", serial {serial}").format(serial=board.serial)
    forecast = snapshot.forecast
    until = clock_time(forecast.until, now) if forecast.until else "-"
    lines = [
        _("delestage {mode} mode, PID {pid}, at {time}").format(
            mode=_(snapshot.mode.upper()), pid=snapshot.pid, time=clock_time(now, now)
        ),
        _("level now: {level}    board: {board}").format(level=level, board=board_text),
        _("forecast: {source}, until {until}").format(source=forecast.source, until=until)
        + (
            _(", fetched {time}").format(time=clock_time(forecast.fetched, now))
            if forecast.fetched
            else ""
        )
        + ("" if forecast.covers_now else _("    NO FORECAST FOR NOW: fallback in force"))
        + (_("    last error: {error}").format(error=forecast.error) if forecast.error else ""),
        (
            _("strain now: {strain}; ").format(strain=forecast.strained_now)
            if forecast.strained_now
            else ""
        )
        + _("next strain: {strain}").format(strain=forecast.next_strained or _("none ahead")),
    ]
    tempo = snapshot.tempo
    if tempo is not None:
        lines.append(
            _("tempo: {source}, today {today}, tomorrow {tomorrow}").format(
                source=tempo_sources(tempo),
                today=colour_word(tempo.today) + from_source(tempo, tempo.today_source),
                tomorrow=colour_word(tempo.tomorrow) + from_source(tempo, tempo.tomorrow_source),
            )
            + (_("    last error: {error}").format(error=tempo.error) if tempo.error else "")
            + (
                _("    meter: {error}").format(error=tempo.fallback_error)
                if tempo.fallback_error
                else ""
            )
        )
    if snapshot.meter is not None:
        meter = snapshot.meter
        cuts = (
            _(", cut for power: {channels}").format(channels=", ".join(map(str, meter.cuts)))
            if meter.cuts
            else ""
        )
        lines.append(
            _("meter: {where}, {state}, {words}").format(
                where=meter.where,
                state=_(METER_STATES.get(meter.state, meter.state)),
                words=meter.words,
            )
            + cuts
            + (_("    last error: {error}").format(error=meter.error) if meter.error else "")
        )
    if snapshot.mqtt is not None:
        lines.append(_("mqtt: {state}").format(state=snapshot.mqtt.describe()))
    lines.append("")
    mode_width = max([len(mode_words(channel, now)) for channel in snapshot.channels] + [4])
    state_w = max(7, len(_("UNKNOWN")), len(_("ON")), len(_("CUT")))
    # Several boards: where each channel is wired (``garage/3``) after its number.
    places = {c.index: board_place(c.board, c.relay) for c in snapshot.channels}
    place_w = max([len(place) for place in places.values()] + [0])
    index_w = max([len(str(c.index)) for c in snapshot.channels] + [1])
    for channel in snapshot.channels:
        state = channel_state_word(channel)
        wait = _(" [waiting: {waiting}]").format(waiting=channel.waiting) if channel.waiting else ""
        upcoming = ""
        if channel.next_change is not None:
            change = channel.next_change
            word = order_word(change.order) if change.order else state_word(change.powered)
            upcoming = _(" [next: {state} at {time}]").format(
                state=word, time=clock_time(change.at, now)
            )
        if channel.mismatch:
            wait += _(" [BOARD MISMATCH: {mismatch}]").format(mismatch=channel.mismatch)
        if channel.measured_power_w is not None:
            wait += _(" [measured {watts} W]").format(watts=channel.measured_power_w)
        mode = mode_words(channel, now)
        place = f"{places[channel.index]:<{place_w}}  " if place_w else ""
        lines.append(
            f"{channel.index:<{index_w}}  {place}{channel.name:<22} {state:<{state_w}} "
            f"{mode:<{mode_width}} "
            f"{channel.reason}{wait}{upcoming}"
        )
    return "\n".join(lines)


def parse_timeout(text: str) -> float:
    """``--timeout``: seconds to wait for the service (a number, or a duration like "10s")."""
    try:
        return parse_seconds(text, 0.1, MAX_TIMEOUT)
    except ValueError as error:
        raise InputError(expected_got("--timeout", str(error), repr(text))) from None


def run_status(
    config_path: str | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    config = load_config(find_config(config_path))
    link = _link(config, err, timeout)
    if link is None:
        return EXIT_NO_SERVICE
    try:
        snapshot = asyncio.run(link.snapshot())
    except ServiceUnavailable as error:
        print(error, file=err)
        return EXIT_NO_SERVICE
    if as_json:
        print(json.dumps(snapshot.to_status(), ensure_ascii=False), file=out)
    else:
        print(render_status(snapshot), file=out)
    return 0


def force_order(channel: ChannelConfig, state: str) -> str | None:
    """``on``/``off`` (None: no named order), or a pilot channel's order; InputError (exit 2)
    for anything else."""
    if state in ("on", "off"):
        return None
    pilot = channel.pilot
    try:
        order = parse_order(state)
    except ValueError:
        expected = (
            _("on, off or an order ({orders})").format(orders=orders_expected(pilot))
            if pilot
            else _("on or off")
        )
        raise InputError(expected_got("STATE", expected, f"{state!r:.20}")) from None
    if pilot is None:
        raise InputError(
            "STATE: "
            + _(
                "{name} is not a pilot-wire or SG-Ready channel; expected on or off, got {state}"
            ).format(name=channel.name, state=f"{state!r:.20}")
        )
    refusal = pilot.refusal(order)
    if refusal is not None:
        raise InputError(f"STATE: {channel.name}: {refusal}")
    return order.value


def run_force(
    config_path: str | None,
    channel_text: str,
    state: str,
    duration_text: str | None,
    until_text: str | None,
    out: TextIO,
    err: TextIO,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    config = load_config(find_config(config_path))
    channel = resolve_channel(config, channel_text)
    order = force_order(config.channel(channel), state)
    duration = parse_for(duration_text) if duration_text is not None else None
    until = parse_until(until_text, datetime.now(UTC)) if until_text else None
    link = _link(config, err, timeout)
    if link is None:
        return EXIT_NO_SERVICE
    try:
        message = asyncio.run(
            link.force(channel, state == "on", duration=duration, until=until, order=order)
        )
    except ServiceUnavailable as error:
        print(error, file=err)
        return EXIT_NO_SERVICE
    print(message, file=out)
    return 0


def run_release(
    config_path: str | None,
    channel_text: str,
    out: TextIO,
    err: TextIO,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    config = load_config(find_config(config_path))
    channel = None if channel_text == "all" else resolve_channel(config, channel_text)
    link = _link(config, err, timeout)
    if link is None:
        return EXIT_NO_SERVICE
    try:
        message = asyncio.run(link.release(channel))
    except ServiceUnavailable as error:
        print(error, file=err)
        return EXIT_NO_SERVICE
    print(message, file=out)
    return 0
