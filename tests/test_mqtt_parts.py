"""The MQTT bridge's parts without a broker: [mqtt] validation, command parsing, topics, and the
bridge's pacing on an in-memory connector (a broker would add nothing to these)."""

import asyncio
import contextlib
import itertools
import json
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.clock import SteppingClock
from support.mosquitto import eventually
from support.mqtt_memory import MemoryConnector
from support.service import at, config_document, make_config, make_controller, running

from tui.adapters.mqtt.base import BrokerError, Message
from tui.adapters.mqtt.client import BrokerAddress, read_password
from tui.core.config import MqttConfig, config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.frontends.mqtt.bridge import MqttBridge
from tui.frontends.mqtt.commands import Command, CommandError, parse_command
from tui.frontends.mqtt.topics import Topics, node_id_from_host, retained_states
from tui.service.controller import Controller

NOW = at("2026-12-02T07:00:00+01:00")
BASE = "delestage/node"


def _config(mqtt: Any) -> dict[str, Any]:
    document = config_document(Path("/nonexistent"))
    document["mqtt"] = mqtt
    return document


# --- [mqtt] -------------------------------------------------------------------------------


def test_mqtt_is_off_unless_the_section_is_present() -> None:
    assert make_config(Path("/tmp/x")).mqtt is None
    config = config_from_dict(_config({}))
    assert config.mqtt == MqttConfig()
    assert config.mqtt.url == "mqtt://localhost:1883"
    assert config.mqtt.topic_prefix == "delestage"
    assert config.mqtt.discovery_prefix == "homeassistant"


def test_mqtt_section_round_trips_through_init() -> None:
    mqtt = {
        "url": "mqtts://broker.lan:8883",
        "username": "delestage",
        "password_file": "/etc/delestage/mqtt-password",
        "ca_file": "/etc/ssl/ca.pem",
        "node_id": "maison_1",
        "topic_prefix": "site/lyon",
        "discovery_prefix": "",
        "birth_topic": "ha/status",
    }
    config = config_from_dict(_config(mqtt))
    assert config_to_dict(config)["mqtt"] == mqtt
    assert config_from_dict(config_to_dict(config)) == config


@pytest.mark.parametrize(
    ("mqtt", "says"),
    [
        ({"url": "http://broker"}, 'mqtt.url: expected a broker URL like "mqtt://host:1883"'),
        ({"url": "mqtt://broker:99999"}, "mqtt.url: expected a broker URL"),
        ({"node_id": "Maison-1"}, "mqtt.node_id: expected lower-case letters, digits and _"),
        ({"topic_prefix": "a/#"}, "mqtt.topic_prefix: expected topic levels"),
        ({"topic_prefix": ""}, "mqtt.topic_prefix: expected topic levels"),
        ({"discovery_prefix": "ha/"}, "mqtt.discovery_prefix: expected topic levels"),
        ({"ca_file": "/ca.pem"}, "mqtt.ca_file: only used with TLS"),
        ({"pasword_file": "x"}, "mqtt.pasword_file: unknown key (did you mean `password_file`?)"),
        ("mqtt://x", "mqtt: expected a table [mqtt]"),
    ],
)
def test_bad_mqtt_settings_are_one_clear_line_each(mqtt: Any, says: str) -> None:
    with pytest.raises(InputError) as error:
        config_from_dict(_config(mqtt), path="site.toml")
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith(f"site.toml: {says}")


def test_broker_address_and_default_node_id() -> None:
    assert BrokerAddress.from_url("mqtt://10.0.0.2") == BrokerAddress("10.0.0.2", 1883, False)
    assert BrokerAddress.from_url("mqtts://h.lan") == BrokerAddress("h.lan", 8883, True)
    assert BrokerAddress.from_url("mqtts://[::1]:9883/") == BrokerAddress("::1", 9883, True)
    assert node_id_from_host("Maison-Lyon.local") == "maison_lyon_local"
    assert node_id_from_host("") == "delestage"


