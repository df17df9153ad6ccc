"""The documentation holds together: every relative link of README.md, docs/*.md and the French
pages docs/fr/*.md points at a file that exists (and, with ``#anchor``, at a heading of that
file), docs/configuration.md documents every key of the configuration model with its default,
every page's ```toml examples load as a configuration, and what the French pages cite exists:
each `delestage ...` command parses with the real command line (its subcommand and options
exist) and each `[section] key` is a key of the configuration."""

import argparse
import contextlib
import dataclasses
import io
import os
import re
import shlex
import tomllib
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote

import pytest

from tui.core.config import (
    BoardConfig,
    ChannelConfig,
    EcowattConfig,
    MqttConfig,
    PolicyConfig,
    ServiceConfig,
    TempoConfig,
    UiConfig,
    config_from_dict,
)
from tui.core.durations import parse_duration
from tui.core.errors import InputError
from tui.core.meter_config import MeterConfig
from tui.frontends.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
FRENCH = sorted((DOCS / "fr").glob("*.md"))  # docs/fr/: the French documentation (issue 26)
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md")), *FRENCH]

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"(?<!\!)\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _split(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines outside fenced code blocks, and each fenced block as (its info word, its lines)."""
    lines: list[str] = []
    blocks: list[tuple[str, list[str]]] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
            if fenced:
                blocks.append((line.strip()[3:].strip(), []))
            continue
        if fenced:
            blocks[-1][1].append(line)
        else:
            lines.append(line)
    return lines, blocks


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks (a `# comment` in a shell block is no heading)."""
    return _split(text)[0]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its words
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in _prose(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[str]:
    """Every link target in the page's prose, inline code left out."""
    out = []
    for line in _prose(path.read_text(encoding="utf-8")):
        out.extend(_LINK.findall(re.sub(r"`[^`]*`", "", line)))
    return out


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file_part, _, anchor = target.partition("#")
        where = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not where.exists():
            broken.append(f"{target}: no file {os.path.relpath(where, REPO)}")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where):
            broken.append(f"{target}: no heading #{anchor} in {where.name}")
    return broken


def test_there_are_pages_to_check() -> None:
    assert {page.name for page in PAGES} >= {"README.md", "configuration.md", "architecture.md"}
    assert {page.name for page in FRENCH} >= {
        "README.md",
        "demarrage.md",
        "cablage.md",
        "mise-en-service.md",
        "tempo.md",
        "service.md",
        "depannage.md",
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_link_check_catches_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# A page\n\n## Commissioning: `delestage test-relays`\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#commissioning-delestage-test-relays) [ok](#top)\n"
        "[gone](missing.md) [no heading](there.md#nowhere) `[code](ignored.md)`\n"
        "```\n[fenced](ignored.md)\n```\n# Top\n"
    )
    assert [line.split(":")[0] for line in broken_links(page)] == [
        "missing.md",
        "there.md#nowhere",
    ]


def test_the_readme_stays_a_front_door() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    # CI runs these two commands from the README, verbatim.
    assert "pip install . && delestage\n" in readme
    assert '\npip install ".[test]" && python -m pytest\n' in readme
    # The French documentation is one of its first lines (issue 26).
    assert "](docs/fr/README.md)" in "\n".join(readme.splitlines()[:5])


# -- every key of the configuration model, with its default, in docs/configuration.md --------

SECTIONS = {
    "[ecowatt]": EcowattConfig,
    "[board]": BoardConfig,
    "[policy]": PolicyConfig,
    "[service]": ServiceConfig,
    "[ui]": UiConfig,
    "[tempo]": TempoConfig,
    "[mqtt]": MqttConfig,
    "[meter]": MeterConfig,
    "[[channel]]": ChannelConfig,
}


def documented_keys() -> dict[str, dict[str, str]]:
    """{section: {key: default cell}} from the tables under each ``## `[section]` `` heading."""
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    tables: dict[str, dict[str, str]] = {}
    section = None
    for line in _prose(text):
        heading = re.match(r"^## `(\[\[?\w+\]\]?)`", line)
        if heading:
            section = heading.group(1)
            tables[section] = {}
        elif line.startswith("## "):
            section = None
        elif section and line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            for key in re.findall(r"`(\w+)`", cells[0]):
                tables[section][key] = cells[1]
    return tables


def _default_written(field: dataclasses.Field[object], cell: str) -> bool:
    if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
        return cell == "required"
    if field.default is dataclasses.MISSING or field.default is None:
        return cell != "required"  # "—" or words: "any", "the host name", "system CAs"...
    value = field.default
    quoted = re.fullmatch(r'`"([^"]*)"`', cell)
    if isinstance(value, timedelta):
        return quoted is not None and parse_duration(quoted.group(1)) == value
    if isinstance(value, StrEnum | str):
        return quoted is not None and quoted.group(1) == str(value)
    if isinstance(value, bool):
        return cell == f"`{str(value).lower()}`"
    if isinstance(value, int):
        return cell == f"`{value}`"
    if value == ():
        return cell == "`[]`"
    raise AssertionError(f"{field.name}: no rule for a default of {value!r}")


