"""`delestage plan`: preview every relay change over the forecast horizon.

Reads the forecast from ``--forecast FILE`` (a body exactly as RTE returns it) or from the
configured source (its cache first; a call to RTE only when nothing is cached, within the
quota), runs the policy on a virtual clock and prints the schedule, or DESIGN.md's JSON.
"""

import asyncio
import json
import math
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from tui.adapters.clock import Clock, SystemClock
from tui.compose.files import find_config, load_config
from tui.compose.sources import fetch_forecast, fetch_tempo, read_forecast_file, read_tempo_file
from tui.core import i18n
from tui.core.config import Config, OnExit
from tui.core.durations import parse_time
from tui.core.errors import InputError, expected_got
from tui.core.forecast import paris_iso
from tui.core.i18n import N_, _, ngettext
from tui.core.plan import plan_ahead, plan_to_json, released_on_attach, render_plan_text
from tui.core.policy import Override, RelayHistory
from tui.core.tempo import TempoCalendar, colour_word, day_start, describe_tempo_days, tempo_day
from tui.frontends.tempo_source import source_label

MAX_HOURS = 24 * 366


def parse_from(text: str, now: datetime | None = None) -> datetime:
    """``--from``: ``17:00`` / ``17h00`` (today, Paris time) or ISO 8601 (naive = Paris), by
    the one time parser, within its bounds. Returned UTC-aware."""
    try:
        return parse_time(text, now or datetime.now(UTC), future=False)
    except ValueError as error:
        raise InputError(expected_got("--from", str(error), repr(text))) from None


def parse_hours(text: str) -> timedelta:
    """``--hours``: a positive number of hours, fractions allowed."""
    expected = "--hours: " + _(
        "expected a positive number of hours (at most {most}), got {value}"
    ).format(most=MAX_HOURS, value=repr(text))
    try:
        hours = float(text)
    except ValueError:
        raise InputError(expected) from None
    if not math.isfinite(hours) or not 0 < hours <= MAX_HOURS:
        raise InputError(expected)
    return timedelta(hours=hours)


METER_NOT_PLANNED = N_(
    "power rule ([meter]): reacts live to the meter, not planned here (it may cut more)"
)


def _tempo(
    config: Config, tempo_path: str | None, now: datetime, err: TextIO
) -> TempoCalendar | None:
    """``--tempo FILE``, else the configured Tempo source's calendar when [tempo] is on (its
    cache, else one call within its schedule): the calendar the service would use."""
    if tempo_path is not None:
        return read_tempo_file(Path(tempo_path))
    if config.tempo is None:
        return None
    calendar, error = asyncio.run(fetch_tempo(config, now))
    if calendar is None:
        print(
            _("plan: no Tempo calendar ({error}): planning without Tempo").format(error=error),
            file=err,
        )
    return calendar


def _tempo_line(config: Config, tempo: TempoCalendar, start: datetime, end: datetime) -> str:
    """The plan's Tempo line; with ``[tempo] fallback``, each colour with its source, and what
    the plan cannot know: the meter's colours, which the service reads live."""
    if config.tempo is None or config.tempo.fallback is None:
        return describe_tempo_days(tempo, start, end)
    kind = config.tempo.source.value
    words = []
    day = tempo_day(start)
    while day_start(day) < end:
        colour = tempo.colour(day)
        shown = colour_word(colour) + (f" ({source_label(kind)})" if colour else "")
        words.append(f"{i18n.day_name(day)} {day:%d} {shown}")
        day += timedelta(days=1)
    return (
        _("Tempo: {days}").format(days=", ".join(words))
        + "\n"
        + _(
            "Tempo fallback: for a day {source} has not published, the service uses the colour "
            "the meter carries, read live (not planned here)"
        ).format(source=source_label(kind))
    )


def _attach_words(config: Config) -> str:
    if config.board.on_exit is OnExit.KEEP:
        return _(
            "every relay as the rules want it at the start (persistent channels keep a state "
            "this cannot read)"
        )
    return _(
        "every relay as the board leaves it on attach: released, so `no` loads CUT and "
        "`nc` loads ON"
    )


