"""The "forecast" line of `delestage check`: does the configured source give a forecast?

For rte and sandbox it proves the credentials with a token request (which RTE's signals quota
does not count), then fetches the signals if the shared quota allows, else reports from the
cache: it never makes a production call the service could not have made.
"""

import asyncio
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from tui.adapters.clock import SystemClock
from tui.adapters.rte.session import RteError
from tui.adapters.rte.source import RteSource
from tui.adapters.sources.factory import make_source
from tui.adapters.sources.file import FileSource
from tui.adapters.state_dir import resolve_state_dir
from tui.core.config import Config
from tui.core.errors import InputError
from tui.core.forecast import Forecast, clock_time, reach_words
from tui.core.i18n import _, ngettext


def _forecast_line(forecast: Forecast, now: datetime) -> str:
    """``"4 days until Mon 25 Nov 00:00, generated Wed 20 Nov 23:00"`` (Paris time)."""
    count = len(forecast.days) or len({s.start.date() for s in forecast.slots})
    text = ngettext("{count} day", "{count} days", count).format(count=count)
    text += reach_words(forecast.until, now) if forecast.until is not None else _(", no hours")
    if forecast.generated is not None:
        text += _(", generated {time}").format(time=clock_time(forecast.generated, now))
    return text


async def check_source(
    config: Config, state_dir: Path, now: datetime, environ: Mapping[str, str] | None = None
) -> tuple[bool, str]:
    """(ok, one line) for the configured forecast source."""
    kind = config.ecowatt.source.value
    try:
        source = make_source(config, state_dir, environ=environ)
    except InputError as error:
        return False, f"{kind}: " + "; ".join(error.problems)
    try:
        if not isinstance(source, RteSource):
            try:
                forecast = source.load_cached(now)
            except InputError as error:
                return False, f"{kind}: " + "; ".join(error.problems)
            if forecast is None:
                return False, f"{kind}: " + _("no forecast")
            origin = f" {source.path}" if isinstance(source, FileSource) else ""
            line = f"{kind}{origin}: {_forecast_line(forecast, now)}"
            return _covering(forecast, now, line)
        ok, line = await _check_live(source, now)
        if ok and source.last is not None and kind != "sandbox":
            # RTE's sandbox serves fixed 2022 data: not covering today is what it is for.
            return _covering(source.last, now, line)
        return ok, line
    finally:
        await source.aclose()


def _covering(forecast: Forecast, now: datetime, line: str) -> tuple[bool, str]:
    """A forecast that does not cover now would leave the service flying blind on its
    fallback: that is a failed check, whatever else is right with the source."""
    if forecast.level_at(now) is not None:
        return True, line
    if forecast.until is not None and forecast.until <= now:
        why = _("it ended {time}").format(time=clock_time(forecast.until, now))
    elif forecast.start is not None and forecast.start > now:
        why = _("it starts {time}").format(time=clock_time(forecast.start, now))
    else:
        why = _("the current hour is missing from it")
    return False, line + _("; does not cover now ({time}): {why}").format(
        time=clock_time(now, now), why=why
    )


async def _check_live(source: RteSource[Forecast], now: datetime) -> tuple[bool, str]:
    kind = source.kind
    try:
        await source.check_credentials(now)
    except RteError as error:
        return False, f"{kind}: {error}"
    result = await source.refresh(now, manual=True)
    if result.data is not None:
        how = _("fetched now") if result.called else _cached_text(result.data, now)
        return True, f"{kind}: " + _("credentials ok; {forecast} ({how})").format(
            forecast=_forecast_line(result.data, now), how=how
        )
    if result.called:
        return False, f"{kind}: " + _("credentials ok, but {error}").format(error=result.error)
    cached = source.last
    if cached is None:
        return True, f"{kind}: " + _("credentials ok; {error}; no cached forecast yet").format(
            error=result.error
        )
    return True, f"{kind}: " + _("credentials ok; {error}; cached: {forecast} ({how})").format(
        error=result.error,
        forecast=_forecast_line(cached, now),
        how=_cached_text(cached, now),
    )


def _cached_text(forecast: Forecast, now: datetime) -> str:
    if forecast.fetched is None:
        return _("from the cache")
    return _("from the cache, fetched {time}").format(time=clock_time(forecast.fetched, now))


def check_forecast_line(
    config: Config, environ: Mapping[str, str] | None = None
) -> tuple[bool, str]:
    """What `delestage check` prints on its forecast line, and whether it passed."""
    state_dir = resolve_state_dir(config, environ)
    return asyncio.run(check_source(config, state_dir, SystemClock().now(), environ))
