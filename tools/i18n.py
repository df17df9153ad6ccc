"""The catalogs in one command: extract every marked text, merge it into each language's .po,
compile the .mo files the package ships (docs/francais.md).

    python tools/i18n.py           # extract, merge, compile (writes tui/locale/...)
    python tools/i18n.py --check   # exit 1 if a catalog is stale or a French text is missing

Standard library only (what pygettext and msgfmt do, for this project's needs): a text is marked
with ``_("...")`` or ``N_("...")`` (tui/core/i18n.py), a plural with ``ngettext("...", "...", n)``.
References name the file, not the line, so that moving code does not touch the catalogs.
"""

import argparse
import ast
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tui"
LOCALE = PACKAGE / "locale"
DOMAIN = "delestage"
LANGUAGES = ("fr", "en")
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "en": "nplurals=2; plural=(n != 1);"}
MARKERS = {"_", "N_"}
PLACEHOLDER = re.compile(r"\{[a-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}")
# argparse's own texts (tui/frontends/argparse_words.py) are %-formatted: %s, %r, %(prog)s.
PERCENT = re.compile(r"%(?:\([a-z_]+\))?[sdr]")


@dataclass
class Entry:
    msgid: str
    plural: str | None = None
    msgstr: list[str] = field(default_factory=lambda: [""])
    files: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def key(self) -> str:
        return self.msgid if self.plural is None else f"{self.msgid}\0{self.plural}"

    @property
    def translated(self) -> bool:
        return not self.fuzzy and all(self.msgstr)


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def extract(package: Path = PACKAGE) -> dict[str, Entry]:
    """Every marked text in the package, in the order of first appearance (files sorted)."""
    entries: dict[str, Entry] = {}
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        for node in sorted(calls, key=lambda call: (call.lineno, call.col_offset)):
            if not isinstance(node.func, ast.Name):
                continue
            entry = None
            if node.func.id in MARKERS and len(node.args) == 1:
                text = _string(node.args[0])
                if text is not None:
                    entry = Entry(text)
            elif node.func.id == "ngettext" and len(node.args) == 3:
                one, many = _string(node.args[0]), _string(node.args[1])
                if one is not None and many is not None:
                    entry = Entry(one, many, ["", ""])
            elif node.func.id == "Binding" and len(node.args) >= 3:
                text = _string(node.args[2])  # a binding's description, for the footer
                if text is not None:
                    entry = Entry(text)
            if entry is None or not entry.msgid:
                continue
            found = entries.setdefault(entry.key, entry)
            if name not in found.files:
                found.files.append(name)
    return entries


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\t", "\\t") + '"'


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            follow = body[index + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(follow, follow))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def read_po(path: Path) -> dict[str, Entry]:
    """The entries of a .po file (the header entry, msgid "", included)."""
    entries: dict[str, Entry] = {}
    if not path.exists():
        return entries
    current: Entry | None = None
    target: tuple[str, int] | None = None
    fuzzy = False
    files: list[str] = []

    def close() -> None:
        nonlocal current
        if current is not None:
            entries[current.key] = current
        current = None

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,"):
            close()
            fuzzy = "fuzzy" in line
        elif line.startswith("#:"):
            close()
            files.extend(line[2:].split())
        elif line.startswith("#") or not line.strip():
            close() if not line.strip() else None
        elif line.startswith("msgid_plural "):
            assert current is not None
            current.plural = _unquote(line[len("msgid_plural ") :])
            current.msgstr = ["", ""]
            target = ("plural", 0)
        elif line.startswith("msgid "):
            close()
            current = Entry(_unquote(line[len("msgid ") :]), fuzzy=fuzzy, files=files)
            fuzzy, files = False, []
            target = ("msgid", 0)
        elif line.startswith("msgstr["):
            assert current is not None
            index = int(line[len("msgstr[") : line.index("]")])
            current.msgstr[index] = _unquote(line[line.index("]") + 1 :])
            target = ("msgstr", index)
        elif line.startswith("msgstr "):
            assert current is not None
            current.msgstr = [_unquote(line[len("msgstr ") :])]
            target = ("msgstr", 0)
        elif line.startswith('"') and current is not None and target is not None:
            what, index = target
            more = _unquote(line)
            if what == "msgid":
                current.msgid += more
            elif what == "plural":
                current.plural = (current.plural or "") + more
            else:
                current.msgstr[index] += more
    close()
    return entries


def header(language: str) -> str:
    return (
        "Project-Id-Version: delestage\n"
        f"Language: {language}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        f"Plural-Forms: {PLURAL_FORMS[language]}\n"
    )


