"""``source = "file"``: a recorded TIC capture replayed on the service clock, one frame a
second, from the start again at its end. Raw bytes (as read from the port) or one group per
line; read once at start (a bad file is one clear line, exit 2, from ``load_capture``)."""

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from tui.adapters.clock import Clock
from tui.adapters.meter.base import BoxedMeter, Notify, ReadingBox
from tui.core.errors import InputError
from tui.core.i18n import _
from tui.core.meter import reading_from_frame
from tui.core.tic import STX, Frame, FrameDecoder, decode_lines

FRAME_EVERY = timedelta(seconds=1)
MAX_CAPTURE = 64 * 1024 * 1024  # a day of 9600-baud TIC is about 80 MB raw: a few hours kept


def load_capture(path: Path) -> list[Frame]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CAPTURE + 1)
    except OSError as error:
        raise InputError(f"{path}: cannot read the TIC capture ({error.strerror})") from None
    if len(data) > MAX_CAPTURE:
        raise InputError(
            f"{path}: the TIC capture is larger than {MAX_CAPTURE // (1024 * 1024)} MB; "
            "keep a few hours of it"
        )
    if bytes([STX]) in data:
        frames = FrameDecoder().feed(data)
    else:
        frames = list(decode_lines(data.decode("ascii", errors="replace").splitlines()))
    if not any(reading_from_frame(frame, datetime.min) for frame in frames):
        raise InputError(
            f"{path}: no TIC frame with a power in it (expected SINSTS or PAPP groups, raw or "
            "one group per line)"
        )
    return frames


class ReplaySource(BoxedMeter):
    kind = "file"

    def __init__(self, path: Path, *, clock: Clock, stale_after: timedelta) -> None:
        self.path = path
        self.frames = load_capture(path)
        self.clock = clock
        self.box = ReadingBox(stale_after)
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def where(self) -> str:
        return _("capture {name}").format(name=self.path.name)

    @property
    def detail(self) -> str:
        return _("{count} frames replayed").format(count=len(self.frames))

    def start(self, notify: Notify) -> None:
        self.box.start(notify)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        position = 0
        while not self._stop.is_set():
            frame = self.frames[position % len(self.frames)]
            position += 1
            now = self.clock.now()
            reading = reading_from_frame(frame, now)
            if reading is not None:
                self.box.put(reading)
            await self.clock.sleep_until(now + FRAME_EVERY, self._stop)

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=1)
