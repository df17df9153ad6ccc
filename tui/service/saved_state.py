"""What the controller must not forget across a restart: overrides, each relay's switches and
the power rule's cuts (those of a relay saved for another appliance are dropped; a cut time from
the future is taken as now).

Loaded once at start (a damaged file is reported and set aside by the store), saved after every
change. A full or read-only disk must not stop the relays being driven: a failing save is a
contained part, reported once per streak, retried with the next change.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from tui.adapters.stores.base import StateStorage
from tui.core.config import ChannelConfig
from tui.core.policy import Override, RelayHistory
from tui.core.power_rule import PowerCut
from tui.core.state_vetting import Owner, owners_of, vet_saved_state
from tui.service.containment import Part


class SavedState:
    def __init__(self, store: StateStorage, part: Part) -> None:
        self.store = store
        self.overrides: dict[int, Override] = {}
        self.history: dict[int, RelayHistory] = {}
        # The power rule's cuts, kept in place: the meter feed updates them (meter_feed.py).
        self.power_cuts: dict[int, PowerCut] = {}
        # The appliance each relay's entries belong to, recorded with every save.
        self.owners: dict[int, Owner] = {}
        # Nothing is saved before the saved state was read: a start that fails early must
        # not overwrite the overrides and switch history it never loaded.
        self.loaded = False
        self._part = part

    def load(self, channels: Iterable[ChannelConfig], now: datetime) -> list[str]:
        """Take in the saved state for these channels (others are forgotten), vetted
        (``core.state_vetting``: entries saved for another appliance are dropped, times from
        the future clamped to ``now``); the problem with the file and every vetting note, one
        line each."""
        configured = list(channels)
        overrides, history, problem = self.store.load()
        vetted = vet_saved_state(
            configured, overrides, history, self.store.owners, now, self.store.path.name
        )
        self.owners = owners_of(configured)
        self.overrides.clear()
        self.overrides.update(vetted.overrides)
        self.history.clear()
        self.history.update(
            (channel.index, vetted.history.get(channel.index, RelayHistory()))
            for channel in configured
        )
        self.power_cuts.clear()
        self.power_cuts.update(_vetted_cuts(configured, self.store, now))
        self.loaded = True
        cuts_problem = self.store.power_cuts_problem
        return (
            ([problem] if problem else []) + vetted.notes + ([cuts_problem] if cuts_problem else [])
        )

    @property
    def unsaved(self) -> str | None:
        """Why the last save failed (a full disk...); None: saved."""
        return self._part.failing

    def save(self) -> None:
        if self.loaded:
            self._part.call(
                self.store.save, self.overrides, self.history, self.owners, self.power_cuts
            )


def _vetted_cuts(
    channels: list[ChannelConfig], store: StateStorage, now: datetime
) -> dict[int, PowerCut]:
    """The saved power cuts of configured channels, saved for the same appliance (or by a file
    that names none), their times no later than ``now``."""
    owners = store.owners
    configured = {channel.index: channel for channel in channels}
    return {
        index: replace(cut, at=min(cut.at, now))
        for index, cut in store.power_cuts.items()
        if index in configured
        and (owners is None or owners.get(index) == Owner.of(configured[index]))
    }
