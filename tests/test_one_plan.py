"""One plan behind every view (issue 21, item 2): the `h` view's planned cells, the main
screen's Next (the snapshot that `status` and MQTT publish too) and `delestage plan --json` say
the same thing, with Tempo on; and nothing in tui/ plans except through ``plan_ahead``."""

import ast
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from support.service import config_document, make_controller, running, write_config
from support.signals import body, day_entry

from tui.adapters.clock import ManualClock
from tui.compose.files import load_config
from tui.core.forecast import HOUR, PARIS
from tui.core.history import hour_cells
from tui.frontends.app.channels_view import CELL_LOOK, cell_kind
from tui.frontends.app.timeline import day_hours
from tui.frontends.plan_cmd import run_plan
from tui.service.history_view import HistoryView, view_window

TUI = Path(__file__).resolve().parent.parent / "tui"
FIRST = date(2026, 12, 1)
# Ecowatt: green but for an orange evening on the 2nd and a red morning on the 3rd, with
# low-carbon nights; Tempo: blue, then red on the 2nd and white on the 3rd.
LEVELS = {
    0: [0] * 6 + [1] * 18,
    1: [0] * 6 + [1] * 12 + [2] * 2 + [1] * 4,
    2: [0] * 6 + [1] * 3 + [3] * 2 + [2] * 2 + [1] * 11,
    3: [0] * 6 + [1] * 18,
}
TEMPO = {
    "tempo_like_calendars": {
        "start_date": "2026-12-01T00:00:00+01:00",
        "end_date": "2026-12-04T00:00:00+01:00",
        "values": [
            {
                "start_date": f"2026-12-0{day}T00:00:00+01:00",
                "end_date": f"2026-12-0{day + 1}T00:00:00+01:00",
                "value": colour,
                "updated_date": "2026-11-30T10:20:00+01:00",
            }
            for day, colour in ((3, "WHITE"), (2, "RED"), (1, "BLUE"))
        ],
    }
}
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=PARIS).astimezone(UTC)


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    forecast = tmp_path / "signals.json"
    forecast.write_text(
        body(*(day_entry(FIRST + timedelta(days=n), levels) for n, levels in LEVELS.items()))
    )
    tempo = tmp_path / "tempo.json"
    tempo.write_text(json.dumps(TEMPO))
    document = config_document(tmp_path / "state")
    document["ecowatt"] = {"source": "file", "file": str(forecast)}
    document["tempo"] = {"source": "file", "file": str(tempo)}
    shed_tempo = {0: ["red"], 1: ["red"], 2: ["red", "white"]}
    for channel in document["channel"]:
        channel["shed_tempo"] = shed_tempo.get(channel["index"], [])
    return write_config(tmp_path / "delestage.toml", document), forecast, tempo


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def _cells_from_plan(document: dict[str, Any], hours: list[datetime]) -> dict[int, list[str]]:
    """Each channel's cell per hour, worked out from `plan --json` alone: the state of the
    longest stretch between two switches within the hour (a cut wins a tie), as the view
    draws its cells; "?" after the plan's end."""
    start = datetime.fromisoformat(document["from"])
    until = datetime.fromisoformat(document["until"])
    cells: dict[int, list[str]] = {}
    for key, powered in document["initial"].items():
        index = int(key)
        stretches: list[tuple[datetime, datetime, bool]] = []
        moment, state = start, powered
        for change in document["changes"]:
            if change["channel"] != index:
                continue
            at = datetime.fromisoformat(change["at"])
            stretches.append((moment, at, state))
            moment, state = at, change["powered"]
        stretches.append((moment, until, state))
        row = []
        for hour in hours:
            best: tuple[float, bool] | None = None
            for low, high, on in stretches:
                seconds = (min(high, hour + HOUR) - max(low, hour)).total_seconds()
                if seconds <= 0:
                    continue
                if best is None or seconds > best[0] or (seconds == best[0] and not on):
                    best = (seconds, on)
            row.append("?" if best is None else "·" if best[1] else "X")
        cells[index] = row
    return cells


def _cells_from_view(view: HistoryView, index: int, hours: list[datetime]) -> list[str]:
    """The letters the `h` view draws for one channel in these hours (its own cell rule)."""
    (channel,) = [item for item in view.channels if item.index == index]
    cells = hour_cells(channel.segments, [hour.timestamp() for hour in hours])
    return [CELL_LOOK[cell_kind(cell)][0] for cell in cells]


async def test_the_h_view_is_plan_json_cell_for_cell_with_tempo(tmp_path: Path) -> None:
    config_path, forecast_path, tempo_path = _files(tmp_path)
    config = load_config(config_path)
    clock = ManualClock(NOW)
    controller, _ = make_controller(config, clock)
    async with running(controller):
        await controller.settle()
        start, end = view_window(NOW, 0, 2)
        view = await controller.history_view(start, end)
        snapshot = await controller.snapshot()
        out = _Out()
        status = run_plan(
            str(config_path), str(forecast_path), None, None, True, out,
            clock=ManualClock(NOW), tempo_path=str(tempo_path),
        )  # fmt: skip
    assert status == 0
    document = json.loads(out.text)
    assert "live: the state saved" in _plan_text(config_path, forecast_path, tempo_path)

    compared = 0
    for day in (FIRST + timedelta(days=n) for n in (1, 2, 3)):
        hours = [hour for hour in day_hours(day) if hour >= NOW]
        expected = _cells_from_plan(document, hours)
        for channel in config.channels:
            shown = _cells_from_view(view, channel.index, hours)
            assert shown == expected[channel.index], (day, channel.name)
            compared += len(shown)
    assert compared == 4 * (15 + 24 + 24)

    # Tempo is in it: the heater is cut through the red day's peak, in a green afternoon.
    heater = _cells_from_view(view, 0, day_hours(NOW.astimezone(PARIS).date()))
    assert heater[14:22] == ["X"] * 8 and heater[22] == "·"

    # The main screen's Next (status and MQTT read the same snapshot) is the plan's next change.
    for channel in snapshot.channels:
        mine = [c for c in document["changes"] if c["channel"] == channel.index]
        after = [c for c in mine if datetime.fromisoformat(c["at"]) > NOW]
        if not after:
            assert channel.next_change is None, channel.name
            continue
        change = channel.next_change
        assert change is not None, channel.name
        assert (change.at, change.powered, change.reason) == (
            datetime.fromisoformat(after[0]["at"]),
            after[0]["powered"],
            after[0]["reason"],
        )


def _plan_text(config_path: Path, forecast_path: Path, tempo_path: Path) -> str:
    out = _Out()
    run_plan(
        str(config_path), str(forecast_path), None, "1", False, out,
        clock=ManualClock(NOW), tempo_path=str(tempo_path),
    )  # fmt: skip
    return out.text


def test_nothing_in_tui_plans_except_through_plan_ahead() -> None:
    """build_plan is the simulation; every view asks plan_ahead, whose inputs are all required
    (Tempo included), so that no view can leave a rule out."""
    callers = []
    for path in sorted(TUI.rglob("*.py")):
        if path == TUI / "core" / "plan.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = None
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in {"build_plan", "evaluate_plan"}:
                callers.append(f"{path.relative_to(TUI)}:{node.lineno}")
    assert callers == []
    uses = {
        path.relative_to(TUI).as_posix()
        for path in TUI.rglob("*.py")
        if "plan_ahead(" in path.read_text(encoding="utf-8") and path.name != "plan.py"
    }
    assert uses == {
        "frontends/plan_cmd.py",
        "service/history_view.py",
        "service/snapshot_builder.py",
    }
