"""The MQTT contract of DESIGN.md: topic names, state payloads and Home Assistant discovery.

Pure functions of a snapshot (or of the configured channels, for `check`), so what the bridge
publishes and what `check` announces are one and the same.
"""

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tui import __version__
from tui.core.forecast import Level, paris_iso
from tui.core.i18n import _
from tui.core.meter import MeterState
from tui.core.tempo import Colour
from tui.service.snapshot import BoardView, ChannelView, Snapshot

LEVEL_WORDS = [level.label for level in Level]  # low-carbon, green, orange, red
UNKNOWN = "unknown"
NO_STRAIN = "none"  # next_strain when no orange or red hour is ahead
NO_ERROR = "none"  # diagnostics' last_error when nothing is wrong
# How long on/off from Home Assistant force a channel ("default": [policy] override_duration).
FORCE_FOR = {
    "default": None,
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "4h": timedelta(hours=4),
    "8h": timedelta(hours=8),
    "24h": timedelta(hours=24),
    "until released": timedelta(0),
}
ONLINE, OFFLINE = "online", "offline"
TEMPO_COLOURS = [colour.value for colour in Colour]  # blue, white, red
METER_STATES = [state.value for state in MeterState]  # waiting, ok, stale, tripped


def node_id_from_host(hostname: str) -> str:
    """The default node_id: the host name, lower-case, with anything but [a-z0-9_] as ``_``."""
    node = re.sub(r"[^a-z0-9_]", "_", hostname.lower())
    return node or "delestage"


@dataclass(frozen=True)
class Topics:
    node_id: str
    topic_prefix: str = "delestage"
    discovery_prefix: str = "homeassistant"
    # Home Assistant's birth topic ("online" when it (re)starts): discovery is announced again.
    ha_status: str = "homeassistant/status"

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

    @property
    def diagnostics(self) -> str:
        return f"{self.base}/diagnostics"

    @property
    def energy(self) -> str:
        return f"{self.base}/energy"

    @property
    def meter(self) -> str:
        return f"{self.base}/meter"

    @property
    def force_for(self) -> str:
        return f"{self.base}/force_for"

    @property
    def force_for_set(self) -> str:
        return f"{self.base}/force_for/set"

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
        # As in `status --json`: what a forced channel was told (its relay may still wait on
        # min_on/min_off: ``waiting`` says so), and whether a latch holds it cut.
        "forced_powered": channel.forced_powered,
        "waiting": channel.waiting,
        "latched": channel.latched,
    }
    if channel.board:  # several boards: where it is wired (an attribute in Home Assistant)
        state["board"] = channel.board
        state["relay"] = channel.relay
    if channel.power_w is not None:  # `power` configured: Home Assistant shows it as attribute
        state["power_w"] = channel.power_w
    if channel.order is not None:  # a pilot channel: the order on its wire
        state["order"] = channel.order
    if channel.forced_order is not None:  # the order an operator named (`force CH eco`)
        state["forced_order"] = channel.forced_order
    if channel.measured_power_w is not None:  # [meter]: its step at its switches
        state["measured_power_w"] = channel.measured_power_w
    return state


def power_cut_reason(snapshot: Snapshot) -> str:
    """Why the power rule cuts (the reason of the most important channel it cuts), or
    ``none``."""
    meter = snapshot.meter
    cut = [c for c in snapshot.channels if meter is not None and c.index in meter.cuts]
    for channel in cut:
        if channel.rule == "power":
            return channel.reason[:250]
    return cut[0].reason[:250] if cut else NO_ERROR


def meter_payload(snapshot: Snapshot) -> dict[str, Any] | None:
    """``base/meter``: the home's power, the limit (the subscribed power, or [meter] limit),
    the seconds before the meter would trip (null: it would not), the trip filter as a share of
    its trip level, the meter's state, the channels cut for power and why; None without a
    [meter]."""
    meter = snapshot.meter
    if meter is None:
        return None
    return {
        **meter.to_status(),
        "filter_level": meter.filter_level,
        "mode": meter.mode,
        "cut_reason": power_cut_reason(snapshot),
    }


def status_payload(snapshot: Snapshot) -> str:
    return dumps(snapshot.to_status())


