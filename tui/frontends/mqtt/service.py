"""The MQTT bridge of a running service: built from ``[mqtt]``, replaced when SIGHUP changes it.

The service hands over its link and two reporting hooks (the bridge's state for `status` and the
UI, and an error line for the event log); the bridge never sees more of the controller.
"""

import asyncio
import contextlib
import socket
from collections.abc import Callable, Mapping

from tui.adapters.clock import Clock
from tui.adapters.mqtt.base import BrokerError
from tui.compose.mqtt import connector_for
from tui.core.config import Config, MqttConfig
from tui.core.i18n import _
from tui.frontends.mqtt.bridge import MqttBridge
from tui.frontends.mqtt.topics import Topics, node_id_from_host
from tui.service.interface import ControllerLink
from tui.service.snapshot import MqttView

BACKOFF = (1.0, 60.0)  # seconds: first retry, and the longest wait between two attempts


def topics_for(mqtt: MqttConfig, hostname: str | None = None) -> Topics:
    node = mqtt.node_id or node_id_from_host(hostname or socket.gethostname())
    return Topics(node, mqtt.topic_prefix, mqtt.discovery_prefix, mqtt.birth_topic)


def build_bridge(
    link: ControllerLink,
    config: Config,
    on_state: Callable[[MqttView], None] | None = None,
    environ: Mapping[str, str] | None = None,
    backoff: tuple[float, float] = BACKOFF,
    clock: Clock | None = None,
    report: Callable[[str], None] | None = None,
) -> MqttBridge:
    """``report``: where the connection says a dropped oversized message (the event log)."""
    mqtt = config.mqtt
    if mqtt is None:
        raise ValueError("no [mqtt] section")
    topics = topics_for(mqtt)
    connector = connector_for(
        mqtt, config.path, f"delestage-{topics.node_id}", environ, report=report
    )
    return MqttBridge(link, connector, topics, on_state=on_state, backoff=backoff, clock=clock)


class MqttFrontend:
    """Runs the bridge the configuration asks for, and swaps it when ``apply`` sees a change."""

    def __init__(
        self,
        link: ControllerLink,
        report: Callable[[MqttView | None], None],
        log_error: Callable[[str, str], None],
        environ: Mapping[str, str] | None = None,
        backoff: tuple[float, float] = BACKOFF,
        clock: Clock | None = None,
    ) -> None:
        self.link = link
        self.backoff = backoff
        self.clock = clock  # the controller's (None: the system clock)
        self.report = report
        self.log_error = log_error
        self.environ = environ
        self.bridge: MqttBridge | None = None
        self._mqtt: MqttConfig | None = None
        self._failing = False
        self._switching: asyncio.Task[None] | None = None

    def apply(self, config: Config) -> "asyncio.Task[None] | None":
        """Start, stop or restart the bridge for this configuration (from a signal handler);
        returns the task doing it, None when nothing changes."""
        if config.mqtt == self._mqtt and (self.bridge is not None) == (config.mqtt is not None):
            return None
        self._mqtt = config.mqtt
        previous = self._switching
        self._switching = asyncio.get_running_loop().create_task(self._switch(config, previous))
        return self._switching

    async def _switch(self, config: Config, previous: "asyncio.Task[None] | None") -> None:
        if previous is not None:
            with contextlib.suppress(Exception):
                await previous
        if self.bridge is not None:
            await self.bridge.close()
            self.bridge = None
        if config.mqtt is None:
            self.report(None)
            return
        try:
            self.bridge = build_bridge(
                self.link,
                config,
                self._on_state,
                self.environ,
                self.backoff,
                self.clock,
                report=lambda text: self.log_error("mqtt", text),
            )
        except BrokerError as error:  # a URL the bridge cannot use: said once, service goes on
            self.log_error("mqtt", _("MQTT bridge not started: {error}").format(error=error))
            return
        self._failing = False
        self.report(self.bridge.view)
        self.bridge.start()

    def _on_state(self, view: MqttView) -> None:
        self.report(view)
        if view.state == "connected":
            self._failing = False
        elif view.state == "disconnected" and not self._failing:
            # Once per outage: the log must not fill with one line per reconnection attempt.
            self._failing = True
            self.log_error(
                "mqtt",
                _("MQTT: {why}; reconnecting with backoff (the controller carries on)").format(
                    why=view.message
                ),
            )

    async def close(self) -> None:
        if self._switching is not None:
            with contextlib.suppress(Exception):
                await self._switching
        if self.bridge is not None:
            await self.bridge.close()
            self.bridge = None
