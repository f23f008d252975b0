"""Posts as the RealWorld (Conduit) API lists them: offset paging and a total count.

Conduit pages by offset, which DynamoDB cannot skip to: a page at offset N
reads N + limit keys. Offsets are therefore bounded, and every total comes
from a counter kept by the transactions that change it, never from counting.
"""

from __future__ import annotations

import heapq
from typing import Any

from chalicelib.blog import clock, views
from chalicelib.blog.accounts import valid_username
from chalicelib.blog.social import Social
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import MAX_OFFSET
from chalicelib.errors import Invalid
from chalicelib.store import keys
from chalicelib.store.keys import END, Key
from chalicelib.store.table import Item, Table


class Articles:
    def __init__(self, table: Table, social: Social) -> None:
        self.table = table
        self.social = social

    def listing(self, tag: str | None, author: str | None, favorited: str | None,
                limit: int, offset: int) -> tuple[list[Item], int]:
        _check_window(offset)
        if sum(f is not None for f in (tag, author, favorited)) > 1:
            raise Invalid.field("tag", "filter by one of tag, author or favorited at a time")
        if not _addressable(tag, author, favorited):
            return [], 0  # no post can match a name no one can have
        now = clock.now_iso()
        want = offset + limit
        if tag is not None:
            members = self._first(keys.label_partition(keys.label_key(tag)), want, sort_to=now + END)
            # Memberships carry the post's summary and counts (post_upkeep.py); older ones wait for make migrate.
            shown = [m for m in members[offset:] if "title" in m and views.is_public(m, now)]
            return shown, self._count(keys.label_count(keys.label_key(tag)))
        if author is not None:
            posts = self._first(keys.author_partition(author), want, index="GSI2",
                                sort_from=keys.PUBLISHED_PREFIX, sort_to=keys.PUBLISHED_PREFIX + now + END)
            return posts[offset:], self._count(keys.author_count(author))
        if favorited is not None:
            favorites = self._first(keys.favorites_partition(favorited), want, index="GSI1")
            return self._posts_by_slug(favorites[offset:], "GSI1SK"), self.social.favorites_total(favorited)
        posts = self._first(keys.POSTS_PARTITION, want, index="GSI1", sort_to=now + END)
        return posts[offset:], self._count(keys.posts_count())

    def feed(self, viewer: Principal, limit: int, offset: int) -> tuple[list[Item], int]:
        """Newest posts of the authors the viewer follows: one Query each, merged."""
        _check_window(offset)
        now = clock.now_iso()
        authors = self.social.followed_authors(viewer)
        streams = [
            self._first(keys.author_partition(a), offset + limit, index="GSI2",
                        sort_from=keys.PUBLISHED_PREFIX, sort_to=keys.PUBLISHED_PREFIX + now + END)
            for a in authors
        ]
        merged = heapq.merge(*streams, key=lambda p: str(p["GSI2SK"]), reverse=True)
        posts = list(merged)[offset:offset + limit]
        totals = self.table.batch_get([keys.author_count(a) for a in authors])
        return posts, sum(int(t["count"]) for t in totals)

    def summaries(self, posts: list[Item]) -> list[dict[str, Any]]:
        now = clock.now_iso()
        return [views.post_summary(p, now) for p in posts]

    def _first(self, partition: str, want: int, *, index: str | None = None,
               sort_from: str | None = None, sort_to: str | None = None) -> list[Item]:
        """The newest ``want`` items of a partition (more than one Query only past 1 MB)."""
        found: list[Item] = []
        start: dict[str, str] | None = None
        while len(found) < want:
            page = self.table.query(partition, index=index, sort_from=sort_from, sort_to=sort_to,
                                    newest_first=True, limit=want - len(found), start_key=start)
            found.extend(page.items)
            if page.last_key is None:
                break
            start = page.last_key
        return found

    def _posts_by_slug(self, entries: list[Item], sort_key: str) -> list[Item]:
        slugs = [keys.slug_from_timeline_sort_key(str(e[sort_key])) for e in entries]
        found = {p["slug"]: p for p in self.table.batch_get([keys.post_summary(s) for s in slugs])}
        now = clock.now_iso()
        return [found[s] for s in slugs if s in found and views.is_public(found[s], now)]

    def _count(self, key: Key) -> int:
        item = self.table.get(key)
        return int(item["count"]) if item else 0


def _addressable(tag: str | None, author: str | None, favorited: str | None) -> bool:
    # Also keeps over-long values away from DynamoDB, which refuses such keys.
    people_ok = all(valid_username(name) for name in (author, favorited) if name is not None)
    return people_ok and (tag is None or 0 < len(keys.label_key(tag)) <= 40)


def _check_window(offset: int) -> None:
    if offset > MAX_OFFSET:
        raise Invalid.field("offset", f"must be at most {MAX_OFFSET}")

