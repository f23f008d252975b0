"""Moderation: which comments are held, the admin's queue, approve / spam / delete, and the audit trail.

A held comment lives at HELD#<ulid> in its post's partition, outside the
public COMMENT# range, so public listing still reads only what it returns;
a sparse GSI1 entry (MODQUEUE#<status>) makes the queue one Query across
posts. Approval moves it into the public range and counts it, in one
transaction with its audit entry.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog import clock, counters, views
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.slugs import MAX_SLUG_LENGTH
from chalicelib.blog.status import HELD_STATUSES, Status
from chalicelib.blog.threads import Threads, commenter_identity, count_reply, held, public, reference, withdrawal
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import Choice, Field, page_limit, read_fields, read_query
from chalicelib.errors import Conflict, Forbidden, Invalid
from chalicelib.settings import Settings
from chalicelib.store import cursors, keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, delete, put

# The MODERATION setting: hold no comment, only a commenter's first, or every one.
OFF, FIRST_TIME = "off", "first-time"
ACTIONS = ("approve", "spam", "unspam", "delete")
ACTION_FIELDS = {"action": Field(Choice(ACTIONS), required=True)}


def hold_reason(setting: str, edited: bool = False) -> str:
    """Why a comment is held, in the moderator's words (kept on the held comment as ``held_because``)."""
    why = "every comment waits for approval (MODERATION=all)" if setting == "all" else \
        "its commenter has no approved comment yet (MODERATION=first-time)"
    return f"edited after approval: {why}" if edited else why


def decide(setting: str, principal: Principal | None, post: Item, known: bool) -> Status:
    """approved or pending, for a new comment under the MODERATION setting."""
    if principal is not None and (principal.is_admin or principal.username.casefold() == post["author"].casefold()):
        return Status.APPROVED  # an admin's or the post's author's own words are never held
    if setting == OFF or (setting == FIRST_TIME and known):
        return Status.APPROVED
    return Status.PENDING


