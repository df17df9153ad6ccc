"""What the service needs of each store: four small protocols over the file and SQLite I/O.

- ``StateStorage``: the overrides and switch history, across restarts (``state.StateStore``).
- ``EventWriter``: the append-only event log (``eventlog.EventLog``).
- ``HistoryStorage``: the history SQLite store, fed from the log and read by the history view
  (``history.HistoryStore``).
- ``InstanceLock``: one service per state directory (``lock.ServiceLock``).

Each concrete store satisfies its protocol (checked by mypy at the end of this module); a test
or another back end can pass anything else that does.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tui.core.events import Event
from tui.core.history import Mark
from tui.core.policy import Override, RelayHistory
from tui.core.power_rule import PowerCut
from tui.core.state_vetting import Owner

if TYPE_CHECKING:
    from tui.adapters.stores.history import CatchUp


class StateStorage(Protocol):
    @property
    def path(self) -> Path:
        """The file, for messages."""
        ...

    def load(
        self, keep: bool = False
    ) -> tuple[dict[int, Override], dict[int, RelayHistory], str | None]:
        """(overrides, switch history, problem or None); never raises."""
        ...

    @property
    def owners(self) -> dict[int, Owner] | None:
        """The appliances the file read by the last ``load`` names per relay (None: a file from
        before they were recorded, or none read)."""
        ...

    @property
    def power_cuts(self) -> dict[int, PowerCut]:
        """The power rule's cuts the file read by the last ``load`` holds."""
        ...

    @property
    def power_cuts_problem(self) -> str | None:
        """What was wrong with those cuts (dropped alone), or None."""
        ...

    def save(
        self,
        overrides: dict[int, Override],
        history: dict[int, RelayHistory],
        owners: dict[int, Owner] | None = None,
        power_cuts: dict[int, PowerCut] | None = None,
    ) -> None:
        """Raises OSError when the state cannot be written; ``owners`` and the power rule's
        cuts are recorded with it."""
        ...


class EventWriter(Protocol):
    def write(self, event: Event) -> None:
        """Append one event; never raises (reports its own failures)."""
        ...

    def close(self) -> None: ...


class HistoryStorage(Protocol):
    @property
    def replaced(self) -> bool:
        """Whether another process rebuilt the file since it was opened."""
        ...

    def add(self, events: Iterable[Event]) -> int:
        """Record events; returns how many were new."""
        ...

    def catch_up(self, directory: Path) -> "CatchUp":
        """Read what is new in the log files of ``directory``."""
        ...

    def marks(self, start: float, end: float, channels: Iterable[int]) -> list[Mark]: ...

    def levels(self, start: float, end: float) -> dict[float, int]: ...

    def close(self) -> None: ...


class InstanceLock(Protocol):
    @property
    def held(self) -> bool: ...

    def acquire(self) -> None:
        """Raises AlreadyRunning when another process holds it."""
        ...

    def release(self) -> None: ...


if TYPE_CHECKING:
    from tui.adapters.stores.eventlog import EventLog
    from tui.adapters.stores.history import HistoryStore
    from tui.adapters.stores.lock import ServiceLock
    from tui.adapters.stores.state import StateStore

    _state: type[StateStorage] = StateStore
    _events: type[EventWriter] = EventLog
    _history: type[HistoryStorage] = HistoryStore
    _lock: type[InstanceLock] = ServiceLock
