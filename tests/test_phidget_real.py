"""The Phidget paths with the real Phidget22 library and no board attached (as in CI).

The native library loads wherever libusb-1.0 is installed (`.ci/run` installs it); these tests
are never skipped. Every channel they open is addressed to ``absent_serial()``, a serial no
attached device has, so that running the suite on the production controller never switches its
loads (the conftest.py guard fails any test that opens a real channel addressed otherwise).
"""

import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.real_phidget import absent_serial, phidget_config_text

from tui.adapters.boards.base import BoardEvent, BoardLibraryMissing
from tui.adapters.boards.factory import make_board
from tui.adapters.boards.phidget import PhidgetBoard
from tui.adapters.boards.phidget_lib import load_phidget22
from tui.core.config import BoardConfig, BoardKind, ChannelConfig, Config, OnExit, ShedAt
from tui.frontends.boards_cmd import check_board_line, find_single_serial, run_boards
from tui.frontends.cli import main

pytestmark = pytest.mark.phidget_lib

MORE_CHANNELS = """
[[channel]]
index = 5
name = "Sèche-linge"
shed_at = "orange"

[[channel]]
index = 7
name = "Sauna"
shed_at = "orange"
"""


def phidget_config(**board: object) -> Config:
    return Config(
        channels=(
            ChannelConfig(index=0, name="a", shed_at=ShedAt.RED),
            ChannelConfig(index=5, name="b", shed_at=ShedAt.RED),
        ),
        board=BoardConfig(kind=BoardKind.PHIDGET, serial=absent_serial(), **board),  # type: ignore[arg-type]
    )


def test_the_native_library_loads() -> None:
    api = load_phidget22()
    assert api.DigitalOutput().getIsOpen() is False


def test_check_reports_no_board_within_the_timeout_with_exit_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text(phidget_config_text(absent_serial(), more=MORE_CHANNELS))
    started = time.monotonic()
    status = main(["check", "--config", str(path)])
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert status == 1
    board_line = next(line for line in out.splitlines() if line.startswith("board "))
    assert board_line.startswith(
        f"board     FAIL  Phidget 1017 serial {absent_serial()} not found within 2s: "
    )
    # The four relays are waited for together: one 2 s timeout, not one per relay (8 s). The
    # bound sits halfway, so a busy machine does not make it fail.
    assert 2 <= elapsed < 5


def test_the_long_running_open_stays_open_waiting_for_the_board() -> None:
    board = make_board(phidget_config())
    assert isinstance(board, PhidgetBoard)
    events: list[BoardEvent] = []
    board.set_relay(0, True)
    board.open(events.append)
    board.set_relay(5, False)  # while detached: remembered, no exception
    # Longer than the 1 s an openWaitForAttachment would have waited before closing the channel.
    threading.Event().wait(1.2)
    assert board.open_channels() == [0, 5]
    assert not board.attached
    assert board.relay(0) is None
    assert events == []
    board.close(OnExit.RELEASE)
    assert board.open_channels() == []


def test_boards_says_none_is_attached() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_boards(out, err, wait=0.3) == 1
    assert out.getvalue().startswith("no Phidget relay board attached")
    assert "searching" in err.getvalue()
    # What to check next (issue 21, item 13): lsusb, the udev rule, the troubleshooting page.
    text = out.getvalue()
    assert "what to check:" in text and "`lsusb`" in text
    assert "udev rule" in text and "docs/troubleshooting.md" in text


def test_the_boards_command_runs_from_the_console_script() -> None:
    script = Path(sys.executable).parent / "delestage"
    result = subprocess.run(
        [str(script), "boards"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("no Phidget relay board attached")
    assert "Traceback" not in result.stderr


def test_nothing_but_the_phidget_adapter_loads_phidget22() -> None:
    code = (
        "import sys\n"
        "import tui.frontends.cli, tui.frontends.check, tui.frontends.init\n"
        "import tui.frontends.boards_cmd, tui.adapters.boards.factory\n"
        "from tui.adapters.boards.factory import make_board\n"
        "from tui.core.config import BoardConfig, BoardKind, ChannelConfig, Config, ShedAt\n"
        "make_board(Config(channels=(ChannelConfig(index=0, name='a', shed_at=ShedAt.RED),),\n"
        "                  board=BoardConfig(kind=BoardKind.SIMULATED)))\n"
        "print(sorted(name for name in sys.modules if name.startswith('Phidget22')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_init_leaves_the_serial_out_when_no_board_is_attached() -> None:
    out = io.StringIO()
    assert find_single_serial(out, wait=0.2) is None
    assert "no Phidget relay board attached: board.serial left out" in out.getvalue()


def test_a_simulated_board_needs_no_library_and_checks_ok() -> None:
    config = phidget_config()
    simulated = Config(channels=config.channels, board=BoardConfig(kind=BoardKind.SIMULATED))
    ok, line = check_board_line(simulated)
    assert ok
    assert line.startswith("simulated board")


# --- without libusb ---------------------------------------------------------------------------

NO_LIBUSB = "libusb-1.0.so.0: cannot open shared object file: No such file or directory"


@pytest.fixture
def no_libusb(monkeypatch: pytest.MonkeyPatch) -> None:
    """The native library failing to load, as it does on a machine without libusb-1.0."""
    from Phidget22.Phidget import Phidget

    def fail() -> str:
        raise OSError(NO_LIBUSB)

    monkeypatch.setattr(Phidget, "getLibraryVersion", staticmethod(fail))


@pytest.mark.usefixtures("no_libusb")
def test_a_missing_libusb_is_one_clear_line_naming_the_package_and_udev_rule() -> None:
    with pytest.raises(BoardLibraryMissing) as caught:
        make_board(phidget_config())
    (line,) = caught.value.problems
    assert NO_LIBUSB in line
    assert "libusb-1.0-0" in line
    assert "udev rule" in line


@pytest.mark.usefixtures("no_libusb")
def test_boards_without_libusb_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["boards"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "libusb-1.0-0" in line


@pytest.mark.usefixtures("no_libusb")
def test_check_and_init_without_libusb_say_so_on_their_board_line() -> None:
    ok, line = check_board_line(phidget_config())
    assert not ok
    assert "libusb-1.0-0" in line
    out = io.StringIO()
    assert find_single_serial(out, wait=0) is None
    assert "board serial left out" in out.getvalue()
