"""No module is over 400 lines without a reason written at its top.

A module that long usually holds two jobs; split it by its own seams. When the
length is the point (keys.py: the whole key layout in one place), its docstring
says so in its first lines: "(Longer than 400 lines on purpose: <why>)".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PACKAGES = ("chalicelib", "importer", "deploy", "devtools")
LIMIT = 400
TOP_LINES = 10
REASON = re.compile(r"Longer than 400 lines on purpose: \S.{10,}", re.S)
# Known, not yet split; each entry leaves this list when its module is split (the last test says when).
NOT_YET_SPLIT: dict[str, str] = {}


def long_modules() -> dict[str, int]:
    found = {}
    for package in PACKAGES:
        for path in (PROJECT / package).rglob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > LIMIT and "__pycache__" not in path.parts:
                found[str(path.relative_to(PROJECT))] = lines
    return found


def has_reason(source: str) -> bool:
    return REASON.search("\n".join(source.splitlines()[:TOP_LINES])) is not None


def test_a_reason_is_found_only_in_the_first_lines() -> None:
    reason = '"""Keys.\n\n(Longer than 400 lines on purpose: the whole layout in one place.)\n"""\n'
    assert has_reason(reason)
    assert not has_reason("\n" * TOP_LINES + reason)
    assert not has_reason('"""Longer than 400 lines on purpose: \n"""')  # a reason, not just the words


def test_the_key_layout_says_why_it_is_long() -> None:
    assert has_reason((PROJECT / "chalicelib/store/keys.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize("module", sorted(set(long_modules()) - set(NOT_YET_SPLIT)))
def test_a_long_module_says_why_at_its_top(module: str) -> None:
    source = (PROJECT / module).read_text(encoding="utf-8")
    assert has_reason(source), (f"{module} has {long_modules()[module]} lines: split it by its seams, or say at its "
                                "top: (Longer than 400 lines on purpose: <why>)")


def test_the_modules_not_yet_split_are_still_long() -> None:
    short = sorted(set(NOT_YET_SPLIT) - set(long_modules()))
    assert not short, f"split, or gone: take {', '.join(short)} off NOT_YET_SPLIT"
