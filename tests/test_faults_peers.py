"""Fault suite (issue 20): every peer's input is bounded.

RTE's decoded body (a real gzip bomb from the fake RTE: about 1 MB on the wire, 1 GiB of zeros
once decoded), control-socket lines, MQTT messages and a serial line: each reader stops at its
bound (``tui.core.bounds``), says so in one line, and the service carries on. A body that
cannot be read counts as a call: the quota keeps the next one 15 minutes away.
"""

import json
import os
import random
import resource
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.fake_rte import CLIENT_ID, CLIENT_SECRET, SIGNALS_PATH, FakeRte, gzip_bomb
from support.service import (
    RTE_ENV,
    config_document,
    delestage,
    run_cli,
    steady_forecast,
    wait_for,
    write_config,
)

from tui.adapters.clock import ManualClock
from tui.adapters.rte.source import RteSource
from tui.adapters.sources.factory import make_source
from tui.adapters.tempo.factory import make_tempo_source
from tui.core.bounds import MAX_RTE_BODY, MAX_SERIAL_LINE, LineBuffer
from tui.core.config import ChannelConfig, Config, EcowattConfig, ShedAt, Source, TempoConfig

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)  # 10:00 in Paris
ENVIRON = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def rte(clock: ManualClock) -> Iterator[FakeRte]:
    with FakeRte(clock=clock.now) as fake:
        yield fake


def rte_config(url: str) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="x", shed_at=ShedAt.ORANGE),),
        ecowatt=EcowattConfig(source=Source.RTE, base_url=url, timeout=timedelta(seconds=20)),
        tempo=TempoConfig(source=Source.RTE, base_url=url),
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_the_bomb_is_what_the_issue_says() -> None:
    bomb = gzip_bomb()
    assert 900_000 < len(bomb) < 1_200_000  # about a megabyte on the wire


@pytest.mark.parametrize("api", ["signals", "tempo"])
async def test_a_gzip_bomb_is_refused_within_a_megabyte_and_counts_as_a_call(
    rte: FakeRte, clock: ManualClock, tmp_path: Path, api: str
) -> None:
    gzip_bomb()  # built before measuring: the test's own gigabyte is not the client's
    make = make_source if api == "signals" else make_tempo_source
    source = make(rte_config(rte.url), tmp_path, environ=ENVIRON)
    assert isinstance(source, RteSource)
    source._rng = random.Random(1)
    try:
        good = (await source.refresh(clock.now())).data
        assert good is not None
        clock.advance(1800)
        (rte.fail_next if api == "signals" else rte.fail_next_tempo)("gzip-bomb")
        before = peak_rss_mib()
        result = await source.refresh(clock.now())
        grown = peak_rss_mib() - before
        assert result.called and result.data is None and result.error is not None
        assert f"larger than {MAX_RTE_BODY // 1024} kB" in result.error, result.error
        assert "\n" not in result.error and "keeping the" in result.error
        assert source.last == good
        # Decoded a bounded piece at a time: far below the gigabyte (and httpx's 64 MB steps).
        assert grown < 48, f"peak resident memory grew by {grown:.0f} MiB"
        # Not a tight loop: the next call is a quota interval away, for this process and any
        # other (a restarted one) reading the shared quota file.
        assert source.next_refresh(clock.now()) >= clock.now() + timedelta(minutes=15)
        again = make(rte_config(rte.url), tmp_path, environ=ENVIRON)
        assert again.next_refresh(clock.now()) >= clock.now() + timedelta(minutes=14)
        await again.aclose()
    finally:
        await source.aclose()


def test_the_service_survives_a_gzip_bomb_in_little_memory(tmp_path: Path) -> None:
    """The whole service against the bomb at its first fetch: it says so in one event, its
    peak resident memory stays far below the gigabyte (VmHWM), and it keeps answering."""
    gzip_bomb()
    state = tmp_path / "state"
    with FakeRte() as rte:
        rte.fail_next("gzip-bomb")
        document = config_document(state, source="rte", base_url=rte.url)
        document["ecowatt"]["timeout"] = "30s"
        config = write_config(tmp_path / "delestage.toml", document)
        service = delestage("--headless", "--config", str(config), env=RTE_ENV)
        try:

            def said() -> list[dict[str, object]]:
                log = state / "events.jsonl"
                lines = log.read_text().splitlines() if log.exists() else []
                return [
                    event
                    for event in map(json.loads, lines)
                    if event.get("what") == "forecast" and "larger than" in str(event)
                ]

            wait_for(lambda: service.poll() is not None or bool(said()), 60, what="the refusal")
            assert service.poll() is None, service.communicate()
            peak = next(
                int(line.split()[1])
                for line in Path(f"/proc/{service.pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:")
            )
            assert peak < 200 * 1024, f"peak resident {peak // 1024} MiB"
            assert rte.arrivals(SIGNALS_PATH) == 1
            status = run_cli("status", "--json", "--config", str(config))
            assert status.returncode == 0, status.stderr
        finally:
            service.terminate()
            _, err = service.communicate(timeout=30)
    assert "Traceback" not in err


# -- the shared line bound ---------------------------------------------------------------------


def test_a_line_buffer_drops_an_endless_line_and_keeps_the_rest() -> None:
    lines = LineBuffer(limit=8)
    assert lines.feed(b"ab\ncd") == [b"ab"]
    assert lines.feed(b"e\n" + b"x" * 5) == [b"cde"]
    # An endless line: fed in pieces, never held beyond the bound, dropped whole.
    for _ in range(1000):
        assert lines.feed(b"y" * 1000) == []
        assert len(lines._pending) <= 8
    assert lines.feed(b"zz\nok\n") == [b"ok"]
    assert lines.dropped == 1
    assert LineBuffer().limit == MAX_SERIAL_LINE


# -- a stdout closed at start ------------------------------------------------------------------


def test_headless_with_stdout_closed_at_start_runs(tmp_path: Path) -> None:
    """`delestage --headless >&-`, as some supervisors start services: it once failed on
    ``None.isatty()``. It runs, answers, and nothing meant for stdout lands in a file that
    took descriptor 1 (the lock, the event log)."""
    state = tmp_path / "state"
    document = config_document(state, min_switch_gap="0s")
    document["ecowatt"] = steady_forecast(tmp_path)
    config = write_config(tmp_path / "delestage.toml", document)
    service = delestage("--headless", "--config", str(config), preexec_fn=lambda: os.close(1))
    try:
        wait_for(
            lambda: (
                service.poll() is not None
                or run_cli("status", "--config", str(config)).returncode == 0
            ),
            30,
            what="the service to answer",
        )
        assert service.poll() is None, service.communicate()
        forced = run_cli("force", "Borne VE", "off", "--for", "1h", "--config", str(config))
        assert forced.returncode == 0, forced.stderr
        assert (state / "delestage.pid").read_text().strip() == str(service.pid)
    finally:
        service.terminate()
        _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err
    assert "Traceback" not in err and "stdout is closed" in err
    for line in (state / "events.jsonl").read_text().splitlines():
        json.loads(line)  # every line an event: no printed line slipped in
