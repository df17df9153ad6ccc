"""Credentials: environment or owner-only file, id:secret or Base64, never shown."""

import base64
import os
from pathlib import Path

import pytest

from tui.adapters.rte.credentials import (
    Credentials,
    CredentialsError,
    load_credentials,
    parse_credentials,
)
from tui.core.config import ChannelConfig, Config, EcowattConfig, ShedAt
from tui.core.errors import InputError

CLIENT_ID = "3f0e5c1a-9b7d-4c2e-8a61-0d5b2c7e9f14"
SECRET = "b8c4d2e6-1a3f-4e5d-9c7b-6a2f8e0d4c13"
BASIC = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()


def config(tmp_path: Path, credentials_file: str | None = None) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="x", shed_at=ShedAt.ORANGE),),
        ecowatt=EcowattConfig(credentials_file=credentials_file),
        path=str(tmp_path / "delestage.toml"),
    )


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_environment_base64_form_in_the_id_variable() -> None:
    credentials = load_credentials(config(Path("/nonexistent")), {"ECOWATT_CLIENT_ID": BASIC})
    assert credentials.authorization() == f"Basic {BASIC}"


def test_environment_pair() -> None:
    environ = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": f" {SECRET}\n"}
    credentials = load_credentials(config(Path("/nonexistent")), environ)
    assert credentials.authorization() == f"Basic {BASIC}"
    assert credentials.origin == "the environment"


@pytest.mark.parametrize(
    "text",
    [f"{CLIENT_ID}:{SECRET}", f"{CLIENT_ID}:{SECRET}\n", BASIC, f"{BASIC}\n", f"Basic {BASIC}"],
)
def test_file_holds_id_secret_or_the_base64_form(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "credentials", text)
    credentials = load_credentials(config(tmp_path, str(path)), {})
    assert credentials.authorization() == f"Basic {BASIC}"
    assert credentials.origin == str(path)


def test_the_file_wins_over_the_environment_and_relative_paths_follow_the_config(
    tmp_path: Path,
) -> None:
    write(tmp_path / "creds", f"{CLIENT_ID}:{SECRET}")
    environ = {"ECOWATT_CLIENT_ID": "other", "ECOWATT_CLIENT_SECRET": "other"}
    credentials = load_credentials(config(tmp_path, "creds"), environ)
    assert credentials.authorization() == f"Basic {BASIC}"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o700 | 0o004])
def test_a_file_others_can_read_is_refused_like_ssh_does(tmp_path: Path, mode: int) -> None:
    path = write(tmp_path / "credentials", f"{CLIENT_ID}:{SECRET}", mode)
    with pytest.raises(CredentialsError) as raised:
        load_credentials(config(tmp_path, str(path)), {})
    (line,) = raised.value.problems
    assert str(path) in line
    assert f"chmod 600 {path}" in line
    assert SECRET not in line


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "set ECOWATT_CLIENT_ID and ECOWATT_CLIENT_SECRET"),
        ({"ECOWATT_CLIENT_ID": CLIENT_ID}, "ECOWATT_CLIENT_SECRET is not set"),
        ({"ECOWATT_CLIENT_SECRET": SECRET, "ECOWATT_CLIENT_ID": " "}, "ECOWATT_CLIENT_ID is not"),
    ],
)
def test_missing_environment_says_what_to_set(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(CredentialsError) as raised:
        load_credentials(config(tmp_path), environ)
    assert isinstance(raised.value, InputError)
    assert expected in str(raised.value)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "text",
    ["", "just-one-word-secret", f"{CLIENT_ID}:", f":{SECRET}", "line one\nline two", "Basic !!!"],
)
def test_unusable_file_content_is_refused_without_echoing_it(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "credentials", text)
    with pytest.raises(CredentialsError) as raised:
        load_credentials(config(tmp_path, str(path)), {})
    message = str(raised.value)
    assert str(path) in message
    for part in ("just-one-word-secret", SECRET, "line two"):
        assert part not in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="no such credentials file"):
        load_credentials(config(tmp_path, "absent"), {})


def test_repr_and_str_hide_the_secret() -> None:
    credentials = parse_credentials(f"{CLIENT_ID}:{SECRET}", "the environment")
    for text in (repr(credentials), str(credentials), f"{credentials}"):
        assert SECRET not in text
        assert BASIC not in text
    assert not hasattr(credentials, "__dict__")  # no vars() dump either


def test_from_pair_equals_the_portal_base64() -> None:
    assert Credentials.from_pair(CLIENT_ID, SECRET, "x").authorization() == f"Basic {BASIC}"
