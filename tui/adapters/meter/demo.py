"""``source = "demo"``: a simulated house on the service clock. Its load follows the relays
(each powered channel's ``power``), plus a base load and the day's spikes (kettles, an oven,
cooking: ``core.demo_house``), one reading a second, so the demo shows the power cap at work."""

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from tui.adapters.clock import Clock
from tui.adapters.meter.base import BoxedMeter, Notify, ReadingBox
from tui.core.config import Config
from tui.core.demo_house import demo_spikes, house_power
from tui.core.forecast import PARIS
from tui.core.i18n import _
from tui.core.meter import MeterReading

FRAME_EVERY = timedelta(seconds=1)
DEMO_LIMIT_VA = 9000
Powered = Callable[[], Mapping[int, bool | None]]


class DemoMeterSource(BoxedMeter):
    kind = "demo"

    def __init__(
        self, config: Config, *, clock: Clock, stale_after: timedelta, seed: int = 0
    ) -> None:
        self.config = config
        self.clock = clock
        self.seed = seed
        self.box = ReadingBox(stale_after)
        self.powered: Powered = dict
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        limit = config.meter.limit if config.meter is not None else None
        self.limit = limit or DEMO_LIMIT_VA

    def follow(self, powered: Powered) -> None:
        """Where the house reads which appliances are powered (the controller's relays)."""
        self.powered = powered

    @property
    def where(self) -> str:
        return _("demo house")

    @property
    def detail(self) -> str:
        return _("simulated house: base load, kettle, oven and cooking spikes, and the relays")

    def start(self, notify: Notify) -> None:
        self.box.start(notify)
        self._task = asyncio.create_task(self._run())

    def reading(self, now: datetime) -> MeterReading:
        day = now.astimezone(PARIS)
        spikes = demo_spikes(day, self.seed)
        power = house_power(now, self.config, self.powered(), spikes)
        return MeterReading(
            at=now,
            power_va=power,
            cutoff_va=self.limit,
            reference_va=self.limit,
            overrun=power > self.limit,
        )

    async def _run(self) -> None:
        while not self._stop.is_set():
            now = self.clock.now()
            self.box.put(self.reading(now))
            await self.clock.sleep_until(now + FRAME_EVERY, self._stop)

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=1)
