"""Issue 26, the rest of the commands in French: `init`, `boards` (and `--supported`),
`test-relays`, the `check` lines that were English, a TOML syntax error, the MQTT command
refusals and the forecast and Tempo file errors (docs/francais.md). Each test runs the real
entry point (`tui.frontends.cli.main`) or the command's own function in French, then in
English: the French says no English word, the English is as it was."""

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.fake_phidget import FakeBoard, FakeUsb
from support.real_phidget import phidget_config_text

from tui.compose.language import set_language
from tui.frontends import boards_cmd
from tui.frontends.cli import main

SERIAL = 123456
NOW = datetime(2026, 12, 2, 14, tzinfo=UTC)

# English words a French line must not keep once what stays as written is taken out (see
# _words): `commands`, [sections], key.paths and key = values, file paths. "failsafe",
# "keepalive" and "signal" are words of the French catalog too.
ENGLISH = re.compile(
    r"\b(the|and|with|without|what|of|to|is|not|none|found|attached|board|boards|relay|"
    r"relays|switched|switches|switch|energised|released|should|back|then|run|nothing|waiting|"
    r"confirmed|confirms|library|model|supported|searching|rating|wrote|edit|check|set|serial|"
    r"revision|connection|kind|rated|rate|mechanical|power|solid|state|limit|"
    r"unchecked|at most|times|every|drive|heaters|contactor|contactors|coil|wire|"
    r"appliance|channel|channels|expected|got|refused|unknown|held|put|means|watch|each|now|"
    r"for|seconds|line|column|invalid|day|days|missing|error|order|command)\b"
)


def _words(text: str) -> str:
    """``text`` without what is never translated: `commands`, [sections], key.paths, key =
    "values", "quoted", (a path/like/this.md), flags like --channels, all-capital names."""
    text = re.sub(r"\b[a-z_]+ = (\"[^\"]*\"|\S+)", "", text)
    text = re.sub(r"`[^`]*`|\[\[?[a-z_]+\]\]?|\"[^\"]*\"|'[^'\s]*'", "", text)
    text = re.sub(r"\b[a-z_]+\.[a-z_.]+\b|\S*/\S*|--[a-z-]+", "", text)
    return text


def english_words(text: str) -> list[str]:
    return ENGLISH.findall(_words(text))


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    set_language("en")


@pytest.fixture
def fake_usb(usb: FakeUsb, monkeypatch: pytest.MonkeyPatch) -> FakeUsb:
    """`delestage boards` and `init` on the fake Phidget22, without the 1.5 s search."""
    search = boards_cmd.list_relay_boards
    monkeypatch.setattr(boards_cmd, "load_phidget22", usb.api)
    monkeypatch.setattr(
        boards_cmd, "list_relay_boards", lambda wait, api=None: search(0, usb.api())
    )
    return usb


# --- 1. init, boards, test-relays -------------------------------------------------------------


