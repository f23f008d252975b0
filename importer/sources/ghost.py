"""Ghost: its JSON export (Settings > Labs > Export), ``{"db": [{"meta": …, "data": {posts, tags, users, …}}]}``.

Posts keep Ghost's own ``slug``, title, ``custom_excerpt`` (as the summary), dates, status (published, scheduled;
draft stays a draft) and tags as labels (Ghost's internal ``#tags`` are left
out). A post shown only to members or paying members is imported as a draft,
never public, and the report lists it. The body is Ghost's ``html``; an
export without it (Ghost writes ``html`` only once rendered) has it rendered
from ``lexical`` or ``mobiledoc`` (ghost_render.py), or Ghost 0.x's ``markdown``. Authors come from
``posts_authors`` (the first is the post's author) and ``users``. Pages come
with --pages. The export is one JSON document, read a row at a time
(jsonstream.py), in two passes: the small tables, then the posts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chalicelib.blog import rendering
from importer.formats import ReadOptions
from importer.model import ImportError_, Note, Record, Skipped, SourceAuthor, SourcePost
from importer.sources.common import any_date, field_of, opened
from importer.sources.ghost_render import Rendered, lexical, mobiledoc
from importer.sources.jsonstream import JsonStream
from importer.wxr import summary

_STATUSES = ("published", "scheduled", "draft")
_SMALL_TABLES = ("users", "tags", "posts_tags", "posts_authors")


def looks_like_ghost(head: bytes) -> bool:
    """Ghost writes ``{"db":[{"meta":{"exported_on":…`` first (and older exports ``{"meta":…,"data":…``)."""
    start = head.lstrip()[:400].replace(b" ", b"").replace(b"\n", b"")
    return start.startswith(b'{"db":[{"meta":') or (start.startswith(b'{"meta":{"exported_on"'))


def read(path: Path, options: ReadOptions) -> Iterator[Record]:
    """Two passes over the file: the small tables first (they follow the posts in Ghost's order), then the posts."""
    small: dict[str, list[Any]] = defaultdict(list)
    for table, row in _rows(path):
        if table in _SMALL_TABLES:
            small[table].append(row)
        elif table == "posts":
            small.setdefault("posts", [])  # seen; its rows are read in the second pass
    if "posts" not in small:
        raise ImportError_("the export's data: has no 'posts' (a Ghost export is "
                           "{\"db\": [{\"meta\": …, \"data\": {\"posts\": […], …}}]})")
    users = {str(u.get("id")): str(u.get("name") or "") for u in small["users"] if isinstance(u, dict)}
    for user in small["users"]:
        if isinstance(user, dict) and user.get("name") and isinstance(user.get("email"), str):
            yield SourceAuthor(str(user["name"]), user["email"])
    tags = {str(t.get("id")): str(t.get("name") or "") for t in small["tags"] if isinstance(t, dict)}
    tags_of = _joined(small["posts_tags"], "tag_id")
    authors_of = _joined(small["posts_authors"], "author_id")
    number = 0
    for table, post in _rows(path):
        if table == "posts":
            number += 1
            yield from _post(post, f"post {number}", options, users, tags, tags_of, authors_of)


def _rows(path: Path) -> Iterator[tuple[str, Any]]:
    """(table, row) for every row of every table in the export's ``data``, in file order, one row at a time."""
    with opened(path) as handle:
        stream = JsonStream(handle, path.name)
        for key in stream.members():
            if key == "db" and stream.is_array():
                for index, _ in enumerate(stream.starts()):
                    if index == 0:
                        yield from _database(stream)
                    else:
                        stream.value()
            elif key == "data":
                yield from _tables(stream)
            else:
                stream.value()


def _database(stream: JsonStream) -> Iterator[tuple[str, Any]]:
    for key in stream.members():
        if key == "data":
            yield from _tables(stream)
        else:
            stream.value()


def _tables(stream: JsonStream) -> Iterator[tuple[str, Any]]:
    if not stream.is_object():
        raise ImportError_("the export's 'data' is not an object of tables")
    for table in stream.members():
        if stream.is_array():
            for row in stream.elements():
                yield table, row
        else:
            stream.value()


def _joined(rows: Any, column: str) -> dict[str, list[str]]:
    """post id -> the ids a join table gives it (tags, authors), in their ``sort_order``."""
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in rows or []:
        if isinstance(row, dict) and row.get("post_id") is not None:
            order = row.get("sort_order")
            found[str(row["post_id"])].append((order if isinstance(order, int) else 0, str(row.get(column))))
    return {post: [value for _, value in sorted(pairs)] for post, pairs in found.items()}


def _post(post: Any, what: str, options: ReadOptions, users: dict[str, str], tags: dict[str, str],
          tags_of: dict[str, list[str]], authors_of: dict[str, list[str]]) -> Iterator[Record]:
    post_id = str(field_of(post, "id", what, (str, int)))
    slug = field_of(post, "slug", what)
    what = f"{what} ({slug[:60]!r})"
    kind = str(post.get("type") or ("page" if post.get("page") in (True, 1, "1") else "post"))  # Ghost < 2: "page"
    status = str(post.get("status") or "draft")
    if kind not in ("post", "page") or (kind == "page" and not options.pages):
        yield Skipped(kind)
        return
    if status not in _STATUSES:
        yield Skipped(f"{kind} ({status})")  # "sent": a newsletter only, never on the site
        return
    members_only = str(post.get("visibility") or "public") != "public"
    if members_only:
        yield Note(f"{what}: for {post.get('visibility')} readers only in Ghost: imported as a draft")
    author_ids = authors_of.get(post_id) or [str(post.get("author_id"))]
    notes: list[str] = []
    yield SourcePost(
        ref=f"{kind}-{post_id}", title=str(post.get("title") or ""), html=_body(post, what, notes),
        published=any_date(post.get("published_at"), f"{what}: published_at"),
        updated=any_date(post.get("updated_at"), f"{what}: updated_at"), slug_hint=slug,
        labels=[name for t in tags_of.get(post_id, []) if (name := tags.get(t, "")) and not name.startswith("#")],
        author=users.get(author_ids[0]) or None, draft=status == "draft" or members_only,
        summary=summary(str(post.get("custom_excerpt") or "")))
    for note in notes:
        yield Note(note)


def _body(post: dict[str, Any], what: str, notes: list[str]) -> str:
    if isinstance(post.get("html"), str) and post["html"].strip():
        return str(post["html"])
    rendered = Rendered()
    try:
        if isinstance(post.get("lexical"), str) and post["lexical"].strip():
            body = lexical(post["lexical"], rendered)
        elif isinstance(post.get("mobiledoc"), str) and post["mobiledoc"].strip():
            body = mobiledoc(post["mobiledoc"], rendered)
        elif isinstance(post.get("markdown"), str):  # Ghost 0.x kept Markdown
            body = rendering.post_html(post["markdown"])
        else:
            body = ""
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as broken:
        raise ImportError_(f"{what}: its lexical/mobiledoc document is malformed ({broken!r})") from None
    if rendered.unknown:
        notes.append(f"{what}: Ghost cards left out (not known here): {', '.join(sorted(rendered.unknown))}")
    return body
