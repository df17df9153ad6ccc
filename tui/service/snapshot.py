"""What front ends see of the controller: a snapshot, and updates carrying events.

Plain frozen data that crosses the control socket as JSON (``to_dict`` / ``from_dict``), so the
TUI renders the same objects in-process and attached.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from tui.core.events import Event, parse_event
from tui.core.forecast import paris_iso
from tui.core.i18n import _

log = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    return paris_iso(value) if value else None


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _instant(value: object) -> datetime:
    """A time the snapshot always has: a reply without it is not one of ours."""
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO time, got {value!r:.40}")
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class BoardView:
    kind: str  # "phidget" or "simulated"
    attached: bool
    serial: int | None = None
    revision: str | None = None
    failsafe: bool = False
    message: str = ""  # last board problem in words, "" when fine
    # Several boards: the names of those with no relay attached; and, on any board, the
    # channels whose relay is not attached (one relay can be missing while the rest work).
    detached_boards: tuple[str, ...] = ()
    unattached: tuple[int, ...] = ()


@dataclass(frozen=True)
class SlotView:
    start: datetime
    level: int


@dataclass(frozen=True)
class ForecastView:
    source: str  # "rte", "sandbox", "demo", "file"
    slots: tuple[SlotView, ...] = ()
    until: datetime | None = None
    fetched: datetime | None = None
    generated: datetime | None = None
    next_refresh: datetime | None = None
    error: str | None = None  # last refresh failure in words
    covers_now: bool = False  # False: the policy is flying blind (fallback)
    # The next strain starting after now ("red 18:00-20:00 today"), None when none ahead; a
    # strain under way is ``strained_now`` ("orange until 13:00"), ending ``strained_until``.
    next_strained: str | None = None
    next_strained_start: datetime | None = None
    strained_now: str | None = None
    strained_until: datetime | None = None


@dataclass(frozen=True)
class TempoDayView:
    day: str  # the Paris date, "2026-12-01": its colour applies from 06:00 that day
    colour: str | None  # "blue", "white", "red"; None: published without a colour
    source: str | None = None  # who gave the colour: "rte", "tic"...; None: no colour


@dataclass(frozen=True)
class TempoView:
    """The Tempo calendar as the service knows it (present only when [tempo] is configured)."""

    source: str  # "rte", "sandbox", "demo", "file", "tic"
    today: str | None = None  # the colour of the Tempo day in force now; None: unknown
    tomorrow: str | None = None  # None: not published yet
    days: tuple[TempoDayView, ...] = ()
    fetched: datetime | None = None
    next_refresh: datetime | None = None
    error: str | None = None  # last refresh failure in words
    # Who gave today's and tomorrow's colour ("rte", "tic"...; None while it is unknown).
    today_source: str | None = None
    tomorrow_source: str | None = None
    fallback: str | None = None  # [tempo] fallback: "tic", the meter's colours behind source
    fallback_error: str | None = None  # the fallback feed's last failure in words

    def to_status(self) -> dict[str, str | None]:
        """``{"today": ..., "tomorrow": ..., "today_source": ..., "tomorrow_source": ...}``:
        `status --json`'s ``tempo``, MQTT's base/tempo."""
        return {
            "today": self.today,
            "tomorrow": self.tomorrow,
            "today_source": self.today_source,
            "tomorrow_source": self.tomorrow_source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TempoView":
        return cls(
            source=data["source"],
            today=data.get("today"),
            tomorrow=data.get("tomorrow"),
            days=tuple(TempoDayView(**day) for day in data.get("days", ())),
            fetched=_time(data.get("fetched")),
            next_refresh=_time(data.get("next_refresh")),
            error=data.get("error"),
            today_source=data.get("today_source"),
            tomorrow_source=data.get("tomorrow_source"),
            fallback=data.get("fallback"),
            fallback_error=data.get("fallback_error"),
        )


@dataclass(frozen=True)
class MeterView:
    """The power meter and the power rule ([meter]; absent without it)."""

    source: str  # "tic", "demo", "file"
    where: str  # "tic on /dev/ttyACM0"
    state: str  # "waiting", "ok", "stale", "tripped"
    power_va: int | None = None  # the last reading's (still shown when stale, said so)
    limit_va: int | None = None
    trip_in_s: float | None = None  # seconds before the meter would trip; None: it would not
    filter_level: float = 0.0  # the meter's trip filter, as a share of its trip level
    mode: str | None = None  # "historique", "standard"
    cuts: tuple[int, ...] = ()  # channels cut for power
    words: str = ""  # "4.2 / 9 kVA", "meter stale since 14:03 (last 4.2 / 9 kVA)"
    detail: str = ""
    error: str | None = None
    # The last hour's peak power per minute (VA), oldest first, None for a minute without a
    # reading: the timeline's power line.
    recent_va: tuple[int | None, ...] = ()

    def to_status(self) -> dict[str, Any]:
        """`status --json`'s ``meter``."""
        return {
            "power_va": self.power_va,
            "limit_va": self.limit_va,
            "trip_in_s": self.trip_in_s,
            "state": self.state,
            "source": self.source,
            "cuts": list(self.cuts),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MeterView":
        return cls(
            **{
                **data,
                "cuts": tuple(data.get("cuts", ())),
                "recent_va": tuple(data.get("recent_va", ())),
            }
        )


@dataclass(frozen=True)
class ChangeView:
    at: datetime
    powered: bool
    reason: str
    order: str | None = None  # a pilot-wire channel's order after the change


@dataclass(frozen=True)
class ChannelView:
    index: int
    name: str
    wiring: str
    powered: bool | None  # the appliance's actual state; None while the board is detached
    wanted: bool  # what the rules want
    mode: str  # "auto" or "forced"
    until: datetime | None  # override expiry (None: automatic, or forced until released)
    rule: str
    reason: str
    waiting: str | None = None
    latched: bool = False
    next_change: ChangeView | None = None
    forced_powered: bool | None = None  # the override's direction (None: automatic)
    latch_holds: bool = False  # cut by the latch itself, not by a shed in force
    # The board reports the relay elsewhere than the controller put it, in words; None: in step.
    mismatch: str | None = None
    power_w: float | None = None  # the channel's configured `power`, in watts; None: not given
    board: str = ""  # several boards: the name of the one the relay is on ("" for one board)
    relay: int | None = None  # several boards: the relay on that board (None for one board)
    # A pilot channel's order on its two relays ("confort", "eco", "hors-gel", "arret"; None:
    # not a pilot channel, or its relays not attached): core/pilot.py.
    order: str | None = None
    # The order an operator named for it (``force CH eco``: "eco"); None: no override, or a
    # plain on/off. The grid's Mode then says FORCED and the State the order (not FORCED CUT).
    forced_order: str | None = None
    # The orders an operator may name for it (a pilot wire's, a heat pump's: PilotConfig.named);
    # () for a plain channel.
    orders: tuple[str, ...] = ()
    # Its power as the meter saw it switch ([meter]: the median of its last steps); None: not yet.
    measured_power_w: int | None = None


@dataclass(frozen=True)
class MqttView:
    """The MQTT bridge as its front end reports it (present only when [mqtt] is configured)."""

    state: str  # "connecting", "connected" or "disconnected"
    url: str
    message: str = ""  # why it is not connected, in words ("" when connected)
    since: datetime | None = None

    def describe(self) -> str:
        """``connected to mqtt://host:1883`` / ``DISCONNECTED from ...: why``, for people."""
        if self.state == "connected":
            return _("connected to {url}").format(url=self.url)
        if self.state == "connecting":
            return _("connecting to {url}").format(url=self.url)
        return _("DISCONNECTED from {url}: {why}").format(url=self.url, why=self.message)

    def to_status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "url": self.url,
            "message": self.message,
            "since": _iso(self.since),
        }


