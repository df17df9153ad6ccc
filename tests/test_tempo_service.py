"""Tempo in the service and its views: the controller's feed, `status`, `check`, the headless
log, and a Tempo source failing without stopping the loop."""

import json
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.fake_rte import CLIENT_ID, CLIENT_SECRET, FakeRte
from support.service import make_config, make_controller, running, with_tempo

from tui.adapters.clock import ManualClock
from tui.adapters.sources.base import RefreshResult
from tui.adapters.stores.eventlog import read_events
from tui.adapters.tempo.check import check_tempo
from tui.core.config import Source, TempoConfig
from tui.core.events import parse_event
from tui.core.forecast import PARIS
from tui.frontends.control_cmds import render_status
from tui.frontends.event_text import event_line
from tui.service.snapshot import Snapshot

ENVIRON = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}


def paris(day: int, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def demo_config(state: Path, source: str = "demo", file: str | None = None) -> object:
    config = with_tempo(make_config(state), "https://digital.iservices.rte-france.com", source)
    if file is not None:
        config = replace(config, tempo=TempoConfig(source=Source.FILE, file=file))
    return config


async def test_the_demo_feed_shows_today_and_tomorrow_once_published(tmp_path: Path) -> None:
    clock = ManualClock(paris(2, "09:00"))
    config = demo_config(tmp_path / "state")
    controller, _ = make_controller(config, clock)  # type: ignore[arg-type]
    async with running(controller):
        before = await controller.snapshot()
        assert before.tempo is not None
        assert (before.tempo.today, before.tempo.tomorrow) == ("red", None)
        assert before.to_status()["tempo"] == {
            "today": "red",
            "tomorrow": None,
            "today_source": "demo",
            "tomorrow_source": None,
        }
        text = render_status(before)
        assert "tempo: demo, today red, tomorrow not published yet" in text
        clock.set(paris(2, "15:00"))  # a green afternoon: Ecowatt cuts nothing
        await controller.settle()
        await controller.settle()
        after = await controller.snapshot()
        assert after.tempo is not None and after.tempo.tomorrow == "white"
        # Channels that list red are cut in the red day's peak; the others are not.
        assert after.channel(0).powered is False
        assert after.channel(0).reason == "Tempo red, peak 06:00-22:00"
        assert not after.channel(3).reason.startswith("Tempo")
        # The snapshot crosses the control socket as JSON and comes back the same.
        assert Snapshot.from_dict(json.loads(json.dumps(after.to_dict()))) == after
    events = [
        e
        for e in [event.to_dict() for event in read_events(tmp_path / "state")]
        if e.get("what") == "tempo"
    ]
    assert events[0]["kind"] == "forecast" and events[0]["today"] == "red"
    line = event_line(parse_event(events[0]))
    assert "forecast" in line
    assert "Tempo calendar loaded: today red, tomorrow not published yet" in line
    assert any(e.get("tomorrow") == "white" for e in events)


async def test_status_has_no_tempo_when_it_is_off(tmp_path: Path) -> None:
    clock = ManualClock(paris(2, "09:00"))
    controller, _ = make_controller(make_config(tmp_path / "state"), clock)
    async with running(controller):
        snapshot = await controller.snapshot()
    assert snapshot.tempo is None and "tempo" not in snapshot.to_status()
    assert "tempo:" not in render_status(snapshot)


async def test_a_broken_tempo_file_never_stops_the_loop(tmp_path: Path) -> None:
    (tmp_path / "tempo.json").write_text("{broken", encoding="utf-8")
    clock = ManualClock(paris(2, "09:00"))
    config = demo_config(tmp_path / "state", file=str(tmp_path / "tempo.json"))
    controller, board = make_controller(config, clock)  # type: ignore[arg-type]
    async with running(controller):
        snapshot = await controller.snapshot()
        assert snapshot.tempo is not None and snapshot.tempo.today is None
        assert snapshot.tempo.error is not None and "tempo.json" in snapshot.tempo.error
        # Ecowatt alone still drives the relays: the demo's strained morning cuts channel 0.
        clock.set(paris(2, "10:00"))
        await controller.settle()
        view = (await controller.snapshot()).channel(0)
        assert view.rule == "shed" and not view.reason.startswith("Tempo")
    errors = [
        e
        for e in [event.to_dict() for event in read_events(tmp_path / "state")]
        if e["kind"] == "error"
    ]
    assert any(e.get("what") == "tempo" and "tempo.json" in e["message"] for e in errors)
    assert board.rate_violations() == []


class _Exploding:
    kind = "rte"

    def __init__(self) -> None:
        self.calls = 0

    def load_cached(self, now: datetime) -> None:
        return None

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult:
        self.calls += 1
        raise RuntimeError("a bug in the Tempo source")

    def next_refresh(self, now: datetime) -> datetime:
        return now

    async def aclose(self) -> None:
        return None


async def test_a_tempo_source_that_raises_is_retried_later_and_the_loop_goes_on(
    tmp_path: Path,
) -> None:
    clock = ManualClock(paris(2, "09:00"), auto_advance=True)
    config = make_config(tmp_path / "state")
    exploding = _Exploding()
    controller, _ = make_controller(config, clock, tempo_source=exploding)
    await controller.run(until=paris(2, "12:00"))
    # Tried at start, then no faster than every 15 minutes: at most 13 calls in 3 hours.
    assert 2 <= exploding.calls <= 13
    errors = [
        e
        for e in [event.to_dict() for event in read_events(tmp_path / "state")]
        if e.get("what") == "tempo"
    ]
    assert errors and "a bug in the Tempo source" in errors[0]["message"]
    relays = [
        e
        for e in [event.to_dict() for event in read_events(tmp_path / "state")]
        if e["kind"] == "relay"
    ]
    assert relays  # the demo forecast's morning still moved the relays


# --- check -----------------------------------------------------------------------------------


@pytest.fixture
def rte() -> object:
    clock = ManualClock(paris(1, "11:00"))
    with FakeRte(clock=clock.now) as fake:
        fake.clock_object = clock  # type: ignore[attr-defined]
        yield fake


async def test_check_line_for_rte_and_a_403(rte: FakeRte, tmp_path: Path) -> None:
    now = paris(1, "11:00")
    config = with_tempo(make_config(tmp_path), rte.url)
    ok, line = await check_tempo(config, tmp_path, now, ENVIRON)
    assert ok and line == "rte: credentials ok; today red, tomorrow white (fetched now)"
    ok, line = await check_tempo(config, tmp_path, now + timedelta(minutes=2), ENVIRON)
    assert ok and line == (
        "rte: credentials ok; today red, tomorrow white (from the cache, fetched 11:00)"
    )
    assert rte.tempo_calls == 1  # within 15 minutes: the cache, not a second call
    rte.forbid_tempo = True
    ok, line = await check_tempo(config, tmp_path / "other", now, ENVIRON)
    assert not ok and "not subscribed to Tempo" in line and line.startswith("rte: ")


async def test_check_line_for_demo_and_a_bad_file(tmp_path: Path) -> None:
    config = demo_config(tmp_path)
    ok, line = await check_tempo(config, tmp_path, paris(1, "09:00"), {})  # type: ignore[arg-type]
    assert ok and line == "demo: today red, tomorrow not published yet"
    (tmp_path / "tempo.json").write_text("[]", encoding="utf-8")
    config = demo_config(tmp_path, file=str(tmp_path / "tempo.json"))
    ok, line = await check_tempo(config, tmp_path, paris(1, "09:00"), {})  # type: ignore[arg-type]
    assert not ok and "tempo.json" in line and "tempo_like_calendars" in line


def test_check_prints_a_tempo_line_for_the_shipped_demo(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        ["delestage", "check", "--config", str(root / "delestage.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(Path(__import__("sys").executable).parent), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("tempo")]
    assert line.startswith("tempo     ok    demo: today ")


def test_the_feed_wakes_the_loop_when_the_tempo_day_in_force_changes() -> None:
    # "today" in the snapshot moves at 06:00, even when nothing else is due then.
    from tui.adapters.sources.demo import DemoTempoSource
    from tui.service.feed import Feed
    from tui.service.tempo_feed import TempoWords

    clock = ManualClock(paris(2, "05:00"))
    feed = Feed(DemoTempoSource(), TempoWords("demo"), clock=clock, emit=print, wake=lambda: None)
    feed.next_refresh = paris(2, "10:30")
    assert feed.next_wake(paris(2, "05:00")) == paris(2, "06:00")
    assert feed.next_wake(paris(2, "06:00")) == paris(2, "10:30")
    feed.next_refresh = None
    assert feed.next_wake(paris(2, "23:00")) == paris(3, "06:00")


async def test_a_reload_takes_shed_tempo_live_but_tempo_source_changes_need_a_restart(
    tmp_path: Path,
) -> None:
    clock = ManualClock(paris(2, "15:00"))
    config = demo_config(tmp_path / "state")
    controller, _ = make_controller(config, clock)  # type: ignore[arg-type]
    async with running(controller):
        assert (await controller.snapshot()).channel(0).reason == "Tempo red, peak 06:00-22:00"
        lighter = replace(
            config,  # type: ignore[type-var]
            channels=tuple(replace(ch, shed_tempo=()) for ch in config.channels),  # type: ignore[attr-defined]
        )
        assert controller.reload(lighter) is None
        clock.advance(10)
        await controller.settle()
        assert not (await controller.snapshot()).channel(0).reason.startswith("Tempo")
        moved = replace(lighter, tempo=TempoConfig(source=Source.SANDBOX))
        problem = controller.reload(moved)
        assert problem is not None and "[tempo]" in problem
