"""`delestage history`: what the controller did, per Paris day and per channel.

Reads the history store in the state directory (catching it up with the event log first, or
rebuilding it from the log when it is missing or damaged, with one line on stderr saying so).
Text is a table with totals; ``--csv`` is DESIGN.md's columns, as a spreadsheet loads them;
``--json`` the same rows and totals as one object.
"""

import csv
import io
import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from tui.compose.files import (
    StoreDamaged,
    StoreUnavailable,
    find_config,
    load_config,
    open_for_reading,
    resolve_state_dir,
)
from tui.core.errors import InputError
from tui.core.forecast import PARIS
from tui.core.history import MAX_DAYS, DayRow, Totals, hours_minutes, totals
from tui.core.i18n import N_, _, ngettext, number_text, short_date
from tui.core.places import board_place
from tui.service.history_view import channel_infos, recorded_rows

if TYPE_CHECKING:  # the clock module imports asyncio: too slow to load for a one-shot command
    from tui.adapters.clock import Clock
    from tui.core.config import Config

CSV_COLUMNS = (
    "date",
    "channel",
    "name",
    "switches",
    "cut_minutes",
    "cut_strained_minutes",
    "forced_minutes",
    "energy_shed_kwh",
    # Added with the meter ([meter]): minutes cut by the power rule, and where the power that
    # energy_shed_kwh counts with comes from ("measured" by the meter, "configured", "").
    "cut_power_minutes",
    "power_source",
)
DEFAULT_DAYS = 7  # without --from: the last week, today included

# Several boards: each channel's board and relay on it, by channel number, as `plan` and
# `status` name them; empty for one board (whose output stays as it was).
Places = dict[int, tuple[str, int]]


def places_of(config: "Config") -> Places:
    return {c.index: (c.board, c.relay_on_board) for c in config.channels if c.board}


def parse_day(text: str, option: str) -> date:
    """A calendar day, ``YYYY-MM-DD`` (Paris)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{option}: "
            + _(
                "expected a date such as 2026-12-01 (YYYY-MM-DD, a day that exists), got {value}"
            ).format(value=repr(text))
        ) from None


def day_range(start_text: str | None, end_text: str | None, today: date) -> tuple[date, date]:
    last = parse_day(end_text, "--to") if end_text is not None else today
    first = (
        parse_day(start_text, "--from")
        if start_text is not None
        else last - timedelta(days=DEFAULT_DAYS - 1)
    )
    if start_text is not None and end_text is None and first > today:
        # Without --to, "after --to" would name a --to nobody typed (today).
        raise InputError(
            "--from: "
            + _(
                "{day} is in the future (today is {today}); history is the past: expected a day "
                "up to today"
            ).format(day=first, today=today)
        )
    if first > last:
        raise InputError(
            "--from: "
            + _("{first} is after --to {last}; expected --from ≤ --to").format(
                first=first, last=last
            )
        )
    if last > today:
        raise InputError(
            "--to: "
            + _("{day} is in the future (today is {today}); history is the past").format(
                day=last, today=today
            )
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise InputError(
            "--from/--to: "
            + _("{count} days from {first} to {last}; expected at most {most} days").format(
                count=(last - first).days + 1, first=first, last=last, most=MAX_DAYS
            )
        )
    return first, last


def _energy(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def render_csv(rows: list[DayRow], places: Places | None = None) -> str:
    """DESIGN.md's columns; with several boards two more at the end, ``board`` and ``relay``."""
    places = places or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((*CSV_COLUMNS, "board", "relay") if places else CSV_COLUMNS)
    for row in rows:
        where = list(places.get(row.channel, ("", ""))) if places else []
        writer.writerow(
            [
                row.day.isoformat(),
                row.channel,
                row.name,
                row.switches,
                row.cut_minutes,
                row.cut_strained_minutes,
                row.forced_minutes,
                _energy(row.energy_kwh),
                row.cut_power_minutes,
                row.power_source,
                *where,
            ]
        )
    return buffer.getvalue()


