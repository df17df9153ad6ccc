"""The MQTT bridge on a real Mosquitto: the controller in-process, payloads read by paho.

Anonymous broker first (discovery, states, commands, refusals, stale entities), then a broker
restarted mid-test and one that is down at start, then a password-protected broker with an ACL.
"""

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.mosquitto import Mosquitto, Watcher, eventually, retained, watching
from support.mqtt_bridge import BASE, NODE, bridged, connected, mqtt_config


def state(watcher: Watcher, index: int) -> dict[str, Any] | None:
    payload = watcher.last(f"{BASE}/channel/{index}/state")
    return json.loads(payload) if payload else None


async def test_discovery_and_retained_states_match_the_contract(
    tmp_path: Path, broker: Mosquitto
) -> None:
    config = mqtt_config(tmp_path, broker.url)
    async with bridged(config) as (controller, _, bridge):
        await connected(bridge)
        await eventually(lambda: (controller.mqtt or bridge.view).state == "connected")
        snapshot = await controller.snapshot()
        kept = await asyncio.to_thread(retained, broker.port)

    assert kept[f"{BASE}/availability"] == "online"
    assert kept[f"{BASE}/level"] == "green"
    status = json.loads(kept[f"{BASE}/status"])
    expected = snapshot.to_status()
    assert {k: v for k, v in status.items() if k != "mqtt"} == {
        k: v for k, v in expected.items() if k != "mqtt"
    }
    for channel in snapshot.channels:
        published = json.loads(kept[f"{BASE}/channel/{channel.index}/state"])
        assert published == {
            "powered": channel.powered,
            "mode": channel.mode,
            "until": None,
            "reason": channel.reason,
            "forced_powered": channel.forced_powered,
            "waiting": channel.waiting,
            "latched": channel.latched,
        }

    prefix = "homeassistant"
    level = json.loads(kept[f"{prefix}/sensor/{NODE}/level/config"])
    assert level["device_class"] == "enum"
    assert level["state_topic"] == f"{BASE}/level"
    assert set(level["options"]) >= {"low-carbon", "green", "orange", "red"}
    strain = json.loads(kept[f"{prefix}/sensor/{NODE}/next_strain/config"])
    assert strain["device_class"] == "timestamp"
    assert strain["state_topic"] == f"{BASE}/next_strain"
    assert kept[f"{BASE}/next_strain"] == "2026-12-02T08:00:00+01:00"
    configs = [level, strain]
    for channel in config.channels:
        select = json.loads(kept[f"{prefix}/select/{NODE}/channel_{channel.index}/config"])
        assert select["options"] == ["auto", "on", "off"]
        assert select["command_topic"] == f"{BASE}/channel/{channel.index}/set"
        assert select["state_topic"] == f"{BASE}/channel/{channel.index}/state"
        power = json.loads(
            kept[f"{prefix}/binary_sensor/{NODE}/channel_{channel.index}_powered/config"]
        )
        assert power["device_class"] == "power"
        assert power["state_topic"] == f"{BASE}/channel/{channel.index}/state"
        configs += [select, power]
    assert len({c["unique_id"] for c in configs}) == len(configs) == 2 + 2 * len(config.channels)
    assert kept.get(f"{prefix}/button/{NODE}/channel_0_release/config")
    for entity in configs:
        assert entity["device"]["identifiers"] == [f"delestage_{NODE}"]
        assert entity["availability_topic"] == f"{BASE}/availability"
    # A clean stop leaves Home Assistant a device marked unavailable, not a stale "online".
    assert (await asyncio.to_thread(retained, broker.port))[f"{BASE}/availability"] == "offline"