def test_password_comes_from_a_private_file_or_the_environment(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("pa:ss word\n")
    secret.chmod(0o600)
    mqtt = MqttConfig(password_file="pw")
    assert read_password(mqtt, {}, tmp_path) == ("pa:ss word", str(secret))
    env = {"DELESTAGE_MQTT_PASSWORD": "from-env"}
    assert read_password(MqttConfig(), env) == ("from-env", "$DELESTAGE_MQTT_PASSWORD")
    assert read_password(MqttConfig(), {}) == (None, "none")
    secret.chmod(0o640)
    with pytest.raises(BrokerError, match="chmod 600") as error:
        read_password(mqtt, env, tmp_path)
    assert "pa:ss" not in str(error.value)
    with pytest.raises(BrokerError, match="no such MQTT password file"):
        read_password(MqttConfig(password_file=str(tmp_path / "missing")), {})
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)  # a FIFO is refused at once, never waited on
    with pytest.raises(BrokerError, match="expected a regular file"):
        read_password(MqttConfig(password_file=str(fifo)), {})


# --- commands -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "command"),
    [
        (b"on", Command(3, True)),
        (b" OFF\n", Command(3, False)),
        (b"auto", Command(3, None)),
        (b'{"mode": "auto"}', Command(3, None)),
        (b'{"powered": false}', Command(3, False)),
        (b'{"powered": true, "for": "1h30m"}', Command(3, True, timedelta(minutes=90))),
        (b'{"powered": false, "for": "0s"}', Command(3, False, timedelta(0))),
        (
            b'{"powered": false, "until": "2026-12-02T09:30:00+01:00"}',
            Command(3, False, until=at("2026-12-02T09:30:00+01:00")),
        ),
        (
            b'{"powered": true, "until": "09:30"}',
            Command(3, True, until=at("2026-12-02T09:30+01:00")),
        ),
    ],
)
def test_commands_the_bridge_understands(payload: bytes, command: Command) -> None:
    assert parse_command("3", payload, NOW) == command


def test_an_mqtt_until_in_the_repeated_autumn_hour_is_the_nearest_pass() -> None:
    second_pass = at("2026-10-25T02:05:00+01:00")  # 02:05 CET, the hour's second pass
    command = parse_command("3", b'{"powered": false, "until": "02:30"}', second_pass)
    assert command == Command(3, False, until=at("2026-10-25T02:30:00+01:00"))
    # The ISO form without an offset too (it read the first pass only: "not in the future").
    iso = parse_command("3", b'{"powered": false, "until": "2026-10-25T02:30"}', second_pass)
    assert iso == Command(3, False, until=at("2026-10-25T02:30:00+01:00"))


@pytest.mark.parametrize(
    ("channel", "payload", "says"),
    [
        ("3", b"toggle", "expected on, off, auto"),
        ("3", b"", "expected on, off, auto"),
        ("3", b"\xff\xfe", "not UTF-8"),
        ("3", b"{not json", "invalid JSON"),
        ("3", b"[1, 2]", "'[1, 2]': expected on, off"),
        ("3", b'{"mode": "forced"}', '"mode" takes "auto" alone'),
        ("3", b'{"powered": 1}', '"powered": expected true or false, got 1'),
        ("3", b'{"state": "on"}', "unknown key 'state'"),
        ("3", b'{"powered": true, "for": "2 hours"}', '"for": expected'),
        ("3", b'{"powered": true, "for": -5}', '"for": expected'),
        ("3", b'{"powered": true, "for": "99999999d"}', '"for": expected'),
        ("3", b'{"powered": true, "for": "400d"}', '"for": expected a duration of at most 366d'),
        ("3", b'{"powered": true, "for": "10s"}', '"for": expected an override of at least'),
        ("3", b'{"powered": true, "for": 600}', '"for": expected'),
        ("3", b'{"powered": true, "until": "2020-01-01T00:00+01:00"}', "in the future"),
        ("3", b'{"powered": true, "until": "tomorrow"}', '"until": expected a time'),
        ("3", b'{"powered": true, "until": 1700000000}', '"until": expected an ISO 8601'),
        ("3", b'{"powered": true, "for": "1h", "until": "10:00"}', "one or the other"),
        ("3", b"x" * 5000, "payload of 5000 bytes"),
        ("٣", b"on", "expected a channel index"),
        ("+", b"on", "expected a channel index"),
    ],
)
def test_refused_commands_say_what_was_expected(channel: str, payload: bytes, says: str) -> None:
    with pytest.raises(CommandError) as error:
        parse_command(channel, payload, NOW)
    assert says in str(error.value)
    assert "\n" not in str(error.value)


