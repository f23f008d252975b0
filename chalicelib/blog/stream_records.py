"""The table's stream, read: a record's images as plain values, and the comments it makes visible or holds.

The stream handlers (notifications, digests, webhooks, Akismet, search, mailed
requests) each decide from the same two questions, answered here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.blog.status import Status
from chalicelib.store import keys
from chalicelib.store.table import Item

_deserializer = TypeDeserializer()


def image(raw: Mapping[str, Any] | None) -> Item | None:
    """A stream image (DynamoDB JSON) as plain values."""
    return {k: _deserializer.deserialize(v) for k, v in raw.items()} if raw else None


def _is_public_comment(item: Item | None) -> bool:
    return (item is not None and str(item.get("SK", "")).startswith(keys.COMMENT_PREFIX)
            and item.get("status") == Status.APPROVED)


def newly_visible(record: Mapping[str, Any]) -> Item | None:
    """The comment a stream record makes visible to readers, or None."""
    change = record.get("dynamodb") or {}
    sort_key = (change.get("Keys") or {}).get("SK", {}).get("S", "")
    if not sort_key.startswith(keys.COMMENT_PREFIX):
        return None  # not a public comment's key: nothing to deserialise
    new = image(change.get("NewImage"))
    if not _is_public_comment(new) or _is_public_comment(image(change.get("OldImage"))):
        return None
    if new is not None and new.get("imported_from"):
        return None  # brought in by the importer (importer/): old news, nobody is told
    return new


def newly_held(record: Mapping[str, Any]) -> Item | None:
    """The comment a stream record puts in the moderation queue (a pending HELD# item inserted), or None."""
    change = record.get("dynamodb") or {}
    sort_key = (change.get("Keys") or {}).get("SK", {}).get("S", "")
    if not sort_key.startswith(keys.HELD_PREFIX) or record.get("eventName") != "INSERT":
        return None
    held = image(change.get("NewImage"))
    if held is None or held.get("status") != Status.PENDING or held.get("imported_from"):
        return None
    return held
