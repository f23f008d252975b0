"""Comments: post, reply, list, edit and delete, with the post's count kept exact.

A new comment, its id->post reference, the post's comment_count (on its
summary item and label copies: blog/counters.py) and the parent's reply_count
are written in one transaction whose conditions check that the post is public
and the parent still stands; so a count can never disagree with the comments
it counts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from chalicelib.blog import (
    bans,
    clock,
    comment_fragment,
    counters,
    moderation,
    records,
    renames,
    rendering,
    slug_aliases,
    views,
)
from chalicelib.blog.antispam import FORM_TOKEN_FIELD, HONEYPOT_FIELD, AntiSpam, body_digest
from chalicelib.blog.challenge import FILTER as CHALLENGE_FILTER
from chalicelib.blog.challenge import MAX_TOKEN_LENGTH as CHALLENGE_TOKEN_LENGTH
from chalicelib.blog.challenge import TOKEN_FIELD as CHALLENGE_FIELD
from chalicelib.blog.challenge import Challenge
from chalicelib.blog.idempotency import Claim, ClaimTaken
from chalicelib.blog.ids import is_ulid, new_ulid
from chalicelib.blog.status import Status
from chalicelib.blog.thread_controls import pin_refresh
from chalicelib.blog.threads import (
    Threads,
    commenter_entry,
    commenter_identity,
    count_reply,
    held,
    reference,
    withdrawal,
)
from chalicelib.blog.tokens import Principal, check_edit_token, current_principal, issue_edit_token
from chalicelib.blog.validation import (
    MAX_PAGE_SIZE,
    MAX_THREAD_PAGE_SIZE,
    Email,
    Field,
    Flag,
    Text,
    Url,
    page_limit,
    read_fields,
    read_query,
)
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from chalicelib.settings import Settings
from chalicelib.store import cursors, keys
from chalicelib.store.keys import END, Key
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, check, put, update

SORTS = ("oldest", "newest", "score")
MAX_COMMENT_LENGTH = 5000
_BODY = Field(Text(MAX_COMMENT_LENGTH, min_length=1, single_line=False), required=True)
CREATE_FIELDS = {
    "body": _BODY,
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
EDIT_FIELDS = {"body": _BODY}
# The post must exist, be readable by the public and open for comments.
# A moderator's lock (blog/thread_controls.py) is on the same item: a comment racing it is refused here.
_POST_IS_OPEN = ("attribute_exists(PK) AND (#status = :published OR (#status = :scheduled AND #at <= :now))"
                 " AND (attribute_not_exists(comments_closed) OR comments_closed <> :closed)"
                 " AND attribute_not_exists(locked_at)")
LOCKED = "comments on this post are closed: a moderator locked the thread"


def _k(item: Key | Item) -> tuple[str, str]:
    return str(item["PK"]), str(item["SK"])


def _exempt(principal: Principal | None) -> bool:
    """Admins are exempt from anti-spam limits, not from validation."""
    return principal is not None and principal.is_admin


def _edit_ban_subjects(principal: Principal | None, comment: Item, antispam: AntiSpam, address_hash: str) -> list[str]:
    """Whose bans stop an edit: the comment's commenter, the caller's account and the caller's address."""
    subjects = [commenter_identity(comment, antispam), f"user:{principal.username.casefold()}" if principal else None,
                f"address:{address_hash}"]
    return list(dict.fromkeys(s for s in subjects if s))


