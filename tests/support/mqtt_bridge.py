"""The MQTT bridge tests' rig: the controller in-process on a virtual clock, with its MQTT front
end wired as the headless service wires it (shared by the bridge and Tempo-over-MQTT tests)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from support.mosquitto import eventually
from support.service import at, config_document, make_controller, running
from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock, SystemClock
from tui.core.config import Config, config_from_dict
from tui.frontends.mqtt.bridge import MqttBridge
from tui.frontends.mqtt.service import MqttFrontend
from tui.service.controller import Controller

NOW = at("2026-12-02T07:00:00+01:00")  # green, an hour before the demo's orange morning
NODE = "maison"
BASE = f"delestage/{NODE}"


def mqtt_config(tmp_path: Path, url: str, **mqtt: Any) -> Config:
    document = config_document(tmp_path / "state")
    document["mqtt"] = {"url": url, "node_id": NODE, **mqtt}
    return config_from_dict(document, path=str(tmp_path / "delestage.toml"))


@contextlib.asynccontextmanager
async def bridged(
    config: Config, environ: dict[str, str] | None = None
) -> AsyncIterator[tuple[Controller, SimulatedBoard, MqttBridge]]:
    """The controller with its MQTT front end wired as the headless service wires it, but for
    the clock: the controller's is virtual (fixed levels), the bridge's is the system's, as the
    broker's is. A held-back status must go out in real time here, and a virtual clock moves
    only when told; what these tests assert never depends on the bridge's hour. The bridge's
    pacing on virtual time is tested on the in-memory connector (test_mqtt_parts.py)."""
    controller, board = make_controller(config, ManualClock(NOW))
    frontend = MqttFrontend(
        controller,
        controller.report_mqtt,
        controller.log_error,
        environ or {},
        (0.1, 0.5),
        clock=SystemClock(),
    )
    async with running(controller):
        await frontend.apply(config)  # type: ignore[misc]
        assert frontend.bridge is not None
        try:
            yield controller, board, frontend.bridge
        finally:
            await frontend.close()


async def connected(
    bridge: MqttBridge, count: int = 1, controller: Controller | None = None
) -> None:
    """The bridge is connected; with ``controller``, the controller has been told too (its
    snapshot's MQTT peer says so a moment after the bridge counts the connection)."""
    await eventually(lambda: bridge.connections >= count, what="the bridge to connect")
    if controller is None:
        return
    for _ in range(200):
        if (await controller.snapshot()).to_status()["mqtt"]["state"] == "connected":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the controller never heard that MQTT is connected")
