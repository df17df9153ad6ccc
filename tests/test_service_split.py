"""The parts the controller drives, each on its own and without an event loop: the board's truth
(reconcile), events and subscriptions (events hub), the snapshot, the operator's commands."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from tui.adapters.boards.base import BoardEvent as BoardReport
from tui.adapters.boards.base import BoardEventKind
from tui.adapters.boards.simulated import SimulatedBoard
from tui.adapters.clock import ManualClock
from tui.compose.files import load_config
from tui.core.config import Config
from tui.core.errors import InputError
from tui.core.events import BoardEvent, ErrorEvent, Event, RelayEvent
from tui.core.policy import RATE_LIMIT, Decision, Evaluation, RelayHistory, Rule
from tui.core.wiring import appliance_powered
from tui.service.events_hub import EventHub
from tui.service.operator import override_until, released_words, restart_needed
from tui.service.reconcile import Reconciler
from tui.service.snapshot_builder import build_snapshot
from tui.service.tempo_feed import TempoWords

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def config() -> Config:
    return load_config(ROOT / "delestage.toml")


def _decision(channel: int, powered: bool, reason: str = "red 08:00-13:00") -> Decision:
    return Decision(channel=channel, powered=powered, wanted=powered, rule=Rule.SHED, reason=reason)


def _rig(config: Config) -> tuple[SimulatedBoard, Reconciler, list[Event], ManualClock]:
    clock = ManualClock(NOW)
    board = SimulatedBoard([r for ch in config.channels for r in ch.relays], clock)
    said: list[Event] = []
    return board, Reconciler(board, config, clock, said.append), said, clock


def test_a_first_attach_is_read_from_the_board_not_switched(config: Config) -> None:
    board, relays, said, _ = _rig(config)
    reports: list[BoardReport] = []
    board.open(reports.append)  # the board thread's report reaches the loop later
    history = {ch.index: RelayHistory() for ch in config.channels}
    assert relays.observe(history, NOW)
    # Released on attach: "no" wiring is cut, "nc" wiring is powered.
    assert history[0].powered is False and history[1].powered is True
    assert said == []  # what was read waits for "attached", to be said after it
    for report in reports:
        relays.board_event(report)
    attached, read = said
    assert isinstance(attached, BoardEvent) and attached.event == "attached"
    assert isinstance(read, BoardEvent) and read.event == "read"
    assert read.states is not None and read.states["0"] is False
    assert board.transitions == []


def test_a_decision_that_differs_is_one_move_recorded_and_said(config: Config) -> None:
    board, relays, said, _ = _rig(config)
    board.open(lambda _event: None)
    history = {ch.index: RelayHistory(powered=True) for ch in config.channels}
    decisions = [_decision(0, False), _decision(1, True)]
    (move,) = relays.moves(decisions, history)
    assert (move.channel, move.energised, move.powered) == (0, False, False)
    board.set_relay(move.channel, move.energised)
    relays.switched(move, history, NOW, attached=True)
    assert history[0].powered is False and history[0].switches == (NOW,)
    (relay,) = said
    assert isinstance(relay, RelayEvent)
    assert relay.to_dict()["reason"] == "red 08:00-13:00" and relay.applied is True


def test_nothing_moves_while_an_unknown_relay_waits_for_the_board(config: Config) -> None:
    _, relays, _, _ = _rig(config)  # never opened: detached
    history = {ch.index: RelayHistory() for ch in config.channels}
    assert relays.moves([_decision(0, False)], history) == []


def test_a_relay_moved_behind_the_controllers_back_is_counted_and_put_back(
    config: Config,
) -> None:
    board, relays, said, _ = _rig(config)
    board.open(lambda _event: None)
    # Every relay released as on attach, but the water heater ("no" wiring) energised: powered.
    history = {
        ch.index: RelayHistory(powered=appliance_powered(ch.wiring, ch.index == 0))
        for ch in config.channels
    }
    board.set_relay(0, True)
    assert not relays.observe(history, NOW) and said == []  # all where the controller put them
    board.simulate_failsafe(0)  # released: the water heater is cut without a command
    assert relays.observe(history, NOW)
    assert history[0].switches == (NOW,)  # the movement counts against the rating
    assert [e.to_dict()["by"] for e in said if isinstance(e, RelayEvent)] == ["board"]
    (back,) = relays.put_backs(history, NOW)
    board.set_relay(back.channel, back.energised)
    relays.put_back(back, history, NOW)
    assert board.state(0) is True and relays.sync.drift(0) is None


def test_putting_back_waits_for_the_rate_limit(config: Config) -> None:
    board, relays, _, _ = _rig(config)
    board.open(lambda _event: None)
    recent = tuple(NOW - timedelta(seconds=i) for i in range(RATE_LIMIT, 0, -1))
    history = {ch.index: RelayHistory(powered=True, switches=recent) for ch in config.channels}
    relays.sync.start(0, NOW)
    assert relays.put_backs(history, NOW) == []
    assert "rate limit" in (relays.words(0, history, NOW) or "")


def test_a_board_report_becomes_the_board_message_and_an_event(config: Config) -> None:
    _, relays, said, _ = _rig(config)
    relays.board_event(BoardReport(BoardEventKind.DETACHED, "board unplugged"))
    assert relays.message == "board unplugged"
    relays.board_event(BoardReport(BoardEventKind.ATTACHED, "board attached"))
    assert relays.message == ""
    assert [e.to_dict()["event"] for e in said] == ["detached", "attached"]


def test_a_listener_that_raises_is_contained_and_said_once() -> None:
    hub = EventHub(ManualClock(NOW))
    seen: list[Event] = []

    def broken(_event: Event) -> None:
        raise OSError(32, "Broken pipe")

    hub.add_listener(broken, "event printer")
    hub.add_listener(seen.append, "recorder")
    for _ in range(3):
        hub.error("forecast", "RTE answered 503")
    failures = [e for e in seen if isinstance(e, ErrorEvent) and e.what == "event printer"]
    assert len(failures) == 1 and "Broken pipe" in failures[0].message
    assert sum(isinstance(e, ErrorEvent) and e.what == "forecast" for e in seen) == 3


def test_an_update_goes_out_only_when_something_changed(config: Config) -> None:
    hub = EventHub(ManualClock(NOW))
    board, relays, _, clock = _rig(config)
    state = SimpleNamespace(
        config=config,
        pid=1,
        state_dir=Path("/nonexistent"),
        board=board,
        relays=relays,
        feed=SimpleNamespace(data=None, kind="demo", next_refresh=None, error=None),
        tempo_feed=None,
        evaluation=Evaluation(),
        overrides={},
        history={ch.index: RelayHistory() for ch in config.channels},
        mqtt=None,
        meter=None,
    )
    builds = []

    def snapshot() -> object:
        builds.append(1)
        return build_snapshot(state, clock.now())  # type: ignore[arg-type]  # a stand-in

    hub.publish(snapshot)  # type: ignore[arg-type]  # a stand-in state
    assert builds == [] and hub.last is None  # nobody follows: no plan is built for no one

    async def follow() -> list[object]:
        updates = hub.updates(snapshot)  # type: ignore[arg-type]  # a stand-in state
        received = [await anext(updates)]  # the current state, built for this subscriber
        hub.publish(snapshot)  # type: ignore[arg-type]  # a stand-in state
        first = hub.last
        assert first is not None and first.mode == "demo" and first.level is None
        assert all(channel.reason == "starting" for channel in first.channels)
        hub.publish(snapshot)  # type: ignore[arg-type]  # a stand-in state
        assert hub.last is first  # the same snapshot, no event: nothing sent
        hub.error("forecast", "no forecast covers now")
        hub.publish(snapshot)  # type: ignore[arg-type]  # a stand-in state
        hub.end()
        received += [update async for update in updates]
        return received

    received = asyncio.run(follow())
    assert len(builds) == 4
    # The current state, then the error (an event); the two publishes that changed nothing
    # since the current state was built sent nothing.
    assert len(received) == 2


def test_an_override_ends_on_a_whole_minute_and_is_bounded() -> None:
    now = datetime(2026, 12, 2, 9, 0, 13, tzinfo=UTC)
    assert override_until(now, timedelta(hours=2), None, None) == datetime(
        2026, 12, 2, 11, 1, tzinfo=UTC
    )
    assert override_until(now, timedelta(hours=2), timedelta(0), None) is None  # until released
    with pytest.raises(InputError, match=r"^for: expected"):
        override_until(now, timedelta(hours=2), timedelta(seconds=10), None)
    with pytest.raises(InputError, match=r"^until: expected"):
        override_until(now, timedelta(hours=2), None, now - timedelta(minutes=5))


def test_a_release_says_what_a_shed_in_force_cuts_again() -> None:
    now = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert released_words([], [], now) == "nothing to release: already automatic"
    words = released_words(
        ["Sauna"], [("Climatisation", datetime(2026, 12, 1, 19, tzinfo=UTC))], now
    )
    assert words == (
        "Climatisation: latched again by the shed in force; release it after 20:00; "
        "back to automatic: Sauna"
    )
    # The point (when to release again) fits the answer line at 80 columns, after "› ".
    assert len(words.split("; back")[0]) <= 78


def test_a_reload_of_the_board_needs_a_restart(config: Config) -> None:
    from dataclasses import replace

    assert restart_needed(config, config) is None
    moved = replace(config, board=replace(config.board, serial=12345))
    assert "need a restart" in (restart_needed(config, moved) or "")


def test_the_tempo_feed_wakes_at_six_when_the_tempo_day_changes() -> None:
    paris = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # 06:00 Paris
    words = TempoWords("demo")
    assert words.boundary(paris - timedelta(hours=1)) == paris
