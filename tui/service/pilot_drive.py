"""Pilot-wire channels on the board: one channel of the policy, two relays of the board.

``PilotDrive`` is a ``RelayBoard`` in front of the real one. The controller, the reconciler
and the snapshot go on addressing a channel by its ``index`` (the existing channel-to-relay
mapping: with several boards, the relay on the channel's board); for a pilot channel the drive
turns that one "relay" into its two relays:

- the channel's relay "energised" is a cut (a pilot channel is ``nc``): the two relays take
  the setback order the controller aimed at (``aim``: Éco for orange, Hors-gel for red, the
  operator's named order); released, they take the running order it aimed at (Confort: both
  released, which is also what a dead controller or an attach leaves; an SG-Ready heat pump's
  normal, or boost in a low-carbon hour);
- the two commands go in the order ``tui/core/pilot.transition`` gives, so no state between
  them is Arrêt, and each physical relay keeps its own switch times: ``drive`` holds a command
  back when that relay's gap or the 20-a-minute rating would be broken;
- ``relay(index)`` reads both relays: the order they give back as the channel's state (cut or
  not); a state that is neither the normal nor the aimed order (a command held back, one relay
  moved by an unplug) is "not where the controller put it", so the reconciler puts it back.

Every other channel passes straight through.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tui.adapters.boards.base import BoardInfo, EventSink, RelayBoard
from tui.adapters.clock import Clock
from tui.core import events as ev
from tui.core.config import ChannelConfig, Config, OnExit
from tui.core.errors import InputError
from tui.core.forecast import Forecast
from tui.core.i18n import _
from tui.core.pilot import (
    Order,
    PilotConfig,
    RelayLog,
    drive,
    order_of,
    orders_expected,
    parse_order,
)
from tui.core.pilot_orders import forced_orders, orders
from tui.core.policy import Evaluation, Override
from tui.core.tempo import TempoCalendar
from tui.service.reconcile import explain


class PilotDrive:
    def __init__(self, board: RelayBoard, config: Config, clock: Clock) -> None:
        self.board = board
        self.kind = board.kind
        self.hint = board.hint
        self.clock = clock
        self.gap = config.policy.min_switch_gap
        self.pilots: dict[int, PilotConfig] = {
            channel.index: channel.pilot for channel in config.channels if channel.pilot
        }
        self._aim: dict[int, Order] = {}  # the setback order a cut gives, per pilot channel
        self._run: dict[int, Order] = {}  # the running order (SG-Ready: normal or boost)
        self._commanded: dict[int, bool] = {}  # the channel's relay as last commanded
        self._logs: dict[int, RelayLog] = {}  # every physical relay of a pilot channel
        # A move held back by a relay's gap or rate limit: when the rest may go (the drive's
        # monotonic time, ``_now``).
        self._held: dict[int, datetime] = {}

    # -- the board, passed through -------------------------------------------------------------

    @property
    def attached(self) -> bool:
        return self.board.attached

    def open(self, emit: EventSink) -> None:
        self.board.open(emit)

    def info(self) -> BoardInfo:
        return self.board.info()

    def keepalive(self) -> None:
        self.board.keepalive()

    def close(self, on_exit: OnExit) -> None:
        self.board.close(on_exit)

    # -- a pilot channel as one relay ----------------------------------------------------------

    def channel_attached(self, channel: int) -> bool:
        pilot = self.pilots.get(channel)
        if pilot is None:
            return self.board.channel_attached(channel)
        return all(self.board.channel_attached(relay) for relay in pilot.relays)

    def order(self, channel: int) -> Order | None:
        """The order the two relays give now, as the board's library confirmed them."""
        pilot = self.pilots[channel]
        return order_of({relay: self.board.relay(relay) for relay in pilot.relays}, pilot)

    def target(self, channel: int, energised: bool) -> Order:
        pilot = self.pilots[channel]
        if energised:
            return self._aim.get(channel, pilot.cut)
        return self._run.get(channel, pilot.normal)

    def relay(self, channel: int) -> bool | None:
        pilot = self.pilots.get(channel)
        if pilot is None:
            return self.board.relay(channel)
        order = self.order(channel)
        if order is None:
            return None
        commanded = self._commanded.get(channel)
        if commanded is not None:
            if order is self.target(channel, commanded):
                return commanded
            if channel in self._held and pilot.powers(order) is not commanded:
                # On its way, held by a relay's gap (forced Éco released into Hors-gel a
                # moment later): still cut, or still running, as commanded; the step at
                # ``next_move`` finishes it. Not a board that refused a command.
                return commanded
            return not commanded  # not where it was put: the reconciler puts it back
        if pilot.powers(order):
            return False
        return True if order is self.target(channel, True) else None

    def set_relay(self, channel: int, energised: bool) -> None:
        if channel not in self.pilots:
            self.board.set_relay(channel, energised)
            return
        self._commanded[channel] = energised
        self._drive(channel, self.target(channel, energised))

    def aim(self, orders: Mapping[int, Order]) -> list[tuple[int, Order]]:
        """The setback each pilot channel's cut gives from now on, and the order it runs in
        (``orders``: each pilot channel's order for its decision); the channels already cut
        (or running) whose setback (or running order) changed, to move at once with ``move``:
        orange to red is Éco to Hors-gel, a heat pump's low-carbon hour normal to boost. Reads
        the relays as the library last set them (no transfer): on the loop, so that a step
        with nothing to move makes no trip through a thread."""
        due: list[tuple[int, Order]] = []
        for channel, order in orders.items():
            pilot = self.pilots.get(channel)
            if pilot is None:
                continue
            running = pilot.powers(order)
            if running:
                self._run[channel] = order
                self._aim.setdefault(channel, pilot.cut)
            else:
                self._aim[channel] = order
            commanded = self._commanded.get(channel)
            if commanded is None and running and self.relay(channel) is False:
                commanded = False  # running as it should, never commanded: a start, a restart
            if commanded is None or commanded is running:
                continue  # the reconciler's switch moves it (cut to running, or back)
            if self.channel_attached(channel) and self.order(channel) is not order:
                due.append((channel, order))
        return due

    def move(self, due: list[tuple[int, Order]]) -> list[tuple[int, Order]]:
        """Drive the channels ``aim`` found due: blocking board I/O, off the event loop.
        Returns the channels that reached their new order."""
        moved: list[tuple[int, Order]] = []
        for channel, order in due:
            self._drive(channel, order)
            if self.order(channel) is order:
                moved.append((channel, order))
        return moved

    def _drive(self, channel: int, order: Order) -> None:
        pilot = self.pilots[channel]
        if not self.channel_attached(channel):
            return
        logs = {
            relay: RelayLog(self.board.relay(relay), self._logs.get(relay, RelayLog()).switches)
            for relay in pilot.relays
        }
        step = drive(pilot, logs, order, self._now(), self.gap)
        for relay, energised in step.moves:
            self.board.set_relay(relay, energised)
        self._logs.update(step.logs)
        if step.retry_at is not None:
            self._held[channel] = step.retry_at
        else:
            self._held.pop(channel, None)

    def next_move(self) -> datetime | None:
        """When a held move may go on (wall time): the controller steps then."""
        now = self._now()
        self._held = {channel: at for channel, at in self._held.items() if at > now}
        if not self._held:
            return None  # a time gone by was the step that just ran: it moved what was due
        return self.clock.now() + (min(self._held.values()) - now)

    def _now(self) -> datetime:
        """The relays' own protections run on the monotonic clock, as every other's."""
        return datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=self.clock.monotonic())