async def test_select_off_cuts_through_the_policy_and_auto_gives_it_back(
    tmp_path: Path, broker: Mosquitto
) -> None:
    config = mqtt_config(tmp_path, broker.url)
    with watching(broker.port, f"{BASE}/#") as watcher:
        async with bridged(config) as (controller, board, bridge):
            await connected(bridge)
            await eventually(lambda: state(watcher, 1) is not None)
            assert state(watcher, 1)["powered"] is True  # type: ignore[index]

            controller.clock.advance(60)  # type: ignore[attr-defined]  # past min_switch_gap
            watcher.publish(f"{BASE}/channel/1/set", "off")
            await eventually(lambda: (state(watcher, 1) or {}).get("mode") == "forced")
            cut = state(watcher, 1)
            assert cut is not None and cut["powered"] is False
            assert cut["until"] == "2026-12-02T09:01:00+01:00"  # override_duration 2h
            assert board.relay(1) is True  # wiring "nc": energised = cut
            assert controller.overrides[1].powered is False

            controller.clock.advance(60)  # type: ignore[attr-defined]
            watcher.publish(f"{BASE}/channel/1/set", '{"powered": true, "for": "30m"}')
            await eventually(lambda: (state(watcher, 1) or {}).get("powered") is True)
            assert state(watcher, 1)["until"] == "2026-12-02T07:32:00+01:00"  # type: ignore[index]
            assert board.relay(1) is False

            watcher.publish(f"{BASE}/channel/1/set", '{"mode": "auto"}')
            await eventually(lambda: (state(watcher, 1) or {}).get("mode") == "auto")
            assert 1 not in controller.overrides
            events = [json.loads(seen.payload) for seen in watcher.messages(f"{BASE}/events")]
            assert [e["action"] for e in events if e["kind"] == "override"] == [
                "force",
                "force",
                "release",
            ]
            relays = [e["powered"] for e in events if e["kind"] == "relay" and e["channel"] == 1]
            assert relays[-2:] == [False, True]  # back to auto moved nothing: auto is powered


async def test_commands_respect_min_off_like_the_keys_do(tmp_path: Path, broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.url)
    clock = None
    with watching(broker.port, f"{BASE}/#") as watcher:
        async with bridged(config) as (controller, board, bridge):
            clock = controller.clock
            await connected(bridge)
            clock.advance(600)  # type: ignore[attr-defined]  # past the start's min_off
            watcher.publish(f"{BASE}/channel/2/set", '{"powered": true, "for": "0s"}')
            await eventually(
                lambda: (
                    (state(watcher, 2) or {}).get("mode") == "forced"
                    and state(watcher, 2)["powered"] is True
                )  # type: ignore[index]
            )
            assert controller.overrides[2].until is None  # "0s": until released
            clock.advance(30)  # type: ignore[attr-defined]
            watcher.publish(f"{BASE}/channel/2/set", "off")
            await eventually(lambda: (state(watcher, 2) or {}).get("powered") is False)
            clock.advance(30)  # type: ignore[attr-defined]
            watcher.publish(f"{BASE}/channel/2/set", "on")
            await eventually(lambda: controller.overrides[2].powered is True)
            # Borne VE has min_off = 5m: the force is taken, the relay waits.
            for _ in range(500):  # the step after the command publishes the wait
                snapshot = await controller.snapshot()
                if snapshot.channel(2).waiting:
                    break
                await asyncio.sleep(0.01)
            assert "min_off" in (snapshot.channel(2).waiting or "")
            assert board.relay(2) is False and state(watcher, 2)["powered"] is False  # type: ignore[index]
            # Home Assistant's select shows the command taken, not the relay that waits.
            await eventually(lambda: (state(watcher, 2) or {}).get("waiting") is not None)
            waiting = state(watcher, 2)
            assert waiting is not None and waiting["forced_powered"] is True
            assert "min_off" in waiting["waiting"] and waiting["latched"] is False


@pytest.mark.parametrize(
    ("topic_channel", "payload", "says"),
    [
        ("3", "bogus", "expected on, off, auto"),
        ("3", '{"powered": "yes"}', '"powered"'),
        ("3", '{"powered": false, "for": "soon"}', '"for"'),
        ("3", '{"powered": false, "until": "2020-01-01T00:00:00+01:00"}', "in the future"),
        ("3", '{"powered": false, "for": "1h", "until": "14:30"}', "one or the other"),
        ("6", "off", "channel 6: not configured"),
        ("x", "off", "channel 'x'"),
    ],
)
async def test_a_refused_command_says_why_once_and_changes_nothing(
    tmp_path: Path, broker: Mosquitto, topic_channel: str, payload: str, says: str
) -> None:
    config = mqtt_config(tmp_path, broker.url)
    with watching(broker.port, f"{BASE}/#") as watcher:
        async with bridged(config) as (controller, board, bridge):
            await connected(bridge, controller=controller)
            before = (await controller.snapshot()).to_status()
            relays = {index: board.relay(index) for index in range(4)}
            topic = f"{BASE}/channel/{topic_channel}/set"
            watcher.publish(topic, payload)
            reply = await watcher.arrival(f"{BASE}/error", lambda text: topic in text)
            assert json.loads(reply)["topic"] == topic
            assert says in json.loads(reply)["error"]
            assert "\n" not in reply
            # One round trip more: had anything changed, its state would be out by now.
            watcher.publish(f"{BASE}/channel/0/set", "nonsense")
            await watcher.arrival(f"{BASE}/error", lambda text: "channel/0/set" in text)
            assert len(watcher.messages(f"{BASE}/error")) == 2
            assert (await controller.snapshot()).to_status() == before
            assert {index: board.relay(index) for index in range(4)} == relays
            assert controller.overrides == {}


