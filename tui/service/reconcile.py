"""The board's truth: what each relay is, against what the controller applied, and the moves.

Everything here is synchronous and does no I/O: it reads the board's reported states
(``RelayBoard.relay``, the library's memory) and says which commands to send; the controller
sends them off the event loop (USB transfers) and reports back with ``switched`` or
``put_back``. So each rule is testable without an event loop or a board thread.

- A decision that differs from the applied state is a ``Move`` (``moves``), recorded by
  ``switched``: counted, evented, and remembered as unapplied while the board is away.
- ``observe`` compares, before deciding, what the board reports with what was applied, relay
  by relay (one that is not attached is skipped, the others carry on): an unknown state
  (first start) is taken from the board; a relay found elsewhere moved without a command
  (attach, unplug, failsafe trip): counted, evented, and put back; a relay the board cannot
  tell after an attach (a persistent VINT channel, code 51) is "not where I put it" and
  commanded again, counted like any put-back.
- ``put_backs`` lists the drifting relays to command back, within the rate limit, backing off
  while the board does not take it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from tui.adapters.boards.base import BoardEvent, BoardEventKind, RelayBoard
from tui.adapters.clock import Clock
from tui.core import events as ev
from tui.core.config import Config
from tui.core.i18n import _
from tui.core.policy import (
    Decision,
    RelayHistory,
    count_movement,
    next_switch_allowed,
    record_switch,
)
from tui.core.wiring import appliance_powered, relay_energised
from tui.service.board_sync import BoardSync

Emit = Callable[[ev.Event], None]


def explain(decision: Decision) -> str:
    """Why the relay is where it is: the rule's reason, and the wait when one holds it back."""
    if decision.waiting and decision.powered != decision.wanted:
        return f"waiting: {decision.waiting} ({decision.reason})"
    return decision.reason


def state_word(powered: bool) -> str:
    return "powered" if powered else "cut"


@dataclass(frozen=True)
class Move:
    """One relay command to send: ``energised`` on relay ``channel``."""

    channel: int
    energised: bool
    powered: bool  # what it does to the appliance
    decision: Decision | None = None  # None: putting a drifted relay back


