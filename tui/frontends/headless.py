"""`delestage --headless`: the service, with one log line per event on stdout.

SIGTERM and SIGINT stop it cleanly (stop event, on_exit policy, exit 0); SIGHUP reloads the
configuration, keeping the running one when the new file is invalid.
"""

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from tui.adapters.config_file import load_config
from tui.core.config import LogFormat
from tui.core.errors import InputError
from tui.frontends.mqtt.service import MqttFrontend
from tui.service.controller import Controller
from tui.service.event_text import event_line
from tui.service.runtime import build_controller, serve

_COLOURS = {"error": "31", "relay": "36", "override": "35", "board": "33", "forecast": "32"}


class EventPrinter:
    def __init__(self, out: TextIO, log_format: LogFormat) -> None:
        self.out = out
        self.json = log_format is LogFormat.JSON
        self.colour = out.isatty() and not os.environ.get("NO_COLOR")

    def __call__(self, event: dict[str, Any]) -> None:
        if self.json:
            line = json.dumps(event, ensure_ascii=False)
        else:
            line = event_line(event)
            colour = _COLOURS.get(str(event.get("kind")))
            if self.colour and colour:
                line = f"\x1b[{colour}m{line}\x1b[0m"
        print(line, file=self.out, flush=True)


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
    try:
        await serve(controller)
    finally:
        await mqtt.close()


def run_headless(path: Path, out: TextIO = sys.stdout) -> int:
    config = load_config(path)
    controller = build_controller(config)
    controller.add_listener(EventPrinter(out, config.service.log_format))
    controller.acquire()
    asyncio.run(_main(controller, path))
    return 0
