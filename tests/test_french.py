"""French for French users (issue 26): the catalogs are complete and compiled, the language is
chosen by --lang, [ui] language or the environment, the commands and the UI speak French, the
JSON does not change, and AZERTY's top row selects relays (docs/francais.md)."""

import gettext
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import partial
from pathlib import Path
from types import ModuleType

import pytest
from support.tmux import Tmux, delestage_command, needs_tmux, tmux_server
from support.tui_harness import DEMO_CONFIG, make_rig, settle
from textual.pilot import Pilot

from tui.compose.language import LOCALE_DIR, set_language
from tui.core import i18n
from tui.core.errors import InputError
from tui.core.forecast import PARIS, clock_time, span_text
from tui.core.signals import forecast_to_body
from tui.frontends.app.app import DelestageApp
from tui.frontends.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool()


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    """Every test leaves the process in English, as the rest of the suite expects."""
    yield
    set_language("en")


@pytest.fixture
def french() -> None:
    set_language("fr")


# --- the catalogs -----------------------------------------------------------------------------


def test_every_marked_text_has_a_french_translation() -> None:
    extracted = TOOL.extract()
    assert len(extracted) > 200
    po, _ = TOOL.paths("fr")
    catalog = TOOL.merge("fr", extracted, TOOL.read_po(po))
    assert TOOL.problems("fr", catalog) == []


def test_the_catalogs_are_up_to_date_with_the_code_and_compiled() -> None:
    """The shipped .po holds exactly the code's texts, and the .mo is compiled from it (so a
    plain `pip install .` carries working catalogs): run `python tools/i18n.py` otherwise."""
    extracted = TOOL.extract()
    for language in TOOL.LANGUAGES:
        po, mo = TOOL.paths(language)
        catalog = TOOL.merge(language, extracted, TOOL.read_po(po))
        assert po.read_text(encoding="utf-8") == TOOL.write_po(catalog, language), po
        assert mo.read_bytes() == TOOL.compile_mo(catalog), mo


def test_a_new_text_without_a_translation_fails_the_check(tmp_path: Path) -> None:
    package = tmp_path / "tui"
    package.mkdir()
    (package / "words.py").write_text(
        'from tui.core.i18n import _\nprint(_("a brand new sentence {x}").format(x=1))\n'
        'print(_("ON"))\n'
    )
    po, _ = TOOL.paths("fr")
    catalog = TOOL.merge("fr", TOOL.extract(package), TOOL.read_po(po))
    assert TOOL.problems("fr", catalog) == ["fr: no translation for 'a brand new sentence {x}'"]


def test_placeholders_must_survive_the_translation() -> None:
    entry = TOOL.Entry("until {time}", msgstr=["jusqu'à {heure}"])
    assert TOOL.problems("fr", {"until {time}": entry}) == [
        "fr: placeholders differ in 'until {time}' -> \"jusqu'à {heure}\""
    ]


def test_the_compiled_catalog_reads_back_with_gettext() -> None:
    assert (Path(LOCALE_DIR) / "fr" / "LC_MESSAGES" / "delestage.mo").is_file()
    set_language("fr")
    assert i18n._("CUT") == "COUPÉ"
    assert i18n.ngettext("{count} override", "{count} overrides", 2)  # no crash on plurals
    set_language("en")
    assert i18n._("CUT") == "CUT"