def _where(places: Places, channel: int) -> dict[str, str | int]:
    """``{"board": "garage", "relay": 3}`` with several boards, as `plan --json` says it."""
    if channel not in places:
        return {}
    board, relay = places[channel]
    return {"board": board, "relay": relay}


def render_json(
    rows: list[DayRow], first: date, last: date, damaged: int, places: Places | None = None
) -> str:
    places = places or {}
    channels: dict[int, str] = {row.channel: row.name for row in rows}
    document = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": [
            {
                "date": row.day.isoformat(),
                "channel": row.channel,
                "name": row.name,
                **_where(places, row.channel),
                "switches": row.switches,
                "cut_minutes": row.cut_minutes,
                "cut_strained_minutes": row.cut_strained_minutes,
                "forced_minutes": row.forced_minutes,
                "energy_shed_kwh": row.energy_kwh,
                "cut_power_minutes": row.cut_power_minutes,
                "power_source": row.power_source or None,
            }
            for row in rows
        ],
        "totals": {
            str(index): {
                "name": name,
                **_where(places, index),
                **totals(r for r in rows if r.channel == index).to_dict(),
            }
            for index, name in channels.items()
        },
        "total": totals(rows).to_dict(),
        "damaged_log_lines": damaged,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


_HEADER = (
    N_("date"),
    N_("ch"),
    N_("name"),
    N_("switches"),
    N_("cut"),
    N_("strained"),
    N_("forced"),
    N_("kWh"),
)


def _table_line(cells: tuple[str, ...], widths: list[int]) -> str:
    # Text columns to the left, numbers to the right.
    parts = [
        cell.ljust(width) if column in (0, 2) else cell.rjust(width)
        for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ]
    return "  ".join(parts).rstrip()


def render_text(
    rows: list[DayRow],
    first: date,
    last: date,
    recorded_from: date | None,
    places: Places | None = None,
) -> str:
    """The table; with several boards each channel's name says its board and relay, as
    `plan` does (``Pompe on board garage/3``)."""
    places = places or {}

    def named(channel: int, name: str) -> str:
        if channel not in places:
            return name
        return name + _(" on board {place}").format(place=board_place(*places[channel]))

    days = (last - first).days + 1
    lines = [
        ngettext(
            "History from {first} to {last} ({days} Paris day).",
            "History from {first} to {last} ({days} Paris days).",
            days,
        ).format(first=_long_date(first), last=_long_date(last), days=days),
        _("Times in hours:minutes: cut, of which strained (orange or red hours), forced by an"),
        _("operator; kWh: energy kept off the grid while strained."),
    ]
    if recorded_from is None:
        lines.append(_("Nothing recorded yet: the history starts with the service's first events."))
    elif recorded_from > first:
        words = _("Recorded since {day}; earlier days show nothing.")
        lines.append(words.format(day=_long_date(recorded_from)))
    # With the meter: the minutes cut for power (of the cut), and which energy is measured.
    power = any(row.cut_power_seconds for row in rows)
    measured = {row.channel for row in rows if row.power_source == "measured"}
    if power:
        lines.append(
            _("power: of the cut time, cut by the power rule to keep the meter from tripping.")
        )
    if measured:
        lines.append(_("kWh*: counted with the power the meter measured, not the configured one."))
    body: list[tuple[str, ...]] = []
    for row in rows:
        if not (row.switches or row.cut_seconds or row.forced_seconds):
            continue
        name = named(row.channel, row.name)
        cells = _row_cells(row.day.isoformat(), str(row.channel), name, totals([row]))
        body.append(_with_power(cells, totals([row]), power, row.channel in measured))
    channels: dict[int, str] = {row.channel: row.name for row in rows}
    footer = []
    for index, name in channels.items():
        value = totals(r for r in rows if r.channel == index)
        cells = _row_cells(_("total"), str(index), named(index, name), value)
        footer.append(_with_power(cells, value, power, index in measured))
    every = totals(rows)
    footer.append(
        _with_power(
            _row_cells(_("total"), "", _("all channels"), every), every, power, bool(measured)
        )
    )
    names = _HEADER if not power else (*_HEADER[:7], "power", _HEADER[7])
    header = tuple(_(cell) for cell in names)
    table = [header, *body, *footer]
    widths = [max(len(cells[k]) for cells in table) for k in range(len(header))]
    lines.append("")
    lines.append(_table_line(header, widths))
    if body:
        lines.extend(_table_line(cells, widths) for cells in body)
    else:
        lines.append(_("(no switch, cut or override on these days)"))
    lines.append(_table_line(tuple("-" * width for width in widths), widths))
    lines.extend(_table_line(cells, widths) for cells in footer)
    if body:
        lines.append("")
        lines.append(_("Days with nothing to report are left out; --csv lists every day."))
    return "\n".join(lines) + "\n"


