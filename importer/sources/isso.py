"""Isso: its SQLite database (``comments.db``), opened read-only; and Isso's "generic" JSON import format.

Threads are pages of another site, by URI (a path): each attaches to the post
already here with that address or slug, else becomes a post, as Disqus threads
do. Comments keep their parent; Isso already flattens a reply to a reply onto
the top-level comment, so threads are at most two levels deep. Modes: 1
accepted, 2 pending (held here), 4 deleted (Isso blanks the text; a tombstone
here when a reply hangs from it). Isso's text is Markdown, rendered as a
comment here is (raw HTML shows as text). Likes and dislikes come in as counts: Isso
keeps only a bloom filter of its voters, so none of them is known here.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote_plus

from chalicelib.blog import rendering
from importer.formats import ReadOptions
from importer.model import APPROVED, DELETED, PENDING, ImportError_, Record, SourceComment, SourcePost
from importer.sources.common import (
    any_date,
    clean,
    epoch_date,
    field_of,
    notes_of,
    title_from_url,
    vote_counts,
    within_limit,
)
from importer.sources.jsonstream import array_rows
from importer.urls import slug_from_url, url_key

MAGIC = b"SQLite format 3\x00"
_MODES = {1: APPROVED, 2: PENDING, 4: DELETED}
_THREAD_COLUMNS = {"id", "uri", "title"}
_COMMENT_COLUMNS = {"id", "tid", "parent", "created", "mode", "text", "author", "email", "website", "likes",
                    "dislikes"}


def is_isso(db: sqlite3.Connection) -> bool:
    return _columns(db, "threads") >= _THREAD_COLUMNS and _columns(db, "comments") >= _COMMENT_COLUMNS


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}


def connect(path: Path) -> sqlite3.Connection:
    """The database, read-only and immutable: an import never writes to (nor locks) the operator's Isso file."""
    try:
        db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as broken:
        raise ImportError_(f"{path.name}: an SQLite file that does not open ({broken})") from None
    return db


def read(path: Path, options: ReadOptions) -> Iterator[Record]:
    db = connect(path)
    try:
        if not is_isso(db):
            raise ImportError_(f"{path.name}: an SQLite database, but not Isso's (no threads and comments tables "
                               "with Isso's columns)")
        yield from _threads(db)
        yield from _comments(db)
    except sqlite3.DatabaseError as broken:
        raise ImportError_(f"{path.name}: the database cannot be read ({broken})") from None
    finally:
        db.close()


def _threads(db: sqlite3.Connection) -> Iterator[Record]:
    rows = db.execute("SELECT t.id, t.uri, t.title, min(c.created) FROM threads t"
                      " LEFT JOIN comments c ON c.tid = t.id GROUP BY t.id ORDER BY t.id")
    for tid, uri, title, first in map(clean, rows):
        what = f"thread {tid}"
        if not isinstance(uri, str) or not uri.strip():
            raise ImportError_(f"{what}: has no URI")
        yield SourcePost(
            ref=f"thread:{uri}", title=str(title or "").strip() or title_from_url(uri),
            html=f'<p><a href="{html.escape(uri)}">{html.escape(uri)}</a></p>',
            published=epoch_date(first, what) if first is not None else None, url=uri, url_key=url_key(uri),
            slug_hint=slug_from_url(uri), attach_existing=True)


def _comments(db: sqlite3.Connection) -> Iterator[Record]:
    notes: list[str] = []
    rows = db.execute("SELECT c.id, t.uri, c.parent, c.created, c.mode, c.text, c.author, c.email, c.website,"
                      " c.likes, c.dislikes FROM comments c LEFT JOIN threads t ON t.id = c.tid ORDER BY c.id")
    for cid, uri, parent, created, mode, text, author, email, website, likes, dislikes in map(clean, rows):
        what = f"comment {cid}"
        if mode not in _MODES:
            raise ImportError_(f"{what}: mode {mode!r} is none of Isso's (1 accepted, 2 pending, 4 deleted)")
        body = str(text or "")
        status = within_limit(_MODES[mode], body, what, notes)
        if uri is None:  # a comment of no thread: planned as an orphan, and reported so
            uri = f"(no thread) {cid}"
        liked, disliked = vote_counts(likes, dislikes, what)
        # Refs by address, not by Isso's row numbers: every Isso database numbers its threads
        # and comments from 1, and a second site's thread 1 must never land on the first's.
        yield SourceComment(
            ref=f"thread:{uri}/comment-{cid}", post_ref=f"thread:{uri}",
            parent_ref=f"thread:{uri}/comment-{parent}" if parent is not None else None,
            html=rendering.comment_html(body) if status != DELETED else "",
            created=epoch_date(created, what), status=status, author_name=str(author or ""),
            author_email=str(email or ""), author_website=str(website or ""), likes=liked, dislikes=disliked)
        yield from notes_of(notes)


# -- Isso's "generic" JSON import format ------------------------------------------
# A list of threads, {"id": uri, "title", "comments": [{"id", "author", "email", "website",
# "remote_addr", "created": "YYYY-MM-DD HH:MM:SS", "text"}]}: flat (no parents), every comment accepted.

def looks_like_generic(head: bytes) -> bool:
    start = head.lstrip()
    return start.startswith(b"[") and b'"comments"' in start and b'"id"' in start


def read_generic(path: Path, options: ReadOptions) -> Iterator[Record]:
    notes: list[str] = []
    for number, thread in enumerate(array_rows(path), 1):  # a thread at a time
        uri = field_of(thread, "id", f"thread {number}")
        what = f"thread {number} ({uri[:80]})"
        comments = field_of(thread, "comments", what, list)
        title = str(thread.get("title") or "").strip()
        if title and not any(c.isspace() for c in title) and ("+" in title or "%" in title):
            title = unquote_plus(title)  # written form-encoded ("Nat+%26+Miguel"), as Isso's own sample is
        created = [any_date(c.get("created"), f"{what}, comment {c.get('id')}") for c in comments
                   if isinstance(c, dict)]
        yield SourcePost(
            ref=f"thread:{uri}", title=title or title_from_url(uri),
            html=f'<p><a href="{html.escape(uri)}">{html.escape(uri)}</a></p>',
            published=min((c for c in created if c), default=None), url=uri, url_key=url_key(uri),
            slug_hint=slug_from_url(uri), attach_existing=True)
        for comment, when in zip(comments, created, strict=True):
            cid = field_of(comment, "id", f"{what}, a comment", (int, str))
            if when is None:
                raise ImportError_(f"{what}, comment {cid}: has no 'created' date")
            body = str(comment.get("text") or "")
            status = within_limit(APPROVED if body.strip() else DELETED, body, f"{what}, comment {cid}", notes)
            yield SourceComment(
                ref=f"thread:{uri}/comment-{cid}", post_ref=f"thread:{uri}", parent_ref=None,
                html=rendering.comment_html(body) if status != DELETED else "", created=when, status=status,
                author_name=str(comment.get("author") or ""), author_email=str(comment.get("email") or ""),
                author_website=str(comment.get("website") or ""))
            yield from notes_of(notes)