async def test_a_retained_command_is_never_obeyed(tmp_path: Path, broker: Mosquitto) -> None:
    with watching(broker.port, f"{BASE}/#") as watcher:
        watcher.publish(f"{BASE}/channel/3/set", "off", retain=True)
        async with bridged(mqtt_config(tmp_path, broker.url)) as (controller, _, bridge):
            await connected(bridge)
            reply = await watcher.arrival(f"{BASE}/error", lambda text: "retained" in text)
            assert json.loads(reply)["topic"] == f"{BASE}/channel/3/set"
            assert 3 not in controller.overrides


async def test_entities_of_removed_channels_are_cleared(tmp_path: Path, broker: Mosquitto) -> None:
    # What an earlier run with a channel 5 left on the broker.
    leftovers = {
        f"homeassistant/select/{NODE}/channel_5/config": '{"name": "old"}',
        f"homeassistant/binary_sensor/{NODE}/channel_5_powered/config": '{"name": "old"}',
        f"{BASE}/channel/5/state": '{"powered": true}',
        "homeassistant/select/other_node/channel_5/config": '{"name": "another house"}',
    }
    with watching(broker.port) as watcher:
        for topic, payload in leftovers.items():
            watcher.publish(topic, payload, retain=True)
    async with bridged(mqtt_config(tmp_path, broker.url)) as (_, _, bridge):
        await connected(bridge)

        def cleared() -> bool:
            kept = retained(broker.port)
            return not any(topic in kept for topic in list(leftovers)[:3])

        await eventually(lambda: cleared(), what="the stale entities to be cleared")
        kept = await asyncio.to_thread(retained, broker.port)
    assert f"homeassistant/select/{NODE}/channel_3/config" in kept
    assert kept["homeassistant/select/other_node/channel_5/config"] == '{"name": "another house"}'


async def test_discovery_off_publishes_states_only(tmp_path: Path, broker: Mosquitto) -> None:
    config = mqtt_config(tmp_path, broker.url, discovery_prefix="", topic_prefix="site/a")
    async with bridged(config) as (_, _, bridge):
        await connected(bridge)
        kept = await asyncio.to_thread(retained, broker.port)
    assert not [topic for topic in kept if topic.startswith("homeassistant/")]
    assert kept[f"site/a/{NODE}/level"] == "green"


async def test_broker_restart_is_survived_and_state_republished(
    tmp_path: Path, broker: Mosquitto
) -> None:
    config = mqtt_config(tmp_path, broker.url)
    async with bridged(config) as (controller, board, bridge):
        await connected(bridge)
        broker.stop()  # no persistence: everything retained is gone with it
        await eventually(lambda: bridge.view.state == "disconnected", what="the loss noticed")
        # The control loop does not care: an operator's command still goes through.
        await controller.force(3, False, duration=timedelta(hours=1))
        assert board.relay(3) is False
        assert controller.mqtt is not None and controller.mqtt.state == "disconnected"
        snapshot = await controller.snapshot()
        assert snapshot.to_status()["mqtt"]["state"] == "disconnected"
        broker.start()
        await connected(bridge, 2)
        await eventually(lambda: (controller.mqtt or bridge.view).state == "connected")

        def republished() -> bool:
            kept = retained(broker.port)
            return (
                kept.get(f"{BASE}/availability") == "online"
                and f"homeassistant/select/{NODE}/channel_3/config" in kept
                and json.loads(kept.get(f"{BASE}/channel/3/state", "{}")).get("mode") == "forced"
                and json.loads(kept.get(f"{BASE}/status", "{}")).get("mqtt", {}).get("state")
                == "connected"
            )

        await eventually(republished, what="the retained state republished")
    errors = [
        e
        for e in [event.to_dict() for event in controller.events.recent]
        if e["kind"] == "error" and e.get("what") == "mqtt"
    ]
    assert len(errors) == 1  # said once for the outage, not once per attempt


async def test_broker_down_at_start_then_up(tmp_path: Path) -> None:
    server = Mosquitto(tmp_path / "broker")  # not started yet
    config = mqtt_config(tmp_path, server.url)
    async with bridged(config) as (controller, _board, bridge):
        await eventually(lambda: bridge.view.state == "disconnected", what="the failure")
        assert "127.0.0.1" in bridge.view.message
        await controller.force(0, True, duration=timedelta(minutes=10))
        assert controller.overrides[0].powered is True
        server.start()
        try:
            await connected(bridge)
            kept = await asyncio.to_thread(retained, server.port)
            assert json.loads(kept[f"{BASE}/channel/0/state"])["mode"] == "forced"
        finally:
            server.stop()