def merge(language: str, extracted: dict[str, Entry], old: dict[str, Entry]) -> dict[str, Entry]:
    """The new catalog: every extracted text, with the translation the old one had."""
    merged = {"": Entry("", msgstr=[header(language)])}
    for key, entry in extracted.items():
        previous = old.get(key)
        msgstr = previous.msgstr if previous is not None else list(entry.msgstr)
        fuzzy = previous.fuzzy if previous is not None else False
        merged[key] = Entry(entry.msgid, entry.plural, list(msgstr), list(entry.files), fuzzy)
    return merged


def write_po(entries: dict[str, Entry], language: str) -> str:
    lines = [
        f"# delestage: the {language} catalog. Edit the msgstr lines; python tools/i18n.py",
        "# rebuilds the catalogs (docs/francais.md). The vocabulary: docs/francais.md.",
    ]
    for entry in entries.values():
        lines.append("")
        if entry.files:
            lines.append("#: " + " ".join(entry.files))
        if entry.fuzzy:
            lines.append("#, fuzzy")
        lines.append(f"msgid {_quote(entry.msgid)}")
        if entry.plural is not None:
            lines.append(f"msgid_plural {_quote(entry.plural)}")
            lines.extend(f"msgstr[{n}] {_quote(text)}" for n, text in enumerate(entry.msgstr))
        else:
            lines.append(f"msgstr {_quote(entry.msgstr[0])}")
    return "\n".join(lines) + "\n"


def compile_mo(entries: dict[str, Entry]) -> bytes:
    """The GNU .mo of a catalog (untranslated and fuzzy entries left out, as msgfmt does)."""
    pairs = sorted(
        (entry.key.encode(), "\0".join(entry.msgstr).encode())
        for entry in entries.values()
        if entry.key == "" or entry.translated
    )
    count = len(pairs)
    originals = 7 * 4
    translations = originals + count * 8
    data_start = translations + count * 8
    table: list[int] = []
    blob = b""
    for source, _ in pairs:
        table += [len(source), data_start + len(blob)]
        blob += source + b"\0"
    second: list[int] = []
    for _, target in pairs:
        second += [len(target), data_start + len(blob)]
        blob += target + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, count, originals, translations, 0, 0)
    return (
        head
        + struct.pack(f"<{len(table)}I", *table)
        + struct.pack(f"<{len(second)}I", *second)
        + blob
    )


def placeholders(text: str) -> list[str]:
    return sorted(set(PLACEHOLDER.findall(text))) + sorted(PERCENT.findall(text))


def problems(language: str, entries: dict[str, Entry]) -> list[str]:
    """French: every text translated, with the same {placeholders} (and %s, %(name)s) as its
    msgid."""
    found = []
    for entry in entries.values():
        if not entry.msgid:
            continue
        if language == "fr" and not entry.translated:
            found.append(f"fr: no translation for {entry.msgid!r}")
        for text in entry.msgstr:
            if text and placeholders(text) != placeholders(entry.plural or entry.msgid):
                found.append(f"{language}: placeholders differ in {entry.msgid!r} -> {text!r}")
    return found


def paths(language: str) -> tuple[Path, Path]:
    folder = LOCALE / language / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def build(check: bool) -> int:
    extracted = extract()
    stale: list[str] = []
    found: list[str] = []
    for language in LANGUAGES:
        po_path, mo_path = paths(language)
        entries = merge(language, extracted, read_po(po_path))
        po_text = write_po(entries, language)
        mo_bytes = compile_mo(entries)
        found += problems(language, entries)
        current_po = po_path.read_text(encoding="utf-8") if po_path.exists() else None
        current_mo = mo_path.read_bytes() if mo_path.exists() else None
        if check:
            if current_po != po_text:
                stale.append(f"{po_path.relative_to(ROOT)} is not up to date with the code")
            if current_mo != mo_bytes:
                stale.append(f"{mo_path.relative_to(ROOT)} is not compiled from its .po")
            continue
        po_path.parent.mkdir(parents=True, exist_ok=True)
        if current_po != po_text:
            po_path.write_text(po_text, encoding="utf-8")
        if current_mo != mo_bytes:
            mo_path.write_bytes(mo_bytes)
    for line in stale + found:
        print(line, file=sys.stderr)
    if stale:
        print("run: python tools/i18n.py", file=sys.stderr)
    print(f"{len(extracted)} texts, {len(found)} problems", file=sys.stderr)
    return 1 if stale or found else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    return build(parser.parse_args().check)


if __name__ == "__main__":
    sys.exit(main())
