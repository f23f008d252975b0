"""Steps the moderation tests share: what readers see listed, what waits in the queues, the audit trail."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def listed(api: Api, slug: str) -> list[str]:
    """The ids of the comments a reader sees under the post (its first 100)."""
    reply = api.get(f"/posts/{slug}/comments?limit=100")
    assert reply.status == 200, reply.body
    return [c["id"] for c in reply.json["items"]]


def held_queue(api: Api, token: str) -> list[dict[str, Any]]:
    """The first page of the held comments' queue, as its moderator (``token``) sees it."""
    reply = api.get("/moderation/comments?status=pending", token=token)
    assert reply.status == 200, reply.body
    return list(reply.json["items"])


def spam_queue(api: Api, token: str) -> list[dict[str, Any]]:
    """The first page of the comments moved to spam."""
    reply = api.get("/moderation/comments?status=spam", token=token)
    assert reply.status == 200, reply.body
    return list(reply.json["items"])


def audit(api: Api, token: str, slug: str | None = None) -> list[dict[str, Any]]:
    """The audit trail's first page, newest first; of one post's comments with ``slug``."""
    reply = api.get("/moderation/audit" + (f"?post={slug}" if slug else ""), token=token)
    assert reply.status == 200, reply.body
    return list(reply.json["items"])
