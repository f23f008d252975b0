"""Pins and locks: a moderator's hold on one post's thread.

A pin is one item in the post's partition (keys.thread_pin), put under
attribute_not_exists: two pins racing leave exactly one, and the other is told a
comment is pinned already. The pinned comment carries ``pinned`` so that the
paths that edit, vote on, react to, hold or delete it keep the pin's copy true in their
own transaction (threads.unpin_writes, pin_refresh, pin_votes, pin_reactions). The pin sorts between the
post's summary item and its comments, so the Query that reads a post page
reads it too.

A lock is ``locked_at``/``locked_by`` on the post's summary item, the item
every new comment's transaction already conditions on (blog/comment_creation.py): a
comment racing a lock is refused by that condition, with no read more. Votes
stay open in a locked thread (they add no text); edits are refused.

Admins pin and lock any post; an author their own posts. An author does not
lift an admin's pin or lock (as an author does not approve an admin's spam verdict).
Every pin, unpin, lock and unlock is in the audit trail.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog import clock, records, views
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.status import Status
from chalicelib.blog.threads import Threads
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import Field, Text, read_fields
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, delete, put, update

PIN_FIELDS = {"comment_id": Field(Text(64, min_length=1), required=True)}


def locked(summary: Item) -> bool:
    return bool(summary.get("locked_at"))


def lock_view(slug: str, summary: Item) -> dict[str, Any]:
    return {"post": slug, "locked": locked(summary), "locked_by": summary.get("locked_by"),
            "locked_at": summary.get("locked_at")}


def pin_refresh(comment: Item, edited: Item) -> list[Write]:
    """Writes that keep the pin's copy of an edited pinned comment true (none for a comment not pinned)."""
    if not comment.get("pinned"):
        return []
    return [update(keys.thread_pin(comment["post_slug"]), "SET #comment = :view", "comment_id = :id",
                   {"#comment": "comment"}, refusal=Conflict("the comment was unpinned meanwhile; send it again"),
                   view=views.comment_view(edited), id=comment["id"])]


def pin_votes(comment: Item, likes: int, dislikes: int) -> list[Write]:
    """Writes that move the pin's copy of a pinned comment's counts with a vote (none for a comment not pinned)."""
    if not comment.get("pinned") or not (likes or dislikes):
        return []
    return [update(keys.thread_pin(comment["post_slug"]),
                   "SET #c.likes = #c.likes + :dl, #c.dislikes = #c.dislikes + :dd", "comment_id = :id",
                   {"#c": "comment"}, refusal=Conflict("the comment was unpinned meanwhile; vote again"),
                   dl=likes, dd=dislikes, id=comment["id"])]


def pin_reactions(comment: Item, emoji: str, delta: int) -> list[Write]:
    """Writes that move the pin's copy of a pinned comment's reaction count (none for a comment not pinned).

    The copy's ``reactions`` map is the comment's view's, present since the pin was made (records.pin).
    """
    if not comment.get("pinned"):
        return []
    return [update(keys.thread_pin(comment["post_slug"]), "SET #c.#r.#e = if_not_exists(#c.#r.#e, :zero) + :d",
                   "comment_id = :id", {"#c": "comment", "#r": "reactions", "#e": emoji},
                   refusal=Conflict("the comment was unpinned meanwhile; react again"), zero=0, d=delta,
                   id=comment["id"])]