def wrap(board: RelayBoard, config: Config, clock: Clock) -> RelayBoard:
    """The board, with a PilotDrive in front when any channel is a pilot channel."""
    if any(channel.pilot for channel in config.channels):
        return PilotDrive(board, config, clock)
    return board


class _Stepping(Protocol):
    """What ``aim_step`` reads of the controller."""

    board: RelayBoard
    config: Config
    evaluation: Evaluation
    overrides: dict[int, Override]

    @property
    def forecast(self) -> Forecast | None: ...

    @property
    def tempo(self) -> TempoCalendar | None: ...

    def _event(self, event: ev.Event) -> None: ...


async def aim_step(controller: _Stepping, now: datetime) -> None:
    """Each step, before the moves: every pilot channel's order for its decision; a channel
    already cut whose setback changed (orange to red) moves now, and says so."""
    board = controller.board
    if not isinstance(board, PilotDrive):
        return
    decisions = controller.evaluation.decisions
    wanted = orders(
        controller.config,
        decisions,
        controller.forecast,
        now,
        forced_orders(controller.overrides, now),
        controller.tempo,
    )
    due = board.aim(wanted)
    if not due:
        return
    for channel, order in await asyncio.to_thread(board.move, due):
        decision = decisions[channel]
        controller._event(
            ev.RelayEvent(
                ts=now,
                channel=channel,
                name=controller.config.channel(channel).name,
                powered=board.pilots[channel].powers(order),
                reason=explain(decision),
                order=order.value,
            )
        )


def next_move(board: RelayBoard) -> datetime | None:
    """When a pilot channel's held move may go on; None: none held, or no pilot channel."""
    return board.next_move() if isinstance(board, PilotDrive) else None


def with_order(board: RelayBoard, event: ev.Event) -> ev.Event:
    """A pilot channel's relay event carries the order its two relays give."""
    if (
        isinstance(board, PilotDrive)
        and isinstance(event, ev.RelayEvent)
        and event.order is None
        and event.channel in board.pilots
    ):
        order = board.order(event.channel)
        if order is not None:
            return replace(event, order=order.value)
    return event


def pilot_order(board: RelayBoard, channel: int) -> str | None:
    """A pilot channel's order now, for the snapshot; None for any other channel."""
    if isinstance(board, PilotDrive) and channel in board.pilots:
        order = board.order(channel)
        return order.value if order is not None else None
    return None


def named_order(
    channel: ChannelConfig, powered: bool, order: str | None
) -> tuple[bool, str | None]:
    """An operator's force: powered or cut, or a pilot channel's named order (``eco``): the
    override's ``powered`` and ``order`` (its words: service/operator.py). InputError for an
    order on a plain channel, or Arrêt where it is not allowed."""
    if order is None:
        return powered, None
    pilot = channel.pilot
    if pilot is None:
        raise InputError(
            f"{channel.name}: "
            + _("not a pilot-wire or SG-Ready channel; expected on or off, got {order}").format(
                order=f"{order!r:.20}"
            )
        )
    try:
        named = parse_order(order)
    except ValueError:
        raise InputError(
            f"{channel.name}: "
            + _("expected {expected}, got {order}").format(
                expected=orders_expected(pilot), order=f"{order!r:.20}"
            )
        ) from None
    refusal = pilot.refusal(named)
    if refusal is not None:
        raise InputError(f"{channel.name}: {refusal}")
    return pilot.powers(named), named.value
