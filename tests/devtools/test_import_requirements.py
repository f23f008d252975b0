"""`make import` and `make export` install the run set and the importer's own dependencies, not the dev tools."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

PROJECT = Path(__file__).resolve().parents[2]
DEV_TOOLS = {"pytest", "mypy", "ruff", "playwright", "schemathesis", "hypothesis", "cfn-lint", "vulture"}


def _listed(name: str) -> set[str]:
    """The distributions a requirements file names, following its -r includes."""
    names: set[str] = set()
    for line in (PROJECT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= _listed(line[3:].strip())
        elif line:
            names.add(re.split(r"[\[=<>~ ]", line, maxsplit=1)[0].lower())
    return names


def _with_dependencies(names: set[str]) -> set[str]:
    """Those distributions and everything they require, as installed here."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):  # not an extra's, nor Windows'
                todo.append(requirement.name)
    return seen


def test_the_import_set_holds_no_test_or_lint_tool() -> None:
    assert _listed("requirements-run.txt") < _listed("requirements-import.txt")
    assert not DEV_TOOLS & _with_dependencies(_listed("requirements-import.txt"))


def test_make_import_and_export_install_the_import_set() -> None:
    makefile = (PROJECT / "Makefile").read_text()

    assert re.search(r"^import: \$\(IMPORT_INSTALLED\) ", makefile, re.MULTILINE)
    assert re.search(r"^export: \$\(IMPORT_INSTALLED\) ", makefile, re.MULTILINE)
    assert "-r requirements-import.txt" in makefile.split("$(IMPORT_INSTALLED):", 1)[1].split("\n\n", 1)[0]


def test_every_package_the_importer_loads_is_in_the_import_set() -> None:
    loaded = subprocess.run([sys.executable, "-c", """
import sys
import importer.cli, importer.export, importer.restore
print(" ".join(sorted({m.split(".")[0] for m, mod in sys.modules.items()
                       if "site-packages" in (getattr(mod, "__file__", None) or "")})))
"""], cwd=PROJECT, capture_output=True, text=True, check=True).stdout.split()
    providers = metadata.packages_distributions()
    # Distribution names compared as pip does: case and "_" against "-" aside (typing_extensions, typing-extensions).
    needed = {dist.lower().replace("_", "-") for module in loaded for dist in providers.get(module, [module])}

    assert needed and needed <= _with_dependencies(_listed("requirements-import.txt"))