@pytest.mark.parametrize("section", SECTIONS, ids=str)
def test_every_configuration_key_is_documented_with_its_default(section: str) -> None:
    table = documented_keys().get(section)
    assert table is not None, f"docs/configuration.md has no ## `{section}` table"
    # a channel's relay on its board is not a key: it is written as its index
    fields = [f for f in dataclasses.fields(SECTIONS[section]) if f.name != "relay"]
    # a channel's ``pilot`` field holds either two-relay table: ``pilot`` or ``sg_ready``
    keys = [key for key in table if (section, key) != ("[[channel]]", "sg_ready")]
    assert section != "[[channel]]" or "sg_ready" in table
    assert sorted(keys) == sorted(field.name for field in fields)
    wrong = [
        f"{field.name}: {table[field.name]}"
        for field in fields
        if not _default_written(field, table[field.name])
    ]
    assert wrong == []


# -- TOML examples that load; what the French pages cite exists: commands, options, keys -------

_SPAN = re.compile(r"`([^`]+)`")
_SYNOPSIS = re.compile(r"[\[\]|…]|\.\.\.")  # `force CH on|off [--for DURATION]`: a form, not a run
_OPTION = re.compile(r"^--[a-z][\w-]*(?=$|[ =])")  # `--fresh`, `--for 0s`; not `--for: expected`
_SECTION_KEY = re.compile(r"^(\[\[?\w+\]\]?) (\w+)\b")
_ANY_CHANNEL = {"index": 0, "name": "example", "shed_at": "orange"}


def toml_problems(path: Path) -> list[str]:
    """Each ```toml block of the page, loaded as the configuration file it shows (with one
    channel added when it shows other sections only): its problems, one line each."""
    problems = []
    for number, (info, lines) in enumerate(_split(path.read_text(encoding="utf-8"))[1], 1):
        if info != "toml":
            continue
        where = f"{path.name} block {number}"
        try:
            document = tomllib.loads("\n".join(lines))
            config_from_dict({"channel": [_ANY_CHANNEL], **document}, path=where)
        except tomllib.TOMLDecodeError as error:
            problems.append(f"{where}: {error}")
        except InputError as error:
            problems.extend(str(error).splitlines())
    return problems


def _spans(path: Path) -> list[str]:
    """The inline code of the page's prose, a span that wraps a line joined with one space."""
    prose = "\n".join(_prose(path.read_text(encoding="utf-8")))
    return [re.sub(r"\s*\n\s*", " ", span).strip() for span in _SPAN.findall(prose)]