def last_problem(snapshot: Snapshot) -> str:
    """The controller's standing problem in words (board, forecast, Tempo), or ``none``."""
    for problem in (
        snapshot.board.message,
        snapshot.forecast.error,
        snapshot.tempo.error if snapshot.tempo else None,
    ):
        if problem:
            return problem[:250]  # Home Assistant keeps at most 255 characters of a state
    return NO_ERROR


def diagnostics_payload(snapshot: Snapshot, connection: int = 1) -> dict[str, Any]:
    """``base/diagnostics``: the board, the forecast's source and age, the bridge (connected
    whenever this is read: Home Assistant shows it unavailable otherwise; ``connection`` counts
    the connections since the start, so reconnections show), and the standing problem."""
    board, forecast = snapshot.board, snapshot.forecast
    return {
        "board_kind": board.kind,
        "board_attached": board.attached,
        "board_serial": board.serial,
        "board_model": device_model(board),
        "forecast_source": forecast.source,
        "forecast_fetched": paris_iso(forecast.fetched) if forecast.fetched else None,
        "bridge": "connected",
        "bridge_connection": connection,
        "last_error": last_problem(snapshot),
    }


def retained_states(snapshot: Snapshot, topics: Topics, connection: int = 1) -> dict[str, str]:
    """Every retained state topic with its payload, for one snapshot."""
    states = {
        topics.level: level_payload(snapshot),
        topics.next_strain: next_strain_payload(snapshot),
        topics.strain_now: strain_now_payload(snapshot),
        topics.diagnostics: dumps(diagnostics_payload(snapshot, connection)),
    }
    if snapshot.tempo is not None:
        states[topics.tempo] = dumps(snapshot.tempo.to_status())
    if (meter := meter_payload(snapshot)) is not None:
        states[topics.meter] = dumps(meter)
    for channel in snapshot.channels:
        states[topics.channel_state(channel.index)] = dumps(channel_state(channel))
    return states


# --- Home Assistant discovery -------------------------------------------------------------
#
# Every template first asks whether the payload is JSON at all (``value_json is defined``): a
# state topic cleared while an entity still listens must not fill Home Assistant's log.

ORIGIN = {"name": "delestage", "sw_version": __version__}
MODEL = "Ecowatt load-shedding controller"

# auto, or the command the channel was given (not the relay, which may still wait on min_off)
_SELECT_TEMPLATE = (
    "{% if value_json is not defined %}{{ None }}"
    "{% elif value_json.mode == 'auto' %}auto"
    # A pilot wire's or a heat pump's named order ("eco"): one of its select's options.
    "{% elif value_json.forced_order is defined %}{{ value_json.forced_order }}"
    "{% elif value_json.forced_powered %}on{% else %}off{% endif %}"
)
_POWERED_TEMPLATE = (
    "{% if value_json is not defined or value_json.powered is none %}{{ None }}"
    "{% elif value_json.powered %}ON{% else %}OFF{% endif %}"
)
_LATCHED_TEMPLATE = (
    "{% if value_json is not defined %}{{ None }}"
    "{% elif value_json.latched %}ON{% else %}OFF{% endif %}"
)
_REFUSED_TEMPLATE = (
    "{{ {'event_type': 'refused', 'error': value_json.error, 'topic': value_json.topic}"
    " | to_json }}"
)


def device_model(board: BoardView | None) -> str:
    """What drives the relays, as the device's model says it: never a Phidget when simulated."""
    if board is None:
        return MODEL
    if board.kind == "simulated":
        return f"{MODEL} (simulated board)"
    named = f"Phidget {board.revision}" if board.revision else "Phidget relay board"
    return f"{MODEL} ({named})"


def _field(name: str, none: str = "{{ None }}") -> str:
    return (
        f"{{% if value_json is defined and value_json.{name} is not none %}}"
        f"{{{{ value_json.{name} }}}}{{% else %}}{none}{{% endif %}}"
    )


# While powered, a meter's measured power when the state has one, else the rated power; 0 cut.
_POWER_TEMPLATE = (
    "{% if value_json is not defined or value_json.powered is none %}{{ None }}"
    "{% elif not value_json.powered %}0"
    "{% elif value_json.measured_power_w is defined and value_json.measured_power_w is not none %}"
    "{{ value_json.measured_power_w }}"
    "{% elif value_json.power_w is defined %}{{ value_json.power_w }}{% else %}{{ None }}"
    "{% endif %}"
)


