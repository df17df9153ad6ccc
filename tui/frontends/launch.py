"""Bare `delestage`: the UI, attached to the running service or with the service in-process.

The app is called as ``run_tui(link, config, service)``: ``link`` is the ControllerLink to use;
``service`` is None when attached, or, in-process, the coroutine that runs the controller and its
control socket (``tui.compose.service.Service.run``), which the app runs as a background task in
its own event loop and ends on quit by awaiting ``link.close()`` and then the task.
"""

import asyncio
from pathlib import Path

from tui.compose.files import load_config, resolve_state_dir
from tui.compose.remote import connect
from tui.compose.service import Service, build_controller


def run_interactive(path: Path) -> int:
    config = load_config(path)
    remote = asyncio.run(connect(resolve_state_dir(config)))
    from tui.frontends.app.app import run_tui

    if remote is not None:
        return run_tui(remote, config, None)
    controller = build_controller(config)
    controller.acquire()  # before the UI starts: a second service is refused with its PID
    return run_tui(controller, config, Service(controller).run())
