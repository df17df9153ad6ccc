"""`delestage init`: write a commented starter configuration for a real installation.

The starter follows the wiring advice of docs/going-live.md: heating is wired ``nc`` (a dead
controller leaves it powered), loads that may wait are ``no``.
"""

import os.path
import tomllib
from typing import TextIO

from tui.compose.files import write_config_text
from tui.core.config import Config, config_from_dict
from tui.core.i18n import _
from tui.frontends.boards_cmd import find_single_board

STARTER = """\
# delestage: a starter configuration for a real installation (written by `delestage init`).
# Every key is explained in docs/configuration.md, with its default. Durations are strings with
# a unit: "90s", "15m", "2h", "1h30m" (a bare number other than 0 is refused). Check it with
# `delestage check --config THIS_FILE`, preview it with `delestage plan --config THIS_FILE`.

[ecowatt]
# Live RTE data: one call per 15 minutes at most. The credentials come from
# ECOWATT_CLIENT_ID and ECOWATT_CLIENT_SECRET, or from a file readable by you only:
# credentials_file = "/etc/delestage/credentials"
source = "rte"

[board]
# A real PhidgetInterfaceKit 0/0/8 (1017); `delestage boards` lists the attached ones.
kind = "phidget"
{serial_line}
# When delestage stops, "release" de-energises every relay: "no" loads are cut, "nc" loads
# powered, exactly as if the controller were dead. "keep" leaves them as they are.
on_exit = "release"

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


def starter_text(serial: int | None = None, model: str | None = None) -> str:
    line = (
        f"serial = {serial}"
        if serial is not None
        else "# serial = 123456   # leave it out to use any attached 1017"
    )
    if model is not None:
        line += f'\nmodel = "{model}"   # found by its device ID (docs/wiring.md)'
    return STARTER.format(serial_line=line)


def starter_config(serial: int | None = None) -> Config:
    """The starter as the configuration model reads it."""
    return config_from_dict(tomllib.loads(starter_text(serial)))


def run_init(path: str, force: bool, out: TextIO) -> int:
    # The board search only when the file will be written: a refusal should not wait for it.
    board = find_single_board(out) if force or not os.path.exists(path) else None
    text = starter_text(board.serial, board.model) if board is not None else starter_text()
    write_config_text(path, text, force=force)
    print(
        _("wrote {path}: edit the channels, then run `delestage check --config {path}`").format(
            path=path
        ),
        file=out,
    )
    return 0