def _command(text: str) -> list[str] | None:
    """`LANG=fr_FR.UTF-8 sudo -u delestage delestage check`: the arguments after `delestage`,
    or None when the text runs something else (`systemctl stop delestage`)."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
        words = words[1:]
    if words[:1] == ["sudo"]:
        words = words[3:] if words[1:2] == ["-u"] else words[1:]
    if not words or words[0].rsplit("/", 1)[-1] != "delestage":
        return None
    return words[1:]


def commands(path: Path) -> list[str]:
    """Every `delestage ...` the page shows: its inline code, and the lines of its shell blocks
    (split at `&&`, `|` and `;`, comments left out)."""
    found = [span for span in _spans(path) if _command(span) is not None]
    for info, lines in _split(path.read_text(encoding="utf-8"))[1]:
        if info not in ("sh", "bash", "shell"):
            continue
        for line in lines:
            for part in re.split(r"\s(?:&&|\||;)\s", line.split(" # ")[0]):
                if _command(part.strip()) is not None:
                    found.append(part.strip())
    return found


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return set(parser._option_string_actions)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(
        action.choices
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    )


def command_problems(text: str) -> list[str]:
    """What is wrong with one cited command: a subcommand or option the real command line does
    not have, or (for a command written out in full) arguments that it refuses."""
    arguments = _command(text) or []
    parser = build_parser()
    top, subcommands = _options(parser), _subcommands(parser)
    words = [word.strip("[]|") for word in arguments]
    takes_value = {
        option
        for action in parser._actions
        if action.nargs != 0
        for option in action.option_strings
    }
    position, subcommand = 0, None
    while position < len(words):  # the options before the subcommand, then the subcommand
        word = words[position]
        if not word.startswith("-"):
            subcommand = word
            break
        position += 2 if word.split("=")[0] in takes_value and "=" not in word else 1
    if subcommand is not None and subcommand not in subcommands:
        return [f"`{text}`: no subcommand {subcommand!r}"]
    known = top | (_options(subcommands[subcommand]) if subcommand else set())
    problems = [
        f"`{text}`: no option {word.split('=')[0]}"
        + (f" for delestage {subcommand}" if subcommand else "")
        for word in words
        if word.startswith("--") and word.split("=")[0] not in known
    ]
    if problems or _SYNOPSIS.search(text) or "--help" in words or words == [subcommand]:
        return problems  # a form, a help, or a command named alone (`delestage force`)
    refused = io.StringIO()
    try:
        with contextlib.redirect_stderr(refused):
            build_parser().parse_args(arguments)
    except SystemExit as exit_:
        if exit_.code:
            return [f"`{text}`: {refused.getvalue().strip()}"]
    return []


def option_problems(path: Path) -> list[str]:
    """A bare `--option` in the prose is an option of the top level or of some subcommand."""
    parser = build_parser()
    every = _options(parser).union(*map(_options, _subcommands(parser).values()))
    return [
        f"`{span}`: no such option"
        for span in _spans(path)
        if (option := _OPTION.match(span)) and option.group() not in every
    ]


def key_problems(path: Path) -> list[str]:
    """Each `[section] key` of the prose names a key of that section of the configuration."""
    problems = []
    for span in _spans(path):
        match = _SECTION_KEY.match(span)
        if not match:
            continue
        section, key = match.groups()
        model = SECTIONS.get(section)
        keys = {field.name for field in dataclasses.fields(model)} if model else set()
        if section == "[[channel]]":
            keys = (keys - {"relay"}) | {"sg_ready"}
        if model is None:
            problems.append(f"`{span}`: no section {section}")
        elif key not in keys:
            problems.append(f"`{span}`: no key {key} in {section}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_toml_example_loads(page: Path) -> None:
    assert toml_problems(page) == []


@pytest.mark.parametrize("page", FRENCH, ids=lambda page: page.name)
def test_every_command_a_french_page_cites_exists(page: Path) -> None:
    cited = commands(page)
    problems = [problem for text in cited for problem in command_problems(text)]
    assert problems + option_problems(page) == []


@pytest.mark.parametrize("page", FRENCH, ids=lambda page: page.name)
def test_every_configuration_key_a_french_page_cites_exists(page: Path) -> None:
    assert key_problems(page) == []


def test_the_french_pages_show_commands_and_examples_to_check() -> None:
    """The checks above have something to check (a page whose commands all vanished from the
    parser's reach, say by a change of fence, would pass them silently)."""
    assert sum(len(commands(page)) for page in FRENCH) >= 30
    toml = [block for page in FRENCH for block in _split(page.read_text())[1] if block[0] == "toml"]
    assert len(toml) >= 8


def test_the_citation_checks_catch_what_does_not_exist(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Run `delestage plan --hours 12`, `delestage --lang fr check`, `delestage force CH on`,\n"
        "`delestage force 1 on --for 90m`, `delestage test-relays [--channels LIST]`, `--fresh`,\n"
        "`[ui] language`, `[policy] lead`, `[[channel]] sg_ready`, `systemctl stop delestage`;\n"
        "broken: `delestage plan --heures 12`, `delestage statut`, `delestage force 1`,\n"
        "`delestage test-relays [--canaux LIST]`, `--frais`, `[ui] langue`, `[polcy] lead`.\n"
        "```sh\nsudo -u delestage delestage status --json | head -1  # ok\n"
        "LANG=fr_FR.UTF-8 delestage check --confg delestage.toml\n```\n"
        '```toml\n[ui]\nlanguage = "fr"\n```\n'
        '```toml\n[[channel]]\nindex = 0\nname = "Chauffe-eau"\nshed_at = "orangee"\n```\n'
        "```toml\n[tempo]\nsource = rte\n```\n"
    )
    problems = [problem for text in commands(page) for problem in command_problems(text)]
    assert [problem.split("`: ")[1].split(" (see")[0] for problem in problems] == [
        "no option --heures for delestage plan",
        "no subcommand 'statut'",
        "delestage force: the following arguments are required: STATE",
        "no option --canaux for delestage test-relays",
        "no option --confg for delestage check",
    ]
    assert option_problems(page) == ["`--frais`: no such option"]
    assert key_problems(page) == [
        "`[ui] langue`: no key langue in [ui]",
        "`[polcy] lead`: no section [polcy]",
    ]
    toml = toml_problems(page)
    assert len(toml) == 2
    assert toml[0].startswith("page.md block 3: channel[0].shed_at: expected one of")
    assert toml[1].startswith("page.md block 4: ")
