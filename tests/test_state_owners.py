"""State belongs to its configuration (issue 21, item 3): the demo keeps its state apart, and
state saved for other appliances is never applied by a service, `plan` or `check`."""

import io
import json
import signal
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from support.service import (
    at,
    delestage,
    make_controller,
    run_cli,
    running,
    steady_forecast,
    wait_for,
)

from tui.adapters.clock import ManualClock
from tui.adapters.config_file import load_config
from tui.adapters.state_dir import resolve_state_dir
from tui.adapters.stores.eventlog import read_events
from tui.adapters.stores.state import StateStore
from tui.core.config import Config, Wiring
from tui.core.policy import Override, RelayHistory
from tui.core.state_vetting import Owner
from tui.frontends.check import state_check_lines
from tui.frontends.init import starter_text
from tui.frontends.plan_cmd import run_plan

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "delestage.toml"
START = at("2026-12-02T03:00:00+01:00")  # within steady_forecast's days


def _live_config_file(tmp_path: Path, state_dir: Path) -> Path:
    """What `delestage init` writes, with this state directory (the demo's, before the demo
    had its own: the leak to prove closed) and the steady forecast file."""
    ecowatt = steady_forecast(tmp_path)
    text = starter_text().replace(
        '# state_dir = "/var/lib/delestage"', f'state_dir = "{state_dir}"', 1
    )
    text = text.replace('source = "rte"', f'source = "file"\nfile = "{ecowatt["file"]}"', 1)
    path = tmp_path / "live.toml"
    path.write_text(text.replace('kind = "phidget"', 'kind = "simulated"', 1), encoding="utf-8")
    return path


def _demo(state_dir: Path) -> Config:
    config = load_config(SHIPPED)
    return replace(config, service=replace(config.service, state_dir=str(state_dir)))


def test_the_shipped_demo_and_an_init_config_never_share_a_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    demo = load_config(SHIPPED)
    live_path = tmp_path / "live.toml"
    live_path.write_text(starter_text(), encoding="utf-8")
    live = load_config(live_path)
    assert resolve_state_dir(demo) == tmp_path / "home" / ".local/state/delestage-demo"
    assert resolve_state_dir(live) == tmp_path / "home" / ".local/state/delestage"


async def test_a_demo_override_never_reaches_a_live_configuration(tmp_path: Path) -> None:
    shared = tmp_path / "state"
    # The demo: Radiateurs chambres (relay 2) forced cut until released (`2` `S` `0`).
    clock = ManualClock(START)
    demo, _ = make_controller(_demo(shared), clock)
    async with running(demo):
        await demo.force(2, False, duration=timedelta(0))
        assert demo.overrides[2].until is None
        clock.advance(30)
    saved = json.loads((shared / "state.json").read_text())
    assert saved["channels"]["2"] == {"name": "Radiateurs chambres", "wiring": "nc"}
    assert saved["overrides"]["2"]["powered"] is False

    # The live configuration `init` writes: relay 2 is Borne VE, wired "no".
    live_path = _live_config_file(tmp_path, shared)
    live = load_config(live_path)
    assert live.channel(2).name == "Borne VE"
    later = START + timedelta(minutes=5)

    # check warns, and says why.
    lines = state_check_lines(live, later)
    assert len(lines) == 3  # relays 0, 1 and 2 each name another appliance: one line each
    assert all(line.startswith("WARN  ") for line in lines)
    assert (
        "relay 2 was saved for Radiateurs chambres (wiring nc), not Borne VE (wiring no): "
        "dropped, never applied (override (forced cut until released), switch times)"
    ) in lines[2]

    # plan neither plans the override nor fails: it says what it left out.
    out = io.StringIO()
    assert (
        run_plan(
            str(live_path),
            str(tmp_path / "steady-forecast.json"),
            None,
            "6",
            False,
            out,
            clock=ManualClock(later),
        )
        == 0
    )
    text = out.getvalue()
    assert "by operator" not in text  # no "forced cut by operator until released"
    assert "relay 2 was saved for Radiateurs chambres" in text
    out = io.StringIO()
    assert (
        run_plan(
            str(live_path),
            str(tmp_path / "steady-forecast.json"),
            None,
            "6",
            True,
            out,
            clock=ManualClock(later),
        )
        == 0
    )
    plan = json.loads(out.getvalue())
    assert all("forced" not in change["reason"] for change in plan["changes"])

    # The live service: the override is not applied, and one event-log line says so.
    live_clock = ManualClock(later)
    service, _ = make_controller(live, live_clock)
    async with running(service):
        await service.settle()
        assert 2 not in service.overrides
        # The demo's switch times are not this relay's: only its own, from this start.
        assert all(at >= later for at in service.history[2].switches)
        decision = service.evaluation.decisions[2]
        assert "forced" not in decision.reason
        assert decision.powered is True  # Borne VE runs: green, nothing holds it
    lines = [
        event.message
        for event in read_events(shared)
        if event.kind == "error" and getattr(event, "what", "") == "state"
    ]
    assert len([line for line in lines if "relay 2 was saved for" in line]) == 1
    assert not any(event.kind == "override" and event.ts >= later for event in read_events(shared))
    # From now on the file names the live appliances, and check is quiet about it.
    again = json.loads((shared / "state.json").read_text())
    assert again["channels"]["2"] == {"name": "Borne VE", "wiring": "no"}
    assert "2" not in again["overrides"]
    assert state_check_lines(live, later)[0].startswith("ok    ")


