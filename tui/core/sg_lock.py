"""How long an SG-Ready heat pump may stay blocked, delestage's own bound (issue 25).

SG-Ready's blocked state mirrors a supplier's lock (EVU-Sperre), and those are bounded: at
most 2 hours at a time, a few times a day, each followed by a release at least as long. A heat
pump blocked for a whole red day would leave the home cold, so an automatic lock is bounded
the same way (``sg_ready = { max_blocked = "2h", blocked_rest = "2h" }``, the defaults):

- a lock (the channel cut by any automatic rule: a shed, Tempo, a latch, a low-carbon wait,
  the fallback) that has lasted ``max_blocked`` ends: the heat pump goes to its ``normal``
  order, "red 08:00-13:00: blocked 2h at most at a time (max_blocked), normal until 12:00";
- after a lock the heat pump is not blocked again before a release as long as that lock (at
  most ``blocked_rest``): "red 18:00-20:00: normal until 18:40, a release as long as the 40
  min lock before it (blocked_rest)".

An operator's order, a power cut (the meter would trip) and a rotation turn (short, shared by
itself) are never bounded. ``max_blocked = "0s"`` turns the bound off. The times come from the
relay's history: a cut starts a lock (``last_off``), a switch-on ends it (``last_on``).

Pure: no I/O, no clock; the time and the history come in as arguments.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.forecast import clock_time
from tui.core.i18n import _
from tui.core.pilot import Kind, PilotConfig


@dataclass(frozen=True)
class Release:
    """The heat pump kept on its normal order although the rules would block it."""

    until: datetime  # when it may be blocked again
    bounded: bool  # True: the lock reached max_blocked; False: the rest after a shorter one
    lock: timedelta  # how long the lock lasted (or has lasted)

    def words(self, reason: str, pilot: PilotConfig, now: datetime) -> str:
        time = clock_time(self.until, now)
        if self.bounded:
            text = _(
                "{reason}: blocked {most} at most at a time (max_blocked), normal until {time}"
            )
            return text.format(reason=reason, most=_hm(pilot.max_blocked), time=time)
        text = _(
            "{reason}: normal until {time}, a release as long as the {lock} lock before it "
            "(blocked_rest)"
        )
        return text.format(reason=reason, time=time, lock=_hm(self.lock))


def _hm(delta: timedelta) -> str:
    """``2h``, ``40 min``, ``1h30``: a lock's length in a reason."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("{minutes} min").format(minutes=max(minutes, 1))
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if rest else f"{hours}h"


def bounded(pilot: PilotConfig | None) -> bool:
    return pilot is not None and pilot.kind is Kind.SG_READY and bool(pilot.max_blocked)


def _rest(pilot: PilotConfig, lock: timedelta) -> timedelta:
    return min(lock, pilot.blocked_rest)


def release(
    pilot: PilotConfig | None,
    powered: bool | None,
    last_on: datetime | None,
    last_off: datetime | None,
    now: datetime,
) -> Release | None:
    """Whether a lock the rules want at ``now`` is refused, and until when; None: it is not.

    ``powered``, ``last_on`` and ``last_off``: the relay's history (the appliance's state,
    its latest switch-on and cut)."""
    if pilot is None or not bounded(pilot) or last_off is None:
        return None
    if powered is False:  # blocked since last_off
        lock = now - last_off
        if lock < pilot.max_blocked:
            return None
        return Release(now + _rest(pilot, lock), True, lock)
    if powered is True and last_on is not None and last_on > last_off:
        lock = last_on - last_off
        until = last_on + _rest(pilot, lock)
        if now < until:
            return Release(until, lock >= pilot.max_blocked, lock)
    return None


def edge(
    pilot: PilotConfig | None,
    powered: bool | None,
    last_on: datetime | None,
    last_off: datetime | None,
) -> datetime | None:
    """When the bound next changes what may be sent: a lock reaching ``max_blocked``, or the
    end of the release after one. None: nothing to wait for."""
    if pilot is None or not bounded(pilot) or last_off is None:
        return None
    if powered is False:
        return last_off + pilot.max_blocked
    if powered is True and last_on is not None and last_on > last_off:
        return last_on + _rest(pilot, last_on - last_off)
    return None
