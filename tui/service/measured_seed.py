"""Each channel's measured power across a restart: the last measure the history store holds.

The meter measures a channel only when its relay switches, so a restarted service would show
no measured power for hours; the history store keeps every ``measured`` meter event, and the
last one of each channel starts the estimator again (a first new step then joins it). Read
once, read-only, before the loop starts; a store missing, busy or damaged seeds nothing.
"""

import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from tui.adapters.stores.history import HistoryStore, store_path
from tui.core.measured_power import seeded
from tui.service.meter_feed import MeterFeed

log = logging.getLogger(__name__)


def seed_measured(feed: MeterFeed, state_dir: Path, channels: Iterable[int], now: datetime) -> None:
    path = store_path(state_dir)
    if not path.is_file():
        return
    with contextlib.suppress(Exception):
        store = HistoryStore(path, readonly=True, busy_timeout=0.5)
        try:
            series = store.measured(now.timestamp(), list(channels))
        finally:
            store.close()
        feed.measured = seeded(feed.measured, {i: watts[-1][1] for i, watts in series.items()})
        return
    log.warning("measured powers not read from the history store %s", path)
