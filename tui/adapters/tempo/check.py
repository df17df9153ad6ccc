"""The "tempo" line of `delestage check`: does the configured Tempo source give a calendar?

For rte and sandbox it proves the credentials with a token request, then asks for the calendar
if the Tempo call-time file allows (never a call the service could not have made), else reports
from the cache. A 403 says the application is not subscribed to Tempo.
"""

import asyncio
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from tui.adapters.clock import SystemClock
from tui.adapters.rte.session import RteError
from tui.adapters.rte.source import RteSource
from tui.adapters.sources.file import FileSource
from tui.adapters.state_dir import resolve_state_dir
from tui.adapters.tempo.factory import make_tempo_source
from tui.core.config import Config
from tui.core.errors import InputError
from tui.core.forecast import clock_time
from tui.core.i18n import _
from tui.core.tempo import TempoCalendar, describe_today_tomorrow


def _describe(calendar: object, now: datetime, how: str | None = None) -> str:
    """``today red, tomorrow white (fetched now)``; ``how`` None: no origin to say."""
    if not isinstance(calendar, TempoCalendar):
        return _("no Tempo calendar")
    text = describe_today_tomorrow(calendar, now)
    if how is None:
        return text
    fetched = (
        _(", fetched {time}").format(time=clock_time(calendar.fetched, now))
        if calendar.fetched
        else ""
    )
    return f"{text} ({how}{fetched})"


async def check_tempo(
    config: Config, state_dir: Path, now: datetime, environ: Mapping[str, str] | None = None
) -> tuple[bool, str]:
    """(ok, one line) for the configured Tempo source; call only when [tempo] is present."""
    assert config.tempo is not None
    kind = config.tempo.source.value
    try:
        source = make_tempo_source(config, state_dir, environ)
    except InputError as error:
        return False, f"{kind}: " + "; ".join(error.problems)
    if source is None:  # source = "tic": the meter's frames carry the colours
        return True, f"{kind}: " + _("read from the meter's frames (see the meter line)")
    try:
        if not isinstance(source, RteSource):
            try:
                calendar = source.load_cached(now)
            except InputError as error:
                return False, f"{kind}: " + "; ".join(error.problems)
            origin = f" {source.path}" if isinstance(source, FileSource) else ""
            return calendar is not None, f"{kind}{origin}: {_describe(calendar, now)}"
        try:
            await source.check_credentials(now)
        except RteError as error:
            return False, f"{kind}: {error}"
        result = await source.refresh(now, manual=True)
        if result.data is not None:
            if result.called:
                text = _describe(result.data, now) + " (" + _("fetched now") + ")"
                return True, f"{kind}: " + _("credentials ok; {text}").format(text=text)
            text = _describe(result.data, now, _("from the cache"))
            return True, f"{kind}: " + _("credentials ok; {text}").format(text=text)
        if result.called:
            return False, f"{kind}: " + _("credentials ok, but {error}").format(error=result.error)
        cached = source.last
        text = _describe(cached, now, _("from the cache")) if cached else _("nothing cached yet")
        return True, f"{kind}: " + _("credentials ok; {error}; {text}").format(
            error=result.error, text=text
        )
    finally:
        await source.aclose()


def check_tempo_line(config: Config, environ: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """What `delestage check` prints on its tempo line, and whether it passed."""
    state_dir = resolve_state_dir(config, environ)
    ok, line = asyncio.run(check_tempo(config, state_dir, SystemClock().now(), environ))
    if config.tempo is not None and config.tempo.fallback is not None:
        line += _("; fallback: the meter's colours for a day it has none for (see the meter line)")
    return ok, line
