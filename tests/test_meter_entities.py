"""The meter on MQTT and in Home Assistant's discovery, on a real Mosquitto: the home's power,
the subscribed power, the time before a trip, the meter's state and the power cut's reason on
``base/meter`` (retained), each channel's measured power in its state, and their entities."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from support.meter import ScriptedMeter
from support.mosquitto import Mosquitto, eventually, retained
from support.mqtt_bridge import BASE, NODE, NOW, mqtt_config
from support.service import make_controller, running

from tui.adapters.clock import ManualClock, SystemClock
from tui.core.config import Config
from tui.core.meter_config import MeterConfig, OnOverrun
from tui.core.power import Power
from tui.frontends.mqtt.bridge import MqttBridge
from tui.frontends.mqtt.service import MqttFrontend
from tui.frontends.mqtt.topics import Topics, discovery_configs
from tui.service.controller import Controller

HA = "homeassistant"


def metered(tmp_path: Path, url: str) -> Config:
    config = mqtt_config(tmp_path, url)
    channels = tuple(
        replace(channel, power=Power(2000) if channel.index == 0 else None)
        for channel in config.channels
    )
    return replace(
        config, channels=channels, meter=MeterConfig(limit=9000, on_overrun=OnOverrun.MODEL)
    )


@contextlib.asynccontextmanager
async def bridged_meter(
    config: Config, meter: ScriptedMeter, clock: ManualClock
) -> AsyncIterator[tuple[Controller, MqttBridge]]:
    controller, _board = make_controller(config, clock, meter_source=meter)
    frontend = MqttFrontend(
        controller, controller.report_mqtt, controller.log_error, {}, (0.1, 0.5), SystemClock()
    )
    async with running(controller):
        await frontend.apply(config)  # type: ignore[misc]
        assert frontend.bridge is not None
        try:
            yield controller, frontend.bridge
        finally:
            await frontend.close()


async def frames(controller: Controller, clock: ManualClock, meter: ScriptedMeter, va: int, n: int):
    for _ in range(n):
        clock.advance(1)
        meter.put(clock.now(), va)
        await controller.settle()


async def kept_meter(port: int, condition) -> dict[str, str]:  # type: ignore[no-untyped-def]
    found: dict[str, str] = {}

    async def look() -> bool:
        found.update(await asyncio.to_thread(retained, port))
        return f"{BASE}/meter" in found and condition(json.loads(found[f"{BASE}/meter"]))

    for _ in range(100):
        if await look():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"base/meter never matched: {found.get(f'{BASE}/meter')}")


async def test_the_meter_and_its_power_cut_on_mqtt_and_in_discovery(
    tmp_path: Path, broker: Mosquitto
) -> None:
    clock = ManualClock(NOW)
    meter = ScriptedMeter()
    config = metered(tmp_path, broker.url)
    async with bridged_meter(config, meter, clock) as (controller, bridge):
        await eventually(lambda: bridge.connections >= 1, what="the bridge to connect")
        await frames(controller, clock, meter, 4200, 2)
        kept = await kept_meter(broker.port, lambda m: m["power_va"] == 4200)
        assert json.loads(kept[f"{BASE}/meter"]) == {
            "power_va": 4200,
            "limit_va": 9000,
            "trip_in_s": None,
            "state": "ok",
            "source": "tic",
            "cuts": [],
            "filter_level": json.loads(kept[f"{BASE}/meter"])["filter_level"],
            "mode": None,
            "cut_reason": "none",
        }
        power = json.loads(kept[f"{HA}/sensor/{NODE}/power/config"])
        assert (power["device_class"], power["unit_of_measurement"]) == ("power", "W")
        assert power["state_class"] == "measurement" and power["state_topic"] == f"{BASE}/meter"
        limit = json.loads(kept[f"{HA}/sensor/{NODE}/subscribed_power/config"])
        assert (limit["device_class"], limit["unit_of_measurement"]) == ("apparent_power", "VA")
        trip = json.loads(kept[f"{HA}/sensor/{NODE}/trip_margin/config"])
        assert (trip["device_class"], trip["unit_of_measurement"]) == ("duration", "s")
        state = json.loads(kept[f"{HA}/sensor/{NODE}/meter_state/config"])
        assert state["options"] == ["waiting", "ok", "stale", "tripped"]
        assert f"{HA}/sensor/{NODE}/power_cut_reason/config" in kept
        assert f"{HA}/sensor/{NODE}/channel_1_power/config" not in kept  # neither rated nor seen

        # 2.5 x the limit: the power rule cuts one channel, and says why on base/meter.
        for _ in range(60):  # until the first cut (the meter would trip in about 40 s)
            await frames(controller, clock, meter, 22500, 1)
            if (await controller.snapshot()).meter.cuts:  # type: ignore[union-attr]
                break
        kept = await kept_meter(broker.port, lambda m: bool(m["cuts"]))
        published = json.loads(kept[f"{BASE}/meter"])
        assert published["trip_in_s"] is not None and published["trip_in_s"] > 0
        assert published["cut_reason"].startswith("power 22.5 kVA over 9 kVA for ")
        assert "the meter would trip in" in published["cut_reason"]
        cut = published["cuts"][0]
        # The meter sees the cut: 18 kVA less two frames later (under the limit: no second cut
        # in the same seconds, which would leave both steps unmeasured), its measured power.
        for _ in range(10):  # two frames after the switch (a frame the loop folded: a third)
            await frames(controller, clock, meter, 4500, 1)
            snapshot = await controller.snapshot()
            if snapshot.channel(cut).measured_power_w is not None:
                break
        assert snapshot.channel(cut).measured_power_w == 18000
        for _ in range(100):
            kept = await asyncio.to_thread(retained, broker.port)
            channel = json.loads(kept[f"{BASE}/channel/{cut}/state"])
            if channel.get("measured_power_w") == 18000:
                break
            await asyncio.sleep(0.1)
        assert channel["measured_power_w"] == 18000 and channel["powered"] is False
        # Announced late (when first measured), and not taken back for a stale config when the
        # broker echoes it to the bridge's own subscription.
        await asyncio.sleep(0.5)
        kept = await asyncio.to_thread(retained, broker.port)
        assert f"{HA}/sensor/{NODE}/channel_{cut}_power/config" in kept


def test_the_meter_entities_are_announced_only_with_a_meter() -> None:
    topics = Topics("node")
    without = discovery_configs(topics, [(0, "Chauffe-eau")])
    with_meter = discovery_configs(topics, [(0, "Chauffe-eau")], meter=True)
    added = {topic.split("/")[-2] for topic in with_meter.keys() - without.keys()}
    assert added == {
        "power",
        "subscribed_power",
        "trip_margin",
        "trip_filter",
        "meter_state",
        "power_cut_reason",
    }
    for topic in with_meter.keys() - without.keys():
        assert with_meter[topic]["device"]["identifiers"] == ["delestage_node"]
