"""Issue 22: the device table against the real Phidget22 package (no board needed)."""

import io

import pytest

from tui.adapters.boards.phidget_lib import accepted, load_phidget22
from tui.core.config import BoardConfig
from tui.core.devices import DEVICES, MODELS
from tui.frontends.boards_cmd import run_boards, supported_lines

pytestmark = pytest.mark.phidget_lib


def test_every_device_id_is_the_installed_phidget22_constant_of_its_name() -> None:
    load_phidget22()  # the package loads (native library included)
    from Phidget22.DeviceID import DeviceID

    assert {d.model: getattr(DeviceID, d.phidget22_name) for d in DEVICES} == {
        d.model: d.device_id for d in DEVICES
    }


def test_which_device_a_board_configuration_accepts() -> None:
    from Phidget22.DeviceID import DeviceID

    rel1101, relay_1017 = DeviceID.PHIDID_REL1101, DeviceID.PHIDID_1017
    anywhere = BoardConfig()
    assert accepted(anywhere, relay_1017) is MODELS["1017"]
    assert accepted(anywhere, rel1101) is None, "no serial, no model: only a 1017"
    at_serial = BoardConfig(serial=5)
    assert accepted(at_serial, rel1101) is MODELS["REL1101"], "detected by its device ID"
    assert accepted(at_serial, DeviceID.PHIDID_1047) is None, "not a relay board of the table"
    named = BoardConfig(serial=5, model="REL1101")
    assert accepted(named, rel1101) is MODELS["REL1101"]
    assert accepted(named, relay_1017) is None


def test_boards_supported_lists_the_table_then_searches_with_the_real_library() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = run_boards(out, err, wait=0.2, supported=True)
    text = out.getvalue()
    assert text.startswith("\n".join(supported_lines()))
    for device in DEVICES:
        assert f"  {device.model} " in text
    assert "REL1101  16" in text and "no limit" in text and "20/min" in text
    assert status in (0, 1)  # 1: no board on this machine
