"""The shared quota file: one production call per 900 s across restarts and processes."""

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui.adapters.rte.quota import QUOTA_FILE, QuotaGate

T0 = datetime(2024, 11, 21, 9, tzinfo=UTC)
S = timedelta(seconds=1)


def test_one_call_per_interval(tmp_path: Path) -> None:
    gate = QuotaGate(tmp_path)
    assert gate.next_allowed(T0) <= T0
    assert gate.try_reserve(T0) is None
    assert gate.try_reserve(T0 + 899 * S) == T0 + 900 * S
    assert gate.next_allowed(T0 + 10 * S) == T0 + 900 * S
    assert gate.try_reserve(T0 + 900 * S) is None
    assert gate.try_reserve(T0 + 901 * S) == T0 + 1800 * S


def test_the_last_call_survives_a_restart(tmp_path: Path) -> None:
    QuotaGate(tmp_path).try_reserve(T0)
    restarted = QuotaGate(tmp_path)
    assert restarted.try_reserve(T0 + 60 * S) == T0 + 900 * S
    stored = json.loads((tmp_path / QUOTA_FILE).read_text())
    assert datetime.fromisoformat(stored["last_call"]) == T0


def test_retry_after_holds_every_process_back(tmp_path: Path) -> None:
    gate = QuotaGate(tmp_path)
    gate.try_reserve(T0)
    gate.defer(T0 + 3600 * S, T0)
    other = QuotaGate(tmp_path)
    assert other.try_reserve(T0 + 1000 * S) == T0 + 3600 * S
    # An earlier Retry-After never shortens a later one.
    other.defer(T0 + 1200 * S, T0 + 1000 * S)
    assert other.next_allowed(T0 + 1000 * S) == T0 + 3600 * S
    assert other.try_reserve(T0 + 3600 * S) is None


def test_a_clock_gone_backwards_does_not_block_for_days(tmp_path: Path) -> None:
    QuotaGate(tmp_path).try_reserve(T0 + timedelta(days=2))
    assert QuotaGate(tmp_path).try_reserve(T0) is None


@pytest.mark.parametrize(
    "damage",
    [
        b"{not json",
        b"\x00" * 64,
        b'{"last_call": null, "not_before": "0001-01-01T00:00:00"}',
        b"[" * 50_000,
    ],
)
def test_a_damaged_quota_file_fails_safe_as_a_call_just_made(tmp_path: Path, damage: bytes) -> None:
    """Issue 11 #9: a damaged file once let a second call through 2.4 s after the first."""
    path = tmp_path / QUOTA_FILE
    path.write_bytes(damage)
    written = T0 + 10 * S
    os.utime(path, (written.timestamp(), written.timestamp()))
    gate = QuotaGate(tmp_path)
    assert gate.try_reserve(T0 + 12 * S) == written + 900 * S  # as if called when written
    assert gate.try_reserve(written + 899 * S) == written + 900 * S
    assert gate.try_reserve(written + 900 * S) is None  # then the file is whole again
    assert gate.try_reserve(written + 901 * S) == written + 1800 * S


def test_a_quota_path_that_is_not_a_file_fails_safe_and_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / QUOTA_FILE)
    assert QuotaGate(tmp_path).next_allowed(T0) > T0


def test_processes_racing_for_the_quota_get_one_call(tmp_path: Path) -> None:
    """Eight processes try to call at the same instant: exactly one may."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from datetime import datetime
        from pathlib import Path
        from tui.adapters.rte.quota import QuotaGate
        go = Path(sys.argv[1]) / "go"
        while not go.exists():
            time.sleep(0.005)
        when = datetime.fromisoformat({T0.isoformat()!r})
        print("called" if QuotaGate(Path(sys.argv[1])).try_reserve(when) is None else "held")
        """
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    (tmp_path / "go").touch()
    outputs = [process.communicate(timeout=60)[0].strip() for process in processes]
    assert all(process.returncode == 0 for process in processes)
    assert sorted(outputs) == ["called"] + ["held"] * 7
