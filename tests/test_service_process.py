"""The headless service as a real process: signals, kill -9, restart, the CLI over the socket."""

import json
import os
import signal
import socket
import subprocess
from pathlib import Path

from support.fake_rte import FakeRte
from support.service import (
    RTE_ENV,
    config_document,
    delestage,
    run_cli,
    wait_for,
    write_config,
)

from tui.service.control_socket import socket_path


def _status(config: Path) -> dict:  # type: ignore[type-arg]
    done = run_cli("status", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _events(state: Path) -> list[dict]:  # type: ignore[type-arg]
    lines = (state / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]  # every line must be whole JSON


def _answers(path: Path) -> bool:
    """Whether a service accepts connections (a killed one leaves a socket file that refuses)."""
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _start(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    process = delestage("--headless", "--config", str(config), env=env)
    path = socket_path(config.parent / "state")
    wait_for(lambda: _answers(path) or process.poll() is not None, what="the control socket")
    assert process.poll() is None, process.communicate()
    return process


def test_kill_9_then_restart_keeps_everything_without_calling_rte(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with FakeRte() as rte:
        config = write_config(
            tmp_path / "delestage.toml", config_document(state, source="rte", base_url=rte.url)
        )
        service = _start(config, RTE_ENV)
        wait_for(lambda: rte.signals_calls == 1, what="the first fetch")
        forced = run_cli("force", "Borne VE", "off", "--for", "3h", "--config", str(config))
        assert forced.returncode == 0, forced.stderr
        assert forced.stdout.startswith("Borne VE: forced cut until")
        before = _status(config)
        assert before["channels"][2]["mode"] == "forced"
        service.send_signal(signal.SIGKILL)
        service.wait(10)

        saved = json.loads((state / "state.json").read_text())
        assert saved["overrides"]["2"]["powered"] is False
        # The force is in the log (a relay event follows it when the hour had Borne VE on).
        overrides = [e for e in _events(state) if e["kind"] == "override"]
        assert overrides and overrides[-1]["action"] == "force" and overrides[-1]["channel"] == 2

        again = _start(config, RTE_ENV)
        try:
            after = _status(config)
            assert after["pid"] == again.pid != before["pid"]
            assert after["channels"][2]["mode"] == "forced"
            assert after["channels"][2]["until"] == before["channels"][2]["until"]
            assert after["forecast"]["fetched"] == before["forecast"]["fetched"]
            assert rte.signals_calls == 1  # the cache was fresh: no second call
        finally:
            again.send_signal(signal.SIGTERM)
            out, err = again.communicate(timeout=20)
        assert again.returncode == 0, err
    lines = out.splitlines()
    assert "start" in lines[0] and "delestage started (live mode" in lines[0]
    assert "stop" in lines[-1] and "delestage stopped (on_exit release)" in lines[-1]
    assert "\x1b[" not in out  # no colour when stdout is not a terminal
    kinds = [event["kind"] for event in _events(state)]
    assert kinds.count("start") == 2 and kinds[-1] == "stop"


def test_sighup_rejects_a_broken_file_and_applies_a_good_one(tmp_path: Path) -> None:
    state = tmp_path / "state"
    document = config_document(state)
    config = write_config(tmp_path / "delestage.toml", document)
    service = _start(config, {})
    cli_config = write_config(tmp_path / "cli.toml", document)  # the CLI reads a good copy
    try:
        config.write_text(config.read_text().replace('shed_at = "red"', 'shed_a = "red"'))
        service.send_signal(signal.SIGHUP)
        wait_for(
            lambda: any("reload rejected" in e.get("message", "") for e in _events(state)),
            what="the rejection",
        )
        assert service.poll() is None
        assert _status(cli_config)["channels"][1]["name"] == "Radiateurs"

        document["channel"][1]["name"] = "Radiateurs salon"
        write_config(config, document)
        service.send_signal(signal.SIGHUP)
        wait_for(lambda: any(e["kind"] == "reload" for e in _events(state)), what="the reload")
        assert _status(config)["channels"][1]["name"] == "Radiateurs salon"
    finally:
        service.send_signal(signal.SIGTERM)
        out, _ = service.communicate(timeout=20)
    assert service.returncode == 0
    rejected = [line for line in out.splitlines() if "reload rejected" in line]
    assert any("channel[1].shed_a: unknown key (did you mean `shed_at`?)" in r for r in rejected)
    assert any("configuration reloaded from" in line for line in out.splitlines())


def test_a_second_service_is_refused_and_names_the_pid(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = write_config(tmp_path / "delestage.toml", config_document(state))
    service = _start(config, {})
    try:
        second = run_cli("--headless", "--config", str(config))
        assert second.returncode == 1
        assert f"(PID {service.pid}) is already running" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        service.send_signal(signal.SIGINT)
        service.communicate(timeout=20)
    assert service.returncode == 0


def test_control_commands_without_a_service_say_so(tmp_path: Path) -> None:
    config = write_config(tmp_path / "delestage.toml", config_document(tmp_path / "state"))
    for args in (("status",), ("force", "0", "on"), ("release", "all")):
        done = run_cli(*args, "--config", str(config))
        assert done.returncode == 1
        assert "no delestage service is running" in done.stderr
    bad = run_cli("force", "Nope", "on", "--config", str(config))
    assert bad.returncode == 2
    assert "CH: no channel 'Nope'" in bad.stderr
    bad = run_cli("force", "0", "on", "--for", "soon", "--config", str(config))
    assert bad.returncode == 2 and "--for: expected a duration" in bad.stderr


def test_status_text_and_release_all(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = write_config(tmp_path / "delestage.toml", config_document(state))
    service = _start(config, {})
    try:
        assert run_cli("force", "3", "on", "--config", str(config)).returncode == 0
        text = run_cli("status", "--config", str(config)).stdout
        assert "DEMO mode" in text and "FORCED ON until" in text
        released = run_cli("release", "all", "--config", str(config))
        assert released.returncode == 0 and "back to automatic: Pompe" in released.stdout
        assert all(ch["mode"] == "auto" for ch in _status(config)["channels"])
        assert oct(os.stat(socket_path(state)).st_mode & 0o777) == "0o600"
    finally:
        service.send_signal(signal.SIGTERM)
        service.communicate(timeout=20)
