"""Comments: the thread a reader sees (lists, the static fragment, one comment) and the form's rules.

Posting goes through blog/comment_creation.py (one read, one transaction that
keeps the post's counts exact), editing and deleting through
blog/comment_edits.py; this class is the one service the routes call for all of
them, so the HTTP layer never needs to know where each path lives.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from chalicelib.blog import bans, clock, comment_fragment, slug_aliases, views
from chalicelib.blog.antispam import HONEYPOT_FIELD, AntiSpam
from chalicelib.blog.challenge import Challenge
from chalicelib.blog.comment_creation import MAX_COMMENT_LENGTH, CommentCreation, is_exempt
from chalicelib.blog.comment_edits import CommentEdits
from chalicelib.blog.status import Status
from chalicelib.blog.threads import Threads
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import MAX_PAGE_SIZE, MAX_THREAD_PAGE_SIZE, page_limit, read_query
from chalicelib.errors import Forbidden, Invalid, NotFound, Unauthenticated
from chalicelib.settings import Settings
from chalicelib.store import cursors, keys
from chalicelib.store.keys import END
from chalicelib.store.table import Item, Table

SORTS = ("oldest", "newest", "score")


class Comments:
    def __init__(self, table: Table, settings: Settings, cursor_key: bytes, antispam: AntiSpam,
                 threads: Threads, challenge: Challenge | None = None) -> None:
        self.table = table
        self.settings = settings
        self.cursor_key = cursor_key
        self.antispam = antispam
        self.threads = threads
        self.challenge = challenge or Challenge(settings)
        self.creation = CommentCreation(table, settings, antispam, self.challenge)
        self.edits = CommentEdits(table, settings, antispam, threads)

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
        limit, cursor = page_limit(query.get("limit"), MAX_PAGE_SIZE), query.get("cursor")
        start = cursors.decode(cursor, keys.comments_scope(slug), self.cursor_key)
        post, comments, last_key, items = self._oldest_page(slug, limit, start)
        next_cursor = cursors.encode(last_key, keys.comments_scope(slug), self.cursor_key)
        more = (f"{api_url}/posts/{quote(slug, safe='')}/comments.html?{urlencode({'cursor': next_cursor})}"
                if next_cursor else None)
        count = int(post.get("comment_count", 0)) if post is not None and cursor is None else None
        # The first page's Query read the pin too (it sorts before the comments): the pinned comment goes first.
        pinned = views.pinned_of(items, comments) if cursor is None else None
        return comment_fragment.render(slug, [views.comment_view(c) for c in comments], count, more, pinned)

    def oldest_first(self, slug: str, limit: int, cursor: str | None) -> tuple[Item | None, list[Item], str | None]:
        """A page of a public post's comments, oldest first: (the post when read, the comments, the next cursor)."""
        start = cursors.decode(cursor, keys.comments_scope(slug), self.cursor_key)
        post, comments, last_key, _ = self._oldest_page(slug, limit, start)
        return post, comments, cursors.encode(last_key, keys.comments_scope(slug), self.cursor_key)

    def _oldest_page(self, slug: str, limit: int, start: dict[str, str] | None,
                     proven_public: bool = False, resolved: bool = False,
                     ) -> tuple[Item | None, list[Item], dict[str, str] | None, list[Item]]:
        """A page of comments, oldest first, of a post the public may read (else 404): (the post if read, the
        comments, the last key, every item the Query read: on the first page the thread's pin among them).

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
            return post, views.first_comments(page.items), page.last_key, page.items
        post = None
        if not proven_public:
            post = self.table.get(keys.post_summary(slug))
            if not resolved and (home := slug_aliases.resolve(self.table, slug, post)) != slug:
                return self._oldest_page(home, limit, start, resolved=True)
            self._require_public(post)
        page = self.table.query(keys.post_partition(slug), sort_from=keys.COMMENT_PREFIX,
                                sort_to=keys.COMMENT_PREFIX + END, limit=limit, start_key=start)
        return post, page.items, page.last_key, page.items

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
            post, comments, start, _ = self._oldest_page(slug, 100, start, proven_public=page_number > 0)
            slug = str(post["slug"]) if post is not None else slug  # its first slug, where the comments are
            found.extend(c for c in comments if c["status"] != Status.DELETED)
            if start is None:
                break
        return [views.comment_view(c, with_body=True) for c in found]

    def create(self, principal: Principal | None, slug: str, payload: Any, address: str = "",
               idempotency_key: str | None = None, browser: tuple[str, str] = ("", "")) -> dict[str, Any]:
        """Post a comment (blog/comment_creation.py): one BatchGetItem, one transaction."""
        return self.creation.create(principal, slug, payload, address, idempotency_key, browser)

    def edit(self, principal: Principal | None, comment_id: str, edit_token: str | None,
             payload: Any, address: str = "") -> dict[str, Any]:
        """Change a comment's text (blog/comment_edits.py), in one transaction."""
        return self.edits.edit(principal, comment_id, edit_token, payload, address)

    def delete(self, principal: Principal | None, comment_id: str, edit_token: str | None,
               on_post: str | None = None) -> None:
        """Delete a comment of a public post (blog/comment_edits.py)."""
        self.edits.delete(principal, comment_id, edit_token, on_post)

    def form(self, slug: str, principal: Principal | None = None, address: str = "") -> dict[str, Any]:
        """What a comment form needs: a signed token proving when it was loaded, its rules, and whether this
        reader will be asked for the challenge (so the widget loads the provider's script only then)."""
        now = clock.epoch()
        return {"form_token": self.antispam.form_token(slug, now), **self.rules(),
                "challenge_required": not is_exempt(principal) and self.challenge.expected(
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
            self.edits.authorize(principal, comment, edit_token)
            editor = True
        except (Forbidden, Unauthenticated):
            if comment["status"] != Status.APPROVED:
                raise NotFound("there is no comment with that id") from None
            editor = False
        view = views.comment_view(comment, with_body=editor)
        return bans.as_seen_by_author(view, comment) if editor and not is_exempt(principal) else view
