"""The suite's own rules (docs/testing.md): helpers live in tests/support/, no test module
imports another, tests/core/ is the pure core only, and no test reads the wall clock."""

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Not the pure core: what tests/core/ may not import, directly or through tests/support/.
IMPURE = {"subprocess", "socket", "asyncio", "sqlite3", "httpx", "textual", "aiomqtt", "paho"}
# Reading the wall clock, in code or in a script a test hands to a child process.
WALL_CLOCK = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")


def _modules() -> list[Path]:
    return sorted(path for path in TESTS.rglob("*.py") if "benchmarks" not in path.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_test_module_imports_another() -> None:
    found = {
        f"{path.relative_to(TESTS)} imports {name}"
        for path in _modules()
        for name in _imports(path)
        if name.split(".")[-1].startswith("test_") and not name.startswith("tui.")
    }
    assert found == set(), "move what is shared to tests/support/ (or a fixture to conftest.py)"


def test_shared_helpers_hold_no_tests() -> None:
    support = TESTS / "support"
    assert not list(support.glob("test_*.py"))
    for path in support.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tests = [
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
        ]
        assert tests == [], path.name


def _impure(path: Path, seen: tuple[Path, ...] = ()) -> list[str]:
    problems = []
    for name in _imports(path):
        top = name.split(".")[0]
        outside_core = top == "tui" and not (name == "tui.core" or name.startswith("tui.core."))
        if outside_core or top in IMPURE:
            problems.append(name)
        elif top == "support":
            helper = TESTS / (name.replace(".", "/") + ".py")
            if helper not in seen:
                problems += [f"{name} -> {p}" for p in _impure(helper, (*seen, helper))]
    return problems


def test_the_core_loop_is_the_pure_core() -> None:
    core = sorted((TESTS / "core").glob("test_*.py"))
    assert len(core) >= 5
    found = {f"{path.name}: {problem}" for path in core for problem in _impure(path)}
    assert found == set(), "tests/core/ is for tests of tui.core alone"


def test_no_test_reads_the_wall_clock() -> None:
    found = [
        f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
        for path in _modules()
        if path.name.startswith("test_") and path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert found == [], "give the test a fixed instant (a ManualClock, a fixed forecast file)"
