"""The `delestage` command line, run as a user runs it: the console script in a subprocess."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.real_phidget import absent_serial

from tui.frontends.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "delestage.toml"
SCRIPT = Path(sys.executable).parent / "delestage"

BROKEN = """\
[ecowatt]
source = "live"

[board]
kind = "simulated"
failsafe = "100ms"

[[channel]]
index = 0
name = "Chauffe-eau"
shed_a = "orange"

[[channel]]
index = 0
name = "Radiateurs"
shed_at = "purple"
"""
BROKEN_KEYS = [
    "ecowatt.source",
    "channel[0].shed_a",
    "channel[0].shed_at",
    "channel[1].shed_at",
    "channel[1].index",
    "board.failsafe",
]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def run(
    *args: str,
    cwd: Path,
    home: Path,
    environ: dict[str, str] | None = None,
    module: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run delestage with no config in the environment or the home folder unless given."""
    env = {key: value for key, value in os.environ.items() if key != "DELESTAGE_CONFIG"}
    env.update(HOME=str(home), NO_COLOR="1", **(environ or {}))
    command = [sys.executable, "-m", "tui"] if module else [str(SCRIPT)]
    return subprocess.run(
        [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], lines: int | None = 1) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    if lines is not None:
        assert len(result.stderr.splitlines()) == lines, result.stderr


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), "pip install the project so that `delestage` is on PATH"


# --- check ------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [False, True], ids=["delestage", "python -m tui"])
def test_check_accepts_the_shipped_file(home: Path, module: bool) -> None:
    result = run("check", "--config", "delestage.toml", cwd=ROOT, home=home, module=module)
    assert result.returncode == 0, result.stderr
    assert "delestage.toml" in result.stdout
    assert "7 channel" in result.stdout  # on 8 relays: a pilot-wire radiator drives two
    assert "2:Radiateurs chambres (pilot wire, relays 2+6)" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_broken_config_lists_every_problem_and_exits_2(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN)
    result = run("check", "--config", str(path), cwd=tmp_path, home=home)
    assert_clean_failure(result, lines=len(BROKEN_KEYS))
    for key_path in BROKEN_KEYS:
        assert f"{path}: {key_path}: " in result.stderr, key_path
    assert "did you mean `shed_at`?" in result.stderr
    assert all(line.startswith(f"{path}: ") for line in result.stderr.splitlines())


