"""The Phidget relay boards delestage drives, in one table (pure: no Phidget22 import).

A board is recognised by its device ID (Phidget22's ``DeviceID`` constant, an int), never by
its SKU: every 1017 revision says "1017". The IDs below are the values of the constants named
in ``phidget22_name``; ``tests/test_devices_real.py`` checks them against the installed
Phidget22 package.

Per model: the relay count, how it is addressed (USB serial, or a VINT hub port), whether a
revision has a hardware failsafe (told at run time by ``getMaxFailsafeTime``, as for the 1017),
the kind of relay (mechanical or solid state), its published switching rating, and its rated
switching rate. The policy's absolute cap (``policy.RATE_LIMIT``, 20 switches of one relay in
any 60 s) must never exceed the rated rate of any model here: ``rate_cap_problem`` says so,
and a test runs it over the table. Solid-state relays have no mechanical rate limit; the cap
and ``min_switch_gap`` still protect the load behind them.

Ratings are as Phidgets publishes them per contact (the 1017 and 1014 figures were read from
Phidgets' product pages; see docs/wiring.md for which were checked and which were not).
"""

from dataclasses import dataclass
from enum import StrEnum

from tui.core.i18n import N_, _, number_text


class RelayKind(StrEnum):
    # The values are shown by `delestage boards --supported`, translated there.
    SIGNAL = N_("mechanical (signal)")  # small-signal contacts: drive contactor coils, pilot wires
    POWER = N_("mechanical (power)")
    SOLID_STATE = N_("solid state (DC, isolated)")


class Addressing(StrEnum):
    USB = "USB"
    VINT = "VINT hub port"
    USB_OR_VINT = "USB, or VINT hub port (later revisions)"


def _g(value: float) -> str:
    """``0.5`` / ``0,5``: a figure as short as it is, with the decimal comma in French."""
    return number_text(f"{value:g}")


@dataclass(frozen=True)
class Rating:
    """What one relay may switch: the maxima are not all allowed at once (watch the power)."""

    ac_volts: float | None  # None: no AC at all (solid-state DC outputs)
    ac_amps: float | None
    dc_volts: float
    dc_amps: float
    power_w: float | None = None  # switching power (real), when published
    power_va: float | None = None  # switching power (apparent), when published

    def words(self) -> str:
        parts = []
        if self.ac_volts is not None and self.ac_amps is not None:
            parts.append(f"{_g(self.ac_volts)} V AC {_g(self.ac_amps)} A")
        else:
            parts.append(_("no AC"))
        parts.append(f"{_g(self.dc_volts)} V DC {_g(self.dc_amps)} A")
        if self.power_w is not None:
            limit = f"{_g(self.power_w)} W"
            if self.power_va is not None:
                limit += f" / {_g(self.power_va)} VA"
            parts.append(_("at most {limit}").format(limit=limit))
        return ", ".join(parts)


@dataclass(frozen=True)
class Device:
    model: str  # what a user writes in [board] model, and what `boards` shows
    device_id: int  # Phidget22 DeviceID value
    phidget22_name: str  # the DeviceID constant's name in Phidget22
    title: str
    relays: int
    relay_kind: RelayKind
    addressing: Addressing
    rating: Rating
    # Rated operations per minute per relay; None: no mechanical limit (solid state).
    max_per_minute: int | None
    # Which revisions have a hardware failsafe (the library tells at run time); a text of the
    # catalog (N_), translated where it is shown.
    failsafe: str
    # Channel persistence (on_exit = "keep") works on every model with libphidget22 >= 1.23.
    checked: bool  # the rating was read from Phidgets' page in this project (docs/wiring.md)

    @property
    def failsafe_any(self) -> bool:
        return self.failsafe != "none"


# The VINT boards: a hub port each, the failsafe from device version 110 (libphidget22's
# DigitalOutput source), ratings not read from a Phidgets source: none was found in the stored
# copies searched on 2026-12-07 (docs/wiring.md).
VINT_FAILSAFE = "from device version 110"


