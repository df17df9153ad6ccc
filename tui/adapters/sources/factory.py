"""The one place that turns ``[ecowatt]`` into a forecast source (service, `plan`, `check`)."""

import os
from collections.abc import Mapping
from pathlib import Path

from tui.adapters.config_file import config_relative
from tui.adapters.sources.base import ForecastSource
from tui.adapters.sources.demo import DemoSource
from tui.adapters.sources.file import FileSource
from tui.core.config import Config, Source


def forecast_file_path(config: Config) -> Path:
    """``[ecowatt] file``, relative to the configuration file's folder (``core.paths``)."""
    assert config.ecowatt.file is not None
    return config_relative(config, config.ecowatt.file)


def make_source(
    config: Config, state_dir: Path, environ: Mapping[str, str] | None = None
) -> ForecastSource:
    """The configured source. Raises InputError for unusable credentials (rte, sandbox).

    Sources need no clock: every call takes the time as an argument.
    """
    kind = config.ecowatt.source
    if kind is Source.DEMO:
        return DemoSource()
    if kind is Source.FILE:
        return FileSource(forecast_file_path(config))
    # The RTE client (and httpx) only for a live source: demo and file starts stay light.
    from tui.adapters.rte.cache import BodyCache
    from tui.adapters.rte.credentials import load_credentials
    from tui.adapters.rte.ecowatt import EcowattClient, cache_path, ecowatt_source
    from tui.adapters.rte.quota import QuotaGate

    credentials = load_credentials(config, os.environ if environ is None else environ)
    client = EcowattClient(
        config.ecowatt.base_url,
        credentials,
        sandbox=kind is Source.SANDBOX,
        timeout=config.ecowatt.timeout.total_seconds(),
    )
    return ecowatt_source(
        client,
        kind=kind.value,
        cache=BodyCache(cache_path(state_dir, kind.value), kind.value),
        # RTE's sandbox has no quota; only production calls are rationed.
        gate=QuotaGate(state_dir) if kind is Source.RTE else None,
    )
