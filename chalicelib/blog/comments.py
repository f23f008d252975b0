"""Comments: post, reply, list, edit and delete, with the post's count kept exact.

A new comment, its id->post reference, the post's comment_count and the
parent's reply_count are written in one transaction whose conditions check
that the post is public and the parent still stands; so a count can never
disagree with the comments it counts.
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.blog import clock, rendering, views
from chalicelib.blog.ids import is_ulid, new_ulid
from chalicelib.blog.posts import comments_scope
from chalicelib.blog.tokens import Principal, check_edit_token, issue_edit_token
from chalicelib.blog.validation import Email, Field, Text, Url, page_limit, read_fields, read_query
from chalicelib.blog.views import DELETED, PUBLISHED, SCHEDULED
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from chalicelib.settings import Settings
from chalicelib.store import cursors, keys
from chalicelib.store.keys import END, Key
from chalicelib.store.table import (
    ConditionFailed,
    Item,
    Table,
    TransactionCancelled,
    Write,
    delete,
    put,
    update,
)

APPROVED = "approved"
MAX_COMMENT_LENGTH = 5000
_BODY = Field(Text(MAX_COMMENT_LENGTH, min_length=1, single_line=False), required=True)
CREATE_FIELDS = {
    "body": _BODY,
    "parent_id": Field(Text(64), nullable=True),
    "author_name": Field(Text(80)),
    "author_email": Field(Email()),
    "author_website": Field(Url()),
}
EDIT_FIELDS = {"body": _BODY}
# The post must exist and be readable by the public for anyone to comment on it.
_POST_IS_PUBLIC = "attribute_exists(PK) AND (#status = :published OR (#status = :scheduled AND #at <= :now))"
_ATTEMPTS = 4


class Comments:
    def __init__(self, table: Table, settings: Settings, cursor_key: bytes) -> None:
        self.table = table
        self.settings = settings
        self.cursor_key = cursor_key

    def listing(self, slug: str, params: dict[str, str] | None) -> dict[str, Any]:
        query = read_query(params, ("limit", "cursor"))
        limit = page_limit(query.get("limit"))
        start = cursors.decode(query.get("cursor"), comments_scope(slug), self.cursor_key)
        comments: list[Item]
        if start is None:
            # Read the post with its first comments (it sorts first): one Query
            # both proves the post is public and returns the page.
            page = self.table.query(keys.post_partition(slug), sort_from=keys.POST_SK,
                                    sort_to=keys.COMMENT_PREFIX + END, limit=limit + 1)
            post = page.items[0] if page.items and page.items[0]["SK"] == keys.POST_SK else None
            if post is None or not views.is_public(post, clock.now_iso()):
                raise NotFound("there is no post at that address")
            comments = page.items[1:]
        else:
            page = self.table.query(keys.post_partition(slug), sort_from=keys.COMMENT_PREFIX,
                                    sort_to=keys.COMMENT_PREFIX + END, limit=limit, start_key=start)
            comments = page.items
        return {
            "items": [views.comment_view(c) for c in comments],
            "next_cursor": cursors.encode(page.last_key, comments_scope(slug), self.cursor_key),
        }

    def all_public(self, slug: str, max_pages: int) -> list[dict[str, Any]]:
        """Every standing comment, oldest first, for clients that take no pages (up to a bound)."""
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"limit": "100"}
        for _ in range(max_pages):
            page = self.listing(slug, params)
            found.extend(c for c in page["items"] if c["status"] != DELETED)
            if page["next_cursor"] is None:
                break
            params = {"limit": "100", "cursor": page["next_cursor"]}
        return found

    def create(self, principal: Principal | None, slug: str, payload: Any) -> dict[str, Any]:
        fields = read_fields(payload, CREATE_FIELDS)
        if principal is None and not self.settings.anonymous_comments:
            raise Unauthenticated("sign in to comment on this blog")
        parent = self._parent(slug, fields.get("parent_id"))
        now = clock.now_iso()
        comment_id = new_ulid()
        item: Item = {
            **keys.comment(slug, comment_id),
            "id": comment_id,
            "post_slug": slug,
            "parent_id": parent["id"] if parent else None,
            "depth": int(parent["depth"]) + 1 if parent else 0,
            "body": fields["body"],
            "html": rendering.comment_html(fields["body"]),
            "author_name": principal.username if principal else fields.get("author_name") or "Anonymous",
            "author_user": principal.username if principal else None,
            "author_email": fields.get("author_email") or None,
            "author_website": fields.get("author_website") or None,
            "status": APPROVED,
            "created_at": now,
            "likes": 0,
            "dislikes": 0,
            "reply_count": 0,
        }
        writes = [
            put(item, "attribute_not_exists(PK)"),
            put({**keys.comment_ref(comment_id), "post_slug": slug}),
            update(keys.post(slug), "ADD comment_count :one", _POST_IS_PUBLIC,
                   {"#status": "status", "#at": "published_at"},
                   one=1, published=PUBLISHED, scheduled=SCHEDULED, now=now),
        ]
        if parent:
            writes.append(update(keys.comment(slug, parent["id"]), "ADD reply_count :one",
                                 "#status = :approved", {"#status": "status"}, one=1, approved=APPROVED))
        try:
            self.table.transact(writes)
        except TransactionCancelled as cancelled:
            if cancelled.failed(2):
                raise NotFound("there is no post at that address to comment on") from None
            if parent and cancelled.failed(3):
                raise Invalid.field("parent_id", "refers to a comment that was deleted") from None
            # Only contention is left (the store already retried it): nothing was written.
            raise Conflict("the post is busy with other comments; send the comment again") from None
        expires = int(time.time()) + self.settings.edit_window_seconds
        return {
            "comment": views.comment_view(item),
            "edit_token": issue_edit_token(comment_id, expires, self.settings.edit_token_key),
            "edit_token_expires_at": clock.from_epoch(expires),
        }

    def _parent(self, slug: str, parent_id: str | None) -> Item | None:
        if not parent_id:
            return None
        parent = self.table.get(keys.comment(slug, parent_id)) if is_ulid(parent_id) else None
        if parent is None:
            raise Invalid.field("parent_id", "is not a comment on this post")
        if parent["status"] == DELETED:
            raise Invalid.field("parent_id", "refers to a comment that was deleted")
        if int(parent["depth"]) + 1 > self.settings.max_reply_depth:
            raise Invalid.field(
                "parent_id", f"replies nest at most {self.settings.max_reply_depth} levels deep; reply higher up"
            )
        return parent

    def _locate(self, comment_id: str, on_post: str | None = None) -> Item:
        ref = self.table.get(keys.comment_ref(comment_id)) if is_ulid(comment_id) else None
        comment = self.table.get(keys.comment(ref["post_slug"], comment_id)) if ref else None
        if comment is None or comment["status"] == DELETED or on_post not in (None, comment["post_slug"]):
            raise NotFound("there is no comment with that id")
        return comment

    def _authorize(self, principal: Principal | None, comment: Item, edit_token: str | None) -> None:
        """The edit token (within its window), the signed-in author, or an admin."""
        if principal is not None and (principal.is_admin or (
            comment.get("author_user") or "").casefold() == principal.username.casefold()):
            return
        if edit_token:
            check_edit_token(edit_token, comment["id"], self.settings.edit_token_key, time.time())
            return
        if principal is None:
            raise Unauthenticated("send the comment's X-Edit-Token header, or sign in as its author")
        raise Forbidden("only the comment's author or an admin can change it")

    def edit(self, principal: Principal | None, comment_id: str, edit_token: str | None,
             payload: Any) -> dict[str, Any]:
        fields = read_fields(payload, EDIT_FIELDS)
        comment = self._locate(comment_id)
        self._authorize(principal, comment, edit_token)
        try:
            saved = self.table.write(update(
                {"PK": comment["PK"], "SK": comment["SK"]},
                "SET body = :body, html = :html, edited_at = :now",
                "#status = :approved", {"#status": "status"},
                body=fields["body"], html=rendering.comment_html(fields["body"]),
                now=clock.now_iso(), approved=APPROVED,
            ))
        except ConditionFailed:
            raise NotFound("there is no comment with that id") from None
        assert saved is not None
        return views.comment_view(saved)

    def delete(self, principal: Principal | None, comment_id: str, edit_token: str | None,
               on_post: str | None = None) -> None:
        """Delete a comment (of post ``on_post`` only, when given)."""
        for _ in range(_ATTEMPTS):
            comment = self._locate(comment_id, on_post)
            self._authorize(principal, comment, edit_token)
            try:
                self._remove(comment)
            except TransactionCancelled:
                continue  # a reply arrived or the comment changed; decide again
            parent_id = comment.get("parent_id")
            if parent_id and int(comment.get("reply_count", 0)) == 0:
                self._prune_tombstones(comment["post_slug"], parent_id)
            return
        raise Conflict("the comment kept changing while deleting; try again")

    def _remove(self, comment: Item) -> None:
        slug = comment["post_slug"]
        key: Key = {"PK": comment["PK"], "SK": comment["SK"]}
        uncount = update(keys.post(slug), "ADD comment_count :minus", "attribute_exists(PK)", minus=-1)
        replies = int(comment.get("reply_count", 0))
        if replies:
            # Replies keep their place in the thread: leave a tombstone without
            # the text or the author, and stop counting it.
            # The condition re-checks the replies: if the last one went meanwhile,
            # the caller retries and deletes outright instead of leaving an orphan tombstone.
            self.table.transact([
                update(key, "SET #status = :deleted REMOVE body, html, author_name, author_user, "
                            "author_email, author_website",
                       "#status = :approved AND reply_count > :zero", {"#status": "status"},
                       deleted=DELETED, approved=APPROVED, zero=0),
                uncount,
            ])
            return
        writes = [
            delete(key, "#status = :approved AND reply_count = :zero", {"#status": "status"},
                   approved=APPROVED, zero=0),
            delete(keys.comment_ref(comment["id"])),
            uncount,
        ]
        if comment.get("parent_id"):
            writes.append(self._unreply(slug, comment["parent_id"]))
        self.table.transact(writes)

    def _unreply(self, slug: str, parent_id: str) -> Write:
        return update(keys.comment(slug, parent_id), "ADD reply_count :minus", "attribute_exists(PK)", minus=-1)

    def _prune_tombstones(self, slug: str, comment_id: str) -> None:
        """Remove tombstones left with no replies, walking up the thread."""
        current: str | None = comment_id
        while current:
            tombstone = self.table.get(keys.comment(slug, current))
            if tombstone is None or tombstone["status"] != DELETED or int(tombstone["reply_count"]) != 0:
                return
            writes = [
                delete(keys.comment(slug, current), "#status = :deleted AND reply_count = :zero",
                       {"#status": "status"}, deleted=DELETED, zero=0),
                delete(keys.comment_ref(current)),
            ]
            parent_id = tombstone.get("parent_id")
            if parent_id:
                writes.append(self._unreply(slug, parent_id))
            try:
                self.table.transact(writes)
            except TransactionCancelled:
                return  # a reply arrived meanwhile: the tombstone stays, rightly
            current = parent_id
