"""Ghost: its JSON export (Settings > Labs > Export), ``{"db": [{"meta": …, "data": {posts, tags, users, …}}]}``.

Posts keep Ghost's own ``slug``, title, dates, status (published, scheduled;
draft stays a draft) and tags as labels (Ghost's internal ``#tags`` are left
out). A post shown only to members or paying members is imported as a draft,
never public, and the report lists it. The body is Ghost's ``html``; an
export without it (Ghost writes ``html`` only once rendered) has it rendered
from ``lexical`` or ``mobiledoc`` (ghost_render.py), or Ghost 0.x's ``markdown``. Authors come from
``posts_authors`` (the first is the post's author) and ``users``. Pages come
with --pages. The export is one JSON document, read whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chalicelib.blog import rendering
from importer.formats import ReadOptions
from importer.model import ImportError_, Note, Record, Skipped, SourcePost
from importer.sources.common import any_date, field_of, whole_json
from importer.sources.ghost_render import Rendered, lexical, mobiledoc

_STATUSES = ("published", "scheduled", "draft")


def looks_like_ghost(head: bytes) -> bool:
    """Ghost writes ``{"db":[{"meta":{"exported_on":…`` first (and older exports ``{"meta":…,"data":…``)."""
    start = head.lstrip()[:400].replace(b" ", b"").replace(b"\n", b"")
    return start.startswith(b'{"db":[{"meta":') or (start.startswith(b'{"meta":{"exported_on"'))


def read(path: Path, options: ReadOptions) -> Iterator[Record]:
    data = _data(whole_json(path))
    posts = field_of(data, "posts", "the export's data", list)
    users = {str(u.get("id")): str(u.get("name") or "") for u in data.get("users") or [] if isinstance(u, dict)}
    tags = {str(t.get("id")): str(t.get("name") or "") for t in data.get("tags") or [] if isinstance(t, dict)}
    tags_of = _joined(data.get("posts_tags"), "tag_id")
    authors_of = _joined(data.get("posts_authors"), "author_id")
    for number, post in enumerate(posts, 1):
        yield from _post(post, f"post {number}", options, users, tags, tags_of, authors_of)


def _data(document: Any) -> dict[str, Any]:
    if isinstance(document, dict) and isinstance(document.get("db"), list) and document["db"]:
        document = document["db"][0]
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise ImportError_("the export has no 'data' (a Ghost export is {\"db\": [{\"meta\": …, \"data\": …}]})")
    return data


def _joined(rows: Any, column: str) -> dict[str, list[str]]:
    """post id -> the ids a join table gives it (tags, authors), in their ``sort_order``."""
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in rows or []:
        if isinstance(row, dict) and row.get("post_id") is not None:
            found[str(row["post_id"])].append((int(row.get("sort_order") or 0), str(row.get(column))))
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
        author=users.get(author_ids[0]) or None, draft=status == "draft" or members_only)
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