def test_invalid_toml_exits_2_with_one_line(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text("[board\n")
    result = run("check", cwd=tmp_path, home=home)
    assert_clean_failure(result)
    assert result.stderr.startswith(f"{path}: not valid TOML")


@pytest.mark.parametrize("char", ["\u202e", "\u2028"])
def test_check_refuses_a_bidi_or_separator_in_a_name_with_one_line(
    tmp_path: Path, home: Path, char: str
) -> None:
    path = tmp_path / "delestage.toml"
    path.write_text(
        f'[board]\nkind = "simulated"\n\n[[channel]]\nindex = 0\nname = "Borne{char}VE"\n'
        'shed_at = "red"\n',
        encoding="utf-8",
    )
    result = run("check", "--config", str(path), cwd=tmp_path, home=home)
    assert_clean_failure(result)
    assert result.stderr.startswith(f"{path}: channel[0].name: expected a name without control")
    assert f"U+{ord(char):04X}" in result.stderr
    assert char not in result.stderr


def test_no_config_anywhere_exits_2_with_one_line(tmp_path: Path, home: Path) -> None:
    result = run("check", cwd=tmp_path, home=home)
    assert_clean_failure(result)
    assert "delestage init" in result.stderr


def test_a_missing_explicit_config_exits_2(tmp_path: Path, home: Path) -> None:
    result = run("check", "--config", "nope.toml", cwd=tmp_path, home=home)
    assert_clean_failure(result)
    assert result.stderr.startswith("nope.toml: no such configuration file")


def test_a_path_too_long_exits_2(tmp_path: Path, home: Path) -> None:
    assert_clean_failure(run("check", "--config", "a" * 300, cwd=tmp_path, home=home))


@pytest.mark.parametrize("where", ["option", "environment", "cwd", "home"])
def test_check_finds_the_config_where_discovery_says(
    tmp_path: Path, home: Path, where: str
) -> None:
    # The good file sits at `where`; every place that comes after it holds a broken one, so
    # picking any of those fails the check.
    work = tmp_path / "work"
    places = {
        "option": tmp_path / "option.toml",
        "environment": tmp_path / "env.toml",
        "cwd": work / "delestage.toml",
        "home": home / ".config" / "delestage" / "delestage.toml",
    }
    order = list(places)
    for name, path in places.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if order.index(name) > order.index(where):
            path.write_text("this is not TOML")
    places[where].write_bytes(SHIPPED.read_bytes())
    args = ["check", "--config", str(places["option"])] if where == "option" else ["check"]
    environ = {"DELESTAGE_CONFIG": str(places["environment"])} if where != "cwd" else {}
    if where == "home":
        environ = {}
    result = run(*args, cwd=work, home=home, environ=environ)
    assert result.returncode == 0, result.stderr
    assert places[where].name in result.stdout


def test_the_top_level_config_option_works_before_the_command(home: Path) -> None:
    result = run("--config", str(SHIPPED), "check", cwd=home, home=home)
    assert result.returncode == 0, result.stderr


# --- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["--bogus"],
        ["check", "--bogus"],
        ["check", "--config"],
        ["init", "a.toml", "b.toml"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, home: Path, args: list[str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = run(*args, cwd=work, home=home)
    assert_clean_failure(result)
    assert result.stderr.startswith("delestage")
    assert "--help" in result.stderr
    assert list(work.iterdir()) == []  # nothing written on a bad command line


def _commands() -> list[str]:
    parser = build_parser()
    (subparsers,) = (
        action for action in parser._actions if action.__class__.__name__ == "_SubParsersAction"
    )
    return sorted(subparsers.choices)  # type: ignore[arg-type]


def test_the_commands_of_this_issue_exist() -> None:
    assert {"check", "init"} <= set(_commands())


@pytest.mark.parametrize(
    "command", [[], *([name] for name in _commands())], ids=lambda args: " ".join(args) or "top"
)
def test_help_of_every_command(home: Path, command: list[str]) -> None:
    result = run(*command, "--help", cwd=home, home=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: delestage")
    assert result.stderr == ""


def test_top_level_help_lists_every_command(home: Path) -> None:
    result = run("--help", cwd=home, home=home)
    for name in _commands():
        assert name in result.stdout


def test_version(home: Path) -> None:
    from tui import __version__

    result = run("--version", cwd=home, home=home)
    assert result.returncode == 0
    assert result.stdout.strip() == f"delestage {__version__}"


# --- init -------------------------------------------------------------------------------------


def address_absent_board(path: Path) -> int:
    """Point the generated `[board]` at a serial no attached device has: `check` opens the
    real library, and with "any serial" it would attach (and release every relay of) a 1017
    plugged into the machine running the tests. `check` then waits attach_timeout for it:
    half a second, not the default 5 s, is as sure that it is absent."""
    text = path.read_text(encoding="utf-8")
    serial = absent_serial()
    addressed, count = re.subn(
        r"(?m)^# serial = \d+ .*$", f'serial = {serial}\nattach_timeout = "500ms"', text
    )
    assert count == 1, "the generated config no longer offers `# serial = ...` under [board]"
    path.write_text(addressed, encoding="utf-8")
    return serial


@pytest.mark.phidget_lib
def test_init_writes_a_config_that_check_accepts(tmp_path: Path, home: Path) -> None:
    result = run("init", cwd=tmp_path, home=home)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "delestage.toml"
    assert written.is_file()
    assert "delestage.toml" in result.stdout
    serial = address_absent_board(written)
    checked = run("check", cwd=tmp_path, home=home)
    # The file is valid; the board (and RTE credentials) are absent on a test machine: status 1.
    assert checked.stdout.startswith("config    ok"), checked.stderr
    assert f"serial {serial} not found" in checked.stdout, checked.stdout
    assert checked.returncode == 1, checked.stderr


@pytest.mark.phidget_lib
def test_init_refuses_to_overwrite_then_force_does(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text("# hand-written\n")
    refused = run("init", str(path), cwd=tmp_path, home=home)
    assert_clean_failure(refused)
    assert "--force" in refused.stderr
    assert path.read_text() == "# hand-written\n"

    forced = run("init", str(path), "--force", cwd=tmp_path, home=home)
    assert forced.returncode == 0, forced.stderr
    address_absent_board(path)
    checked = run("check", "--config", str(path), cwd=tmp_path, home=home)
    assert checked.stdout.startswith("config    ok"), checked.stderr


@pytest.mark.phidget_lib
def test_init_where_it_cannot_write_exits_2(tmp_path: Path, home: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run("init", str(blocker / "delestage.toml"), cwd=tmp_path, home=home)
    assert_clean_failure(result)
    assert result.stderr.startswith(f"{blocker / 'delestage.toml'}: cannot write")


def test_a_keymap_naming_no_binding_fails_check_and_the_ui(tmp_path: Path, home: Path) -> None:
    config = tmp_path / "delestage.toml"
    config.write_text(
        SHIPPED.read_text(encoding="utf-8").replace(
            "# keys = {", 'keys = { selct_1 = "1" }\n# keys = {', 1
        ),
        encoding="utf-8",
    )
    for args in (("check",), ()):
        result = run(*args, "--config", str(config), cwd=tmp_path, home=home)
        assert_clean_failure(result)
        assert "ui.keys.selct_1: no such binding id (did you mean `select_1`?)" in result.stderr
