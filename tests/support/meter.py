"""A meter source the test feeds by hand: each ``put`` is a frame that just arrived."""

from datetime import datetime, timedelta

from tui.adapters.meter.base import Move, Notify, ReadingBox
from tui.adapters.sources.base import RefreshResult
from tui.core.meter import MeterReading


class ScriptedMeter:
    kind = "tic"

    def __init__(self, stale_after: timedelta = timedelta(seconds=10)) -> None:
        self.box = ReadingBox(stale_after)
        self.started = False
        self.closed = False

    @property
    def where(self) -> str:
        return "tic on /dev/ttyTEST"

    @property
    def detail(self) -> str:
        return "standard, 9600 baud 7E1"

    @property
    def latest(self) -> MeterReading | None:
        return self.box.latest

    def put(self, at: datetime, power_va: int, **fields: object) -> None:
        fields.setdefault("cutoff_va", 9000)
        self.box.put(MeterReading(at=at, power_va=power_va, **fields))  # type: ignore[arg-type]

    def start(self, notify: Notify) -> None:
        self.started = True
        self.box.start(notify)

    def load_cached(self, now: datetime) -> MeterReading | None:
        return None

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[MeterReading]:
        return self.box.refresh(now, self.where)

    def next_refresh(self, now: datetime) -> datetime:
        return self.box.next_refresh(now)

    def shift(self, delta: timedelta, now: datetime, move: Move) -> None:
        self.box.shift(delta, now, move)

    async def aclose(self) -> None:
        self.closed = True
