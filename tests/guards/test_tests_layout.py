"""tests/ is grouped as the code is: every test module lives in a folder of CONTRIBUTING.md's map, none at the top.

A newcomer looking for the tests of comments opens tests/comments/; a module dropped at the top of tests/
would be found by nobody, so it fails here, naming the folders it may go to.
"""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
TESTS = PROJECT / "tests"


def folders_with_tests() -> list[Path]:
    return sorted({path.parent for path in TESTS.rglob("test_*.py") if "__pycache__" not in path.parts})


def mapped_folders() -> set[str]:
    text = (PROJECT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    return set(re.findall(r"\b(tests/\w+)/", text.split("\n## Layout\n", 1)[1]))


def test_no_test_module_sits_at_the_top_of_tests() -> None:
    flat = sorted(path.name for path in TESTS.glob("test_*.py"))
    folders = ", ".join(sorted(str(folder.relative_to(PROJECT)) for folder in folders_with_tests() if folder != TESTS))
    assert not flat, f"move {flat} into the folder of the code it tests: {folders}"


def test_every_test_folder_is_a_package() -> None:
    """Two folders may each hold a test_challenge.py (the API's and the browser's) only as packages."""
    bare = [str(folder.relative_to(PROJECT)) for folder in folders_with_tests()
            if not (folder / "__init__.py").is_file()]
    assert not bare, f"add an empty __init__.py to {bare}"


def test_every_test_folder_is_on_the_layout_map() -> None:
    unmapped = sorted(str(folder.relative_to(PROJECT)) for folder in folders_with_tests()
                      if str(folder.relative_to(PROJECT)) not in mapped_folders())
    assert not unmapped, f"say what {unmapped} tests in the Layout of CONTRIBUTING.md"


def test_the_guard_sees_the_layout_it_guards() -> None:
    # A glob that found nothing would pass every test above.
    assert {"tests/comments", "tests/browser", "tests/guards"} <= {
        str(folder.relative_to(PROJECT)) for folder in folders_with_tests()}
    assert "tests/comments" in mapped_folders()
