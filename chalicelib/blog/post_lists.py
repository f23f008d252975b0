"""The lists of posts readers browse: newest first, by label, author or month; labels and the archive.

Each page is one Query of an index the post's own transaction keeps
(post_upkeep.py), paged by a signed cursor bound to the list and its filters.
The items read are small: posts' summary items (GSI1, GSI2) or label
memberships carrying a copy of the summary, never the posts with their bodies.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog import clock, views
from chalicelib.blog.status import Status
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import page_limit, read_query
from chalicelib.errors import Forbidden, Invalid
from chalicelib.patterns import lazy
from chalicelib.store import cursors, keys
from chalicelib.store.keys import END
from chalicelib.store.table import Table

LIST_PARAMETERS = ("limit", "cursor", "label", "author", "status", "month")
_MONTH = lazy(r"^\d{4}-(0[1-9]|1[0-2])$")


class PostLists:
    def __init__(self, table: Table, cursor_key: bytes) -> None:
        self.table = table
        self.cursor_key = cursor_key

    def listing(self, principal: Principal | None, params: dict[str, str] | None) -> dict[str, Any]:
        query = read_query(params, LIST_PARAMETERS)
        limit = page_limit(query.get("limit"))
        now = clock.now_iso()
        label, author, month = query.get("label"), query.get("author"), query.get("month")
        status = query.get("status", Status.PUBLISHED)
        scope = "posts|" + "|".join(f"{k}={query.get(k, '')}" for k in ("label", "author", "status", "month"))
        start = cursors.decode(query.get("cursor"), scope, self.cursor_key)
        if month is not None and not _MONTH.match(month):
            raise Invalid.field("month", "must be a month as YYYY-MM")
        if status not in (Status.PUBLISHED, Status.DRAFT, Status.SCHEDULED):
            raise Invalid.field("status", "must be published, draft or scheduled")
        if label is not None and (author is not None or month is not None or status != Status.PUBLISHED):
            raise Invalid.field("label", "cannot be combined with author, month or status")
        if status != Status.PUBLISHED:
            return self._unpublished(principal, author, status, month, limit, start, scope, now)
        if label is not None:
            return self._by_label(label, limit, start, scope, now)
        upper = now + END
        if month is not None:
            lower, upper = month, min(upper, month + END)
        else:
            lower = None
        if author is not None:
            page = self.table.query(
                keys.author_partition(author), index="GSI2", newest_first=True, limit=limit, start_key=start,
                sort_from=keys.PUBLISHED_PREFIX + (lower or ""), sort_to=keys.PUBLISHED_PREFIX + upper,
            )
        else:
            page = self.table.query(keys.POSTS_PARTITION, index="GSI1", newest_first=True, limit=limit,
                                    start_key=start, sort_from=lower, sort_to=upper)
        return self._page([views.post_summary(i, now) for i in page.items], page.last_key, scope)

    def _unpublished(self, principal: Principal | None, author: str | None, status: str,
                     month: str | None, limit: int, start: dict[str, str] | None,
                     scope: str, now: str) -> dict[str, Any]:
        if principal is None:
            raise Forbidden(f"sign in to see {status} posts")
        if month is not None:
            raise Invalid.field("month", f"cannot be combined with status={status}")
        if author is None and principal.is_admin:
            # An admin without an author: every author's, from the site-wide indexes.
            if status == Status.DRAFT:
                page = self.table.query(keys.DRAFTS_PARTITION, index="GSI1", newest_first=True, limit=limit,
                                        start_key=start)
            else:
                page = self.table.query(keys.POSTS_PARTITION, index="GSI1", newest_first=True, limit=limit,
                                        start_key=start, sort_from=now + END, sort_to=END)
            return self._page([views.post_summary(i, now) for i in page.items], page.last_key, scope)
        author = author or principal.username
        if author.casefold() != principal.username.casefold() and not principal.is_admin:
            raise Forbidden(f"only {author} and admins can see {author}'s {status} posts")
        if status == Status.DRAFT:
            bounds = (keys.DRAFT_PREFIX, keys.DRAFT_PREFIX + END)
        else:
            bounds = (keys.PUBLISHED_PREFIX + now + END, keys.PUBLISHED_PREFIX + END)
        page = self.table.query(keys.author_partition(author), index="GSI2", newest_first=True, limit=limit,
                                start_key=start, sort_from=bounds[0], sort_to=bounds[1])
        return self._page([views.post_summary(i, now) for i in page.items], page.last_key, scope)

    def _by_label(self, label: str, limit: int, start: dict[str, str] | None,
                  scope: str, now: str) -> dict[str, Any]:
        # One Query: each membership carries the post's summary and counts, written by the
        # post's own transaction and moved with its counts (blog/counters.py). A membership
        # without a summary predates that (make migrate fills it in) and is left out.
        page = self.table.query(keys.label_partition(keys.label_key(label)), newest_first=True, limit=limit,
                                start_key=start, sort_to=now + END)
        items = [views.post_summary(m, now) for m in page.items if "title" in m and views.is_public(m, now)]
        return self._page(items, page.last_key, scope)

    def _page(self, items: list[dict[str, Any]], last_key: dict[str, str] | None, scope: str) -> dict[str, Any]:
        return {"items": items, "next_cursor": cursors.encode(last_key, scope, self.cursor_key)}

    def labels(self, params: dict[str, str] | None) -> dict[str, Any]:
        query = read_query(params, ("limit", "cursor"))
        start = cursors.decode(query.get("cursor"), "labels", self.cursor_key)
        page = self.table.query(keys.LABELS_PARTITION, limit=page_limit(query.get("limit"), 100), start_key=start)
        items = [{"label": i["label"], "count": int(i["count"])} for i in page.items]
        return self._page(items, page.last_key, "labels")

    def all_labels(self, max_pages: int = 10) -> list[str]:
        """Every label in use, by name, for clients that take no pages (up to a bound)."""
        names: list[str] = []
        start: dict[str, str] | None = None
        for _ in range(max_pages):
            page = self.table.query(keys.LABELS_PARTITION, limit=100, start_key=start)
            names.extend(str(i["label"]) for i in page.items)
            if page.last_key is None:
                break
            start = page.last_key
        return names

    def archive(self, params: dict[str, str] | None) -> dict[str, Any]:
        query = read_query(params, ("limit", "cursor"))
        start = cursors.decode(query.get("cursor"), "archive", self.cursor_key)
        page = self.table.query(keys.ARCHIVE_PARTITION, newest_first=True,
                                limit=page_limit(query.get("limit"), 100), start_key=start)
        # A month stored before dates were checked (year 1 wrote "1-01") is left out, never a 500.
        items = [{"year": year, "month": i["month"], "count": int(i["count"])} for i in page.items
                 if (year := _year(i["month"])) is not None]
        return self._page(items, page.last_key, "archive")


def _year(month: str) -> int | None:
    """The year of an archive month ("2026-03"), or None for one outside the years a post may have (1970-9999)."""
    head = str(month).split("-", 1)[0]
    return int(head) if head.isdigit() and len(head) == 4 and int(head) >= 1970 else None
