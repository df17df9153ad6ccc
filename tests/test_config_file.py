"""Finding, reading and writing delestage.toml, and `delestage init`."""

import io
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from tui.adapters import user_files
from tui.adapters.config_file import (
    candidate_paths,
    find_config,
    load_config,
    render_config,
    write_config,
)
from tui.core.config import Config, config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.frontends.init import run_init, starter_config, starter_text

SHIPPED = Path(__file__).resolve().parent.parent / "delestage.toml"
VALID = 'board.kind = "simulated"\n\n[[channel]]\nindex = 0\nname = "A"\nshed_at = "red"\n'


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    """A config file in each place discovery looks, all different, none yet written."""
    places = {
        "explicit": tmp_path / "given" / "mine.toml",
        "environment": tmp_path / "env" / "from-env.toml",
        "cwd": tmp_path / "work" / "delestage.toml",
        "home": tmp_path / "home" / ".config" / "delestage" / "delestage.toml",
    }
    for path in places.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    return places


def _find(places: dict[str, Path], explicit: bool = True, environment: bool = True) -> Path:
    return find_config(
        str(places["explicit"]) if explicit else None,
        {"DELESTAGE_CONFIG": str(places["environment"])} if environment else {},
        cwd=places["cwd"].parent,
        home=places["home"].parents[2],
    )


# --- discovery --------------------------------------------------------------------------------


def test_candidate_paths_in_the_documented_order(tmp_path: Path) -> None:
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    assert candidate_paths("x.toml", {"DELESTAGE_CONFIG": "y.toml"}, cwd, home) == [
        (Path("x.toml"), "--config")
    ]
    assert candidate_paths(None, {"DELESTAGE_CONFIG": "y.toml"}, cwd, home) == [
        (Path("y.toml"), "$DELESTAGE_CONFIG")
    ]
    assert [path for path, _ in candidate_paths(None, {}, cwd, home)] == [
        cwd / "delestage.toml",
        home / ".config" / "delestage" / "delestage.toml",
    ]


def test_discovery_order_explicit_then_environment_then_cwd_then_home(
    places: dict[str, Path],
) -> None:
    for path in places.values():
        path.write_text(VALID)
    assert _find(places) == places["explicit"]
    assert _find(places, explicit=False) == places["environment"]
    assert _find(places, explicit=False, environment=False) == places["cwd"]
    places["cwd"].unlink()
    assert _find(places, explicit=False, environment=False) == places["home"]


def test_an_empty_environment_variable_counts_as_unset(places: dict[str, Path]) -> None:
    places["cwd"].write_text(VALID)
    found = find_config(None, {"DELESTAGE_CONFIG": ""}, places["cwd"].parent, places["home"])
    assert found == places["cwd"]


def test_a_missing_explicit_file_is_an_error_not_a_fallback(places: dict[str, Path]) -> None:
    places["environment"].write_text(VALID)
    places["cwd"].write_text(VALID)
    places["home"].write_text(VALID)
    with pytest.raises(InputError) as raised:
        _find(places)
    assert raised.value.problems == [
        f"{places['explicit']}: no such configuration file (given by --config)"
    ]


def test_a_missing_environment_file_is_an_error_not_a_fallback(places: dict[str, Path]) -> None:
    places["cwd"].write_text(VALID)
    with pytest.raises(InputError) as raised:
        _find(places, explicit=False)
    assert raised.value.problems == [
        f"{places['environment']}: no such configuration file (given by $DELESTAGE_CONFIG)"
    ]


def test_nothing_found_says_where_it_looked_and_what_to_do(places: dict[str, Path]) -> None:
    with pytest.raises(InputError) as raised:
        _find(places, explicit=False, environment=False)
    (line,) = raised.value.problems
    assert str(places["cwd"]) in line
    assert str(places["home"]) in line
    assert "delestage init" in line
    assert "--config" in line


