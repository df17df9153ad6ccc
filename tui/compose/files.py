"""The configuration file, the state directory and what is kept in it (lock, saved state,
history store): used by every command that reads a configuration, the headless service and the
UI's launcher.

The stores are imported when a name of theirs is first asked for (PEP 562), so that `init`,
`check` or `status` load neither SQLite nor the store modules, as before they came through here.
"""

import importlib
from typing import TYPE_CHECKING

from tui.adapters.config_file import find_config, load_config, write_config_text
from tui.adapters.state_dir import resolve_state_dir

if TYPE_CHECKING:
    from tui.adapters.stores.history import StoreDamaged, StoreUnavailable, open_for_reading
    from tui.adapters.stores.lock import AlreadyRunning, ServiceLock
    from tui.adapters.stores.state import StateStore

__all__ = [
    "AlreadyRunning",
    "ServiceLock",
    "StateStore",
    "StoreDamaged",
    "StoreUnavailable",
    "find_config",
    "load_config",
    "open_for_reading",
    "resolve_state_dir",
    "write_config_text",
]

_STORES = {
    "StoreDamaged": "tui.adapters.stores.history",
    "StoreUnavailable": "tui.adapters.stores.history",
    "open_for_reading": "tui.adapters.stores.history",
    "AlreadyRunning": "tui.adapters.stores.lock",
    "ServiceLock": "tui.adapters.stores.lock",
    "StateStore": "tui.adapters.stores.state",
}


def __getattr__(name: str) -> object:
    module = _STORES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
