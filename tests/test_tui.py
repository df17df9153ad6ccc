"""The terminal UI: panes rendered from hand-built snapshots, and every key driven with Pilot
against the real controller in-process (simulated board, demo source, fixed clock)."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.text import Text
from support.tui_harness import (
    FIXED_NOW,
    PID,
    Rig,
    demo_config,
    grid_row,
    make_rig,
    press,
    screen_text,
    settle,
    started,
)
from support.views import NOW, channel, day_slots, forecast_view
from textual.pilot import Pilot

from tui.adapters.stores.eventlog import read_events
from tui.core.config import UiConfig
from tui.core.errors import InputError
from tui.core.events import parse_event
from tui.core.forecast import HOUR, PARIS, clock_time, paris_midnight
from tui.frontends.app import DelestageApp
from tui.frontends.app.app import binding_ids, keymap_problems
from tui.frontends.app.dialogs import ConfirmScreen, DurationPrompt, HelpScreen, parse_hold
from tui.frontends.app.eventlog import EventPane, event_text
from tui.frontends.app.header import banner_lines, fit_parts, status_parts
from tui.frontends.app.pane import Pane
from tui.frontends.app.relays import render_grid
from tui.frontends.app.timeline import day_hours, render_timeline, warnings
from tui.service.snapshot import (
    BoardView,
    ChangeView,
    Snapshot,
)

# -- panes from hand-built snapshots -----------------------------------------------------------


def test_timeline_writes_every_hour_as_a_letter_and_marks_now() -> None:
    text = render_timeline(forecast_view(), 3, NOW, "powered", 80).plain
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("Tue 01 Dec"))
    cells = row[11 : 11 + 48]
    assert cells.replace("▶", " ").split() == ["G"] * 14 + ["R", "R", "G", "G", "O"] + ["G"] * 5
    assert "▶R" in cells  # the current hour, 14:00-15:00, is red
    assert "RED (R) until 16:00" in text
    assert "next strain: red 14:00-16:00 today" in text
    assert "demo data · fetched 14:02 (5 min ago) · generated 13:07" in text
    assert all(cell_len(line) <= 80 for line in lines)
    for word in ("low-carbon", "green", "orange", "red", "unknown"):  # the legend
        assert word in text


def test_timeline_rows_follow_the_paris_day_length() -> None:
    autumn = date(2026, 10, 25)  # the clocks go back: a 25-hour day
    assert len(day_hours(autumn)) == 25
    assert len(day_hours(date(2026, 3, 29))) == 23
    now = paris_midnight(autumn) + 10 * HOUR
    view = forecast_view(slots=day_slots(autumn, {}, default=0), next_strained=None)
    row = next(
        line
        for line in render_timeline(view, 0, now, "powered", 80).plain.splitlines()
        if line.startswith("Sun 25 Oct")
    )
    assert row.count("L") == 25
    assert "▶L" in row


@pytest.mark.parametrize(
    ("changes", "shout"),
    [
        ({"slots": (), "covers_now": False}, "NO FORECAST DATA: flying blind, fallback 'shed'"),
        ({"covers_now": False}, "NO FORECAST FOR NOW: flying blind, fallback 'shed'"),
        ({"fetched": NOW - timedelta(hours=7)}, "STALE: fetched 7 h ago"),
        ({"error": "RTE answered 503"}, "LAST REFRESH FAILED: RTE answered 503"),
    ],
)
def test_timeline_shouts_when_flying_blind_or_stale(changes: dict[str, object], shout: str) -> None:
    view = forecast_view(**changes)
    assert any(shout in line for line in warnings(view, NOW, "shed"))
    assert shout in render_timeline(view, None, NOW, "shed", 80).plain


def test_timeline_is_quiet_when_the_data_is_fresh() -> None:
    assert warnings(forecast_view(), NOW, "powered") == []


def test_a_missing_hour_is_unknown_not_low_carbon() -> None:
    slots = tuple(slot for slot in day_slots(date(2026, 12, 1), {}) if slot.start.hour != 13)
    text = render_timeline(forecast_view(slots=slots), None, NOW, "powered", 80).plain
    assert "▶?" in text
    assert "UNKNOWN (?)" in text


def test_grid_writes_states_modes_waits_and_next_changes_in_words() -> None:
    channels = (
        channel(0, name="Chauffe-eau", powered=None),
        channel(1, name="Radiateurs séjour", powered=False, mode="forced", until=NOW + HOUR),
        channel(2, name="Sauna", powered=False, latched=True, reason="orange 18:00-20:00"),
        channel(3, powered=False, wanted=True, waiting="min_off until 14:32"),
        channel(4, name="Borne VE", mode="forced", until=None),
        channel(5, name="Pompe", next_change=ChangeView(NOW + 2 * HOUR, False, "red 16:00")),
    )
    text = render_grid(channels, 3, NOW, 78).plain  # 80 columns, less the pane's padding
    rows = text.splitlines()
    assert all(cell_len(line) <= 78 for line in rows[:7])
    assert "UNKNOWN" in rows[1]
    assert "CUT" in rows[2] and "FORCED ON" in rows[2] and "until 15:07" in rows[2]
    assert "LATCHED" in rows[3]  # latched during the shed in force too (issue 21, item 8)
    assert rows[4].startswith("▶ 3") and "wait: min_off until 14:32" in rows[4]
    assert "FORCED ON" in rows[5] and "until released" in rows[5]
    assert "CUT 16:07" in rows[6]
    # The selected channel, in full under the grid, whatever the width.
    assert "3 Sèche-linge: CUT, AUTO. Why: green, no strain until 18:00." in text
    assert "Waiting: min_off until 14:32." in text
    wide = render_grid(channels, 3, NOW, 160).plain
    assert "until released" in wide and "CUT 16:07 (red 16:00)" in wide


def test_times_on_another_day_name_the_day() -> None:
    later = channel(mode="forced", until=NOW + timedelta(days=1))
    assert "until Wed 02 Dec 14:07" in render_grid((later,), None, NOW, 100).plain


def snapshot(**changes: object) -> Snapshot:
    base = Snapshot(
        mode="live",
        pid=PID,
        now=NOW,
        level=2,
        board=BoardView(kind="phidget", attached=True, revision="1017_2"),
        forecast=forecast_view(),
        channels=(channel(),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_status_line_keeps_what_matters_when_narrow() -> None:
    parts = status_parts(snapshot(), "attached to PID 123456", NOW, True, wide=False)
    line = fit_parts(parts, 80).plain
    assert cell_len(line) == 80
    for needed in ("LIVE", "attached to PID 123456", "board attached", "level ORANGE", "14:07"):
        assert needed in line
    narrow = fit_parts(parts, 50).plain
    assert "LIVE" in narrow and "ORANGE" in narrow and "14:07" in narrow
    detached = replace(snapshot(), board=BoardView(kind="phidget", attached=False))
    assert "BOARD DETACHED" in fit_parts(status_parts(detached, "", NOW, True, False), 80).plain
    assert "DISCONNECTED" in fit_parts(status_parts(None, "", NOW, False, False), 80).plain
    # A service that said its stop closed its board on the way out: the last frames before
    # the link ends say nothing of the board (they flashed BOARD DETACHED).
    stopping = fit_parts(status_parts(detached, "", NOW, True, False, stopped=True), 80).plain
    assert "DETACHED" not in stopping and "board attached" not in stopping
    assert not any("DETACHED" in line.plain for line in banner_lines(detached, True, "", True))
    assert any("DETACHED" in line.plain for line in banner_lines(detached, True, ""))


def test_parse_hold_reads_durations_times_and_held() -> None:
    assert parse_hold("90m", NOW) == timedelta(minutes=90)
    assert parse_hold(" 1h30m ", NOW) == timedelta(minutes=90)
    assert parse_hold("0", NOW) == timedelta(0)  # until released
    assert parse_hold("15:30", NOW) == datetime(2026, 12, 1, 15, 30, tzinfo=PARIS)
    assert parse_hold("09:00", NOW) == datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)  # tomorrow
    for bad in ("soon", "25:00", "-5m", "", "12:7"):
        with pytest.raises(ValueError, match="expected a duration"):
            parse_hold(bad, NOW)


def test_parse_hold_on_the_night_the_clocks_go_back() -> None:
    before = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first 02:30
    until = parse_hold("03:00", before)
    assert until > before
    assert until.astimezone(PARIS).hour == 3


def test_event_lines_are_readable() -> None:
    event = {
        "ts": "2026-12-01T14:05:12+01:00",
        "kind": "relay",
        "channel": 3,
        "name": "Sèche-linge",
        "powered": False,
        "reason": "orange 17:00-20:00",
    }
    assert (
        event_text(parse_event(event)).plain
        == "14:05:12 relay    Sèche-linge: CUT (orange 17:00-20:00)"
    )


# -- Pilot: every key, on the real controller --------------------------------------------------


@pytest.fixture
def rig(state_dir: Path) -> Rig:
    return make_rig(state_dir)


def events_shown(app: DelestageApp) -> list[str]:
    return [event_text(event).plain for event in app.query_one(EventPane).shown]


async def test_start_shows_the_demo_and_the_relays(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        screen = screen_text(app)
        assert "DEMO" in screen and "in-process" in screen and "14:07" in screen
        assert "simulated relay board and synthetic forecast" in screen
        assert "Radiateurs séjour" in screen and "Sauna" in screen
        assert app.selected == 0
        assert "delestage started (demo mode, PID 4242" in "\n".join(events_shown(app))


async def test_digits_and_arrows_select_a_relay(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("5")
        assert app.selected == 5
        assert grid_row(app, 5).startswith("▶ 5 Pompe piscine")
        await pilot.press("down", "down")  # 5, 7 (the demo has no channel 6: relay 6 is
        assert app.selected == 0  # the pilot-wire radiator's second), then wraps around
        await pilot.press("up")
        assert app.selected == 7


async def test_a_digit_without_a_channel_says_so(state_dir: Path) -> None:
    config = demo_config(state_dir)
    rig = make_rig(state_dir, replace(config, channels=config.channels[:3]))
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("6")
        assert app.selected == 0
        assert app.last_message == "relay 6 is not configured (configured: 0, 1, 2)"


async def test_p_forces_the_selected_relay_on(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        assert "CUT" in grid_row(app, 0)
        await press(pilot, rig, "0", "p")
        assert rig.board.state(0) is True  # wiring "no": energised = powered
        assert app.last_message.startswith("Chauffe-eau: forced on until 16:08")
        row = grid_row(app, 0)
        assert (
            "ON" in row and "FORCED ON" in row and "until 16:08" in row
        )  # 14:07:10 + 2 h, on the next minute
        lines = events_shown(app)
        assert any(
            line.startswith("14:07:10 override Chauffe-eau: forced on by operator until 16:08")
            for line in lines
        )
        assert any(line.startswith("14:07:10 relay    Chauffe-eau: ON") for line in lines)


async def test_s_forces_the_selected_relay_cut(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        assert "ON" in grid_row(app, 1)
        await press(pilot, rig, "1", "s")
        assert rig.board.state(1) is True  # wiring "nc": energised = cut
        row = grid_row(app, 1)
        assert "CUT" in row and "FORCED CUT" in row and "until 16:08" in row
        assert any("Radiateurs séjour: CUT (forced cut" in line for line in events_shown(app))


async def test_a_zero_default_duration_holds_until_released(state_dir: Path) -> None:
    config = demo_config(state_dir)
    policy = replace(config.policy, override_duration=timedelta(0))
    rig = make_rig(state_dir, replace(config, policy=policy))
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "1", "s")
        assert "FORCED CUT until released" in grid_row(app, 1)
        assert rig.controller.overrides[1].until is None


async def prompt(pilot: Pilot[int], rig: Rig, key: str, answer: str) -> None:
    await pilot.press(key)
    assert isinstance(pilot.app.screen, DurationPrompt)
    await pilot.press(*answer, "enter")
    await settle(pilot, rig.controller)


async def test_shift_s_asks_how_long_to_cut(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("1")
        await prompt(pilot, rig, "S", "1h")
        assert not isinstance(app.screen, DurationPrompt)
        # Overrides end on a whole minute: 14:07:10 + 1 h -> 15:08.
        assert rig.controller.overrides[1].until == datetime(2026, 12, 1, 15, 8, tzinfo=PARIS)
        assert "FORCED CUT until 15:08" in grid_row(app, 1)


@pytest.mark.parametrize(
    ("answer", "shown", "until"),
    [
        # Relay 2 is a pilot wire: its State says the order (CONFORT), its Mode FORCED.
        ("30m", "CONFORT FORCED until 14:38", datetime(2026, 12, 1, 14, 38, tzinfo=PARIS)),
        ("15:30", "CONFORT FORCED until 15:30", datetime(2026, 12, 1, 15, 30, tzinfo=PARIS)),
        ("16h45", "CONFORT FORCED until 16:45", datetime(2026, 12, 1, 16, 45, tzinfo=PARIS)),
        ("0", "CONFORT FORCED until released", None),
    ],
)
async def test_shift_p_asks_how_long_to_power(
    rig: Rig, answer: str, shown: str, until: datetime | None
) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("2")
        await prompt(pilot, rig, "P", answer)
        assert rig.controller.overrides[2].powered is True
        assert rig.controller.overrides[2].until == until
        assert shown in grid_row(app, 2)


async def test_a_bad_duration_says_what_is_expected_and_changes_nothing(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("P")
        assert "a time of day (14:30 or 14h30)" in screen_text(app)  # the forms it accepts
        await pilot.press("escape")
        await prompt(pilot, rig, "P", "soon")
        assert isinstance(app.screen, DurationPrompt)  # still asking
        assert "“soon”: expected a duration like" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, DurationPrompt)
        await pilot.press("P", "enter")  # an empty answer cancels too (not only Esc)
        assert not isinstance(app.screen, DurationPrompt)
        await started(pilot, rig)
        assert rig.controller.overrides == {}


async def test_a_returns_the_selected_relay_to_automatic(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "1", "s")
        assert "FORCED" in grid_row(app, 1)
        await press(pilot, rig, "a")
        assert rig.controller.overrides == {}
        assert app.last_message == "back to automatic: Radiateurs séjour"
        assert "AUTO" in grid_row(app, 1)


@pytest.mark.parametrize(("answer", "released"), [("y", True), ("enter", True), ("n", False)])
async def test_shift_a_asks_then_returns_every_relay(rig: Rig, answer: str, released: bool) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "1", "s", "2", "s")
        await pilot.press("A")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, rig, answer)
        assert not isinstance(app.screen, ConfirmScreen)
        assert (rig.controller.overrides == {}) is released
        if released:
            assert app.last_message == "back to automatic: Radiateurs séjour, Radiateurs chambres"
        else:
            assert app.last_message == "nothing changed"


async def test_r_refreshes_and_says_what_happened(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "r")
        assert "forecast updated: 96 hours until Sat 05 Dec 00:00" in app.last_message


class RefusingLink:
    """The real controller, except that RTE's quota refuses a refresh and the socket is gone."""

    def __init__(self, rig: Rig) -> None:
        self.inner = rig.controller
        self.description = "in-process"
        self.snapshot = self.inner.snapshot
        self.updates = self.inner.updates
        self.close = self.inner.close

    async def refresh(self) -> str:
        raise InputError("quota: next call allowed at 14:45")

    async def release(self, channel: int | None) -> str:
        raise ConnectionResetError("connection reset")