def _with_power(
    cells: tuple[str, ...], value: Totals, power: bool, measured: bool
) -> tuple[str, ...]:
    """The row with its minutes cut for power (when any day has some) and its kWh marked
    ``*`` when measured."""
    energy = cells[7] + ("*" if measured and cells[7] != "-" else "")
    if not power:
        return (*cells[:7], energy)
    return (*cells[:7], hours_minutes(value.cut_power_minutes), energy)


def _row_cells(day: str, channel: str, name: str, value: Totals) -> tuple[str, ...]:
    return (
        day,
        channel,
        name,
        str(value.switches),
        hours_minutes(value.cut_minutes),
        hours_minutes(value.cut_strained_minutes),
        hours_minutes(value.forced_minutes),
        number_text(_energy(value.energy_kwh)) or "-",
    )


def _long_date(day: date) -> str:
    """``Tue 01 Dec 2026`` / ``mar. 01 déc. 2026``."""
    return f"{short_date(day)} {day.year}"


def run_history(
    config_path: str | None,
    start_text: str | None,
    end_text: str | None,
    output: str,
    out: TextIO,
    err: TextIO = sys.stderr,
    clock: "Clock | None" = None,
) -> int:
    now = clock.now() if clock is not None else datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    # Arguments first: a typo is reported before any file is touched.
    first, last = day_range(start_text, end_text, today)
    config = load_config(find_config(config_path))
    state_dir = resolve_state_dir(config)
    try:
        store, message = open_for_reading(state_dir)
    except (StoreDamaged, StoreUnavailable) as error:
        # Busy (locked past the wait), a directory in its place, nothing readable: one line;
        # the store is left as it is.
        print(f"history: {error}", file=err)
        return 1
    try:
        if message:
            print(f"history: {message}", file=err)
        channels = channel_infos(config)
        rows = recorded_rows(store, channels, first, last, now)
        damaged = store.damaged_lines()
        earliest = store.first_record()
    except (StoreDamaged, StoreUnavailable) as error:
        print(f"history: {error}", file=err)
        return 1
    finally:
        store.close()
    if damaged:
        words = ngettext(
            "{count} damaged event-log line skipped",
            "{count} damaged event-log lines skipped",
            damaged,
        )
        print("history: " + words.format(count=damaged), file=err)
    places = places_of(config)
    if output == "csv":
        text = render_csv(rows, places)
    elif output == "json":
        text = render_json(rows, first, last, damaged, places)
    else:
        recorded_from = None
        if earliest is not None:
            recorded_from = _paris_day(earliest)
        text = render_text(rows, first, last, recorded_from, places)
    # A reader that leaves early (`| head`) is handled once, by the command line's main.
    out.write(text)
    out.flush()
    return 0


def _paris_day(seconds: float) -> date:
    return datetime.fromtimestamp(seconds, UTC).astimezone(PARIS).date()
