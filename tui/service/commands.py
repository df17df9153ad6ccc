"""The operator's commands of ``ControllerLink``: force, release, refresh and the history view.

With them, the overrides' life: the ``override`` event each change says, and their expiry.

Moved out of ``controller.py`` as they were: ``Controller`` inherits them from
``OperatorCommands``. Each one changes the overrides or the feeds, then waits for one step of
the loop (``settle``) and answers in words; ``CommandsHost`` names everything of the controller
they use, so what a command may touch is read here.
"""

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from tui.adapters.clock import Clock
from tui.core.config import Config
from tui.core.errors import InputError
from tui.core.events import Event, OverrideEvent
from tui.core.forecast import Forecast
from tui.core.i18n import _
from tui.core.policy import Evaluation, Override, RelayHistory
from tui.core.tempo import TempoCalendar
from tui.service.feed import Feed
from tui.service.history_view import HistoryView, build_view
from tui.service.operator import (
    expiry_words,
    force_answer,
    forced_words,
    override_until,
    released_words,
    unsaved_words,
)
from tui.service.pilot_drive import named_order
from tui.service.saved_state import SavedState


class CommandsHost(Protocol):
    """What the commands use of the controller."""

    config: Config
    clock: Clock
    state_dir: Path
    state: SavedState
    overrides: dict[int, Override]
    history: dict[int, RelayHistory]
    evaluation: Evaluation
    started: asyncio.Event

    @property
    def forecast(self) -> Forecast | None: ...

    @property
    def tempo(self) -> TempoCalendar | None: ...

    def _feeds(self) -> list[Feed[Any]]: ...

    def _event(self, event: Event) -> None: ...

    def _override_event(self, channel: int, action: str, message: str, **fields: Any) -> None: ...

    def _check_channel(self, channel: int) -> None: ...

    async def settle(self) -> None: ...


class OperatorCommands:
    def _override_event(
        self: CommandsHost, channel: int, action: str, message: str, **fields: Any
    ) -> None:
        name = self.config.channel(channel).name
        self._event(
            OverrideEvent(
                ts=self.clock.now(),
                channel=channel,
                name=name,
                action=action,
                message=message,
                **fields,
            )
        )

    def _expire_overrides(self: CommandsHost, now: datetime) -> bool:
        """Overrides past their end removed, each said. Whether there was one."""
        expired = [ch for ch, item in self.overrides.items() if not item.active(now)]
        for channel in expired:
            del self.overrides[channel]
            self._override_event(channel, "expired", "override expired: back to automatic")
        return bool(expired)

    def _check_channel(self: CommandsHost, channel: int) -> None:
        if channel not in self.history:
            known = ", ".join(str(c.index) for c in self.config.channels)
            raise InputError(
                _("channel {channel}: not configured (configured: {known})").format(
                    channel=channel, known=known
                )
            )

    async def force(
        self: CommandsHost,
        channel: int,
        powered: bool,
        *,
        duration: timedelta | None = None,
        until: datetime | None = None,
        order: str | None = None,
    ) -> str:
        await self.started.wait()
        self._check_channel(channel)
        now = self.clock.now()
        until = override_until(now, self.config.policy.override_duration, duration, until)
        # A pilot-wire channel's named order ("eco"): InputError where it does not fit.
        config = self.config.channel(channel)
        powered, order = named_order(config, powered, order)
        self.overrides[channel] = Override(powered=powered, since=now, until=until, order=order)
        name = config.name
        expiry = expiry_words(until, now)
        # A plain cut of a pilot wire or a heat pump sends an order too: its words name it.
        said = order
        if said is None and not powered and config.pilot is not None:
            said = config.pilot.plain_cut.value
        self._override_event(
            channel,
            "force",
            forced_words(powered, expiry, said),
            powered=powered,
            until=until,
        )
        await self.settle()
        # Saved after the step, before the answer: an override is never confirmed unsaved, and
        # the relay moves without waiting for two fsyncs.
        self.state.save()
        decision = self.evaluation.decisions[channel]
        answer = force_answer(name, powered, expiry, decision.waiting, said)
        return answer + unsaved_words(self.state.unsaved)

    async def release(self: CommandsHost, channel: int | None) -> str:
        await self.started.wait()
        channels = list(self.history) if channel is None else [channel]
        for index in channels:
            self._check_channel(index)
        released = []
        for index in channels:
            had = self.overrides.pop(index, None) is not None
            latched = self.history[index].latched
            if latched:
                self.history[index] = replace(self.history[index], latched=False)
            if had or latched:
                released.append(index)
                self._override_event(index, "release", _("released by operator: back to automatic"))
        await self.settle()
        self.state.save()  # after the step, before the answer, as in force
        # A shed still in force cuts (and, with auto_restore off, latches) the channel again
        # at once: say so rather than claim it is back to automatic.
        name = {index: self.config.channel(index).name for index in released}
        return released_words(
            [name[i] for i in released if not self.history[i].latched],
            [
                (name[i], self.evaluation.decisions[i].ends)
                for i in released
                if self.history[i].latched
            ],
            self.clock.now(),
        ) + unsaved_words(self.state.unsaved)

    async def refresh(self: CommandsHost) -> str:
        """Every feed refreshed within its source's limits, said in one message."""
        await self.started.wait()
        answers = [await feed.refresh_now() for feed in self._feeds()]
        await self.settle()
        return "; ".join(answers)

    async def history_view(self: CommandsHost, start: datetime, end: datetime) -> HistoryView:
        """Each channel over [start, end): as recorded before now, as planned after."""
        await self.started.wait()
        return await asyncio.to_thread(
            build_view,
            self.state_dir,
            self.config,
            self.clock.now(),
            start,
            end,
            self.forecast,
            dict(self.overrides),
            dict(self.history),
            self.tempo,
        )
