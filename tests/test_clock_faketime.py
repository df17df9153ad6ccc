"""Wall-clock steps under a real `delestage --headless`, with libfaketime.

The service runs with libfaketime preloaded (Debian's `faketime` package) reading its offset
from a file the test rewrites (``FAKETIME_TIMESTAMP_FILE``, re-read once a second with
``FAKETIME_CACHE_DURATION=1``): writing ``+3600`` steps the wall clock one hour forward
mid-run, as NTP does after a Raspberry Pi boots on a stale clock.
``FAKETIME_DONT_FAKE_MONOTONIC`` leaves the monotonic clock alone, as a real step does. The
test process itself is not faked and never reads the wall clock: offsets are relative. The
same faults on a virtual clock are in ``test_clock_steps.py``.
"""

import asyncio
import glob
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.service import config_document, delestage, steady_forecast, write_config

from tui.service.remote import RemoteController, connect

LIBRARIES = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))


# When the whole suite runs under `faketime DATE` (docs/testing.md), its FAKETIME (an offset that
# wins over FAKETIME_TIMESTAMP_FILE) and FAKETIME_SHARED would reach the child and freeze the
# steps this module writes: the child gets only this module's settings. Only the child: taken
# out of this process's environment, libfaketime here reads it gone at its next look (within
# 10 s) and this worker's clocks, the monotonic one too, jumped by the whole offset (9242 s at
# 08:30) in a later test, which hung a Textual test in its timers.
OUTER = ("FAKETIME", "FAKETIME_SHARED")