def live_state(
    config: Config, now: datetime
) -> tuple[dict[int, Override], dict[int, RelayHistory], str]:
    """The state a running service keeps (or a stopped one saved): live overrides, latches,
    each relay's state and switch times; and how the text output names where it came from."""
    from tui.compose.files import StateStore, resolve_state_dir
    from tui.core.state_vetting import vet_saved_state

    store = StateStore(resolve_state_dir(config))
    if not store.path.exists():
        fresh = _("fresh: no saved state in {path} (no service has run there)")
        return {}, {}, fresh.format(path=store.path.parent)
    try:
        overrides, history, problem = store.load(keep=True)
    except OSError as error:
        problem = f"{store.path}: {error.strerror or error}"
    if problem:
        return {}, {}, _("fresh: the saved state is unreadable ({problem})").format(problem=problem)
    # Entries saved for other appliances are dropped, times from the future taken as now.
    vetted = vet_saved_state(
        config.channels, overrides, history, store.owners, now, store.path.name
    )
    overrides = {index: item for index, item in vetted.overrides.items() if item.active(now)}
    history = vetted.history
    words = [
        ngettext("{count} override", "{count} overrides", len(overrides)).format(
            count=len(overrides)
        )
    ]
    latched = [config.channel(index).name for index, item in history.items() if item.latched]
    if latched:
        words.append(_("latched: {names}").format(names=", ".join(latched)))
    return (
        overrides,
        history,
        (
            _(
                "live: the state saved in {path} ({words}; relays as they are now, with their "
                "switch times); --fresh ignores it"
            ).format(path=store.path, words="; ".join(words))
            + "".join(_("; {note}").format(note=note) for note in vetted.notes)
        ),
    )


def run_plan(
    config_path: str | None,
    forecast_path: str | None,
    start_text: str | None,
    hours_text: str | None,
    as_json: bool,
    out: TextIO,
    err: TextIO = sys.stderr,
    clock: Clock | None = None,
    fetch: Callable[[Config, datetime], Any] = fetch_forecast,
    tempo_path: str | None = None,
    fresh: bool = False,
) -> int:
    # Arguments first: a typo is reported before any file or network is touched.
    start = parse_from(start_text) if start_text is not None else None
    length = parse_hours(hours_text) if hours_text is not None else None
    config = load_config(find_config(config_path))
    now = (clock or SystemClock()).now().astimezone(UTC)
    if start is None:
        # Now itself, not the minute it is in: the live state holds switch times of the last
        # seconds, which a plan from the minute's start took as times from the future.
        start = now

    if forecast_path is not None:
        forecast = read_forecast_file(Path(forecast_path))
        where = forecast_path
    else:
        fetched, error = asyncio.run(fetch(config, now))
        if fetched is None:
            print(
                "plan: "
                + _("no forecast from source {source}: {error}").format(
                    source=config.ecowatt.source.value, error=error
                ),
                file=err,
            )
            return 1
        forecast = fetched
        where = _("the {source} forecast").format(source=config.ecowatt.source.value)

    if length is not None:
        end = start + length
    else:
        if forecast.until is None:
            raise InputError(
                f"{where}: " + _("holds no forecast hour; pass --hours N to plan anyway")
            )
        end = forecast.until
        if end <= start:
            raise InputError(
                "--from: "
                + _(
                    "{start} is at or after the end of {where} ({end}); pass an earlier --from "
                    "or --hours N"
                ).format(start=paris_iso(start), where=where, end=paris_iso(end))
            )

    overrides: dict[int, Override] = {}
    history: dict[int, RelayHistory] = {}
    origin = _("fresh: saved state ignored (--fresh)")
    if start_text is not None:
        origin = _(
            "fresh: --from is not now, so the live state does not apply; every relay as the "
            "rules want it then"
        )
    else:
        if not fresh:
            overrides, history, origin = live_state(config, start)
        if not history:
            # What a service starting now with nothing saved would find: the board's relays.
            history = released_on_attach(config)
            origin += _("; {note}").format(note=_attach_words(config))
        else:  # a relay whose saved entries were not its own: as the board leaves it
            history = {**released_on_attach(config), **history}
    tempo = _tempo(config, tempo_path, now, err)
    plan = plan_ahead(
        forecast=forecast,
        tempo=tempo,
        config=config,
        overrides=overrides,
        history=history,
        start=start,
        end=end,
    )
    if as_json:
        text = json.dumps(plan_to_json(plan, config), ensure_ascii=False, indent=2) + "\n"
    else:
        text = render_plan_text(plan, config, origin)
        if tempo is not None:
            head, _sep, rest = text.partition("\n")
            text = f"{head}\n{_tempo_line(config, tempo, start, end)}\n{rest}"
        if config.meter is not None:
            head, _sep, rest = text.partition("\n")
            text = f"{head}\n{_(METER_NOT_PLANNED)}\n{rest}"
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        # The reader left early (`delestage plan | head`): not an error, and no traceback
        # when the interpreter flushes stdout again on exit.
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
