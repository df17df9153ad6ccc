"""The [meter] section's validation, and the demo house and capture replay sources."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.service import config_document
from support.tic_line import historique_groups, standard_groups

from tui.adapters.clock import ManualClock
from tui.adapters.meter.demo import DemoMeterSource
from tui.adapters.meter.factory import make_meter_source
from tui.adapters.meter.replay import ReplaySource, load_capture
from tui.adapters.meter.tic import TicSource
from tui.core.config import config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.core.meter_config import MeterSource, OnOverrun
from tui.core.tic import Mode, encode_frame, encode_group

T0 = datetime(2026, 12, 1, 18, 45, tzinfo=UTC)


def load(tmp_path: Path, meter: object, **channel: object):
    document = config_document(tmp_path / "state")
    document["meter"] = meter
    document["channel"][0].update(channel)
    return config_from_dict(document, path="test.toml")


def test_the_section_is_off_unless_present_and_reads_every_key(tmp_path: Path) -> None:
    document = config_document(tmp_path / "state")
    assert config_from_dict(document).meter is None
    config = load(
        tmp_path,
        {
            "source": "tic",
            "port": "rfc2217://tic.local:4001",
            "baud": 1200,
            "limit": "12kVA",
            "margin": "20s",
            "restore_after": "10m",
            "restore_test": "2m",
            "stale_after": "15s",
            "stale_hold": "30m",
            "on_overrun": "model",
        },
        shed_power=False,
    )
    meter = config.meter
    assert meter is not None
    assert (meter.source, meter.port, meter.baud, meter.limit) == (
        MeterSource.TIC,
        "rfc2217://tic.local:4001",
        1200,
        12000,
    )
    assert meter.margin == timedelta(seconds=20) and meter.on_overrun is OnOverrun.MODEL
    assert config.channels[0].shed_power is False
    # Written back by `init` and read again, the same.
    assert config_from_dict(config_to_dict(config), path="test.toml") == config


def test_every_bad_key_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load(
            tmp_path,
            {
                "source": "tic",
                "baud": 4800,
                "limit": "9kW",
                "margin": "0s",
                "on_overrun": "panic",
                "prot": "/dev/ttyACM0",
            },
        )
    problems = raised.value.problems
    assert problems == [
        'test.toml: meter.baud: expected "auto", 1200 (historique) or 9600 (standard), got 4800',
        'test.toml: meter.limit: expected an apparent power like "9kVA" or "6000VA" (1 kVA to '
        '36 kVA), got "9kW"',
        'test.toml: meter.margin: expected a duration like "90s", "15m", "2h", "1h30m" or '
        '"500ms" (at most 366d), at least 1s, got "0s"',
        'test.toml: meter.on_overrun: expected one of "cut", "model", got "panic"',
        "test.toml: meter.prot: unknown key (did you mean `port`?)",
        'test.toml: meter.port: expected a serial port ("/dev/ttyACM0") or a pyserial URL '
        '("rfc2217://host:port", "socket://host:port") when source = "tic"',
    ]


def test_mqtt_asks_for_a_topic_and_a_payload_shape(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"meter.topic: expected the topic") as caught:
        load(tmp_path, {"source": "mqtt"})
    assert "meter.preset: expected" in str(caught.value)
    with pytest.raises(InputError, match=r"meter.topic: expected a topic without wildcards"):
        load(tmp_path, {"source": "mqtt", "topic": "tele/#", "preset": "tasmota"})


def test_the_factory_builds_each_source(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    tic = make_meter_source(load(tmp_path, {"source": "tic", "port": "/dev/null9"}), clock)
    assert isinstance(tic, TicSource) and tic.where == "tic on /dev/null9"
    demo = make_meter_source(load(tmp_path, {"source": "demo"}), clock)
    assert isinstance(demo, DemoMeterSource)


def test_the_demo_house_draws_what_the_relays_power(tmp_path: Path) -> None:
    config = load(tmp_path, {"source": "demo", "limit": "9kVA"}, power="7.4kW")
    source = DemoMeterSource(config, clock=ManualClock(T0), stale_after=timedelta(seconds=10))
    source.follow(lambda: {0: False})
    off = source.reading(T0).power_va
    source.follow(lambda: {0: True})
    on = source.reading(T0).power_va
    assert on - off == 7400
    assert source.reading(T0).cutoff_va == 9000


def test_a_raw_capture_and_a_line_capture_replay(tmp_path: Path) -> None:
    raw = tmp_path / "linky.raw"
    raw.write_bytes(b"\x0atrailing" + encode_frame(standard_groups(5000), Mode.STANDARD) * 2)
    lines = tmp_path / "linky.txt"
    lines.write_text(
        "\n".join(encode_group(g, Mode.HISTORIQUE)[1:-1].decode() for g in historique_groups())
    )
    assert len(load_capture(raw)) == 2 and len(load_capture(lines)) == 1
    (tmp_path / "empty.txt").write_text("nothing here\n")
    with pytest.raises(InputError, match="no TIC frame with a power"):
        load_capture(tmp_path / "empty.txt")
    with pytest.raises(InputError, match="cannot read the TIC capture"):
        load_capture(tmp_path / "missing.raw")


async def test_the_replay_runs_on_the_service_clock(tmp_path: Path) -> None:
    raw = tmp_path / "linky.raw"
    raw.write_bytes(
        encode_frame(standard_groups(5000), Mode.STANDARD)
        + encode_frame(standard_groups(6000), Mode.STANDARD)
    )
    clock = ManualClock(T0, auto_advance=True)
    source = ReplaySource(raw, clock=clock, stale_after=timedelta(seconds=10))
    seen: list[int] = []
    done = asyncio.Event()

    def notify() -> None:
        latest = source.latest
        assert latest is not None
        seen.append(latest.power_va)
        if len(seen) == 5:
            done.set()

    source.start(notify)
    await asyncio.wait_for(done.wait(), 5)
    await source.aclose()
    assert seen[:5] == [5000, 6000, 5000, 6000, 5000]
    assert clock.now() - T0 >= timedelta(seconds=4)


def test_a_capture_too_large_is_refused_in_one_line(tmp_path: Path, monkeypatch) -> None:
    from tui.adapters.meter import replay

    monkeypatch.setattr(replay, "MAX_CAPTURE", 100)
    big = tmp_path / "big.raw"
    big.write_bytes(encode_frame(standard_groups(5000), Mode.STANDARD) * 3)
    with pytest.raises(InputError, match="larger than"):
        load_capture(big)
