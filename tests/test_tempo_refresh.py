"""The operator's refresh (`r`, the socket's `refresh`) with [tempo] on: the forecast and the
Tempo calendar in one call and one message, the Tempo part within its source's own limits
(never two calls within 15 minutes, even for the sandbox, which has no shared quota gate)."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fake_rte import TEMPO_PATH, TEMPO_SANDBOX_PATH, FakeRte
from service_support import make_config, make_controller, running, with_tempo
from test_tempo_tui import tempo_rig
from test_tui_harness import screen_text, settle, short_state_dir

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.core.forecast import PARIS


def paris(day: int, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def state_dir() -> Iterator[Path]:
    yield from short_state_dir()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(paris(1, "11:00"))


@pytest.fixture
def rte(clock: ManualClock) -> Iterator[FakeRte]:
    with FakeRte(clock=clock.now) as fake:
        yield fake


@pytest.mark.parametrize("kind", ["sandbox", "rte"])
async def test_refresh_asks_for_tempo_too_at_most_once_per_15_minutes(
    rte: FakeRte, clock: ManualClock, tmp_path: Path, kind: str
) -> None:
    path = TEMPO_SANDBOX_PATH if kind == "sandbox" else TEMPO_PATH
    config = with_tempo(make_config(tmp_path / "state"), rte.url, kind)
    controller, _ = make_controller(config, clock)
    async with running(controller):
        assert rte.count(path) == 1  # the call at start
        clock.advance(16 * 60)  # 11:16
        message = await controller.refresh()
        assert rte.count(path) == 2
        forecast, tempo = message.split("; Tempo")
        assert "forecast" in forecast
        assert tempo.startswith(" updated: today ")
        clock.advance(5 * 60)  # 11:21: the last Tempo call was 5 minutes ago
        message = await controller.refresh()
        assert rte.count(path) == 2
        assert message.endswith("; Tempo: quota: next call allowed at 11:31")
        clock.advance(10 * 60)  # 11:31
        message = await controller.refresh()
        assert rte.count(path) == 3 and "; Tempo updated: today " in message
    # A refused manual refresh is an answer to the operator, not a Tempo fault in the log.
    tempo_errors = [
        e
        for e in [event.to_dict() for event in read_events(tmp_path / "state")]
        if e["kind"] == "error" and e.get("what")
    ]
    assert [e for e in tempo_errors if e["what"] == "tempo"] == []


async def test_refresh_without_tempo_says_the_forecast_alone(tmp_path: Path) -> None:
    clock = ManualClock(paris(1, "11:00"))
    controller, _ = make_controller(make_config(tmp_path / "state"), clock)
    async with running(controller):
        message = await controller.refresh()
    assert "forecast" in message and "Tempo" not in message


async def test_r_in_the_ui_says_the_forecast_and_tempo_in_one_message(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, datetime(2026, 12, 1, 13, 7, tzinfo=UTC))  # 14:07 in Paris
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        await pilot.press("r")
        await settle(pilot, rig.controller)
        for _ in range(50):
            if app.last_message:
                break
            await pilot.pause(0.05)
        assert app.last_message == (
            "demo forecast updated: 96 hours until Sat 05 Dec 00:00; "
            "Tempo: today red, tomorrow white"
        )
        # At 80 columns the answer takes two lines: all of it is on screen.
        assert "Tempo: today red, tomorrow white" in " ".join(screen_text(app).split())
        await pilot.press("q")
