"""A forced order on a two-relay channel says what was sent, not a cut (issue 25).

A forced Éco on a pilot wire leaves the radiator running on its setback: its Mode is FORCED
(FORCÉ), its State the order (ÉCO), in the grid at 80x24, the detail line, `status`, `status
--json` and the MQTT channel state (``forced_order``); never FORCED CUT beside ÉCO. The same for
a heat pump's forced SG-Ready state."""

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import jinja2
import pytest
from support.tui_harness import Rig, grid_row, make_rig, screen_text, short_state_dir, started
from support.views import NOW, channel

from tui.compose.language import set_language
from tui.frontends.app.relays import detail, render_grid
from tui.frontends.control_cmds import render_status
from tui.frontends.mqtt.topics import Topics, channel_state, discovery_configs
from tui.service.snapshot import Snapshot

RADIATOR = 2  # the demo's "Radiateurs chambres", a pilot wire on relays 2 and 6


@pytest.fixture
def state_dir() -> Iterator[Path]:
    yield from short_state_dir()


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    set_language("en")


async def forced_eco(rig: Rig, language: str) -> tuple[str, str, Snapshot]:
    """The radiator's grid row, the whole screen and `status` after ``force 2 eco --for 1h``."""
    set_language(language)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        await rig.controller.force(RADIATOR, False, duration=timedelta(hours=1), order="eco")
        await pilot.press(str(RADIATOR))
        await started(pilot, rig)
        row = grid_row(app, RADIATOR)
        screen = screen_text(app)
        snapshot = await rig.controller.snapshot()
    return row, screen, snapshot


async def test_a_forced_eco_reads_forced_and_eco_at_80x24(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    row, screen, snapshot = await forced_eco(rig, "en")
    status = render_status(snapshot)
    assert all(len(line) <= 80 for line in screen.splitlines())
    assert "ÉCO" in row.split() and "FORCED" in row.split(), row
    assert "CUT" not in row.split(), row
    assert "Radiateurs chambres: ÉCO (pilot wire), FORCED until 15:08." in screen
    line = next(line for line in status.splitlines() if "Radiateurs chambres" in line)
    assert " ÉCO " in line and " FORCED until 15:08 " in line and "CUT" not in line, line
    view = snapshot.channel(RADIATOR)
    assert view.forced_order == "eco"
    assert snapshot.to_status()["channels"][RADIATOR]["forced_order"] == "eco"
    state = channel_state(view)
    assert (state["mode"], state["order"], state["forced_order"]) == ("forced", "eco", "eco")


def select_shows(template: str, state: dict[str, object]) -> str:
    """What Home Assistant's select shows for a channel state: its value_template rendered on
    the state's JSON (``value_json``), as Home Assistant's MQTT select does."""
    value_json = json.loads(json.dumps(state))
    return jinja2.Environment().from_string(template).render(value_json=value_json).strip()


async def test_home_assistants_select_offers_the_orders_and_shows_the_forced_one(
    state_dir: Path,
) -> None:
    rig = make_rig(state_dir)
    _, _, snapshot = await forced_eco(rig, "en")
    view = snapshot.channel(RADIATOR)
    assert view.orders == ("confort", "eco", "hors-gel")  # arret needs allow_off
    assert Snapshot.from_dict(snapshot.to_dict()).channel(RADIATOR).orders == view.orders
    orders = {c.index: c.orders for c in snapshot.channels if c.orders}
    configs = discovery_configs(Topics("node"), [(RADIATOR, view.name)], orders=orders)
    select = configs[f"homeassistant/select/node/channel_{RADIATOR}/config"]
    assert select["options"] == ["auto", "on", "off", "confort", "eco", "hors-gel"]
    template = select["value_template"]
    assert select_shows(template, channel_state(view)) == "eco"
    assert select_shows(template, channel_state(replace(view, forced_order=None))) == "off"
    automatic = replace(view, mode="auto", forced_order=None, forced_powered=None)
    assert select_shows(template, channel_state(automatic)) == "auto"
    plain = discovery_configs(Topics("node"), [(0, "Chauffe-eau")], orders=orders)
    assert plain["homeassistant/select/node/channel_0/config"]["options"] == ["auto", "on", "off"]


async def test_a_plain_forced_cut_of_a_pilot_wire_names_the_order_it_sends(
    state_dir: Path,
) -> None:
    """`force 2 off` sends the radiator its `cut` order (Hors-gel): the answer, the event and
    the reason say so, not "forced cut" (its supply is not cut)."""
    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, rig)
        answer = await rig.controller.force(RADIATOR, False, duration=timedelta(hours=1))
        snapshot = await rig.controller.snapshot()
    assert answer == "Radiateurs chambres: forced Hors-gel until 15:08", answer
    view = snapshot.channel(RADIATOR)
    assert view.reason == "forced Hors-gel by operator until 15:08", view.reason
    assert (view.order, view.forced_order, view.forced_powered) == ("hors-gel", None, False)
    said = [e for e in rig.controller.events.recent if getattr(e, "action", None) == "force"]
    assert said and said[-1].message == "forced Hors-gel by operator until 15:08"


async def test_a_forced_eco_reads_force_and_eco_in_french(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    row, screen, snapshot = await forced_eco(rig, "fr")
    status = render_status(snapshot)
    assert all(len(line) <= 80 for line in screen.splitlines())
    assert "ÉCO" in row.split() and "FORCÉ" in row.split(), row
    assert "COUPÉ" not in row, row
    line = next(line for line in status.splitlines() if "Radiateurs chambres" in line)
    assert " ÉCO " in line and "FORCÉ jusqu'à 15:08" in line and "COUPÉ" not in line, line


@pytest.mark.parametrize(
    ("order", "powered", "state"),
    [("blocked", False, "BLOCKED"), ("boost", True, "BOOST"), ("max", True, "MAX")],
)
def test_a_forced_heat_pump_state_reads_forced_and_the_state(
    order: str, powered: bool, state: str
) -> None:
    pump = channel(
        4, name="Pompe à chaleur", wiring="nc", powered=powered, wanted=powered, mode="forced",
        until=NOW + timedelta(hours=1), forced_powered=powered, order=order, forced_order=order,
        reason=f"forced {order.capitalize()} by operator until 15:07",
    )  # fmt: skip
    rows = (channel(0, name="Chauffe-eau"), pump)
    text = render_grid(rows, 4, NOW, 78).plain  # 80 columns, less the pane's padding
    assert all(len(line) <= 78 for line in text.splitlines()[:3])  # the detail line wraps
    row = text.splitlines()[2]
    assert state in row.split() and "FORCED" in row.split(), row
    assert "CUT" not in row.split() and "ON" not in row.split(), row
    assert f"{state} (SG-Ready), FORCED until 15:07" in detail(pump, NOW).plain


def test_a_plain_channel_still_reads_forced_cut_and_forced_on() -> None:
    cut = channel(1, powered=False, wanted=False, mode="forced", forced_powered=False)
    assert "FORCED CUT" in render_grid((cut,), None, NOW, 78).plain
    on = replace(cut, powered=True, wanted=True, forced_powered=True)
    assert "FORCED ON" in render_grid((on,), None, NOW, 78).plain
