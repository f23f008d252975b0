"""Posts: write, schedule, publish, read one, edit and delete.

What a post implies (index keys, label memberships, schedule entry, counts) is
kept by post_upkeep.py in the post's own transaction; the lists readers browse
are in post_lists.py.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.blog import clock, records, views
from chalicelib.blog.idempotency import Claim, ClaimTaken
from chalicelib.blog.post_upkeep import COUNT_FIELDS, CountsMoved, PostUpkeep, SlugTaken, StaleVersion
from chalicelib.blog.records import render_post
from chalicelib.blog.slugs import MAX_SLUG_LENGTH, is_valid_slug, slugify, with_suffix
from chalicelib.blog.social import forget_favorite
from chalicelib.blog.status import POST_STATUSES, Status
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import (
    MAX_THREAD_PAGE_SIZE,
    Choice,
    DateTime,
    Field,
    FieldError,
    Flag,
    Labels,
    Text,
    page_limit,
    read_fields,
    read_query,
)
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from chalicelib.store import cursors, keys
from chalicelib.store.keys import END, Key
from chalicelib.store.table import ConditionFailed, Item, Table, Write, delete

MAX_BODY_LENGTH = 100_000
_SAVE_ATTEMPTS = 4
# "title-2" … "title-5" read well; after that a random suffix finds a free slug
# in one try, so a title used a hundred times costs no more than one used six.
_NUMBERED_SLUGS = 5
_RANDOM_SLUGS = 3


class SlugRule(Text):
    def __call__(self, value: Any) -> str:
        slug = super().__call__(value)
        if not is_valid_slug(slug):
            raise FieldError(
                f"must be lower-case letters or digits in words joined by single hyphens, at most {MAX_SLUG_LENGTH}"
            )
        return slug


_FIELDS = {
    "title": Field(Text(200, min_length=1)),
    "body": Field(Text(MAX_BODY_LENGTH, min_length=1, single_line=False, strip=False)),
    "summary": Field(Text(300), nullable=True),
    "labels": Field(Labels()),
    "status": Field(Choice(POST_STATUSES)),
    "published_at": Field(DateTime(), nullable=True),
    "slug": Field(SlugRule(MAX_SLUG_LENGTH)),
    "comments_closed": Field(Flag()),
}
CREATE_FIELDS = {
    **_FIELDS,
    "title": Field(_FIELDS["title"].rule, required=True),
    "body": Field(_FIELDS["body"].rule, required=True),
}
UPDATE_FIELDS = _FIELDS


class Posts:
    def __init__(self, table: Table, cursor_key: bytes, open_authoring: bool = False,
                 close_after_days: int = 0, comment_rules: Callable[[], dict[str, Any]] | None = None) -> None:
        self.table = table
        self.upkeep = PostUpkeep(table)
        self.cursor_key = cursor_key
        self.open_authoring = open_authoring
        self.close_after_days = close_after_days
        # The comment form's rules (Comments.rules), given with a post read with its comments.
        self.comment_rules = comment_rules

    # -- reading -------------------------------------------------------------

    def _load(self, slug: str, deleting: bool = False) -> Item | None:
        """The post with its counts: one Query of its first two items, the post and its summary item."""
        item = load_with_counts(self.table, slug)
        return None if item is None or (item["status"] == Status.DELETING and not deleting) else item

    def _visible(self, item: Item | None, principal: Principal | None, now: str) -> Item:
        """Drafts and not-yet-due posts exist only for their author and admins."""
        if item is not None and item["status"] != Status.DELETING and (
            views.is_public(item, now) or _may_edit(principal, item)
        ):
            return item
        raise NotFound("there is no post at that address")

    def get(self, principal: Principal | None, slug: str, params: dict[str, str] | None) -> tuple[dict[str, Any], str]:
        query = read_query(params, ("embed", "comments_limit"))
        now = clock.now_iso()
        if query.get("embed") not in (None, "comments"):
            raise Invalid.field("embed", "can only be 'comments'")
        # Checked with or without embed (as documented): a bad page size is refused wherever it is sent.
        limit = page_limit(query.get("comments_limit"), name="comments_limit", maximum=MAX_THREAD_PAGE_SIZE)
        # One Query: the post item sorts first in its partition, its summary item (counts) next, its comments after.
        embed = query.get("embed") == "comments"
        page = self.table.query(keys.post_partition(slug), sort_from=keys.POST_SK,
                                sort_to=keys.COMMENT_PREFIX + END if embed else keys.POST_SUMMARY_SK,
                                limit=limit + 2 if embed else 2)
        item = self._visible(with_counts(page.items), principal, now)
        view = views.post_view(item, now, self.close_after_days)
        # Reaction counts (blog/reactions.py) are on the summary item, read here, never copied onto the post.
        summary = page.items[1] if len(page.items) > 1 and page.items[1]["SK"] == keys.POST_SUMMARY_SK else {}
        view["reactions"] = views.reaction_counts(summary)
        if not embed:
            return view, _etag(item)
        if views.is_public(item, now):
            view["comments"] = [views.comment_view(c) for c in page.items
                                if str(c["SK"]).startswith(keys.COMMENT_PREFIX)]
            view["comments_next_cursor"] = cursors.encode(page.last_key, keys.comments_scope(slug), self.cursor_key)
        else:
            # Its author and admins read a draft, but not its comments: no route shows
            # those while the post is not public (admins moderate them from the queue).
            view["comments"], view["comments_next_cursor"] = [], None
        if self.comment_rules is not None:
            view["comment_form"] = self.comment_rules()
        return view, _etag(item)

    # -- writing -------------------------------------------------------------

    def create(self, principal: Principal, payload: Any, idempotency_key: str | None = None) -> dict[str, Any]:
        if not (principal.can_author or self.open_authoring):
            raise Forbidden("only authors and admins can write posts")
        fields = read_fields(payload, CREATE_FIELDS)
        claim = Claim.of(idempotency_key, "post|" + principal.username.casefold(), payload)
        if claim and (replayed := claim.replay(self.table.get(claim.key), clock.epoch())) is not None:
            return replayed
        now = clock.now_iso()
        status, published_at = _schedule(fields.get("status", Status.PUBLISHED), fields.get("published_at"), None, now)
        explicit = fields.get("slug")
        candidates = [explicit] if explicit else _candidate_slugs(slugify(fields["title"]) or "post")
        # Refused before the sanitiser spends its time on it (rendering loads on first use, as in records.render_post).
        from chalicelib.blog.rendering import check_html_shape

        check_html_shape(fields["body"])
        for slug in candidates:
            post = records.post({
                "slug": slug,
                "title": fields["title"],
                "body": fields["body"],
                "labels": fields.get("labels", []),
                "custom_summary": fields.get("summary") or None,
                "comments_closed": fields.get("comments_closed", False),
                "author": principal.username,
                "status": status,
                "published_at": published_at,
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "first_published": status == Status.PUBLISHED,
            })
            view = views.post_view(post, now, self.close_after_days)
            record = [claim.record(view, clock.epoch())] if claim else []
            try:
                if self._save_new(post, record):
                    return view
            except ClaimTaken as taken:
                # A twin request with the same key won the race: answer as it did.
                replayed = claim.replay(taken.stored, clock.epoch()) if claim else None
                if replayed is None:
                    raise Conflict("the post kept changing while saving; try again") from taken
                return replayed
            if explicit:
                raise Conflict("that slug is taken", {"slug": ["is already used by another post"]})
        raise Conflict("could not find a free slug for that title; choose one", {"slug": ["is taken"]})

    def _save_new(self, post: Item, extra: list[Write]) -> bool:
        """Save a new post under its slug; False when the slug is taken."""
        for _ in range(_SAVE_ATTEMPTS):
            try:
                self.upkeep.save(None, post, extra)
                return True
            except SlugTaken:
                return False
            except (StaleVersion, CountsMoved):
                continue  # a count raced this write: same slug, fresh counts
        raise Conflict("the blog kept changing while saving; try again")

    def update(self, principal: Principal, slug: str, payload: Any, if_match: str | None) -> tuple[dict[str, Any], str]:
        fields = read_fields(payload, UPDATE_FIELDS)
        for _ in range(_SAVE_ATTEMPTS):
            now = clock.now_iso()
            old = self._editable(principal, self._load(slug), if_match, now)
            new = _edited(old, fields, now)
            try:
                self.upkeep.save(old, new)
            except SlugTaken as taken:
                raise Conflict("that slug is taken", {"slug": ["is already used by another post"]}) from taken
            except (StaleVersion, CountsMoved):
                continue  # someone wrote in between; re-read and decide again (If-Match re-checked)
            return views.post_view(new, now, self.close_after_days), _etag(new)
        raise Conflict("the post kept changing while saving; try again")

    def delete(self, principal: Principal, slug: str, if_match: str | None) -> None:
        # First retire the post (indexes, memberships, counts) in one transaction,
        # then remove everything else in its partition, then the post. Until the end
        # the retired post keeps its slug reserved, so no new post inherits old comments.
        self._retire(principal, slug, if_match)
        self._purge_partition(slug)
        # If a concurrent DELETE finished first, the post is gone either way.
        for key in (keys.post_summary(slug), keys.post(slug)):  # the post last: it keeps the slug taken
            with contextlib.suppress(ConditionFailed):
                self.table.write(delete(key, "#status = :deleting", {"#status": "status"}, deleting=Status.DELETING))

    def _retire(self, principal: Principal, slug: str, if_match: str | None) -> None:
        for _ in range(_SAVE_ATTEMPTS):
            item = self._load(slug, deleting=True)
            if item is not None and item["status"] == Status.DELETING and _may_edit(principal, item):
                return  # an earlier DELETE stopped part-way (a timeout, say): let this one finish it
            old = self._editable(principal, item, if_match, clock.now_iso())
            try:
                self.upkeep.save(old, {**old, "status": Status.DELETING, "version": old["version"] + 1})
                return
            except (StaleVersion, CountsMoved):
                continue
        raise Conflict("the post kept changing while deleting; try again")

    def publish_due(self, limit: int = 100) -> int:
        """Promote scheduled posts whose time has come, so they enter the counts."""
        now = clock.now_iso()
        page = self.table.query(keys.SCHEDULE_PARTITION, sort_to=now + END, limit=limit)
        promoted = 0
        for entry in page.items:
            old = self._load(entry["slug"])
            if old is None or old["status"] != Status.SCHEDULED or old["published_at"] > now:
                continue
            # first_published pins the slug: the post has been public, links to it exist.
            new = {**old, "status": Status.PUBLISHED, "version": old["version"] + 1, "first_published": True}
            try:
                self.upkeep.save(old, new)
                promoted += 1
            except (StaleVersion, CountsMoved):
                continue  # an edit raced the promotion; the next run sees the new state
        return promoted

    def _editable(self, principal: Principal, found: Item | None, if_match: str | None, now: str) -> Item:
        item = self._visible(found, principal, now)
        if not _may_edit(principal, item):
            raise Forbidden("only the post's author or an admin can change it")
        if if_match is not None and if_match.strip() not in ("*", _etag(item)):
            raise PreconditionFailed(
                f"the post has changed since you read it (now {_etag(item)}); read it again and retry"
            )
        return item

    def _purge_partition(self, slug: str) -> None:
        """Delete everything filed under the post but the post item itself.

        The whole partition, not only the public COMMENT# range: comments held
        for moderation and anything else keyed to the post must not outlive it
        (or reappear under a new post that takes the slug).
        """
        start: dict[str, str] | None = None
        while True:
            page = self.table.query(keys.post_partition(slug), limit=100, start_key=start)
            doomed: list[Key] = []
            for item in page.items:
                if item["SK"] in (keys.POST_SK, keys.POST_SUMMARY_SK):
                    continue
                if item["SK"].startswith(keys.FAVORITE_PREFIX):
                    # Its user's favorites total goes down with it, in one transaction.
                    self.table.transact(forget_favorite(item))
                    continue
                doomed.append({"PK": item["PK"], "SK": item["SK"]})
                if "id" in item:  # a comment: its id -> post reference goes with it
                    doomed.append(keys.comment_ref(item["id"]))
            self.table.batch_delete(doomed)
            if page.last_key is None:
                return
            start = page.last_key


def load_with_counts(table: Table, slug: str) -> Item | None:
    """The post with its counts (any status): one Query of its first two items, the post and its summary item."""
    page = table.query(keys.post_partition(slug), sort_from=keys.POST_SK, sort_to=keys.POST_SUMMARY_SK, limit=2)
    return with_counts(page.items)


def with_counts(items: list[Item]) -> Item | None:
    """The post item (first of ``items``, a Query of its partition) with the counts of its summary item (next).

    A post not yet migrated (`make migrate`) has no summary item and its counts still on itself.
    """
    if not items or items[0]["SK"] != keys.POST_SK:
        return None
    post = dict(items[0])
    if len(items) > 1 and items[1]["SK"] == keys.POST_SUMMARY_SK:
        post.update({name: items[1].get(name, 0) for name in COUNT_FIELDS})
    return post


def _candidate_slugs(base: str) -> Iterator[str]:
    yield base
    for number in range(2, _NUMBERED_SLUGS + 1):
        yield with_suffix(base, str(number))
    for _ in range(_RANDOM_SLUGS):
        yield with_suffix(base, secrets.token_hex(3))


def _etag(item: Item) -> str:
    return f'"{int(item["version"])}"'


def _may_edit(principal: Principal | None, item: Item) -> bool:
    if principal is None:
        return False
    return principal.is_admin or principal.username.casefold() == str(item["author"]).casefold()


def _schedule(status: str, published_at: str | None, previous: str | None, now: str) -> tuple[str, str | None]:
    """Check a status against its date; return the status to store and its date."""
    if status == Status.DRAFT:
        return Status.DRAFT, published_at or previous
    if status == Status.PUBLISHED:
        at = published_at or (previous if previous and previous <= now else now)
        if at > now:
            raise Invalid.field("published_at", "is in the future: use status 'scheduled' to publish later")
        return Status.PUBLISHED, at
    due = published_at or previous
    if due is None or due <= now:
        raise Invalid.field("published_at", "must be a future date-time for a scheduled post")
    return Status.SCHEDULED, due


def _edited(old: Item, fields: dict[str, Any], now: str) -> Item:
    new = {**old, "updated_at": now, "version": old["version"] + 1}
    for name in ("title", "body", "labels", "comments_closed"):
        if name in fields:
            new[name] = fields[name]
    if "summary" in fields:
        new["custom_summary"] = fields["summary"] or None
    was_published = views.effective_status(old, now) == Status.PUBLISHED or old.get("first_published")
    status = fields.get("status", views.effective_status(old, now))
    published_at = fields.get("published_at") or None
    new["status"], new["published_at"] = _schedule(status, published_at, old.get("published_at"), now)
    if "slug" in fields and fields["slug"] != old["slug"]:
        if was_published:
            raise Invalid.field("slug", "is fixed once a post has been published: links to it must keep working")
        new.update(keys.post(fields["slug"]), slug=fields["slug"])
    if was_published or new["status"] == Status.PUBLISHED:
        new["first_published"] = True
    # A body the edit leaves as it was (an imported one, say) is not refused for its shape now.
    render_post(new, bounded="body" in fields and fields["body"] != old["body"])
    return new
