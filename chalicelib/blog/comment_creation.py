"""Posting a new comment: one batch read, then one transaction that keeps the counts exact.

Split from blog/comments.py because the create path is most of a comment's
rules: the read that fetches everything the decision needs (the post, the
parent, whether the commenter is known, the idempotency record, bans, the
challenge's window; read again under a renamed post's first slug), then the
transaction whose conditions check that the post is public and open and the
parent still stands, so a count can never disagree with the comments it counts.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog import bans, clock, counters, moderation, records, renames, rendering, slug_aliases, views
from chalicelib.blog.antispam import FORM_TOKEN_FIELD, HONEYPOT_FIELD, AntiSpam
from chalicelib.blog.challenge import FILTER as CHALLENGE_FILTER
from chalicelib.blog.challenge import MAX_TOKEN_LENGTH as CHALLENGE_TOKEN_LENGTH
from chalicelib.blog.challenge import TOKEN_FIELD as CHALLENGE_FIELD
from chalicelib.blog.challenge import Challenge
from chalicelib.blog.idempotency import Claim, ClaimTaken
from chalicelib.blog.ids import is_ulid, new_ulid
from chalicelib.blog.status import Status
from chalicelib.blog.threads import commenter_entry, commenter_identity, count_reply, reference
from chalicelib.blog.tokens import Principal, current_principal, issue_edit_token
from chalicelib.blog.validation import Email, Field, Flag, Text, Url, read_fields
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, check, put

MAX_COMMENT_LENGTH = 5000
BODY = Field(Text(MAX_COMMENT_LENGTH, min_length=1, single_line=False), required=True)
CREATE_FIELDS = {
    "body": BODY,
    "parent_id": Field(Text(64), nullable=True),
    "author_name": Field(Text(80)),
    "author_email": Field(Email()),
    "author_website": Field(Url()),
    # Opt in to an e-mail when someone replies (sent from the table's stream: blog/notifications.py).
    "notify_replies": Field(Flag()),
    HONEYPOT_FIELD: Field(Text(500), nullable=True),
    FORM_TOKEN_FIELD: Field(Text(100), nullable=True),
    # The provider's token, when the blog asks for its challenge (blog/challenge.py).
    CHALLENGE_FIELD: Field(Text(CHALLENGE_TOKEN_LENGTH), nullable=True),
}
# The post must exist, be readable by the public and open for comments.
# A moderator's lock (blog/thread_controls.py) is on the same item: a comment racing it is refused here.
_POST_IS_OPEN = ("attribute_exists(PK) AND (#status = :published OR (#status = :scheduled AND #at <= :now))"
                 " AND (attribute_not_exists(comments_closed) OR comments_closed <> :closed)"
                 " AND attribute_not_exists(locked_at)")
LOCKED = "comments on this post are closed: a moderator locked the thread"


def _k(item: Key | Item) -> tuple[str, str]:
    return str(item["PK"]), str(item["SK"])


def is_exempt(principal: Principal | None) -> bool:
    """Admins are exempt from anti-spam limits, not from validation."""
    return principal is not None and principal.is_admin


def checked_html(antispam: AntiSpam, body: str, exempt: bool, *names: str) -> str:
    """The body rendered, once it passes the content checks: the one path of a new comment and of an edit.

    Anti-spam checks (links, blocked words in the body and ``names``) are
    skipped for the ``exempt`` (admins); validation, done before, is not.
    """
    html = rendering.comment_html(body)
    if not exempt:
        antispam.check_content(html, body, *names)
    return html


class CommentCreation:
    def __init__(self, table: Table, settings: Settings, antispam: AntiSpam, challenge: Challenge) -> None:
        self.table = table
        self.settings = settings
        self.antispam = antispam
        self.challenge = challenge

    def create(self, principal: Principal | None, slug: str, payload: Any, address: str = "",
               idempotency_key: str | None = None, browser: tuple[str, str] = ("", "")) -> dict[str, Any]:
        """Post a comment in at most two round trips: one BatchGetItem, one transaction.

        The read fetches the post, the parent, whether the commenter was approved
        before (and under first-time whether their e-mail is confirmed) and any
        earlier response for the idempotency key; the transaction
        writes the comment with its count, rate-limit window, duplicate guard and
        idempotency record, each under a condition that guards against races.
        ``browser`` (User-Agent, Referer) is kept, with ``address``, only for Akismet when it is on.
        """
        fields = read_fields(payload, CREATE_FIELDS)
        if principal is None and not self.settings.anonymous_comments:
            raise Unauthenticated("sign in to comment on this blog")
        now_epoch, now = clock.epoch(), clock.now_iso()
        author_name = principal.username if principal else fields.get("author_name") or "Anonymous"
        exempt = is_exempt(principal)
        spend_form = None
        if exempt and fields.get(HONEYPOT_FIELD):  # validation, not a limit: a filled trap is refused from anyone
            raise Invalid.field(HONEYPOT_FIELD, "must be left empty (it is a trap for robots)")
        if not exempt:
            # The cheap checks first: a robot's request costs no rendering.
            spend_form = self.antispam.check_form(slug, fields.get(FORM_TOKEN_FIELD), fields.get(HONEYPOT_FIELD),
                                                  now_epoch)
        html = checked_html(self.antispam, fields["body"], exempt, author_name)
        address_hash = self.antispam.address_hash(address)
        identity = commenter_identity(
            {"author_user": principal.username if principal else None, "author_email": fields.get("author_email")},
            self.antispam)
        claim = Claim.of(idempotency_key, f"comment|{slug}|{identity or address_hash}", payload)

        unchecked = principal is not None and not principal.current
        # An e-mail anyone can type proves nothing: it counts once its owner confirmed it (one key more, same read).
        # During a HASH_KEY rotation's grace period, what is filed under the previous hash counts too.
        hashes = (self.antispam.email_hashes(fields["author_email"])
                  if principal is None and fields.get("author_email") else [])
        confirmations = [keys.email_confirmed(digest) for digest in hashes]
        identities = [identity, *("email:" + digest for digest in hashes[1:])] if identity else []
        # Bans of the account, the e-mail (under either hash) and the address ride in the same read.
        ban_subjects = [] if exempt else [*identities, f"address:{address_hash}"]
        window = self.challenge.window_key(address_hash, now_epoch) if not exempt else None
        context = self._read_context(slug, fields.get("parent_id"), identities, claim, confirmations,
                                     principal.username if principal and unchecked else None, ban_subjects, window)
        if (home := slug_aliases.resolve(self.table, slug, context.get(_k(keys.post_summary(slug))))) != slug:
            slug = home  # a renamed post's current slug: its comments are under its first
            context = self._read_context(slug, fields.get("parent_id"), identities, claim, confirmations,
                                         principal.username if principal and unchecked else None, ban_subjects,
                                         window)
        if principal is not None and unchecked:
            account = context.get(_k(keys.user(principal.username)))
            if renames.is_reservation(account):  # a token from before a rename: again, under the current name
                checked = current_principal(principal, renames.resolve(self.table, account), self.settings.admins)
                return self.create(checked, slug, payload, address, idempotency_key, browser)
            principal = current_principal(principal, account, self.settings.admins)
        if claim and (replayed := claim.replay(context.get(_k(claim.key)), now_epoch)) is not None:
            return replayed
        post = self._commentable(context.get(_k(keys.post_summary(slug))), now)
        parent = self._parent(slug, fields.get("parent_id"), context)
        known = any(_k(keys.commenter_approved(i)) in context for i in identities) and (
            not confirmations or any(_k(c) in context for c in confirmations))
        status = moderation.decide(self.settings.moderation, principal, post, known=known)
        ban = bans.standing(context, ban_subjects, now_epoch)
        if ban is not None and ban["mode"] == "ban":
            raise bans.refusal(ban)
        # A shadow-banned comment is filed as spam (uncounted, unsent) and shown to its author alone, with
        # the status it would have had: under MODERATION=all a "published" one would give the ban away.
        shown_as = status if ban is not None else None
        if shown_as is not None:
            status = Status.SPAM
        unverified = None  # why the challenge's token could not be checked: the comment is held for a moderator
        counted_in = context.get(_k(window)) if window else None  # a shadow-banned comment is asked nothing
        if not exempt and shown_as is None and self.challenge.needed(known, counted_in):
            unverified = self.challenge.verify(fields.get(CHALLENGE_FIELD), address)
            if unverified:
                status = Status.PENDING
        comment_id = new_ulid()
        item: Item = records.comment({
            "id": comment_id,
            "post_slug": slug,
            "parent_id": parent["id"] if parent else None,
            "depth": int(parent["depth"]) + 1 if parent else 0,
            "body": fields["body"],
            "html": html,
            "author_name": author_name,
            "author_user": principal.username if principal else None,
            "author_email": fields.get("author_email") or None,
            "post_author": post["author"],  # files it in the post's author's queue while held
            "author_website": fields.get("author_website") or None,
            "notify_replies": fields.get("notify_replies", False),
            # Who mail about it comes from, for the mail quotas (notifications.mail_sender); never shown.
            "sender": f"user:{principal.username.casefold()}" if principal else f"address:{address_hash}",
            "status": status,
            "created_at": now,
            "likes": 0,
            "dislikes": 0,
            "reply_count": 0,
            "held_because": unverified or (None if status == Status.APPROVED else f"shadow-banned ({ban['subject']})"
                                           if ban else moderation.hold_reason(self.settings.moderation)),
            "shadow": shown_as,
        })
        expires = now_epoch + self.settings.edit_window_seconds
        response = {
            "comment": bans.as_seen_by_author(views.comment_view(item, with_body=True), item),
            "edit_token": issue_edit_token(comment_id, expires, self.settings.edit_token_key),
            "edit_token_expires_at": clock.from_epoch(expires),
        }
        # The claim goes first: when a twin request won the race, its answer is the one to give.
        writes = [claim.record(response, now_epoch)] if claim else []
        writes += self._creation_writes(item, post, parent, identity, now)
        if not exempt:
            writes += [self.antispam.rate_limit(address_hash, now_epoch),
                       self.antispam.duplicate_guard(slug, fields["body"], now_epoch)]
        if spend_form is not None:
            writes.append(spend_form)  # a form token sends one comment: a replay is refused (409)
        if not exempt and (counted := self.challenge.count(address_hash, now_epoch)) is not None:
            writes.append(counted)
        if unverified:  # the moderators see why in the audit trail, written with the comment
            writes.append(moderation.audit_entry(CHALLENGE_FILTER, "hold", item, unverified))
        if not exempt and shown_as is None and self.settings.akismet_key:
            # Checked from the stream (blog/akismet.py), never here: this keeps what the check needs.
            from chalicelib.blog.akismet import request_context
            writes.append(request_context(item, address, *browser, now_epoch))
        try:
            self.table.transact(writes)
        except ClaimTaken as taken:
            replayed = claim.replay(taken.stored, now_epoch) if claim else None
            if replayed is None:
                raise Conflict("the post is busy with other comments; send the comment again") from taken
            return replayed
        except TransactionCancelled as contended:
            # Only contention is left (the store already retried it): nothing was written.
            raise Conflict("the post is busy with other comments; send the comment again") from contended
        return response

    def _read_context(self, slug: str, parent_id: str | None, identities: list[str],
                      claim: Claim | None, confirmations: list[Key],
                      account: str | None, ban_subjects: list[str],
                      window: Key | None = None) -> dict[tuple[str, str], Item]:
        """Round trip one: everything the decision needs, in a single BatchGetItem.

        ``account``: the commenter's account, when their token is still to be checked against it;
        ``window``: the address's count for the challenge (CHALLENGE_WHEN=after:N/SECONDS).
        """
        wanted = [keys.post_summary(slug)]  # the post's status, date, author and counts: not its body
        if self.settings.moderation == moderation.FIRST_TIME or self.challenge.reads_confirmations:
            wanted += confirmations
        if window:
            wanted.append(window)
        if account:
            wanted.append(keys.user(account))
        if parent_id and is_ulid(parent_id):
            wanted.append(keys.comment(slug, parent_id))
        wanted += [keys.commenter_approved(identity) for identity in identities]
        if claim:
            wanted.append(claim.key)
        wanted += bans.ban_keys(ban_subjects)
        return {_k(i): i for i in self.table.batch_get(wanted)}

    def _commentable(self, post: Item | None, now: str) -> Item:
        if post is None or not views.is_public(post, now):
            raise NotFound("there is no post at that address to comment on")
        if post.get("comments_closed"):
            raise Forbidden("comments on this post are closed")
        if post.get("locked_at"):
            raise Forbidden(LOCKED)
        days = self.settings.comments_close_after_days
        if views.closed_by_age(post, now, days):
            raise Forbidden(f"comments close {days} days after a post is published")
        return post

    def _creation_writes(self, item: Item, post: Item, parent: Item | None, identity: str | None,
                         now: str) -> list[Write]:
        """The comment, its reference, and (only when it is public) the counts it changes.

        ``post`` is the post's summary item: the counts move there (and on its
        label copies), never on the post item, which is as large as its body.
        """
        slug, approved = item["post_slug"], item["status"] == Status.APPROVED
        post_guard = _POST_IS_OPEN + (" AND #at >= :cutoff" if self.settings.comments_close_after_days else "")
        guard_values: dict[str, Any] = {"published": Status.PUBLISHED, "scheduled": Status.SCHEDULED, "now": now,
                                        "closed": True}
        if self.settings.comments_close_after_days:
            guard_values["cutoff"] = clock.days_before(now, self.settings.comments_close_after_days)
        names = {"#status": "status", "#at": "published_at"}
        def gone(old: Item | None) -> Exception:
            if old is not None and old.get("locked_at"):
                return Forbidden(LOCKED)
            return NotFound("there is no post at that address to comment on")
        writes = [
            put(item, "attribute_not_exists(PK)"),
            put(reference(item)),
        ]
        writes += (counters.tally(post, "comment_count", +1, post_guard, names, refusal=gone, **guard_values)
                   if approved else [check(keys.post_summary(slug), post_guard, names, refusal=gone, **guard_values)])
        if parent:
            parent_gone = Invalid.field("parent_id", "refers to a comment that was deleted")
            writes.append(count_reply(slug, parent["id"], +1, refusal=parent_gone) if approved else
                          check(keys.comment(slug, parent["id"]), "#status = :approved", {"#status": "status"},
                                refusal=parent_gone, approved=Status.APPROVED))
        if approved and identity:
            writes.append(put({**keys.commenter_approved(identity), "since": now}))
        if identity:  # their own data finds it there (blog/personal_data.py)
            writes.append(put(commenter_entry(item, identity)))
        return writes

    def _parent(self, slug: str, parent_id: str | None, context: dict[tuple[str, str], Item]) -> Item | None:
        if not parent_id:
            return None
        parent = context.get(_k(keys.comment(slug, parent_id))) if is_ulid(parent_id) else None
        if parent is None:
            raise Invalid.field("parent_id", "is not a comment on this post")
        if parent["status"] == Status.DELETED:
            raise Invalid.field("parent_id", "refers to a comment that was deleted")
        if int(parent["depth"]) + 1 > self.settings.max_reply_depth:
            raise Invalid.field(
                "parent_id", f"replies nest at most {self.settings.max_reply_depth} levels deep; reply higher up"
            )
        return parent