def _vint(
    model: str,
    device_id: int,
    title: str,
    relays: int,
    relay_kind: RelayKind,
    rating: Rating,
    max_per_minute: int | None,
    failsafe: str = N_("from device version 110 (500 ms to 30 s)"),
) -> Device:
    return Device(
        model=model,
        device_id=device_id,
        phidget22_name=f"PHIDID_{model}",
        title=title,
        relays=relays,
        relay_kind=relay_kind,
        addressing=Addressing.VINT,
        rating=rating,
        max_per_minute=max_per_minute,
        failsafe=failsafe,
        checked=False,
    )


DEVICES: tuple[Device, ...] = (
    Device(
        model="1017",
        device_id=12,
        phidget22_name="PHIDID_1017",
        title="PhidgetInterfaceKit 0/0/8",
        relays=8,
        relay_kind=RelayKind.SIGNAL,
        addressing=Addressing.USB_OR_VINT,
        rating=Rating(250, 2, 120, 2, power_w=60, power_va=125),
        max_per_minute=20,
        failsafe=N_("1017_2 (500 ms to 30 s); none on 1017_0/1017_1"),
        checked=True,
    ),
    Device(
        model="1014",
        device_id=9,
        phidget22_name="PHIDID_1014",
        title="PhidgetInterfaceKit 0/0/4",
        relays=4,
        relay_kind=RelayKind.POWER,
        addressing=Addressing.USB_OR_VINT,
        # 1014_0 to 1014_2: 250 V AC 10 A, 100 V DC 5 A; 1014_3: 277 V AC 12 A (1750 VA),
        # 30 V DC 7 A (210 W). The table keeps what every revision allows.
        rating=Rating(250, 10, 30, 5),
        max_per_minute=20,
        failsafe=N_("1014_3 (range told by the library); none on 1014_0 to 1014_2"),
        checked=True,
    ),
    _vint("REL1000", 81, "4x Relay Phidget", 4, RelayKind.POWER, Rating(250, 2, 30, 2), 20),
    _vint(
        "REL1100",
        82,
        "4x Isolated Solid State Relay Phidget",
        4,
        RelayKind.SOLID_STATE,
        Rating(None, None, 30, 2),
        None,
    ),
    _vint(
        "REL1101",
        83,
        "16x Isolated Solid State Relay Phidget",
        16,
        RelayKind.SOLID_STATE,
        Rating(None, None, 30, 0.5),
        None,
        failsafe=N_("from device version 110, and REL1101_1 (500 ms to 30 s)"),
    ),
)

MODELS: dict[str, Device] = {device.model: device for device in DEVICES}
BY_ID: dict[int, Device] = {device.device_id: device for device in DEVICES}
# A board whose model is not configured is laid out as a 1017, the board delestage was built
# for: relays 0-7 (set [board] model for a board with more relays).
DEFAULT_MODEL = "1017"
MAX_RELAYS = max(device.relays for device in DEVICES)


def device_by_id(device_id: int) -> Device | None:
    """The table's entry for a Phidget22 device ID; None for a device delestage does not drive."""
    return BY_ID.get(device_id)


def model_choices() -> str:
    return ", ".join(f'"{model}"' for model in MODELS)


def rate_cap_problem(cap_per_minute: int, device: Device) -> str | None:
    """Why a per-relay cap of ``cap_per_minute`` would exceed the device's rating, or None."""
    if device.max_per_minute is None or cap_per_minute <= device.max_per_minute:
        return None
    return (
        f"{device.model}: the rate cap ({cap_per_minute} switches a minute) exceeds its rated "
        f"{device.max_per_minute} operations a minute"
    )


MAINS_VOLTS = 230  # a French home's appliances: 230 V AC


def direct_load_problem(device: Device, watts: float) -> str | None:
    """Why an appliance of ``watts`` must not hang on the relay itself (a contactor must), or
    None when the relay's published rating covers it at 230 V AC."""
    rating = device.rating
    if rating.ac_volts is None or rating.ac_amps is None:
        return _(
            "a {model} switches DC only: a 230 V AC appliance needs a contactor with a "
            "DC coil behind it"
        ).format(model=device.model)
    limit = rating.power_va if rating.power_va is not None else MAINS_VOLTS * rating.ac_amps
    limit = min(limit, MAINS_VOLTS * rating.ac_amps)
    if watts <= limit:
        return None
    return _(
        "a {model} relay switches at most {limit} VA at 230 V AC: wire a contactor "
        "and let the relay drive its coil"
    ).format(model=device.model, limit=_g(limit))
