"""Issue 21, items 6 to 17: what the views say, on the real controller with the demo sources
(the demo's day 0, Tue 01 Dec, is a red Tempo day: orange 08:00-13:00 with red 10:00-12:00,
orange 18:00-20:00 with red 19:00-20:00, low-carbon from 23:00)."""

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.color import ColorSystem
from support.policy import CUT, DAY, at, channel, config, decide, on_since
from support.tui_harness import (
    attach,
    demo_config,
    grid_row,
    make_rig,
    screen_text,
    settle,
    short_state_dir,
    started,
    stop,
    tempo_rig,
    wait_for,
)
from support.views import channel as channel_view

from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.adapters.sources.demo import DemoSource
from tui.adapters.stores.eventlog import read_events
from tui.compose.service import serve
from tui.core.config import ShedAt
from tui.core.events import ErrorEvent, Event, StopEvent
from tui.frontends.app import DelestageApp
from tui.frontends.app.channels_view import ChannelsView
from tui.frontends.app.relays import STATE_STYLES, RelayGrid, render_grid, why_cell
from tui.frontends.app.stopping import gone_banner_short
from tui.frontends.app.text import level_style
from tui.frontends.control_cmds import render_status
from tui.frontends.event_text import event_line
from tui.frontends.mqtt.topics import Topics, channel_state, retained_states
from tui.service.controller import Controller

NOON = datetime(2026, 12, 1, 11, 50, tzinfo=UTC)  # 12:50 Paris: orange until 13:00
CHAUFFE_EAU = (
    "orange 08:00-13:00, red 10:00-12:00, then Tempo red until 22:00, "
    "then waiting for a low-carbon hour (23:00)"
)


@pytest.fixture
def state_dir() -> Iterator[Path]:
    yield from short_state_dir()


# -- 6: why says every rule that holds a relay, each with its end ----------------------------


async def test_why_names_every_rule_that_holds_a_relay_in_every_view(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, NOON)
    app = rig.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, rig.controller)
        snapshot = await rig.controller.snapshot()
        water = snapshot.channel(0)
        assert water.reason == CHAUFFE_EAU
        assert water.next_change is not None and water.next_change.at.hour == 22  # 23:00 Paris
        # The UI's answer line, `status`, `status --json` and MQTT say the same words.
        assert f"Why: {CHAUFFE_EAU}." in " ".join(screen_text(app).split())
        assert CHAUFFE_EAU in render_status(snapshot)
        assert snapshot.to_status()["channels"][0]["reason"] == CHAUFFE_EAU
        assert channel_state(water)["reason"] == CHAUFFE_EAU


# -- 7: "next strain" is never a strain under way ---------------------------------------------


async def test_the_strain_under_way_and_the_next_are_said_apart(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, NOON)
    app = rig.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, rig.controller)
        snapshot = await rig.controller.snapshot()
        screen = " ".join(screen_text(app).split())
        # The level's own words already say it: not twice.
        assert "ORANGE (O) until 13:00 · next strain:" in screen
        assert "next strain: orange 18:00-20:00, red 19:00-20:00 today" in screen
        assert "next strain: orange 08:00-13:00" not in screen
        text = render_status(snapshot)
        assert (
            "strain now: orange until 13:00; "
            "next strain: orange 18:00-20:00, red 19:00-20:00 today" in text
        )
        assert snapshot.to_status()["forecast"]["strain"] == {
            "now": "orange until 13:00",
            "until": "2026-12-01T13:00:00+01:00",
            "next": "orange 18:00-20:00, red 19:00-20:00 today",
            "next_start": "2026-12-01T18:00:00+01:00",
        }
        states = retained_states(snapshot, Topics("node"))
        assert states["delestage/node/next_strain"] == "2026-12-01T18:00:00+01:00"
        assert states["delestage/node/strain_now"] == "2026-12-01T13:00:00+01:00"


