"""Finding, reading and writing delestage.toml; where its paths point (``core.paths``)."""

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

import tomli_w

from tui.adapters.atomic import atomic_write
from tui.adapters.user_files import read_user_file
from tui.core.config import Config, config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.core.i18n import _
from tui.core.paths import config_folder, resolve_config_paths, resolve_path

FILE_NAME = "delestage.toml"


def candidate_paths(
    explicit: str | None, environ: Mapping[str, str], cwd: Path, home: Path
) -> list[tuple[Path, str]]:
    """Where the configuration is looked for, in order, each with how it was chosen."""
    if explicit:
        return [(Path(explicit), "--config")]
    if environ.get("DELESTAGE_CONFIG"):
        return [(Path(environ["DELESTAGE_CONFIG"]), "$DELESTAGE_CONFIG")]
    return [
        # (how these two were chosen is never shown: only a single candidate's is)
        (cwd / FILE_NAME, "current directory"),
        (home / ".config" / "delestage" / FILE_NAME, "user configuration"),
    ]


def find_config(
    explicit: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> Path:
    """The configuration file to use, or InputError saying where it was looked for."""
    candidates = candidate_paths(
        explicit,
        os.environ if environ is None else environ,
        Path.cwd() if cwd is None else cwd,
        Path.home() if home is None else home,
    )
    for path, _how in candidates:
        try:
            if path.is_file():
                return path
        except OSError as error:  # a name too long for the file system, for one
            reason = _("cannot use this path ({reason})").format(reason=error.strerror)
            raise InputError(f"{path}: {reason}") from None
        except ValueError:  # an embedded NUL
            reason = _("cannot use this path (it contains NUL)")
            raise InputError(f"{str(path)!r}: {reason}") from None
    if len(candidates) == 1 and candidates[0][0].exists():
        # A path the user named that is not a regular file: load_config says what is wrong with it.
        return candidates[0][0]
    if len(candidates) == 1:
        path, how = candidates[0]
        reason = _("no such configuration file (given by {how})").format(how=how)
        raise InputError(f"{path}: {reason}")
    looked = ", ".join(str(path) for path, _how in candidates)
    raise InputError(
        _(
            "no configuration found (looked for {looked}); "
            "write one with `delestage init` or pass --config PATH"
        ).format(looked=looked)
    )


def home_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """The home directory ``~`` stands for: $HOME, else the password database's; None when
    neither says."""
    env = os.environ if environ is None else environ
    if env.get("HOME"):
        return env["HOME"]
    found = os.path.expanduser("~")
    return None if found == "~" else found


def config_relative(config: Config, value: str, environ: Mapping[str, str] | None = None) -> Path:
    """A path-valued key of ``config`` as ``core.paths`` resolves it: relative to the folder of
    the configuration file. A loaded configuration holds absolute paths already; this gives a
    ``Config`` built in code the same rule."""
    return Path(resolve_path(value, config_folder(config.path), home_dir(environ)))


# Where tomllib says the error is, at the end of its message (Python 3.11 to 3.14).
_TOML_AT = re.compile(r"^(?P<reason>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$", re.S)
_TOML_AT_END = re.compile(r"^(?P<reason>.*) \(at end of document\)$", re.S)


def toml_error_words(error: str) -> str:
    """tomllib's message in a sentence of the language in use that says where: its own words
    (``Expected '=' after a key in a key/value pair``) are kept as it wrote them. In English
    the sentence is tomllib's message as it was: ``not valid TOML: ... (at line 2, column 5)``."""
    at = _TOML_AT.match(error)
    if at is not None:
        return _("not valid TOML: {reason} (at line {line}, column {column})").format(
            reason=at["reason"], line=at["line"], column=at["column"]
        )
    at_end = _TOML_AT_END.match(error)
    if at_end is not None:
        return _("not valid TOML: {reason} (at end of document)").format(reason=at_end["reason"])
    return _("not valid TOML: {error}").format(error=error)


def load_config(path: str | os.PathLike[str], home: str | None = None) -> Config:
    """Read and validate a configuration file; every problem becomes one InputError line.

    Every path-valued key comes back absolute, resolved against the file's folder and ``home``
    (default ``home_dir()``) by ``core.paths.resolve_config_paths``; ``path`` is kept as given,
    for messages."""
    name = str(path)
    data = read_user_file(path, _("configuration file"))
    try:
        document = tomllib.loads(data.decode())
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{name}: " + toml_error_words(str(error))) from None
    except UnicodeDecodeError:
        raise InputError(f"{name}: " + _("not valid TOML: expected UTF-8 text")) from None
    except RecursionError:
        reason = _("not valid TOML: tables or arrays nested too deep")
        raise InputError(f"{name}: {reason}") from None
    config = config_from_dict(document, path=name)
    folder = os.path.dirname(os.path.abspath(name))
    return resolve_config_paths(config, home if home is not None else home_dir(), folder)


def render_config(config: Config) -> bytes:
    return tomli_w.dumps(config_to_dict(config)).encode()


def write_config(path: str | os.PathLike[str], config: Config, force: bool = False) -> None:
    """Write a configuration atomically; refuse to replace an existing file unless forced."""
    write_config_text(path, render_config(config).decode(), force)


def write_config_text(path: str | os.PathLike[str], text: str, force: bool = False) -> None:
    """Write a configuration's text (a commented one: ``init``) like ``write_config``."""
    if Path(path).exists() and not force:
        raise InputError(f"{path}: " + _("already exists; use --force to overwrite it"))
    try:
        atomic_write(path, text.encode())
    except OSError as error:
        reason = _("cannot write the file ({reason})").format(reason=error.strerror or error)
        raise InputError(f"{path}: {reason}") from None
