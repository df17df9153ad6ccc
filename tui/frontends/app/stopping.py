"""What becomes of the relays when the controller stops: said before an in-process quit on a
real board, and shown by an attached UI once the service is gone.

``on_exit = "release"`` de-energises every relay, so a ``no`` load is cut and an ``nc`` load
powered; ``"keep"`` leaves every relay as it was. A service that died without its ``stop``
event (a crash, ``kill -9``) left the relays as they were, until a hardware failsafe releases
them.
"""

from dataclasses import replace
from datetime import datetime

from tui.core.config import Config, OnExit, Wiring
from tui.core.events import StopEvent
from tui.core.forecast import PARIS, clock_time
from tui.core.i18n import _
from tui.core.wiring import appliance_powered
from tui.service.snapshot import ChannelView, Snapshot


def on_exit_words(config: Config) -> str:
    """One sentence on what stopping does to the relays, naming the loads."""
    if config.board.on_exit is OnExit.KEEP:
        return _(
            "on_exit = keep: every relay stays as it is, so a load cut now stays cut until "
            "delestage runs again"
        )
    cut = [c.name for c in config.channels if not appliance_powered(c.wiring, False)]
    powered = [c.name for c in config.channels if appliance_powered(c.wiring, False)]
    parts = []
    if cut:
        parts.append(_("CUT ('no' wiring): {names}").format(names=", ".join(cut)))
    if powered:
        parts.append(_("ON ('nc' wiring): {names}").format(names=", ".join(powered)))
    return _("on_exit = release: every relay is released; ") + "; ".join(parts)


def gone_banner(stop: StopEvent | None, now: datetime, problem: str) -> str:
    """The loud line of an attached UI whose service is gone."""
    if stop is None:
        return _(
            "SERVICE LOST ({problem}): it stopped without a word (crash or kill); relays stay "
            "as it left them unless a failsafe releases them. Control is off; reconnecting…"
        ).format(problem=problem)
    when = _(" at {time}").format(time=clock_time(stop.ts, now))
    on_exit = stop.on_exit or "?"
    if on_exit == OnExit.RELEASE.value:
        done = _("relays released: 'no' loads CUT, 'nc' loads ON")
    elif on_exit == OnExit.KEEP.value:
        done = _("relays kept as they were")
    else:
        done = f"on_exit {on_exit}"
    pid = stop.pid
    who = f" (PID {pid})" if pid else ""
    return _(
        "SERVICE STOPPED{when}{who}: on_exit = {on_exit}, {done}. Nothing is controlled "
        "until it runs again; reconnecting…"
    ).format(when=when, who=who, on_exit=on_exit, done=done)


# The short banner's room: 80 columns less the banner's padding.
SHORT_WIDTH = 77


def gone_banner_short(stop: StopEvent | None, now: datetime) -> str:
    """The same in one line of an 80-column terminal, so that the answer line under the grid
    stays in sight at 80x24 (keys pressed while the service is gone answer there)."""
    if stop is None:
        return _("SERVICE LOST (crash or kill): relays stay as it left them; control is off")
    on_exit = stop.on_exit or "?"
    if on_exit == OnExit.RELEASE.value:
        done = _("relays released ('no' CUT, 'nc' ON)")
    elif on_exit == OnExit.KEEP.value:
        done = _("relays kept as they were")
    else:
        done = f"on_exit {on_exit}"
    # The stop's time as exactly as fits: an autumn night's repeated hour adds its zone
    # ("02:31:52 CEST"), which took the line past 80 columns and cut "control is off".
    local = stop.ts.astimezone(PARIS)
    line = ""
    for time in (clock_time(stop.ts, now), f"{local:%H:%M} {local.tzname()}", f"{local:%H:%M}"):
        line = _("SERVICE STOPPED {time}: {done}; control is off").format(time=time, done=done)
        if len(line) <= SHORT_WIDTH:
            break
    return line


def gone_channels(
    last: Snapshot, stop: StopEvent | None, known: dict[int, bool | None]
) -> tuple[ChannelView, ...]:
    """The rows as the stop left them: what on_exit did, and no promise of a next change."""
    released = stop is not None and stop.on_exit == OnExit.RELEASE.value
    rows = []
    for channel in last.channels:
        if released:
            powered: bool | None = appliance_powered(Wiring(channel.wiring), False)
            reason = _("service stopped: relay released (on_exit release)")
        elif stop is not None:
            powered = known.get(channel.index)
            reason = _("service stopped: relay kept as it was (on_exit keep)")
        else:
            powered = known.get(channel.index)
            reason = _("service lost: relay as it was left")
        rows.append(
            replace(channel, powered=powered, reason=reason, waiting=None, next_change=None)
        )
    return tuple(rows)
