"""The layers of DESIGN.md hold: the core stays pure, and imports point down only."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tui"
CORE_FILES = sorted((PACKAGE / "core").glob("*.py"))

# I/O, the clock, concurrency and the outside-world libraries have no place in the core.
CORE_FORBIDDEN = {
    "textual",
    "httpx",
    "Phidget22",
    "time",
    "os",
    "socket",
    "asyncio",
    "subprocess",
    "shutil",
    "tempfile",
    "pathlib",
    "threading",
    "urllib",
    "sqlite3",
    "fcntl",
    "aiomqtt",
    "paho",
    "serial",
    "tui.adapters",
    "tui.service",
    "tui.frontends",
    "tui.compose",
}
# Reading the clock: time comes into the core as an argument.
CLOCK_CALLS = {"now", "utcnow", "today", "monotonic", "perf_counter"}


def _imports(path: Path) -> list[str]:
    """Every module a file imports, at any depth (function-level imports count too)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _is_under(module: str, forbidden: set[str]) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in forbidden)


def test_there_is_a_core_to_check() -> None:
    assert {path.name for path in CORE_FILES} >= {"config.py", "durations.py", "errors.py"}


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: path.name)
def test_core_module_imports_nothing_impure(path: Path) -> None:
    bad = [module for module in _imports(path) if _is_under(module, CORE_FORBIDDEN)]
    assert not bad, f"tui/core/{path.name} imports {bad}"


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: path.name)
def test_core_module_neither_reads_the_clock_nor_opens_files(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offences = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr in CLOCK_CALLS:
            offences.append(f"line {node.lineno}: .{function.attr}()")
        if isinstance(function, ast.Name) and function.id in {"open", "input", "print"}:
            offences.append(f"line {node.lineno}: {function.id}()")
    assert not offences, f"tui/core/{path.name}: {offences}"


def test_the_checker_catches_an_impure_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os.path\nfrom time import monotonic\n\ndef f():\n    import httpx\n")
    assert [m for m in _imports(sample) if _is_under(m, CORE_FORBIDDEN)] == [
        "os.path",
        "time",
        "httpx",
    ]


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("adapters", {"tui.service", "tui.frontends", "tui.compose", "textual"}),
        ("service", {"tui.frontends", "tui.compose", "textual"}),
        ("frontends", {"httpx", "Phidget22", "serial", "sqlite3"}),
    ],
)
def test_imports_point_down_only(layer: str, forbidden: set[str]) -> None:
    bad = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for module in _imports(path)
        if _is_under(module, forbidden)
    }
    assert not bad, sorted(bad)


def test_importing_the_core_loads_no_outside_library() -> None:
    # Catches what the source scan cannot: a pure-looking import that drags a library in.
    modules = [f"tui.core.{path.stem}" for path in CORE_FILES if path.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(result.stdout.split())
    assert not {name for name in loaded if _is_under(name, {"textual", "httpx", "Phidget22"})}


def test_a_demo_service_loads_no_rte_client(tmp_path: Path) -> None:
    # httpx and the RTE client are about 45 modules: a demo or file setup (the UI's first
    # screen, `plan --forecast`) must not pay for them at every start.
    config = Path(__file__).resolve().parent.parent / "delestage.toml"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tui.compose.files import load_config\n"
        "from tui.compose.service import build_controller\n"
        f"config = load_config(Path({str(config)!r}))\n"
        f"build_controller(config, environ={{'XDG_STATE_HOME': {str(tmp_path)!r}}})\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(result.stdout.split())
    assert "tui.adapters.sources.demo" in loaded  # the demo source was really built
    assert not {name for name in loaded if _is_under(name, {"httpx", "tui.adapters.rte"})}


# What a front end may use of the layers below: the core, the service's interfaces and the data
# they carry, the adapters' protocols, and the composition root, which builds everything concrete
# for it.
FRONTEND_ALLOWED = {
    "tui.core",
    "tui.frontends",
    "tui.service.interface",
    "tui.service.snapshot",
    "tui.service.history_view",
    "tui.compose",
    "tui.adapters.clock",  # the injected Clock protocol and the clocks
}


def _adapter_protocol(module: str) -> bool:
    """An adapter's protocol module: ``tui.adapters.<...>.base`` (``tui.adapters.boards.base``:
    RelayBoard, BoardEvent), an interface like ``tui.service.interface``."""
    parts = module.split(".")
    return len(parts) > 2 and parts[:2] == ["tui", "adapters"] and parts[-1] == "base"


def _tui_imports_outside(path: Path, allowed: set[str]) -> list[str]:
    return [
        module
        for module in _imports(path)
        if _is_under(module, {"tui"})
        and not _is_under(module, allowed)
        and not _adapter_protocol(module)
        and module != "tui"
    ]


def test_front_ends_use_only_the_interfaces_and_the_composition_root() -> None:
    bad = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in sorted((PACKAGE / "frontends").rglob("*.py"))
        for module in _tui_imports_outside(path, FRONTEND_ALLOWED)
    }
    assert not bad, sorted(bad)


def test_the_front_end_rule_catches_a_reach_into_the_service(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from tui.service.interface import ControllerLink\n"
        "from tui.compose.service import Service\n"
        "from tui.core.config import Config\n"
        "from tui.adapters.boards.base import RelayBoard\n"
        "from tui.adapters.mqtt.base import BrokerError\n"
        "def f():\n    from tui.service.controller import Controller\n"
        "from tui.adapters.boards.phidget import PhidgetBoard\n"
        "from tui.adapters.mqtt.client import AiomqttConnector\n"
        "from tui.adapters.base_files import Anything\n"
        "from tui.adapters.stores.base_store import Anything\n"
    )
    assert set(_tui_imports_outside(sample, FRONTEND_ALLOWED)) == {
        "tui.service.controller",
        "tui.adapters.boards.phidget",
        "tui.adapters.mqtt.client",
        "tui.adapters.base_files",
        "tui.adapters.stores.base_store",
    }


def test_relative_imports_are_banned_by_the_linter() -> None:
    # ruff's TID252 with ban-relative-imports = "all": the layer rules above read absolute names.
    text = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'ban-relative-imports = "all"' in text
    assert all(
        node.level == 0
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
    )


def test_every_type_ignore_names_its_code_and_a_reason() -> None:
    # "# type: ignore[code]  # why": a bare ignore hides whatever error comes next.
    bare = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore" in line
        and not re.search(r"type: ignore\[[a-z-]+(, ?[a-z-]+)*\]\s+#\s*\S", line)
    ]
    assert not bare, bare


def test_only_the_phidget_library_module_imports_phidget22() -> None:
    # The one module that loads the native library and names its codes: every other board
    # module, and everything above, goes through it.
    importers = {
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if any(_is_under(module, {"Phidget22"}) for module in _imports(path))
    }
    assert importers == {"adapters/boards/phidget_lib.py"}
