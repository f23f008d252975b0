"""The README stays a front page: short, every make target in its table, every page of its map there.

The rest of the manual is the docs site (docs/, `make docs`), which checks its own links strictly.
"""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
README = (PROJECT / "README.md").read_text(encoding="utf-8")


def documented_targets() -> set[str]:
    """The Makefile's targets that describe themselves (`target: … ## what it does`)."""
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([\w-]+):[^=\n]*##", makefile, re.M))


def test_the_readme_is_under_250_lines() -> None:
    assert len(README.splitlines()) < 250, "move detail to a page under docs/ and link it from the map"


def test_every_documented_make_target_has_a_row() -> None:
    section = README.split("\n## Make targets\n", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `make ([\w-]+)", section, re.M))
    assert {"run", "test", "docs"} <= documented_targets()
    missing = sorted(documented_targets() - rows)
    assert not missing, "add to the README's make targets: " + ", ".join(missing)
    unknown = sorted(rows - documented_targets() - {"clean"})
    assert not unknown, f"rows for targets the Makefile lacks: {unknown}"


def test_every_link_of_the_readme_names_a_file_that_exists() -> None:
    links = re.findall(r"\]\(((?!https?:|#)[^)#\s]+)", README)
    assert "docs/api.md" in links and "CONTRIBUTING.md" in links
    missing = [link for link in links if not (PROJECT / link).exists()]
    assert not missing, f"the README links to files that are not there: {missing}"


def test_every_page_of_the_site_is_on_the_readmes_map() -> None:
    own = {"docs/index.md", "docs/contributing.md"}  # the site's home, and CONTRIBUTING.md included
    pages = {f"docs/{page.name}" for page in (PROJECT / "docs").glob("*.md")} - own
    missing = sorted(page for page in pages if f"]({page})" not in README)
    assert not missing, f"pages the README's map does not name: {missing}"
