"""A real Home Assistant (core 2025.4.4) against a real Mosquitto and a headless delestage.

What a Home Assistant user sees and does, read from Home Assistant's side (mqtt_statestream):
the entities and their states, a select round trip (with a command that waits on min_off), a
refused command as an event, a latch released by its button, a channel removed with a clean
log, and the entities coming back on Home Assistant's birth message after "delete device".
Needs Python 3.13 for Home Assistant (skipped, with one line, where there is none); the
environment is installed once (``.ci/run`` does it first; otherwise this test does).
"""

import json
import signal
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from support import home_assistant as ha
from support.ha_entities import bad_log, ha_state, settles, wait_state
from support.ha_entities import entity as ha_entity
from support.mosquitto import Mosquitto, Watcher, free_port, watching
from support.service import (
    CHANNELS,
    config_document,
    delestage,
    steady_forecast,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.home_assistant

NODE = "maison"
BASE = f"delestage/{NODE}"
SAUNA = {"index": 5, "name": "Sauna", "shed_at": "red", "priority": 5}
# 9 device-wide entities (level, next strain, refused command, force duration, 5 diagnostics),
# 4 per channel.
# Radiateurs has a power: its power and energy sensors, and the energy total.
PER_CHANNEL, DEVICE_WIDE = 4, 9 + 3
BAD_LOG = bad_log(NODE)


def entity(domain: str, name: str) -> str:
    return ha_entity(NODE, domain, name)


def act(watcher: Watcher, action: str, target: str | None = None, **data: Any) -> None:
    """Home Assistant runs ``action`` (its automation takes it from the broker)."""
    body: dict[str, Any] = {"action": action, "data": data}
    if target:
        body["target"] = {"entity_id": target}
    watcher.publish(ha.ACTION_TOPIC, json.dumps(body))


def count_is(watcher: Watcher, count: int, seconds: float = 90) -> None:
    topic = f"{ha.STATE_BASE}sensor/mqtt_entities/state"
    settles(watcher, topic, str(count), seconds, "MQTT entities in Home Assistant")


def channel_state(watcher: Watcher, index: int) -> dict[str, Any]:
    payload = watcher.last(f"{BASE}/channel/{index}/state")
    assert payload, f"no state for channel {index}"
    state: dict[str, Any] = json.loads(payload)
    return state


def _config(tmp_path: Path, broker: Mosquitto, channels: list[dict[str, Any]]) -> Path:
    document = config_document(tmp_path / "state")
    document["ecowatt"] = steady_forecast(tmp_path)
    document["channel"] = channels
    document["mqtt"] = {"url": broker.url, "node_id": NODE}
    return write_config(tmp_path / "delestage.toml", document)


def _latched_state(state_dir: Path, channel: int) -> None:
    """What a service that latched ``channel`` after a shed leaves in its state file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    history = {
        str(channel): {
            "powered": False,
            "last_on": None,
            "last_off": "2026-12-01T18:00:00+01:00",
            "switches": ["2026-12-01T18:00:00+01:00"],
            "latched": True,
        }
    }
    document = {"version": 1, "overrides": {}, "history": history}
    (state_dir / "state.json").write_text(json.dumps(document))


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)


def test_a_real_home_assistant_shows_commands_and_forgets_cleanly(
    hass_installed: None, tmp_path: Path, broker: Mosquitto
) -> None:
    channels = [dict(channel) for channel in CHANNELS]
    channels[0]["auto_restore"] = False  # Chauffe-eau: stays cut after a shed until released
    channels[1]["power"] = "1.5kW"  # Radiateurs
    _latched_state(tmp_path / "state", 0)
    config = _config(tmp_path, broker, [*channels, SAUNA])
    home = ha.HomeAssistant(tmp_path / "ha", broker.port, free_port())
    service: subprocess.Popen[str] | None = None
    with watching(broker.port) as watcher:
        try:
            home.start()
            watcher.wait_for("homeassistant/status", lambda p: p == "online", 180)
            service = delestage("--headless", "--config", str(config))
            watcher.wait_for(f"{BASE}/availability", lambda p: p == "online", 60)

            # Every entity, each with the state delestage published.
            count_is(watcher, DEVICE_WIDE + PER_CHANNEL * 5)
            wait_state(watcher, entity("sensor", "Forecast source"), "file")
            wait_state(watcher, entity("binary_sensor", "Relay board"), "on")
            wait_state(watcher, entity("sensor", "Last error"), "none")
            level = watcher.last(f"{BASE}/level")
            wait_state(watcher, entity("sensor", "Ecowatt level"), level or "?")
            for channel in [*channels, SAUNA]:
                name, state = channel["name"], channel_state(watcher, channel["index"])
                wait_state(watcher, entity("select", f"{name} mode"), "auto")
                powered = "on" if state["powered"] else "off"
                wait_state(watcher, entity("binary_sensor", f"{name} powered"), powered)
                latched = "on" if state["latched"] else "off"
                wait_state(watcher, entity("binary_sensor", f"{name} latched"), latched)
            assert channel_state(watcher, 0)["latched"] is True
            # Power and energy, for the Energy dashboard: the rated power while powered.
            assert channel_state(watcher, 1)["powered"] is True
            power = entity("sensor", "Radiateurs power")
            wait_state(watcher, power, "1500.0")
            assert ha_state(watcher, power, "state_class") == '"measurement"'
            assert ha_state(watcher, power, "unit_of_measurement") == '"W"'
            kept = entity("sensor", "Radiateurs energy kept off")
            energy = json.loads(watcher.last(f"{BASE}/energy") or "{}")
            kwh = energy["channels"]["1"]
            shown = "unknown" if kwh is None else str(kwh)
            # Home Assistant says "unknown" until the retained energy value reaches the sensor
            # (one CI run read it in between): wait for the value, bounded, then compare.
            wait_for(lambda: ha_state(watcher, kept) == shown, 30)
            assert ha_state(watcher, kept) == shown
            assert ha_state(watcher, kept, "state_class") == '"total_increasing"'
            wait_state(watcher, entity("binary_sensor", "Chauffe-eau powered"), "off")

            # A select round trip; then "on" during min_off shows the command, not the relay.
            borne = entity("select", "Borne VE mode")
            act(watcher, "select.select_option", borne, option="off")
            wait_state(watcher, borne, "off")
            wait_state(watcher, entity("binary_sensor", "Borne VE powered"), "off")
            assert channel_state(watcher, 2)["mode"] == "forced"
            act(watcher, "select.select_option", borne, option="on")
            wait_for(lambda: channel_state(watcher, 2)["waiting"] is not None, 30)
            wait_state(watcher, borne, "on")
            assert ha_state(watcher, entity("binary_sensor", "Borne VE powered")) == "off"
            powered = entity("binary_sensor", "Borne VE powered")
            wait_for(lambda: "min_off" in (ha_state(watcher, powered, "waiting") or ""), 30)

            # The dashboard's force duration: 30 minutes from now ends before Borne VE's 2 hours.
            act(watcher, "select.select_option", entity("select", "Force duration"), option="30m")
            settles(watcher, f"{BASE}/force_for", "30m", 30, "the force duration")
            act(watcher, "select.select_option", entity("select", "Pompe mode"), option="off")
            wait_state(watcher, entity("select", "Pompe mode"), "off")
            assert channel_state(watcher, 3)["until"] < channel_state(watcher, 2)["until"]

            # A refused command is an event in Home Assistant, with its reason.
            refused = entity("event", "Refused command")
            act(watcher, "mqtt.publish", topic=f"{BASE}/channel/1/set", payload="bogus")
            reason = f"{ha.STATE_BASE}{refused.replace('.', '/')}/error"
            error = watcher.wait_for(reason, bool, 60)
            assert "expected on, off, auto" in json.loads(error)
            assert ha_state(watcher, refused, "event_type") == '"refused"'

            # The latch, released from its button.
            act(watcher, "button.press", entity("button", "Chauffe-eau release"))
            wait_state(watcher, entity("binary_sensor", "Chauffe-eau latched"), "off")
            assert channel_state(watcher, 0)["latched"] is False

            # The Sauna leaves the configuration: its 4 entities go, and the log stays clean.
            _stop(service)
            write_config(config, {**_read(config), "channel": channels})
            service = delestage("--headless", "--config", str(config))
            count_is(watcher, DEVICE_WIDE + PER_CHANNEL * 4)
            settles(watcher, f"{BASE}/channel/5/state", "", 30, "the Sauna's state")

            # "Delete device" clears the configs; Home Assistant's birth brings them back.
            configs = [
                seen.topic
                for seen in watcher.seen
                if seen.topic.startswith("homeassistant/") and seen.topic.endswith("/config")
            ]
            for topic in sorted(set(configs)):
                watcher.publish(topic, "", retain=True)
            count_is(watcher, 0)
            births = len(watcher.messages("homeassistant/status"))
            # Home Assistant connects again (as when it restarts) and says it is online.
            act(watcher, "homeassistant.reload_config_entry", entry_id=ha.MQTT_ENTRY_ID)
            count_is(watcher, DEVICE_WIDE + PER_CHANNEL * 4)
            assert len(watcher.messages("homeassistant/status")) > births
            wait_state(watcher, entity("select", "Borne VE mode"), "on")
        finally:
            if service is not None:
                _stop(service)
            home.stop()
    log = home.log_text()
    bad = [line for line in log.splitlines() if any(word in line for word in BAD_LOG)]
    assert not bad, "\n".join(bad[:10])
    devices = home.storage("core.device_registry")["data"]["devices"]  # type: ignore[index]
    ours = [d for d in devices if ["mqtt", f"delestage_{NODE}"] in d["identifiers"]]
    assert len(ours) == 1, devices
    assert "simulated board" in ours[0]["model"] and "Phidget" not in ours[0]["model"]


def _read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())
