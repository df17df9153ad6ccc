"""Forecast and Tempo sources for a configuration: used by `plan` and `check` (and by
``compose.service``, which wires the service's).

The RTE clients are imported only when a configured source is built or checked, so that a plan
from saved files never loads them.
"""

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tui.adapters.sources.base import ForecastSource, TempoCalendarSource
from tui.adapters.sources.file import read_forecast_file
from tui.adapters.tempo.file import read_tempo_file
from tui.core.config import Config
from tui.core.forecast import Forecast, paris_iso
from tui.core.tempo import TempoCalendar

if TYPE_CHECKING:
    from tui.adapters.rte.session import RteSession

__all__ = [
    "check_forecast_line",
    "check_meter_line",
    "check_tempo_line",
    "fetch_forecast",
    "fetch_tempo",
    "make_source",
    "make_tempo_source",
    "read_forecast_file",
    "read_tempo_file",
]


def make_source(
    config: Config, state_dir: Path, environ: Mapping[str, str] | None = None
) -> ForecastSource:
    """The ``[ecowatt]`` source. Raises InputError for unusable credentials (rte, sandbox)."""
    from tui.adapters.sources.factory import make_source as make

    return make(config, state_dir, environ)


def make_tempo_source(
    config: Config,
    state_dir: Path,
    environ: Mapping[str, str] | None = None,
    session: "RteSession | None" = None,
) -> TempoCalendarSource | None:
    """The ``[tempo]`` source, None without ``[tempo]``; ``session``: the forecast source's RTE
    session, shared when both talk to the same RTE. Raises InputError for unusable credentials."""
    from tui.adapters.tempo.factory import make_tempo_source as make

    return make(config, state_dir, environ, session=session)


async def fetch_forecast(config: Config, now: datetime) -> tuple[Forecast | None, str | None]:
    """The configured source's forecast (`plan`): the cache, else one refresh (quota
    respected); (None, why) when there is none."""
    from tui.adapters.state_dir import resolve_state_dir

    source = make_source(config, resolve_state_dir(config))
    try:
        forecast = source.load_cached(now)
        if forecast is not None:
            return forecast, None
        result = await source.refresh(now)
        if result.data is not None:
            return result.data, None
        error = result.error or "no forecast available"
        if result.retry_at is not None:
            error = f"{error} (next call allowed at {paris_iso(result.retry_at)})"
        return None, error
    finally:
        await source.aclose()


async def fetch_tempo(config: Config, now: datetime) -> tuple[TempoCalendar | None, str | None]:
    """The configured Tempo source's calendar (`plan`, with ``[tempo]``): its cache, else one
    call within its schedule; (None, why) when there is none."""
    from tui.adapters.state_dir import resolve_state_dir

    source = make_tempo_source(config, resolve_state_dir(config))
    if source is None:  # source = "tic": the meter's live frames, not planned
        return None, "the meter's Tempo colours are read live, not planned"
    try:
        cached = source.load_cached(now)
        if isinstance(cached, TempoCalendar):
            return cached, None
        result = await source.refresh(now)
        if isinstance(result.data, TempoCalendar):
            return result.data, None
        return None, result.error or "nothing published"
    finally:
        await source.aclose()


def check_forecast_line(
    config: Config, environ: Mapping[str, str] | None = None
) -> tuple[bool, str]:
    """`check`'s forecast line: (passed, words)."""
    from tui.adapters.sources.check import check_forecast_line as check

    return check(config, environ)


def check_meter_line(config: Config) -> tuple[bool, str]:
    """`check`'s meter line (with ``[meter]``): opens the meter and waits for a reading."""
    from tui.adapters.meter.check import check_meter_line as check

    return check(config)


def check_tempo_line(config: Config, environ: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """`check`'s tempo line (with ``[tempo]``): (passed, words)."""
    from tui.adapters.tempo.check import check_tempo_line as check

    return check(config, environ)
