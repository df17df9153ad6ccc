"""Events as the readable lines the headless log and the TUI's event pane show."""

from tui.core.events import (
    BoardEvent,
    ErrorEvent,
    Event,
    ForecastEvent,
    MeterEvent,
    OverrideEvent,
    RelayEvent,
    ReloadEvent,
    StartEvent,
    StopEvent,
    TempoEvent,
    TempoForecastEvent,
    UnknownEvent,
    channel_of,
)
from tui.core.forecast import PARIS
from tui.core.i18n import _
from tui.frontends.words import order_word


def _state(powered: object) -> str:
    return _("ON") if powered else _("CUT")


def _or(value: object, missing: str = "?") -> str:
    return missing if value is None else str(value)


def _name(event: Event) -> str:
    """The channel's name, or ``channel 3`` when the event names none, or nothing."""
    if isinstance(event, RelayEvent | OverrideEvent) and event.name:
        return event.name
    if isinstance(event, UnknownEvent):
        named = event.extra.get("name")
        channel = event.extra.get("channel")
        if named:
            return str(named)
        return _("channel {index}").format(index=channel) if "channel" in event.extra else ""
    channel = channel_of(event)
    return _("channel {index}").format(index=channel) if channel is not None else ""


def event_summary(event: Event) -> str:
    """What happened, in words, without the time: ``Chauffe-eau: CUT (red 08:00-13:00)``."""
    name = _name(event)
    match event:
        case ReloadEvent():
            return _("configuration reloaded from {path}").format(path=_or(event.config))
        case StartEvent():
            return _(
                "delestage started ({mode} mode, PID {pid}, board {board}, config {path})"
            ).format(
                mode=_or(event.mode),
                pid=_or(event.pid),
                board=_or(event.board),
                path=_or(event.config),
            )
        case StopEvent():
            relays = f": {event.relays}" if event.relays else ""
            return _("delestage stopped (on_exit {on_exit}){relays}").format(
                on_exit=_or(event.on_exit), relays=relays
            )
        case RelayEvent():
            pending = (
                _(" [board detached: applied when it attaches]") if event.applied is False else ""
            )
            # A pilot channel's relays drive an order: "CUT" would hide Éco from Hors-gel.
            state = order_word(event.order) if event.order else _state(event.powered)
            return f"{name}: {state} ({_or(event.reason, '')}){pending}"
        case OverrideEvent():
            return f"{name}: {event.message if event.message is not None else event.action}"
        case ErrorEvent():
            return f"{event.what}: {event.message}"
        case ForecastEvent() | TempoForecastEvent() | BoardEvent() | MeterEvent() | TempoEvent():
            message = _or(event.message, "")
        case UnknownEvent():
            message = str(event.extra.get("message", ""))
    return f"{name}: {message}" if name else message


def event_time(event: Event, seconds: bool = True) -> str:
    return event.ts.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%H:%M")


def event_line(event: Event) -> str:
    """One headless log line: ``2026-12-01 07:45:00 relay    Chauffe-eau: CUT (red ...)``."""
    return f"{event_time(event)} {event.kind:<8} {event_summary(event)}"
