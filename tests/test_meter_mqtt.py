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
from tui.core.meter import MeterReading
from tui.core.meter_mqtt import PRESETS, Preset, fields_for, reading_from_payload

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)

# One message as each publisher sends it, shaped as its source writes it. The TIC data are
# frames of github.com/hallard/tinfo_replay (trames/histo_base_tri.txt,
# trames/stand_base_tri.txt: real meters) or of the publishers' own documentation.

# teleinfo2mqtt (github.com/fmartinou/teleinfo2mqtt): app/teleinfo/TicMode.js parseFrameItem
# gives each label {"raw": the group's data, "value": parseInt of it without "..", else the
# text}, plus "timestamp" on timestamped groups (StandardTicMode.getTimestamp);
# app/mqtt/index.js publishes the frame on teleinfo/<raw ADCO or ADSC>.
TELEINFO2MQTT = {  # historique, single-phase, during an overrun (ADPS)
    "ADCO": {"raw": "021861348497", "value": 21861348497},
    "OPTARIF": {"raw": "BASE", "value": "BASE"},
    "ISOUSC": {"raw": "45", "value": 45},
    "BASE": {"raw": "027986573", "value": 27986573},
    "PTEC": {"raw": "TH..", "value": "TH"},
    "IINST": {"raw": "049", "value": 49},
    "ADPS": {"raw": "046", "value": 46},
    "IMAX": {"raw": "090", "value": 90},
    "PAPP": {"raw": "09870", "value": 9870},
    "MOTDETAT": {"raw": "000000", "value": 0},
}
TELEINFO2MQTT_THREE_PHASE = {  # histo_base_tri.txt's first frame
    "ADCO": {"raw": "021630015376", "value": 21630015376},
    "OPTARIF": {"raw": "BASE", "value": "BASE"},
    "ISOUSC": {"raw": "20", "value": 20},
    "BASE": {"raw": "027986573", "value": 27986573},
    "PTEC": {"raw": "TH..", "value": "TH"},
    "IINST1": {"raw": "002", "value": 2},
    "IINST2": {"raw": "002", "value": 2},
    "IINST3": {"raw": "002", "value": 2},
    "IMAX1": {"raw": "015", "value": 15},
    "IMAX2": {"raw": "013", "value": 13},
    "IMAX3": {"raw": "012", "value": 12},
    "PMAX": {"raw": "08450", "value": 8450},
    "PAPP": {"raw": "01116", "value": 1116},
    "MOTDETAT": {"raw": "000000", "value": 0},
    "PPOT": {"raw": "00", "value": 0},
}
# Standard, three-phase: stand_base_tri.txt's first frame (a subset of its labels). PCOUP and
# PREF in VA: StandardTicMode.getValue appends "000" to the meter's "12" (kVA); STGE is kept
# as its text (StandardTicMode.getValueCoerced).
TELEINFO2MQTT_STANDARD = {
    "ADSC": {"raw": "031776013513", "value": 31776013513},
    "VTIC": {"raw": "02", "value": 2},
    "DATE": {
        "raw": "",
        "value": "",
        "timestamp": {"dst": "summer", "date": "2021-04-15T20:01:46.000Z"},
    },
    "NGTF": {"raw": "      BASE      ", "value": "      BASE      "},
    "EAST": {"raw": "027553175", "value": 27553175},
    "IRMS1": {"raw": "002", "value": 2},
    "IRMS2": {"raw": "001", "value": 1},
    "IRMS3": {"raw": "002", "value": 2},
    "URMS1": {"raw": "234", "value": 234},
    "PREF": {"raw": "12000", "value": 12000},
    "PCOUP": {"raw": "12000", "value": 12000},
    "SINSTS": {"raw": "01198", "value": 1198},
    "SINSTS1": {"raw": "00497", "value": 497},
    "SINSTS2": {"raw": "00299", "value": 299},
    "SINSTS3": {"raw": "00402", "value": 402},
    "SMAXSN": {
        "raw": "07337",
        "value": 7337,
        "timestamp": {"dst": "summer", "date": "2021-04-15T08:10:21.000Z"},
    },
    "STGE": {"raw": "003A4001", "value": "003A4001"},
    "NTARF": {"raw": "01", "value": 1},
}

