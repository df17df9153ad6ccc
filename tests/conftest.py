"""Suite-wide safety: no test may open a real Phidget board unless explicitly asked to."""

from collections.abc import Iterator

import pytest
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
