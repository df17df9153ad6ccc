"""``[tempo] source = "tic"``: the Tempo colours the meter's frames carry (STGE bits 24-27 in
standard mode, PTEC and DEMAIN in historique), as the service's Tempo calendar."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.meter import ScriptedMeter
from support.service import config_document, make_config, make_controller, running

from tui.adapters.clock import ManualClock
from tui.adapters.tempo.tic import MeterTempoSource, calendar_of
from tui.core.config import TempoConfig, TempoFromMeter, config_from_dict
from tui.core.errors import InputError
from tui.core.meter import MeterReading, reading_from_frame
from tui.core.meter_config import MeterConfig
from tui.core.tempo import Colour
from tui.core.tic import Frame, Group, Mode

T0 = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def _frame(mode: Mode, **data: str) -> Frame:
    return Frame({label: Group(label, value) for label, value in data.items()}, mode)


def test_standard_mode_reads_stge_bits_24_to_27() -> None:
    stge = (1 << 17) | (3 << 24) | (2 << 26)  # today red, tomorrow white
    reading = reading_from_frame(_frame(Mode.STANDARD, SINSTS="01200", STGE=f"{stge:08X}"), T0)
    assert reading is not None
    assert (reading.tempo_today, reading.tempo_tomorrow) == (Colour.RED, Colour.WHITE)
    plain = reading_from_frame(_frame(Mode.STANDARD, SINSTS="01200", STGE="00020000"), T0)
    assert plain is not None and (plain.tempo_today, plain.tempo_tomorrow) == (None, None)


@pytest.mark.parametrize(
    ("ptec", "demain", "today", "tomorrow"),
    [
        ("HPJR", "BLAN", Colour.RED, Colour.WHITE),
        ("HCJB", "ROUG", Colour.BLUE, Colour.RED),
        ("HPJW", "----", Colour.WHITE, None),  # tomorrow not known yet
        ("TH..", None, None, None),  # not a Tempo contract
    ],
)
def test_historique_reads_ptec_and_demain(
    ptec: str, demain: str | None, today: Colour | None, tomorrow: Colour | None
) -> None:
    groups = {"PAPP": "01200", "PTEC": ptec} | ({"DEMAIN": demain} if demain else {})
    reading = reading_from_frame(_frame(Mode.HISTORIQUE, **groups), T0)
    assert reading is not None and (reading.tempo_today, reading.tempo_tomorrow) == (
        today,
        tomorrow,
    )


def test_the_configuration_asks_for_a_tic_meter(tmp_path: Path) -> None:
    document = config_document(tmp_path) | {"tempo": {"source": "tic"}}
    with pytest.raises(InputError, match=r'tempo.source: "tic" reads the Tempo colours'):
        config_from_dict(document, path="home.toml")
    with pytest.raises(InputError, match=r'tempo.source: "tic" reads the Tempo colours'):
        config_from_dict(document | {"meter": {"source": "demo"}}, path="home.toml")
    config = config_from_dict(
        document | {"meter": {"source": "tic", "port": "/dev/ttyACM0"}}, path="home.toml"
    )
    assert config.tempo is not None and config.tempo.source is TempoFromMeter.TIC
    with pytest.raises(InputError, match=r"ecowatt.source: expected one of"):
        bad = config_document(tmp_path)
        bad["ecowatt"] = {**bad.get("ecowatt", {}), "source": "tic"}
        config_from_dict(bad, path="home.toml")


async def test_the_source_gives_two_days_or_says_why_not() -> None:
    meter = ScriptedMeter()
    source = MeterTempoSource(meter)
    assert (await source.refresh(T0)).error is not None  # no frame yet
    meter.put(T0, 1200)
    result = await source.refresh(T0)
    assert result.data is None and "no Tempo colour" in (result.error or "")
    meter.put(T0, 1200, tempo_today=Colour.RED)
    calendar = (await source.refresh(T0)).data
    assert calendar is not None and calendar.today_tomorrow(T0) == (Colour.RED, None)
    reading = MeterReading(at=T0, power_va=1, tempo_tomorrow=Colour.WHITE)
    assert calendar_of(reading, T0) is not None


async def test_the_service_takes_its_tempo_colours_from_the_meter(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    meter = ScriptedMeter()
    config = make_config(tmp_path / "state")
    config = replace(
        config,
        meter=MeterConfig(port="/dev/ttyACM0", limit=9000),
        tempo=TempoConfig(source=TempoFromMeter.TIC),
    )
    controller, _board = make_controller(config, clock, meter_source=meter)
    async with running(controller):
        meter.put(clock.now(), 1500, tempo_today=Colour.WHITE, tempo_tomorrow=Colour.RED)
        for _ in range(70):
            clock.advance(1)
            meter.put(clock.now(), 1500, tempo_today=Colour.WHITE, tempo_tomorrow=Colour.RED)
            await controller.settle()
        snap = await controller.snapshot()
        assert snap.tempo is not None
        assert (snap.tempo.today, snap.tempo.tomorrow) == ("white", "red")
        assert snap.to_status()["tempo"]["today"] == "white"
