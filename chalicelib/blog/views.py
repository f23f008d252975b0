"""What leaves the API: each view copies an allow-list of fields from a stored item.

Table keys (PK, SK, GSI*), password hashes, commenter e-mail addresses and
internal bookkeeping never appear in a response because nothing here copies them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.blog import clock
from chalicelib.blog.slugs import public_slug
from chalicelib.blog.status import Status
from chalicelib.store import keys
from chalicelib.store.table import Item


def effective_status(item: Item, now: str) -> str:
    """A scheduled post whose time has come is published, whether or not it was promoted yet."""
    status = str(item["status"])
    if status == Status.SCHEDULED and item["published_at"] <= now:
        return Status.PUBLISHED
    return status


def is_public(item: Item, now: str) -> bool:
    return effective_status(item, now) == Status.PUBLISHED


def post_summary(item: Item, now: str) -> dict[str, Any]:
    return {
        "slug": public_slug(item),  # a renamed post's current slug; "slug" is kept as its key
        "title": item["title"],
        "summary": item["summary"],
        "labels": list(item.get("labels", [])),
        "author": item["author"],
        "status": effective_status(item, now),
        "published_at": item.get("published_at"),
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "comment_count": int(item.get("comment_count", 0)),
        "favorites_count": int(item.get("favorites_count", 0)),
    }


def closed_by_age(item: Item, now: str, close_after_days: int) -> bool:
    """COMMENTS_CLOSE_AFTER_DAYS: comments close this many days after publication (0: never)."""
    published = item.get("published_at")
    return bool(close_after_days and published and published < clock.days_before(now, close_after_days))


def reaction_counts(item: Item) -> dict[str, int]:
    """A post's or comment's reaction counts (blog/reactions.py): the kinds with at least one reaction."""
    return {str(emoji): int(n) for emoji, n in (item.get("reactions") or {}).items() if int(n) > 0}


def post_view(item: Item, now: str, close_after_days: int = 0) -> dict[str, Any]:
    # comments_closed says whether a comment would be taken now, whichever rule closed it.
    # locked: a moderator closed the thread (blog/thread_controls.py); its comments stay visible.
    locked = bool(item.get("locked_at"))
    closed = bool(item.get("comments_closed", False)) or locked or closed_by_age(item, now, close_after_days)
    return {**post_summary(item, now), "html": item["html"], "body": item["body"], "version": int(item["version"]),
            "comments_closed": closed, "locked": locked}


# GRAVATAR (off by default): a Gravatar URL carries the unsalted SHA-256 of the
# commenter's e-mail, which confirms a guessed address offline. Off, no avatar
# URL is given (the widget draws an initial). Set once per process by services.build.
_gravatar = False


def use_gravatar(enabled: bool) -> None:
    global _gravatar
    _gravatar = enabled


def avatar_url(email: str | None) -> str | None:
    if not email or not _gravatar:
        return None
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"https://www.gravatar.com/avatar/{digest}?d=identicon"


def comment_view(item: Item, with_body: bool = False) -> dict[str, Any]:
    """A comment as the API shows it; its Markdown ``body`` only ``with_body``.

    Readers see ``html``; the Markdown source is needed only to edit (the author's
    own answers, moderation, the RealWorld API whose spec names it). Public lists
    leave it out: it was a fifth of a thread's bytes.
    """
    deleted = item["status"] == Status.DELETED
    view = {
        "id": item["id"],
        "post": item["post_slug"],
        "parent_id": item.get("parent_id"),
        "depth": int(item.get("depth", 0)),
        "author": None if deleted else {
            "name": item["author_name"],
            "username": item.get("author_user"),
            # Written by a signed-in account (password, or a mailed sign-in link): a name nobody else can use.
            "verified": bool(item.get("author_user")),
            "website": item.get("author_website") or None,
            "avatar": avatar_url(item.get("author_email")),
        },
        "html": "" if deleted else item["html"],
        "status": item["status"],
        "created_at": item["created_at"],
        "edited_at": item.get("edited_at"),
        "likes": int(item.get("likes", 0)),
        "dislikes": int(item.get("dislikes", 0)),
        "reply_count": int(item.get("reply_count", 0)),
        "reactions": {} if deleted else reaction_counts(item),
    }
    if with_body:
        view["body"] = "" if deleted else item["body"]
    return view


def first_comments(items: list[Item]) -> list[Item]:
    """The comments of a Query that began before them: without the post, its summary and the thread's pin.

    The pin takes one comment's place on the first page (the Query's limit is kept, so is its cost); the
    page's cursor continues after the last item read, so no comment is skipped.
    """
    return [c for c in items if str(c["SK"]).startswith(keys.COMMENT_PREFIX)]

def pinned_of(items: list[Item], comments: list[Item]) -> dict[str, Any] | None:
    """The thread's pinned comment: as read, when it is among ``comments`` (fresher: its votes), else the pin's copy."""
    pin = next((i for i in items if i["SK"] == keys.PIN_SK), None)
    if pin is None:
        return None
    current = next((c for c in comments if c["id"] == pin["comment_id"]), None)
    if current is not None:
        return comment_view(current)
    copy = dict(pin["comment"])  # its reactions as counted in the copy: a kind taken back to 0 is not shown
    return {**copy, "reactions": reaction_counts(copy)}