@dataclass(frozen=True)
class Snapshot:
    mode: str  # "demo", "sandbox", "live", "file"
    pid: int
    now: datetime
    level: int | None
    board: BoardView
    forecast: ForecastView
    channels: tuple[ChannelView, ...]
    state_dir: str = ""
    next_due: datetime | None = None
    tempo: TempoView | None = None  # None: Tempo is off (no [tempo])
    mqtt: MqttView | None = None
    meter: MeterView | None = None  # None: no [meter]

    def channel(self, index: int) -> ChannelView:
        for channel in self.channels:
            if channel.index == index:
                return channel
        raise KeyError(index)

    def to_dict(self) -> dict[str, Any]:
        encoded: dict[str, Any] = _encode(asdict(self))
        return encoded

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Snapshot":
        forecast = dict(data["forecast"])
        forecast["slots"] = tuple(
            SlotView(start=_instant(slot["start"]), level=slot["level"])
            for slot in forecast.get("slots", ())
        )
        for key in (
            "until",
            "fetched",
            "generated",
            "next_refresh",
            "next_strained_start",
            "strained_until",
        ):
            forecast[key] = _time(forecast.get(key))
        channels = []
        for raw in data["channels"]:
            channel = dict(raw)
            channel["until"] = _time(channel.get("until"))
            channel["orders"] = tuple(channel.get("orders", ()))
            change = channel.get("next_change")
            channel["next_change"] = (
                ChangeView(
                    _instant(change["at"]), change["powered"], change["reason"], change.get("order")
                )
                if change
                else None
            )
            channels.append(ChannelView(**channel))
        return cls(
            mode=data["mode"],
            pid=data["pid"],
            now=_instant(data["now"]),
            level=data["level"],
            board=_board_view(data["board"]),
            forecast=ForecastView(**forecast),
            channels=tuple(channels),
            state_dir=data.get("state_dir", ""),
            next_due=_time(data.get("next_due")),
            tempo=TempoView.from_dict(data["tempo"]) if data.get("tempo") else None,
            mqtt=_mqtt_view(data.get("mqtt")),
            meter=MeterView.from_dict(data["meter"]) if data.get("meter") else None,
        )

    def to_status(self) -> dict[str, Any]:
        """The `delestage status --json` contract of DESIGN.md (with "tempo" and "mqtt" when
        configured)."""
        status: dict[str, Any] = {
            "mode": self.mode,
            "pid": self.pid,
            "level": self.level,
            "board": {"kind": self.board.kind, "attached": self.board.attached},
            "forecast": {
                "source": self.forecast.source,
                "until": _iso(self.forecast.until),
                "fetched": _iso(self.forecast.fetched),
                "strain": {
                    "now": self.forecast.strained_now,
                    "until": _iso(self.forecast.strained_until),
                    "next": self.forecast.next_strained,
                    "next_start": _iso(self.forecast.next_strained_start),
                },
            },
            "channels": [
                {
                    "index": channel.index,
                    "name": channel.name,
                    "powered": channel.powered,
                    "mode": channel.mode,
                    "until": _iso(channel.until),
                    "reason": channel.reason,
                    "forced_powered": channel.forced_powered,
                    "waiting": channel.waiting,
                    "latched": channel.latched,
                    "mismatch": channel.mismatch,
                    "next": _change_status(channel.next_change),
                    "power_w": channel.power_w,
                    **({"order": channel.order} if channel.order is not None else {}),
                    **(
                        {"forced_order": channel.forced_order}
                        if channel.forced_order is not None
                        else {}
                    ),
                    **(
                        {"measured_power_w": channel.measured_power_w}
                        if self.meter is not None
                        else {}
                    ),
                }
                for channel in self.channels
            ],
        }
        if any(channel.board for channel in self.channels):  # several boards
            status["board"]["detached_boards"] = list(self.board.detached_boards)
            status["board"]["unattached"] = list(self.board.unattached)
            for entry, channel in zip(status["channels"], self.channels, strict=True):
                entry["board"] = channel.board
                entry["relay"] = channel.relay
        if self.tempo is not None:
            status["tempo"] = self.tempo.to_status()
        if self.mqtt is not None:
            status["mqtt"] = self.mqtt.to_status()
        if self.meter is not None:
            status["meter"] = self.meter.to_status()
        return status


