"""A real Home Assistant (core 2025.4.4) with a headless delestage whose [meter] is the demo
house: the meter's entities (home power, subscribed power, trip margin, trip filter, meter state,
power cut reason) show delestage's values, and Home Assistant's log stays clean of them. Same
needs as tests/test_home_assistant.py (Python 3.13, the environment installed once)."""

import json
import signal
import subprocess
from pathlib import Path

import pytest
from support import home_assistant as ha
from support.ha_entities import bad_log, ha_state
from support.ha_entities import entity as ha_entity
from support.ha_entities import wait_state as settled
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
BAD_LOG = bad_log(NODE)


def entity(domain: str, name: str) -> str:
    return ha_entity(NODE, domain, name)


def wait_state(watcher: Watcher, entity_id: str, want: str) -> None:
    settled(watcher, entity_id, want, 90)


def test_the_meters_entities_in_a_real_home_assistant(
    hass_installed: None, tmp_path: Path, broker: Mosquitto
) -> None:
    document = config_document(tmp_path / "state")
    document["ecowatt"] = steady_forecast(tmp_path)
    document["channel"] = [{**CHANNELS[0], "power": "2kW"}, *CHANNELS[1:]]
    document["mqtt"] = {"url": broker.url, "node_id": NODE}
    document["meter"] = {"source": "demo", "limit": "9kVA"}
    config = write_config(tmp_path / "delestage.toml", document)
    home = ha.HomeAssistant(tmp_path / "ha", broker.port, free_port())
    service: subprocess.Popen[str] | None = None
    with watching(broker.port) as watcher:
        try:
            home.start()
            watcher.wait_for("homeassistant/status", lambda p: p == "online", 180)
            service = delestage("--headless", "--config", str(config))
            watcher.wait_for(f"{BASE}/availability", lambda p: p == "online", 60)
            watcher.wait_for(f"{BASE}/meter", bool, 60)

            wait_state(watcher, entity("sensor", "Subscribed power"), "9000")
            wait_state(watcher, entity("sensor", "Meter state"), "ok")
            wait_state(watcher, entity("sensor", "Power cut reason"), "none")
            wait_state(watcher, entity("sensor", "Meter trip in"), "unknown")
            power = entity("sensor", "Home power")
            wait_for(lambda: (ha_state(watcher, power) or "").isdigit(), 60)
            meter = json.loads(watcher.last(f"{BASE}/meter") or "{}")
            assert meter["limit_va"] == 9000 and meter["state"] == "ok"
            assert ha_state(watcher, power, "state_class") == '"measurement"'
            assert ha_state(watcher, power, "unit_of_measurement") == '"W"'
            # base/meter as the power's attributes
            wait_for(lambda: ha_state(watcher, power, "limit_va") == "9000", 30)
            trip_filter = entity("sensor", "Meter trip filter")
            wait_for(lambda: ha_state(watcher, trip_filter) not in (None, "unknown"), 60)
            float(ha_state(watcher, trip_filter) or "x")

            # A channel the meter measured (the start's staggered restores switch some): its
            # power and energy sensors are announced then, before the next energy reading.
            def measured() -> int | None:
                for channel in CHANNELS:
                    payload = watcher.last(f"{BASE}/channel/{channel['index']}/state") or "{}"
                    if json.loads(payload).get("measured_power_w") is not None:
                        return int(channel["index"])
                return None

            wait_for(lambda: measured() is not None, 120)
            name = CHANNELS[measured() or 0]["name"]
            kept = entity("sensor", f"{name} energy kept off")
            wait_for(lambda: ha_state(watcher, kept) is not None, 60)
            channel_power = entity("sensor", f"{name} power")
            wait_for(lambda: ha_state(watcher, channel_power) is not None, 60)
        finally:
            if service is not None:
                if service.poll() is None:
                    service.send_signal(signal.SIGTERM)
                service.communicate(timeout=30)
            home.stop()
    log = home.log_text()
    bad = [line for line in log.splitlines() if any(word in line for word in BAD_LOG)]
    assert not bad, "\n".join(bad[:10])