def test_set_topics_are_recognised_only_under_this_node() -> None:
    topics = Topics("node")
    assert topics.set_channel("delestage/node/channel/4/set") == "4"
    assert topics.set_channel("delestage/other/channel/4/set") is None
    assert topics.set_channel("delestage/node/channel/4/state") is None


# --- the bridge on the in-memory connector --------------------------------------------------


@contextlib.asynccontextmanager
async def bridge_on_memory(
    tmp_path: Path, **options: Any
) -> AsyncIterator[tuple[Controller, MqttBridge, MemoryConnector]]:
    """The bridge, the controller and the connector's timestamps share one virtual clock: the
    status interval passes when the test advances it, never by itself."""
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


async def test_status_is_coalesced_to_one_per_interval_and_ends_on_the_last_state(
    tmp_path: Path,
) -> None:
    async with bridge_on_memory(tmp_path, status_interval=0.5) as (controller, bridge, memory):
        await eventually(lambda: bridge.connections == 1)
        for _ in range(10):  # twenty state changes as fast as the controller takes them
            await controller.force(0, True, duration=timedelta(hours=1))
            await controller.release(0)
        await controller.force(0, True, duration=timedelta(hours=1))
        final = json.dumps((await controller.snapshot()).to_status(), separators=(",", ":"))

        def overrides() -> list[str]:
            events = [json.loads(p.payload) for p in memory.published(f"{BASE}/events")]
            return [e["action"] for e in events if e["kind"] == "override"]

        await eventually(lambda: len(overrides()) == 21, what="every event")
        assert overrides() == ["force", "release"] * 10 + ["force"]  # every event, in order
        clock = bridge.clock
        assert isinstance(clock, SteppingClock)
        clock.advance(0.6)  # one interval: a status still due goes out now

        def last_status() -> Any:
            return json.loads(memory.published(f"{BASE}/status")[-1].payload)

        await eventually(lambda: last_status() == json.loads(final), what="the held status")
        statuses = memory.published(f"{BASE}/status")
        assert json.loads(statuses[-1].payload) == json.loads(final)
        gaps = [b.at - a.at for a, b in itertools.pairwise(statuses)]
        # Each status waits for the interval since the previous one (scheduling only adds).
        assert all(gap >= 0.5 * 0.95 for gap in gaps), gaps
        assert len(statuses) < 21
        assert all(p.retain for p in statuses) and not any(
            p.retain for p in memory.published(f"{BASE}/events")
        )


async def test_retained_states_are_published_only_when_they_change(tmp_path: Path) -> None:
    async with bridge_on_memory(tmp_path) as (controller, bridge, memory):
        await eventually(lambda: bridge.connections == 1)
        current = retained_states(await controller.snapshot(), Topics("node"))

        def last(topic: str) -> str | None:
            published = memory.published(topic)
            return published[-1].payload if published else None

        await eventually(
            lambda: all(last(topic) == payload for topic, payload in current.items()),
            what="the current states out",
        )
        before = len(memory.current.published)
        controller.log_error("test", "an event that changes no state")
        await eventually(lambda: bool(memory.published(f"{BASE}/events")))
        # No wait for "nothing else": a flush publishes an update's events, then whatever state
        # it changed, without yielding to the loop (the memory session never waits); and on the
        # stopped virtual clock no held-back status can fall due.
        news = memory.current.published[before:]
        assert [p.topic for p in news] == [f"{BASE}/events"]