async def test_a_refused_command_is_a_message_not_a_crash(rig: Rig) -> None:
    app = rig.app()
    app.link = RefusingLink(rig)  # type: ignore[assignment]
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "r")
        assert app.last_message == "quota: next call allowed at 14:45"
        await press(pilot, rig, "a")
        assert app.last_message == "releasing failed: connection reset"
        assert app.is_running


async def test_question_mark_lists_every_key(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.text.plain
        for keys, what in [
            ("0-7", "select that relay"),
            ("↑", "previous relay"),
            ("↓", "next relay"),
            ("p", "ON (default duration)"),
            ("s", "CUT (default duration)"),
            ("P", "force ON: type a duration"),
            ("S", "force CUT: type a duration"),
            ("a", "back to automatic"),
            ("A", "every relay back to automatic"),
            ("r", "refresh the forecast"),
            ("pgup", "scroll the event log up"),
            ("?", "this help"),
            ("q", "quit (an attached service keeps running)"),
            ("^c", "quit, from anywhere"),
        ]:
            line = next(line for line in help_text.splitlines() if what in line)
            assert keys in line.split(), line
        assert "default override duration: 2h" in help_text
        for close in ("q", "question_mark", "escape"):
            await pilot.press(close)
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("question_mark")
        assert app.is_running


async def test_bindings_can_be_remapped_by_id(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        app.set_keymap({"force_off": "x", "select_1": "f1"})
        await press(pilot, rig, "f1", "s")
        assert rig.controller.overrides == {}
        await press(pilot, rig, "x")
        assert rig.controller.overrides[1].powered is False
        keys = dict((what, keys.split()) for keys, what in app.key_table())
        assert keys["force the selected relay CUT (default duration)"] == ["x"]
        assert "f1" in keys["select that relay"] and "1" not in keys["select that relay"]


async def test_pages_scroll_the_event_log(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        events = app.query_one(EventPane)
        assert events.scroll_y == events.max_scroll_y > 0  # newest at the bottom
        await pilot.press("pageup")
        assert events.scroll_y < events.max_scroll_y
        await pilot.press("pagedown")
        assert events.scroll_y == events.max_scroll_y


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quitting_stops_the_in_process_controller(rig: Rig, key: str) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "1", "s")
        await pilot.press(key)
        await pilot.pause()
    assert app.return_code == 0
    assert not rig.controller.held  # the state directory is free again
    assert not rig.board.attached  # closed, relays released (on_exit = "release")
    assert [event.to_dict() for event in read_events(rig.state_dir)][-1]["kind"] == "stop"


async def test_no_color_still_says_everything_in_words(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setenv("NO_COLOR", "1")
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "1", "s")
        svg = app.export_screenshot()
        screen = screen_text(app)
    assert app.no_color
    assert "#b71c1c" not in svg.lower()  # no red anywhere
    for words in (
        "CUT",
        "ON",
        "FORCED CUT",
        "until 16:08",
        "AUTO",
        "GREEN",
        "DEMO",
        "L low-carbon",
    ):
        assert words in screen


async def test_the_board_detached_is_unknown_not_a_guess(rig: Rig) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        rig.board.simulate_detach()
        await settle(pilot, rig.controller)
        screen = screen_text(app)
        assert "BOARD DETACHED" in screen
        indexes = [channel.index for channel in rig.config.channels]
        assert all("UNKNOWN" in grid_row(app, index) for index in indexes)
        rig.board.simulate_attach()
        await settle(pilot, rig.controller)
        assert "BOARD DETACHED" not in screen_text(app)
        assert "UNKNOWN" not in grid_row(app, 1)


async def test_an_idle_screen_repaints_only_what_the_minute_changes(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    painted: list[str] = []
    original = Pane.render

    def counting(pane: Pane) -> Text:
        painted.append(pane.id or "")
        return original(pane)

    monkeypatch.setattr(Pane, "render", counting)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.pause()
        painted.clear()
        app.tick()  # the same minute: nothing to repaint
        await pilot.pause()
        assert painted == []
        rig.clock.advance(60)
        app.tick()
        await pilot.pause()
        assert sorted(set(painted)) == ["signal", "status"]  # the clock and the data's age


@pytest.mark.parametrize("opener", ["P", "A", "question_mark"])
async def test_ctrl_c_quits_from_any_dialog(rig: Rig, opener: str) -> None:
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await pilot.press(opener)
        assert app.screen is not app.screen_stack[0]
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 0
    assert not rig.controller.held


async def test_a_controller_that_dies_ends_the_ui_with_a_reason(rig: Rig) -> None:
    async def broken() -> None:
        raise RuntimeError("board on fire")

    app = DelestageApp(rig.controller, rig.config, service=broken(), now=rig.clock.now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert app.return_code == 1


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (datetime(2026, 12, 1, 15, 30, tzinfo=PARIS), "15:30"),
        (datetime(2026, 12, 3, 9, 0, tzinfo=PARIS), "Thu 03 Dec 09:00"),
        (datetime(2022, 6, 3, 23, 0, tzinfo=PARIS), "Fri 03 Jun 2022 23:00"),
    ],
)
def test_times_say_the_date_one_way_when_not_today(when: datetime, shown: str) -> None:
    assert clock_time(when, FIXED_NOW) == shown


async def test_the_config_keymap_remaps_keys(state_dir: Path) -> None:
    config = demo_config(state_dir)
    # AZERTY: the key that types 2 unshifted types é.
    config = replace(config, ui=UiConfig(keys={"select_2": "2,é", "force_off": "s,x"}))
    rig = make_rig(state_dir, config)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await press(pilot, rig, "é", "x")
        assert rig.controller.overrides[2].powered is False


def test_a_keymap_naming_no_binding_is_refused_before_the_ui_starts(state_dir: Path) -> None:
    config = replace(demo_config(state_dir), ui=UiConfig(keys={"select_40": "9", "force_of": "x"}))
    problems = keymap_problems(config)
    assert len(problems) == 2
    assert "ui.keys.select_40: no such binding id (did you mean `select_" in problems[0]
    assert problems[1].endswith("ui.keys.force_of: no such binding id (did you mean `force_off`?)")
    assert keymap_problems(demo_config(state_dir)) == []


def test_the_user_interface_page_lists_every_binding_id() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "user-interface.md"
    text = page.read_text(encoding="utf-8")
    # select_1 to select_8 are written as the range `select_0` … `select_9`.
    listed = [name for name in binding_ids() if name[:-1] != "select_" or name[-1] in "09"]
    assert [name for name in listed if f"`{name}`" not in text] == []
