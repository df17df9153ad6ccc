"""A Tempo day whose end_date carries the start's offset on a daylight-saving day (issue 21,
item 5), through the service: the calendar is kept, the day repaired; a day that cannot be
repaired is refused alone, and the event log says so in one line."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

from support.service import config_document, make_controller, running, steady_forecast

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.core.config import config_from_dict
from tui.core.forecast import PARIS
from tui.core.tempo import Colour


def _value(day: str, end: str, colour: str) -> dict[str, str]:
    return {
        "start_date": f"{day}T00:00:00+01:00",
        "end_date": end,
        "value": colour,
        "updated_date": "2024-03-29T10:20:00+01:00",
    }


def _controller(tmp_path: Path, values: list[dict[str, str]]) -> object:
    tempo = tmp_path / "tempo.json"
    tempo.write_text(json.dumps({"tempo_like_calendars": {"values": values}}))
    document = config_document(tmp_path / "state")
    document["ecowatt"] = steady_forecast(tmp_path)  # green December days: Ecowatt cuts nothing
    document["tempo"] = {"source": "file", "file": str(tempo)}
    document["channel"][0]["shed_tempo"] = ["red"]
    return config_from_dict(document, path="test.toml")


NOW = datetime(2024, 3, 31, 12, tzinfo=PARIS).astimezone(UTC)


async def test_the_start_offset_on_the_spring_day_is_repaired(tmp_path: Path) -> None:
    config = _controller(
        tmp_path,
        [
            _value("2024-03-31", "2024-04-01T00:00:00+01:00", "RED"),  # the start's offset
            _value("2024-03-30", "2024-03-31T00:00:00+01:00", "WHITE"),
        ],
    )
    controller, _ = make_controller(config, ManualClock(NOW))  # type: ignore[arg-type]
    async with running(controller):
        await controller.settle()
        assert controller.tempo is not None
        assert controller.tempo.colour(date(2024, 3, 31)) is Colour.RED
        snapshot = await controller.snapshot()
    assert snapshot.channel(0).reason == "Tempo red, peak 06:00-22:00"
    messages = [e.to_dict().get("message", "") for e in read_events(tmp_path / "state")]
    assert not [m for m in messages if "refused" in m]


async def test_a_day_that_cannot_be_repaired_is_refused_alone_and_said(tmp_path: Path) -> None:
    config = _controller(
        tmp_path,
        [
            _value("2024-03-31", "2024-04-02T00:00:00+02:00", "RED"),  # two days: refused
            _value("2024-03-30", "2024-03-31T00:00:00+01:00", "WHITE"),
        ],
    )
    controller, _ = make_controller(config, ManualClock(NOW))  # type: ignore[arg-type]
    async with running(controller):
        await controller.settle()
        calendar = controller.tempo
        assert calendar is not None
        assert calendar.colour(date(2024, 3, 30)) is Colour.WHITE  # the calendar stands
        assert calendar.colour(date(2024, 3, 31)) is None  # unknown: cuts nothing
        snapshot = await controller.snapshot()
    assert not snapshot.channel(0).reason.startswith("Tempo")
    loaded = [
        e.to_dict()["message"]
        for e in read_events(tmp_path / "state")
        if e.to_dict().get("what") == "tempo" and e.to_dict()["kind"] == "forecast"
    ]
    assert len(loaded) == 1 and "\n" not in loaded[0]
    assert "; 1 day refused (tempo_like_calendars.values[0].end_date: expected" in loaded[0]
    assert "that day is left unknown" in loaded[0]
