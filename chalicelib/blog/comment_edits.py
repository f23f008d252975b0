"""Changing a comment after it is posted: who may (its edit token, its author, an admin), edits and deletes.

Split from blog/comments.py because an edit is a second decision with rules of
its own: under moderation a public comment may go back to the queue (uncounted
in the edit's own transaction), bans and the rate limit ride in that
transaction, and the pinned copy follows the text. Deletion, with its
tombstones, is blog/threads.py's; this module decides who may ask for it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog import bans, clock, moderation, views
from chalicelib.blog.antispam import AntiSpam, body_digest
from chalicelib.blog.comment_creation import BODY, LOCKED, checked_html, is_exempt
from chalicelib.blog.status import Status
from chalicelib.blog.thread_controls import pin_refresh
from chalicelib.blog.threads import Threads, commenter_identity, held, withdrawal
from chalicelib.blog.tokens import Principal, check_edit_token
from chalicelib.blog.validation import read_fields
from chalicelib.errors import Conflict, Forbidden, NotFound, Unauthenticated
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, update

EDIT_FIELDS = {"body": BODY}


def _edit_ban_subjects(principal: Principal | None, comment: Item, antispam: AntiSpam, address_hash: str) -> list[str]:
    """Whose bans stop an edit: the comment's commenter, the caller's account and the caller's address."""
    subjects = [commenter_identity(comment, antispam), f"user:{principal.username.casefold()}" if principal else None,
                f"address:{address_hash}"]
    return list(dict.fromkeys(s for s in subjects if s))


class CommentEdits:
    def __init__(self, table: Table, settings: Settings, antispam: AntiSpam, threads: Threads) -> None:
        self.table = table
        self.settings = settings
        self.antispam = antispam
        self.threads = threads

    def authorize(self, principal: Principal | None, comment: Item, edit_token: str | None) -> None:
        """The edit token (within its window), the signed-in author, or an admin."""
        if principal is not None and (principal.is_admin or (
            comment.get("author_user") or "").casefold() == principal.username.casefold()):
            return
        if edit_token:
            check_edit_token(edit_token, comment["id"], self.settings.edit_token_key, clock.epoch())
            return
        if principal is None:
            raise Unauthenticated("send the comment's X-Edit-Token header, or sign in as its author")
        raise Forbidden("only the comment's author or an admin can change it")

    def edit(self, principal: Principal | None, comment_id: str, edit_token: str | None,
             payload: Any, address: str = "") -> dict[str, Any]:
        """Change a comment's text, under the checks a new comment passes, in one transaction.

        The edit counts in its address's rate-limit window (as a new comment does;
        admins are exempt). Under moderation a public comment may go back to the
        queue (see _status_after_edit); a held one stays held.
        """
        fields = read_fields(payload, EDIT_FIELDS)
        comment, post, _ = self.threads.locate_public(comment_id)
        self.authorize(principal, comment, edit_token)
        if post.get("locked_at") and not (principal and principal.is_admin):
            raise Forbidden(LOCKED)
        exempt = is_exempt(principal)
        html = checked_html(self.antispam, fields["body"], exempt)
        now_epoch, now = clock.epoch(), clock.now_iso()
        edited = {**comment, "body": fields["body"], "html": html, "edited_at": now}
        status = self._status_after_edit(principal, comment, post)
        writes: list[Write]
        if status == comment["status"]:
            item = edited
            writes = [update({"PK": comment["PK"], "SK": comment["SK"]},
                             "SET body = :body, html = :html, edited_at = :now", "#status = :was",
                             {"#status": "status"}, refusal=NotFound("there is no comment with that id"),
                             body=item["body"], html=html, now=now, was=comment["status"]),
                      *pin_refresh(comment, edited)]
        else:
            # Back to the queue, like moderation's "spam" action, uncounted in the same transaction.
            has_replies = Conflict("under moderation an edited comment goes back to the queue, and this one has "
                                   "replies, which keep it in the thread; delete it instead (it stays as a tombstone)")
            if int(comment.get("reply_count", 0)):
                raise has_replies
            why = moderation.hold_reason(self.settings.moderation, edited=True)
            item = {**held({**edited, "post_author": post["author"]}, status), "held_because": why}
            writes = withdrawal(comment, item, post, refusal=has_replies)
        if not exempt:
            address_hash = self.antispam.address_hash(address)
            writes.append(self.antispam.rate_limit(address_hash, now_epoch))
            # A banned commenter edits nothing (a shadow-banned one may: their comment stays in spam).
            writes += bans.checks(_edit_ban_subjects(principal, comment, self.antispam, address_hash), now_epoch)
            if body_digest(fields["body"]) != body_digest(str(comment["body"])):
                # An edit may not turn a comment into the copy of a recent one (an unchanged text claims nothing).
                writes.append(self.antispam.duplicate_guard(comment["post_slug"], fields["body"], now_epoch))
        try:
            self.table.transact(writes)
        except TransactionCancelled as contended:
            raise Conflict("the comment changed meanwhile; send the edit again") from contended
        if item["status"] != comment["status"] and comment.get("parent_id"):
            # As when moderation holds a reply: a tombstone left with no replies goes too.
            self.threads.prune_tombstones(comment["post_slug"], comment["parent_id"])
        view = views.comment_view(item, with_body=True)
        return view if exempt else bans.as_seen_by_author(view, item)

    def _status_after_edit(self, principal: Principal | None, comment: Item, post: Item) -> str:
        """Where an edit leaves a comment: a held one stays held; a public one is judged as a new one would be.

        The MODERATION setting decides (moderation.decide): under "all" the edit
        goes back to the queue unless an admin or the post's author makes it;
        under "first-time" the commenter of a public comment is known when it has
        an account, or an e-mail its owner confirmed (a typed e-mail proves
        nothing); any other anonymous comment goes back.
        """
        if comment["status"] != Status.APPROVED:
            return str(comment["status"])
        known = commenter_identity(comment, self.antispam) is not None
        if known and not comment.get("author_user") and self.settings.moderation == moderation.FIRST_TIME:
            # A typed e-mail counts only once its owner confirmed it, as on create (one GetItem, only here).
            known = any(self.table.get(keys.email_confirmed(digest)) is not None
                        for digest in self.antispam.email_hashes(comment["author_email"]))
        return moderation.decide(self.settings.moderation, principal, post, known)

    def delete(self, principal: Principal | None, comment_id: str, edit_token: str | None,
               on_post: str | None = None) -> None:
        """Delete a comment (of post ``on_post`` only, when given) of a post the public may read.

        While the post is not public (a draft, scheduled for later) its comments stay
        as they are, for everyone: admins moderate them through Moderation.act.
        """
        self.threads.delete(comment_id, on_post, lambda comment: self.authorize(principal, comment, edit_token),
                            public=True)