class Moderation:
    def __init__(self, table: Table, cursor_key: bytes, threads: Threads, antispam: AntiSpam,
                 settings: Settings) -> None:
        self.settings = settings
        self.table = table
        self.cursor_key = cursor_key
        self.threads = threads
        self.antispam = antispam

    def queue(self, principal: Principal, params: dict[str, str] | None) -> dict[str, Any]:
        """The held comments: an admin's, of every post; an author's, of their own posts only (their GSI2 queue)."""
        if not principal.can_author:
            raise Forbidden("only admins and authors moderate comments")
        query = read_query(params, ("status", "limit", "cursor"))
        status = query.get("status", Status.PENDING)
        if status not in HELD_STATUSES:
            raise Invalid.field("status", "must be pending or spam")
        if principal.is_admin:
            scope, partition, index = f"modqueue|{status}", keys.moderation_queue(status), "GSI1"
        else:  # the cursor is signed for this author's list: it cannot page through another's
            partition, index = keys.author_queue(principal.username, status), "GSI2"
            scope = f"modqueue|{status}|{principal.username.casefold()}"
        page = self.table.query(partition, index=index, newest_first=True, limit=page_limit(query.get("limit")),
                                start_key=cursors.decode(query.get("cursor"), scope, self.cursor_key))
        return {"items": [{**views.comment_view(i, with_body=True), "held_because": i.get("held_because")}
                          for i in page.items],
                "next_cursor": cursors.encode(page.last_key, scope, self.cursor_key)}

    def rules(self, principal: Principal) -> dict[str, Any]:
        """The comment rules in force on this stage, by allow-list (never a secret), for the console."""
        _admin(principal)
        s = self.settings
        count, seconds = s.comment_rate_limit
        return {"moderation": s.moderation, "comment_rate_limit": f"{count} per {seconds} s",
                "comment_max_links": s.max_links, "edit_window_seconds": s.edit_window_seconds,
                "comments_close_after_days": s.comments_close_after_days,
                "notifications": s.notifications and bool(s.notify_from),
                "anonymous_comments": s.anonymous_comments, "require_form_token": s.require_form_token}

    def recent(self, principal: Principal, params: dict[str, str] | None) -> dict[str, Any]:
        """The blog's newest public comments across posts (the comments feed's index), for cleaning up."""
        _admin(principal)
        query = read_query(params, ("limit", "cursor"))
        page = self.table.query(keys.RECENT_COMMENTS_PARTITION, index="GSI2", newest_first=True,
                                limit=page_limit(query.get("limit")),
                                start_key=cursors.decode(query.get("cursor"), "recent", self.cursor_key))
        return {"items": [views.comment_view(i, with_body=True) for i in page.items],
                "next_cursor": cursors.encode(page.last_key, "recent", self.cursor_key)}

    def audit(self, principal: Principal, params: dict[str, str] | None) -> dict[str, Any]:
        _admin(principal)
        query = read_query(params, ("limit", "cursor", "post"))
        post = query.get("post")
        scope = f"audit|{post}" if post is not None else "audit"
        start = cursors.decode(query.get("cursor"), scope, self.cursor_key)
        if post is None:
            page = self.table.query(keys.AUDIT_PARTITION, newest_first=True, limit=page_limit(query.get("limit")),
                                    start_key=start)
        else:
            if not 0 < len(post) <= MAX_SLUG_LENGTH:
                raise Invalid.field("post", f"must be a post's slug (1 to {MAX_SLUG_LENGTH} characters)")
            page = self.table.query(keys.audit_post_partition(post), index="GSI2",
                                    newest_first=True, limit=page_limit(query.get("limit")), start_key=start)
        # "reason": only a filter's entries and bans have one; "subject" and "until": only bans (blog/bans.py).
        entries = [{k: i.get(k) for k in ("at", "who", "action", "comment_id", "post", "from_status", "reason",
                                          "subject", "until")
                    if k not in ("reason", "subject", "until") or k in i} for i in page.items]
        return {"items": entries, "next_cursor": cursors.encode(page.last_key, scope, self.cursor_key)}

    def act(self, principal: Principal, comment_id: str, payload: Any) -> dict[str, Any]:
        """An admin's action on any comment; an author's on a comment of their own post (their console queue)."""
        if not principal.can_author:
            raise Forbidden("only admins and the post's author moderate its comments")
        action = read_fields(payload, ACTION_FIELDS)["action"]
        if not principal.is_admin:
            return self.act_on_own_post(principal, comment_id, action)
        return self._act(principal.username, action, self.threads.locate(comment_id))

    def act_on_own_post(self, principal: Principal, comment_id: str, action: str) -> dict[str, Any]:
        """An admin's action, or an author's on a comment on their own post (their held-comment e-mail's links).

        An author never approves what someone else marked as spam: that verdict is an admin's to undo. (The
        approval's transaction is conditioned on the status read here, so a verdict given meanwhile wins too.)
        """
        comment = self.threads.locate(comment_id)
        if not principal.is_admin:
            post = self.table.get(keys.post(comment["post_slug"]))
            if not (principal.can_author and post
                    and str(post.get("author", "")).casefold() == principal.username.casefold()):
                raise Forbidden("only admins and the post's author moderate its comments")
            if (action == "approve" and comment["status"] == Status.SPAM
                    and str(comment.get("spam_by", "")).casefold() != principal.username.casefold()):
                raise Conflict(f"{comment.get('spam_by') or 'an admin'} marked this comment as spam; "
                               "only an admin can approve it now")
        return self._act(principal.username, action, comment)

    def by_filter(self, who: str, action: str, comment: Item, reason: str) -> dict[str, Any]:
        """A spam filter's verdict (blog/akismet.py, from the stream): the moderators' own transitions,
        so counts stay exact, with ``who`` (a name no account can have) and ``reason`` in the audit trail."""
        return self._act(who, action, comment, reason)

    def _act(self, who: str, action: str, comment: Item, reason: str | None = None) -> dict[str, Any]:
        comment_id = comment["id"]
        entry = self._audit(who, action, comment, reason)
        status = comment["status"]
        if action == "delete":
            self.threads.delete(comment_id)
            self.table.write(entry)
            return {"id": comment_id, "status": Status.DELETED}
        if action == "approve" and status in HELD_STATUSES:
            return self._approve(comment, entry)
        if action == "spam" and status in (Status.PENDING, Status.APPROVED):
            return self._requeue(comment, Status.SPAM, entry, who, reason)
        if action == "unspam" and status == Status.SPAM:
            return self._requeue(comment, Status.PENDING, entry, who)
        raise Conflict(f"a {status} comment cannot be given '{action}'")

    def _approve(self, comment: Item, entry: Write) -> dict[str, Any]:
        item = public(comment)
        slug = comment["post_slug"]
        writes = [
            delete({"PK": comment["PK"], "SK": comment["SK"]}, "#status = :was", {"#status": "status"},
                   was=comment["status"]),
            put(item),
            put(reference(item)),
            *counters.tally(self.threads.summary(slug), "comment_count", +1),
            entry,
        ]
        if comment.get("parent_id"):
            writes.append(count_reply(slug, comment["parent_id"], +1, refusal=Conflict(
                "the comment it replies to was deleted; delete this one instead")))
        identity = commenter_identity(comment, self.antispam)
        if identity:
            writes.append(put({**keys.commenter_approved(identity), "since": clock.now_iso()}))
        try:
            self.table.transact(writes)
        except TransactionCancelled as cancelled:
            raise Conflict("the comment changed meanwhile; load the queue again") from cancelled
        return views.comment_view(item, with_body=True)

    def _requeue(self, comment: Item, status: str, entry: Write, who: str,
                 because: str | None = None) -> dict[str, Any]:
        slug = comment["post_slug"]
        item = {**held(comment, status), "held_because": because or (
            f"marked as spam by {who}" if status == Status.SPAM else "taken out of spam; waiting for approval")}
        item.pop("spam_by", None)
        if status == Status.SPAM:
            item["spam_by"] = who  # whose verdict: an author's mailed Approve link does not undo an admin's
        writes: list[Write]
        if comment["status"] == Status.APPROVED:
            if int(comment.get("reply_count", 0)):
                raise Conflict("the comment has replies; delete it instead (it stays as a tombstone)")
            writes = [*withdrawal(comment, item, self.threads.summary(slug)), entry]
        else:
            writes = [put(item, "#status = :was", {"#status": "status"}, was=comment["status"]), entry]
        try:
            self.table.transact(writes)
        except TransactionCancelled as cancelled:
            raise Conflict("the comment changed meanwhile; load the queue again") from cancelled
        if comment["status"] == Status.APPROVED and comment.get("parent_id"):
            # As when deleting: a tombstone left with no replies goes too.
            self.threads.prune_tombstones(slug, comment["parent_id"])
        return views.comment_view(item, with_body=True)

    def _audit(self, who: str, action: str, comment: Item, reason: str | None) -> Write:
        return audit_entry(who, action, comment, reason)


def audit_entry(who: str, action: str, comment: Item, reason: str | None) -> Write:
    """One entry of the audit trail about ``comment`` (by a moderator, or a filter named by ``who``)."""
    at = clock.now_iso()
    entry_id = new_ulid()
    return put({**keys.audit_entry(at, entry_id), **keys.audit_post_index_keys(comment["post_slug"], at, entry_id),
                "at": at, "who": who, "action": action, "comment_id": comment["id"],
                "post": comment["post_slug"], "from_status": comment["status"],
                **({"reason": reason} if reason else {})})


def _admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only admins moderate comments")
