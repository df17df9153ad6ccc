"""Phidget22, the library: loading it, its codes, and what the board and discovery share.

Phidget22 is imported in one place, ``load_phidget22``, so that the rest of the program never
loads it (``delestage --help``, the simulated board and the tests' fakes do not): the board
(``phidget``) and discovery (``phidget_discovery``) take a ``PhidgetApi``, which tests fill
with fakes. The codes are plain ints, so this module loads without Phidget22.

- The revision is not in the SKU ("1017" for all): a 1017_2 is told by ``getMaxFailsafeTime``
  (code 20 before it) or ``getDeviceVersion() >= 200`` (``identify``).
- Channel persistence (needed by on_exit = "keep" and by `check`) came with libphidget22 1.23:
  an older native library is refused at load, not met as an "undefined symbol" mid-run.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.adapters.boards.base import BoardLibraryMissing
from tui.core.config import BoardConfig
from tui.core.devices import DEFAULT_MODEL, MODELS, Device, device_by_id
from tui.core.i18n import N_, _

# Phidget22's ErrorCode and ErrorEventCode values, as plain ints so this module loads without it.
TIMED_OUT = 3
UNSUPPORTED = 20
UNKNOWN_VALUE = 51
NOT_ATTACHED = 52
FAILSAFE_TRIPPED = 59
EVENT_BUSY = 2
EVENT_ERROR_ENDED = 4096
EVENT_FAILSAFE = 4108
# DeviceID.PHIDID_1017, ChannelClass.PHIDCHCLASS_DIGITALOUTPUT, DeviceClass.PHIDCLASS_VINT
PHIDID_1017 = 12
DIGITAL_OUTPUT = 6
VINT_DEVICE = 21
FAILSAFE_VERSION = 200  # getDeviceVersion() of a 1017_2 and later
REVISION_FAILSAFE = "1017_2"
REVISION_OLD = "1017_0/1017_1"
# Channel persistence (needed by on_exit = "keep" and by `check`) came with libphidget22 1.23.
MIN_LIBRARY = (1, 23)

LIBUSB_HELP = N_(
    "install the Debian package libusb-1.0-0 (sudo apt-get install libusb-1.0-0) and, to use "
    'the board as a normal user, Phidgets\' udev rule for vendor 06c2 (README: "Troubleshooting"); '
    'or set [board] kind = "simulated"'
)
LIBPHIDGET22_HELP = N_(
    "the system library libphidget22 is not installed; pip installs Phidget22 without its "
    "native library on this machine (Raspberry Pi and other ARM boards): install libphidget22 "
    'from Phidgets\' Debian repository (README: "Raspberry Pi"); or set [board] kind = "simulated"'
)
BUSY_HELP = (
    "board busy: another process has this Phidget board open, and only one process can own a USB "
    "board; stop it: another delestage service, the Phidget Network Server "
    "(phidget22networkserver, which opens every local board for its clients) or the Phidget "
    "Control Panel; or run `delestage` to attach to the running service"
)
# Without permission on the USB device the library skips it silently: no error, no attach.
UDEV_HINT = N_(
    "as a normal user a board stays invisible without Phidgets' udev rule (docs/troubleshooting.md)"
)


@dataclass(frozen=True)
class PhidgetApi:
    """The parts of Phidget22 the board and discovery use; tests pass fakes that mirror them."""

    DigitalOutput: Callable[[], Any]
    Manager: Callable[[], Any]
    PhidgetException: type[Exception]


def library_version(text: str) -> tuple[int, int] | None:
    """``(1, 26)`` from "Phidget22 - Version 1.26 - Built Aug 21 2026"; None if unreadable."""
    match = re.search(r"Version (\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None


def _too_old(found: str) -> BoardLibraryMissing:
    needed = ".".join(str(part) for part in MIN_LIBRARY)
    return BoardLibraryMissing(
        _(
            "libphidget22 {found} is too old: delestage needs libphidget22 {needed} or newer "
            "(channel persistence); upgrade it from Phidgets' Debian repository (sudo apt-get "
            'install --only-upgrade libphidget22, README: "Raspberry Pi")'
        ).format(found=found, needed=needed)
    )


def _cannot_load(error: OSError) -> BoardLibraryMissing:
    text = str(error)
    help_text = LIBPHIDGET22_HELP if "libphidget22" in text else LIBUSB_HELP
    return BoardLibraryMissing(
        _("the Phidget22 native library cannot load ({error}): {help}").format(
            error=text, help=_(help_text)
        )
    )


def load_phidget22() -> PhidgetApi:
    """Import Phidget22 and load its native library, or raise BoardLibraryMissing in one line.

    Also refuses a native library older than MIN_LIBRARY, which has no channel persistence:
    Phidget22 would raise a ctypes AttributeError ("undefined symbol") in the middle of a run.
    """
    try:
        from Phidget22._phidget_support import PhidgetSupport
        from Phidget22.Devices.DigitalOutput import DigitalOutput
        from Phidget22.Devices.Manager import Manager
        from Phidget22.Phidget import Phidget
        from Phidget22.PhidgetException import PhidgetException

        # Importing loads nothing native; the first call does, and fails without the library.
        version_text = str(Phidget.getLibraryVersion())
        native = PhidgetSupport.getDll()  # type: ignore[no-untyped-call]  # unannotated in Phidget22
    except ImportError as error:
        raise BoardLibraryMissing(
            _("the Phidget22 Python package is missing ({error}): pip install phidget22").format(
                error=error
            )
        ) from None
    except OSError as error:
        raise _cannot_load(error) from None
    version = library_version(version_text)
    if version is not None and version < MIN_LIBRARY:
        raise _too_old(f"{version[0]}.{version[1]}")
    try:
        native.Phidget_setChannelPersistence  # noqa: B018 - the lookup is the check
    except AttributeError:
        raise _too_old(version_text.strip() or _("(unknown version)")) from None
    return PhidgetApi(
        DigitalOutput=DigitalOutput, Manager=Manager, PhidgetException=PhidgetException
    )


def error_code(error: Exception) -> int | None:
    code = getattr(error, "code", None)
    return int(code) if code is not None else None


def describe_error(error: Exception) -> str:
    description = getattr(error, "description", "") or str(error).splitlines()[0]
    return f"{description} (Phidget22 code {error_code(error)})"


def identify(channel: Any, api: PhidgetApi) -> tuple[str | None, bool | None]:
    """The revision of an attached 1017, by what it can do: ("1017_2", True) or
    ("1017_0/1017_1", False); (None, None) when the channel cannot tell.

    ``getDeviceSKU`` says "1017" for every revision, so it is no use here.
    """
    try:
        channel.getMaxFailsafeTime()
    except api.PhidgetException as error:
        if error_code(error) == UNSUPPORTED:
            return REVISION_OLD, False
    except AttributeError:
        pass  # a Manager's channel: it has the version only
    else:
        return REVISION_FAILSAFE, True
    return revision_from_version(channel, api)


def revision_from_version(channel: Any, api: PhidgetApi) -> tuple[str | None, bool | None]:
    try:
        version = int(channel.getDeviceVersion())
    except (api.PhidgetException, AttributeError):
        return None, None
    if version >= FAILSAFE_VERSION:
        return REVISION_FAILSAFE, True
    return REVISION_OLD, False


def address(channel: Any, config: BoardConfig, index: int) -> None:
    """Serial when configured (else any 1017); a hub port only for a 1017_2 on a VINT hub.

    The 1017_2 on a hub is a VINT device with channels, so IsHubPortDevice stays False: setting
    it addresses the hub port itself as one digital output, which never matches a 1017.
    """
    if config.serial is not None:
        channel.setDeviceSerialNumber(config.serial)
    if config.hub_port is not None:
        channel.setHubPort(config.hub_port)
    channel.setChannel(index)


def accepted(config: BoardConfig, device_id: int) -> Device | None:
    """The table's device a channel attached to, when this board's configuration takes it.

    A configured ``model`` takes only that model. Without one, a configured ``serial`` names the
    board, so any model of the table at that serial is taken (detected by its device ID);
    with neither, only a 1017 (a DigitalOutput of any Phidget could match otherwise).
    """
    device = device_by_id(device_id)
    if device is None:
        return None
    if config.model is not None:
        return device if device.model == config.model else None
    if config.serial is not None:
        return device
    return device if device.model == DEFAULT_MODEL else None


def wanted_words(config: BoardConfig) -> str:
    """What this board's configuration accepts, for refusals: "a Phidget 1017"."""
    if config.model is not None:
        return f"a Phidget {MODELS[config.model].model}"
    if config.serial is not None:
        return "a Phidget relay board of delestage's table"
    return f"a Phidget {DEFAULT_MODEL}"


def revision_for(
    channel: Any, api: PhidgetApi, device: Device | None
) -> tuple[str | None, bool | None]:
    """``identify`` for a 1017 (or unknown); for another model "REL1101 version 110" and
    whether it has a failsafe, told by ``getMaxFailsafeTime`` as for the 1017."""
    if device is None or device.model == DEFAULT_MODEL:
        return identify(channel, api)
    failsafe: bool | None = None
    try:
        channel.getMaxFailsafeTime()
        failsafe = True
    except api.PhidgetException as error:
        failsafe = False if error_code(error) == UNSUPPORTED else None
    except AttributeError:
        pass
    try:
        return f"{device.model} version {int(channel.getDeviceVersion())}", failsafe
    except (api.PhidgetException, AttributeError):
        return device.model, failsafe
