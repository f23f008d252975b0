"""The newer sources, each in its own module, told from the content (never the name) as the XML formats are.

- isso: Isso's SQLite database; isso-json: Isso's "generic" JSON import format (isso.py)
- remark42: Remark42's backup, gzipped JSON lines (remark42.py)
- commento: Commento's or Commento++'s JSON export, plain or gzipped (commento.py)
- ghost: Ghost's JSON export (ghost.py)
- markdown: a folder of Markdown posts with front matter, Jekyll, Hugo, Eleventy (markdown.py)

Each reads a path (SQLite needs one, a folder is one) into the same records
as formats.py's readers, so planning, writing and the report are the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from importer.formats import ReadOptions
from importer.model import ImportError_, Record

SourceReader = Callable[[Path, ReadOptions], Iterator[Record]]
_REMARK42_META = re.compile(rb'^\{\s*"version"\s*:\s*\d+\s*,\s*"users"\s*:')  # a first line longer than the head
_COMMENTO = re.compile(rb'^\s*\{\s*"version"\s*:\s*\d+\s*,\s*"comments"\s*:|"commentHex"\s*:')


def detect(path: Path) -> str | None:
    """The newer source ``path`` holds, or None: then it is for formats.detect (XML) to tell."""
    from importer.sources import common, ghost, isso, markdown, remark42

    if path.is_dir():
        if markdown.holds_posts(path):
            return "markdown"
        raise ImportError_(f"{path}: a folder with no Markdown file ({', '.join(markdown.SUFFIXES)}) in it")
    start = common.head(path)
    if start.startswith(isso.MAGIC):
        db = isso.connect(path)
        try:
            if isso.is_isso(db):
                return "isso"
        finally:
            db.close()
        raise ImportError_(f"{path.name}: an SQLite database, but not Isso's (no threads and comments tables "
                           "with Isso's columns)")
    stripped = start.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped or stripped.startswith(b"<") or start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # XML (or nothing): formats.detect tells which, or why not
    if not stripped.startswith((b"{", b"[")):
        raise ImportError_(f"{path.name}: not an export this command reads: expected a Blogger, WordPress or Disqus "
                           "XML export, an Isso database, a Remark42 backup, a Commento or Ghost JSON export, "
                           "or a folder of Markdown posts")
    if isso.looks_like_generic(stripped):
        return "isso-json"
    if ghost.looks_like_ghost(stripped):
        return "ghost"
    if _COMMENTO.search(stripped):
        return "commento"
    if remark42.is_remark42(stripped.split(b"\n", 1)[0]) or _REMARK42_META.match(stripped):
        return "remark42"
    raise ImportError_(f"{path.name}: JSON, but none of the exports this command reads (Remark42 backup, "
                       "Commento export, Ghost export, or this blog's own export)")


def reader(kind: str) -> SourceReader:
    from importer.sources import commento, ghost, isso, markdown, remark42

    readers: dict[str, SourceReader] = {
        "isso": isso.read, "isso-json": isso.read_generic, "remark42": remark42.read, "commento": commento.read,
        "ghost": ghost.read, "markdown": markdown.read}
    return readers[kind]
