"""The MQTT contract of DESIGN.md: topic names, state payloads and Home Assistant discovery.

Pure functions of a snapshot (or of the configured channels, for `check`), so what the bridge
publishes and what `check` announces are one and the same.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui import __version__
from tui.core.forecast import Level, paris_iso
from tui.core.tempo import Colour
from tui.service.snapshot import ChannelView, Snapshot

LEVEL_WORDS = [level.label for level in Level]  # low-carbon, green, orange, red
UNKNOWN = "unknown"
NO_STRAIN = "none"  # next_strain when no orange or red hour is ahead
ONLINE, OFFLINE = "online", "offline"
TEMPO_COLOURS = [colour.value for colour in Colour]  # blue, white, red


def node_id_from_host(hostname: str) -> str:
    """The default node_id: the host name, lower-case, with anything but [a-z0-9_] as ``_``."""
    node = re.sub(r"[^a-z0-9_]", "_", hostname.lower())
    return node or "delestage"


@dataclass(frozen=True)
class Topics:
    node_id: str
    topic_prefix: str = "delestage"
    discovery_prefix: str = "homeassistant"

    @property
    def base(self) -> str:
        return f"{self.topic_prefix}/{self.node_id}"

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def level(self) -> str:
        return f"{self.base}/level"

    @property
    def next_strain(self) -> str:
        return f"{self.base}/next_strain"

    @property
    def strain_now(self) -> str:
        return f"{self.base}/strain_now"

    @property
    def tempo(self) -> str:
        return f"{self.base}/tempo"

    @property
    def events(self) -> str:
        return f"{self.base}/events"

    @property
    def error(self) -> str:
        return f"{self.base}/error"

    def channel_state(self, index: int) -> str:
        return f"{self.base}/channel/{index}/state"

    def channel_set(self, index: int) -> str:
        return f"{self.base}/channel/{index}/set"

    @property
    def set_pattern(self) -> str:
        return f"{self.base}/channel/+/set"

    @property
    def state_pattern(self) -> str:
        return f"{self.base}/channel/+/state"

    @property
    def discovery_pattern(self) -> str:
        """Every discovery config of this node, whatever its component."""
        return f"{self.discovery_prefix}/+/{self.node_id}/+/config"

    def discovery(self, component: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node_id}/{object_id}/config"

    def set_channel(self, topic: str) -> str | None:
        """The channel part of ``base/channel/{index}/set``, or None for another topic."""
        prefix, suffix = f"{self.base}/channel/", "/set"
        if topic.startswith(prefix) and topic.endswith(suffix):
            return topic[len(prefix) : -len(suffix)]
        return None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def level_payload(snapshot: Snapshot) -> str:
    return Level(snapshot.level).label if snapshot.level is not None else UNKNOWN


def next_strain_payload(snapshot: Snapshot) -> str:
    """The start of the next orange/red run of hours still to come (ISO), or ``none``: never
    one under way (Home Assistant would show it as "x minutes ago"; see ``strain_now``)."""
    start = snapshot.forecast.next_strained_start
    return paris_iso(start) if start else NO_STRAIN


def strain_now_payload(snapshot: Snapshot) -> str:
    """The end of the orange/red run of hours under way (ISO), or ``none``."""
    until = snapshot.forecast.strained_until
    return paris_iso(until) if until else NO_STRAIN


def channel_state(channel: ChannelView) -> dict[str, Any]:
    state: dict[str, Any] = {
        "powered": channel.powered,
        "mode": channel.mode,
        "until": paris_iso(channel.until) if channel.until else None,
        "reason": channel.reason,
    }
    if channel.power_w is not None:  # `power` configured: Home Assistant shows it as attribute
        state["power_w"] = channel.power_w
    return state


def status_payload(snapshot: Snapshot) -> str:
    return dumps(snapshot.to_status())


def retained_states(snapshot: Snapshot, topics: Topics) -> dict[str, str]:
    """Every retained state topic with its payload, for one snapshot."""
    states = {
        topics.level: level_payload(snapshot),
        topics.next_strain: next_strain_payload(snapshot),
        topics.strain_now: strain_now_payload(snapshot),
    }
    if snapshot.tempo is not None:
        states[topics.tempo] = dumps(snapshot.tempo.to_status())
    for channel in snapshot.channels:
        states[topics.channel_state(channel.index)] = dumps(channel_state(channel))
    return states


# --- Home Assistant discovery -------------------------------------------------------------

_SELECT_TEMPLATE = (
    "{% if value_json.mode == 'auto' %}auto{% elif value_json.powered is none %}None"
    "{% elif value_json.powered %}on{% else %}off{% endif %}"
)
_POWERED_TEMPLATE = (
    "{% if value_json.powered is none %}None{% elif value_json.powered %}ON{% else %}OFF{% endif %}"
)


def discovery_configs(
    topics: Topics, channels: Iterable[tuple[int, str]], tempo: bool = False
) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config for the level and next-strain sensors, with ``tempo`` (a
    [tempo] section) the Tempo today and tomorrow sensors, and, per channel, a select
    (auto/on/off) and a power binary_sensor; all on one device. Empty when discovery is off
    (``discovery_prefix = ""``)."""
    if not topics.discovery_prefix:
        return {}
    node = topics.node_id
    common: dict[str, Any] = {
        "availability_topic": topics.availability,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "device": {
            "identifiers": [f"delestage_{node}"],
            "name": f"delestage {node}",
            "manufacturer": "delestage",
            "model": "Ecowatt load-shedding controller (Phidget 1017)",
            "sw_version": __version__,
        },
    }
    configs: dict[str, dict[str, Any]] = {
        topics.discovery("sensor", "level"): {
            "name": "Ecowatt level",
            "unique_id": f"delestage_{node}_level",
            "state_topic": topics.level,
            "device_class": "enum",
            "options": LEVEL_WORDS,
            "value_template": f"{{{{ None if value == '{UNKNOWN}' else value }}}}",
            "icon": "mdi:transmission-tower",
            **common,
        },
        topics.discovery("sensor", "next_strain"): {
            "name": "Next grid strain",
            "unique_id": f"delestage_{node}_next_strain",
            "state_topic": topics.next_strain,
            "device_class": "timestamp",
            "value_template": f"{{{{ None if value == '{NO_STRAIN}' else value }}}}",
            "icon": "mdi:clock-alert-outline",
            **common,
        },
    }
    if tempo:
        for day, title in (("today", "Tempo today"), ("tomorrow", "Tempo tomorrow")):
            configs[topics.discovery("sensor", f"tempo_{day}")] = {
                "name": title,
                "unique_id": f"delestage_{node}_tempo_{day}",
                "state_topic": topics.tempo,
                "device_class": "enum",
                "options": TEMPO_COLOURS,
                # null (not published yet) is Home Assistant's unknown
                "value_template": f"{{{{ value_json.{day} if value_json.{day} else None }}}}",
                "icon": "mdi:calendar-today" if day == "today" else "mdi:calendar-arrow-right",
                **common,
            }
    for index, name in channels:
        state = topics.channel_state(index)
        configs[topics.discovery("select", f"channel_{index}")] = {
            "name": f"{name} mode",
            "unique_id": f"delestage_{node}_channel_{index}",
            "command_topic": topics.channel_set(index),
            "state_topic": state,
            "value_template": _SELECT_TEMPLATE,
            "options": ["auto", "on", "off"],
            "icon": "mdi:electric-switch",
            **common,
        }
        configs[topics.discovery("binary_sensor", f"channel_{index}_powered")] = {
            "name": f"{name} powered",
            "unique_id": f"delestage_{node}_channel_{index}_powered",
            "state_topic": state,
            "value_template": _POWERED_TEMPLATE,
            "payload_on": "ON",
            "payload_off": "OFF",
            "device_class": "power",
            "json_attributes_topic": state,
            **common,
        }
    return configs