def test_boards_supported_with_no_board_in_french(
    fake_usb: FakeUsb, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "fr", "boards", "--supported"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "cartes prises en charge (docs/wiring.md) :"
    assert lines[1].split()[:5] == ["modèle", "relais", "type", "de", "relais"]
    assert "  1017     8       mécanique (signal)" in captured.out
    assert "30 V DC 0,5 A (non vérifié)" in captured.out  # the decimal comma
    assert "aucune carte de relais Phidget branchée : " in captured.out
    assert "\nà vérifier :\n" in captured.out
    assert captured.err == "recherche des cartes de relais Phidget (1,5 s)…\n"
    assert english_words(captured.out + captured.err) == [], captured.out
    assert main(["--lang", "en", "boards", "--supported"]) == 1
    english = capsys.readouterr()
    assert english.out.startswith(
        "supported boards (docs/wiring.md):\n  model    relays  relay kind"
    )
    assert "  1017     8       mechanical (signal)" in english.out
    assert "30 V DC 0.5 A (unchecked)" in english.out
    assert "\nwhat to check:\n" in english.out
    assert english.err == "searching for Phidget relay boards (1.5 s)…\n"


def test_boards_lists_an_attached_board_in_french(
    fake_usb: FakeUsb, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    assert main(["--lang", "fr", "boards"]) == 0
    out = capsys.readouterr().out
    rows = out.splitlines()
    assert rows[0].split() == ["série", "modèle", "carte", "révision", "relais", "connexion"]
    assert rows[2].startswith("à mettre dans delestage.toml : [board] serial = 123456")
    assert english_words(out) == [], out
    assert main(["--lang", "en", "boards"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["serial", "model", "board", "revision", "relays", "connection"]
    assert rows[2].startswith("set it in delestage.toml: [board] serial = 123456")


def test_init_in_french(
    fake_usb: FakeUsb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "site.toml"
    assert main(["--lang", "fr", "init", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == (
        "aucune carte de relais Phidget branchée : board.serial laissé de côté (toute 1017 "
        "conviendra ; `delestage boards` les liste)\n"
        f"{path} écrit : modifiez les voies, puis lancez `delestage check --config {path}`\n"
    )
    fake_usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    assert main(["--lang", "fr", "init", str(path), "--force"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Phidget 1017_2 (série 123456) trouvée : board.serial et board.model remplis\n"
    )
    assert main(["--lang", "en", "init", str(path), "--force"]) == 0
    assert capsys.readouterr().out == (
        "found Phidget 1017_2 serial 123456: board.serial and board.model set\n"
        f"wrote {path}: edit the channels, then run `delestage check --config {path}`\n"
    )


def _test_relays(tmp_path: Path, usb: FakeUsb, reply: str) -> tuple[int, str, str]:
    from tui.adapters.boards.phidget import PhidgetBoard
    from tui.adapters.clock import ManualClock
    from tui.adapters.config_file import load_config
    from tui.frontends.test_relays_cmd import run_test_relays

    config_path = tmp_path / "delestage.toml"
    if not config_path.exists():
        config_path.write_text(phidget_config_text(SERIAL, state_dir=tmp_path / "state"))
    config = load_config(config_path)
    board = PhidgetBoard(config.board, [c.index for c in config.channels], api=usb.api())
    out, err = io.StringIO(), io.StringIO()
    clock = ManualClock(NOW)
    status = run_test_relays(
        str(config_path),
        None,
        False,
        1.5,
        out,
        err,
        answer=lambda prompt: (out.write(prompt), reply)[1],
        board=board,
        clock=clock,
        sleep=clock.advance,
    )
    return status, out.getvalue(), err.getvalue()


@pytest.mark.phidget_lib
def test_test_relays_in_french(usb: FakeUsb, tmp_path: Path) -> None:
    usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    set_language("fr")
    status, out, err = _test_relays(tmp_path, usb, "o")  # "oui" in French
    assert status == 0, (out, err)
    assert err == "ouverture de la carte phidget (jusqu'à 2 s)…\n"
    assert (
        "  relais 0 Chauffe-eau (câblage no) : en ce moment au repos ; excité pendant 1,5 s : "
        "l'appareil devrait être ALIMENTÉ, puis retour\n"
    ) in out
    assert "l'appareil devrait être COUPÉ, puis retour" in out  # channel 3, wired nc
    assert "commuter ces relais maintenant ? [o/N] " in out
    assert (
        "  relais 0 Chauffe-eau : excité, confirmé excité (ok) : l'appareil devrait être ALIMENTÉ\n"
    ) in out
    assert "\n  relais 0 Chauffe-eau : retour au repos, confirmé au repos (ok)\n" in out
    assert out.endswith(
        "2 relais commuté(s) et remis, commandé(s) et confirmé(s) par la bibliothèque\n"
    )
    assert english_words(out + err) == [], out
    status, out, _ = _test_relays(tmp_path, usb, "non")
    assert status == 1 and out.endswith("rien n'a été commuté\n")

    set_language("en")
    status, out, err = _test_relays(tmp_path, usb, "y")
    assert status == 0
    assert err == "opening the phidget board (up to 2 s)…\n"
    assert (
        "  relay 0 Chauffe-eau (wiring no): now released; energised for 1.5 s: the appliance "
        "should be POWERED, then back\n"
    ) in out
    assert out.endswith(
        "2 relay(s) switched and put back, commanded and confirmed by the board's library\n"
    )


def test_test_relays_refusals_in_french(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_path = tmp_path / "delestage.toml"
    config_path.write_text(phidget_config_text(SERIAL, state_dir=tmp_path / "state"))
    command = ["--config", str(config_path), "test-relays"]
    assert main(["--lang", "fr", *command, "--channels", "0,,3"]) == 2
    assert capsys.readouterr().err == (
        "--channels: attendu des numéros ou des noms de voies, trouvé '0,,3'\n"
    )
    assert main(["--lang", "fr", *command, "--board", "garage"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--board: attendu le nom d'une [[board]] (aucune : "), err
    assert main(["--lang", "en", *command, "--channels", "0,,3"]) == 2
    assert capsys.readouterr().err == (
        "--channels: expected channel indexes or names, got '0,,3'\n"
    )


# --- 2. the check lines that were English -----------------------------------------------------

CHECKED = """\
[ecowatt]
source = "file"
file = "signals.json"

[tempo]
source = "file"
file = "tempo.json"

[board]
kind = "simulated"

[meter]
source = "demo"

[service]
state_dir = "state"

[[channel]]
index = 0
name = "Chauffe-eau"
shed_at = "orange"
power = "2.4kW"

[[channel]]
index = 1
name = "Radiateurs"
shed_at = "red"
pilot = { relays = [1, 2] }
"""


@pytest.fixture
def checked(tmp_path: Path) -> Path:
    """A configuration whose every check line says something: a pilot wire, a power above
    the 1017's rating, the demo meter, a forecast file that ended and a Tempo file."""
    import json

    from support.fake_rte import real_body
    from support.policy import levels

    from tui.core.signals import forecast_to_body

    path = tmp_path / "delestage.toml"
    path.write_text(CHECKED, encoding="utf-8")
    body = forecast_to_body(levels("1" * 24 * 4))  # four days from 2026-12-03 (Paris)
    (tmp_path / "signals.json").write_text(json.dumps(body), encoding="utf-8")
    (tmp_path / "tempo.json").write_bytes(real_body("tempo-dtroncy-2023-12-02.json"))
    return path


def test_check_lines_in_french(checked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(checked), "--lang", "fr", "check"]) in (0, 1)
    out = capsys.readouterr().out
    assert "1:Radiateurs (fil pilote, relais 1+2)" in out
    assert "\ncompteur  ok    maison de démo: maison simulée : consommation de fond" in out
    assert (
        "\ncalibre   note  Chauffe-eau (2,4 kW) : un relais de 1017 commute au plus 125 VA en "
        "230 V alternatif : câblez un contacteur et laissez le relais piloter sa bobine\n"
    ) in out
    assert english_words(out) == [], out
    assert main(["--config", str(checked), "--lang", "en", "check"]) in (0, 1)
    english = capsys.readouterr().out
    assert "1:Radiateurs (pilot wire, relays 1+2)" in english
    assert "\nmeter     ok    demo house: simulated house: base load, kettle" in english
    assert (
        "\nrating    note  Chauffe-eau (2.4 kW): a 1017 relay switches at most 125 VA at "
        "230 V AC: wire a contactor and let the relay drive its coil\n"
    ) in english


def test_a_forecast_that_ended_and_the_tempo_file_in_french(checked: Path) -> None:
    """The forecast and tempo lines at a chosen time (no wall clock): a forecast that ended
    fails, said in French."""
    import asyncio

    from tui.adapters.config_file import load_config
    from tui.adapters.sources.check import check_source
    from tui.adapters.tempo.check import check_tempo

    config = load_config(checked)
    later = datetime(2026, 12, 20, 12, tzinfo=UTC)
    lines = {}
    for language in ("fr", "en"):
        set_language(language)
        lines[language] = (
            asyncio.run(check_source(config, checked.parent / "state", later)),
            asyncio.run(check_tempo(config, checked.parent / "state", later)),
        )
    (ok, forecast), (_, tempo) = lines["fr"]
    assert not ok
    assert tempo.endswith(": aujourd'hui pas encore publiée, demain pas encore publiée"), tempo
    assert forecast.endswith(
        " ; ne couvre pas l'instant présent (13:00) : elle a pris fin sam. 05 déc. 00:00"
    )
    assert english_words(forecast.split(": ", 1)[1]) == [], forecast
    (_, english), _tempo = lines["en"]
    assert english.endswith("; does not cover now (13:00): it ended Sat 05 Dec 00:00")


def test_the_mqtt_check_lines_in_french(checked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker connection line and discovery's, the probe itself replaced (no broker)."""
    from tui.adapters.config_file import load_config
    from tui.frontends.mqtt import check

    async def connected(*args: object) -> None:
        return None

    monkeypatch.setattr(check, "_probe", connected)
    checked.write_text(CHECKED + '\n[mqtt]\nurl = "mqtt://localhost:1883"\nusername = "ha"\n')
    config = load_config(checked)
    set_language("fr")
    ok, lines = check.check_mqtt_lines(config, {})
    assert ok
    assert lines[0].startswith("connecté à mqtt://localhost:1883 en tant que ha ; états sous ")
    assert lines[1].startswith("la découverte publiera ")
    set_language("en")
    _ok, english = check.check_mqtt_lines(config, {})
    assert english[0].startswith("connected to mqtt://localhost:1883 as ha; states under ")
    assert english[1].startswith("discovery will publish ")


# --- 3. a TOML syntax error ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "french", "english"),
    [
        (
            "a = 1\nb\n",
            "TOML invalide à la ligne 2, colonne 2 (tomllib : Expected '=' after a key in a "
            "key/value pair)",
            "not valid TOML: Expected '=' after a key in a key/value pair (at line 2, column 2)",
        ),
        (
            "a = [\n",
            "TOML invalide à la fin du fichier (tomllib : Invalid value)",
            "not valid TOML: Invalid value (at end of document)",
        ),
    ],
    ids=["at a line", "at the end"],
)
def test_a_toml_syntax_error_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, french: str, english: str
) -> None:
    """tomllib's own words stay as it wrote them, in a French sentence saying where."""
    path = tmp_path / "delestage.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["--lang", "fr", "check", "--config", str(path)]) == 2
    assert capsys.readouterr().err == f"{path}: {french}\n"
    assert main(["--lang", "en", "check", "--config", str(path)]) == 2
    assert capsys.readouterr().err == f"{path}: {english}\n"


# --- 4. MQTT command refusals -----------------------------------------------------------------

REFUSED = [
    ("3", b"toggle"),
    ("3", b"\xff\xfe"),
    ("3", b"{not json"),
    ("3", b"[1, 2]"),
    ("3", b'{"mode": "forced"}'),
    ("3", b'{"powered": 1}'),
    ("3", b'{"state": "on"}'),
    ("3", b'{"powered": true, "for": "2 hours"}'),
    ("3", b'{"powered": true, "until": "2020-01-01T00:00+01:00"}'),
    ("3", b'{"powered": true, "until": 1700000000}'),
    ("3", b'{"powered": true, "for": "1h", "until": "10:00"}'),
    ("3", b"x" * 5000),
    ("+", b"on"),
]


@pytest.mark.parametrize(("channel", "payload"), REFUSED)
def test_a_refused_mqtt_command_is_said_in_french(channel: str, payload: bytes) -> None:
    from tui.frontends.mqtt.commands import CommandError, parse_command

    said = {}
    for language in ("en", "fr"):
        set_language(language)
        with pytest.raises(CommandError) as error:
            parse_command(channel, payload, NOW)
        said[language] = str(error.value)
    assert said["fr"] != said["en"]
    # The JSON and configuration words the refusal quotes ("for", on, off, auto) are the
    # payload's own; json's own words (Expecting property name) stay as it wrote them.
    french = re.sub(r"\(json : [^)]*\)|\b(on|off|auto|true|false)\b", "", said["fr"])
    assert english_words(french) == [], said["fr"]


async def test_the_error_payload_keeps_its_fields_and_says_why_in_french(tmp_path: Path) -> None:
    """On the bridge (in-memory connector): the refusal's free text follows the language, the
    payload's fields and the topic it names do not."""
    import json

    from support.clock import SteppingClock
    from support.mosquitto import eventually
    from support.mqtt_memory import MemoryConnector
    from support.service import at, make_config, make_controller, running

    from tui.adapters.mqtt.base import Message
    from tui.frontends.mqtt.bridge import MqttBridge
    from tui.frontends.mqtt.topics import Topics

    set_language("fr")
    clock = SteppingClock(at("2026-12-02T07:00:00+01:00"))
    controller, _board = make_controller(make_config(tmp_path / "state"), clock)
    memory = MemoryConnector(clock)
    bridge = MqttBridge(controller, memory, Topics("node"), backoff=(0.05, 0.2), clock=clock)
    base = "delestage/node"
    async with running(controller):
        bridge.start()
        try:
            await eventually(lambda: bridge.connections == 1)
            session = memory.current
            for topic, payload, retain in [
                (f"{base}/channel/3/set", b"toggle", False),
                (f"{base}/channel/9/set", b"off", False),
                (f"{base}/channel/3/set", b"off", True),
                (f"{base}/force_for/set", b"soon", False),
            ]:
                session.inbox.put_nowait(Message(topic, payload, retain))
            await eventually(lambda: len(memory.published(f"{base}/error")) == 4)
        finally:
            await bridge.close()
    errors = [json.loads(p.payload) for p in memory.published(f"{base}/error")]
    assert [list(error) for error in errors] == [["topic", "error"]] * 4
    assert [error["topic"] for error in errors] == [
        f"{base}/channel/3/set",
        f"{base}/channel/9/set",
        f"{base}/channel/3/set",
        f"{base}/force_for/set",
    ]
    assert [error["error"] for error in errors] == [
        '\'toggle\': attendu on, off, auto, {"powered": true|false} avec en option "for" (une '
        'durée) ou "until" (une heure), ou {"mode": "auto"}',
        "voie 9 : non configurée (configurées : 0, 1, 2, 3)",
        "commande retenue ignorée : publiez les commandes sans retain",
        "'soon': attendu default, 30m, 1h, 2h, 4h, 8h, 24h, until released",
    ]


# --- 5. the content errors of forecast and Tempo files ------------------------------------------


def _signals(hour: str) -> str:
    """A signals body of one day whose one hour is ``hour``."""
    return '{"signals": [{"jour": "2026-12-03T00:00:00+01:00", "values": [' + hour + "]}]}"


def _tempo(value: str) -> str:
    """A Tempo calendars body whose one value is ``value``."""
    return '{"tempo_like_calendars": {"values": [' + value + "]}}"


_START = '"start_date": "2026-12-03T00:00:00+01:00"'
BROKEN_FORECASTS = {
    "empty": "",
    "blank": "  \n",
    "html": "<html><title>Bad gateway</title></html>",
    "not json": "{nope",
    "no signals": '{"days": []}',
    "rte error": '{"error": "ECOWATT_COMMON_T05", "error_description": "Internal Server Error"}',
    "signals not array": '{"signals": 3}',
    "day not object": '{"signals": [3]}',
    "no jour": '{"signals": [{"values": []}]}',
    "jour not iso": '{"signals": [{"jour": "demain", "values": []}]}',
    "jour no offset": '{"signals": [{"jour": "2026-12-03T00:00:00", "values": []}]}',
    "jour far": '{"signals": [{"jour": "1900-12-03T00:00:00+01:00", "values": []}]}',
    "jour not midnight": '{"signals": [{"jour": "2026-12-03T06:00:00+01:00", "values": []}]}',
    "values not array": '{"signals": [{"jour": "2026-12-03T00:00:00+01:00", "values": 1}]}',
    "hour not object": _signals("1"),
    "pas": _signals('{"pas": 30, "hvalue": 1}'),
    "hvalue": _signals('{"pas": 3, "hvalue": 7}'),
    "pas 24": _signals('{"pas": 24, "hvalue": 1}'),
}
BROKEN_TEMPO = {
    "no root": '{"calendars": []}',
    "root": '{"tempo_like_calendars": 3}',
    "calendar": '{"tempo_like_calendars": [3]}',
    "values": '{"tempo_like_calendars": {"values": 3}}',
    "value not object": _tempo("3"),
    "start not midnight": _tempo('{"start_date": "2026-12-03T06:00:00+01:00", "value": "RED"}'),
    "colour": _tempo("{" + _START + ', "value": "PINK"}'),
    "end": _tempo("{" + _START + ', "value": "RED", "end_date": "2026-12-05T00:00:00+01:00"}'),
}
NO_TEMPO = CHECKED.replace('[tempo]\nsource = "file"\nfile = "tempo.json"\n\n', "")


def _said(path: Path, option: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    said = {}
    for language in ("en", "fr"):
        assert main(["--lang", language, "plan", option, str(path), "--from", "2026-12-03"]) == 2
        said[language] = capsys.readouterr().err
    return said


@pytest.mark.parametrize("name", list(BROKEN_FORECASTS))
def test_a_broken_forecast_file_is_said_in_french(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "delestage.toml").write_text(NO_TEMPO)
    path = tmp_path / "signals.json"
    path.write_text(BROKEN_FORECASTS[name], encoding="utf-8")
    _french_of(_said(path, "--forecast", capsys), path)


def _french_of(said: dict[str, str], path: Path) -> None:
    """One line each, the same file and field, the French translated (tomllib's and json's
    own words, the body's quoted values and RTE's code aside)."""
    english, french = said["en"], said["fr"]
    assert english.count("\n") == 1 and french.count("\n") == 1, said
    head = english.split(": ")[:2]
    assert french.startswith(": ".join(head) + ": "), said
    assert french != english
    words = re.sub(r"\(json : [^)]*\)|\([^()]*Server Error\)|Bad gateway", "", french)
    assert english_words(words.split(": ", 2)[2]) == [], said


@pytest.mark.parametrize("name", list(BROKEN_TEMPO))
def test_a_broken_tempo_file_is_said_in_french(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.adapters.tempo.file import read_tempo_file

    path = tmp_path / "tempo.json"
    path.write_text(BROKEN_TEMPO[name], encoding="utf-8")
    if name == "end":  # one day refused, the rest of the calendar kept: said in `refused`
        said = {}
        for language in ("en", "fr"):
            set_language(language)
            (said[language],) = read_tempo_file(path).refused
        assert said["fr"] == (
            "tempo_like_calendars.values[0].end_date: attendu la fin du jour qui commence à "
            "2026-12-03T00:00:00+01:00, trouvé '2026-12-05T00:00:00+01:00' : ce jour reste "
            "inconnu"
        )
        assert said["en"].endswith(": that day is left unknown")
        return
    monkeypatch.chdir(tmp_path)
    demo = CHECKED.replace('source = "file"\nfile = "signals.json"', 'source = "demo"', 1)
    (tmp_path / "delestage.toml").write_text(demo)
    _french_of(_said(path, "--tempo", capsys), path)


# --- 6. other English lines found running every command in French ---------------------------


@pytest.mark.parametrize(
    ("argv", "french", "english"),
    [
        (
            ["history", "--from", "bogus"],
            "--from: attendu une date comme 2026-12-01 (AAAA-MM-JJ, un jour qui existe), "
            "trouvé 'bogus'",
            "--from: expected a date such as 2026-12-01 (YYYY-MM-DD, a day that exists), "
            "got 'bogus'",
        ),
        (
            ["history", "--from", "2026-12-05", "--to", "2026-12-01"],
            "--from: 2026-12-05 est après --to 2026-12-01 ; attendu --from ≤ --to",
            "--from: 2026-12-05 is after --to 2026-12-01; expected --from ≤ --to",
        ),
        (
            ["history", "--from", "2016-01-01", "--to", "2026-12-01"],
            "--from/--to: 3988 jours du 2016-01-01 au 2026-12-01 ; attendu 400 jours au plus",
            "--from/--to: 3988 days from 2016-01-01 to 2026-12-01; expected at most 400 days",
        ),
        (
            ["force", "Chauffe-eau", "eco"],
            "STATE: Chauffe-eau n'est pas une voie fil pilote ni SG-Ready ; attendu on ou off, "
            "trouvé 'eco'",
            "STATE: Chauffe-eau is not a pilot-wire or SG-Ready channel; expected on or off, "
            "got 'eco'",
        ),
        (
            ["plan", "--hours", "0"],
            "--hours: attendu un nombre d'heures positif (8784 au plus), trouvé '0'",
            "--hours: expected a positive number of hours (at most 8784), got '0'",
        ),
    ],
)
def test_history_and_plan_arguments_in_french(
    checked: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    french: str,
    english: str,
) -> None:
    for language, said in (("fr", french), ("en", english)):
        assert main(["--config", str(checked), "--lang", language, *argv]) == 2
        assert capsys.readouterr().err == said + "\n"


def test_the_plans_tempo_line_and_a_saved_state_note_in_french(
    checked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import timedelta

    from tui.core.config import config_from_dict
    from tui.core.policy import RelayHistory
    from tui.core.state_vetting import vet_saved_state

    command = ["--config", str(checked), "plan", "--from", "2026-12-03T06:00", "--hours", "3"]
    command += ["--tempo", str(checked.parent / "tempo.json")]
    assert main(["--lang", "fr", *command]) == 0
    assert "\nTempo : jeu. 03 pas encore publiée\n" in capsys.readouterr().out
    assert main(["--lang", "en", *command]) == 0
    assert "\nTempo: Thu 03 not published yet\n" in capsys.readouterr().out

    import tomllib

    config = config_from_dict(tomllib.loads(CHECKED))
    later = {0: RelayHistory(last_on=NOW + timedelta(hours=1))}
    notes = {}
    for language in ("fr", "en"):
        set_language(language)
        (notes[language],) = vet_saved_state(config.channels, {}, later, None, NOW).notes
    assert notes["fr"] == (
        "state.json: heures de commutation ou débuts de consigne après maintenant (la dernière "
        "2026-12-02T16:00:00+01:00 ; l'horloge avançait quand elles ont été enregistrées, ou "
        "elle a reculé depuis) : prises comme maintenant pour Chauffe-eau"
    )
    assert notes["en"].startswith("state.json: switch times or override starts after now")


async def test_status_says_the_meter_and_the_log_the_tempo_calendar_in_french(
    tmp_path: Path,
) -> None:
    from support.meter import ScriptedMeter
    from support.service import make_config, make_controller, running

    from tui.adapters.clock import ManualClock
    from tui.core.meter_config import MeterConfig, OnOverrun
    from tui.frontends.control_cmds import render_status

    config = make_config(tmp_path / "state")
    config = replace(config, meter=MeterConfig(limit=9000, on_overrun=OnOverrun.MODEL))
    clock = ManualClock(NOW)
    meter = ScriptedMeter()
    set_language("fr")
    controller, _board = make_controller(config, clock, meter_source=meter)
    async with running(controller):
        meter.put(clock.now(), 4200)
        await controller.settle()
        snapshot = await controller.snapshot()
    assert "\ncompteur : tic on /dev/ttyTEST, ok, 4,2 / 9 kVA" in render_status(snapshot)


# --- at 80 columns ------------------------------------------------------------------------------


def _wider(english: str, french: str) -> list[str]:
    """The French lines past 80 columns whose English line was not."""
    english_lines, french_lines = english.splitlines(), french.splitlines()
    assert len(english_lines) == len(french_lines), (english, french)
    return [
        f"{len(b)}: {b}"
        for a, b in zip(english_lines, french_lines, strict=True)
        if len(a) <= 80 < len(b)
    ]


@pytest.mark.phidget_lib
def test_the_french_lines_fit_where_the_english_did(
    usb: FakeUsb,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    usb.plug(FakeBoard(SERIAL, revision="1017_2"))
    said = {}
    for language in ("en", "fr"):
        set_language(language)
        said[language] = _test_relays(tmp_path, usb, "y")[1]
    assert _wider(said["en"], said["fr"]) == []
    search = boards_cmd.list_relay_boards
    monkeypatch.setattr(boards_cmd, "load_phidget22", usb.api)
    monkeypatch.setattr(
        boards_cmd, "list_relay_boards", lambda wait, api=None: search(0, usb.api())
    )
    for argv in (["boards"], ["init", str(tmp_path / "new.toml"), "--force"]):
        for language in ("en", "fr"):
            main(["--lang", language, *argv])
            said[language] = capsys.readouterr().out
        assert _wider(said["en"], said["fr"]) == [], argv


def test_missing_ecowatt_credentials_in_french(checked: Path) -> None:
    """check's forecast line with live RTE and no credentials (our words, not RTE's)."""
    from tui.adapters.config_file import load_config
    from tui.adapters.rte.credentials import CredentialsError, load_credentials

    checked.write_text(CHECKED.replace('source = "file"\nfile = "signals.json"', 'source = "rte"'))
    config = load_config(checked)
    said = {}
    for language, environ in (("fr", {}), ("en", {}), ("fr", {"ECOWATT_CLIENT_ID": "a:b:c"})):
        set_language(language)
        with pytest.raises(CredentialsError) as error:
            load_credentials(config, environ)
        said[language, bool(environ)] = str(error.value)
    assert said["fr", False] == (
        "pas d'identifiants Ecowatt : définissez ECOWATT_CLIENT_ID et ECOWATT_CLIENT_SECRET, ou "
        f"[ecowatt] credentials_file dans {checked}"
    )
    assert said["en", False].startswith("no Ecowatt credentials: set ECOWATT_CLIENT_ID and ")
    assert said["fr", True] == (
        "ECOWATT_CLIENT_SECRET n'est pas définie (l'autre variable Ecowatt l'est)"
    )


async def test_a_service_that_is_not_there_and_the_mqtt_line_in_french(tmp_path: Path) -> None:
    from tui.service.remote import RemoteController, ServiceUnavailable
    from tui.service.snapshot import MqttView

    said = {}
    for language in ("fr", "en"):
        set_language(language)
        with pytest.raises(ServiceUnavailable) as error:
            await RemoteController(tmp_path / "control.sock").snapshot()
        said[language] = str(error.value), MqttView("disconnected", "mqtt://nas:1883", "refusé")
    assert said["fr"][0] == (
        f"aucun service delestage ne tourne (rien ne répond sur {tmp_path / 'control.sock'})"
    )
    assert said["en"][0].startswith("no delestage service is running (nothing answers on ")
    set_language("fr")
    assert said["fr"][1].describe() == "DÉCONNECTÉ de mqtt://nas:1883 : refusé"
    set_language("en")
    assert said["en"][1].describe() == "DISCONNECTED from mqtt://nas:1883: refusé"
