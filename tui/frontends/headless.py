"""`delestage --headless`: the service, with one log line per event on stdout.

SIGTERM and SIGINT stop it cleanly (stop event, on_exit policy, exit 0); SIGHUP reloads the
configuration, keeping the running one when the new file is invalid. Signals are caught from the
first moment (``early_signals``), before the configuration is even read.

The printer is a contained part of the controller: a closed pipe (`delestage --headless | head`),
a full disk under a redirected stdout, or a pipe nobody reads (`delestage --headless | (sleep
1000)`: lines are written from a thread, dropped when its queue is full) is reported once in the
event log and never reaches the loop; control characters in names or messages are shown
escaped, never sent to the terminal.
"""

import asyncio
import contextlib
import errno
import json
import os
import queue
import re
import select
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from tui.compose.files import load_config
from tui.compose.service import Service, build_controller
from tui.core.config import LogFormat
from tui.core.events import ErrorEvent, Event
from tui.frontends.early_signals import take_pending
from tui.frontends.event_text import event_line

_COLOURS = {
    "error": "31",
    "relay": "36",
    "override": "35",
    "board": "33",
    "forecast": "32",
    "tempo": "33",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``a\\nb`` for ``a<newline>b``: control characters shown, never obeyed by a terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


def _pause(seconds: float) -> None:
    """A short sleep that works under libfaketime in both modes: time.sleep fails with EINVAL
    when the monotonic clock is left unfaked (FAKETIME_DONT_FAKE_MONOTONIC, the clock-step
    tests), and timed thread waits never end when it is faked."""
    select.select([], [], [], seconds)


class StdoutStalled(OSError):
    """The reader of stdout stopped reading: lines are being dropped, the loop goes on."""


class EventPrinter:
    """Formats events and writes them to ``out`` without ever blocking the caller.

    On a real descriptor the writing happens on a thread fed through a bounded queue: a pipe
    that is open but never read (`delestage --headless | (sleep 1000)`) blocks that thread, not
    the control loop. When the queue is full, lines are dropped and counted; the first drop is
    raised (reported once by the containment), and when the reader is back the count is printed.
    """

    def __init__(self, out: TextIO, log_format: LogFormat, queue_lines: int = 1000) -> None:
        self.out = out
        self.json = log_format is LogFormat.JSON
        try:
            self.colour = out.isatty() and not os.environ.get("NO_COLOR")
        except (OSError, ValueError):
            self.colour = False
        self._closed: OSError | None = None
        self._write_error: OSError | None = None
        self.dropped = 0  # lines lost in all
        self._missed = 0  # lines lost since the reader last kept up
        try:
            self._fd: int | None = out.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=max(queue_lines, 2))
        self._writer: threading.Thread | None = None
        if self._fd is not None:
            self._writer = threading.Thread(target=self._drain, name="stdout writer", daemon=True)
            self._writer.start()

    def __call__(self, event: Event) -> None:
        if self._closed is not None:
            raise self._closed  # the reader is gone for good: stay reported as failing
        line = self._format(event)
        if self._writer is None:
            self._write_now(line)
            return
        self._enqueue(line, event)
        error = self._closed or self._write_error
        if error is not None:
            raise error

    def _format(self, event: Event) -> str:
        if self.json:
            text = json.dumps(event.to_dict(), ensure_ascii=False, default=str)
            return escape_controls(text) + "\n"
        line = escape_controls(event_line(event))
        colour = _COLOURS.get(event.kind)
        if self.colour and colour:
            line = f"\x1b[{colour}m{line}\x1b[0m"
        return line + "\n"

    def close(self, timeout: float = 2.0) -> None:
        """Let the writer finish what is queued, but never wait on a stalled reader for long."""
        if self._writer is None:
            return
        # Polled, not put(timeout=)/join(timeout): under libfaketime (the suite's runs at other
        # hours) a timed wait on a thread never times out, its clock not being the faked one.
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._queue.put_nowait(None)
                break
            except queue.Full:
                if time.monotonic() >= deadline:
                    return
                _pause(0.01)
        while self._writer.is_alive() and time.monotonic() < deadline:
            _pause(0.01)

    def _enqueue(self, text: str, event: Event) -> None:
        try:
            if self._missed:
                if self._queue.maxsize - self._queue.qsize() < 2:
                    raise queue.Full  # room for the note and the line, or still stalled
                # The reader is back once the queue has room again: say what it missed, as an
                # event line like the others (a JSON log stays JSON).
                note = ErrorEvent(
                    ts=event.ts,
                    what="event printer",
                    message=f"stdout is being read again: {self._missed} lines were dropped",
                    recovered=True,
                )
                self._queue.put_nowait(self._format(note))
                self._missed = 0
            self._queue.put_nowait(text)
        except queue.Full:
            self.dropped += 1
            self._missed += 1
            raise StdoutStalled(
                errno.EAGAIN, "stdout is not being read: dropping lines until it is"
            ) from None

    def _drain(self) -> None:
        while (text := self._queue.get()) is not None:
            try:
                self._write_fd(text)
            except OSError as error:
                if error.errno == errno.EPIPE:
                    self._closed = error
                    self._silence()
                    return
                self._write_error = error  # e.g. a full disk: the line is lost, say so
            else:
                self._write_error = None

    def _write_now(self, text: str) -> None:
        try:
            self.out.write(text)
            self.out.flush()
        except OSError as error:
            if error.errno == errno.EPIPE:
                self._closed = error
            raise

    def _write_fd(self, text: str) -> None:
        assert self._fd is not None
        # Straight to the descriptor: nothing stays buffered to fail again at exit.
        data = text.encode("utf-8", "backslashreplace")
        while data:
            data = data[os.write(self._fd, data) :]

    def _silence(self) -> None:
        """Point the closed stdout at /dev/null so that the interpreter's exit stays quiet."""
        try:
            fd = self.out.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (AttributeError, OSError, ValueError):
            pass


def standard_streams() -> list[str]:
    """Descriptors 0-2 that are closed at start (`delestage --headless >&-`, as some
    supervisors start a service) are pointed at /dev/null: otherwise the next file opened (the
    lock, the event log) would take the number 1 and receive what is printed. Returns the names
    of the streams that were closed."""
    closed = []
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(name)
            spare = os.open(os.devnull, os.O_RDWR)
            if spare != fd:
                os.dup2(spare, fd)
                os.close(spare)
    # Closed when the interpreter started (it left sys.stdout None): whatever holds the number
    # now is not our stdout (a library's file may have taken it since), so it is never written
    # to; what would be printed goes to /dev/null.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    for name in ("stdout", "stderr"):
        if getattr(sys, name).name == os.devnull and name not in closed:
            closed.append(name)
    return closed


def run_headless(path: Path, out: TextIO | None = None) -> int:
    closed = standard_streams()
    if "stdout" in closed and "stderr" not in closed:
        with contextlib.suppress(OSError, ValueError):
            print("delestage: stdout is closed; events go to the event log only", file=sys.stderr)
    out = out if out is not None else sys.stdout
    config = load_config(path)
    controller = build_controller(config)
    printer = EventPrinter(out, config.service.log_format)
    controller.add_listener(printer, "event printer")
    controller.acquire()
    try:
        asyncio.run(Service(controller).run(signals=path, early=take_pending))
    finally:
        printer.close()
    return 0
