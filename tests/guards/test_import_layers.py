"""The project's packages import one way: what is deployed, then the operator's tools, then the developer's.

chalicelib/ (deployed) imports none of the tools; deploy/ and importer/ (run by
an operator, on a machine with no development tools) never import devtools/ or
bench/; and no two packages import each other, directly or round a longer
circle. Every import counts, at the top of a module or inside a function, since
a function-level import is a dependency all the same when it runs.
"""

from __future__ import annotations

import ast
from itertools import pairwise
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PACKAGES = ("chalicelib", "deploy", "importer", "devtools", "bench", "infra")
TOP_LEVEL = (*PACKAGES, "app", "tests")
# What each package may never import.
FORBIDDEN = {
    "chalicelib": {"deploy", "importer", "devtools", "bench", "tests", "app"},
    "infra": {"chalicelib", "deploy", "importer", "devtools", "bench", "tests", "app"},
    "deploy": {"importer", "devtools", "bench", "tests"},
    "importer": {"devtools", "bench", "tests"},
    "devtools": {"bench", "tests"},
}


def imported_packages(source: str, importer: str) -> set[str]:
    """The project's top-level packages that ``source`` imports (absolute or relative), besides its own."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(importer if node.level else (node.module or "").split(".")[0])
    return {name for name in found if name in TOP_LEVEL} - {importer}


def package_imports() -> dict[str, dict[str, set[str]]]:
    """Package → imported package → the modules that import it."""
    graph: dict[str, dict[str, set[str]]] = {package: {} for package in (*PACKAGES, "app")}
    sources = [(path, path.relative_to(PROJECT).parts[0]) for package in PACKAGES
               for path in (PROJECT / package).rglob("*.py") if "__pycache__" not in path.parts]
    sources.append((PROJECT / "app.py", "app"))
    for path, package in sources:
        for imported in imported_packages(path.read_text(encoding="utf-8"), package):
            graph[package].setdefault(imported, set()).add(str(path.relative_to(PROJECT)))
    return graph


def cycle(graph: dict[str, dict[str, set[str]]]) -> list[str] | None:
    """One circle of packages importing each other, or None."""
    done: set[str] = set()

    def visit(package: str, path: list[str]) -> list[str] | None:
        if package in path:
            return [*path[path.index(package):], package]
        if package in done:
            return None
        for imported in sorted(graph.get(package, {})):
            found = visit(imported, [*path, package])
            if found:
                return found
        done.add(package)
        return None

    for package in sorted(graph):
        found = visit(package, [])
        if found:
            return found
    return None


def test_the_import_reader_sees_every_kind_of_import() -> None:
    source = ("import deploy.stages\nfrom devtools import seed\nfrom .cli import main\n"
              "def later():\n    from chalicelib.settings import load_settings\n    import json\n")
    assert imported_packages(source, "importer") == {"deploy", "devtools", "chalicelib"}


def test_the_cycle_finder_finds_a_circle_of_three_and_passes_a_line() -> None:
    circle = {"a": {"b": {"a/x.py"}}, "b": {"c": {"b/y.py"}}, "c": {"a": {"c/z.py"}}}
    assert cycle(circle) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b": {"a/x.py"}}, "b": {"c": {"b/y.py"}}, "c": {}}) is None


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_above_it(package: str) -> None:
    imports = package_imports()[package]
    wrong = {name: sorted(modules) for name, modules in imports.items() if name in FORBIDDEN[package]}
    assert not wrong, f"{package}/ imports what it may not (move the shared code down a layer): {wrong}"


def test_no_packages_import_each_other_in_a_circle() -> None:
    graph = package_imports()
    found = cycle(graph) or []
    steps = [f"{a}→{b}: {', '.join(sorted(graph[a][b]))}" for a, b in pairwise(found)]
    assert not found, "packages that import each other: " + " → ".join(found) + " (" + "; ".join(steps) + ")"
