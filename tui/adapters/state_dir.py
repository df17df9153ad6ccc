"""Where delestage keeps its state: overrides, switch history, forecast cache, events, socket."""

import os
from collections.abc import Mapping
from pathlib import Path

from tui.adapters.config_file import config_relative
from tui.core.config import Config


def resolve_state_dir(config: Config, environ: Mapping[str, str] | None = None) -> Path:
    """``[service] state_dir``, else $XDG_STATE_HOME/delestage, else ~/.local/state/delestage.

    A relative ``state_dir`` is relative to the configuration file's folder (``core.paths``)."""
    env = os.environ if environ is None else environ
    if config.service.state_dir:
        return config_relative(config, config.service.state_dir, env)
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "delestage"
