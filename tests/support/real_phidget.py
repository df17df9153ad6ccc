"""Keeping the test suite's hands off a real 1017 (issue 12, item 8).

The suite runs the real Phidget22 library wherever no board is needed. Addressed to "any
serial", those channels would attach to a 1017 plugged into the machine running the tests (the
production controller, say) and switch real loads. So every real channel a test opens is
addressed to ``absent_serial()``, a serial that no attached device has, and the guard installed
by conftest.py fails any test that opens a real channel addressed otherwise.

The one way to run tests on a real board: set ``DELESTAGE_TEST_BOARD_SERIAL`` to its serial
(docs/going-live.md: "Testing on a real board"); only tests that ask for ``board_serial()`` use it.
"""

import contextlib
import os
import threading
from typing import Any

ENV = "DELESTAGE_TEST_BOARD_SERIAL"
_lock = threading.Lock()
_absent: int | None = None


def board_serial() -> int | None:
    """The serial of the real board the user allows the tests to switch, if any."""
    text = os.environ.get(ENV, "").strip()
    return int(text) if text.isdigit() else None


def attached_serials(wait: float = 0.5) -> set[int]:
    """Serials of every Phidget device attached to this machine (the Manager only lists)."""
    from Phidget22.Devices.Manager import Manager

    seen: set[int] = set()
    manager = Manager()
    manager.setOnAttachHandler(lambda _m, channel: seen.add(int(channel.getDeviceSerialNumber())))
    manager.open()
    try:
        threading.Event().wait(wait)
    finally:
        manager.close()
    return seen


def absent_serial() -> int:
    """A serial that no attached device has: real channels addressed to it never attach."""
    global _absent
    with _lock:
        if _absent is None:
            taken = attached_serials()
            _absent = next(serial for serial in range(424242, 10**7) if serial not in taken)
        return _absent


def allowed(serial: int) -> bool:
    return serial == _absent or (serial == board_serial() and serial is not None)


def refuse_unaddressed_channels() -> Any:
    """Patch the real library's DigitalOutput.open/openWaitForAttachment to refuse channels
    that could reach a real board; returns a function undoing it."""
    from Phidget22.Devices.DigitalOutput import DigitalOutput

    originals = {name: getattr(DigitalOutput, name) for name in ("open", "openWaitForAttachment")}

    def guarded(name: str) -> Any:
        original = originals[name]

        def call(self: Any, *args: Any) -> Any:
            serial = int(self.getDeviceSerialNumber())
            if not allowed(serial):
                what = "any serial" if serial == -1 else f"serial {serial}"
                raise AssertionError(
                    f"a test opened a real Phidget22 channel addressed to {what}: it could "
                    "switch a real board; address it to support.real_phidget.absent_serial(), "
                    f"or set {ENV}"
                )
            return original(self, *args)

        return call

    for name in originals:
        setattr(DigitalOutput, name, guarded(name))

    def undo() -> None:
        for name, original in originals.items():
            setattr(DigitalOutput, name, original)

    return undo


def phidget_config_text(serial: int, state_dir: object = None, more: str = "") -> str:
    """A small `delestage.toml` for a 1017 addressed to ``serial`` (channel 0 "no", channel 3
    "nc"), with ``[service] state_dir`` when given and ``more`` TOML appended."""
    service = f'[service]\nstate_dir = "{state_dir}"\n\n' if state_dir is not None else ""
    return f"""\
[ecowatt]
source = "demo"

[board]
kind = "phidget"
serial = {serial}
attach_timeout = "2s"

{service}[[channel]]
index = 0
name = "Chauffe-eau"
shed_at = "orange"

[[channel]]
index = 3
name = "Radiateurs"
wiring = "nc"
shed_at = "red"
{more}"""


# Software-only Dictionary devices: the real library's own open, attach, close and handler
# threads, with no hardware. Local to this process, so they never meet a real board.
_next_dictionary = 5_150_000


def add_dictionaries(count: int) -> list[int]:
    """Serials of ``count`` new Dictionary devices in the real library (remove them after)."""
    from Phidget22.Devices.Dictionary import Dictionary

    global _next_dictionary
    with _lock:
        serials = list(range(_next_dictionary, _next_dictionary + count))
        _next_dictionary += count
    for serial in serials:
        Dictionary._addDictionary(serial, f"delestage-test-{serial}")
    return serials


def remove_dictionaries(serials: list[int]) -> None:
    from Phidget22.Devices.Dictionary import Dictionary
    from Phidget22.PhidgetException import PhidgetException

    for serial in serials:
        with contextlib.suppress(PhidgetException):  # already gone: nothing to clean up
            Dictionary._removeDictionary(serial)


def dictionary_channel(serial: int) -> Any:
    """A real channel on the Dictionary device ``serial`` (not opened)."""
    from Phidget22.Devices.Dictionary import Dictionary

    channel = Dictionary()
    channel.setDeviceSerialNumber(serial)
    return channel
