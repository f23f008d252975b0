"""A post's counts (comment_count, favorites_count): moved on its summary item and its label copies, never the post.

DynamoDB bills a write by the size of the whole item written (1 unit per KB of
the larger of its old and new image, twice in a transaction). The post item
holds the body and its HTML, up to hundreds of KB; the summary item holds what a
list shows, a few hundred bytes. So a comment, a moderation action or a favorite
moves the count on the summary item, and on each label membership, which carries
a copy of the summary so that a label page is one Query (post_lists.py).

The write is conditioned on the post's version as the caller read it with the
summary item: a post save that changed the labels (or anything a copy holds)
moved the version, and the count is cancelled rather than written to copies
that no longer are the post's. The caller retries, or answers 409.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog.post_upkeep import label_member_keys
from chalicelib.errors import Conflict
from chalicelib.store import keys
from chalicelib.store.table import Item, Refusal, TransactionCancelled, Write, update


class PostChanged(TransactionCancelled):
    """The post was saved between reading its summary and counting on it: read again."""

    def __init__(self) -> None:
        super().__init__(["the post changed meanwhile"])


def tally(summary: Item, field: str, delta: int, condition: str | None = None,
          names: dict[str, str] | None = None, refusal: Refusal | None = None, **values: Any) -> list[Write]:
    """Move ``field`` by ``delta`` on the post's summary item and its label copies (writes for one transaction).

    ``summary`` is the summary item as read. ``condition`` (with ``names`` and
    ``values``) is the caller's own condition on it, failing with ``refusal``;
    a save since the read fails with PostChanged (a TransactionCancelled).
    """
    version = summary["version"]

    def refused(old: Item | None) -> Exception:
        if old is not None and old.get("version") != version:
            return PostChanged()
        if refusal is None:
            return Conflict("the post changed meanwhile; try again")
        return refusal if isinstance(refusal, Exception) else refusal(old)  # a refusal may read the item as it was

    checked = "#version = :version" + (f" AND ({condition})" if condition else "")
    how: Refusal = refused
    writes = [update(keys.post_summary(summary["slug"]), f"ADD {field} :delta", checked,
                     {"#version": "version", **(names or {})}, refusal=how, delta=delta, version=version, **values)]
    # The copies exist while the version stands (a save writes them with the summary): no condition of their own.
    writes += [update(key, f"ADD {field} :delta", delta=delta) for key in label_member_keys(summary)]
    return writes
