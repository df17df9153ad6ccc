"""The Linky's TIC on a serial line, read with pyserial (``serial_for_url``: a device path,
``rfc2217://host:port`` or ``socket://host:port``), 7 data bits, even parity, 1 stop bit.

A thread reads (never the event loop): bytes go through the pure ``FrameDecoder``, each frame
with a power becomes a reading in the ``ReadingBox``. The mode is detected by itself:

- ``baud = None`` ("auto") starts at the last baud that worked (9600 first), and switches to the
  other when no valid group arrived for ``DETECT`` seconds (a wrong baud reads only garbage),
  or when the groups that do decode say the other mode (a line that carries bytes as they are);
- the port is reopened with a backoff (1 s doubling to 30 s) when it fails or closes (an
  unplugged dongle, a closed pseudo-terminal, a network port gone), and the trouble is said.
"""

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import serial

from tui.adapters.clock import Clock, wait_in_slices
from tui.adapters.meter.base import BoxedMeter, Notify, ReadingBox
from tui.core.i18n import _
from tui.core.meter import reading_from_frame
from tui.core.tic import FrameDecoder, Mode

DETECT = 4.0  # seconds without a valid group before trying the other baud (a frame at 1200
# baud takes about 2 s)
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0
READ_TIMEOUT = 0.05
BAUDS = (9600, 1200)
Opener = Callable[..., Any]


class TicSource(BoxedMeter):
    kind = "tic"

    def __init__(
        self,
        port: str,
        *,
        clock: Clock,
        stale_after: timedelta,
        baud: int | None = None,
        opener: Opener = serial.serial_for_url,
        monotonic: Callable[[], float] = time.monotonic,
        detect: float = DETECT,
    ) -> None:
        self.port = port
        self.fixed = baud
        self.baud = baud or BAUDS[0]
        self.clock = clock
        self.box = ReadingBox(stale_after)
        self._opener = opener
        self._monotonic = monotonic
        self.detect = detect
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._serial: Any = None
        self.decoder = FrameDecoder()
        self.mode: Mode | None = None
        self.opened = 0  # how many times the port was opened (reopens, baud switches)
        self.port_open = threading.Event()  # set while the port is open

    # -- Source --------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return _("tic on {port}").format(port=self.port)

    @property
    def detail(self) -> str:
        mode = f"{self.mode.value}, " if self.mode else ""
        stats = self.decoder.stats
        return mode + _("{baud} baud 7E1, {frames} frames, {garbled} garbled groups").format(
            baud=self.baud, frames=stats.frames, garbled=stats.garbled
        )

    def start(self, notify: Notify) -> None:
        self.box.start(notify)
        self._thread = threading.Thread(target=self._run, name="tic reader", daemon=True)
        self._thread.start()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)  # joining the reader thread: off the loop

    def close(self) -> None:
        self._stop.set()
        port = self._serial
        if port is not None:
            with contextlib.suppress(Exception):  # a port already gone: nothing to cancel
                port.cancel_read()
        if self._thread is not None:
            self._thread.join(timeout=2)

    # -- the reader thread ---------------------------------------------------------------------

    def _open(self) -> Any:
        return self._opener(
            self.port,
            baudrate=self.baud,
            bytesize=serial.SEVENBITS,
            parity=serial.PARITY_EVEN,
            stopbits=serial.STOPBITS_ONE,
            timeout=READ_TIMEOUT,
        )

    def _pause(self, seconds: float) -> None:
        wait_in_slices(self._stop.is_set, seconds)

    def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while not self._stop.is_set():
            try:
                self._serial = self._open()
            except (serial.SerialException, OSError, ValueError) as error:
                self.box.trouble(f"cannot open {self.port}: {_words(error)}")
                self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            self.opened += 1
            self.port_open.set()
            try:
                if self._read(self._serial):
                    backoff = BACKOFF_FIRST
            except (serial.SerialException, OSError) as error:
                self.box.trouble(f"{self.port} failed: {_words(error)}; reopening")
                self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            finally:
                with contextlib.suppress(Exception):  # a failed port: nothing more to do
                    self._serial.close()
                self._serial = None
                self.port_open.clear()

    def _read(self, port: Any) -> bool:
        """Read until stopped, a baud switch (returns True) or a failure (raises)."""
        decoder = self.decoder
        good_groups = decoder.stats.groups
        since = self._monotonic()
        got_any = False
        while not self._stop.is_set():
            data = port.read(max(1, min(port.in_waiting, 4096)))
            if not data:
                if self.fixed is None and self._monotonic() - since > self.detect:
                    self._switch(None)
                    return got_any
                continue
            for frame in decoder.feed(data):
                self.mode = frame.mode
                reading = reading_from_frame(frame, self.clock.now())
                if reading is not None:
                    self.box.put(reading)
                    got_any = True
                if self.fixed is None and frame.mode.baud != self.baud:
                    self._switch(frame.mode)
                    return got_any
            if decoder.stats.groups != good_groups:
                good_groups = decoder.stats.groups
                since = self._monotonic()
            elif self.fixed is None and self._monotonic() - since > self.detect:
                self._switch(None)
                return got_any
        return got_any

    def _switch(self, mode: Mode | None) -> None:
        self.baud = mode.baud if mode else (1200 if self.baud == 9600 else 9600)
        self.decoder.feed(bytes([0x04]))  # whatever was half-read belongs to the old baud


def _words(error: BaseException) -> str:
    text = str(error).strip()
    return text or type(error).__name__