async def test_no_strain_now_says_only_the_next(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, datetime(2026, 12, 1, 13, 7, tzinfo=UTC))  # 14:07: green
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        snapshot = await rig.controller.snapshot()
        assert "strain now" not in screen_text(app)
        assert "next strain: orange 18:00-20:00, red 19:00-20:00 today" in " ".join(
            screen_text(app).split()
        )
        assert snapshot.forecast.strained_now is None
        assert snapshot.to_status()["forecast"]["strain"]["now"] is None
        states = retained_states(snapshot, Topics("node"))
        assert states["delestage/node/strain_now"] == "none"
        assert states["delestage/node/next_strain"] == "2026-12-01T18:00:00+01:00"


async def test_a_strain_under_way_with_a_red_core_is_said_whole(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, datetime(2026, 12, 1, 9, 30, tzinfo=UTC))  # 10:30 Paris: red
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        screen = " ".join(screen_text(app).split())
        assert (
            "RED (R) until 12:00 · strain now: orange until 13:00 · "
            "next strain: orange 18:00-20:00, red 19:00-20:00 today" in screen
        )
        # `status` has no level line with an end: it says the red core's.
        text = render_status(await rig.controller.snapshot())
        assert "strain now: orange until 13:00 (red until 12:00); next strain:" in text


# -- 8: a latch is visible in the grid during the shed that sets it --------------------------


async def test_a_latch_shows_in_the_mode_column_during_the_shed(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, NOON)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        snapshot = await rig.controller.snapshot()
        assert snapshot.to_status()["channels"][-1]["latched"] is True
        assert "LATCHED" in grid_row(app, 7)


# -- 11: status --json has each channel's next change and power ------------------------------


async def test_status_json_has_each_channels_next_change_and_power(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, NOON)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        snapshot = await rig.controller.snapshot()
        status = json.loads(json.dumps(snapshot.to_status()))
        water = status["channels"][0]
        assert water["next"] == {
            "at": "2026-12-01T23:00:00+01:00",
            "powered": True,
            "reason": "low-carbon 23:00-06:00",
        }
        assert "[next: ON at 23:00]" in render_status(snapshot)
        assert water["power_w"] == 2400
        assert status["channels"][3]["power_w"] is None  # Sèche-linge: no power configured
        sauna = status["channels"][-1]
        assert sauna["next"] is None  # latched: nothing planned until released


# -- 9: with the service gone, keys answer in sight at 80x24 ---------------------------------


def test_the_gone_banners_fit_one_line_at_80_columns() -> None:
    stopped = StopEvent(ts=NOON, on_exit="release", pid=4242)
    for event in (None, stopped):
        assert len(gone_banner_short(event, NOON)) <= 80 - 4  # padding and the banner's spaces


def test_the_short_stop_banner_fits_in_the_autumn_nights_repeated_hour() -> None:
    """02:31:52 CEST (the first 02:31 of 31 October 2027) took the line past 80 columns and
    cut "control is off"; the time is then said as far as it fits."""
    from tui.frontends.app.stopping import SHORT_WIDTH

    whole = "relays released ('no' CUT, 'nc' ON); control is off"
    for stamp in ("2027-10-31T00:31:52+00:00", "2027-10-31T01:31:52+00:00"):
        when = datetime.fromisoformat(stamp)
        line = gone_banner_short(StopEvent(ts=when, on_exit="release", pid=1), when)
        assert len(line) <= SHORT_WIDTH and line.endswith(whole), line
        assert line.startswith("SERVICE STOPPED 02:31"), line
    ordinary = datetime(2026, 12, 1, 12, 31, 52, tzinfo=UTC)
    line = gone_banner_short(StopEvent(ts=ordinary, on_exit="release"), ordinary)
    assert line.startswith("SERVICE STOPPED 13:31:52: ") and line.endswith(whole), line