def test_a_directory_given_explicitly_is_reported_as_one(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_config(find_config(str(tmp_path), {}, tmp_path, tmp_path))
    assert raised.value.problems == [f"{tmp_path}: is a directory, expected a configuration file"]


def test_a_path_the_file_system_cannot_take_is_one_line(tmp_path: Path) -> None:
    too_long = tmp_path / ("a" * 300)
    with pytest.raises(InputError) as raised:
        find_config(str(too_long), {}, tmp_path, tmp_path)
    assert raised.value.problems == [f"{too_long}: cannot use this path (File name too long)"]


def test_discovery_uses_the_process_environment_by_default(
    places: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    places["environment"].write_text(VALID)
    monkeypatch.setenv("DELESTAGE_CONFIG", str(places["environment"]))
    assert find_config() == places["environment"]
    monkeypatch.delenv("DELESTAGE_CONFIG")
    monkeypatch.chdir(places["cwd"].parent)
    places["cwd"].write_text(VALID)
    assert find_config().resolve() == places["cwd"].resolve()


# --- reading ----------------------------------------------------------------------------------


def test_load_config_reads_and_remembers_the_path(tmp_path: Path) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text(VALID)
    config = load_config(path)
    assert config.path == str(path)
    assert config.channels[0].name == "A"


def test_invalid_toml_is_one_line_with_the_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[board]\nkind = "simulated\n')
    with pytest.raises(InputError) as raised:
        load_config(path)
    (line,) = raised.value.problems
    assert line.startswith(f"{path}: not valid TOML: ")
    assert "line 2" in line


def test_a_duplicate_toml_key_is_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "twice.toml"
    path.write_text(VALID + 'name = "B"\n')
    with pytest.raises(InputError) as raised:
        load_config(path)
    assert raised.value.problems[0].startswith(f"{path}: not valid TOML: ")


def test_non_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[[channel]]\nname = "Sèche-linge"\n'.encode("latin-1"))
    with pytest.raises(InputError) as raised:
        load_config(path)
    (line,) = raised.value.problems
    assert line.startswith(f"{path}: not valid TOML")


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_config(tmp_path / "nope.toml")
    assert raised.value.problems == [f"{tmp_path / 'nope.toml'}: no such configuration file"]


def test_an_unreadable_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod 0 would not stop root, so the refusal is simulated where the module opens the file.
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(user_files.os, "open", refuse)
    path = tmp_path / "secret.toml"
    with pytest.raises(InputError) as raised:
        load_config(path)
    assert raised.value.problems == [f"{path}: cannot read the file (permission denied)"]


def test_validation_problems_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text(VALID.replace('"red"', '"blue"') + "[policy]\nlead = 'soon'\n")
    with pytest.raises(InputError) as raised:
        load_config(path)
    assert len(raised.value.problems) == 2
    assert all(line.startswith(f"{path}: ") for line in raised.value.problems)


def test_the_shipped_file_loads() -> None:
    """The demo house: seven channels on the 1017's eight relays, each relay driven once (the
    bedroom radiators' pilot wire takes two, relays 2 and 6)."""
    config = load_config(SHIPPED)
    assert len(config.channels) == 7
    relays = [relay for channel in config.channels for relay in channel.relays]
    assert sorted(relays) == list(range(8))
    assert [c.relays for c in config.channels if c.pilot is not None] == [(2, 6)]


# --- writing and init -------------------------------------------------------------------------


@pytest.mark.phidget_lib
def test_what_init_writes_loads_back_to_an_equal_config(tmp_path: Path) -> None:
    path = tmp_path / "delestage.toml"
    out = io.StringIO()
    assert run_init(str(path), False, out) == 0
    loaded = load_config(path)
    assert loaded == starter_config()
    assert config_to_dict(loaded) == config_to_dict(starter_config())
    assert str(path) in out.getvalue()


def test_the_starter_config_is_for_a_real_installation() -> None:
    config = starter_config()
    assert config.ecowatt.source.value == "rte"
    assert config.board.kind.value == "phidget"
    assert starter_config(serial=4242).board.serial == 4242


def test_the_starters_tempo_power_and_mqtt_hints_work_once_uncommented() -> None:
    # Issue 21, item 13: the next steps of going live are in the file, commented.
    text = starter_text()
    for hint in ("# [tempo]", "# [mqtt]", '# power = "', '# shed_tempo = ["red"', "mqtt-password"):
        assert hint in text
    assert starter_config().tempo is None and starter_config().mqtt is None
    uncommented = "\n".join(
        line[2:]
        if line.startswith(("# [tempo]", "# source", "# [mqtt]", "# url", "# power =", "# shed_"))
        else line
        for line in text.splitlines()
    )
    config = config_from_dict(tomllib.loads(uncommented))
    assert config.tempo is not None and config.mqtt is not None
    assert config.mqtt.url == "mqtt://localhost:1883"
    assert all(channel.power is not None for channel in config.channels)
    assert [channel.shed_tempo for channel in config.channels][1:] != [(), ()]


def test_write_config_round_trips_the_shipped_config(tmp_path: Path) -> None:
    shipped = load_config(SHIPPED)
    path = tmp_path / "copy.toml"
    write_config(path, shipped)
    assert load_config(path) == shipped
    assert tomllib.loads(path.read_text(encoding="utf-8"))["ecowatt"]["source"] == "demo"


@pytest.mark.phidget_lib
def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text("# my own config\n")
    with pytest.raises(InputError) as raised:
        run_init(str(path), False, io.StringIO())
    assert raised.value.problems == [f"{path}: already exists; use --force to overwrite it"]
    assert path.read_text() == "# my own config\n"

    assert run_init(str(path), True, io.StringIO()) == 0
    assert load_config(path) == starter_config()


def test_write_config_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "delestage" / "delestage.toml"
    write_config(path, starter_config())
    assert load_config(path) == starter_config()


def test_write_config_failure_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        write_config(tmp_path, starter_config(), force=True)
    (line,) = raised.value.problems
    assert line.startswith(f"{tmp_path}: cannot write the file")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError) as raised:
        write_config(blocker / "delestage.toml", starter_config())
    assert raised.value.problems[0].startswith(f"{blocker / 'delestage.toml'}: cannot write")


def test_render_config_is_plain_toml(tmp_path: Path) -> None:
    config: Config = starter_config()
    document = tomllib.loads(render_config(config).decode())
    assert [channel["index"] for channel in document["channel"]] == [
        channel.index for channel in config.channels
    ]


def test_what_the_shipped_file_says_of_bare_numbers_is_true(tmp_path: Path) -> None:
    # Issue 21, item 14: the comment once said "a bare integer means seconds"; bare numbers are
    # refused (0 excepted), and the shipped file and the starter say so.
    from tui.core.durations import parse_duration
    from tui.core.errors import InputError

    for text in (SHIPPED.read_text(encoding="utf-8"), starter_text()):
        assert "bare integer means seconds" not in text
    assert "a bare number other than 0 is\n# refused" in SHIPPED.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="bare number"):
        parse_duration(90)
    assert parse_duration(0).total_seconds() == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(SHIPPED.read_text(encoding="utf-8").replace('lead = "15m"', "lead = 900"))
    with pytest.raises(InputError, match=r"policy\.lead"):
        load_config(bad)


