"""What Home Assistant needs of the bridge beyond topics: its birth message answered, removed
channels cleared configs first, the entities a dashboard uses (release, latch, refusals,
diagnostics), on the in-memory connector. tests/test_home_assistant.py runs a real one."""

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from support.clock import SteppingClock
from support.mosquitto import eventually
from support.mqtt_memory import MemoryConnector
from support.service import at, config_document, make_config, make_controller, running

from tui.adapters.mqtt.base import Message
from tui.core.config import config_from_dict
from tui.frontends.mqtt.bridge import MqttBridge
from tui.frontends.mqtt.topics import Topics, channel_discovery_topics, discovery_configs
from tui.service.controller import Controller
from tui.service.snapshot import BoardView

NOW = at("2026-12-02T07:00:00+01:00")
BASE = "delestage/node"
HA = "homeassistant"


@contextlib.asynccontextmanager
async def bridge_on_memory(
    tmp_path: Path, **options: Any
) -> AsyncIterator[tuple[Controller, MqttBridge, MemoryConnector]]:
    clock = SteppingClock(NOW)
    controller, _ = make_controller(make_config(tmp_path / "state"), clock)
    connector = MemoryConnector(clock)
    bridge = MqttBridge(
        controller, connector, Topics("node"), backoff=(0.05, 0.2), clock=clock, **options
    )
    async with running(controller):
        bridge.start()
        try:
            yield controller, bridge, connector
        finally:
            await bridge.close()


async def test_home_assistants_birth_has_everything_announced_again_after_a_delay(
    tmp_path: Path,
) -> None:
    delays: list[float] = []

    def delay() -> float:
        delays.append(0.05)
        return 0.05

    async with bridge_on_memory(tmp_path, birth_delay=delay) as (_, bridge, memory):
        await eventually(lambda: bridge.connections == 1)
        session = memory.current
        assert f"{HA}/status" in session.subscriptions
        first = [p.topic for p in session.published if p.retain]
        configs = [topic for topic in first if topic.startswith(f"{HA}/")]
        assert len(configs) >= 8 + 4 * 4
        # Home Assistant restarted (or its device deleted): nothing until its birth message.
        session.inbox.put_nowait(Message(f"{HA}/status", b"offline"))
        session.inbox.put_nowait(Message(f"{HA}/status", b"online"))
        mark = len(session.published)
        await eventually(lambda: bridge.births == 1, what="the birth message answered")
        assert delays == [0.05]  # once, for "online" only
        again = [p.topic for p in session.published[mark:] if p.retain]
        assert set(configs) <= set(again)
        assert {f"{BASE}/level", f"{BASE}/channel/0/state", f"{BASE}/diagnostics"} <= set(again)
        assert again[-1] == f"{BASE}/availability"  # online last, as on a connection
        assert again.index(configs[0]) < again.index(f"{BASE}/channel/0/state")


async def test_a_removed_channel_loses_its_configs_before_its_state(tmp_path: Path) -> None:
    async with bridge_on_memory(tmp_path, removal_gap=0.05) as (_, bridge, memory):
        await eventually(lambda: bridge.connections == 1)
        session = memory.current
        # What the broker replays of a run that had a channel 5: its state first, here.
        session.inbox.put_nowait(Message(f"{BASE}/channel/5/state", b'{"powered": true}', True))
        state_cleared = lambda: any(  # noqa: E731
            p.topic == f"{BASE}/channel/5/state" and p.payload == "" for p in session.published
        )
        await eventually(state_cleared, what="the stale state cleared")
        cleared = [p.topic for p in session.published if p.retain and p.payload == ""]
        configs = channel_discovery_topics(Topics("node"), 5)
        assert configs and configs <= set(cleared)
        assert cleared.index(f"{BASE}/channel/5/state") > max(cleared.index(t) for t in configs)
        assert len([p for p in session.published if p.topic == f"{BASE}/channel/5/state"]) == 1
        # Configured channels are left alone.
        assert not any(t.endswith("/channel_0/config") for t in cleared)


def test_every_channel_has_a_release_button_a_latch_and_a_select_of_the_command() -> None:
    configs = discovery_configs(Topics("node"), [(2, "Sauna")])
    button = configs[f"{HA}/button/node/channel_2_release/config"]
    assert button["command_topic"] == f"{BASE}/channel/2/set"
    assert button["payload_press"] == "auto"
    latch = configs[f"{HA}/binary_sensor/node/channel_2_latched/config"]
    assert latch["state_topic"] == f"{BASE}/channel/2/state"
    select = configs[f"{HA}/select/node/channel_2/config"]
    assert "forced_powered" in select["value_template"]
    refused = configs[f"{HA}/event/node/refused/config"]
    assert refused["state_topic"] == f"{BASE}/error" and refused["event_types"] == ["refused"]
    diagnostics = [c for c in configs.values() if c.get("entity_category") == "diagnostic"]
    assert {c["name"] for c in diagnostics} == {
        "Relay board",
        "Forecast fetched",
        "Forecast source",
        "MQTT bridge",
        "Last error",
    }
    for config in configs.values():
        assert config["origin"]["name"] == "delestage"


