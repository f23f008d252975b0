"""How many public comments posts have, many posts at once: the counts under each post of an index page.

One BatchGetItem of the posts' summary items, where their counts are kept
(blog/counters.py; only the attributes a count needs).
``counts`` is the one place that knows where a post's comment count is kept, so
moving the count elsewhere changes this function alone.

Every slug asked about gets a number: a post that does not exist, or is not
public (a draft, a post scheduled for later), answers 0, as a public post
without comments does. So the answer says nothing about unpublished posts, and
a page can show "No comments" for any slug it names.
"""

from __future__ import annotations

from chalicelib.blog import clock, views
from chalicelib.blog.slugs import is_valid_slug
from chalicelib.blog.validation import read_query
from chalicelib.errors import Invalid
from chalicelib.store import keys
from chalicelib.store.table import Table

MAX_POSTS = 100
COUNT_PARAMETERS = ("posts",)
# What the count of a post needs from its item: whether it is public, and the count.
_ATTRIBUTES = ("slug", "status", "published_at", "comment_count")


def requested_slugs(params: dict[str, str] | None) -> list[str]:
    """The slugs of ``?posts=a,b,c``, each once, in the order given; refusals name ``posts``."""
    raw = read_query(params, COUNT_PARAMETERS).get("posts")
    if raw is None or not raw.strip():
        raise Invalid.field("posts", "is required: post slugs separated by commas")
    parts = raw.split(",")
    # Counted before repeats are dropped, as the document's maxItems counts: 101 names are refused even when
    # some repeat, so a client that keeps to the document and the server agree on every list.
    if len(parts) > MAX_POSTS:
        raise Invalid.field("posts", f"names at most {MAX_POSTS} posts in one request")
    slugs = list(dict.fromkeys(part.strip() for part in parts))
    bad = [slug for slug in slugs if not is_valid_slug(slug)]
    if bad:
        shown = bad[0] if len(bad[0]) <= 40 else bad[0][:40] + "…"
        raise Invalid.field("posts", f"{shown!r} is not a post slug (lowercase words joined by hyphens)")
    return slugs


class CommentCounts:
    def __init__(self, table: Table) -> None:
        self.table = table

    def for_posts(self, params: dict[str, str] | None) -> dict[str, object]:
        """``{"counts": {slug: n}}`` for every slug of ``?posts=``."""
        return {"counts": self.counts(requested_slugs(params))}

    def counts(self, slugs: list[str]) -> dict[str, int]:
        """The public comment count of each post (0 for a post that is missing or not public)."""
        now = clock.now_iso()
        found = self.table.batch_get([keys.post_summary(slug) for slug in slugs], _ATTRIBUTES)
        public = {str(item["slug"]): int(item.get("comment_count", 0)) for item in found
                  if views.is_public(item, now)}
        missing = [slug for slug in slugs if slug not in public]
        if missing:
            # A renamed post is filed under its first slug: its other slugs are found through their pointers.
            homes = {str(p["slug"]): str(p["home"])
                     for p in self.table.batch_get([keys.slug_alias(slug) for slug in missing])}
            renamed = {str(item["slug"]): int(item.get("comment_count", 0))
                       for item in self.table.batch_get([keys.post_summary(h) for h in set(homes.values())],
                                                        _ATTRIBUTES) if views.is_public(item, now)}
            public.update({slug: renamed[home] for slug, home in homes.items() if home in renamed})
        return {slug: public.get(slug, 0) for slug in slugs}
