"""Building the snapshot front ends see, from the controller's state at one instant.

A plain function of its inputs (no event loop, no I/O): the relay grid's next planned change
comes from the same plan code `delestage plan` runs, so the views never contradict the plan.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from tui.adapters.boards.base import RelayBoard
from tui.core.config import Config
from tui.core.forecast import PARIS, Forecast, Period, describe_rest, strain_now_and_next
from tui.core.i18n import _, day_name, language
from tui.core.plan import first_changes, plan_ahead
from tui.core.policy import Evaluation, Override, RelayHistory
from tui.core.tempo import TempoCalendar
from tui.core.wiring import appliance_powered
from tui.service.feed import Feed
from tui.service.meter_feed import MeterFeed
from tui.service.pilot_drive import pilot_order
from tui.service.reconcile import Reconciler
from tui.service.snapshot import (
    BoardView,
    ChangeView,
    ChannelView,
    ForecastView,
    MqttView,
    SlotView,
    Snapshot,
)
from tui.service.tempo_feed import tempo_view

# How far ahead the relay grid looks for each channel's next planned change.
PLAN_LOOKAHEAD = timedelta(hours=48)
MODES = {"rte": "live", "sandbox": "sandbox", "demo": "demo", "file": "file"}


def mode_of(kind: str) -> str:
    return MODES.get(kind, kind)


class ServiceState(Protocol):
    """What the controller knows at one instant, as the snapshot needs it."""

    @property
    def config(self) -> Config: ...

    @property
    def pid(self) -> int: ...

    @property
    def state_dir(self) -> Path: ...

    @property
    def board(self) -> RelayBoard: ...

    @property
    def relays(self) -> Reconciler: ...

    @property
    def feed(self) -> Feed[Forecast]: ...

    @property
    def tempo_feed(self) -> Feed[TempoCalendar] | None: ...

    @property
    def tempo_fallback_feed(self) -> Feed[TempoCalendar] | None: ...

    @property
    def tempo(self) -> TempoCalendar | None: ...

    @property
    def evaluation(self) -> Evaluation: ...

    @property
    def overrides(self) -> Mapping[int, Override]: ...

    @property
    def history(self) -> dict[int, RelayHistory]: ...

    @property
    def mqtt(self) -> MqttView | None: ...

    @property
    def meter(self) -> "MeterFeed | None": ...


@dataclass
class PlanCache:
    """The grid's next changes, kept while what they were planned from stands.

    A snapshot is built at every step, once a second with a meter, and the 48-hour plan behind
    it was nearly all of its cost (23 ms of 23 on the demo: the in-process UI's idle CPU). The
    plan from a later instant is the same plan while its inputs are the same objects or equal
    values and no decision can change before then (the evaluation's ``next_due``, the earliest
    change planned)."""

    key: tuple[object, ...] | None = None
    changes: dict[int, ChangeView] = field(default_factory=dict)
    until: datetime | None = None  # valid before this instant (None: while the key holds)

    def get(self, key: tuple[object, ...], now: datetime) -> dict[int, ChangeView] | None:
        if key != self.key or (self.until is not None and now >= self.until):
            return None
        return self.changes

    def put(
        self, key: tuple[object, ...], changes: dict[int, ChangeView], due: datetime | None
    ) -> None:
        times = [change.at for change in changes.values()]
        if due is not None:
            times.append(due)
        self.key, self.changes, self.until = key, changes, min(times, default=None)


def next_changes(
    state: ServiceState, now: datetime, cache: PlanCache | None = None
) -> dict[int, ChangeView]:
    forecast = state.feed.data
    if forecast is None:
        return {}
    # The forecast, calendar and configuration are immutable, replaced by a refresh or a
    # reload: the tuple's comparison finds the same objects by identity, without a deep compare.
    # Overrides and history are small maps changed in place: copied, compared by value.
    key: tuple[object, ...] = (forecast, state.tempo, state.config, language())
    key += (dict(state.overrides), dict(state.history))
    if cache is not None:
        kept = cache.get(key, now)
        if kept is not None:
            return kept
    plan = plan_ahead(
        forecast=forecast,
        tempo=state.tempo,
        config=state.config,
        overrides=dict(state.overrides),
        history=state.history,
        start=now,
        end=now + PLAN_LOOKAHEAD,
    )
    changes = {
        index: ChangeView(change.at, change.powered, change.reason, change.order)
        for index, change in first_changes(plan, now).items()
    }
    if cache is not None:
        cache.put(key, changes, state.evaluation.next_due)
    return changes


def detached_boards(state: ServiceState) -> tuple[str, ...]:
    """Several boards: those none of whose configured relays is attached (by name)."""
    config = state.config
    detached = []
    for board in config.boards:
        on_it = [channel.index for channel in config.channels if channel.board == board.name]
        if on_it and not any(state.board.channel_attached(index) for index in on_it):
            detached.append(board.name)  # a board no channel uses is never opened: not named
    return tuple(detached)


def build_snapshot(state: ServiceState, now: datetime, cache: PlanCache | None = None) -> Snapshot:
    forecast = state.feed.data
    board = state.board
    attached = board.attached
    changes = next_changes(state, now, cache)
    channels = []
    measured = state.meter.measured.all_watts() if state.meter is not None else {}
    for channel in state.config.channels:
        decision = state.evaluation.decisions.get(channel.index)
        energised = board.relay(channel.index)  # None while that relay is not attached
        override = state.overrides.get(channel.index)
        channels.append(
            ChannelView(
                index=channel.index,
                name=channel.name,
                wiring=channel.wiring.value,
                powered=(
                    appliance_powered(channel.wiring, energised) if energised is not None else None
                ),
                wanted=decision.wanted if decision else False,
                mode="forced" if override else "auto",
                until=override.until if override else None,
                rule=decision.rule.value if decision else "",
                reason=decision.reason if decision else "starting",
                waiting=decision.waiting if decision else None,
                latched=state.history[channel.index].latched,
                next_change=changes.get(channel.index),
                forced_powered=override.powered if override else None,
                latch_holds=bool(decision and decision.latch_holds),
                mismatch=state.relays.words(channel.index, state.history, now),
                power_w=channel.power.watts if channel.power else None,
                board=channel.board,
                relay=channel.relay_on_board if channel.board else None,
                order=pilot_order(board, channel.index),
                forced_order=override.order if override else None,
                orders=tuple(o.value for o in channel.pilot.named) if channel.pilot else (),
                measured_power_w=measured.get(channel.index),
            )
        )
    under_way, strained = strain_now_and_next(forecast, now) if forecast else (None, None)
    info = board.info()
    level = forecast.level_at(now) if forecast else None
    return Snapshot(
        mode=mode_of(state.feed.kind),
        pid=state.pid,
        now=now,
        level=int(level) if level is not None else None,
        board=BoardView(
            kind=info.kind,
            attached=attached,
            serial=info.serial,
            revision=info.revision,
            failsafe=info.failsafe,
            message=state.relays.message,
            detached_boards=detached_boards(state),
            unattached=tuple(
                channel.index
                for channel in state.config.channels
                if not board.channel_attached(channel.index)
            ),
        ),
        forecast=ForecastView(
            source=state.feed.kind,
            slots=tuple(SlotView(s.start, int(s.level)) for s in forecast.slots)
            if forecast
            else (),
            until=forecast.until if forecast else None,
            fetched=forecast.fetched if forecast else None,
            generated=forecast.generated if forecast else None,
            next_refresh=state.feed.next_refresh,
            error=state.feed.error,
            covers_now=level is not None,
            next_strained=describe_period(strained, now) if strained else None,
            next_strained_start=strained.start if strained else None,
            strained_now=describe_rest(under_way, now) if under_way else None,
            strained_until=under_way.end if under_way else None,
        ),
        channels=tuple(channels),
        state_dir=str(state.state_dir),
        next_due=state.evaluation.next_due,
        tempo=(
            tempo_view(state.tempo_feed, now, state.tempo, state.tempo_fallback_feed)
            if state.tempo_feed is not None
            else None
        ),
        mqtt=state.mqtt,
        meter=state.meter.view(now) if state.meter is not None else None,
    )


def describe_period(period: Period, now: datetime) -> str:
    day = period.start.astimezone(PARIS).date()
    today = now.astimezone(PARIS).date()
    if day == today:
        when = _("today")
    elif (day - today).days == 1:
        when = _("tomorrow")
    else:
        when = f"{day_name(day)} {day:%d}"
    return f"{period.describe()} {when}"