def test_the_device_says_what_board_it_drives() -> None:
    topics = Topics("node")
    simulated = discovery_configs(topics, [], board=BoardView("simulated", True))
    device = next(iter(simulated.values()))["device"]
    assert "Phidget" not in device["model"] and "simulated" in device["model"]
    real = discovery_configs(topics, [], board=BoardView("phidget", True, 512345, "1017/1"))
    device = next(iter(real.values()))["device"]
    assert device["model"].endswith("(Phidget 1017/1)")
    assert device["serial_number"] == "512345"


async def test_diagnostics_carry_the_board_forecast_and_bridge(tmp_path: Path) -> None:
    async with bridge_on_memory(tmp_path) as (_, bridge, memory):
        await eventually(lambda: bridge.connections == 1)
        await eventually(lambda: bool(memory.published(f"{BASE}/diagnostics")))
        diagnostics = json.loads(memory.published(f"{BASE}/diagnostics")[-1].payload)
        assert diagnostics["board_attached"] is True
        assert diagnostics["board_kind"] == "simulated"
        assert diagnostics["forecast_source"] == "demo"
        assert diagnostics["bridge"] == "connected" and diagnostics["bridge_connection"] == 1
        assert diagnostics["last_error"] == "none"


async def test_the_force_duration_chosen_in_home_assistant_applies_to_on_and_off(
    tmp_path: Path,
) -> None:
    async with bridge_on_memory(tmp_path) as (controller, bridge, memory):
        await eventually(lambda: bridge.connections == 1)
        session = memory.current
        assert f"{BASE}/force_for/set" in session.subscriptions
        await eventually(lambda: bool(memory.published(f"{BASE}/force_for")))
        assert memory.published(f"{BASE}/force_for")[-1].payload == "default"
        session.inbox.put_nowait(Message(f"{BASE}/force_for/set", b"30m"))
        await eventually(lambda: memory.published(f"{BASE}/force_for")[-1].payload == "30m")
        session.inbox.put_nowait(Message(f"{BASE}/channel/1/set", b"off"))
        await eventually(lambda: 1 in controller.overrides)
        until = controller.overrides[1].until
        assert until is not None and until - NOW <= timedelta(minutes=31)
        # An explicit duration still wins; an unknown choice is refused and changes nothing.
        session.inbox.put_nowait(Message(f"{BASE}/channel/2/set", b'{"powered":false,"for":"3h"}'))
        await eventually(lambda: 2 in controller.overrides)
        assert controller.overrides[2].until - NOW >= timedelta(hours=3)  # type: ignore[operator]
        session.inbox.put_nowait(Message(f"{BASE}/force_for/set", b"soon"))
        await eventually(lambda: bool(memory.published(f"{BASE}/error")))
        assert "expected default, 30m" in memory.published(f"{BASE}/error")[-1].payload
        assert memory.published(f"{BASE}/force_for")[-1].payload == "30m"
        # Until released; and, after a restart, the choice comes back from the broker.
        session.inbox.put_nowait(Message(f"{BASE}/force_for/set", b"until released"))
        session.inbox.put_nowait(Message(f"{BASE}/channel/3/set", b"on"))
        await eventually(lambda: 3 in controller.overrides)
        assert controller.overrides[3].until is None
        session.inbox.put_nowait(Message(f"{BASE}/force_for", b"4h", True))
        await eventually(lambda: memory.published(f"{BASE}/force_for")[-1].payload == "4h")


async def test_a_channel_with_a_power_has_power_and_energy_sensors(tmp_path: Path) -> None:
    document = config_document(tmp_path / "state")
    document["channel"][0]["power"] = "2kW"
    clock = SteppingClock(NOW)
    controller, _ = make_controller(config_from_dict(document, path="test.toml"), clock)
    memory = MemoryConnector(clock)
    bridge = MqttBridge(controller, memory, Topics("node"), backoff=(0.05, 0.2), clock=clock)
    async with running(controller):
        bridge.start()
        try:
            await eventually(lambda: bridge.connections == 1)
            await eventually(lambda: bool(memory.published(f"{BASE}/energy")))
            energy = json.loads(memory.published(f"{BASE}/energy")[-1].payload)
            view = await controller.history_view(NOW, NOW)
            expected = view.channels[0].winter.energy_kwh
            assert energy == {"channels": {"0": expected}, "total": expected}
            configs = {
                p.topic: json.loads(p.payload)
                for p in memory.current.published
                if p.topic.startswith(f"{HA}/sensor/") and p.payload
            }
        finally:
            await bridge.close()
    power = configs[f"{HA}/sensor/node/channel_0_power/config"]
    assert (power["device_class"], power["unit_of_measurement"]) == ("power", "W")
    assert power["state_class"] == "measurement"
    assert "measured_power_w" in power["value_template"]  # a meter's reading replaces it
    kept = configs[f"{HA}/sensor/node/channel_0_energy_kept_off/config"]
    assert (kept["device_class"], kept["state_class"]) == ("energy", "total_increasing")
    assert kept["unit_of_measurement"] == "kWh" and kept["state_topic"] == f"{BASE}/energy"
    assert f"{HA}/sensor/node/energy_kept_off/config" in configs
    assert f"{HA}/sensor/node/channel_1_power/config" not in configs  # no power given