def test_the_shipped_heat_pump_example_is_valid_once_uncommented() -> None:
    """The demo's board has no two relays left for a heat pump: its SG-Ready example is
    commented, and takes the place of the Sèche-linge and the Borne VE (relays 3 and 4)."""
    text = SHIPPED.read_text(encoding="utf-8")
    lines = text.splitlines()
    first = lines.index("# [[channel]]")
    last = next(i for i, line in enumerate(lines) if line.startswith("# sg_ready = {"))
    block = "\n".join(line[2:] for line in lines[first : last + 1])
    document = tomllib.loads(text)
    assert [channel["index"] for channel in document["channel"]] == [0, 1, 2, 3, 4, 5, 7]
    document["channel"] = [ch for ch in document["channel"] if ch["index"] not in (3, 4)]
    document["channel"] += tomllib.loads(block)["channel"]
    config = config_from_dict(document, "delestage.toml")
    pump = config.channel(3)
    sg = pump.pilot
    assert pump.name == "Pompe à chaleur" and sg is not None and sg.kind.value == "sg-ready"
    assert sg.relays == (3, 4) and pump.relays == (3, 4)
    assert (sg.max_blocked, sg.blocked_rest) == (timedelta(hours=2), timedelta(hours=2))
    # The shipped file as it is: no heat pump, and it loads.
    assert all(channel.pilot is None or channel.pilot.kind.value == "pilot"
               for channel in load_config(SHIPPED).channels)  # fmt: skip
