"""Where each relay really is, against where the controller put it, and the retries.

The controller records in ``RelayHistory.powered`` the state it applied. The board says what it
holds (``RelayBoard.relay``). They differ when a command did not take (a USB timeout), or when
the relay moved without a command: an attach releases it, an unplug releases it, a failsafe
trip releases it. A ``Drift`` is such a difference while it lasts: the controller counts the
movement, puts the relay back (every attempt counted against the 20-per-minute rating), backs
off when attempts fail, and says so in the snapshot until the board agrees again.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.core.forecast import clock_time

RETRY_FIRST = timedelta(seconds=2)
RETRY_MAX = timedelta(minutes=5)


def retry_delay(failures: int) -> timedelta:
    """2 s after the first failed attempt, doubling, at most 5 min."""
    return min(RETRY_MAX, RETRY_FIRST * (1 << max(min(failures - 1, 16), 0)))


@dataclass
class Drift:
    since: datetime
    failures: int = 0  # attempts to put the relay back that the board did not take
    retry_at: datetime | None = None  # None: try now
    waiting_for: str = ""  # what holds the next attempt, in words
    unknown: bool = False  # the board cannot tell (after an attach), rather than elsewhere


class BoardSync:
    """The channels whose relay is not where the controller put it."""

    def __init__(self) -> None:
        self._drifts: dict[int, Drift] = {}
        self.unapplied: set[int] = set()  # commanded while the board was away

    def drift(self, channel: int) -> Drift | None:
        return self._drifts.get(channel)

    def start(self, channel: int, now: datetime) -> Drift:
        drift = self._drifts.get(channel)
        if drift is None:
            drift = self._drifts[channel] = Drift(since=now)
        return drift

    def failed(self, channel: int, now: datetime) -> Drift:
        drift = self.start(channel, now)
        drift.failures += 1
        drift.retry_at = now + retry_delay(drift.failures)
        drift.waiting_for = f"retry {drift.failures + 1}"
        return drift

    def hold(self, channel: int, until: datetime, why: str) -> None:
        drift = self._drifts[channel]
        drift.retry_at, drift.waiting_for = until, why

    def shift(self, delta: timedelta) -> None:
        """The wall clock stepped by ``delta``: every drift keeps its age and its backoff."""
        for drift in self._drifts.values():
            drift.since += delta
            if drift.retry_at is not None:
                drift.retry_at += delta

    def clear(self, channel: int) -> bool:
        """Forget the channel's drift; whether there was one."""
        self.unapplied.discard(channel)
        return self._drifts.pop(channel, None) is not None

    def next_retry(self) -> datetime | None:
        times = [d.retry_at for d in self._drifts.values() if d.retry_at is not None]
        return min(times) if times else None

    def words(self, channel: int, wanted: bool | None, now: datetime) -> str | None:
        """ "board's library has CUT, should be ON: retry 3 at 10:32:05"; None when in step (the
        words of every view: an appliance is ON or CUT). The library's memory, not the contacts:
        no relay board senses them, so this is a command the board did not confirm."""
        drift = self._drifts.get(channel)
        if drift is None or wanted is None:
            return None
        actual = "unknown" if drift.unknown else "CUT" if wanted else "ON"
        text = f"board's library has {actual}, should be {'ON' if wanted else 'CUT'}"
        if drift.retry_at is not None and drift.retry_at > now:
            when = clock_time(drift.retry_at, now)
            text += f": {drift.waiting_for} at {when}" if drift.waiting_for else f" until {when}"
        elif drift.failures:
            text += f": {drift.failures} attempt(s) failed"
        return text
