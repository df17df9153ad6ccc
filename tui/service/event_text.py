"""Events as the readable lines the headless log and the TUI's event pane show."""

from datetime import datetime
from typing import Any


def _state(powered: object) -> str:
    return "ON" if powered else "CUT"


def event_summary(event: dict[str, Any]) -> str:
    """What happened, in words, without the time: ``Chauffe-eau: CUT (red 08:00-13:00)``."""
    kind = event.get("kind", "?")
    name = event.get("name") or (f"channel {event['channel']}" if "channel" in event else "")
    if kind == "reload" or (kind == "start" and event.get("reload")):
        return f"configuration reloaded from {event.get('config', '?')}"
    if kind == "start":
        return (
            f"delestage started ({event.get('mode', '?')} mode, PID {event.get('pid', '?')}, "
            f"board {event.get('board', '?')}, config {event.get('config', '?')})"
        )
    if kind == "stop":
        return f"delestage stopped (on_exit {event.get('on_exit', '?')})"
    if kind == "relay":
        pending = (
            " [board detached: applied when it attaches]" if event.get("applied") is False else ""
        )
        return f"{name}: {_state(event.get('powered'))} ({event.get('reason', '')}){pending}"
    if kind == "override":
        return f"{name}: {event.get('message', event.get('action', ''))}"
    if kind == "error":
        return f"{event.get('what', 'error')}: {event.get('message', '')}"
    message = str(event.get("message", ""))
    return f"{name}: {message}" if name else message


def event_time(event: dict[str, Any], seconds: bool = True) -> str:
    try:
        stamp = datetime.fromisoformat(str(event.get("ts")))
    except ValueError:
        return "?"
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%H:%M")


def event_line(event: dict[str, Any]) -> str:
    """One headless log line: ``2026-12-01 07:45:00 relay    Chauffe-eau: CUT (red ...)``."""
    return f"{event_time(event)} {event.get('kind', '?'):<8} {event_summary(event)}"
