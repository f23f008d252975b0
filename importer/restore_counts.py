"""The restore's last check: a restored post's counts against the items that count for them.

Each post's partition is read back (Query pages, never a Scan) and its comment_count, favorites_count,
every comment's reply_count, likes and dislikes, and the reaction counts of the post and its public
comments are compared with the comments, votes, favorites and reactions found there.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.blog.status import Status
from chalicelib.store import keys
from chalicelib.store.table import Item, Table


def post_mismatches(table: Table, slug: str) -> list[str]:
    """How the restored post's stored counts disagree with the items that count for them (none: agree)."""
    mismatches: list[str] = []

    def compare(what: str, stored: Any, counted: int) -> None:
        if int(stored or 0) != counted:
            mismatches.append(f"{what} is {int(stored or 0)}, but {counted} items count for it")

    post: Item | None = None
    comments: dict[str, Item] = {}
    replies: Counter[str] = Counter()
    likes: Counter[tuple[str, int]] = Counter()
    reacted: Counter[tuple[str, str]] = Counter()  # (comment id or "post", emoji) -> reaction items
    favorites = 0
    start: dict[str, str] | None = None
    while True:
        page = table.query(keys.post_partition(slug), limit=1000, start_key=start)
        for found in page.items:
            sort_key = str(found["SK"])
            if sort_key == keys.POST_SUMMARY_SK:
                post = found  # where the post's counts are
            elif sort_key.startswith((keys.COMMENT_PREFIX, keys.HELD_PREFIX)):
                comments[str(found["id"])] = {k: found.get(k) for k in
                                             ("SK", "status", "reply_count", "likes", "dislikes",
                                              "imported_likes", "imported_dislikes", "reactions")}
                if sort_key.startswith(keys.COMMENT_PREFIX) and found.get("parent_id"):
                    replies[str(found["parent_id"])] += 1
            elif sort_key.startswith(keys.VOTE_PREFIX):
                likes[(sort_key.split("#")[1], int(found["value"]))] += 1
            elif sort_key.startswith(keys.FAVORITE_PREFIX):
                favorites += 1
            elif sort_key.startswith(keys.REACTION_PREFIX):
                reacted[(str(found["target"]), str(found["emoji"]))] += 1
        start = page.last_key
        if start is None:
            break
    if post is None:
        return [f"{slug}: the post is missing after the restore"]
    public = sum(1 for c in comments.values()
                 if str(c["SK"]).startswith(keys.COMMENT_PREFIX) and c["status"] == Status.APPROVED)
    compare(f"{slug}: comment_count", post.get("comment_count", 0), public)
    compare(f"{slug}: favorites_count", post.get("favorites_count", 0), favorites)
    for comment_id, comment in comments.items():
        compare(f"{slug}, comment {comment_id}: reply_count", comment["reply_count"], replies[comment_id])
        # An imported comment's likes start from what its source counted (no voter of it is known here).
        compare(f"{slug}, comment {comment_id}: likes", comment["likes"],
                likes[(comment_id, 1)] + int(comment["imported_likes"] or 0))
        compare(f"{slug}, comment {comment_id}: dislikes", comment["dislikes"],
                likes[(comment_id, -1)] + int(comment["imported_dislikes"] or 0))
    # Reactions are counted on the post and on public comments (blog/reactions.py); held ones keep theirs.
    maps = {"post": post.get("reactions") or {}}
    maps.update({i: c.get("reactions") or {} for i, c in comments.items()
                 if str(c["SK"]).startswith(keys.COMMENT_PREFIX) and c["status"] == Status.APPROVED})
    for target, counts in maps.items():
        for emoji in {*counts, *(e for t, e in reacted if t == target)}:
            compare(f"{slug}, {target}: reactions {emoji}", counts.get(emoji, 0), reacted[(target, emoji)])
    return mismatches