class Comments:
    def __init__(self, table: Table, settings: Settings, cursor_key: bytes, antispam: AntiSpam,
                 threads: Threads, challenge: Challenge | None = None) -> None:
        self.table = table
        self.settings = settings
        self.cursor_key = cursor_key
        self.antispam = antispam
        self.threads = threads
        self.challenge = challenge or Challenge(settings)

    def listing(self, slug: str, params: dict[str, str] | None) -> dict[str, Any]:
        query = read_query(params, ("limit", "cursor", "sort"))
        limit = page_limit(query.get("limit"), maximum=MAX_THREAD_PAGE_SIZE)
        sort = query.get("sort", "oldest")
        if sort not in SORTS:
            raise Invalid.field("sort", "must be " + ", ".join(SORTS))
        if sort != "oldest":
            return self._sorted_listing(slug, sort, limit, query.get("cursor"))
        _, comments, next_cursor = self.oldest_first(slug, limit, query.get("cursor"))
        return {"items": [views.comment_view(c) for c in comments], "next_cursor": next_cursor}

    def fragment(self, slug: str, params: dict[str, str] | None, api_url: str) -> str:
        """The static HTML of a page of the thread (blog/comment_fragment.py); 100 comments a page unless asked."""
        query = read_query(params, ("limit", "cursor"))
        post, comments, next_cursor = self.oldest_first(slug, page_limit(query.get("limit"), MAX_PAGE_SIZE),
                                                        query.get("cursor"))
        more = (f"{api_url}/posts/{quote(slug, safe='')}/comments.html?{urlencode({'cursor': next_cursor})}"
                if next_cursor else None)
        count = int(post.get("comment_count", 0)) if post is not None and query.get("cursor") is None else None
        return comment_fragment.render(slug, [views.comment_view(c) for c in comments], count, more)

    def oldest_first(self, slug: str, limit: int, cursor: str | None) -> tuple[Item | None, list[Item], str | None]:
        """A page of a public post's comments, oldest first: (the post when read, the comments, the next cursor)."""
        start = cursors.decode(cursor, keys.comments_scope(slug), self.cursor_key)
        post, comments, last_key = self._oldest_page(slug, limit, start)
        return post, comments, cursors.encode(last_key, keys.comments_scope(slug), self.cursor_key)

    def _oldest_page(self, slug: str, limit: int, start: dict[str, str] | None,
                     proven_public: bool = False,
                     resolved: bool = False) -> tuple[Item | None, list[Item], dict[str, str] | None]:
        """A page of comments, oldest first, of a post the public may read (else 404), with the post if read.

        The first page is one Query: the post sorts first in its partition, so the
        page that returns the first comments also proves the post public. A page
        after a cursor starts inside the COMMENT# range, where the post never is,
        so the post is read first (GetItem, then Query: two round trips): a cursor
        issued while the post was public must not outlive its being public.
        """
        if start is None:
            # The summary item (status, date) sorts right before the comments: it proves the post public.
            # A pin (blog/thread_controls.py) may sort between them, in a comment's place.
            page = self.table.query(keys.post_partition(slug), sort_from=keys.POST_SUMMARY_SK,
                                    sort_to=keys.COMMENT_PREFIX + END, limit=limit + 1)
            post = page.items[0] if page.items and page.items[0]["SK"] == keys.POST_SUMMARY_SK else None
            # A renamed post's current slug: its comments are under its first (slug_aliases.py).
            if not resolved and (home := slug_aliases.resolve(self.table, slug, post)) != slug:
                return self._oldest_page(home, limit, start, resolved=True)
            self._require_public(post)
            return post, views.first_comments(page.items), page.last_key
        post = None
        if not proven_public:
            post = self.table.get(keys.post_summary(slug))
            if not resolved and (home := slug_aliases.resolve(self.table, slug, post)) != slug:
                return self._oldest_page(home, limit, start, resolved=True)
            self._require_public(post)
        page = self.table.query(keys.post_partition(slug), sort_from=keys.COMMENT_PREFIX,
                                sort_to=keys.COMMENT_PREFIX + END, limit=limit, start_key=start)
        return post, page.items, page.last_key

    @staticmethod
    def _require_public(post: Item | None) -> None:
        if post is None or not views.is_public(post, clock.now_iso()):
            raise NotFound("there is no post at that address")

    def _sorted_listing(self, slug: str, sort: str, limit: int, cursor: str | None) -> dict[str, Any]:
        """Newest first, or best score first: the post is read first to prove it public (two round trips)."""
        scope = f"{keys.comments_scope(slug)}|{sort}"
        start = cursors.decode(cursor, scope, self.cursor_key)
        post = self.table.get(keys.post_summary(slug))
        if (home := slug_aliases.resolve(self.table, slug, post)) != slug:
            slug, post = home, self.table.get(keys.post_summary(home))
        self._require_public(post)
        if sort == "newest":
            page = self.table.query(keys.post_partition(slug), sort_from=keys.COMMENT_PREFIX,
                                    sort_to=keys.COMMENT_PREFIX + END, newest_first=True, limit=limit,
                                    start_key=start)
        else:
            page = self.table.query(keys.scores_partition(slug), index="GSI1", newest_first=True, limit=limit,
                                    start_key=start)
        return {"items": [views.comment_view(c) for c in page.items],
                "next_cursor": cursors.encode(page.last_key, scope, self.cursor_key)}

    def all_public(self, slug: str, max_pages: int) -> list[dict[str, Any]]:
        """Every standing comment, oldest first, for clients that take no pages (up to a bound).

        The first page proves the post public; the pages after it (in this one request) need not again.
        """
        found: list[Item] = []
        start: dict[str, str] | None = None
        for page_number in range(max_pages):
            post, comments, start = self._oldest_page(slug, 100, start, proven_public=page_number > 0)
            slug = str(post["slug"]) if post is not None else slug  # its first slug, where the comments are
            found.extend(c for c in comments if c["status"] != Status.DELETED)
            if start is None:
                break
        return [views.comment_view(c, with_body=True) for c in found]

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
        exempt = _exempt(principal)
        spend_form = None
        if exempt and fields.get(HONEYPOT_FIELD):  # validation, not a limit: a filled trap is refused from anyone
            raise Invalid.field(HONEYPOT_FIELD, "must be left empty (it is a trap for robots)")
        if not exempt:
            # The cheap checks first: a robot's request costs no rendering.
            spend_form = self.antispam.check_form(slug, fields.get(FORM_TOKEN_FIELD), fields.get(HONEYPOT_FIELD),
                                                  now_epoch)
        html = self._checked_html(fields["body"], exempt, author_name)
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

    def _checked_html(self, body: str, exempt: bool, *names: str) -> str:
        """The body rendered, once it passes the content checks: the one path of a new comment and of an edit.

        Anti-spam checks (links, blocked words in the body and ``names``) are
        skipped for the ``exempt`` (admins); validation, done before, is not.
        """
        html = rendering.comment_html(body)
        if not exempt:
            self.antispam.check_content(html, body, *names)
        return html

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

    def _authorize(self, principal: Principal | None, comment: Item, edit_token: str | None) -> None:
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
        self._authorize(principal, comment, edit_token)
        if post.get("locked_at") and not (principal and principal.is_admin):
            raise Forbidden(LOCKED)
        exempt = _exempt(principal)
        html = self._checked_html(fields["body"], exempt)
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
            writes += bans.checks(_edit_ban_subjects(principal, comment, self.antispam, address_hash), now_epoch,
                                  shadow_too=False)
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
        self.threads.delete(comment_id, on_post, lambda comment: self._authorize(principal, comment, edit_token),
                            public=True)

    def form(self, slug: str, principal: Principal | None = None, address: str = "") -> dict[str, Any]:
        """What a comment form needs: a signed token proving when it was loaded, its rules, and whether this
        reader will be asked for the challenge (so the widget loads the provider's script only then)."""
        now = clock.epoch()
        return {"form_token": self.antispam.form_token(slug, now), **self.rules(),
                "challenge_required": not _exempt(principal) and self.challenge.expected(
                    self.table, principal.username if principal else None, self.antispam.address_hash(address), now)}

    def rules(self) -> dict[str, Any]:
        """The comment form's rules without a token: the same for every post and every reader, so cacheable.

        A post read with its comments carries them (blog/posts.py), so a widget draws its form
        without asking for a token; it asks (``form``) when a reader starts to write.
        """
        return {
            "honeypot_field": HONEYPOT_FIELD,
            "min_seconds": self.settings.min_form_seconds,
            "anonymous_comments": self.settings.anonymous_comments,
            "moderation": self.settings.moderation,
            "edit_window_seconds": self.settings.edit_window_seconds,
            "max_length": MAX_COMMENT_LENGTH,
            "max_reply_depth": self.settings.max_reply_depth,
            "challenge": self.challenge.public(),
            "reactions": list(self.settings.reactions),  # blog/reactions.py; empty: the widget shows none
        }

    def read(self, principal: Principal | None, comment_id: str, edit_token: str | None) -> dict[str, Any]:
        """One comment of a public post; a held one only for its author (edit token or account) and admins.

        Its Markdown ``body`` only for those who may edit it (what an edit box starts from).
        """
        comment, _, _ = self.threads.locate_public(comment_id)
        try:
            self._authorize(principal, comment, edit_token)
            editor = True
        except (Forbidden, Unauthenticated):
            if comment["status"] != Status.APPROVED:
                raise NotFound("there is no comment with that id") from None
            editor = False
        view = views.comment_view(comment, with_body=editor)
        return bans.as_seen_by_author(view, comment) if editor and not _exempt(principal) else view
