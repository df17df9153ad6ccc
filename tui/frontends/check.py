"""`delestage check`: validate the configuration and say, line by line, what was checked."""

from typing import TextIO

from tui.adapters.config_file import find_config, load_config
from tui.core.config import Config


def describe_config(config: Config) -> str:
    names = ", ".join(f"{channel.index}:{channel.name}" for channel in config.channels)
    return (
        f"{config.path}: valid; {len(config.channels)} channel(s) ({names}); "
        f"forecast source {config.ecowatt.source.value}; board {config.board.kind.value}"
    )


def run_check(config_path: str | None, out: TextIO) -> int:
    config = load_config(find_config(config_path))
    print(f"config    ok    {describe_config(config)}", file=out)
    return 0
