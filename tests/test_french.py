"""French for French users (issue 26): the catalogs are complete and compiled, the language is
chosen by --lang, [ui] language or the environment, the commands and the UI speak French, the
JSON does not change, and AZERTY's top row selects relays (docs/francais.md)."""

import importlib.util
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import pytest
from support.tmux import Tmux, delestage_command, needs_tmux, tmux_server
from support.tui_harness import DEMO_CONFIG, make_rig, settle
from textual.pilot import Pilot

from tui.compose.language import LOCALE_DIR, set_language
from tui.core import i18n
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
    assert "\nprévision ok    demo: 4 jours jusqu'à " in out
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