def _change_status(change: ChangeView | None) -> dict[str, Any] | None:
    """A channel's next planned change in `status --json`: the text's ``[next: ON at 23:00]``."""
    if change is None:
        return None
    status = {"at": paris_iso(change.at), "powered": change.powered, "reason": change.reason}
    return status | ({"order": change.order} if change.order is not None else {})


def _mqtt_view(data: object) -> MqttView | None:
    if not isinstance(data, dict):
        return None
    return MqttView(**{**data, "since": _time(data.get("since"))})


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return paris_iso(value)
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


@dataclass(frozen=True)
class Update:
    """Pushed to subscribers whenever something changed: the event (if any) and the new state."""

    snapshot: Snapshot
    events: tuple[Event, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot.to_dict(),
            "events": [event.to_dict() for event in self.events],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Update":
        """An update as the control socket carries it, its events typed on arrival (one a peer
        sent damaged is left out: there is nothing to show of it)."""
        events = []
        for item in data.get("events", ()):
            try:
                events.append(parse_event(item))
            except ValueError as error:
                log.warning("event left out of an update: %s", error)
        return cls(Snapshot.from_dict(data["snapshot"]), tuple(events))


def _board_view(data: dict[str, Any]) -> BoardView:
    """The board part of a snapshot read back from JSON (its lists as tuples again)."""
    fixed: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value for key, value in data.items()
    }
    return BoardView(**fixed)