async def test_keys_answer_in_sight_while_the_service_is_gone(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    service, link = await attach(rig)
    app = DelestageApp(link, rig.config, now=rig.clock.now)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await stop(rig, service)
        await wait_for(pilot, lambda: not app.connected)
        screen = screen_text(app)
        assert "SERVICE STOPPED" in screen
        for key, what in (("p", "forcing ON"), ("r", "refreshing")):
            await pilot.press(key)
            await app.wait_for_commands()
            await pilot.pause()
            answer = f"! {what}: not sent, the service is gone; control is off until it is back"
            assert answer in screen_text(app)
        await pilot.press("q")


# -- 10: CUT is the most visible state in every colour mode ----------------------------------


@pytest.mark.parametrize("system", [ColorSystem.TRUECOLOR, ColorSystem.STANDARD, None])
def test_cut_is_the_loudest_state_in_every_colour_mode(system: ColorSystem | None) -> None:
    # A block (reverse video) whatever colours are left: none at all (NO_COLOR) included.
    cut, on = STATE_STYLES["CUT"], STATE_STYLES["ON"]
    assert cut.reverse and cut.bold and not on.reverse
    if system is not None:
        assert cut.color is not None and cut.color.downgrade(system) != on.color.downgrade(system)  # type: ignore[union-attr]


def test_orange_cells_are_dark_on_yellow_with_16_colours() -> None:
    orange = level_style(2)
    assert orange.bgcolor is not None and orange.color is not None
    assert orange.bgcolor.downgrade(ColorSystem.STANDARD).number == 3  # yellow
    assert orange.color.downgrade(ColorSystem.STANDARD).number == 0  # black, not white


async def test_cut_is_a_block_in_the_grid_with_no_colour(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    rig = tempo_rig(state_dir, NOON)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        grid = app.query_one(RelayGrid)
        text = render_grid(grid.channels, grid.selected, app.now(), 80)
        cut = [span for span in text.spans if text.plain[span.start : span.end] == "CUT"]
        assert cut and all(span.style.reverse for span in cut)  # type: ignore[union-attr]


# -- 12: the h view uses the width and height it has, and `?` lists its own keys -------------


async def test_the_h_view_names_whole_more_days_and_its_own_keys(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, NOON)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, ChannelsView) and app.screen.view)
        await pilot.pause()
        screen = screen_text(app)
        assert "1 Radiateurs séjour " in screen and "2 Radiateurs chambres " in screen
        assert "Radiate…" not in screen
        assert "Wed 02 Dec" not in screen  # one day at 80x24
        assert "? keys" in screen
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = screen_text(app)
        assert "Channels over time: keys" in help_screen
        assert "PgUp PgDn" in help_screen and "back to now" in help_screen
        assert "force_on" not in help_screen  # not the main screen's keys
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChannelsView)


async def test_the_h_view_stacks_days_when_the_height_allows(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, NOON)
    app = rig.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, rig.controller)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, ChannelsView) and app.screen.view)
        await pilot.pause()
        screen = screen_text(app)
        assert "Wed 02 Dec" in screen and "Thu 03 Dec" in screen
        assert all(len(line) <= 120 for line in screen.splitlines())
        assert sum(1 for line in screen.splitlines() if line.startswith("7 Sauna ")) == 3


# -- 16: the service's first and last words --------------------------------------------------


def run_service(state_dir: Path, start: datetime, seconds: float) -> list[Event]:
    config = demo_config(state_dir)
    clock = ManualClock(start, auto_advance=True)
    board = SimulatedBoard([r for channel in config.channels for r in channel.relays], clock)
    controller = Controller(
        config, clock=clock, board=board, source=DemoSource(), state_dir=state_dir, pid=4242
    )
    until = start + timedelta(seconds=seconds)
    asyncio.run(asyncio.wait_for(serve(controller, until=until), 60))
    return read_events(state_dir)


def test_the_stop_lists_the_relays_and_a_start_after_a_crash_says_so(state_dir: Path) -> None:
    events = run_service(state_dir, NOON, 30)
    kinds = [(event.kind, getattr(event, "event", None)) for event in events]
    # "relay states the board's library reports" comes after "board attached", never before.
    assert kinds.index(("board", "attached")) < kinds.index(("board", "read"))
    stop = events[-1]
    assert isinstance(stop, StopEvent) and stop.relays is not None
    assert stop.relays.startswith("Chauffe-eau CUT, Radiateurs séjour ON")  # released: no/nc
    line = event_line(stop)
    assert "delestage stopped (on_exit release): Chauffe-eau CUT" in line
    assert "Sauna CUT" in line
    assert not any(isinstance(e, ErrorEvent) and "uncleanly" in e.message for e in events)

    # kill -9: the run's last words never written. The next start says so, once.
    log = state_dir / "events.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(line for line in lines if '"kind":"stop"' not in line.replace(" ", "")))
    again = run_service(state_dir, NOON + timedelta(minutes=5), 30)[len(lines) - 1 :]
    unclean = [e for e in again if isinstance(e, ErrorEvent) and "uncleanly" in e.message]
    assert len(unclean) == 1
    assert unclean[0].message.startswith("the previous run (PID 4242), started 12:50")
    assert "never said stop (a crash, kill -9 or a power cut)" in unclean[0].message
    assert [e.kind for e in again].index("start") < again.index(unclean[0])