# --- choosing the language --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "environ", "expected"),
    [
        ("fr", {"LANG": "en_US.UTF-8"}, "fr"),
        ("en", {"LANG": "fr_FR.UTF-8"}, "en"),
        ("auto", {"LANG": "fr_FR.UTF-8"}, "fr"),
        ("auto", {"LANG": "fr_BE@euro"}, "fr"),
        ("auto", {"LANGUAGE": "fr:en", "LANG": "C.UTF-8"}, "fr"),
        ("auto", {"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "en"),
        ("auto", {"LC_MESSAGES": "fr_CA.UTF-8", "LANG": "de_DE.UTF-8"}, "fr"),
        ("auto", {"LANG": "de_DE.UTF-8"}, "en"),
        ("auto", {}, "en"),
    ],
)
def test_auto_reads_the_environment_as_gettext_does(
    setting: str, environ: dict[str, str], expected: str
) -> None:
    assert i18n.choose(setting, environ) == expected


CONFIG = """\
[ecowatt]
source = "demo"

[board]
kind = "simulated"

[policy]
lead = "15m"
restore_gap = "60s"

[[channel]]
index = 0
name = "Chauffe-eau"
shed_at = "orange"

[[channel]]
index = 1
name = "Radiateurs"
shed_at = "red"
priority = 1
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    from support.policy import levels

    config_path = tmp_path / "delestage.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    forecast_path = tmp_path / "signals.json"
    four_days = levels(("1" * 7 + "0" + "22222" + "1" * 5 + "33" + "1111") * 4)
    forecast_path.write_text(json.dumps(forecast_to_body(four_days)), encoding="utf-8")
    return config_path, forecast_path


def _plan(files: tuple[Path, Path], *extra: str) -> list[str]:
    config_path, forecast_path = files
    return [
        "--config",
        str(config_path),
        *extra,
        "plan",
        "--forecast",
        str(forecast_path),
        "--from",
        "2026-12-03T06:00",
        "--hours",
        "14",
    ]


def test_plan_in_french_and_in_english(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_plan(files, "--lang", "fr")) == 0
    french_text = capsys.readouterr().out
    assert main(_plan(files, "--lang", "en")) == 0
    english_text = capsys.readouterr().out
    assert french_text.startswith(
        "Plan du jeu. 03 déc. 06:00 au jeu. 03 déc. 20:00 (heure de Paris) : 4 changements"
    )
    assert "  jeu. 03 déc. 07:45  COUPÉ     orange 08:00-13:00 dans 15 min" in french_text
    assert "0 Chauffe-eau (délesté à orange, priorité 1)" in french_text
    assert english_text.startswith("Plan from Thu 03 Dec 06:00 to Thu 03 Dec 20:00 (Europe/Paris)")
    assert "  Thu 03 Dec 07:45  CUT   orange 08:00-13:00 in 15 min" in english_text


def test_the_language_option_goes_after_the_command_too(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_plan(files), "--lang", "fr"]) == 0
    assert capsys.readouterr().out.startswith("Plan du ")


def test_ui_language_in_the_configuration(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config_path, _ = files
    config_path.write_text(CONFIG.replace("[policy]", '[ui]\nlanguage = "fr"\n\n[policy]'))
    assert main(_plan(files)) == 0
    assert capsys.readouterr().out.startswith("Plan du ")
    assert main(_plan(files, "--lang", "en")) == 0  # the command line wins
    assert capsys.readouterr().out.startswith("Plan from ")


def test_a_bad_language_is_one_line_naming_file_and_key(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config_path, _ = files
    config_path.write_text(CONFIG.replace("[policy]", '[ui]\nlanguage = "de"\n\n[policy]'))
    assert main(_plan(files)) == 2
    err = capsys.readouterr().err
    assert err == f'{config_path}: ui.language: expected one of "auto", "fr", "en", got "de"\n'


def test_a_bad_lang_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--lang", "de", "status"])
    assert exit_info.value.code == 2
    assert "--lang: invalid choice: 'de'" in capsys.readouterr().err


def test_json_does_not_change_with_the_language_but_its_reasons(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_plan(files, "--lang", "fr"), "--json"]) == 0
    french_doc = json.loads(capsys.readouterr().out)
    assert main([*_plan(files, "--lang", "en"), "--json"]) == 0
    english_doc = json.loads(capsys.readouterr().out)

    def without_reasons(document: dict[str, object]) -> object:
        changes = document["changes"]
        assert isinstance(changes, list)
        return {**document, "changes": [{**c, "reason": None} for c in changes]}

    assert without_reasons(french_doc) == without_reasons(english_doc)
    assert list(french_doc) == list(english_doc)
    assert french_doc["changes"][0]["reason"] == "orange 08:00-13:00 dans 15 min"
    assert english_doc["changes"][0]["reason"] == "orange 08:00-13:00 in 15 min"


# --- dates and numbers ------------------------------------------------------------------------


def test_french_dates_without_any_system_locale(french: None) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=PARIS)
    assert clock_time(datetime(2026, 12, 3, 14, 30, tzinfo=PARIS), now) == "jeu. 03 déc. 14:30"
    assert clock_time(datetime(2026, 12, 1, 14, 30, tzinfo=PARIS), now) == "14:30"
    assert i18n.short_date(date(2027, 2, 10)) == "mer. 10 févr."
    assert i18n.short_date(date(2027, 8, 1)) == "dim. 01 août"
    start = datetime(2026, 12, 3, 18, tzinfo=PARIS)
    assert span_text(start, datetime(2026, 12, 4, tzinfo=PARIS)) == "18:00-24:00"


def test_english_dates_stay_as_they_were() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=PARIS)
    assert clock_time(datetime(2026, 12, 3, 14, 30, tzinfo=PARIS), now) == "Thu 03 Dec 14:30"


def test_a_decimal_comma_in_french(french: None) -> None:
    assert i18n.decimal(2.5, 1) == "2,5"
    assert i18n.number_text("9.2 kVA") == "9,2 kVA"
    set_language("en")
    assert i18n.decimal(2.5, 1) == "2.5"


def test_the_meter_rotation_and_daily_minimum_words_in_french(french: None) -> None:
    from datetime import timedelta

    from tui.core.daily_run import DailyChoice
    from tui.core.meter import MeterReading
    from tui.core.meter_words import reading_words
    from tui.core.power_rule import PowerState, describe_meter
    from tui.core.rotation import Turn
    from tui.core.tic import Mode

    now = datetime(2026, 12, 1, 12, 0, tzinfo=PARIS)
    reading = MeterReading(at=now, power_va=4210, cutoff_va=9000, mode=Mode.STANDARD)
    assert reading_words(reading) == "mode standard, 4,2 kVA, coupure à 9 kVA"
    stale = PowerState(reading=reading, limit=9000, stale_since=now - timedelta(minutes=2))
    assert describe_meter(stale, now) == "compteur muet depuis 11:58 (dernière mesure 4,2 / 9 kVA)"
    turn = Turn(cut=True, group="chauffage", until=now + timedelta(minutes=10), cut_names=())
    assert turn.words("rouge 12:00-14:00", now) == (
        "rouge 12:00-14:00, son tour dans le groupe tournant chauffage jusqu'à 12:10"
    )
    daily = DailyChoice(True, timedelta(hours=2, minutes=10), timedelta(hours=4), None)
    assert daily.words() == "en marche pour son minimum quotidien : 2h10 sur 4h faits"


# --- the UI -----------------------------------------------------------------------------------


def _screen(app: DelestageApp) -> str:
    from support.tui_harness import screen_text

    return screen_text(app)


async def test_azerty_top_row_selects_relays_in_french(state_dir: Path, french: None) -> None:
    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        await pilot.press("ampersand")
        assert app.selected == 1
        await pilot.press("é")
        assert app.selected == 2
        await pilot.press("apostrophe")
        assert app.selected == 4
        await pilot.press("è")
        assert app.selected == 7
        await pilot.press("à")
        assert app.selected == 0
        await pilot.press("3")  # the digits still work
        assert app.selected == 3
        help_text = app.help_text().plain
        assert "AZERTY : à & é \" ' ( - è choisissent aussi les relais 0-7, sans Maj" in help_text
        assert "  0-7 " in help_text


async def test_no_azerty_keys_in_english(state_dir: Path) -> None:
    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        await pilot.press("2")
        await pilot.press("ampersand")
        assert app.selected == 2
        assert "AZERTY" not in app.help_text().plain


async def test_the_french_grid_and_header_fit_80x24(state_dir: Path, french: None) -> None:
    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        rig.clock.advance(10)
        await pilot.press("ampersand", "s")
        await settle(pilot, rig.controller)
        screen = _screen(app)
    lines = screen.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "Relais" in screen and "Pourquoi" in screen and "Ensuite" in screen
    assert "FORCÉ COUPÉ" in screen
    assert "ALIMENTÉ" in screen
    assert "niveau " in lines[0]
    assert " ON " not in screen and " CUT " not in screen


async def test_the_command_palette_finds_french_verbs(state_dir: Path, french: None) -> None:
    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        titles = [command.title for command in app.get_system_commands(app.screen)]
    for verb in ("Couper", "Forcer", "Rétablir"):
        assert any(title.startswith(verb) for title in titles), (verb, titles)


# --- 80x24 in French: snapshots and a real terminal -------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [(), ("question_mark",), ("h",), ("ampersand", "S")],
    ids=["main", "help", "h-view", "dialog"],
)
def test_french_snapshots_at_80x24(
    snap_compare: Callable[..., bool], state_dir: Path, french: None, keys: tuple[str, ...]
) -> None:
    rig = make_rig(state_dir)

    async def ready(pilot: Pilot[int]) -> None:
        await settle(pilot, rig.controller)

    assert snap_compare(rig.app(), press=list(keys), terminal_size=(80, 24), run_before=ready)


@needs_tmux
def test_a_french_newcomer_in_a_real_terminal(state_dir: Path) -> None:
    """LANG=fr_FR.UTF-8 and bare `delestage` on the demo: French words at 80x24, & and s force
    relay 1 cut, q quits with a French last line."""
    text = DEMO_CONFIG.read_text()
    demo_state = 'state_dir = "~/.local/state/delestage-demo"'
    config = state_dir / "delestage.toml"
    config.write_text(text.replace(demo_state, f'state_dir = "{state_dir}"'))
    for tmux in tmux_server(Tmux, "delestage-fr"):
        shell = ("env", "PS1=$ ", "LANGUAGE=", "LANG=fr_FR.UTF-8", "bash", "--norc", "--noprofile")
        tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", *shell)
        tmux(
            "send-keys", "-t", "e2e",
            f"{delestage_command()} --config {config}; echo EXITED:$?", "Enter",
        )  # fmt: skip
        start = tmux.wait_for("the French grid", lambda s: "Relais" in s and "Pourquoi" in s)
        assert "DÉMO" in start and "niveau " in start
        assert all(len(line) <= 80 for line in start.splitlines())
        tmux("send-keys", "-t", "e2e", "&")
        tmux.wait_for("relay 1 selected", lambda s: " ▶ 1 " in s)
        tmux("send-keys", "-t", "e2e", "s")
        forced = tmux.wait_for("relay 1 forced cut", lambda s: "FORCÉ COUPÉ" in s)
        assert "Radiateurs séjour : forcé coupé jusqu'à" in forced
        tmux("send-keys", "-t", "e2e", "q")
        tmux.wait_for("the shell again", lambda s: "EXITED:0" in s)


# --- the headless log and status --------------------------------------------------------------


def test_the_headless_log_line_in_french(french: None) -> None:
    from tui.core.events import RelayEvent
    from tui.frontends.event_text import event_line

    event = RelayEvent(
        ts=datetime(2026, 12, 3, 7, 45, tzinfo=PARIS),
        channel=0,
        name="Chauffe-eau",
        powered=False,
        reason="rouge 08:00-13:00",
        applied=False,
    )
    assert event_line(event) == (
        "2026-12-03 07:45:00 relay    Chauffe-eau: COUPÉ (rouge 08:00-13:00)"
        " [carte détachée : appliqué à son retour]"
    )
    set_language("en")
    assert event_line(event).endswith(
        "Chauffe-eau: CUT (rouge 08:00-13:00) [board detached: applied when it attaches]"
    )


async def test_status_text_in_french_and_its_json_unchanged(state_dir: Path) -> None:
    from tui.frontends.control_cmds import render_status

    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        snapshot = await rig.controller.snapshot()
    english_json = json.dumps(snapshot.to_status(), sort_keys=True)
    english = render_status(snapshot)
    set_language("fr")
    french_text = render_status(snapshot)
    assert json.dumps(snapshot.to_status(), sort_keys=True) == english_json
    assert english.startswith("delestage DEMO mode, PID")
    assert french_text.startswith("delestage en mode DÉMO, PID")
    assert "niveau actuel : " in french_text and "carte : simulated, branchée" in french_text
    assert "ALIMENTÉ" in french_text and "AUTO" in french_text


# English words that must not be left on a French screen (a text not marked for translation).
ENGLISH = re.compile(
    r"\b(Relay|State|Why|Next|level|until|wait|waiting|board attached|Now|fetched|today|"
    r"tomorrow|Keys|Words|select|force|forced|release|refresh|quit|help|Events|newest|"
    r"Channels over time|hour|channel|Cells|cut|powered|green|red|low-carbon|unknown|"
    r"no strain|strain|in-process)\b"
)


@pytest.mark.parametrize(
    "keys",
    [("ampersand", "s"), ("question_mark",), ("h",), ("h", "question_mark"), ("A",), ("é", "P")],
    ids=["forced", "help", "h-view", "h-help", "confirm", "prompt"],
)
async def test_no_english_word_left_on_a_french_screen(
    state_dir: Path, french: None, keys: tuple[str, ...]
) -> None:
    rig = make_rig(state_dir)
    app = rig.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, rig.controller)
        rig.clock.advance(10)
        await pilot.press(*keys)
        await settle(pilot, rig.controller)
        screen = _screen(app)
    # Binding ids ([force_on]...) and configuration words (min_off, on_exit) are names, kept.
    words = re.sub(r"\[[a-z_0-9…]+\]|min_off|min_on|on_exit|auto_restore|restore_gap", "", screen)
    assert ENGLISH.findall(words) == [], screen


def test_no_english_word_left_in_a_french_plan(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_plan(files, "--lang", "fr")) == 0
    out = capsys.readouterr().out
    assert ENGLISH.findall(out.replace("--from", "")) == [], out


def test_home_assistant_entity_names_in_french_with_the_same_ids(french: None) -> None:
    from tui.frontends.mqtt.topics import Topics, channel_configs

    topics = Topics(node_id="maison")
    french_configs = channel_configs(topics, 0, "Chauffe-eau")
    set_language("en")
    english_configs = channel_configs(topics, 0, "Chauffe-eau")
    assert list(french_configs) == list(english_configs)  # the same topics, the same entities
    names = {
        topic: (english_configs[topic]["name"], config["name"])
        for topic, config in french_configs.items()
    }
    assert ("Chauffe-eau powered", "Chauffe-eau alimenté") in names.values()
    for topic, config in french_configs.items():
        english = english_configs[topic]
        assert {k: v for k, v in config.items() if k != "name"} == {
            k: v for k, v in english.items() if k != "name"
        }


def test_check_in_french(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path, _ = files
    monkeypatch.setenv("XDG_STATE_HOME", str(config_path.parent / "state"))
    assert main(["--config", str(config_path), "--lang", "fr", "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"config    ok    {config_path} : valide ; 2 voie(s) (0:Chauffe-eau")
    assert "\nprévision ok    demo: 4 jours jusqu'au " in out
    assert "\ncarte     ok    carte simulée : rien à chercher" in out
    assert ENGLISH.findall(out) == [], out


def test_help_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--lang", "fr", "--help"])
    assert "valider la configuration et dire ce qui a été vérifié" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])  # the suite's environment is English
    assert "validate the configuration and say what was checked" in capsys.readouterr().out


def test_the_timeline_kept_for_an_hour_follows_the_hour_and_the_language() -> None:
    """The day rows are kept while the hour and the language stand (timeline._grid): the same
    rows within an hour, the marker one cell on at the next, French day names after a switch."""
    from datetime import UTC, timedelta

    from tui.core.forecast import HOUR
    from tui.frontends.app.timeline import render_days
    from tui.service.snapshot import ForecastView, SlotView

    first = datetime(2026, 12, 1, tzinfo=PARIS).astimezone(UTC)
    forecast = ForecastView(
        source="demo", slots=tuple(SlotView(first + HOUR * n, n % 4) for n in range(48))
    )
    eight = first + timedelta(hours=8)
    early = render_days(forecast, eight + timedelta(minutes=5), 120).plain
    assert render_days(forecast, eight + timedelta(minutes=55), 120).plain == early
    assert render_days(forecast, eight + timedelta(minutes=65), 120).plain != early
    assert "Tue 01 Dec" in early
    set_language("fr")
    assert "mar. 01/12" in render_days(forecast, eight + timedelta(minutes=5), 120).plain


# --- configuration errors and argparse's words in French --------------------------------------

# The modules whose every text is a configuration (or configuration file) error: each of their
# marked texts must be said by one of the broken configurations below.
LOADERS = (
    "tui/core/config.py",
    "tui/core/meter_config.py",
    "tui/core/comfort_config.py",
    "tui/core/power.py",
    "tui/adapters/config_file.py",
    "tui/adapters/user_files.py",
)
# English words that must not be left in a French error once the quoted values, the `names`
# and the key path are taken out (the key names themselves stay: they are the file's).
ERROR_ENGLISH = re.compile(
    r"\b(expected|got|missing|required|unknown|did you mean|already|used by|one of|duration|"
    r"integer|at least|at most|array|string|when|cannot|must|like|e\.g\.|only|without|with|"
    r"the|of|and|or|is|not|none|too|found|given|such|file|directory)\b"
)
# The system's words for a failed call (``File name too long``) are quoted as it gives them.
_STRERRORS = re.compile("|".join(re.escape(os.strerror(code)) for code in range(1, 134)))

_ONE = '[[channel]]\nindex = 0\nname = "A"\nshed_at = "orange"\n'
_TWO = _ONE + '[[channel]]\nindex = 1\nname = "B"\nshed_at = "red"\n'
# Each document fails on several keys at once (config_from_dict says every problem); together
# they say every configuration error there is (test_every_configuration_error_is_sampled).
BROKEN_CONFIGS = {
    "values": """
bogus = 1
[ecowatt]
source = "live"
timeout = "0s"
base_url = "ftp://rte"
credentials_file = ""
sourc = "demo"
[board]
kind = "simulated"
hub_port = 9
serial = 0
model = "X"
attach_timeout = true
[policy]
lead = "abc"
restore_gap = 90
min_switch_gap = "-5m"
override_duration = "400d"
off_peak = "22:00-22:00"
rotate_cut = 0
[service]
state_dir = ""
socket_group = "a\\nb"
log_format = "xml"
[ui]
language = "de"
bell = "yes"
keys = { select_1 = 1 }
[[channel]]
index = 9
name = "A\\u202eB"
shed_at = "yellow"
priority = 0
power = "2 horses"
shed_tempo = ["blue"]
min_daily_run = "25h"
auto_restore = "no"
colour = "x"
[[channel]]
index = 1
""",
    "tables": """
ecowatt = 1
policy = [1]
ui = { keys = 1 }
mqtt = 1
meter = 1
tempo = 1
channel = 1
""",
    "no channel": '[ecowatt]\nsource = "file"\n[policy]\noff_peak = "25:00-06:00"\n',
    "cross keys": """
[board]
failsafe = "100ms"
on_exit = "keep"
[policy]
override_duration = "30s"
rotate_cut = 2
[tempo]
source = "file"
fallback = "meter"
[[channel]]
index = 0
name = "A"
shed_at = "never"
shed_tempo = ["red"]
rotate = "g"
[[channel]]
index = 1
name = "A"
shed_at = "orange"
rotate = "h"
auto_restore = false
[[channel]]
index = 1
name = "C"
shed_at = "red"
rotate = "h"
min_on = 5
""",
    "failsafe": '[board]\nfailsafe = "60s"\n' + _ONE,
    "keepalive": '[board]\nfailsafe = "500ms"\n' + _TWO,
    "too many": '[board]\nmodel = "1017"\n'
    + "".join(f'[[channel]]\nindex = {n % 8}\nname = "c{n}"\nshed_at = "red"\n' for n in range(9)),
    "boards": """
[[board]]
kind = "phidget"
[[board]]
name = "garage"
failsafe = "1s"
[[board]]
name = "garage"
serial = 5
on_exit = "keep"
[[board]]
name = "cave"
serial = 5
[[board]]
name = "a shed"
serial = 6
[[channel]]
index = 0
name = "A"
shed_at = "red"
[[channel]]
index = 0
name = "B"
shed_at = "red"
board = "nowhere"
[[channel]]
index = 0
name = "C"
shed_at = "red"
board = "cave"
[[channel]]
index = 0
name = "D"
shed_at = "red"
board = "cave"
[[channel]]
index = 2
name = "E"
shed_at = "red"
board = "cave"
pilot = { relays = [2, 3] }
[[channel]]
index = 3
name = "F"
shed_at = "red"
board = "cave"
""",
    "no boards": "board = []\n" + _ONE,
    "boards disagree": '[[board]]\nname = "a"\nserial = 1\n'
    + '[[board]]\nname = "b"\nserial = 2\nfailsafe = "1s"\non_exit = "keep"\n'
    + '[[channel]]\nindex = 0\nname = "A"\nshed_at = "red"\nboard = "a"\n',
    "keepalive over two boards": '[[board]]\nname = "a"\nserial = 1\nfailsafe = "1s"\n'
    + '[[board]]\nname = "b"\nserial = 2\nfailsafe = "1s"\n'
    + "".join(
        f'[[channel]]\nindex = {n}\nname = "{board}{n}"\nshed_at = "red"\nboard = "{board}"\n'
        for board in "ab"
        for n in range(2)
    ),
    "rotation of one": _TWO + 'rotate = "solo"\n',
    "relay driven twice": '[board]\nkind = "simulated"\n'
    + '[[channel]]\nindex = 0\nname = "A"\nshed_at = "red"\npilot = { relays = [0, 1] }\n'
    + '[[channel]]\nindex = 1\nname = "B"\nshed_at = "red"\n',
    "a board of ints": "board = [1, 2]\n" + _ONE,
    "many boards": "".join(f'[[board]]\nname = "b{n}"\nserial = {n + 1}\n' for n in range(9))
    + '[[channel]]\nindex = 0\nname = "A"\nshed_at = "red"\nboard = "b0"\n',
    "unnamed board": '[board]\nkind = "simulated"\n'
    + '[[channel]]\nindex = 0\nname = "A"\nshed_at = "red"\nboard = "x"\n',
    "pilot wires": """
[board]
kind = "simulated"
[[channel]]
index = 0
name = "A"
shed_at = "red"
pilot = 1
[[channel]]
index = 1
name = "B"
shed_at = "red"
pilot = { relays = [1, 2], colour = "x" }
[[channel]]
index = 2
name = "C"
shed_at = "red"
pilot = { hors_gel = "negative" }
[[channel]]
index = 3
name = "D"
shed_at = "red"
pilot = { relays = [3, 3] }
[[channel]]
index = 4
name = "E"
shed_at = "red"
pilot = { relays = [4, 5], hors_gel = "up" }
[[channel]]
index = 5
name = "F"
shed_at = "red"
pilot = { relays = [5, 6], allow_off = 1 }
[[channel]]
index = 6
name = "G"
shed_at = "red"
pilot = { relays = [6, 7], orange = "x" }
[[channel]]
index = 7
name = "H"
shed_at = "red"
pilot = { relays = [7, 6], red = "arret" }
""",
    "pilot relays": """
[board]
kind = "simulated"
[[channel]]
index = 0
name = "A"
shed_at = "red"
wiring = "no"
pilot = { relays = [1, 2] }
[[channel]]
index = 2
name = "B"
shed_at = "red"
wiring = "no"
sg_ready = { relays = [2, 3] }
[[channel]]
index = 4
name = "C"
shed_at = "red"
pilot = { relays = [4, 5] }
sg_ready = { relays = [4, 5] }
[[channel]]
index = 5
name = "D"
shed_at = "red"
[[channel]]
index = 6
name = "E"
shed_at = "red"
sg_ready = { relays = [6, 6] }
[[channel]]
index = 7
name = "F"
shed_at = "red"
sg_ready = { relays = [7, 0], normal = "blocked", orange = "confort", cut = "max" }
""",
    "several boards, one relay": """
[[board]]
name = "a"
serial = 1
[[board]]
name = "b"
serial = 2
[[channel]]
index = 0
name = "A"
shed_at = "red"
board = "a"
pilot = { relays = [0, 1] }
[[channel]]
index = 1
name = "B"
shed_at = "red"
board = "a"
[[channel]]
index = 0
name = "C"
shed_at = "red"
""",
    "mqtt": """
[mqtt]
url = "http://broker"
node_id = "Maison"
topic_prefix = "a/+/b"
discovery_prefix = "a//b"
ca_file = "ca.pem"
[ui]
language = 1
"""
    + _ONE,
    "meter values": """
[meter]
source = "tic"
port = ""
baud = 4800
limit = "50kVA"
margin = "500ms"
topic = "a/#"
preset = "x"
broker = "ftp://x"
[tempo]
source = "tic"
"""
    + _ONE,
    "meter needs": '[meter]\nsource = "mqtt"\n[tempo]\nfallback = "tic"\n' + _ONE,
    "meter file": '[meter]\nsource = "file"\nlimit = 9\n[tempo]\nsource = "tic"\nfallback = "tic"\n'
    + _ONE,
    "tempo source": '[tempo]\nsource = "tik"\n[policy]\nlead = 5.5\n' + _ONE,
    "meter tic": '[meter]\nsource = "tic"\n' + _ONE,
}


class _Recorder(gettext.NullTranslations):
    """The French catalog, remembering every text looked up in it."""

    def __init__(self, catalog: gettext.NullTranslations, asked: set[str]) -> None:
        super().__init__()
        self._inner, self._asked = catalog, asked

    def gettext(self, message: str) -> str:
        self._asked.add(message)
        return self._inner.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self._asked.add(singular)
        return self._inner.ngettext(singular, plural, n)


def _problems(name: str, load: Callable[[], object]) -> list[str]:
    try:
        load()
    except InputError as error:
        return error.problems
    raise AssertionError(f"{name}: no InputError")


def _file_errors(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], object]]:
    """What the configuration file itself can get wrong, each a call that raises InputError
    (a name the system refuses, a file root may read anyway: the system's answer simulated)."""
    from tui.adapters import user_files
    from tui.adapters.config_file import find_config, load_config, write_config_text

    def refused(*args: object, error: type[Exception]) -> object:
        raise error(13, "Permission denied") if error is PermissionError else error()

    def unreadable() -> object:
        with monkeypatch.context() as patch:
            patch.setattr(user_files, "read_regular_file", partial(refused, error=PermissionError))
            return load_config(folder / "syntax.toml")

    def toml_otherwise() -> object:
        """A tomllib that words its error without a line or the end of the document."""
        import tomllib

        def loads(text: str) -> object:
            raise tomllib.TOMLDecodeError("odd words")

        with monkeypatch.context() as patch:
            patch.setattr(tomllib, "loads", loads)
            return load_config(folder / "syntax.toml")

    def nul_name() -> object:
        with monkeypatch.context() as patch:
            patch.setattr(Path, "is_file", partial(refused, error=ValueError))
            return find_config("delestage.toml")

    (folder / "a folder").mkdir()
    large = folder / "large.toml"
    large.write_bytes(b"#" * (4 * 1024 * 1024 + 1))
    fifo = folder / "fifo.toml"
    os.mkfifo(fifo)
    (folder / "syntax.toml").write_text("a = [\n")
    (folder / "line.toml").write_text("a = 1\nb\n")
    (folder / "latin1.toml").write_bytes('[ui]\nlanguage = "é"\n'.encode("latin-1"))
    (folder / "deep.toml").write_text("a = " + "[" * 2000 + "]" * 2000 + "\n")
    empty = folder / "empty"
    empty.mkdir()
    return {
        "missing": lambda: load_config(folder / "nope.toml"),
        "folder": lambda: load_config(folder / "a folder"),
        "nul": lambda: load_config("dele\0stage.toml"),
        "large": lambda: load_config(large),
        "fifo": lambda: load_config(fifo),
        "syntax": lambda: load_config(folder / "syntax.toml"),
        "syntax at a line": lambda: load_config(folder / "line.toml"),
        "toml otherwise": toml_otherwise,
        "latin-1": lambda: load_config(folder / "latin1.toml"),
        "deep": lambda: load_config(folder / "deep.toml"),
        "given": lambda: find_config(str(folder / "nope.toml")),
        "long name": lambda: find_config("x" * 5000),
        "nul name": nul_name,
        "unreadable": unreadable,
        "none found": lambda: find_config(None, {}, empty, empty),
        "exists": lambda: write_config_text(large, ""),
        "unwritable": lambda: write_config_text(large / "x.toml", ""),
    }


def _said_in_french(english: str, french_line: str) -> list[str]:
    """What is wrong with ``french_line`` as the French of ``english`` (nothing: [])."""
    wrong = []
    if french_line == english:
        wrong.append("the same as in English: not marked for translation")
    head = english.split(": ", 2)
    keyed = len(head) == 3 and " " not in head[1]  # FILE: key.path: what was wrong
    if keyed and not french_line.startswith(f"{head[0]}: {head[1]}: "):
        wrong.append(f"not the file and key of the English line ({head[0]}: {head[1]}: )")
    if not keyed and not french_line.startswith(head[0] if len(head) > 1 else ""):
        wrong.append(f"not the file of the English line ({head[0]})")
    said = french_line.split(": ", 2)[-1] if keyed else french_line
    said = _STRERRORS.sub("", said)
    # tomllib's own words are quoted as it wrote them.
    said = said.split("TOML invalide : ")[0]
    said = re.sub(r"\(tomllib : .*\)$", "", said)
    said = re.sub(
        r'"[^"]*"|`[^`]*`|\([^()]*U\+[^()]*\)|\b[a-z_]+\[\d+\]|\[\[?[a-z_]+\]\]?', "", said
    )
    wrong += [f"English word {word!r}" for word in ERROR_ENGLISH.findall(said)]
    return wrong


def test_every_configuration_error_is_said_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every broken configuration below, in English then in French: the same lines, each
    naming the same file and key, each French one translated (a text not marked for the
    catalog is the same in both, or leaves English words). Every marked text of the loaders is
    said by one of them, so a new error must come with a broken configuration here."""
    import tomllib

    from tui.compose.language import catalog
    from tui.core.config import config_from_dict
    from tui.frontends.app.app import keymap_problems

    asked: set[str] = set()
    calls: dict[str, Callable[[], object]] = {
        name: (lambda text=text: config_from_dict(tomllib.loads(text), "delestage.toml"))
        for name, text in BROKEN_CONFIGS.items()
    }
    calls.update(_file_errors(tmp_path, monkeypatch))
    wrong: dict[str, list[str]] = {}
    count = 0
    for name, call in calls.items():
        set_language("en")
        english = _problems(name, call)
        i18n.use(_Recorder(catalog("fr"), asked), "fr")
        french_lines = _problems(name, call)
        assert len(french_lines) == len(english), (name, english, french_lines)
        for line, french_line in zip(english, french_lines, strict=True):
            count += 1
            problems = _said_in_french(line, french_line)
            if problems:
                wrong[f"{name}: {french_line}"] = problems
    keys = config_from_dict(tomllib.loads('[ui]\nkeys = { selec_1 = "x" }\n' + _ONE))
    set_language("en")
    english = keymap_problems(keys)
    set_language("fr")
    for line, french_line in zip(english, keymap_problems(keys), strict=True):
        count += 1
        problems = _said_in_french(line, french_line)
        if problems:
            wrong[f"ui.keys: {french_line}"] = problems
    assert wrong == {}, "\n".join(f"{line}: {why}" for line, why in wrong.items())
    assert count > 120

    extracted = TOOL.extract()
    unsaid = [
        entry.msgid
        for entry in extracted.values()
        if set(entry.files) & set(LOADERS) and entry.msgid not in asked
    ]
    assert unsaid == [], f"configuration errors without a broken configuration here: {unsaid}"


# A broken configuration, its key, and what is said about it in English, as before.
BAD_CONFIGS = {
    "language": (
        '[ui]\nlanguage = "de"\n' + _ONE,
        "ui.language",
        'expected one of "auto", "fr", "en", got "de"',
    ),
    "duration": (
        '[policy]\nlead = "15 minutes"\n' + _ONE,
        "policy.lead",
        'expected a duration like "90s", "15m", "2h", "1h30m" or "500ms" (at most 366d), '
        'got "15 minutes"',
    ),
    "unknown key": (
        _ONE + 'shed_a = "red"\n',
        "channel[0].shed_a",
        "unknown key (did you mean `shed_at`?)",
    ),
    "missing key": (
        '[[channel]]\nindex = 0\nname = "A"\n',
        "channel[0].shed_at",
        "missing (required)",
    ),
}


def _check_bad(
    tmp_path: Path, name: str, extra: tuple[str, ...], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], Path, str]:
    text, key, _english = BAD_CONFIGS[name]
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k not in i18n.ENVIRONMENT}
    environ.update(HOME=str(tmp_path), NO_COLOR="1", **env)
    script = Path(sys.executable).parent / "delestage"
    result = subprocess.run(
        [str(script), *extra, "check", "--config", str(path)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, path, key


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
@pytest.mark.parametrize(
    ("extra", "env"),
    [(("--lang", "fr"), {"LANG": "en_US.UTF-8"}), ((), {"LANG": "fr_FR.UTF-8"})],
    ids=["--lang fr", "LANG=fr_FR.UTF-8"],
)
def test_check_says_a_broken_configuration_in_french(
    tmp_path: Path, name: str, extra: tuple[str, ...], env: dict[str, str]
) -> None:
    """The console script, as a user runs it: one French line naming the file and the key,
    exit status 2; with --lang en the same line as before, in English."""
    result, path, key = _check_bad(tmp_path, name, extra, env)
    assert result.returncode == 2, result
    assert result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{path}: {key}: "), line
    english, _path, _key = _check_bad(tmp_path, name, ("--lang", "en"), env)
    assert english.returncode == 2
    assert english.stderr == f"{path}: {key}: {BAD_CONFIGS[name][2]}\n"
    assert _said_in_french(english.stderr.strip(), line) == [], (english.stderr, line)


def test_the_french_and_english_lines_of_a_bad_language(tmp_path: Path) -> None:
    """[ui] language itself is the bad key: it cannot choose the language it is said in, so the
    command line or the environment does (docs/francais.md)."""
    french_line, path, _ = _check_bad(tmp_path, "language", (), {"LANG": "fr_FR.UTF-8"})
    assert french_line.stderr == (
        f'{path}: ui.language: attendu l\'une des valeurs "auto", "fr", "en", trouvé "de"\n'
    )
    english, _, _ = _check_bad(tmp_path, "language", ("--lang", "en"), {"LANG": "fr_FR.UTF-8"})
    assert english.stderr == f'{path}: ui.language: expected one of "auto", "fr", "en", got "de"\n'


def test_a_configuration_in_french_says_its_other_errors_in_french(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """[ui] language = "fr" that reads is the language of the file's other errors."""
    config_path, _ = files
    config_path.write_text(CONFIG.replace("[policy]", '[ui]\nlanguage = "fr"\n\n[policy]\nx = 1'))
    assert main(["--config", str(config_path), "check"]) == 2
    assert capsys.readouterr().err.startswith(f"{config_path}: policy.x: clé inconnue (")


def test_help_in_french_with_argparse_words(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--lang", "fr", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("utilisation : delestage [-h] [--config PATH]")
    assert "\noptions:\n" in out or "\noptions :\n" in out
    assert "  -h, --help           afficher ce message d'aide et quitter\n" in out
    assert "afficher la version du programme et quitter" in out
    assert "usage:" not in out and "show this help" not in out
    with pytest.raises(SystemExit):
        main(["--lang", "fr", "force", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("utilisation : delestage force [-h]")
    assert "numéro de voie (à travers les cartes, s'il y en a plusieurs) ou nom" in " ".join(
        out.split()
    )
    assert "(par défaut : 5)" in out
    assert not any(line.lstrip().startswith(":") for line in out.splitlines()), out
    with pytest.raises(SystemExit):
        main(["--lang", "fr", "boards", "--help"])
    assert "modèles pris en charge" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: delestage [-h]")
    assert "  -h, --help           show this help message and exit\n" in out


@pytest.mark.parametrize(
    ("argv", "french_line"),
    [
        (
            ["--lang", "fr", "bogus"],
            "delestage: argument COMMAND : choix invalide : 'bogus' (choisir parmi 'check', "
            "'init', 'boards', 'test-relays', 'status', 'force', 'release', 'plan', 'history') "
            "(voir delestage --help)",
        ),
        (
            ["--lang", "fr", "force"],
            "delestage force: arguments obligatoires manquants : CH, STATE "
            "(voir delestage force --help)",
        ),
        (
            ["--lang", "fr", "plan", "--nope"],
            "delestage: arguments non reconnus : --nope (voir delestage --help)",
        ),
        (
            ["plan", "--hours", "--lang", "fr"],
            "delestage plan: argument --hours : une valeur attendue (voir delestage plan --help)",
        ),
        (
            ["--lang", "fr", "--headless", "check"],
            "delestage: --headless lance le service ; il ne prend pas de commande "
            "(voir delestage --help)",
        ),
    ],
)
def test_a_bad_argument_is_one_french_line(
    argv: list[str], french_line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == french_line + "\n"


def test_argparse_words_of_this_python_are_in_the_catalog() -> None:
    """Every text the running Python's argparse translates is among argparse_words' (and so,
    by the catalog tests above, has its French)."""
    import argparse
    import ast

    from tui.frontends import argparse_words

    source = ast.parse(Path(argparse.__file__).read_text(encoding="utf-8"))
    singular, plural = set(), set()
    for node in ast.walk(source):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            texts = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
            if node.func.id == "_" and texts:
                singular.add(texts[0])
            elif node.func.id == "ngettext":
                plural.add((texts[0], texts[1]))
    assert len(singular) > 20
    assert singular <= set(argparse_words.WORDS)
    assert plural <= set(argparse_words.PLURALS)
    assert set(argparse_words.PLURALS) == {
        (entry.msgid, entry.plural)
        for entry in TOOL.extract().values()
        if entry.plural is not None and "tui/frontends/argparse_words.py" in entry.files
    }
    set_language("fr")
    assert argparse_words._plurals(2) == ("%s valeurs attendues", "options en conflit : %s")
    set_language("en")
    one = argparse_words._plurals(1)
    assert one == (argparse_words.PLURALS[0][0], argparse_words.PLURALS[1][0])
