"""The whole headless service with [mqtt] on a real Mosquitto, watched by an independent client;
and `delestage check` connecting to the broker."""

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

from support.mosquitto import Mosquitto, retained, wait_until, watching
from support.service import config_document, delestage, run_cli, write_config

SECRET = "hunter2-not-in-any-log"


def _config(tmp_path: Path, url: str, **mqtt: Any) -> Path:
    document = config_document(tmp_path / "state")
    document["mqtt"] = {"url": url, "node_id": "svc", "username": "svc", **mqtt}
    return write_config(tmp_path / "delestage.toml", document)


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=30)


def test_headless_service_on_a_broker_takes_commands_reloads_and_says_offline(
    tmp_path: Path,
) -> None:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    env = {"DELESTAGE_MQTT_PASSWORD": SECRET}
    config = _config(tmp_path, broker.url)
    service = delestage("--headless", "--config", str(config), env=env)
    try:
        with watching(broker.port) as watcher:
            watcher.wait_for("delestage/svc/availability", lambda p: p == "online", 30)
            watcher.wait_for("homeassistant/select/svc/channel_1/config", bool)
            watcher.publish("delestage/svc/channel/1/set", '{"powered": false, "for": "45m"}')
            state = watcher.wait_for(
                "delestage/svc/channel/1/state", lambda p: json.loads(p)["mode"] == "forced"
            )
            assert json.loads(state)["until"] is not None

            status = run_cli("status", "--json", "--config", str(config))
            assert status.returncode == 0, status.stderr
            data = json.loads(status.stdout)
            assert data["mqtt"]["state"] == "connected"
            assert data["mqtt"]["url"] == broker.url
            assert data["channels"][1]["mode"] == "forced"
            text = run_cli("status", "--config", str(config)).stdout
            assert f"mqtt: connected to {broker.url}" in text

            # SIGHUP applies a new [mqtt]: the old base says offline, the new one online.
            _config(tmp_path, broker.url, topic_prefix="site/lyon")
            service.send_signal(signal.SIGHUP)
            watcher.wait_for("site/lyon/svc/availability", lambda p: p == "online", 30)
            watcher.wait_for("delestage/svc/availability", lambda p: p == "offline")

            out, err = _stop(service)
            assert service.returncode == 0, err
        kept = retained(broker.port)
        assert kept["site/lyon/svc/availability"] == "offline"
        assert json.loads(kept["site/lyon/svc/channel/1/state"])["mode"] == "forced"
        events = (tmp_path / "state" / "events.jsonl").read_text()
        for where in (out, err, events):
            assert SECRET not in where
    finally:
        _stop(service)
        broker.stop()


def test_service_outlives_a_broker_that_goes_away(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    config = _config(tmp_path, broker.url)
    service = delestage("--headless", "--config", str(config))
    try:
        with watching(broker.port) as watcher:
            watcher.wait_for("delestage/svc/availability", lambda p: p == "online", 30)
        broker.stop()

        def says_disconnected() -> bool:
            done = run_cli("status", "--json", "--config", str(config))
            return done.returncode == 0 and json.loads(done.stdout)["mqtt"]["state"] != "connected"

        wait_until(says_disconnected, 30, "status to report the broker gone")
        forced = run_cli("force", "0", "off", "--for", "1h", "--config", str(config))
        assert forced.returncode == 0, forced.stderr  # the loop does not wait for the broker
        broker.start()
        with watching(broker.port) as watcher:
            state = watcher.wait_for(
                "delestage/svc/channel/0/state", lambda p: json.loads(p)["mode"] == "forced", 30
            )
            assert json.loads(state)["powered"] is False
        out, _ = _stop(service)
        assert service.returncode == 0
        assert out.count("MQTT:") == 1  # the outage said once, not once per attempt
    finally:
        _stop(service)
        broker.stop()


def test_check_connects_and_lists_what_discovery_will_publish(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    try:
        config = _config(tmp_path, broker.url)
        done = run_cli("check", "--config", str(config), env={"DELESTAGE_MQTT_PASSWORD": SECRET})
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        mqtt = next(line for line in lines if line.startswith("mqtt"))
        assert mqtt.split()[1] == "ok"
        assert f"connected to {broker.url} as svc, password from $DELESTAGE_MQTT_PASSWORD" in mqtt
        assert "discovery will publish 25 entities on device delestage_svc" in done.stdout
        for topic in (
            "homeassistant/sensor/svc/level/config",
            "homeassistant/sensor/svc/next_strain/config",
            "homeassistant/select/svc/channel_3/config",
            "homeassistant/binary_sensor/svc/channel_3_powered/config",
        ):
            assert topic in done.stdout
        assert SECRET not in done.stdout + done.stderr
        assert retained(broker.port) == {}  # check only looks: it publishes nothing
    finally:
        broker.stop()
    down = run_cli("check", "--config", str(config))
    assert down.returncode == 1
    mqtt = next(line for line in down.stdout.splitlines() if line.startswith("mqtt"))
    assert mqtt.split()[1] == "FAIL" and f"cannot connect to {broker.url}" in mqtt
