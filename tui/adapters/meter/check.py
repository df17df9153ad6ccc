"""`delestage check`'s meter line: open the configured meter, wait for one reading, say what it
says (mode, cut-off power, power now). A TIC line needs a frame or two, and up to two tries of
the baud: a few seconds."""

import asyncio
import threading
from datetime import timedelta

from tui.adapters.clock import SystemClock, wait_in_slices
from tui.adapters.meter.base import MeterSource
from tui.adapters.meter.factory import make_meter_source
from tui.core.config import Config
from tui.core.errors import InputError
from tui.core.i18n import _
from tui.core.meter_words import reading_words

WAIT = timedelta(seconds=12)


def check_meter_line(config: Config) -> tuple[bool, str]:
    clock = SystemClock()
    try:
        source = make_meter_source(config, clock)
    except InputError as error:
        return False, "; ".join(error.problems)
    if source is None:
        return True, _("no [meter]")
    if source.kind in ("demo", "file"):
        return True, f"{source.where}: {source.detail}"
    if source.kind == "mqtt":  # an asyncio client: one message on the topic, in a loop here
        return asyncio.run(_mqtt_line(source))
    arrived = threading.Event()
    source.start(arrived.set)
    try:
        wait_in_slices(arrived.is_set, WAIT.total_seconds())
        reading = source.latest
        if reading is None:
            box = getattr(source, "box", None)
            problem = getattr(box, "problem", None)
            why = f" ({problem})" if problem else ""
            return False, _("{where}: no valid frame in {seconds} s{why}; {detail}").format(
                where=source.where,
                seconds=f"{WAIT.total_seconds():g}",
                why=why,
                detail=source.detail,
            )
        return True, f"{source.where}: {reading_words(reading, now=True)}"
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()


async def _mqtt_line(source: MeterSource) -> tuple[bool, str]:
    arrived = asyncio.Event()
    loop = asyncio.get_running_loop()

    def notify() -> None:
        loop.call_soon_threadsafe(arrived.set)

    source.start(notify)
    try:
        await asyncio.wait_for(arrived.wait(), WAIT.total_seconds())
    except TimeoutError:
        pass
    finally:
        await source.aclose()
    reading = source.latest
    if reading is None:
        problem = getattr(getattr(source, "box", None), "problem", None)
        why = f" ({problem})" if problem else ""
        return False, _("{where}: no reading in {seconds} s{why}").format(
            where=source.where, seconds=f"{WAIT.total_seconds():g}", why=why
        )
    return True, f"{source.where}: {reading_words(reading, now=True, pref=False)}"
