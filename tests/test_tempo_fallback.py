"""``[tempo] fallback = "tic"``: RTE's Tempo calendar first, the colours the meter's TIC carries
when RTE has no answer for a day, a disagreement between the two said once, and every colour
saying which source gave it (status, its JSON, the headless log, the TUI's lines)."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from support.fake_rte import TEMPO_PATH, FakeRte
from support.service import config_document, make_controller, running
from support.tic_line import standard_groups

from tui.adapters.clock import ManualClock
from tui.adapters.stores.eventlog import read_events
from tui.core.config import Config, TempoFromMeter, config_from_dict
from tui.core.errors import InputError
from tui.core.events import Event, TempoEvent, parse_event
from tui.core.forecast import PARIS
from tui.core.tempo import Colour, TempoCalendar, TempoDay
from tui.core.tic import Mode, encode_frame
from tui.frontends.app.tempo_text import header_text, legend
from tui.frontends.app.timeline import render_days
from tui.frontends.control_cmds import render_status
from tui.frontends.event_text import event_line
from tui.service.tempo_pair import TempoPair

TODAY = date(2026, 12, 8)  # a Tuesday
TOMORROW = date(2026, 12, 9)
# Standard mode, today red and tomorrow white (STGE bits 24-25 and 26-27).
STGE = (1 << 17) | (3 << 24) | (2 << 26)


def paris(hhmm: str, day: date = TODAY) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def capture(tmp_path: Path) -> Path:
    """A TIC capture as read from the port: standard frames, today red and tomorrow white."""
    path = tmp_path / "linky.raw"
    path.write_bytes(encode_frame(standard_groups(3000, STGE), Mode.STANDARD) * 3)
    return path


def fallback_config(tmp_path: Path, rte_url: str, **tempo: Any) -> Config:
    document = config_document(tmp_path / "state")
    document["tempo"] = {"source": "rte", "base_url": rte_url, "fallback": "tic", **tempo}
    document["channel"][1]["shed_tempo"] = ["red"]
    document["meter"] = {"source": "file", "file": str(capture(tmp_path)), "limit": "9 kVA"}
    return config_from_dict(document, path=str(tmp_path / "delestage.toml"))


def tempo_events(state: Path) -> list[TempoEvent]:
    return [event for event in read_events(state) if isinstance(event, TempoEvent)]


def test_the_configuration_names_the_fallback_and_asks_for_a_tic_meter(tmp_path: Path) -> None:
    config = fallback_config(tmp_path, "http://127.0.0.1:9")
    assert config.tempo is not None and config.tempo.fallback is TempoFromMeter.TIC
    document = config_document(tmp_path / "state")
    with pytest.raises(InputError, match=r'tempo.fallback: "tic" reads the Tempo colours'):
        config_from_dict(document | {"tempo": {"fallback": "tic"}}, path="home.toml")
    meter = {"meter": {"source": "tic", "port": "/dev/ttyACM0"}}
    with pytest.raises(InputError, match=r'home.toml: tempo.fallback: expected "tic"'):
        config_from_dict(document | meter | {"tempo": {"fallback": "rte"}}, path="home.toml")
    with pytest.raises(InputError, match=r'tempo.fallback: "tic" is already the source'):
        config_from_dict(
            document | meter | {"tempo": {"source": "tic", "fallback": "tic"}}, path="home.toml"
        )


async def test_rte_failing_the_meter_fills_in_then_rte_wins_and_the_disagreement_is_said_once(
    tmp_path: Path,
) -> None:
    clock = ManualClock(paris("13:00"))
    with FakeRte(clock=clock.now) as rte:
        # RTE's real error answers: a proxy's HTML 502, and the 500 COMMON_ERROR_T03.
        rte.fail_next_tempo(*["502", "t03"] * 4)
        config = fallback_config(tmp_path, rte.url)
        controller, _board = make_controller(config, clock)
        async with running(controller):
            clock.advance(16 * 60)
            await controller.refresh()  # RTE fails again; the meter's frame has arrived
            assert rte.count(TEMPO_PATH, 502) + rte.count(TEMPO_PATH, 500) >= 2
            snap = await controller.snapshot()
            tempo = snap.tempo
            assert tempo is not None and tempo.source == "rte" and tempo.fallback == "tic"
            assert (tempo.today, tempo.tomorrow) == ("red", "white")
            assert (tempo.today_source, tempo.tomorrow_source) == ("tic", "tic")
            assert snap.to_status()["tempo"] == {
                "today": "red",
                "tomorrow": "white",
                "today_source": "tic",
                "tomorrow_source": "tic",
            }
            assert tempo.error is not None  # RTE's failure stays visible
            text = render_status(snap)
            assert "tempo: rte, meter as fallback, today red (meter), tomorrow white (meter)" in (
                text
            )
            # The policy runs on the meter's colours: the red day's peak hours cut channel 1.
            assert controller.tempo is not None and controller.tempo.colour(TODAY) is Colour.RED
            decision = controller.evaluation.decisions[1]
            assert not decision.wanted and "Tempo red" in decision.reason, decision
            assert tempo_events(tmp_path / "state") == []

            # RTE answers again: today white (the meter says red), tomorrow white (agreed).
            rte.tempo = TempoCalendar(
                (TempoDay(TODAY, Colour.WHITE), TempoDay(TOMORROW, Colour.WHITE))
            )
            while True:  # past the faults still queued, one 16-minute refresh at a time
                clock.advance(16 * 60)
                await controller.refresh()
                snap = await controller.snapshot()
                assert snap.tempo is not None
                if snap.tempo.today_source == "rte":
                    break
            assert (snap.tempo.today, snap.tempo.tomorrow) == ("white", "white")
            assert (snap.tempo.today_source, snap.tempo.tomorrow_source) == ("rte", "rte")
            assert "Tempo" not in controller.evaluation.decisions[1].reason  # RTE's white
            for _ in range(3):  # more frames, more refreshes: said once
                clock.advance(16 * 60)
                await controller.refresh()
            text = render_status(await controller.snapshot())
            assert "today white (RTE), tomorrow white (RTE)" in text

    said = tempo_events(tmp_path / "state")
    assert len(said) == 1
    event = said[0]
    assert (event.event, event.day, event.source, event.colour) == (
        "disagreement",
        "2026-12-08",
        "rte",
        "white",
    )
    assert (event.other_source, event.other_colour) == ("tic", "red")
    assert parse_event(event.to_dict()) == event
    line = event_line(event)
    assert "RTE says white, the meter says red; RTE's colour (white) is used" in line


async def test_no_rte_credentials_with_the_fallback_is_said_and_the_meter_answers(
    tmp_path: Path,
) -> None:
    clock = ManualClock(paris("13:00"))
    config = fallback_config(tmp_path, "http://127.0.0.1:9")
    controller, _board = make_controller(config, clock, environ={"HOME": str(tmp_path)})
    async with running(controller):
        clock.advance(61)
        await controller.refresh()
        snap = await controller.snapshot()
    assert snap.tempo is not None and snap.tempo.today == "red"
    assert snap.tempo.today_source == "tic"
    assert "no Ecowatt credentials" in (snap.tempo.error or "")


def _feed(kind: str, calendar: TempoCalendar | None) -> Any:
    return SimpleNamespace(kind=kind, data=calendar)


def test_a_disagreement_is_said_once_per_day_and_per_pair_of_colours() -> None:
    said: list[Event] = []
    now = paris("13:00")
    rte = _feed("rte", TempoCalendar((TempoDay(TODAY, Colour.WHITE),)))
    tic = _feed("tic", TempoCalendar((TempoDay(TODAY, Colour.RED),)))
    pair = TempoPair(rte, tic, said.append, lambda: now)
    for _ in range(5):
        pair.watch(now)
    assert len(said) == 1
    tic.data = TempoCalendar((TempoDay(TODAY, Colour.WHITE),))  # the meter agrees now
    pair.watch(now)
    tic.data = TempoCalendar((TempoDay(TODAY, Colour.BLUE),))  # a new disagreement
    pair.watch(now)
    pair.watch(now)
    assert [(e.colour, e.other_colour) for e in said if isinstance(e, TempoEvent)] == [
        ("white", "red"),
        ("white", "blue"),
    ]
    calendar = pair.calendar
    assert calendar is not None and calendar.source_of(TODAY) == "rte"
    # Without a fallback there is nothing to compare: RTE's calendar as it is.
    alone = TempoPair(rte, None, said.append, lambda: now)
    alone.watch(now)
    assert alone.calendar is rte.data and len(said) == 2


def test_the_tui_marks_the_meters_colours_and_fits_80_columns(tmp_path: Path) -> None:
    from tui.service.snapshot import ForecastView, SlotView, TempoDayView, TempoView

    tempo = TempoView(
        source="rte",
        today="red",
        tomorrow="white",
        days=(TempoDayView("2026-12-08", "red", "rte"), TempoDayView("2026-12-09", "white", "tic")),
        today_source="rte",
        tomorrow_source="tic",
        fallback="tic",
    )
    assert header_text(tempo).plain == "Tempo red · tomorrow white (meter)"
    assert header_text(tempo, wide=False).plain == "Tempo red, tomorrow white*"
    assert len(legend(tempo)) <= 80 and "* = from the meter" in legend(tempo)
    slots = tuple(SlotView(paris(f"{hour:02d}:00", TOMORROW), 0) for hour in range(24))
    forecast = ForecastView(source="demo", slots=slots)
    rows = render_days(forecast, paris("13:00"), 80, tempo=tempo).plain.splitlines()
    assert all(len(row) <= 80 for row in rows)
    assert any(row.startswith("Wed 09 Dec white*") for row in rows), rows
    assert any(row.startswith("Tue 08 Dec red ") for row in rows), rows
    single = replace(tempo, fallback=None)
    assert header_text(single).plain == "Tempo red · tomorrow white"


def test_plan_names_the_source_of_each_colour_and_what_it_cannot_plan(tmp_path: Path) -> None:
    import io

    from support.service import write_config

    from tui.core.tempo_body import calendar_to_body
    from tui.frontends.plan_cmd import run_plan

    document = config_document(tmp_path / "state")
    document["tempo"] = {"source": "rte", "fallback": "tic"}
    document["meter"] = {"source": "file", "file": str(capture(tmp_path)), "limit": "9 kVA"}
    config_path = write_config(tmp_path / "delestage.toml", document)
    tempo_path = tmp_path / "tempo.json"
    body = calendar_to_body(TempoCalendar((TempoDay(TODAY, Colour.RED),)))
    tempo_path.write_text(json.dumps(body))
    out = io.StringIO()
    status = run_plan(
        str(config_path), None, None, "30", False, out,
        clock=ManualClock(paris("13:00")), tempo_path=str(tempo_path),
    )  # fmt: skip
    assert status == 0
    text = out.getvalue()
    assert "Tempo: Tue 08 red (RTE), Wed 09 not published yet" in text, text
    assert "the service uses the colour the meter carries, read live (not planned here)" in text


def test_home_assistants_tempo_sensors_carry_the_source_as_an_attribute() -> None:
    import jinja2

    from tui.frontends.mqtt.topics import Topics, discovery_configs

    topics = Topics(node_id="maison")
    configs = discovery_configs(topics, [(0, "Chauffe-eau")], tempo=True)
    for day, given in (("today", "tic"), ("tomorrow", None)):
        sensor = configs[f"homeassistant/sensor/maison/tempo_{day}/config"]
        assert sensor["json_attributes_topic"] == topics.tempo
        template = jinja2.Environment().from_string(sensor["json_attributes_template"])
        state = {"today": "red", "tomorrow": None, "today_source": "tic", "tomorrow_source": None}
        assert json.loads(template.render(value_json=state)) == {"source": given}


def test_the_disagreement_and_the_sources_in_french() -> None:
    from tui.compose.language import set_language
    from tui.core.tempo_merge import Disagreement
    from tui.service.snapshot import TempoView
    from tui.service.tempo_pair import disagreement_words

    set_language("fr")
    try:
        item = Disagreement(TODAY, Colour.WHITE, Colour.RED, "rte", "tic")
        words = disagreement_words(item)
        assert "RTE dit blanc, le compteur dit rouge" in words, words
        assert "la couleur de RTE (blanc) est retenue" in words
        tempo = TempoView(
            source="rte", today="red", today_source="tic", fallback="tic", tomorrow=None
        )
        assert header_text(tempo).plain.startswith("Tempo rouge (compteur)")
        assert "* = du compteur" in legend(tempo)
    finally:
        set_language("en")


async def test_the_meters_colours_are_said_when_they_change_not_at_every_look(
    tmp_path: Path,
) -> None:
    from support.meter import ScriptedMeter

    from tui.core.events import TempoForecastEvent

    clock = ManualClock(paris("13:00"))
    meter = ScriptedMeter()
    config = fallback_config(tmp_path, "http://127.0.0.1:9")
    controller, _board = make_controller(config, clock, meter_source=meter)
    async with running(controller):
        for _ in range(5):  # a frame, a minute: the same colours each time
            clock.advance(61)
            meter.put(clock.now(), 1500, tempo_today=Colour.RED, tempo_tomorrow=None)
            await controller.refresh()
        clock.advance(61)
        meter.put(clock.now(), 1500, tempo_today=Colour.RED, tempo_tomorrow=Colour.WHITE)
        await controller.refresh()
    said = [
        event
        for event in read_events(tmp_path / "state")
        if isinstance(event, TempoForecastEvent) and event.source == "tic"
    ]
    assert [(event.today, event.tomorrow) for event in said] == [
        ("red", None),
        ("red", "white"),
    ]


def test_a_stale_frames_colours_stay_on_the_days_it_was_sent() -> None:
    from tui.adapters.tempo.tic import calendar_of
    from tui.core.meter import MeterReading

    yesterday = date(2026, 12, 7)
    reading = MeterReading(
        at=paris("13:00", yesterday), power_va=1, tempo_today=Colour.RED, tempo_tomorrow=None
    )
    calendar = calendar_of(reading, paris("13:00"))
    assert calendar is not None
    assert calendar.colour(yesterday) is Colour.RED
    assert calendar.colour(TODAY) is None  # the frame did not know today's: unknown, not red