async def test_a_dropped_session_reconnects_and_republishes_everything(tmp_path: Path) -> None:
    async with bridge_on_memory(tmp_path) as (controller, bridge, memory):
        await eventually(lambda: bridge.connections == 1)
        first = {p.topic for p in memory.current.published if p.retain}
        memory.refuse = "cannot connect to mqtt://memory:1883 ([Errno 111] Connection refused)"
        memory.drop()
        await eventually(lambda: bridge.view.message.startswith("connection lost"))
        # Then each attempt's reason, in words.
        await eventually(lambda: bridge.view.message.startswith("cannot connect"))
        assert bridge.view.state == "disconnected"
        await controller.force(2, False, duration=timedelta(hours=1))  # while away
        memory.refuse = None
        await eventually(lambda: bridge.connections == 2)
        second = memory.current
        assert {p.topic for p in second.published if p.retain} == first
        # Discovery first, availability "online" last: Home Assistant never sees an entity
        # online before it has its state.
        retained_topics = [p.topic for p in second.published if p.retain]
        assert retained_topics[-1] == f"{BASE}/availability"
        assert retained_topics[0].startswith("homeassistant/")
        state = next(p for p in second.published if p.topic == f"{BASE}/channel/2/state")
        assert json.loads(state.payload)["mode"] == "forced"
        assert memory.wills[-1] is not None and memory.wills[-1].payload == "offline"
        # The override event made while away is delivered once the broker is back.
        events = [json.loads(p.payload) for p in memory.published(f"{BASE}/events")]
        assert [e.get("channel") for e in events if e["kind"] == "override"] == [2]


async def test_a_command_from_the_memory_broker_goes_through_force(tmp_path: Path) -> None:
    async with bridge_on_memory(tmp_path) as (controller, bridge, memory):
        await eventually(lambda: bridge.connections == 1)
        memory.current.inbox.put_nowait(Message(f"{BASE}/channel/1/set", b"off"))
        await eventually(lambda: 1 in controller.overrides)
        assert controller.overrides[1].powered is False
        assert f"{BASE}/channel/+/set" in memory.current.subscriptions


def test_no_secret_in_the_connector_repr(tmp_path: Path) -> None:
    from tui.compose.mqtt import connector_for

    connector = connector_for(
        MqttConfig(username="u"), str(tmp_path / "d.toml"), "id", {"DELESTAGE_MQTT_PASSWORD": "pw!"}
    )
    assert "pw!" not in repr(connector)


async def _snapshot_where(controller: Controller, wanted: Any) -> Any:
    """The controller's snapshot once its next step carries what was reported (bounded)."""
    for _ in range(500):
        snapshot = await controller.snapshot()
        if wanted(snapshot):
            return snapshot
        await asyncio.sleep(0.01)
    raise AssertionError("the snapshot never showed the reported MQTT state")


async def test_the_bridge_state_shows_in_status_text_and_the_ui_header(tmp_path: Path) -> None:
    from tui.frontends.app.header import status_parts
    from tui.frontends.control_cmds import render_status
    from tui.service.snapshot import MqttView

    async with bridge_on_memory(tmp_path) as (controller, bridge, _):
        bridge.on_state = controller.report_mqtt
        await eventually(lambda: bridge.connections == 1)
        controller.report_mqtt(bridge.view)
        snapshot = await _snapshot_where(controller, lambda s: s.mqtt == bridge.view)
        assert "mqtt: connected to mqtt://memory:1883" in render_status(snapshot)
        header = [text.plain for text, _ in status_parts(snapshot, "", NOW, True, True)]
        assert "mqtt ok" in header
        down = MqttView("disconnected", "mqtt://memory:1883", "connection refused", NOW)
        controller.report_mqtt(down)
        snapshot = await _snapshot_where(controller, lambda s: s.mqtt == down)
        text = render_status(snapshot)
        assert "mqtt: DISCONNECTED from mqtt://memory:1883: connection refused" in text
        header = [text.plain for text, _ in status_parts(snapshot, "", NOW, True, True)]
        assert " MQTT DOWN " in header
        assert snapshot.to_status()["mqtt"]["state"] == "disconnected"