class Reconciler:
    def __init__(self, board: RelayBoard, config: Config, clock: Clock, emit: Emit) -> None:
        self.board = board
        self.clock = clock
        self.config = config
        self.sync = BoardSync()  # relays not where the controller put it
        self.message = ""  # the last board problem in words, "" when fine
        self._emit = emit
        # The board thread's "attached" reaches the loop after the step may already have read
        # the relays: "relay states the board's library reports" waits for it, to be said after it.
        self._attach_said = False
        self._read_pending: ev.BoardEvent | None = None

    # -- decisions -----------------------------------------------------------------------------

    def moves(self, decisions: Iterable[Decision], history: dict[int, RelayHistory]) -> list[Move]:
        """The relays the decisions move. Unknown while the board cannot tell yet: its attach
        will say where the relay is, so nothing is switched needlessly."""
        out = []
        for decision in decisions:
            item = history[decision.channel]
            if item.powered is None and not self.board.channel_attached(decision.channel):
                continue
            if decision.powered != item.powered:
                wiring = self.config.channel(decision.channel).wiring
                out.append(
                    Move(
                        decision.channel,
                        relay_energised(wiring, decision.powered),
                        decision.powered,
                        decision,
                    )
                )
        return out

    def switched(
        self, move: Move, history: dict[int, RelayHistory], now: datetime, *, attached: bool
    ) -> None:
        """After ``board.set_relay`` for a decision's move (``attached``: before the call)."""
        assert move.decision is not None
        channel = self.config.channel(move.channel)
        history[move.channel] = record_switch(history[move.channel], move.powered, now)
        reported = self.board.relay(move.channel)
        if not attached:
            self.sync.unapplied.add(move.channel)  # put back when the board is here
        elif reported is not None and reported != move.energised:
            self._not_taken(move.channel, move.powered, now)
        else:
            self.sync.clear(move.channel)
        self._emit(
            ev.RelayEvent(
                ts=self.clock.now(),
                channel=move.channel,
                name=channel.name,
                powered=move.powered,
                reason=explain(move.decision),
                # False: the board is away; the controller applies it when it attaches.
                applied=attached,
                rule=move.decision.rule.value,
            )
        )

    @staticmethod
    def latch(decisions: Iterable[Decision], history: dict[int, RelayHistory]) -> bool:
        """Record each decision's latch; whether any changed."""
        changed = False
        for decision in decisions:
            item = history[decision.channel]
            if item.latched != decision.latched or item.turn_from != decision.turn_from:
                history[decision.channel] = replace(
                    item, latched=decision.latched, turn_from=decision.turn_from
                )
                changed = True
        return changed

    def released(self, history: dict[int, RelayHistory], now: datetime) -> None:
        """Closing the board de-energises every relay: what that does to each appliance."""
        for channel in self.config.channels:
            powered = appliance_powered(channel.wiring, False)
            item = history.get(channel.index, RelayHistory())
            if item.powered is not powered:
                history[channel.index] = record_switch(item, powered, now)

    # -- the board's reports -------------------------------------------------------------------

    def observe(self, history: dict[int, RelayHistory], now: datetime) -> bool:
        """Take in what the board reports; whether the history changed."""
        dirty = False
        learned: list[str] = []
        states: dict[str, bool] = {}  # channel -> appliance powered, for history to read
        for channel in self.config.channels:
            index = channel.index
            if not self.board.channel_attached(index):
                continue
            energised = self.board.relay(index)
            if energised is None:
                # Attached, and the board cannot tell (a persistent VINT channel after an
                # attach): not where the controller put it, so command it again.
                self._unknown(index, history[index].powered, now)
                continue
            actual = appliance_powered(channel.wiring, energised)
            item = history[index]
            drift = self.sync.drift(index)
            if drift is not None:
                drift.unknown = False  # the board tells again
            if item.powered is None:
                history[index] = replace(item, powered=actual)
                learned.append(f"{channel.name} {_('ON') if actual else _('CUT')}")
                states[str(index)] = actual
                dirty = True
            elif actual == item.powered:
                if self.sync.clear(index):
                    self._note(
                        index,
                        f"{state_word(actual)} again, as commanded and confirmed by the board's "
                        "library",
                    )
            elif self.sync.drift(index) is None:
                self.sync.start(index, now)
                if index not in self.sync.unapplied:
                    # It moved, whoever moved it: that counts against the relay's rating.
                    history[index] = count_movement(item, now)
                    dirty = True
                    self._emit(
                        ev.RelayEvent(
                            ts=self.clock.now(),
                            channel=index,
                            name=channel.name,
                            powered=actual,
                            reason=_(
                                "moved by the board, not by a command (attach, unplug or "
                                "failsafe trip)"
                            ),
                            by="board",
                        )
                    )
        if learned:
            read = ev.BoardEvent(
                ts=self.clock.now(),
                event="read",
                message=_("relay states the board's library reports: ") + ", ".join(learned),
                states=states,
            )
            if self._attach_said:
                self._emit(read)
            else:
                self._read_pending = read
        return dirty

    def _say_read(self) -> None:
        read, self._read_pending = self._read_pending, None
        if read is not None:
            self._emit(replace(read, ts=self.clock.now()))

    def put_backs(self, history: dict[int, RelayHistory], now: datetime) -> list[Move]:
        """The drifting relays to command back now (the others wait, and say for what)."""
        out = []
        for channel in self.config.channels:
            index = channel.index
            if not self.board.channel_attached(index):
                continue
            drift = self.sync.drift(index)
            item = history[index]
            if drift is None or item.powered is None:
                continue
            if drift.retry_at is not None and now < drift.retry_at:
                continue
            allowed = next_switch_allowed(item, now)
            if allowed is not None:
                self.sync.hold(index, allowed, "rate limit (20 switches a minute)")
                continue
            out.append(Move(index, relay_energised(channel.wiring, item.powered), item.powered))
        return out

    def put_back(self, move: Move, history: dict[int, RelayHistory], now: datetime) -> None:
        """After ``board.set_relay`` for a put-back move."""
        history[move.channel] = count_movement(history[move.channel], now)
        if self.board.relay(move.channel) == move.energised:
            self.sync.clear(move.channel)
            self._emit(
                ev.RelayEvent(
                    ts=self.clock.now(),
                    channel=move.channel,
                    name=self.config.channel(move.channel).name,
                    powered=move.powered,
                    reason=f"put back {state_word(move.powered)}, where the controller had it",
                    by="reconcile",
                )
            )
        else:
            self._not_taken(move.channel, move.powered, now)

    def board_event(self, event: BoardEvent) -> None:
        self.message = "" if event.kind is BoardEventKind.ATTACHED else event.message
        self._emit(
            ev.BoardEvent(
                ts=self.clock.now(),
                event=event.kind.value,
                channel=event.channel,
                message=event.message,
            )
        )
        if event.kind is BoardEventKind.ATTACHED:
            self._attach_said = True
            self._say_read()
        elif event.kind is BoardEventKind.DETACHED:
            self._attach_said = False

    def missing(self, stopping: bool) -> None:
        """Said once, attach_timeout after start: a board that never came is not silence."""
        self._say_read()  # attached without saying so: what was read is not kept back longer
        if self.board.attached or stopping:
            return
        waited = f"{self.config.board.attach_timeout.total_seconds():g} s"
        missing = [
            str(channel.index)
            for channel in self.config.channels
            if not self.board.channel_attached(channel.index)
        ]
        if len(missing) < len(self.config.channels):
            what = f"{self.board.kind} board: relay(s) {', '.join(missing)} not attached"
        else:
            what = f"{self.board.kind} board not attached"
        hint = f"; {self.board.hint}" if self.board.hint else ""
        self._emit(
            ev.BoardEvent(
                ts=self.clock.now(),
                event="missing",
                message=(
                    f"{what} after {waited}: relay commands are kept and applied when it "
                    f"attaches{hint}"
                ),
            )
        )

    def words(self, channel: int, history: dict[int, RelayHistory], now: datetime) -> str | None:
        return self.sync.words(channel, history[channel].powered, now)

    def next_retry(self) -> datetime | None:
        return self.sync.next_retry()

    def _unknown(self, index: int, applied: bool | None, now: datetime) -> None:
        if applied is None or self.sync.drift(index) is not None:
            return  # nothing applied to put back (the decision commands it), or already said
        self.sync.start(index, now).unknown = True
        name = self.config.channel(index).name
        self._emit(
            ev.BoardEvent(
                ts=self.clock.now(),
                event="unknown",
                channel=index,
                message=f"relay {index} ({name}): the board cannot tell its state after the "
                f"attach: commanding it {state_word(applied)} again (counted)",
            )
        )

    def _not_taken(self, index: int, powered: bool, now: datetime) -> None:
        drift = self.sync.failed(index, now)
        if drift.failures == 1:
            self._emit(
                ev.ErrorEvent(
                    ts=self.clock.now(),
                    what="board",
                    channel=index,
                    message=f"relay {index} ({self.config.channel(index).name}): the board did "
                    f"not take the command ({state_word(powered)}); retrying with backoff, each "
                    "attempt counted against 20 switches a minute",
                )
            )

    def _note(self, index: int, what: str) -> None:
        name = self.config.channel(index).name
        self._emit(
            ev.BoardEvent(
                ts=self.clock.now(),
                event="in-step",
                channel=index,
                message=f"relay {index} ({name}): {what}",
            )
        )