def _channel_energy(key: str) -> str:
    """A channel's kWh in ``base/energy``; unknown while the payload has no such channel yet (a
    channel first measured by the meter is announced before the next energy reading)."""
    item = f"value_json.channels['{key}']"
    return (
        f"{{% if value_json is defined and value_json.channels is defined and {item} is defined "
        f"and {item} is not none %}}{{{{ {item} }}}}{{% else %}}{{{{ None }}}}{{% endif %}}"
    )


def energy_configs(topics: Topics, index: int | None, name: str) -> dict[str, dict[str, Any]]:
    """A channel's power and energy kept off (``index`` None: the energy total), for the Energy
    dashboard and long-term statistics. Only for channels with a ``power``."""
    node = topics.node_id
    if index is None:
        key, title = "total", _("Energy kept off")
    else:
        key, title = str(index), _("{name} energy kept off").format(name=name)
    object_id = "energy_kept_off" if index is None else f"channel_{index}_energy_kept_off"
    configs: dict[str, dict[str, Any]] = {
        topics.discovery("sensor", object_id): {
            "name": title,
            "unique_id": f"delestage_{node}_{object_id}",
            "state_topic": topics.energy,
            "value_template": _field("total") if index is None else _channel_energy(key),
            "device_class": "energy",
            "unit_of_measurement": "kWh",
            "state_class": "total_increasing",
            "icon": "mdi:transmission-tower-off",
        }
    }
    if index is not None:
        configs[topics.discovery("sensor", f"channel_{index}_power")] = {
            "name": _("{name} power").format(name=name),
            "unique_id": f"delestage_{node}_channel_{index}_power",
            "state_topic": topics.channel_state(index),
            "value_template": _POWER_TEMPLATE,
            "device_class": "power",
            "unit_of_measurement": "W",
            "state_class": "measurement",
        }
    return configs


def energy_payload(kept_off: dict[int, float | None]) -> dict[str, Any]:
    """``base/energy``: per channel with a power, the energy kept off the grid in strained hours
    this winter (kWh, as `history` counts it), and their total."""
    known = [kwh for kwh in kept_off.values() if kwh is not None]
    return {
        "channels": {str(index): kwh for index, kwh in sorted(kept_off.items())},
        "total": round(sum(known), 3) if known else None,
    }


def meter_configs(topics: Topics) -> dict[str, dict[str, Any]]:
    """The meter's entities ([meter]): the home's power, the subscribed power (the limit), the
    time before a trip, the trip filter, the meter's state and the power cut's reason."""
    node = topics.node_id
    state = topics.meter

    def sensor(object_id: str, name: str, **config: Any) -> tuple[str, dict[str, Any]]:
        return topics.discovery("sensor", object_id), {
            "name": name,
            "unique_id": f"delestage_{node}_{object_id}",
            "state_topic": state,
            **config,
        }

    return dict(
        (
            # The meter's apparent power (VA): for the loads a délesteur cuts, their watts.
            sensor(
                "power",
                _("Home power"),
                value_template=_field("power_va"),
                device_class="power",
                unit_of_measurement="W",
                state_class="measurement",
                icon="mdi:home-lightning-bolt-outline",
                json_attributes_topic=state,
            ),
            sensor(
                "subscribed_power",
                _("Subscribed power"),
                value_template=_field("limit_va"),
                device_class="apparent_power",
                unit_of_measurement="VA",
                icon="mdi:gauge-full",
            ),
            # Unknown (None) while the meter would not trip at the power drawn.
            sensor(
                "trip_margin",
                _("Meter trip in"),
                value_template=_field("trip_in_s"),
                device_class="duration",
                unit_of_measurement="s",
                icon="mdi:timer-alert-outline",
            ),
            sensor(
                "trip_filter",
                _("Meter trip filter"),
                value_template=(
                    "{% if value_json is defined %}"
                    "{{ (value_json.filter_level * 100) | round(1) }}{% else %}{{ None }}"
                    "{% endif %}"
                ),
                unit_of_measurement="%",
                state_class="measurement",
                icon="mdi:chart-bell-curve-cumulative",
            ),
            sensor(
                "meter_state",
                _("Meter state"),
                value_template=_field("state"),
                device_class="enum",
                options=list(METER_STATES),
                icon="mdi:meter-electric-outline",
            ),
            sensor(
                "power_cut_reason",
                _("Power cut reason"),
                value_template=_field("cut_reason"),
                icon="mdi:flash-alert-outline",
            ),
        )
    )


