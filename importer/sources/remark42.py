"""Remark42: its backup (``remark42 backup``, ``backup-<site>-<time>.gz``), gzipped JSON lines, read line by line.

The first line is the site's meta (its users, blocked or not, and its posts,
read-only or not); every other line is one comment. A page is known by its
comments' ``locator.url``: the first comment of a page makes it (attached to the
post already here with that address or slug, else created), titled from the
comment's ``title``. ``text`` is Remark42's rendered HTML, sanitised here as
any imported comment is. Deleted comments (by their author or an admin) have
their text blanked: a tombstone when a reply hangs from one. Comments of a user
blocked at backup time are held for moderation. A read-only page's comments are
closed. Votes come in as counts: the ``votes`` map (voter to up or down) when
the line has one, else the net ``score``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from importer.formats import ReadOptions, iso_date
from importer.model import APPROVED, DELETED, PENDING, ImportError_, Record, SourceComment, SourcePost
from importer.sources.common import (
    clean,
    counts_from_score,
    field_of,
    lines,
    notes_of,
    opened,
    title_from_url,
    vote_counts,
    within_limit,
)
from importer.urls import slug_from_url, url_key


def is_remark42(first_line: bytes) -> bool:
    """Whether the first line is Remark42's meta line (``version`` and ``users``) or one of its comments."""
    try:
        record = json.loads(first_line)
    except ValueError:
        return False
    return isinstance(record, dict) and (
        ("version" in record and "users" in record and "posts" in record)
        or ("locator" in record and "user" in record and "pid" in record))


def read(path: Path, options: ReadOptions) -> Iterator[Record]:
    closed: set[str] = set()  # url keys of read-only pages
    pages: set[str] = set()   # url keys of the pages already made: one per page, however many comments
    notes: list[str] = []
    try:
        with opened(path) as handle:
            for number, line in lines(handle):
                if not line.strip():
                    continue
                what = f"line {number}"
                try:
                    record = clean(json.loads(line))
                except ValueError as broken:
                    raise ImportError_(f"{what}: not a JSON record ({broken})") from None
                if not isinstance(record, dict):
                    raise ImportError_(f"{what}: not a JSON object")
                if "locator" not in record:
                    if "version" not in record:
                        raise ImportError_(f"{what}: neither Remark42's meta line nor a comment (no 'locator')")
                    closed |= _read_only(record, what)
                    continue
                yield from _comment(record, what, pages, closed, notes)
                yield from notes_of(notes)
    except (OSError, EOFError) as broken:
        raise ImportError_(f"{path.name}: the gzip file breaks off ({broken})") from None


def _read_only(meta: dict[str, Any], what: str) -> set[str]:
    posts = meta.get("posts") or []
    if not isinstance(posts, list):
        raise ImportError_(f"{what}: 'posts' is not a list")
    return {url_key(str(p.get("url", ""))) for p in posts if isinstance(p, dict) and p.get("read_only")}


def _comment(record: dict[str, Any], what: str, pages: set[str], closed: set[str],
             notes: list[str]) -> Iterator[Record]:
    cid = field_of(record, "id", what)
    what = f"{what} (comment {cid[:40]})"
    locator = field_of(record, "locator", what, dict)
    url = field_of(locator, "url", f"{what}: locator")
    user: dict[str, Any] = record["user"] if isinstance(record.get("user"), dict) else {}
    created = iso_date(str(record.get("time", "")))
    if created is None:
        raise ImportError_(f"{what}: 'time' {record.get('time')!r} is not a date")
    key = url_key(url)
    if key not in pages:
        pages.add(key)
        title = record.get("title")
        yield SourcePost(
            ref="page:" + key, title=title.strip() if isinstance(title, str) and title.strip() else title_from_url(url),
            html=f'<p><a href="{html.escape(url)}">{html.escape(url)}</a></p>', published=created, url=url,
            url_key=key, slug_hint=slug_from_url(url), comments_closed=key in closed, attach_existing=True)
    text = str(record.get("text") or "")
    status = DELETED if record.get("delete") or not text.strip() else PENDING if user.get("block") else APPROVED
    status = within_limit(status, text, what, notes)
    likes, dislikes = _votes(record, what)
    parent = record.get("pid")
    yield SourceComment(
        ref=cid, post_ref="page:" + key, parent_ref=str(parent) if parent else None,
        html=text if status != DELETED else "", created=created, status=status,
        author_name=str(user.get("name") or ""), likes=likes, dislikes=dislikes)


def _votes(record: dict[str, Any], what: str) -> tuple[int, int]:
    """Likes and dislikes from the voters' map ({"<user id>": true for up}), else from the net score."""
    votes = record.get("votes")
    if isinstance(votes, dict) and votes:
        ups = sum(1 for up in votes.values() if up is True)
        downs = sum(1 for up in votes.values() if up is False)
        return vote_counts(ups, downs, what)
    return counts_from_score(record.get("score"), what)
