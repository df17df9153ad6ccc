"""The one place that turns ``[tempo]`` into a Tempo source (service, `plan`, `check`)."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tui.adapters.config_file import config_relative
from tui.adapters.sources.base import TempoCalendarSource
from tui.adapters.sources.demo import DemoTempoSource
from tui.adapters.sources.file import FileSource
from tui.adapters.tempo.file import read_tempo_file
from tui.core.config import Config, Source, TempoFromMeter

if TYPE_CHECKING:
    from tui.adapters.rte.session import RteSession


def tempo_file_path(config: Config) -> Path:
    """``[tempo] file``, relative to the configuration file's folder (``core.paths``)."""
    assert config.tempo is not None and config.tempo.file is not None
    return config_relative(config, config.tempo.file)


def make_tempo_source(
    config: Config,
    state_dir: Path,
    environ: Mapping[str, str] | None = None,
    session: "RteSession | None" = None,
) -> TempoCalendarSource | None:
    """The configured Tempo source, None when ``[tempo]`` is absent. Raises InputError for
    unusable credentials (rte, sandbox). ``session`` is the Ecowatt client's, shared when both
    talk to the same RTE: one application, one token."""
    tempo = config.tempo
    if tempo is None:
        return None
    if tempo.source is TempoFromMeter.TIC:
        return None  # the meter's frames: built beside the meter source (compose/service.py)
    if tempo.source is Source.DEMO:
        return DemoTempoSource()
    if tempo.source is Source.FILE:
        return FileSource(tempo_file_path(config), read_tempo_file)
    # The RTE client (and httpx) only for a live source: demo and file starts stay light.
    from tui.adapters.rte.cache import BodyCache
    from tui.adapters.rte.credentials import load_credentials
    from tui.adapters.rte.tempo import TempoClient, tempo_cache_path, tempo_gate, tempo_source

    if session is not None and session.base_url != tempo.base_url.rstrip("/"):
        session = None
    credentials = load_credentials(config, os.environ if environ is None else environ)
    client = TempoClient(
        tempo.base_url,
        credentials,
        sandbox=tempo.source is Source.SANDBOX,
        timeout=config.ecowatt.timeout.total_seconds(),
        session=session,
    )
    kind = tempo.source.value
    return tempo_source(
        client,
        kind=kind,
        cache=BodyCache(tempo_cache_path(state_dir, kind), kind, "Tempo calendar"),
        # Production calls are rationed across processes; the sandbox by the schedule alone.
        gate=tempo_gate(state_dir) if tempo.source is Source.RTE else None,
    )