# Tasmota's teleinfo driver (github.com/arendst/Tasmota,
# tasmota/tasmota_xnrg_energy/xnrg_15_teleinfo.ino ResponseAppendTInfo): the labels under
# "TIC", an all-digit value as a JSON number, ADCO/ADSC and any other as text. The telemetry
# (every TelePeriod) as github.com/tasmota/docs docs/Teleinfo.md shows it, ENERGY beside TIC:
TASMOTA = {
    "Time": "2021-10-26T17:28:45",
    "ENERGY": {
        "TotalStartTime": "2021-10-25T15:22:04",
        "Total": 9098.245,
        "Yesterday": 6822.685,
        "Today": 2275.560,
        "Period": 9,
        "Power": 170,
        "Current": 1.000,
        "Load": 6,
    },
    "TIC": {
        "ADCO": "021528603314",
        "OPTARIF": "HC..",
        "ISOUSC": 15,
        "HCHC": 920750,
        "HCHP": 2275560,
        "PTEC": "HP..",
        "IINST": 1,
        "IMAX": 2,
        "PAPP": 170,
        "HHPHC": "A",
        "MOTDETAT": 0,
    },
    "ESP32": {"Temperature": 36.1},
    "TempUnit": "C",
}
# `EnergyConfig Full`: the TIC object alone at every frame (docs/Teleinfo.md), here
# stand_base_tri.txt's first frame written as ResponseAppendTInfo writes it (a subset).
TASMOTA_STANDARD = {
    "TIC": {
        "ADSC": "031776013513",
        "VTIC": 2,
        "NGTF": "BASE",
        "EAST": 27553175,
        "IRMS1": 2,
        "IRMS2": 1,
        "IRMS3": 2,
        "URMS1": 234,
        "PREF": 12,
        "PCOUP": 12,
        "SINSTS": 1198,
        "SINSTS1": 497,
        "SINSTS2": 299,
        "SINSTS3": 402,
        "SMAXSN": 7337,
        "STGE": "003A4001",
        "NTARF": 1,
    }
}

# Zigbee2MQTT with a LiXee ZLinky_TIC (github.com/Koenkk/zigbee-herdsman-converters,
# src/devices/lixee.ts): each attribute under its property name. Historique: apparent_power
# is PAPP, available_power ISOUSC (A).
ZIGBEE2MQTT = {"apparent_power": 2750, "available_power": 45, "rms_current": 12}
# Standard, three-phase: apparent_power is SINSTS1 (phase 1), total_apparent_power SINSTS,
# power_threshold PCOUP (kVA), available_power PREF (kVA).
ZIGBEE2MQTT_THREE_PHASE = {
    "apparent_power": 497,
    "apparent_power_ph_b": 299,
    "apparent_power_ph_c": 402,
    "total_apparent_power": 1198,
    "available_power": 12,
    "power_threshold": 12,
    "rms_current": 2,
    "rms_current_ph_b": 1,
    "rms_current_ph_c": 2,
}


def _payload(document: object) -> bytes:
    return json.dumps(document).encode()


def _read(document: object, preset: Preset) -> MeterReading:
    reading = reading_from_payload(_payload(document), PRESETS[preset], T0)
    assert reading is not None
    return reading


def _facts(reading: MeterReading) -> tuple[object, ...]:
    return (reading.power_va, reading.phases_va, reading.cutoff_va, reading.overrun)


def test_teleinfo2mqtt_in_both_modes() -> None:
    teleinfo = Preset.TELEINFO2MQTT
    assert _facts(_read(TELEINFO2MQTT, teleinfo)) == (9870, (), 9000, True)  # ISOUSC x 200 V
    # Three-phase historique: PAPP is the total; whether its ISOUSC is per phase was not
    # checked (the cut-off power read from it is the single-phase rule's, so not asserted).
    three = _read(TELEINFO2MQTT_THREE_PHASE, teleinfo)
    assert (three.power_va, three.phases_va, three.overrun) == (1116, (), False)
    adir = {**TELEINFO2MQTT_THREE_PHASE, "ADIR2": {"raw": "021", "value": 21}}
    assert _read(adir, teleinfo).overrun  # ADIR1-3: the three-phase overrun warnings
    # PCOUP in VA as teleinfo2mqtt writes it (not 12000 kVA); the three phases and the total.
    standard = _read(TELEINFO2MQTT_STANDARD, teleinfo)
    assert _facts(standard) == (1198, (497, 299, 402), 12000, False)
    assert not standard.breaker_open
    overrun = {**TELEINFO2MQTT_STANDARD, "STGE": {"raw": "003A4081", "value": "003A4081"}}
    assert _read(overrun, teleinfo).overrun  # STGE bit 7
    opened = {**TELEINFO2MQTT_STANDARD, "STGE": {"raw": "003A4003", "value": "003A4003"}}
    assert _read(opened, teleinfo).breaker_open  # STGE bits 1-3: 1, opened on overrun
    # A per-phase frame without its total: the sum.
    phases = {k: v for k, v in TELEINFO2MQTT_STANDARD.items() if k != "SINSTS"}
    assert _read(phases, teleinfo).power_va == 497 + 299 + 402


