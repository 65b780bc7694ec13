"""The package's shape: small functions, no import cycles, no module importing the package root,
and a test file for every module."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "cxstudy"
LONGEST_FUNCTION = 80  # lines, docstring included


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The cxstudy modules a module imports anywhere in it (functions included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + (
                    [node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {module for module in found if module in known and module != name}


def test_no_function_is_longer_than_a_screen():
    """Code, that is: a docstring (Parameters, Notes, Examples) may be as long as it needs."""
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                docstring = node.body[0] if ast.get_docstring(node) is not None else None
                if docstring is not None:  # the documentation is no code to read through
                    lines -= docstring.end_lineno - docstring.lineno + 1
                if lines > LONGEST_FUNCTION:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert not long, long


def test_no_import_cycle_and_no_import_of_the_package_root():
    known = set(modules())
    graph = {name: imports(name, path, known) for name, path in modules().items()}
    upward = [name for name, targets in graph.items() if "cxstudy" in targets]
    assert not upward, f"modules importing the package root: {upward}"

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for target in graph[node] - {"cxstudy"}:
                if target == start:
                    return path
                if target not in path:
                    stack.append((target, [*path, target]))
        return None

    cycles = [cycle for name in graph if (cycle := cycle_from(name))]
    assert not cycles, cycles


NOT_TESTED_ON_THEIR_OWN = {"__init__.py", "__main__.py", "_version.py"}


def expected_test_file(path: Path) -> str:
    """The test file of a package module: cxstudy/_files.py -> test_files.py,
    cxstudy/report/page.py -> test_report_page.py."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "test_" + "_".join(part.removeprefix("_") for part in parts) + ".py"


def test_every_module_has_its_test_file():
    modules = [path for path in PACKAGE.rglob("*.py") if path.name not in NOT_TESTED_ON_THEIR_OWN]
    assert len(modules) > 20  # the package was found
    assert expected_test_file(PACKAGE / "_files.py") == "test_files.py"
    assert expected_test_file(PACKAGE / "report" / "page.py") == "test_report_page.py"
    missing = sorted(f"{path.relative_to(ROOT)} -> tests/{expected_test_file(path)}"
                     for path in modules
                     if not (ROOT / "tests" / expected_test_file(path)).is_file())
    assert not missing, missing
