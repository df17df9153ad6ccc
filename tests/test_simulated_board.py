"""The simulated board: the demo's board and the tests' recorder of relay transitions."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.adapters.boards.base import BoardEvent, BoardEventKind, BoardInfo
from tui.adapters.boards.factory import make_board
from tui.adapters.boards.simulated import MAX_SWITCHES, SimulatedBoard, Transition
from tui.adapters.clock import ManualClock
from tui.core.config import BoardConfig, BoardKind, ChannelConfig, Config, OnExit, ShedAt

T0 = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def opened(
    clock: ManualClock, channels: tuple[int, ...] = (0, 1, 2)
) -> tuple[SimulatedBoard, list[BoardEvent]]:
    board = SimulatedBoard(channels, clock)
    events: list[BoardEvent] = []
    board.open(events.append)
    return board, events


def kinds(events: list[BoardEvent]) -> list[BoardEventKind]:
    return [event.kind for event in events]


def test_open_attaches_at_once_with_every_relay_released(clock: ManualClock) -> None:
    board = SimulatedBoard([0, 1, 2], clock)
    board.set_relay(1, True)  # before open(): nothing to command (the service waits for attach)
    events: list[BoardEvent] = []
    board.open(events.append)
    assert board.attached
    assert kinds(events) == [BoardEventKind.ATTACHED]
    assert board.transitions == []
    assert [board.relay(channel) for channel in (0, 1, 2)] == [False, False, False]
    assert board.info() == BoardInfo(kind="simulated")


def test_every_transition_is_recorded_with_the_clock_and_repeats_are_not(
    clock: ManualClock,
) -> None:
    board, _ = opened(clock)
    board.set_relay(0, True)
    clock.advance(90)
    board.set_relay(0, True)  # no change: no transition
    board.set_relay(2, True)
    clock.advance(30)
    board.set_relay(0, False)
    assert board.transitions == [
        Transition(at(0), 0, True),
        Transition(at(90), 2, True),
        Transition(at(120), 0, False),
    ]
    assert board.transitions_of(0) == [Transition(at(0), 0, True), Transition(at(120), 0, False)]


def test_detach_releases_and_reattach_comes_back_released(clock: ManualClock) -> None:
    board, events = opened(clock)
    board.set_relay(0, True)
    board.set_relay(1, True)
    clock.advance(10)
    board.simulate_detach()
    assert not board.attached
    assert board.relay(0) is None
    assert (board.state(0), board.state(1)) == (False, False)  # the coils lost power
    board.set_relay(2, True)  # commanded while detached: nothing moves, nothing remembered
    assert board.transitions[-2:] == [Transition(at(10), 0, False), Transition(at(10), 1, False)]
    clock.advance(20)
    board.simulate_attach()
    # Like a 1017's attach: released. Putting relays back is the service's job, and it counts.
    assert [board.relay(channel) for channel in (0, 1, 2)] == [False, False, False]
    assert board.transitions[-1] == Transition(at(10), 1, False)
    assert kinds(events) == [
        BoardEventKind.ATTACHED,
        BoardEventKind.DETACHED,
        BoardEventKind.ATTACHED,
    ]


def test_errors_and_failsafe_trips_can_be_simulated(clock: ManualClock) -> None:
    board, events = opened(clock)
    board.set_relay(2, True)
    board.simulate_error("relay 2: USB transfer failed", channel=2)
    board.simulate_failsafe(2)
    assert events[1] == BoardEvent(BoardEventKind.ERROR, "relay 2: USB transfer failed", 2)
    assert events[2].kind is BoardEventKind.FAILSAFE
    assert events[2].channel == 2
    # The trip released the relay; the board leaves it there.
    assert [(item.energised) for item in board.transitions_of(2)] == [True, False]
    assert board.relay(2) is False


def test_a_command_failure_moves_nothing_and_says_so(clock: ManualClock) -> None:
    board, events = opened(clock)
    board.simulate_command_failures(1, count=1)
    board.set_relay(1, True)
    assert board.relay(1) is False
    assert board.transitions == []
    assert events[-1].kind is BoardEventKind.ERROR and events[-1].channel == 1
    board.set_relay(1, True)
    assert board.relay(1) is True


def test_close_release_deenergises_and_keep_leaves_relays(clock: ManualClock) -> None:
    released, _ = opened(clock)
    kept, _ = opened(clock)
    for board in (released, kept):
        board.set_relay(0, True)
    released.close(OnExit.RELEASE)
    kept.close(OnExit.KEEP)
    assert released.state(0) is False
    assert released.transitions[-1] == Transition(T0, 0, False)
    assert kept.state(0) is True
    assert not released.attached and not kept.attached


def test_keepalive_is_counted_and_unknown_channels_are_refused(clock: ManualClock) -> None:
    board, _ = opened(clock, channels=(0, 3))
    board.keepalive()
    board.keepalive()
    assert board.keepalives == 2
    with pytest.raises(ValueError, match="relay 1 is not configured"):
        board.set_relay(1, True)


# --- the switching-rate flag ------------------------------------------------------------------


def switch(board: SimulatedBoard, clock: ManualClock, times: int, every: float) -> None:
    for _ in range(times):
        board.set_relay(0, not board.state(0))
        clock.advance(every)


def test_twenty_switches_in_a_minute_are_fine(clock: ManualClock) -> None:
    board, events = opened(clock)
    switch(board, clock, MAX_SWITCHES, every=1)
    assert board.rate_violations() == []
    assert BoardEventKind.ERROR not in kinds(events)


def test_the_twenty_first_switch_within_60_s_is_flagged_once(clock: ManualClock) -> None:
    board, events = opened(clock)
    switch(board, clock, MAX_SWITCHES + 5, every=2)  # 25 switches in 50 s
    violations = board.rate_violations()
    assert [item.switches for item in violations] == [21, 22, 23, 24, 25]
    assert violations[0].at == at(40)  # the 21st switch
    assert all(item.channel == 0 for item in violations)
    errors = [event for event in events if event.kind is BoardEventKind.ERROR]
    assert len(errors) == 1, "one event per excursion, not one per extra switch"
    assert errors[0].channel == 0
    assert "21 switches within 60 s" in errors[0].message


def test_switches_spread_over_more_than_a_minute_are_fine(clock: ManualClock) -> None:
    board, _ = opened(clock)
    switch(board, clock, 100, every=3.01)  # 20 per 60.2 s, sustained
    assert board.rate_violations() == []


def test_a_second_excursion_is_reported_again(clock: ManualClock) -> None:
    board, events = opened(clock)
    switch(board, clock, 21, every=1)
    clock.advance(120)
    switch(board, clock, 21, every=1)
    assert len([event for event in events if event.kind is BoardEventKind.ERROR]) == 2


@given(st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), max_size=60))
def test_flagged_exactly_when_some_minute_holds_more_than_twenty(gaps: list[float]) -> None:
    clock = ManualClock(T0)
    board = SimulatedBoard([0], clock)
    board.open(lambda _event: None)
    for gap in gaps:
        clock.advance(gap)
        board.set_relay(0, not board.state(0))
    times = [item.at for item in board.transitions]
    over = any(
        sum(1 for other in times if end - timedelta(seconds=60) < other <= end) > MAX_SWITCHES
        for end in times
    )
    assert bool(board.rate_violations()) == over


# --- the factory ------------------------------------------------------------------------------


def test_make_board_opens_only_the_configured_channels(clock: ManualClock) -> None:
    config = Config(
        channels=(
            ChannelConfig(index=2, name="a", shed_at=ShedAt.RED),
            ChannelConfig(index=5, name="b", shed_at=ShedAt.RED),
        ),
        board=BoardConfig(kind=BoardKind.SIMULATED),
    )
    board = make_board(config, clock)
    assert isinstance(board, SimulatedBoard)
    board.open(lambda _event: None)
    board.set_relay(5, True)
    assert board.transitions == [Transition(T0, 5, True)]
    with pytest.raises(ValueError):
        board.set_relay(0, True)
