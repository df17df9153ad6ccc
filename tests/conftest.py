"""Suite-wide safety (no test may open a real Phidget board unless explicitly asked to) and the
fixtures several test modules share."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_phidget import FakeUsb
from real_phidget import refuse_unaddressed_channels


@pytest.fixture(autouse=True, scope="session")
def _no_real_board_by_accident() -> Iterator[None]:
    try:
        undo = refuse_unaddressed_channels()
    except (ImportError, OSError):  # no Phidget22 or its native library: nothing to guard
        yield
        return
    yield
    undo()


@pytest.fixture
def usb() -> Iterator[FakeUsb]:
    """The fake USB bus of the fake Phidget22 library (tests/fake_phidget.py)."""
    usb = FakeUsb()
    yield usb
    usb.stop()


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A state directory with a short path, for tests that open the control socket."""
    from test_tui_harness import short_state_dir  # Textual only for the tests that use it

    yield from short_state_dir()
