"""Where delestage keeps its state: overrides, switch history, forecast cache, events, socket."""

import os
from collections.abc import Mapping
from pathlib import Path

from tui.core.config import Config


def resolve_state_dir(config: Config, environ: Mapping[str, str] | None = None) -> Path:
    """``[service] state_dir``, else $XDG_STATE_HOME/delestage, else ~/.local/state/delestage."""
    env = os.environ if environ is None else environ
    if config.service.state_dir:
        return Path(config.service.state_dir).expanduser()
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "delestage"
