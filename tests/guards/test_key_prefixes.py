"""Guard: only chalicelib/store/ and the record constructors spell the table's keys.

Every key is built in chalicelib/store/keys.py and every stored record in
chalicelib/blog/records.py; a module that writes "POST#" or "#USER" itself is
building (or parsing) a key beside them, which is how the importer, the restore
and make admin drifted from the API before.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
KEYS = PROJECT / "chalicelib/store/keys.py"
ALLOWED = (PROJECT / "chalicelib/store", PROJECT / "chalicelib/blog/records.py")
SOURCES = ("app.py", "chalicelib", "importer", "deploy", "devtools", "bench", "infra")


def _strings(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [(token.start[0], token.string) for token in tokens if token.type == tokenize.STRING]


def _key_spellings() -> tuple[set[str], set[str]]:
    """The partition prefixes ("POST#") and fixed sort keys ("#USER") keys.py spells, from its own code."""
    prefixes: set[str] = set()
    sort_keys: set[str] = set()
    for _, text in _strings(KEYS):
        if text.startswith(('"""', "'''")):
            continue  # the docstring's table of keys
        prefixes.update(re.findall(r"(?<![A-Za-z_#])([A-Z][A-Z0-9]+#)", text))
        sort_keys.update(re.findall(r"(?<![A-Za-z0-9_])(#[A-Z][A-Z]+)\b", text))
    return prefixes, sort_keys


def _modules() -> list[Path]:
    found: list[Path] = []
    for name in SOURCES:
        root = PROJECT / name
        found.extend([root] if root.is_file() else sorted(root.rglob("*.py")))
    return [path for path in found if not any(path == allowed or allowed in path.parents for allowed in ALLOWED)]


def test_keys_py_spells_the_prefixes_this_guard_looks_for() -> None:
    prefixes, sort_keys = _key_spellings()

    assert {"POST#", "USER#", "EMAIL#", "COMMENTREF#", "LABEL#", "IMPORTED#", "COMMENTER#"} <= prefixes
    assert {"#POST", "#SUMMARY", "#USER", "#EMAIL", "#REF"} <= sort_keys


def test_no_module_outside_the_store_and_the_record_constructors_spells_a_key() -> None:
    prefixes, sort_keys = _key_spellings()
    pattern = re.compile("|".join([*(rf"(?<![A-Za-z_#]){re.escape(p)}" for p in sorted(prefixes)),
                                   *(rf"(?<![A-Za-z0-9_&]){re.escape(s)}\b" for s in sorted(sort_keys))]))
    spelled = [f"{path.relative_to(PROJECT)}:{line}: {text[:80]}" for path in _modules()
               for line, text in _strings(path) if not text.startswith(('"""', "'''")) and pattern.search(text)]

    assert spelled == []