def test_tasmota_telemetry_and_raw_frames() -> None:
    tasmota = Preset.TASMOTA
    # The telemetry: TIC.PAPP (ENERGY.Power is the same PAPP, written there by the driver).
    assert _facts(_read(TASMOTA, tasmota)) == (170, (), 3000, False)
    raw = {"TIC": TASMOTA["TIC"]}  # EnergyConfig Full: the TIC object alone
    assert _facts(_read(raw, tasmota)) == (170, (), 3000, False)
    # EnergyConfig Changed sends only what changed (docs/Teleinfo.md: {"TIC":{"PAPP":160}}).
    assert _facts(_read({"TIC": {"PAPP": 160}}, tasmota)) == (160, (), None, False)
    standard = _read(TASMOTA_STANDARD, tasmota)  # PCOUP 12 (kVA)
    assert _facts(standard) == (1198, (497, 299, 402), 12000, False)
    # ADPS in the frame while the meter sends it (historique), as a number.
    tic = {**TASMOTA["TIC"], "IINST": 16, "ADPS": 16, "PAPP": 3680}  # type: ignore[dict-item]
    overrun = {"TIC": tic}
    assert _read(overrun, tasmota).overrun
    # An all-digit STGE is written as a number: 00000080 arrives as 80, its bit 7 still read.
    digits = {"TIC": {**TASMOTA_STANDARD["TIC"], "STGE": 80}}
    assert _read(digits, tasmota).overrun
    # The driver's separate ADPS message carries no power: no reading (dropped, counted).
    assert reading_from_payload(b'{"TIC":{"ADPS":1}}', PRESETS[tasmota], T0) is None
    # The user's own field: ENERGY.Power, which this driver fills with PAPP.
    own = reading_from_payload(_payload(TASMOTA), fields_for(None, "ENERGY.Power"), T0)
    assert own is not None and own.power_va == 170


def test_zigbee2mqtt_zlinky_in_both_modes() -> None:
    zlinky = Preset.ZIGBEE2MQTT
    # Historique: available_power is ISOUSC (A), not read (it is PREF in kVA in standard).
    assert _facts(_read(ZIGBEE2MQTT, zlinky)) == (2750, (), None, False)
    # Three-phase standard: the total, never apparent_power (phase 1) alone; PCOUP in kVA.
    assert _facts(_read(ZIGBEE2MQTT_THREE_PHASE, zlinky)) == (1198, (497, 299, 402), 12000, False)
    without_total = {
        k: v for k, v in ZIGBEE2MQTT_THREE_PHASE.items() if k != "total_apparent_power"
    }
    assert _read(without_total, zlinky).power_va == 497 + 299 + 402


def test_a_payload_without_a_power_is_no_reading() -> None:
    fields = PRESETS[Preset.TASMOTA]
    for payload in (b"", b"not json", b"[1, 2]", b'{"TIC": {"PAPP": "x"}}', b'{"TIC": {}}'):
        assert reading_from_payload(payload, fields, T0) is None
    assert reading_from_payload(b'{"TIC": {"PAPP": true}}', fields, T0) is None
    assert reading_from_payload(b'{"TIC": {"PAPP": -5}}', fields, T0) is None
    assert reading_from_payload(b'{"TIC": {"PAPP": 250000}}', fields, T0) is None


def test_a_cut_off_power_no_meter_has_is_unknown_never_a_limit() -> None:
    # A limit of -9 kVA or of 0.1 VA would cut every load (or none): the rule keeps the limit
    # it knew, or [meter] limit. teleinfo2mqtt's PCOUP is in VA: a 9 there is 9 VA, no limit.
    teleinfo = PRESETS[Preset.TELEINFO2MQTT]
    for limit in ('"ISOUSC": -45', '"ISOUSC": 0.001', '"PCOUP": 9', '"PCOUP": 5000000'):
        reading = reading_from_payload(f'{{"PAPP": 5000, {limit}}}'.encode(), teleinfo, T0)
        assert reading is not None and (reading.power_va, reading.cutoff_va) == (5000, None)
    tasmota = PRESETS[Preset.TASMOTA]  # PCOUP in kVA
    for limit in ('"PCOUP": 0.0001', '"PCOUP": 5000', '"PCOUP": -9'):
        payload = f'{{"TIC": {{"SINSTS": 5000, {limit}}}}}'.encode()
        reading = reading_from_payload(payload, tasmota, T0)
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
        "teleinfo2mqtt": ("teleinfo/031776013513", TELEINFO2MQTT_STANDARD, 1198),
        "tasmota": ("tele/tasmota_linky/SENSOR", TASMOTA, 170),
        "zigbee2mqtt": ("zigbee2mqtt/ZLinky", ZIGBEE2MQTT_THREE_PHASE, 1198),
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
        assert tasmota.latest is not None and tasmota.latest.power_va == 170
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
            publisher.publish(topic, json.dumps(TASMOTA_STANDARD))
            await asyncio.sleep(0.2)
    finally:
        publisher.close()
    assert line.result() == (
        True,
        f"mqtt {topic} on {broker.url}: cut-off 12 kVA, power now 1.2 kVA",
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


def test_a_message_past_the_bound_is_said_as_the_meter_s_trouble(tmp_path: Path) -> None:
    """The meter's connection drops a message past the bound (MQTT 3.1.1 brokers send them:
    tests/test_faults_peers.py) before the payload reader sees it, and says it as its trouble."""
    from tui.core.bounds import MAX_MQTT_PACKET

    config = _config(tmp_path, "mqtt://127.0.0.1:1", "teleinfo/1", "teleinfo2mqtt")
    source = MqttMeterSource.of(config, ManualClock(T0))
    oversized = source.connector.oversized  # type: ignore[attr-defined]
    assert not oversized.passes("teleinfo/1", b"{" * (MAX_MQTT_PACKET + 1))
    assert source.box.problem is not None and "larger than 64 kB" in source.box.problem


async def _eventually(check, seconds: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.02)
