"""The status line (mode, link, board, level, clock) and the banner under it."""

from datetime import datetime

from rich.style import Style
from rich.text import Text

from tui.core import i18n
from tui.core.i18n import _, short_date
from tui.frontends.app.pane import Pane
from tui.frontends.app.tempo_text import header_text
from tui.frontends.app.text import level_text_style, level_word, mode_word, paris
from tui.service.snapshot import Snapshot

TITLE = Style(bold=True)
MODE_STYLES = {
    "DEMO": Style(color="#000000", bgcolor="#fdd835", bold=True),
    "SANDBOX": Style(color="#000000", bgcolor="#fdd835", bold=True),
    "LIVE": Style(color="#ffffff", bgcolor="#1565c0", bold=True),
}
ALERT = Style(color="#ffffff", bgcolor="#b71c1c", bold=True)
NOTICE = Style(color="#000000", bgcolor="#fdd835")
OK = Style(color="#66bb6a", bold=True)


def status_parts(
    snapshot: Snapshot | None,
    description: str,
    now: datetime,
    connected: bool,
    wide: bool,
    stopped: bool = False,
) -> list[tuple[Text, int]]:
    """(text, priority) pieces; the lowest priorities go first when space is short.
    ``stopped``: the service said its stop; it closed its board on the way, which says
    nothing of the board (no BOARD DETACHED in the stopped service's last frames)."""
    local = paris(now)
    parts: list[tuple[Text, int]] = [(Text("delestage", style=TITLE), 0)]
    if snapshot is not None:
        mode = mode_word(snapshot.mode)
        style = MODE_STYLES.get(snapshot.mode.upper(), TITLE)
        parts.append((Text(f" {mode} ", style=style), 9))
    parts.append((Text(link_words(description)), 8))
    if not connected:
        parts.append((Text(_(" DISCONNECTED "), style=ALERT), 9))
    if snapshot is not None and connected and not stopped:  # a gone service: nothing of it
        board = snapshot.board
        kind = board.revision or board.kind
        if board.attached:
            words = _("board {kind}: attached").format(kind=kind) if wide else _("board attached")
            parts.append((Text(words, OK), 7))
        else:
            words = detached_words(snapshot)
            shown = _(" BOARD DETACHED ") if words == "BOARD DETACHED" else f" {words} "
            parts.append((Text(shown, style=ALERT), 9))
    if snapshot is not None:
        level = Text(_("level "))
        level.append(level_word(snapshot.level), style=level_text_style(snapshot.level))
        parts.append((level, 9))
        if snapshot.tempo is not None:
            parts.append((header_text(snapshot.tempo, wide), 8))
        if snapshot.meter is not None:
            parts.append((meter_text(snapshot), 8))
        if snapshot.mqtt is not None:
            up = snapshot.mqtt.state == "connected"
            mqtt = Text(_("mqtt ok"), OK) if up else Text(_(" MQTT DOWN "), style=NOTICE)
            parts.append((mqtt, 6))
    clock = f"{short_date(local.date())} {local:%H:%M}" if wide else f"{local:%H:%M}"
    parts.append((Text(clock, style=TITLE), 9))
    return parts


def link_words(description: str) -> str:
    """The link's description (``in-process``, ``attached to PID 12``) in the language in use."""
    if description == "in-process":
        return _("in-process")
    if description.startswith("attached to PID "):
        return _("attached to PID {pid}").format(pid=description.removeprefix("attached to PID "))
    if description == "attached" and i18n.french():  # "attached" alone is the board's word
        return _("attached to the service")
    return description


def detached_words(snapshot: Snapshot) -> str:
    """What is not attached: "BOARD DETACHED" (the only board), "BOARD garage DETACHED" (one of
    several), "RELAY 3 DETACHED" / "RELAYS 3, 5 DETACHED" (a board there, one relay not)."""
    board = snapshot.board
    named = board.detached_boards
    on_named = {channel.index for channel in snapshot.channels if channel.board in named and named}
    relays = [index for index in board.unattached if index not in on_named]
    every = {channel.index for channel in snapshot.channels}
    if not named and (not relays or set(relays) >= every):
        return "BOARD DETACHED"
    words = []
    if named:
        noun = "BOARD" if len(named) == 1 else "BOARDS"
        words.append(f"{noun} {', '.join(named)} DETACHED")
    if relays:
        noun = "RELAY" if len(relays) == 1 else "RELAYS"
        words.append(f"{noun} {', '.join(str(index) for index in relays)} DETACHED")
    return "; ".join(words)


