"""`delestage init`: write a commented starter configuration for a real installation.

The starter follows the wiring advice of docs/going-live.md: heating is wired ``nc`` (a dead
controller leaves it powered), loads that may wait are ``no``.
"""

import os.path
import tomllib
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from tui.compose.boards import FoundBoard, PhidgetApi
from tui.compose.files import write_config_text
from tui.core.config import CHANNEL_LIMIT, Config, config_from_dict
from tui.core.i18n import _
from tui.frontends.boards_cmd import INIT_SEARCH_SECONDS, find_boards

HEAD = """\
# delestage: a starter configuration for a real installation (written by `delestage init`).
# Every key is explained in docs/configuration.md, with its default. Durations are strings with
# a unit: "90s", "15m", "2h", "1h30m" (a bare number other than 0 is refused). Check it with
# `delestage check --config THIS_FILE`, preview it with `delestage plan --config THIS_FILE`.

[ecowatt]
# Live RTE data: one call per 15 minutes at most. The credentials come from
# ECOWATT_CLIENT_ID and ECOWATT_CLIENT_SECRET, or from a file readable by you only:
# credentials_file = "/etc/delestage/credentials"
source = "rte"

"""

BOARD = """\
[board]
# A real PhidgetInterfaceKit 0/0/8 (1017); `delestage boards` lists the attached ones.
kind = "phidget"
{serial_line}
# When delestage stops, "release" de-energises every relay: "no" loads are cut, "nc" loads
# powered, exactly as if the controller were dead. "keep" leaves them as they are.
on_exit = "release"

"""

MIDDLE = """\
[policy]
# Cut this long before a strained hour; restore one channel at a time, this far apart.
lead = "15m"
restore_gap = "60s"
# When no forecast covers now: "powered" (the default) or "shed".
fallback = "powered"
# How long `p` / `s` in the UI and `delestage force` hold an override; "0s" = until released.
override_duration = "2h"

[service]
# Where state, the event log and the control socket live; a systemd service and the
# operator's `delestage` must agree on it (see the README, "Running as a service"). Like
# every path in this file, a relative one is relative to this file's folder.
# state_dir = "/var/lib/delestage"

# Tempo red and white days as a second shedding signal (EDF's Tempo tariff): remove the "# "
# before [tempo] and source, then list colours in a channel's shed_tempo (see docs/tempo.md).
# The credentials are Ecowatt's: subscribe the same RTE application to the "Tempo Like Supply
# Contract" API on RTE's portal.
# [tempo]
# source = "rte"
# With a Linky on a TIC reader ([meter] source = "tic"), its colours for a day RTE has none for:
# fallback = "tic"

# Home Assistant and other MQTT tools (see docs/mqtt.md): remove the "# " before [mqtt] and
# the keys you set. The password comes from a file readable by you only, or from
# $DELESTAGE_MQTT_PASSWORD.
# [mqtt]
# url = "mqtt://localhost:1883"
# username = "delestage"
# password_file = "/etc/delestage/mqtt-password"

# One [[channel]] per relay in use. The 1017's relays are signal relays: each drives a
# contactor coil, a pilot wire or an enable input, never the load itself.
#   wiring: "nc" (relay energised = appliance cut) for anything that must not stay off by
#           accident, heating in winter; "no" (energised = powered) for loads that may wait.
#   shed_at: "orange", "red" or "never"; priority 1 = shed last, restored first.
#   power: the appliance's power ("2kW", "800W"), optional: `delestage history` and the UI
#          then show the energy kept off the grid while it was cut in orange/red hours.
#   shed_tempo: with [tempo], the Tempo colours whose peak hours (06:00-22:00) cut it,
#          ["red"] or ["red", "white"].

"""

CHANNELS = """\
[[channel]]
index = 0
name = "Radiateurs"          # heating, pilot wire: nc, so a dead controller leaves it on
wiring = "nc"
shed_at = "red"
priority = 1
min_off = "10m"
# power = "3kW"

[[channel]]
index = 1
name = "Chauffe-eau"         # water heater, through a contactor: may wait for clean hours
wiring = "no"
shed_at = "orange"
priority = 2
run = "low-carbon"
# power = "2.4kW"
# shed_tempo = ["red"]

[[channel]]
index = 2
name = "Borne VE"            # EV charger's enable input: may wait
wiring = "no"
shed_at = "orange"
priority = 3
min_on = "5m"
min_off = "5m"
# power = "7.4kW"
# shed_tempo = ["red", "white"]
"""


