"""`delestage --headless`: the service, with one log line per event on stdout.

SIGTERM and SIGINT stop it cleanly (stop event, on_exit policy, exit 0); SIGHUP reloads the
configuration, keeping the running one when the new file is invalid. Signals are caught from the
first moment (``early_signals``), before the configuration is even read.

The printer is a contained part of the controller: a closed pipe (`delestage --headless | head`)
or a full disk under a redirected stdout is reported once in the event log and never reaches the
loop; control characters in names or messages are shown escaped, never sent to the terminal.
"""

import asyncio
import errno
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from tui.adapters.config_file import load_config
from tui.core.config import LogFormat
from tui.core.errors import InputError
from tui.frontends.early_signals import take_pending
from tui.frontends.mqtt.service import MqttFrontend
from tui.service.controller import Controller
from tui.service.event_text import event_line
from tui.service.runtime import build_controller, serve

_COLOURS = {"error": "31", "relay": "36", "override": "35", "board": "33", "forecast": "32"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``a\\nb`` for ``a<newline>b``: control characters shown, never obeyed by a terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


class EventPrinter:
    def __init__(self, out: TextIO, log_format: LogFormat) -> None:
        self.out = out
        self.json = log_format is LogFormat.JSON
        try:
            self.colour = out.isatty() and not os.environ.get("NO_COLOR")
        except (OSError, ValueError):
            self.colour = False
        self._closed: OSError | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        if self._closed is not None:
            raise self._closed  # the reader is gone for good: stay reported as failing
        if self.json:
            line = escape_controls(json.dumps(event, ensure_ascii=False, default=str))
        else:
            line = escape_controls(event_line(event))
            colour = _COLOURS.get(str(event.get("kind")))
            if self.colour and colour:
                line = f"\x1b[{colour}m{line}\x1b[0m"
        try:
            self._write(line + "\n")
        except OSError as error:
            if error.errno == errno.EPIPE:
                self._closed = error
                self._silence()
            raise

    def _write(self, text: str) -> None:
        try:
            fd = self.out.fileno()
        except (AttributeError, OSError, ValueError):
            self.out.write(text)
            self.out.flush()
            return
        # Straight to the descriptor: nothing stays buffered to fail again at exit.
        data = text.encode("utf-8", "backslashreplace")
        while data:
            data = data[os.write(fd, data) :]

    def _silence(self) -> None:
        """Point the closed stdout at /dev/null so that the interpreter's exit stays quiet."""
        try:
            fd = self.out.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (AttributeError, OSError, ValueError):
            pass


def _reload(controller: Controller, path: Path, mqtt: MqttFrontend) -> None:
    try:
        config = load_config(path)
    except InputError as error:
        for problem in error.problems:
            controller.log_error("config", f"reload rejected: {problem}")
        controller.log_error("config", "reload rejected: keeping the running configuration")
        return
    problem = controller.reload(config)
    if problem:
        controller.log_error("config", problem)
    else:
        controller.log_reload()
        mqtt.apply(config)


async def _main(controller: Controller, path: Path) -> None:
    loop = asyncio.get_running_loop()
    # The MQTT bridge is a front end beside this logger: it fails alone, never the loop.
    mqtt = MqttFrontend(controller, controller.report_mqtt, controller.log_error)
    mqtt.apply(controller.config)
    loop.add_signal_handler(signal.SIGTERM, controller.stop)
    loop.add_signal_handler(signal.SIGINT, controller.stop)
    loop.add_signal_handler(signal.SIGHUP, _reload, controller, path, mqtt)
    # What arrived before the loop could take the signals over.
    early = take_pending()
    if signal.SIGTERM in early or signal.SIGINT in early:
        controller.stop()
    try:
        await serve(controller)
    finally:
        await mqtt.close()


def run_headless(path: Path, out: TextIO = sys.stdout) -> int:
    config = load_config(path)
    controller = build_controller(config)
    controller.add_listener(EventPrinter(out, config.service.log_format), "event printer")
    controller.acquire()
    asyncio.run(_main(controller, path))
    return 0
