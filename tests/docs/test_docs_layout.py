"""The layout in CONTRIBUTING.md names every module of the project, and nothing that is gone.

A newcomer finds code through that map; a module added without a line there fails here, naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
PACKAGES = ("chalicelib", "importer", "deploy", "devtools", "bench", "infra")


def layout() -> str:
    text = (PROJECT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block, "the Layout section has no map"
    return block.group(1)


def modules() -> list[Path]:
    found = [PROJECT / "app.py"]
    for package in PACKAGES:
        found += [path for path in (PROJECT / package).rglob("*.py") if path.name != "__init__.py"]
    return sorted(found)


def named(block: str) -> set[str]:
    return set(re.findall(r"[\w.]+\.py\b", block))


def test_every_module_is_on_the_map() -> None:
    block = named(layout())
    missing = [str(path.relative_to(PROJECT)) for path in modules()
               if path.name not in block and "__pycache__" not in path.parts]
    assert not missing, "add to the Layout of CONTRIBUTING.md: " + ", ".join(missing)


def test_every_module_on_the_map_exists() -> None:
    existing = {path.name for path in modules()}
    stale = sorted(named(layout()) - existing)
    assert not stale, "the Layout of CONTRIBUTING.md names modules that are gone: " + ", ".join(stale)


def test_every_directory_of_the_map_exists() -> None:
    directories = re.findall(r"^\s*([\w/]+)/\s", layout(), re.M)
    assert "chalicelib" in directories
    gone = [d for d in directories if not any((PROJECT / parent / d).is_dir()
                                              for parent in ("", "chalicelib", "vendor", "web-src"))]
    assert not gone, f"the Layout names directories that are gone: {gone}"


def test_every_test_the_docs_name_exists() -> None:
    """The recipes name the test that fails until a change is done: a test renamed or moved must be renamed here."""
    texts = [PROJECT / "CONTRIBUTING.md", PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
    wrong = []
    for text in texts:
        for path, name in re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?", text.read_text(encoding="utf-8")):
            target = PROJECT / path
            if not target.is_file() or (name and f"def {name}(" not in target.read_text(encoding="utf-8")):
                wrong.append(f"{text.name}: {path}{'::' + name if name else ''}")
    assert not wrong, f"the docs name tests that are not there: {wrong}"
