"""Moderation: which comments are held, the admin's queue, approve / spam / delete, and the audit trail.

A held comment lives at HELD#<ulid> in its post's partition, outside the
public COMMENT# range, so public listing still reads only what it returns;
a sparse GSI1 entry (MODQUEUE#<status>) makes the queue one Query across
posts. Approval moves it into the public range and counts it, in one
transaction with its audit entry.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog import clock, views
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import Choice, Field, page_limit, read_fields, read_query
from chalicelib.errors import Conflict, Forbidden, Invalid
from chalicelib.store import cursors, keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, delete, put, update

OFF, FIRST_TIME, ALL = "off", "first-time", "all"
APPROVED, PENDING, SPAM = "approved", "pending", "spam"
HELD_STATUSES = (PENDING, SPAM)
ACTIONS = ("approve", "spam", "unspam", "delete")
ACTION_FIELDS = {"action": Field(Choice(ACTIONS), required=True)}


def decide(setting: str, principal: Principal | None, post: Item, known: bool) -> str:
    """approved or pending, for a new comment under the MODERATION setting."""
    if principal is not None and (principal.is_admin or principal.username.casefold() == post["author"].casefold()):
        return APPROVED  # an admin's or the post's author's own words are never held
    if setting == OFF or (setting == FIRST_TIME and known):
        return APPROVED
    return PENDING


def held(item: Item, status: str) -> Item:
    """The same comment filed outside the public range, in the moderation queue."""
    plain = {k: v for k, v in item.items() if not k.startswith("GSI")}
    return {**plain, **keys.held_comment(item["post_slug"], item["id"]), "status": status,
            **keys.moderation_queue_keys(status, item["created_at"], item["id"])}


def public(item: Item) -> Item:
    """The same comment in the public range, with its place in the post's by-score order."""
    plain = {k: v for k, v in item.items() if k not in ("GSI1PK", "GSI1SK")}
    score = int(item.get("likes", 0)) - int(item.get("dislikes", 0))
    return {**plain, **keys.comment(item["post_slug"], item["id"]), "status": APPROVED,
            **keys.score_index_keys(item["post_slug"], score, item["id"]),
            # held() dropped its place in the site-wide comments feed; a public comment has one.
            **keys.recent_comment_index_keys(item["created_at"], item["id"])}


