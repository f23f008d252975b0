"""Commento and Commento++: a domain's JSON export (``version``, ``comments``, ``commenters``), plain or gzipped.

Each comment names its page by ``domain`` and ``url`` (a path): a page attaches
to the post already here with that address or slug, else becomes a post.
``parentHex`` is "root" for a top-level comment. States: approved, unapproved
(held here), flagged (held as spam); ``deleted`` comments, and comments with no
text, are read as deleted: a tombstone when a reply hangs from one. The HTML
Commento rendered is sanitised here as any imported comment is; without it the
Markdown is rendered as a comment here is. Commenters come from ``commenters``
(Commento writes "undefined" for what an anonymous one did not give). A
comment's net ``score`` comes in as likes (or dislikes, when below 0). The file is one JSON document,
read a row at a time (jsonstream.py).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chalicelib.blog import rendering
from importer.formats import ReadOptions, iso_date
from importer.model import APPROVED, DELETED, PENDING, SPAM, ImportError_, Record, SourceComment, SourcePost
from importer.sources.common import counts_from_score, field_of, notes_of, title_from_url, within_limit
from importer.sources.jsonstream import object_rows
from importer.urls import slug_from_url, url_key

_STATES = {"approved": APPROVED, "unapproved": PENDING, "flagged": SPAM}
_NOT_GIVEN = ("", "undefined", "null")


def read(path: Path, options: ReadOptions) -> Iterator[Record]:
    # Two passes, a row at a time: the commenters (after the comments in Commento's order), then the comments.
    commenters: dict[str, Any] = {}
    tables: set[str] = set()
    for table, row in object_rows(path, tables):
        if table == "commenters" and isinstance(row, dict):
            commenters[str(row.get("commenterHex"))] = row
    if "comments" not in tables:
        raise ImportError_("the export: has no 'comments' (a Commento export is {\"version\": 1, \"comments\": […], "
                           "\"commenters\": […]})")
    pages: set[str] = set()
    notes: list[str] = []
    number = 0
    for table, comment in object_rows(path):
        if table == "comments":
            number += 1
            yield from _comment(comment, f"comment {number}", commenters, pages, notes)
            yield from notes_of(notes)



def _given(value: Any) -> str:
    text = str(value or "").strip()
    return "" if text in _NOT_GIVEN else text


def _comment(comment: Any, what: str, commenters: dict[str, Any], pages: set[str],
             notes: list[str]) -> Iterator[Record]:
    hex_id = field_of(comment, "commentHex", what)
    what = f"{what} ({hex_id[:16]})"
    domain, path = _given(comment.get("domain")), field_of(comment, "url", what)
    url = f"https://{domain}{path}" if domain and path.startswith("/") else path
    created = iso_date(str(comment.get("creationDate", "")))
    if created is None:
        raise ImportError_(f"{what}: 'creationDate' {comment.get('creationDate')!r} is not a date")
    state = str(comment.get("state") or "approved")
    if state not in _STATES:
        raise ImportError_(f"{what}: state {state!r} is none of Commento's (approved, unapproved, flagged)")
    key = url_key(url)
    if key not in pages:
        pages.add(key)
        yield SourcePost(
            ref="page:" + key, title=title_from_url(url),
            html=f'<p><a href="{html.escape(url)}">{html.escape(url)}</a></p>', published=created, url=url,
            url_key=key, slug_hint=slug_from_url(url), attach_existing=True)
    markup = str(comment.get("html") or "")
    markdown = str(comment.get("markdown") or "")
    status = DELETED if comment.get("deleted") or not (markup.strip() or markdown.strip()) else _STATES[state]
    status = within_limit(status, markdown or markup, what, notes)
    likes, dislikes = counts_from_score(comment.get("score"), what)
    author = commenters.get(str(comment.get("commenterHex")), {})
    parent = str(comment.get("parentHex") or "root")
    yield SourceComment(
        ref=hex_id, post_ref="page:" + key, parent_ref=None if parent == "root" else parent,
        html="" if status == DELETED else markup or rendering.comment_html(markdown), created=created,
        status=status, author_name=_given(author.get("name")) if isinstance(author, dict) else "",
        author_email=_given(author.get("email")) if isinstance(author, dict) else "",
        author_website=_given(author.get("link")) if isinstance(author, dict) else "", likes=likes, dislikes=dislikes)
