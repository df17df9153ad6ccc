"""Tempo over MQTT on a real Mosquitto: base/tempo (retained, the status object's ``tempo``) and
the two Home Assistant discovery sensors, present only with [tempo]."""

import asyncio
import json
from pathlib import Path

from support.mosquitto import Mosquitto, eventually, retained
from support.mqtt_bridge import BASE, NODE, bridged, connected
from support.service import config_document

from tui.core.config import config_from_dict
from tui.frontends.mqtt.topics import Topics, discovery_configs


async def test_base_tempo_and_its_discovery_sensors(
    tmp_path: Path,
    broker: Mosquitto,
) -> None:
    document = config_document(tmp_path / "state")
    document["mqtt"] = {"url": broker.url, "node_id": NODE}
    document["tempo"] = {"source": "demo"}
    config = config_from_dict(document, path=str(tmp_path / "delestage.toml"))
    async with bridged(config) as (controller, _, bridge):
        await connected(bridge)
        # 07:00 on the demo's red day, before tomorrow is published at 10:30.
        await eventually(lambda: (controller.mqtt or bridge.view).state == "connected")
        snapshot = await controller.snapshot()
        kept = await asyncio.to_thread(retained, broker.port)
    assert json.loads(kept[f"{BASE}/tempo"]) == {
        "today": "red",
        "tomorrow": None,
        "today_source": "demo",
        "tomorrow_source": None,
    }
    assert json.loads(kept[f"{BASE}/tempo"]) == snapshot.to_status()["tempo"]
    assert json.loads(kept[f"{BASE}/status"])["tempo"] == {
        "today": "red",
        "tomorrow": None,
        "today_source": "demo",
        "tomorrow_source": None,
    }
    for day in ("today", "tomorrow"):
        sensor = json.loads(kept[f"homeassistant/sensor/{NODE}/tempo_{day}/config"])
        assert sensor["state_topic"] == f"{BASE}/tempo"
        assert sensor["device_class"] == "enum"
        assert sensor["options"] == ["blue", "white", "red"]
        assert f"value_json.{day}" in sensor["value_template"]
        assert sensor["device"]["identifiers"] == [f"delestage_{NODE}"]


def test_no_tempo_sensors_without_tempo() -> None:
    topics = Topics(node_id=NODE)
    off = discovery_configs(topics, [(0, "Chauffe-eau")])
    on = discovery_configs(topics, [(0, "Chauffe-eau")], tempo=True)
    extra = set(on) - set(off)
    assert extra == {
        f"homeassistant/sensor/{NODE}/tempo_today/config",
        f"homeassistant/sensor/{NODE}/tempo_tomorrow/config",
    }
    assert not any("tempo" in topic for topic in off)