def channel_configs(
    topics: Topics, index: int, name: str, orders: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """The entities of one channel, without the shared ``device``/availability part. A pilot
    wire's or a heat pump's select also offers the ``orders`` it may be forced to, and shows
    the one forced."""
    node = topics.node_id
    state = topics.channel_state(index)
    command = topics.channel_set(index)
    uid = f"delestage_{node}_channel_{index}"
    return {
        topics.discovery("select", f"channel_{index}"): {
            "name": _("{name} mode").format(name=name),
            "unique_id": uid,
            "command_topic": command,
            "state_topic": state,
            "value_template": _SELECT_TEMPLATE,
            "options": ["auto", "on", "off", *orders],
            "icon": "mdi:electric-switch",
        },
        topics.discovery("binary_sensor", f"channel_{index}_powered"): {
            "name": _("{name} powered").format(name=name),
            "unique_id": f"{uid}_powered",
            "state_topic": state,
            "value_template": _POWERED_TEMPLATE,
            "payload_on": "ON",
            "payload_off": "OFF",
            "device_class": "power",
            "json_attributes_topic": state,
        },
        topics.discovery("binary_sensor", f"channel_{index}_latched"): {
            "name": _("{name} latched").format(name=name),
            "unique_id": f"{uid}_latched",
            "state_topic": state,
            "value_template": _LATCHED_TEMPLATE,
            "payload_on": "ON",
            "payload_off": "OFF",
            "icon": "mdi:lock-alert",
        },
        # Back to automatic, latch released: a press works whatever the select shows.
        topics.discovery("button", f"channel_{index}_release"): {
            "name": _("{name} release").format(name=name),
            "unique_id": f"{uid}_release",
            "command_topic": command,
            "payload_press": "auto",
            "icon": "mdi:lock-open-variant",
        },
    }


def channel_discovery_topics(topics: Topics, index: int) -> set[str]:
    if not topics.discovery_prefix:
        return set()
    return set(channel_configs(topics, index, "")) | set(energy_configs(topics, index, ""))


def discovery_configs(
    topics: Topics,
    channels: Iterable[tuple[int, str]],
    tempo: bool = False,
    board: BoardView | None = None,
    rated: Iterable[int] = (),
    meter: bool = False,
    orders: Mapping[int, Sequence[str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config for the level and next-strain sensors, with ``tempo`` (a
    [tempo] section) the Tempo today and tomorrow sensors, the refused-command event, the
    diagnostics, and, per channel, a select (auto/on/off, and the ``orders`` of a pilot wire or
    a heat pump), a power binary_sensor, a latch
    binary_sensor and a release button; all on one device. Empty when discovery is off
    (``discovery_prefix = ""``). The channels in ``rated`` (those with a ``power``) have a
    power and an energy sensor, with a total; with ``meter`` (a [meter] section), the meter's
    sensors."""
    if not topics.discovery_prefix:
        return {}
    node = topics.node_id
    device: dict[str, Any] = {
        "identifiers": [f"delestage_{node}"],
        "name": f"delestage {node}",
        "manufacturer": "delestage",
        "model": device_model(board),
        "sw_version": __version__,
    }
    if board is not None and board.serial is not None:
        device["serial_number"] = str(board.serial)
    common: dict[str, Any] = {
        "availability_topic": topics.availability,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "device": device,
        "origin": ORIGIN,
    }
    diagnostic: dict[str, Any] = {
        "entity_category": "diagnostic",
        "json_attributes_topic": topics.diagnostics,
    }
    configs: dict[str, dict[str, Any]] = {
        topics.discovery("sensor", "level"): {
            "name": _("Ecowatt level"),
            "unique_id": f"delestage_{node}_level",
            "state_topic": topics.level,
            "device_class": "enum",
            "options": LEVEL_WORDS,
            "value_template": f"{{{{ None if value == '{UNKNOWN}' else value }}}}",
            "icon": "mdi:transmission-tower",
        },
        topics.discovery("sensor", "next_strain"): {
            "name": _("Next grid strain"),
            "unique_id": f"delestage_{node}_next_strain",
            "state_topic": topics.next_strain,
            "device_class": "timestamp",
            "value_template": f"{{{{ None if value == '{NO_STRAIN}' else value }}}}",
            "icon": "mdi:clock-alert-outline",
        },
        topics.discovery("event", "refused"): {
            "name": _("Refused command"),
            "unique_id": f"delestage_{node}_refused",
            "state_topic": topics.error,
            "event_types": ["refused"],
            "value_template": _REFUSED_TEMPLATE,
            "icon": "mdi:message-alert-outline",
        },
        topics.discovery("select", "force_for"): {
            "name": _("Force duration"),
            "unique_id": f"delestage_{node}_force_for",
            "command_topic": topics.force_for_set,
            "state_topic": topics.force_for,
            "options": list(FORCE_FOR),
            "entity_category": "config",
            "icon": "mdi:timer-lock-outline",
        },
        topics.discovery("binary_sensor", "board"): {
            "name": _("Relay board"),
            "unique_id": f"delestage_{node}_board",
            "state_topic": topics.diagnostics,
            "value_template": (
                "{% if value_json is defined and value_json.board_attached %}ON{% else %}OFF"
                "{% endif %}"
            ),
            "payload_on": "ON",
            "payload_off": "OFF",
            "device_class": "connectivity",
            **diagnostic,
        },
        topics.discovery("sensor", "forecast_fetched"): {
            "name": _("Forecast fetched"),
            "unique_id": f"delestage_{node}_forecast_fetched",
            "state_topic": topics.diagnostics,
            "device_class": "timestamp",
            "value_template": _field("forecast_fetched"),
            **diagnostic,
        },
        topics.discovery("sensor", "forecast_source"): {
            "name": _("Forecast source"),
            "unique_id": f"delestage_{node}_forecast_source",
            "state_topic": topics.diagnostics,
            "value_template": _field("forecast_source"),
            "icon": "mdi:cloud-download-outline",
            **diagnostic,
        },
        topics.discovery("sensor", "bridge"): {
            "name": _("MQTT bridge"),
            "unique_id": f"delestage_{node}_bridge",
            "state_topic": topics.diagnostics,
            "value_template": _field("bridge"),
            "icon": "mdi:lan-connect",
            **diagnostic,
        },
        topics.discovery("sensor", "last_error"): {
            "name": _("Last error"),
            "unique_id": f"delestage_{node}_last_error",
            "state_topic": topics.diagnostics,
            "value_template": _field("last_error"),
            "icon": "mdi:alert-circle-outline",
            **diagnostic,
        },
    }
    if tempo:
        for day, title in (("today", _("Tempo today")), ("tomorrow", _("Tempo tomorrow"))):
            configs[topics.discovery("sensor", f"tempo_{day}")] = {
                "name": title,
                "unique_id": f"delestage_{node}_tempo_{day}",
                "state_topic": topics.tempo,
                "device_class": "enum",
                "options": TEMPO_COLOURS,
                # null (not published yet) is Home Assistant's unknown
                "value_template": _field(day),
                # Who gave the colour ("rte", "tic"; null while unknown), as an attribute.
                "json_attributes_topic": topics.tempo,
                "json_attributes_template": "{{ {'source': value_json."
                + day
                + "_source} | tojson }}",
                "icon": "mdi:calendar-today" if day == "today" else "mdi:calendar-arrow-right",
            }
    if meter:
        configs.update(meter_configs(topics))
    names = dict(channels)
    for index, name in names.items():
        configs.update(channel_configs(topics, index, name, (orders or {}).get(index, ())))
    with_power = sorted(set(rated) & set(names))
    for index in with_power:
        configs.update(energy_configs(topics, index, names[index]))
    if with_power:
        configs.update(energy_configs(topics, None, ""))
    return {topic: {**config, **common} for topic, config in configs.items()}


def rated_channel(channel: ChannelView) -> bool:
    """A channel with a power (configured, or measured by the meter): it has a power and an
    energy sensor."""
    return channel.power_w is not None or channel.measured_power_w is not None
