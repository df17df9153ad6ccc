"""Every path in the configuration is relative to the configuration file's folder (core.paths).

One test per path-valued key: the configuration lives in its own folder, is loaded while the
current directory is elsewhere, and the adapter that opens the file finds it next to the
configuration. Then the pure rule itself: ``~``, absolute paths, ``~user``.
"""

import dataclasses
import os
import typing
from pathlib import Path

import pytest

from tui.adapters.config_file import config_relative, load_config
from tui.adapters.mqtt.client import read_password
from tui.adapters.rte.credentials import load_credentials
from tui.adapters.sources.factory import make_source
from tui.adapters.sources.file import FileSource
from tui.adapters.state_dir import resolve_state_dir
from tui.adapters.tempo.factory import make_tempo_source
from tui.compose.mqtt import connector_for
from tui.core.config import Config
from tui.core.paths import PATH_KEYS, expand_home, resolve_config_paths, resolve_path

CHANNEL = '[[channel]]\nindex = 0\nname = "x"\nshed_at = "orange"\n'


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(the configuration's folder, the current directory: another folder)."""
    conf, elsewhere = tmp_path / "conf", tmp_path / "elsewhere"
    conf.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return conf, elsewhere


def write_config(conf: Path, text: str) -> Path:
    path = conf / "delestage.toml"
    path.write_text(text + "\n" + CHANNEL, encoding="utf-8")
    return path


def private(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_state_dir_is_relative_to_the_config_folder(folders: tuple[Path, Path]) -> None:
    conf, elsewhere = folders
    config = load_config(write_config(conf, '[service]\nstate_dir = "state"'))
    assert resolve_state_dir(config, {}) == conf / "state"
    assert not (elsewhere / "state").exists()


def test_ecowatt_file_is_relative_to_the_config_folder(folders: tuple[Path, Path]) -> None:
    conf, _ = folders
    config = load_config(write_config(conf, '[ecowatt]\nsource = "file"\nfile = "signals.json"'))
    source = make_source(config, conf / "state", environ={})
    assert isinstance(source, FileSource) and source.path == conf / "signals.json"


def test_ecowatt_credentials_file_is_relative_to_the_config_folder(
    folders: tuple[Path, Path],
) -> None:
    conf, _ = folders
    creds = private(conf / "creds", "id:secret\n")
    config = load_config(write_config(conf, '[ecowatt]\ncredentials_file = "creds"'))
    assert load_credentials(config, {}).origin == str(creds)


def test_tempo_file_is_relative_to_the_config_folder(folders: tuple[Path, Path]) -> None:
    conf, _ = folders
    config = load_config(write_config(conf, '[tempo]\nsource = "file"\nfile = "tempo.json"'))
    source = make_tempo_source(config, conf / "state", environ={})
    assert isinstance(source, FileSource) and source.path == conf / "tempo.json"


def test_mqtt_password_file_is_relative_to_the_config_folder(folders: tuple[Path, Path]) -> None:
    conf, _ = folders
    secret = private(conf / "mqtt-password", "pw\n")
    config = load_config(write_config(conf, '[mqtt]\npassword_file = "mqtt-password"'))
    assert config.mqtt is not None
    assert read_password(config.mqtt, {}) == ("pw", str(secret))  # no folder needed any more
    assert read_password(config.mqtt, {}, Path(config.path).parent) == ("pw", str(secret))


def test_mqtt_ca_file_is_relative_to_the_config_folder(folders: tuple[Path, Path]) -> None:
    conf, _ = folders
    text = '[mqtt]\nurl = "mqtts://broker.test:8883"\nca_file = "ca.pem"'
    config = load_config(write_config(conf, text))
    assert config.mqtt is not None
    connector = connector_for(config.mqtt, config.path, "delestage-test", {})
    assert connector._ca_file == str(conf / "ca.pem")


def test_a_config_named_relative_to_the_current_directory_still_resolves_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    write_config(conf, '[service]\nstate_dir = "state"')
    monkeypatch.chdir(tmp_path)
    config = load_config("conf/delestage.toml")
    assert config.path == "conf/delestage.toml"  # kept as given, for messages
    monkeypatch.chdir(conf)  # a later change of directory does not move the state
    assert resolve_state_dir(config, {}) == conf / "state"


def test_tilde_is_the_given_home_and_absolute_paths_stay(folders: tuple[Path, Path]) -> None:
    conf, _ = folders
    text = (
        '[service]\nstate_dir = "~/state"\n'
        '[ecowatt]\nsource = "file"\nfile = "/srv/signals.json"\ncredentials_file = "~"'
    )
    config = load_config(write_config(conf, text), home="/home/op")
    assert config.service.state_dir == "/home/op/state"
    assert config.ecowatt.file == "/srv/signals.json"
    assert config.ecowatt.credentials_file == "/home/op"


def test_every_path_key_of_the_model_is_resolved() -> None:
    """A new ``*_file`` or ``*_dir`` key (the meter's device, say) must join PATH_KEYS."""
    pathlike = set()
    for section, hint in typing.get_type_hints(Config).items():
        for kind in (hint, *typing.get_args(hint)):  # TempoConfig | None: the TempoConfig
            if dataclasses.is_dataclass(kind):
                pathlike |= {
                    (section, field.name)
                    for field in dataclasses.fields(kind)
                    if field.name == "file" or field.name.endswith(("_file", "_dir"))
                }
    assert pathlike == set(PATH_KEYS)


# --- the rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("state", "/etc/delestage/state"),
        ("sub/dir", "/etc/delestage/sub/dir"),
        ("../shared", "/etc/delestage/../shared"),  # not normalised: symlinks stay meaningful
        ("/var/lib/delestage", "/var/lib/delestage"),
        ("~", "/home/op"),
        ("~/state", "/home/op/state"),
        ("~bob/state", "/etc/delestage/~bob/state"),  # another user's home is not looked up
    ],
)
def test_resolve_path(value: str, expected: str) -> None:
    assert resolve_path(value, "/etc/delestage", "/home/op") == expected


def test_without_a_home_tilde_stays_as_written() -> None:
    assert expand_home("~/x", None) == "~/x"
    assert resolve_path("x", "", "/home/op") == "x"  # no folder: the current directory


def test_resolve_config_paths_leaves_unset_keys_and_absent_sections_alone() -> None:
    config = Config(channels=(), path="/etc/delestage/delestage.toml")
    assert config.tempo is None and config.mqtt is None
    assert resolve_config_paths(config, "/home/op") == config
    assert config_relative(config, "x", {"HOME": "/home/op"}) == Path("/etc/delestage/x")
    assert os.sep == "/"  # the rule is POSIX paths, as the service runs on Linux