def _service(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return delestage("--headless", "--config", str(config), env=env, unset=OUTER)


def _faked(tmp_path: Path) -> tuple[dict[str, str], Path]:
    assert LIBRARIES, "libfaketime is not installed (apt-get install faketime)"
    stamp = tmp_path / "faketime"
    stamp.write_text("+0\n")
    return {
        "LD_PRELOAD": LIBRARIES[0],
        "FAKETIME_TIMESTAMP_FILE": str(stamp),
        # Re-read once a second, not on every call: uncached, every GIL hand-off between the
        # service's threads read the file (libfaketime wraps the GIL's timed condition wait),
        # and on a loaded machine (the whole suite under `faketime`) a press took over 5 s.
        "FAKETIME_CACHE_DURATION": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }, stamp


def _config(tmp_path: Path, state: Path, **policy: Any) -> Path:
    document = config_document(state, **policy)
    document["ecowatt"] = steady_forecast(tmp_path)  # never the level of the real hour
    return write_config(tmp_path / "delestage.toml", document)


def _events(state: Path) -> list[dict[str, Any]]:
    path = state / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _clock_lines(state: Path) -> list[str]:
    return [e["message"] for e in _events(state) if e["kind"] == "error" and e["what"] == "clock"]


def _relay_events(state: Path, channel: int) -> list[dict[str, Any]]:
    return [
        e
        for e in _events(state)
        if e["kind"] == "relay" and e["channel"] == channel and "by" not in e
    ]


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll a condition the other process makes true (bounded)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _link(state: Path, service: subprocess.Popen[str]) -> RemoteController:
    for _ in range(600):
        assert service.poll() is None, service.communicate()
        link = await connect(state, 5)
        if link is not None:
            return link
        await asyncio.sleep(0.05)
    raise AssertionError("the service never answered")


def _stop(service: subprocess.Popen[str]) -> str:
    service.send_signal(signal.SIGTERM)
    _, err = service.communicate(timeout=30)
    return err


def _switched_after(
    state: Path, channel: int, count: int, powered: bool = True
) -> Callable[[], bool]:
    """Whether channel's decisions, beyond the first ``count``, switch it to ``powered``."""
    return lambda: any(e["powered"] is powered for e in _relay_events(state, channel)[count:])


async def test_a_real_forward_step_does_not_reset_the_rate_cap(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env, stamp = _faked(tmp_path)
    config = _config(tmp_path, state, min_switch_gap="0s", restore_gap="0s")
    service = _service(config, env)
    try:
        link = await _link(state, service)
        first = [await link.force(0, press % 2 == 0, duration=None) for press in range(25)]
        assert any("waiting: rate limit" in answer for answer in first)
        assert len(_relay_events(state, 0)) == 20  # the cap: 20 in any 60 s
        stamp.write_text("+3600\n")  # one hour forward, a few real seconds into the run
        await _until(lambda: bool(_clock_lines(state)), 15, "the step to be said")
        answers = [await link.force(0, press % 2 == 0, duration=None) for press in range(25)]
        assert len(_relay_events(state, 0)) == 20, "the step reset the rate cap"
        assert any("waiting: rate limit" in answer for answer in answers)
        # One step, said once: no other line (a loaded machine's lag is not a step).
        assert [line for line in _clock_lines(state) if "stepped" in line] == [
            line for line in _clock_lines(state) if "stepped forward by 1 h 0 min 0 s" in line
        ]
        await link.close()
    finally:
        err = _stop(service)
    assert service.returncode == 0, err


async def test_a_real_backward_step_does_not_freeze_a_relay(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env, stamp = _faked(tmp_path)
    config = _config(tmp_path, state, min_switch_gap="3s", restore_gap="0s")
    service = _service(config, env)
    try:
        link = await _link(state, service)
        await link.force(1, False, duration=None)  # Radiateurs: a switch, now
        await _until(lambda: bool(_relay_events(state, 1)), 15, "the cut")
        count = len(_relay_events(state, 1))
        stamp.write_text("-7200\n")  # two hours back
        await _until(lambda: bool(_clock_lines(state)), 15, "the step to be said")
        answer = await link.force(1, True, duration=None)
        # At most the 3 s gap, never two hours: the relay is powered within moments.
        await _until(_switched_after(state, 1, count), 15, f"the switch-on after: {answer}")
        assert any("stepped back by 2 h 0 min 0 s" in line for line in _clock_lines(state))
        await link.close()
    finally:
        err = _stop(service)
    assert service.returncode == 0, err


async def test_a_real_forward_step_is_acted_on_at_once(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env, stamp = _faked(tmp_path)
    config = _config(tmp_path, state, min_switch_gap="0s", restore_gap="0s")
    service = _service(config, env)
    try:
        link = await _link(state, service)
        answer = await link.force(1, False)  # the configured 2 h
        assert "forced cut" in answer
        # The loop now sleeps until the override's end, two hours away by the wall clock.
        stamp.write_text("+10800\n")  # three hours forward: past that end
        await _until(
            lambda: any(
                e["kind"] == "override" and e.get("action") == "expired" for e in _events(state)
            ),
            15,  # not the old 300 s
            "the override to expire after the step",
        )
        assert _clock_lines(state), "the step was not said"
        await link.close()
    finally:
        err = _stop(service)
    assert service.returncode == 0, err


async def test_a_state_saved_three_days_fast_does_not_hold_a_forced_relay(
    tmp_path: Path,
) -> None:
    """A service stopped with its clock three days fast, restarted on the right clock."""
    state = tmp_path / "state"
    env, stamp = _faked(tmp_path)
    config = _config(tmp_path, state, min_switch_gap="3s", restore_gap="0s")
    stamp.write_text("+3d\n")
    fast = _service(config, env)
    try:
        link = await _link(state, fast)
        await link.force(1, False, duration=None)  # switched three days "ahead"
        await _until(lambda: bool(_relay_events(state, 1)), 15, "the cut")
        await link.close()
    finally:
        _stop(fast)
    stamp.write_text("+0\n")
    service = _service(config, env)
    try:
        link = await _link(state, service)
        # The stop released the relays (on_exit): Radiateurs (nc) is powered, its last switch
        # saved three days "ahead". A forced cut waits at most the gap from now, never 3 days.
        count = len(_relay_events(state, 1))
        answer = await link.force(1, False, duration=None)
        await _until(_switched_after(state, 1, count, False), 15, f"the cut after: {answer}")
        lines = [e["message"] for e in _events(state) if e["kind"] == "error"]
        assert any("after now" in line and "taken as now" in line for line in lines), lines
        await link.close()
    finally:
        err = _stop(service)
    assert service.returncode == 0, err


# The system clock's sleep in a child under libfaketime: a two-minute sleep ends at a step.
SLEEPER = """
import asyncio
from datetime import timedelta
from tui.adapters.clock import SystemClock

async def main():
    clock = SystemClock()
    start = clock.monotonic()
    sleep = asyncio.ensure_future(
        clock.sleep_until(clock.now() + timedelta(seconds=120), asyncio.Event())
    )
    await asyncio.sleep(0)  # the sleep has read both clocks: only now may the step come
    print("sleeping", flush=True)
    await sleep
    print(f"woke after {clock.monotonic() - start:.1f} s", flush=True)

asyncio.run(main())
"""


@pytest.mark.parametrize("step", ["+600", "-600"])
def test_the_system_clock_sleep_ends_at_a_real_step(tmp_path: Path, step: str) -> None:
    """Forward: the deadline is past. Back: the deadline is further away by the wall clock,
    but the caller must look again (a wait measured on the old wall clock is now wrong)."""
    env, stamp = _faked(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", SLEEPER],
        env={**{k: v for k, v in os.environ.items() if k not in OUTER}, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "sleeping\n"
        stamp.write_text(f"{step}\n")
        out, err = child.communicate(timeout=30)  # not the 120 s it was set for
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    seconds = float(out.split()[2])
    assert seconds < 10, out