def meter_text(snapshot: Snapshot) -> Text:
    """``4.2 / 9 kVA``; the trip filter when it climbs; a stale or tripped meter loudly."""
    meter = snapshot.meter
    assert meter is not None
    if meter.state == "stale":
        return Text(_(" METER STALE "), style=ALERT)
    if meter.state == "tripped":
        return Text(_(" METER TRIPPED "), style=ALERT)
    if meter.state == "waiting":
        return Text(_("meter: waiting"))
    # ", " and not ",": in French the power itself has a decimal comma ("6,5 / 9 kVA").
    words = Text(meter.words.split(", ")[0])
    if meter.trip_in_s is not None:
        words.append(_(" trip in {seconds} s").format(seconds=round(meter.trip_in_s)), style=NOTICE)
    elif meter.filter_level >= 0.5:
        words.append(_(" filter {percent}%").format(percent=round(meter.filter_level * 100)))
    return words


def fit_parts(parts: list[tuple[Text, int]], width: int) -> Text:
    """Join the pieces two spaces apart, the last one (the clock) at the right edge, dropping
    the least important pieces until they fit."""
    kept = list(parts)
    while kept:
        line = Text("  ").join(text for text, _ in kept[:-1])
        clock = kept[-1][0]
        if line.cell_len + 2 + clock.cell_len <= width:
            line.pad_right(width - line.cell_len - clock.cell_len)
            line.append_text(clock)
            return line
        del kept[min(range(len(kept)), key=lambda i: (kept[i][1], -i))]
    return Text()


WIDE_BANNER = 110  # below this width, a gone service's banner takes its one-line form


class StatusLine(Pane):
    def __init__(self, description: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.description = description
        self.snapshot: Snapshot | None = None
        self.now: datetime | None = None
        self.connected = True
        self.stopped = False

    def show(
        self,
        snapshot: Snapshot | None,
        now: datetime,
        connected: bool = True,
        stopped: bool = False,
    ) -> None:
        self.snapshot, self.now, self.connected, self.stopped = snapshot, now, connected, stopped
        self.changed()

    def build(self, width: int) -> Text:
        if self.now is None:
            return Text("delestage", style=TITLE)
        wide = width >= 110
        parts = status_parts(
            self.snapshot, self.description, self.now, self.connected, wide, self.stopped
        )
        return fit_parts(parts, width)


def banner_lines(
    snapshot: Snapshot | None, connected: bool, problem: str, stopped: bool = False
) -> list[Text]:
    lines: list[Text] = []
    if not connected:
        lines.append(Text(f" {problem} ", style=ALERT))
    if snapshot is None:
        return lines
    board = snapshot.board
    if not connected or stopped:
        pass  # the board's state is the gone (or stopping) service's to know
    elif not board.attached:
        why = f" ({board.message})" if board.message else ""
        what = detached_words(snapshot)
        states = "relay states" if what == "BOARD DETACHED" else "their relay states"
        lines.append(
            Text(
                f" {what}{why}: {states} UNKNOWN; wishes apply when it is back "
                if what != "BOARD DETACHED"
                else _(
                    " BOARD DETACHED{why}: relay states UNKNOWN; wishes apply when it is back "
                ).format(why=why),
                style=ALERT,
            )
        )
    elif board.message:
        lines.append(Text(_(" Board: {message} ").format(message=board.message), style=ALERT))
    if not connected:
        return lines  # the gone service's line says it all; the rows below need the room
    if snapshot.mode == "demo":
        lines.append(
            Text(
                _(" DEMO: simulated relay board and synthetic forecast; nothing real is switched "),
                style=NOTICE,
            )
        )
    elif snapshot.mode == "sandbox":
        lines.append(Text(_(" SANDBOX: RTE's fixed test data, not today's signal "), style=NOTICE))
    if snapshot.mode != "demo" and board.kind == "simulated":
        lines.append(Text(_(" Simulated board: no relay really switches "), style=NOTICE))
    return lines


class Banner(Pane):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[Text] = []
        self.short: list[Text] = []

    def show(
        self,
        snapshot: Snapshot | None,
        connected: bool,
        problem: str = "",
        notice: str = "",
        short_problem: str = "",
        stopped: bool = False,
    ) -> None:
        """``short_problem``: the gone service's line for narrow terminals (below WIDE)."""
        self.lines = banner_lines(snapshot, connected, problem, stopped)
        self.short = banner_lines(snapshot, connected, short_problem or problem, stopped)
        if notice:
            self.lines.insert(0, Text(f" {notice} ", style=ALERT))
            self.short.insert(0, Text(f" {notice} ", style=ALERT))
        self.display = bool(self.lines)
        self.changed()

    def build(self, width: int) -> Text:
        return Text("\n").join(self.lines if width >= WIDE_BANNER else self.short)
