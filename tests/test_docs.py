"""The documentation holds together: every relative link of README.md and docs/*.md points at a
file that exists (and, with ``#anchor``, at a heading of that file), and docs/configuration.md
documents every key of the configuration model with its default."""

import dataclasses
import os
import re
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
)
from tui.core.durations import parse_duration
from tui.core.meter_config import MeterConfig

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"(?<!\!)\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks (a `# comment` in a shell block is no heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


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
