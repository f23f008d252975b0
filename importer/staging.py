"""Records staged on disk (SQLite in a temporary file), so memory stays flat however large the export.

A comment may come before its post (Disqus lists threads, then every comment)
or before its parent, so nothing is written while reading: every record is
staged, and planning reads back only ids. A record whose ref repeats one
already staged (an export that lists a page twice) is counted and not staged again.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from importer.model import SourceComment, SourcePost


class Staging:
    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="blog-import-")
        self.db = sqlite3.connect(Path(self._directory.name) / "staged.sqlite3")
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE posts (seq INTEGER PRIMARY KEY, ref TEXT UNIQUE, data TEXT);"
            "CREATE TABLE comments (seq INTEGER PRIMARY KEY, ref TEXT UNIQUE, post_ref TEXT, parent_ref TEXT,"
            " status TEXT, created TEXT, data TEXT);"
            "CREATE INDEX comments_by_post ON comments (post_ref, seq);")
        self.repeated = 0

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *_: object) -> None:
        self.db.close()
        self._directory.cleanup()

    def add_post(self, post: SourcePost) -> None:
        cursor = self.db.execute("INSERT OR IGNORE INTO posts (ref, data) VALUES (?, ?)",
                                 (post.ref, json.dumps(post.to_json())))
        self.repeated += cursor.rowcount == 0

    def add_comment(self, comment: SourceComment) -> None:
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO comments (ref, post_ref, parent_ref, status, created, data) VALUES (?,?,?,?,?,?)",
            (comment.ref, comment.post_ref, comment.parent_ref, comment.status, comment.created,
             json.dumps(comment.to_json())))
        self.repeated += cursor.rowcount == 0

    def posts(self) -> Iterator[SourcePost]:
        for (data,) in self.db.execute("SELECT data FROM posts ORDER BY seq"):
            yield SourcePost(**json.loads(data))

    def post_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM posts").fetchone()[0])

    def commented_posts(self) -> list[str]:
        """The post ref of every thread, each once, in the order their first comments were read."""
        rows = self.db.execute("SELECT post_ref FROM comments GROUP BY post_ref ORDER BY min(seq)")
        return [str(post_ref) for (post_ref,) in rows]

    def comment_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM comments").fetchone()[0])

    def thread_ids(self, post_ref: str) -> list[tuple[str, str, str | None, str, str]]:
        """(ref, post ref, parent ref, status, created) of one post's comments: what planning needs, no bodies.

        A thread is planned alone (a parent on another post is no parent), so
        memory follows the largest thread, not the file.
        """
        return list(self.db.execute("SELECT ref, post_ref, parent_ref, status, created FROM comments"
                                    " WHERE post_ref = ? ORDER BY seq", (post_ref,)))

    def comments(self, refs: list[str]) -> dict[str, SourceComment]:
        found: dict[str, SourceComment] = {}
        for start in range(0, len(refs), 500):
            chunk = refs[start:start + 500]
            rows = self.db.execute(f"SELECT data FROM comments WHERE ref IN ({','.join('?' * len(chunk))})", chunk)
            for (data,) in rows:
                comment = SourceComment(**json.loads(data))
                found[comment.ref] = comment
        return found
