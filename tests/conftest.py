"""Suite-wide safety (no test may open a real Phidget board unless explicitly asked to) and the
fixtures several test modules share. Helpers shared by modules live in tests/support/."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings
from support.fake_phidget import FakeUsb
from support.real_phidget import refuse_unaddressed_channels

if TYPE_CHECKING:
    from support.mosquitto import Mosquitto

_OWN_BASETEMP = "_delestage_basetemp"

# The suite's words are English unless a test asks for French (--lang fr, [ui] language): a
# developer's French locale must not change what the commands print (tui/core/i18n.py).
os.environ["LANGUAGE"] = "en"

# No timed assertion in the suite, Hypothesis's included: its per-example deadline and its
# too-slow health check fail a correct test on a loaded machine (seen: a config round trip at
# 280 ms against a 200 ms deadline while other work ran). Speed is measured by the benchmarks.
# And the same examples on every run (derandomize): a property that fails on one random draw in
# a thousand would otherwise fail CI at random, the way an hour-dependent test does. To look for
# new counterexamples, run with `--hypothesis-profile=explore` (random draws, 1000 where a test
# sets no count of its own) and pin what it finds with @example.
_QUIET = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("delestage", derandomize=True, **_QUIET)
settings.register_profile("explore", max_examples=1000, **_QUIET)
settings.load_profile("delestage")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Short temporary paths: a control socket under ``tmp_path`` must fit in a Unix socket's
    108 bytes, and pytest's own base (``/tmp/pytest-of-USER/pytest-N/``, plus ``popen-gwN/``
    under xdist) leaves little room. Unless ``--basetemp`` is given, this run's base is a fresh
    ``/tmp/dlpt-XXXXXXXX``, unique to the run, removed when the run passes (kept for a look when
    it fails). xdist workers get their ``popen-gwN`` under the controller's base."""
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="dlpt-", dir="/tmp")
        setattr(config, _OWN_BASETEMP, config.option.basetemp)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (addopts): two workers per core. Half of the suite's time is spent waiting
    (service processes starting and stopping, a broker, deliberate client timeouts), so two per
    core keeps the cores busy: 131 s with 2 workers, 108 s with 4 on the 2-core reference
    machine (docs/testing.md)."""
    return 2 * len(os.sched_getaffinity(0))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    own = getattr(session.config, _OWN_BASETEMP, None)
    if own is not None and exitstatus == 0:
        shutil.rmtree(own, ignore_errors=True)


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
    """The fake USB bus of the fake Phidget22 library (tests/support/fake_phidget.py)."""
    usb = FakeUsb()
    yield usb
    usb.stop()


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A state directory with a short path, for tests that open the control socket."""
    from support.tui_harness import short_state_dir  # Textual only for the tests that use it

    yield from short_state_dir()


@pytest.fixture
def broker(tmp_path: Path) -> "Iterator[Mosquitto]":
    """A real Mosquitto, anonymous, on a port of this test's own (tests/support/mosquitto.py)."""
    from support.mosquitto import Mosquitto  # paho only for the tests that use it

    server = Mosquitto(tmp_path / "broker")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def hass_installed() -> None:
    """Home Assistant's own environment (tests/support/home_assistant.py), installed once;
    the test is skipped, with one line, where there is no Python 3.13."""
    from support import home_assistant as ha

    python = ha.find_python()
    if python is None:
        pytest.skip("no Python 3.13 here for Home Assistant")
    ha.install(python)