class Moderation:
    def __init__(self, table: Table, cursor_key: bytes, comments: Any) -> None:
        self.table = table
        self.cursor_key = cursor_key
        self.comments = comments

    def queue(self, principal: Principal, params: dict[str, str] | None) -> dict[str, Any]:
        _admin(principal)
        query = read_query(params, ("status", "limit", "cursor"))
        status = query.get("status", PENDING)
        if status not in HELD_STATUSES:
            raise Invalid.field("status", "must be pending or spam")
        scope = f"modqueue|{status}"
        page = self.table.query(keys.moderation_queue(status), index="GSI1", newest_first=True,
                                limit=page_limit(query.get("limit")),
                                start_key=cursors.decode(query.get("cursor"), scope, self.cursor_key))
        return {"items": [views.comment_view(i) for i in page.items],
                "next_cursor": cursors.encode(page.last_key, scope, self.cursor_key)}

    def audit(self, principal: Principal, params: dict[str, str] | None) -> dict[str, Any]:
        _admin(principal)
        query = read_query(params, ("limit", "cursor"))
        page = self.table.query(keys.AUDIT_PARTITION, newest_first=True, limit=page_limit(query.get("limit")),
                                start_key=cursors.decode(query.get("cursor"), "audit", self.cursor_key))
        entries = [{k: i.get(k) for k in ("at", "who", "action", "comment_id", "post", "from_status")}
                   for i in page.items]
        return {"items": entries, "next_cursor": cursors.encode(page.last_key, "audit", self.cursor_key)}

    def act(self, principal: Principal, comment_id: str, payload: Any) -> dict[str, Any]:
        _admin(principal)
        action = read_fields(payload, ACTION_FIELDS)["action"]
        comment = self.comments.locate(comment_id)
        entry = self._audit(principal, action, comment)
        status = comment["status"]
        if action == "delete":
            self.comments.delete(principal, comment_id, None)
            self.table.write(entry)
            return {"id": comment_id, "status": "deleted"}
        if action == "approve" and status in HELD_STATUSES:
            return self._approve(comment, entry)
        if action == "spam" and status in (PENDING, APPROVED):
            return self._requeue(comment, SPAM, entry)
        if action == "unspam" and status == SPAM:
            return self._requeue(comment, PENDING, entry)
        raise Conflict(f"a {status} comment cannot be given '{action}'")

    def _approve(self, comment: Item, entry: Write) -> dict[str, Any]:
        item = public(comment)
        slug = comment["post_slug"]
        writes = [
            delete({"PK": comment["PK"], "SK": comment["SK"]}, "#status = :was", {"#status": "status"},
                   was=comment["status"]),
            put(item),
            put({**keys.comment_ref(item["id"]), "post_slug": slug, "sk": item["SK"]}),
            update(keys.post(slug), "ADD comment_count :one", "attribute_exists(PK)", one=1),
            entry,
        ]
        if comment.get("parent_id"):
            writes.append(update(keys.comment(slug, comment["parent_id"]), "ADD reply_count :one",
                                 "#status = :approved", {"#status": "status"}, one=1, approved=APPROVED))
        identity = commenter_identity(comment, self.comments.antispam)
        if identity:
            writes.append(put({**keys.commenter_approved(identity), "since": clock.now_iso()}))
        try:
            self.table.transact(writes)
        except TransactionCancelled as cancelled:
            if comment.get("parent_id") and cancelled.failed(5):
                raise Conflict("the comment it replies to was deleted; delete this one instead") from None
            raise Conflict("the comment changed meanwhile; load the queue again") from None
        return views.comment_view(item)

    def _requeue(self, comment: Item, status: str, entry: Write) -> dict[str, Any]:
        slug = comment["post_slug"]
        item = held(comment, status)
        writes: list[Write]
        if comment["status"] == APPROVED:
            if int(comment.get("reply_count", 0)):
                raise Conflict("the comment has replies; delete it instead (it stays as a tombstone)")
            writes = [
                delete({"PK": comment["PK"], "SK": comment["SK"]}, "#status = :approved AND reply_count = :zero",
                       {"#status": "status"}, approved=APPROVED, zero=0),
                put(item),
                put({**keys.comment_ref(item["id"]), "post_slug": slug, "sk": item["SK"]}),
                update(keys.post(slug), "ADD comment_count :minus", "attribute_exists(PK)", minus=-1),
                entry,
            ]
            if comment.get("parent_id"):
                writes.append(update(keys.comment(slug, comment["parent_id"]), "ADD reply_count :minus",
                                     "attribute_exists(PK)", minus=-1))
        else:
            writes = [put(item, "#status = :was", {"#status": "status"}, was=comment["status"]), entry]
        try:
            self.table.transact(writes)
        except TransactionCancelled:
            raise Conflict("the comment changed meanwhile; load the queue again") from None
        if comment["status"] == APPROVED and comment.get("parent_id"):
            # As when deleting: a tombstone left with no replies goes too.
            self.comments.prune_tombstones(slug, comment["parent_id"])
        return views.comment_view(item)

    def _audit(self, principal: Principal, action: str, comment: Item) -> Write:
        at = clock.now_iso()
        return put({**keys.audit_entry(at, new_ulid()), "at": at, "who": principal.username, "action": action,
                    "comment_id": comment["id"], "post": comment["post_slug"], "from_status": comment["status"]})


def commenter_identity(comment: Item, antispam: Any) -> str | None:
    if comment.get("author_user"):
        return "user:" + str(comment["author_user"]).casefold()
    email = comment.get("author_email")
    return "email:" + antispam.email_hash(email) if email else None


def _admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only admins moderate comments")
