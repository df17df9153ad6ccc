"""`delestage init`: write a starter configuration for a real installation."""

import os.path
from datetime import timedelta
from typing import TextIO

from tui.adapters.config_file import write_config
from tui.core.config import BoardConfig, ChannelConfig, Config, EcowattConfig, ShedAt
from tui.frontends.boards_cmd import find_single_serial


def starter_config(serial: int | None = None) -> Config:
    """Live RTE data and a real 1017, with three example channels to rename and extend."""
    return Config(
        ecowatt=EcowattConfig(),
        board=BoardConfig(serial=serial),
        channels=(
            ChannelConfig(index=0, name="Chauffe-eau", shed_at=ShedAt.ORANGE, priority=3),
            ChannelConfig(
                index=1,
                name="Radiateurs",
                shed_at=ShedAt.RED,
                priority=1,
                min_off=timedelta(minutes=10),
            ),
            ChannelConfig(
                index=2,
                name="Borne VE",
                shed_at=ShedAt.ORANGE,
                priority=2,
                min_on=timedelta(minutes=5),
                min_off=timedelta(minutes=5),
            ),
        ),
    )


def run_init(path: str, force: bool, out: TextIO) -> int:
    # The board search only when the file will be written: a refusal should not wait for it.
    serial = find_single_serial(out) if force or not os.path.exists(path) else None
    write_config(path, starter_config(serial=serial), force=force)
    print(f"wrote {path}: edit the channels, then run `delestage check --config {path}`", file=out)
    return 0