STARTER = HEAD + BOARD + MIDDLE + CHANNELS  # one board: a single [board]

SEVERAL_BOARD = """\
[[board]]
# {found}
name = "{name}"
kind = "phidget"
model = "{model}"
serial = {serial}
{hub_port_line}on_exit = "release"

"""

UNUSED_CHANNEL = """\
[[channel]]
board = "{board}"
{index_line:<29}# channel {number}: relay {relay} of {board}
name = "{board} {relay}"
wiring = "nc"                # nc and never shed: its relay is never energised until you set it
shed_at = "never"

"""


def starter_text(serial: int | None = None, model: str | None = None) -> str:
    line = (
        f"serial = {serial}"
        if serial is not None
        else "# serial = 123456   # leave it out to use any attached 1017"
    )
    if model is not None:
        line += f'\nmodel = "{model}"   # found by its device ID (docs/wiring.md)'
    return STARTER.format(serial_line=line)


def board_names(boards: Sequence[FoundBoard]) -> list[str]:
    """A [[board]] name per board: its model and serial ("rel1101-222222"), and the hub port
    when two boards share a serial (two VINT devices on one hub)."""
    serials = Counter(board.serial for board in boards)
    return [
        f"{board.model.lower()}-{board.serial}"
        + (f"-port{board.hub_port}" if serials[board.serial] > 1 else "")
        for board in boards
    ]


def several_starter_text(boards: Sequence[FoundBoard]) -> str:
    """The starter for several attached boards: one [[board]] per board (name, model, serial,
    hub_port on a VINT hub) and one [[channel]] per relay, numbered across the boards in file
    order (CHANNEL_LIMIT at most). The starter's three examples are the first board's relays 0-2;
    every other relay gets a channel that never moves it ("nc", never shed) until edited."""
    names = board_names(boards)
    sections = [HEAD]
    for board, name in zip(boards, names, strict=True):
        hub_port = f"hub_port = {board.hub_port}\n" if board.hub_port is not None else ""
        found = f"Phidget {board.revision} ({board.name}): {board.relays} relays"
        sections.append(
            SEVERAL_BOARD.format(
                found=found,
                name=name,
                model=board.model,
                serial=board.serial,
                hub_port_line=hub_port,
            )
        )
    sections.append(MIDDLE)
    first = f'[[channel]]\nboard = "{names[0]}"\n'
    sections.append(CHANNELS.replace("[[channel]]\n", first) + "\n")
    number = 0
    for board, name in zip(boards, names, strict=True):
        for relay in range(board.relays):
            if number >= CHANNEL_LIMIT:
                break
            if number >= 3 or name != names[0]:
                sections.append(
                    UNUSED_CHANNEL.format(
                        board=name, relay=relay, number=number, index_line=f"index = {relay}"
                    )
                )
            number += 1
    return "".join(sections).rstrip("\n") + "\n"


def starter_config(serial: int | None = None) -> Config:
    """The starter as the configuration model reads it."""
    return config_from_dict(tomllib.loads(starter_text(serial)))


def run_init(
    path: str,
    force: bool,
    out: TextIO,
    api: PhidgetApi | None = None,
    wait: float = INIT_SEARCH_SECONDS,
) -> int:
    # The board search only when the file will be written: a refusal should not wait for it.
    searched = force or not os.path.exists(path)
    boards = find_boards(out, wait, api) if searched else []
    if len(boards) > 1:
        text = several_starter_text(boards)
    elif boards:
        text = starter_text(boards[0].serial, boards[0].model)
    else:
        text = starter_text()
    write_config_text(path, text, force=force)
    print(
        _("wrote {path}: edit the channels, then run `delestage check --config {path}`").format(
            path=path
        ),
        file=out,
    )
    return 0