class ThreadControls:
    def __init__(self, table: Table, threads: Threads) -> None:
        self.table = table
        self.threads = threads

    def pin(self, principal: Principal, slug: str, payload: Any) -> dict[str, Any]:
        comment_id = read_fields(payload, PIN_FIELDS)["comment_id"]
        self._moderator(principal, slug)
        comment = self.threads.locate(comment_id, on_post=slug)
        if comment["status"] != Status.APPROVED:
            raise Conflict(f"only a public comment can be pinned; this one is {comment['status']}")
        if comment.get("parent_id"):
            raise Conflict("only a top-level comment can be pinned: a reply stays under the comment it answers")
        now = clock.now_iso()
        view = views.comment_view(comment)
        self._transact([
                put(records.pin(comment, view, principal.username, now), "attribute_not_exists(PK)",
                    refusal=lambda old: Conflict(
                        "this comment is pinned already" if old and old.get("comment_id") == comment_id else
                        "another comment is pinned on this post; unpin it first")),
                update({"PK": comment["PK"], "SK": comment["SK"]}, "SET pinned = :yes", "#status = :approved",
                       {"#status": "status"}, refusal=Conflict("the comment changed meanwhile; load it again"),
                       yes=True, approved=Status.APPROVED),
                _audit(principal.username, "pin", slug, comment),
            ])
        return {"post": slug, "pinned": view}

    def unpin(self, principal: Principal, slug: str) -> dict[str, Any]:
        self._moderator(principal, slug)
        pin = self.table.get(keys.thread_pin(slug))
        if pin is None:
            raise Conflict("no comment is pinned on this post")
        by = str(pin.get("pinned_by", ""))
        if not principal.is_admin and by.casefold() != principal.username.casefold():
            raise Forbidden(f"{by} pinned this comment; only an admin can unpin it")
        comment_key = keys.comment(slug, str(pin["comment_id"]))
        self._transact([
                delete(keys.thread_pin(slug), "comment_id = :id", refusal=Conflict(
                    "the pin changed meanwhile; load the thread again"), id=pin["comment_id"]),
                update(comment_key, "REMOVE pinned", "attribute_exists(PK)"),
                _audit(principal.username, "unpin", slug, {"id": pin["comment_id"], "status": Status.APPROVED}),
            ])
        return {"post": slug, "pinned": None}

    def lock(self, principal: Principal, slug: str) -> dict[str, Any]:
        self._moderator(principal, slug)
        now = clock.now_iso()
        self._transact([
            update(keys.post_summary(slug), "SET locked_at = :now, locked_by = :by",
                   "attribute_exists(PK) AND attribute_not_exists(locked_at)",
                   refusal=lambda old: Conflict("the thread is locked already") if old else
                   NotFound("there is no post at that address"), now=now, by=principal.username),
            _audit(principal.username, "lock", slug),
        ])
        return {"post": slug, "locked": True, "locked_by": principal.username, "locked_at": now}

    def unlock(self, principal: Principal, slug: str) -> dict[str, Any]:
        summary = self._moderator(principal, slug)
        if not locked(summary):
            raise Conflict("the thread is not locked")
        by = str(summary.get("locked_by", ""))
        if not principal.is_admin and by.casefold() != principal.username.casefold():
            raise Forbidden(f"{by} locked this thread; only an admin can unlock it")
        self._transact([
            update(keys.post_summary(slug), "REMOVE locked_at, locked_by", "locked_at = :seen",
                   refusal=Conflict("the lock changed meanwhile; load the post again"), seen=summary["locked_at"]),
            _audit(principal.username, "unlock", slug),
        ])
        return lock_view(slug, {})

    def _transact(self, writes: list[Write]) -> None:
        try:
            self.table.transact(writes)
        except TransactionCancelled as contended:  # contention only: a failed condition raised its refusal
            raise Conflict("the thread changed meanwhile; try again") from contended

    def _moderator(self, principal: Principal, slug: str) -> Item:
        """The post's summary item, once the principal may pin and lock on it: an admin, or the post's author."""
        summary = self.table.get(keys.post_summary(slug))
        if summary is None or summary.get("status") == Status.DELETING:
            raise NotFound("there is no post at that address")
        if not principal.is_admin and not (
                principal.can_author and str(summary.get("author", "")).casefold() == principal.username.casefold()):
            raise Forbidden("only admins and the post's author pin and lock its comments")
        return summary


def _audit(who: str, action: str, slug: str, comment: Item | None = None) -> Write:
    at, entry_id = clock.now_iso(), new_ulid()
    extra = {"comment_id": comment["id"], "from_status": comment["status"]} if comment is not None else {}
    return put({**keys.audit_entry(at, entry_id), **keys.audit_post_index_keys(slug, at, entry_id),
                "at": at, "who": who, "action": action, "post": slug, **extra})