def test_the_state_file_records_and_reads_back_whose_entries_they_are(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    owners = {0: Owner("Chauffe-eau", Wiring.NO), 1: Owner("Radiateurs", Wiring.NC)}
    override = Override(powered=False, since=START)
    store.save({0: override}, {0: RelayHistory(powered=False)}, owners)
    overrides, _, problem = store.load()
    assert problem is None and overrides == {0: override}
    assert store.owners == owners
    # A file from before the names were recorded reads as before, with no owners.
    store.save({0: override}, {})
    assert store.load()[0] == {0: override}
    assert store.owners is None


def test_a_damaged_owner_table_is_an_unreadable_state(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(
        json.dumps({"version": 1, "channels": {"0": {"name": "X", "wiring": "maybe"}}})
    )
    _, _, problem = StateStore(tmp_path).load()
    assert problem is not None
    assert 'channels.0.wiring: expected "no" or "nc"' in problem


@pytest.mark.parametrize("char", ["\u202e", "\u2028", "\x1b", "\u200b"])
def test_a_saved_name_the_configuration_would_refuse_is_refused_escaped(
    tmp_path: Path, char: str
) -> None:
    """A name in state.json with a bidi override, a line separator, an ESC or a zero-width
    space (the configuration refuses them in channel names): `check` and the event log printed
    it raw. The state vetting's rule for a field that does not validate: one line naming the
    field, the value shown escaped, the file set aside (restored from its copy if sound)."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    config = load_config(_live_config_file(tmp_path, state))
    name = f"Chauffe{char}[31meau"
    document = {
        "version": 1,
        "overrides": {"0": {"powered": False, "since": START.isoformat()}},
        "channels": {"0": {"name": name, "wiring": "no"}},
    }
    (state / "state.json").write_text(json.dumps(document))
    lines = state_check_lines(config, START)
    assert len(lines) == 1 and lines[0].startswith("WARN  "), lines
    assert "channels.0.name: a name without control, bidi or line-separator characters" in lines[0]
    assert f"(found U+{ord(char):04X} " in lines[0]
    assert char not in lines[0] and repr(name) in lines[0]
    # The service's load: the same line (for the event log), the file set aside.
    overrides, _, problem = StateStore(state).load()
    assert overrides == {} and problem is not None and char not in problem
    assert "channels.0.name: a name without control" in problem and "kept as" in problem
    assert (state / "state.json.unreadable").exists()


def test_the_issue_reproduction_with_real_processes(tmp_path: Path) -> None:
    """Issue 21's steps: force a relay in the demo, quit, `init` a live configuration; here
    both share one state directory (as they did before the demo had its own)."""
    shared = tmp_path / "state"
    demo_text = SHIPPED.read_text(encoding="utf-8")
    demo_state = 'state_dir = "~/.local/state/delestage-demo"'
    assert demo_state in demo_text
    demo_path = tmp_path / "demo.toml"
    demo_path.write_text(demo_text.replace(demo_state, f'state_dir = "{shared}"'), "utf-8")
    demo = delestage("--headless", "--config", str(demo_path))
    try:
        wait_for(
            lambda: (
                demo.poll() is not None
                or run_cli("status", "--config", str(demo_path)).returncode == 0
            ),
            30,
            what="the demo service",
        )
        forced = run_cli("force", "2", "off", "--for", "0s", "--config", str(demo_path))
        assert forced.returncode == 0, forced.stderr
        assert "until released" in forced.stdout
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.communicate(timeout=30)
    live_path = _live_config_file(tmp_path, shared)

    plan = run_cli("plan", "--config", str(live_path), "--hours", "6")
    assert plan.returncode == 0, plan.stderr
    assert "by operator" not in plan.stdout
    assert "relay 2 was saved for Radiateurs chambres (wiring nc), not Borne VE" in plan.stdout

    check = run_cli("check", "--config", str(live_path))
    state_lines = [line for line in check.stdout.splitlines() if line.startswith("state ")]
    assert any("WARN" in line and "relay 2 was saved for" in line for line in state_lines)

    live = delestage("--headless", "--config", str(live_path))
    try:
        wait_for(
            lambda: (
                live.poll() is not None
                or run_cli("status", "--config", str(live_path)).returncode == 0
            ),
            30,
            what="the live service",
        )
        status = json.loads(run_cli("status", "--json", "--config", str(live_path)).stdout)
        borne = next(channel for channel in status["channels"] if channel["index"] == 2)
        assert borne["name"] == "Borne VE"
        assert borne["mode"] == "auto"
    finally:
        live.send_signal(signal.SIGTERM)
        _, err = live.communicate(timeout=30)
    assert live.returncode == 0, err
    dropped = [
        event.message
        for event in read_events(shared)
        if event.kind == "error" and "relay 2 was saved for Radiateurs chambres" in event.message
    ]
    assert len(dropped) == 1
