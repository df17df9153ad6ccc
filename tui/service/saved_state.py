"""What the controller must not forget across a restart: overrides and each relay's switches.

Loaded once at start (a damaged file is reported and set aside by the store), saved after every
change. A full or read-only disk must not stop the relays being driven: a failing save is a
contained part, reported once per streak, retried with the next change.
"""

from collections.abc import Iterable

from tui.adapters.stores.base import StateStorage
from tui.core.policy import Override, RelayHistory
from tui.service.containment import Part


class SavedState:
    def __init__(self, store: StateStorage, part: Part) -> None:
        self.store = store
        self.overrides: dict[int, Override] = {}
        self.history: dict[int, RelayHistory] = {}
        # Nothing is saved before the saved state was read: a start that fails early must
        # not overwrite the overrides and switch history it never loaded.
        self.loaded = False
        self._part = part

    def load(self, channels: Iterable[int]) -> str | None:
        """Take in the saved state for these channels (others are forgotten); the problem
        with the file, if any."""
        overrides, history, problem = self.store.load()
        configured = set(channels)
        self.overrides.clear()
        self.overrides.update((ch, o) for ch, o in overrides.items() if ch in configured)
        self.history.clear()
        self.history.update((ch, history.get(ch, RelayHistory())) for ch in configured)
        self.loaded = True
        return problem

    def save(self) -> None:
        if self.loaded:
            self._part.call(self.store.save, self.overrides, self.history)
