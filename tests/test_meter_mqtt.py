"""``[meter] source = "mqtt"``: the three publishers' payload shapes read as readings (pure), and
the source against a real Mosquitto (tests/support/mosquitto.py): readings as they arrive, the
broker's retained replay and payloads without a power dropped, a silent topic stale."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from support.mosquitto import Mosquitto, Watcher
from support.service import config_document

from tui.adapters.clock import ManualClock
from tui.adapters.meter.factory import make_meter_source
from tui.adapters.meter.mqtt import MqttMeterSource
from tui.core.config import Config, config_from_dict
from tui.core.meter_mqtt import PRESETS, Preset, fields_for, reading_from_payload

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)

# One frame as each publisher sends it (field names and shapes as they publish them).
TELEINFO2MQTT = {
    "ADCO": {"raw": "021861348497", "value": 21861348497},
    "OPTARIF": {"raw": "BASE", "value": "BASE"},
    "ISOUSC": {"raw": "45", "value": 45},
    "PAPP": {"raw": "09870", "value": 9870},
    "ADPS": {"raw": "046", "value": 46},
}
TASMOTA = {
    "Time": "2026-12-01T13:00:00",
    "ENERGY": {"Power": 3800, "ApparentPower": 4100},
    "TIC": {
        "ADSC": "812345678901",
        "SINSTS": "4100",
        "PCOUP": "9",
        "PREF": "9",
        "STGE": "003A0001",
    },
}
ZIGBEE2MQTT = {"apparent_power": 2750, "current_tarif": "HPJB", "linkquality": 120}


def _payload(document: object) -> bytes:
    return json.dumps(document).encode()


def test_the_three_presets_payloads() -> None:
    teleinfo = reading_from_payload(_payload(TELEINFO2MQTT), PRESETS[Preset.TELEINFO2MQTT], T0)
    assert teleinfo is not None
    assert (teleinfo.power_va, teleinfo.cutoff_va, teleinfo.overrun) == (9870, 9000, True)
    tasmota = reading_from_payload(_payload(TASMOTA), PRESETS[Preset.TASMOTA], T0)
    assert tasmota is not None  # the apparent power of the TIC, not ENERGY.Power (W)
    assert (tasmota.power_va, tasmota.cutoff_va, tasmota.overrun) == (4100, 9000, False)
    overrun = {**TASMOTA, "TIC": {**TASMOTA["TIC"], "STGE": "003A0081"}}  # type: ignore[dict-item]
    flagged = reading_from_payload(_payload(overrun), PRESETS[Preset.TASMOTA], T0)
    assert flagged is not None and flagged.overrun
    zlinky = reading_from_payload(_payload(ZIGBEE2MQTT), PRESETS[Preset.ZIGBEE2MQTT], T0)
    assert zlinky is not None and (zlinky.power_va, zlinky.cutoff_va) == (2750, None)
    own = fields_for(None, "ENERGY.ApparentPower")
    assert (reading_from_payload(_payload(TASMOTA), own, T0) or zlinky).power_va == 4100


def test_a_payload_without_a_power_is_no_reading() -> None:
    fields = PRESETS[Preset.TASMOTA]
    for payload in (b"", b"not json", b"[1, 2]", b'{"TIC": {"PAPP": "x"}}', b'{"TIC": {}}'):
        assert reading_from_payload(payload, fields, T0) is None
    assert reading_from_payload(b'{"TIC": {"PAPP": true}}', fields, T0) is None
    assert reading_from_payload(b'{"TIC": {"PAPP": -5}}', fields, T0) is None
    assert reading_from_payload(b'{"TIC": {"PAPP": 250000}}', fields, T0) is None


def test_a_cut_off_power_no_meter_has_is_unknown_never_a_limit() -> None:
    # A limit of -9 kVA or of 0.1 VA would cut every load (or none): the rule keeps the limit
    # it knew, or [meter] limit.
    fields = PRESETS[Preset.TELEINFO2MQTT]
    for limit in ('"ISOUSC": -45', '"ISOUSC": 0.001', '"PCOUP": 0.0001', '"PCOUP": 5000'):
        reading = reading_from_payload(f'{{"PAPP": 5000, {limit}}}'.encode(), fields, T0)
        assert reading is not None and (reading.power_va, reading.cutoff_va) == (5000, None)


def _config(tmp_path: Path, broker: str, topic: str, preset: str) -> Config:
    document = config_document(tmp_path / "state")
    document["meter"] = {"source": "mqtt", "topic": topic, "preset": preset, "broker": broker}
    return config_from_dict(document, path=str(tmp_path / "test.toml"))


async def test_the_source_reads_each_publisher_from_a_real_broker(
    tmp_path: Path, broker: Mosquitto
) -> None:
    clock = ManualClock(T0)
    publisher = Watcher(broker.port, "nothing/#")
    shapes = {
        "teleinfo2mqtt": ("teleinfo/021861348497", TELEINFO2MQTT, 9870),
        "tasmota": ("tele/tasmota_linky/SENSOR", TASMOTA, 4100),
        "zigbee2mqtt": ("zigbee2mqtt/ZLinky", ZIGBEE2MQTT, 2750),
    }
    sources: dict[str, MqttMeterSource] = {}
    try:
        for preset, (topic, _, _) in shapes.items():
            # A retained message from long ago: the broker replays it at subscription.
            publisher.publish(topic, json.dumps(ZIGBEE2MQTT | {"apparent_power": 1}), retain=True)
            source = make_meter_source(_config(tmp_path, broker.url, topic, preset), clock)
            assert isinstance(source, MqttMeterSource)
            assert source.where == f"mqtt {topic} on {broker.url}"
            source.start(lambda: None)
            sources[preset] = source
        for source in sources.values():  # subscribed: the retained replay came, dropped
            await _eventually(lambda source=source: source.replayed == 1)
            assert source.latest is None
        for preset, (topic, document, power) in shapes.items():
            publisher.publish(topic, json.dumps(document))
            source = sources[preset]
            await _eventually(lambda source=source: source.latest is not None)
            assert source.latest is not None and source.latest.power_va == power
            assert source.latest.at == T0
            result = await source.refresh(T0)
            assert result.data is source.latest
        # A payload without a power is dropped and counted, the last reading kept (and
        # turning stale, never read as no load).
        tasmota = sources["tasmota"]
        publisher.publish("tele/tasmota_linky/SENSOR", json.dumps({"TIC": {"ADSC": "1"}}))
        await _eventually(lambda: tasmota.dropped == 1)
        assert tasmota.latest is not None and tasmota.latest.power_va == 4100
        assert "without a power" in tasmota.detail
        clock.advance(11)
        stale = await tasmota.refresh(clock.now())
        assert stale.error is not None and "no valid frame for 10 s" in stale.error
    finally:
        for source in sources.values():
            await source.aclose()
        publisher.close()


async def test_check_reads_one_message(tmp_path: Path, broker: Mosquitto) -> None:
    from tui.adapters.meter.check import check_meter_line

    topic = "tele/tasmota_linky/SENSOR"
    config = _config(tmp_path, broker.url, topic, "tasmota")
    publisher = Watcher(broker.port, "nothing/#")
    line = asyncio.create_task(asyncio.to_thread(check_meter_line, config))
    try:
        while not line.done():
            publisher.publish(topic, json.dumps(TASMOTA))
            await asyncio.sleep(0.2)
    finally:
        publisher.close()
    assert line.result() == (
        True,
        f"mqtt {topic} on {broker.url}: cut-off 9 kVA, power now 4.1 kVA",
    )


async def test_a_lost_broker_is_said_and_reconnected(tmp_path: Path, broker: Mosquitto) -> None:
    from tui.adapters.clock import SystemClock

    topic = "zigbee2mqtt/ZLinky"
    source = make_meter_source(_config(tmp_path, broker.url, topic, "zigbee2mqtt"), SystemClock())
    assert isinstance(source, MqttMeterSource)
    source.start(lambda: None)
    publisher = Watcher(broker.port, "nothing/#")
    try:
        for _ in range(50):  # until subscribed: the first one may come before the SUBSCRIBE
            publisher.publish(topic, json.dumps(ZIGBEE2MQTT))
            if source.latest is not None:
                break
            await asyncio.sleep(0.1)
        assert source.latest is not None
        publisher.close()
        broker.stop()
        await _eventually(lambda: source.box.problem is not None)
        broker.start()
        publisher = Watcher(broker.port, "nothing/#")
        moved = {**ZIGBEE2MQTT, "apparent_power": 6400}
        for _ in range(100):  # the source reconnects after its backoff (1 s, then 2 s...)
            publisher.publish(topic, json.dumps(moved))
            if source.latest is not None and source.latest.power_va == 6400:
                break
            await asyncio.sleep(0.1)
        assert source.latest is not None and source.latest.power_va == 6400
        assert source.box.problem is None
    finally:
        await source.aclose()
        publisher.close()


def test_without_a_broker_of_its_own_the_mqtt_section_is_used(tmp_path: Path) -> None:
    from tui.adapters.meter.mqtt import connector_for

    document = config_document(tmp_path / "state")
    document["meter"] = {"source": "mqtt", "topic": "teleinfo/1", "preset": "teleinfo2mqtt"}
    document["mqtt"] = {"url": "mqtt://broker.lan:1884", "username": "linky"}
    config = config_from_dict(document, path=str(tmp_path / "test.toml"))
    connector = connector_for(config, environ={"DELESTAGE_MQTT_PASSWORD": "secret"})
    assert connector.url == "mqtt://broker.lan:1884"
    assert "secret" not in repr(connector) and "linky" in repr(connector)
    del document["mqtt"]
    alone = connector_for(config_from_dict(document, path=str(tmp_path / "test.toml")))
    assert alone.url == "mqtt://localhost:1883"


async def _eventually(check, seconds: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.02)