# -- 17: one form for every wait, no "slot 1 of 1", no word cut in two -----------------------


def test_waits_read_one_way_and_are_cut_between_words() -> None:
    now = NOON
    gap = channel_view(0, powered=False, waiting="min_switch_gap until 12:50:05", reason="x" * 40)
    slot = channel_view(
        1,
        powered=False,
        waiting="restore slot 2 of 2 at 12:51, then min_off until 13:00",
        reason="y" * 40,
    )
    for width in (20, 26, 34, 60):
        for view in (gap, slot):
            cell = why_cell(view, now, width)
            assert cell.startswith("wait: ") and len(cell) <= max(width, 20)
            shown = cell.removeprefix("wait: ").removeprefix("…").replace("slot ", "restore slot ")
            assert all(word in view.waiting.split(" ") for word in shown.split(" ")), cell
    assert why_cell(slot, now, 26) == "wait: …min_off until 13:00"


def test_a_lone_restore_waits_for_restore_gap_not_slot_1_of_1() -> None:
    cfg = config(channel(0, shed_at=ShedAt.NEVER), channel(1, shed_at=ShedAt.RED))
    decision = decide(at("20:00"), DAY, cfg, {0: on_since(at("19:59:30")), 1: CUT})[1]
    assert decision.waiting == "restore_gap until 20:00:30"


async def test_the_answer_after_release_all_fits_80_columns(state_dir: Path) -> None:
    rig = tempo_rig(state_dir, NOON)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        rig.clock.advance(10)
        await pilot.press("2", "s")  # one forced channel to free, besides the latch
        await settle(pilot, rig.controller)
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot, rig.controller)
        point = "Sauna: latched again by the shed in force; release it after 13:00"
        assert app.last_message.startswith(point)
        assert "back to automatic: Radiateurs chambres" in app.last_message
        # The point is on screen whole, on the answer line, at 80 columns.
        assert any(line.startswith(f" › {point}") for line in screen_text(app).splitlines())


class LosingLink:
    """A link whose service vanishes without a word (no stop event), as after ``kill -9``."""

    def __init__(self, link: object) -> None:
        self.link = link
        self.lost = asyncio.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.link, name)

    async def updates(self):  # type: ignore[no-untyped-def]
        if self.lost.is_set():
            raise ConnectionResetError("connection reset by peer")
        stream = self.link.updates().__aiter__()  # type: ignore[attr-defined]
        while True:
            following = asyncio.ensure_future(stream.__anext__())
            lost = asyncio.ensure_future(self.lost.wait())
            done, _ = await asyncio.wait({following, lost}, return_when=asyncio.FIRST_COMPLETED)
            if lost in done:
                following.cancel()
                raise ConnectionResetError("connection reset by peer")
            lost.cancel()
            yield following.result()


async def test_service_lost_at_80x24_keeps_the_answer_line_in_sight(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    service, link = await attach(rig)
    losing = LosingLink(link)
    app = DelestageApp(losing, rig.config, now=rig.clock.now)  # type: ignore[arg-type]
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await started(pilot, rig)
            losing.lost.set()
            await wait_for(pilot, lambda: not app.connected)
            await pilot.pause()
            lines = screen_text(app).splitlines()
            banner = [line for line in lines if "SERVICE LOST" in line]
            assert len(banner) == 1 and "control is off" in banner[0]  # one row
            for key, what in (("p", "forcing ON"), ("r", "refreshing")):
                await pilot.press(key)
                await app.wait_for_commands()
                await pilot.pause()
                assert f"! {what}: not sent, the service is gone" in screen_text(app)
            await pilot.press("q")
    finally:
        await stop(rig, service)