def _acl() -> str:
    """The ACL of docs/mqtt.md ("Securing the broker"), word for word, and an admin account for
    the watcher."""
    return (
        "user delestage\ntopic readwrite delestage/#\ntopic readwrite homeassistant/#\n\n"
        "user homeassistant\ntopic read delestage/#\ntopic write delestage/+/channel/+/set\n"
        "topic write delestage/+/force_for/set\n"
        "topic readwrite homeassistant/#\n\n"
        "user admin\ntopic readwrite #\n"
    )


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Mosquitto]:
    server = Mosquitto(
        tmp_path / "secured",
        users={"delestage": "s3cret-pw", "homeassistant": "ha-pw", "admin": "admin-pw"},
        acl=_acl(),
    )
    server.start()
    yield server
    server.stop()


async def test_password_from_a_private_file_and_the_acl(tmp_path: Path, secured: Mosquitto) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret-pw\n")
    secret.chmod(0o600)
    config = mqtt_config(tmp_path, secured.url, username="delestage", password_file=str(secret))
    admin = {"username": "admin", "password": "admin-pw"}
    with watching(secured.port, f"{BASE}/#", **admin) as watcher:
        async with bridged(config) as (controller, _, bridge):
            await connected(bridge)
            # Home Assistant's account may command a channel...
            with watching(
                secured.port, "homeassistant/#", username="homeassistant", password="ha-pw"
            ) as ha:
                await eventually(lambda: len(ha.seen) >= 2 + 2 * len(config.channels))
                ha.publish(f"{BASE}/channel/1/set", "off")
                await eventually(lambda: (state(watcher, 1) or {}).get("mode") == "forced")
                # ...but not write states (the broker drops it silently).
                ha.publish(f"{BASE}/level", "green", retain=True)
            kept = await asyncio.to_thread(retained, secured.port, **admin)
            assert kept[f"{BASE}/level"] == "green"
            assert controller.overrides[1].powered is False


async def test_a_refused_password_is_reported_and_retried(
    tmp_path: Path, secured: Mosquitto
) -> None:
    config = mqtt_config(tmp_path, secured.url, username="delestage")
    environ = {"DELESTAGE_MQTT_PASSWORD": "wrong-pw"}
    async with bridged(config, environ) as (controller, _, bridge):
        await eventually(lambda: bridge.view.state == "disconnected", what="the refusal")
        assert "refused" in bridge.view.message
        assert "wrong-pw" not in bridge.view.message
        # The loop runs on: the operator still forces and releases.
        await controller.force(2, False)
        assert await controller.release(2) == "back to automatic: Borne VE"
        environ["DELESTAGE_MQTT_PASSWORD"] = "s3cret-pw"  # fixed: taken at the next attempt
        await connected(bridge)
    logged = [json.dumps(e) for e in [event.to_dict() for event in controller.events.recent]]
    assert not [line for line in logged if "wrong-pw" in line or "s3cret" in line]


async def test_a_password_file_open_to_others_is_refused(
    tmp_path: Path, secured: Mosquitto
) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret-pw\n")
    secret.chmod(0o644)
    config = mqtt_config(tmp_path, secured.url, username="delestage", password_file=str(secret))
    async with bridged(config) as (_, _, bridge):
        await eventually(lambda: bridge.view.state == "disconnected", what="the refusal")
        assert "chmod 600" in bridge.view.message and str(secret) in bridge.view.message
        assert bridge.connections == 0


async def test_tls_with_the_brokers_ca_file(tmp_path: Path) -> None:
    server = Mosquitto(tmp_path / "tls", tls=True)
    server.start()
    try:
        config = mqtt_config(tmp_path, server.url, ca_file=str(server.ca_file))
        async with bridged(config) as (_, _, bridge):
            await connected(bridge)
            watcher = Watcher(server.port, f"{BASE}/#", ca_file=server.ca_file)
            try:
                await watcher.arrival(f"{BASE}/availability", lambda p: p == "online")
                assert watcher.last(f"{BASE}/level") == "green"
            finally:
                watcher.close()
            assert server.url.startswith("mqtts://")
        # Without the CA the broker's certificate is not trusted: refused, said, retried.
        untrusted = mqtt_config(tmp_path, server.url)
        async with bridged(untrusted) as (_, _, bridge):
            await eventually(lambda: bridge.view.state == "disconnected", what="the refusal")
            assert "certificate" in bridge.view.message.lower()
            assert bridge.connections == 0
    finally:
        server.stop()
