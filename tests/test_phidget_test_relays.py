"""`delestage test-relays`, the installer's commissioning command, on the fake 1017."""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.fake_phidget import FakeBoard, FakeUsb
from support.real_phidget import phidget_config_text

from tui.adapters.boards.phidget import PhidgetBoard
from tui.adapters.clock import ManualClock
from tui.adapters.config_file import load_config
from tui.adapters.stores.lock import ServiceLock
from tui.adapters.stores.state import StateStore
from tui.core.policy import RATE_LIMIT, RelayHistory
from tui.frontends.cli import main
from tui.frontends.test_relays_cmd import run_test_relays

# The board adapter on the fake Phidget22, whose exceptions are the real library's.
pytestmark = pytest.mark.phidget_lib

SERIAL = 123456
NOW = datetime(2026, 12, 2, 14, tzinfo=UTC)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "delestage.toml"
    path.write_text(phidget_config_text(SERIAL, state_dir=tmp_path / "state"))
    return path


def run(
    config_path: Path,
    usb: FakeUsb,
    reply: str = "y",
    channels: str | None = None,
    clock: ManualClock | None = None,
) -> tuple[int, str, str, list[float]]:
    config = load_config(config_path)
    board = PhidgetBoard(config.board, [c.index for c in config.channels], api=usb.api())
    out, err = io.StringIO(), io.StringIO()
    waits: list[float] = []
    clock = clock or ManualClock(NOW)

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    status = run_test_relays(
        str(config_path),
        channels,
        False,
        2.0,
        out,
        err,
        answer=lambda _prompt: reply,
        board=board,
        clock=clock,
        sleep=sleep,
    )
    return status, out.getvalue(), err.getvalue(), waits


def test_each_relay_is_switched_confirmed_and_put_back_after_confirmation(
    config_path: Path, usb: FakeUsb
) -> None:
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    status, out, _, waits = run(config_path, usb)
    assert status == 0, out
    assert [call for call in usb.channel(0).log if call[0] == "setState"] == [
        ("setState", True),
        ("setState", False),
    ]
    assert [call for call in usb.channel(3).log if call[0] == "setState"] == [
        ("setState", True),
        ("setState", False),
    ]
    assert hardware.relays == [False] * 8, "every relay put back"
    # What each appliance should do for its wiring, in words.
    assert (
        "relay 0 Chauffe-eau: energised, board's library confirms energised (ok): the appliance "
        "should be POWERED" in out
    )
    assert (
        "relay 3 Radiateurs: energised, board's library confirms energised (ok): the appliance "
        "should be CUT" in out
    )
    assert "no relay board senses its contacts: watch the appliance" in out
    assert "read back" not in out
    assert out.rstrip().endswith(
        "2 relay(s) switched and put back, commanded and confirmed by the board's library"
    )
    assert waits == [2.0, 2.0]  # the hold, per relay
    history = StateStore(config_path.parent / "state").load()[1]
    assert len(history[0].switches) == 2, "the service will count these switches"
    assert history[0].powered is None, "the applied state the service knows is untouched"


def test_nothing_moves_without_confirmation(config_path: Path, usb: FakeUsb) -> None:
    usb.plug(FakeBoard(SERIAL))
    status, out, _, _ = run(config_path, usb, reply="n")
    assert status == 1
    assert "nothing switched" in out
    assert all("setState" not in usb.calls(index) for index in (0, 3))


def test_refused_while_a_service_owns_the_board(config_path: Path, usb: FakeUsb) -> None:
    usb.plug(FakeBoard(SERIAL))
    service = ServiceLock(config_path.parent / "state")
    service.acquire()
    try:
        status, _, err, _ = run(config_path, usb)
    finally:
        service.release()
    assert status == 1
    assert err.startswith("test-relays: refused: another delestage service")
    assert usb.made == [], "the board was not even opened"


def test_the_twenty_a_minute_cap_is_kept_counting_the_services_switches(
    config_path: Path, usb: FakeUsb
) -> None:
    usb.plug(FakeBoard(SERIAL))
    recent = tuple(NOW - timedelta(seconds=50) + timedelta(seconds=i) for i in range(RATE_LIMIT))
    StateStore(config_path.parent / "state").save(
        {}, {0: RelayHistory(powered=False, switches=recent)}
    )
    status, out, _, waits = run(config_path, usb, channels="0")
    assert status == 0, out
    assert waits[0] == pytest.approx(10.0)  # until the oldest of the 20 is a minute old
    assert "waiting 10 s" in out and "20 switches a minute at most" in out
    assert [call[0] for call in usb.channel(0).log].count("setState") == 2


def test_channels_by_index_or_name_and_a_bad_one_is_one_line(
    config_path: Path, usb: FakeUsb, capsys: pytest.CaptureFixture[str]
) -> None:
    usb.plug(FakeBoard(SERIAL))
    status, out, _, _ = run(config_path, usb, channels="radiateurs")
    assert status == 0
    assert "relay 3 Radiateurs" in out and "relay 0 " not in out
    assert main(["test-relays", "--config", str(config_path), "--channels", "9"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "no channel '9'" in line


def test_a_command_the_library_does_not_confirm_fails_the_test_with_exit_status_1(
    config_path: Path, usb: FakeUsb
) -> None:
    """The one fault getState can show: a setState that failed (the library kept the old
    state)."""
    hardware = usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    hardware.failing[3] = [3]  # the first command of relay 3 times out
    status, out, _, _ = run(config_path, usb)
    assert status == 1
    assert "relay 3 Radiateurs: energised, board's library confirms released (MISMATCH)" in out
    assert "1 of 2 relay(s) not confirmed by the board's library as commanded" in out


def test_a_board_that_does_not_attach_is_one_clear_line(config_path: Path, usb: FakeUsb) -> None:
    config_path.write_text(config_path.read_text().replace('"2s"', '"200ms"'))
    status, _, err, _ = run(config_path, usb)
    assert status == 1
    assert "the board did not attach within 0.2 s" in err
