"""Posts: write, schedule, publish, edit, delete, and the lists readers browse.

A post item implies other items: its label memberships, its schedule entry and
its share of the label and archive counts. Every write computes those for the
old and the new state of the post and writes the difference in the same
transaction as the post itself, so counts and listings never drift from posts.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.blog import clock, rendering, views
from chalicelib.blog.idempotency import Claim
from chalicelib.blog.slugs import MAX_SLUG_LENGTH, is_valid_slug, slugify, with_suffix
from chalicelib.blog.social import forget_favorite
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import (
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
from chalicelib.blog.views import DRAFT, PUBLISHED, SCHEDULED
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from chalicelib.store import cursors, keys
from chalicelib.store.keys import END, Key
from chalicelib.store.table import ConditionFailed, Item, Table, TransactionCancelled, Write, delete, put

DELETING = "deleting"
SUMMARY_LENGTH = 280
_SAVE_ATTEMPTS = 4
# "title-2" … "title-5" read well; after that a random suffix finds a free slug
# in one try, so a title used a hundred times costs no more than one used six.
_NUMBERED_SLUGS = 5
_RANDOM_SLUGS = 3
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


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
    "body": Field(Text(100_000, min_length=1, single_line=False, strip=False)),
    "summary": Field(Text(300), nullable=True),
    "labels": Field(Labels()),
    "status": Field(Choice((DRAFT, PUBLISHED, SCHEDULED))),
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
LIST_PARAMETERS = ("limit", "cursor", "label", "author", "status", "month")


class _StaleVersion(Exception):
    """The post changed (or went) since it was read."""


class _SlugTaken(Exception):
    """Another post (or one being deleted) holds the slug being written."""


class _ClaimTaken(Exception):
    """An idempotency record for this request was written by a twin meanwhile."""


class _CountsMoved(Exception):
    pass


@dataclass(frozen=True)
class _Derived:
    """The items and counts a post's state implies."""

    entries: dict[tuple[str, str], Item]
    counts: Counter[tuple[str, str]]
    count_names: dict[tuple[str, str], dict[str, Any]]


def _derived(post: Item | None) -> _Derived:
    entries: dict[tuple[str, str], Item] = {}
    counts: Counter[tuple[str, str]] = Counter()
    names: dict[tuple[str, str], dict[str, Any]] = {}
    if post is None or post["status"] not in (PUBLISHED, SCHEDULED):
        return _Derived(entries, counts, names)
    slug, at = post["slug"], post["published_at"]
    for label in post.get("labels", []):
        member = keys.label_member(label_key(label), at, slug)
        entries[(member["PK"], member["SK"])] = {**member, "slug": slug}
    if post["status"] == SCHEDULED:
        entry = keys.schedule_entry(at, slug)
        entries[(entry["PK"], entry["SK"])] = {**entry, "slug": slug}
        return _Derived(entries, counts, names)
    # Only posts promoted to "published" count, so /labels and /archive never
    # reveal a post that readers cannot see yet.
    for label in post.get("labels", []):
        key = keys.label_count(label_key(label))
        counts[(key["PK"], key["SK"])] += 1
        names[(key["PK"], key["SK"])] = {"label": label}
    month = keys.archive_count(at[:7])
    counts[(month["PK"], month["SK"])] += 1
    names[(month["PK"], month["SK"])] = {"month": at[:7]}
    # Totals for lists that report how many posts match (the RealWorld API's articlesCount).
    for total, name in ((keys.posts_count(), {}), (keys.author_count(post["author"]), {"author": post["author"]})):
        counts[(total["PK"], total["SK"])] += 1
        names[(total["PK"], total["SK"])] = name
    return _Derived(entries, counts, names)


def _index_attributes(post: Item) -> dict[str, str]:
    status, slug = post["status"], post["slug"]
    if status in (PUBLISHED, SCHEDULED):
        at = post["published_at"]
        return {
            **keys.listing_index_keys(at, slug),
            **keys.author_index_keys(post["author"], keys.author_visible_sort_key(at, slug)),
        }
    if status == DRAFT:
        return keys.author_index_keys(post["author"], keys.author_draft_sort_key(post["updated_at"], slug))
    return {}


def _with_indexes(post: Item) -> Item:
    plain = {k: v for k, v in post.items() if k not in keys.INDEX_KEY_ATTRIBUTES}
    return {**plain, **_index_attributes(plain)}


def _update_in_place(old: Item, new: Item) -> Write:
    """SET what changed and REMOVE what went, never touching comment_count.

    A Put would overwrite comment_count with the value read before the edit and
    lose comments written in between; an Update leaves it to the comment path.
    """
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets: list[str] = []
    for i, (name, value) in enumerate(new.items()):
        if name in ("PK", "SK", "comment_count") or old.get(name) == value:
            continue
        names[f"#a{i}"] = name
        values[f":a{i}"] = value
        sets.append(f"#a{i} = :a{i}")
    removes = []
    for j, name in enumerate(old):
        if name not in new and name != "comment_count":
            names[f"#r{j}"] = name
            removes.append(f"#r{j}")
    names["#version"] = "version"
    values[":seen"] = old["version"]
    expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
    return Write("Update", key=keys.post(old["slug"]), update=expression.strip(),
                 condition="#version = :seen", names=names, values=values)


class Posts:
    def __init__(self, table: Table, cursor_key: bytes, open_authoring: bool = False,
                 close_after_days: int = 0) -> None:
        self.table = table
        self.cursor_key = cursor_key
        self.open_authoring = open_authoring
        self.close_after_days = close_after_days

    # -- reading -------------------------------------------------------------

    def _load(self, slug: str) -> Item | None:
        item = self.table.get(keys.post(slug))
        return None if item is None or item["status"] == DELETING else item

    def _visible(self, item: Item | None, principal: Principal | None, now: str) -> Item:
        """Drafts and not-yet-due posts exist only for their author and admins."""
        if item is not None and item["status"] != DELETING and (
            views.is_public(item, now) or _may_edit(principal, item)
        ):
            return item
        raise NotFound("there is no post at that address")

    def get(self, principal: Principal | None, slug: str, params: dict[str, str] | None) -> tuple[dict[str, Any], str]:
        query = read_query(params, ("embed", "comments_limit"))
        now = clock.now_iso()
        if query.get("embed") not in (None, "comments"):
            raise Invalid.field("embed", "can only be 'comments'")
        if query.get("embed") != "comments":
            item = self._visible(self._load(slug), principal, now)
            return views.post_view(item, now, self.close_after_days), _etag(item)
        # One Query: the post item sorts first in its partition, its comments after it.
        limit = page_limit(query.get("comments_limit"))
        page = self.table.query(keys.post_partition(slug), sort_from=keys.POST_SK,
                                sort_to=keys.COMMENT_PREFIX + END, limit=limit + 1)
        first = page.items[0] if page.items and page.items[0]["SK"] == keys.POST_SK else None
        item = self._visible(first, principal, now)
        comments = page.items[1:]
        last_key = page.last_key
        view = views.post_view(item, now, self.close_after_days)
        view["comments"] = [views.comment_view(c) for c in comments]
        view["comments_next_cursor"] = cursors.encode(last_key, comments_scope(slug), self.cursor_key)
        return view, _etag(item)

    def listing(self, principal: Principal | None, params: dict[str, str] | None) -> dict[str, Any]:
        query = read_query(params, LIST_PARAMETERS)
        limit = page_limit(query.get("limit"))
        now = clock.now_iso()
        label, author, month = query.get("label"), query.get("author"), query.get("month")
        status = query.get("status", PUBLISHED)
        scope = "posts|" + "|".join(f"{k}={query.get(k, '')}" for k in ("label", "author", "status", "month"))
        start = cursors.decode(query.get("cursor"), scope, self.cursor_key)
        if month is not None and not _MONTH.match(month):
            raise Invalid.field("month", "must be a month as YYYY-MM")
        if status not in (PUBLISHED, DRAFT, SCHEDULED):
            raise Invalid.field("status", "must be published, draft or scheduled")
        if label is not None and (author is not None or month is not None or status != PUBLISHED):
            raise Invalid.field("label", "cannot be combined with author, month or status")
        if status != PUBLISHED:
            return self._list_unpublished(principal, author, status, month, limit, start, scope, now)
        if label is not None:
            return self._list_label(label, limit, start, scope, now)
        upper = now + END
        if month is not None:
            lower, upper = month, min(upper, month + END)
        else:
            lower = None
        if author is not None:
            page = self.table.query(
                keys.author_partition(author), index="GSI2", newest_first=True, limit=limit, start_key=start,
                sort_from=keys.PUBLISHED_PREFIX + (lower or ""), sort_to=keys.PUBLISHED_PREFIX + upper,
            )
        else:
            page = self.table.query(keys.POSTS_PARTITION, index="GSI1", newest_first=True, limit=limit,
                                    start_key=start, sort_from=lower, sort_to=upper)
        return self._page([views.post_summary(i, now) for i in page.items], page.last_key, scope)

    def _list_unpublished(self, principal: Principal | None, author: str | None, status: str,
                          month: str | None, limit: int, start: dict[str, str] | None,
                          scope: str, now: str) -> dict[str, Any]:
        if principal is None:
            raise Forbidden(f"sign in to see {status} posts")
        author = author or principal.username
        if author.casefold() != principal.username.casefold() and not principal.is_admin:
            raise Forbidden(f"only {author} and admins can see {author}'s {status} posts")
        if month is not None:
            raise Invalid.field("month", f"cannot be combined with status={status}")
        if status == DRAFT:
            bounds = (keys.DRAFT_PREFIX, keys.DRAFT_PREFIX + END)
        else:
            bounds = (keys.PUBLISHED_PREFIX + now + END, keys.PUBLISHED_PREFIX + END)
        page = self.table.query(keys.author_partition(author), index="GSI2", newest_first=True, limit=limit,
                                start_key=start, sort_from=bounds[0], sort_to=bounds[1])
        return self._page([views.post_summary(i, now) for i in page.items], page.last_key, scope)

    def _list_label(self, label: str, limit: int, start: dict[str, str] | None,
                    scope: str, now: str) -> dict[str, Any]:
        # Membership items hold only the slug: a post's counts live on the post
        # alone, so the page's posts are fetched in one BatchGetItem.
        page = self.table.query(keys.label_partition(label_key(label)), newest_first=True, limit=limit,
                                start_key=start, sort_to=now + END)
        slugs = [keys.slug_from_timeline_sort_key(m["SK"]) for m in page.items]
        found = {p["slug"]: p for p in self.table.batch_get([keys.post(s) for s in slugs])}
        items = [views.post_summary(found[s], now) for s in slugs if s in found and views.is_public(found[s], now)]
        return self._page(items, page.last_key, scope)

    def _page(self, items: list[dict[str, Any]], last_key: dict[str, str] | None, scope: str) -> dict[str, Any]:
        return {"items": items, "next_cursor": cursors.encode(last_key, scope, self.cursor_key)}

    def labels(self, params: dict[str, str] | None) -> dict[str, Any]:
        query = read_query(params, ("limit", "cursor"))
        start = cursors.decode(query.get("cursor"), "labels", self.cursor_key)
        page = self.table.query(keys.LABELS_PARTITION, limit=page_limit(query.get("limit"), 100), start_key=start)
        items = [{"label": i["label"], "count": int(i["count"])} for i in page.items]
        return self._page(items, page.last_key, "labels")

    def all_labels(self, max_pages: int = 10) -> list[str]:
        """Every label in use, by name, for clients that take no pages (up to a bound)."""
        names: list[str] = []
        start: dict[str, str] | None = None
        for _ in range(max_pages):
            page = self.table.query(keys.LABELS_PARTITION, limit=100, start_key=start)
            names.extend(str(i["label"]) for i in page.items)
            if page.last_key is None:
                break
            start = page.last_key
        return names

    def archive(self, params: dict[str, str] | None) -> dict[str, Any]:
        query = read_query(params, ("limit", "cursor"))
        start = cursors.decode(query.get("cursor"), "archive", self.cursor_key)
        page = self.table.query(keys.ARCHIVE_PARTITION, newest_first=True,
                                limit=page_limit(query.get("limit"), 100), start_key=start)
        items = [{"year": int(i["month"][:4]), "month": i["month"], "count": int(i["count"])} for i in page.items]
        return self._page(items, page.last_key, "archive")

    # -- writing -------------------------------------------------------------

    def create(self, principal: Principal, payload: Any, idempotency_key: str | None = None) -> dict[str, Any]:
        if not (principal.can_author or self.open_authoring):
            raise Forbidden("only authors and admins can write posts")
        fields = read_fields(payload, CREATE_FIELDS)
        claim = Claim.of(idempotency_key, "post|" + principal.username.casefold(), payload)
        if claim and (replayed := claim.replay(self.table.get(claim.key), int(time.time()))) is not None:
            return replayed
        now = clock.now_iso()
        status, published_at = _schedule(fields.get("status", PUBLISHED), fields.get("published_at"), None, now)
        post: Item = {
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
            "comment_count": 0,
        }
        if status == PUBLISHED:
            post["first_published"] = True
        _render(post)
        explicit = fields.get("slug")
        candidates = [explicit] if explicit else _candidate_slugs(slugify(fields["title"]) or "post")
        for slug in candidates:
            post.update(keys.post(slug), slug=slug)
            view = views.post_view(_with_indexes(post), now, self.close_after_days)
            record = [claim.record(view, int(time.time()))] if claim else []
            try:
                if self._save_new(post, record):
                    return view
            except _ClaimTaken:
                # A twin request with the same key won the race: answer as it did.
                replayed = claim.replay(self.table.get(claim.key), int(time.time())) if claim else None
                if replayed is None:
                    raise Conflict("the post kept changing while saving; try again") from None
                return replayed
            if explicit:
                raise Conflict("that slug is taken", {"slug": ["is already used by another post"]})
        raise Conflict("could not find a free slug for that title; choose one", {"slug": ["is taken"]})

    def _save_new(self, post: Item, extra: list[Write]) -> bool:
        """Save a new post under its slug; False when the slug is taken."""
        for _ in range(_SAVE_ATTEMPTS):
            try:
                self._save(None, post, extra)
                return True
            except _SlugTaken:
                return False
            except (_StaleVersion, _CountsMoved):
                continue  # a count raced this write: same slug, fresh counts
        raise Conflict("the blog kept changing while saving; try again")

    def update(self, principal: Principal, slug: str, payload: Any, if_match: str | None) -> tuple[dict[str, Any], str]:
        fields = read_fields(payload, UPDATE_FIELDS)
        for _ in range(_SAVE_ATTEMPTS):
            now = clock.now_iso()
            old = self._editable(principal, self._load(slug), if_match, now)
            new = _edited(old, fields, now)
            try:
                self._save(old, new)
            except _SlugTaken:
                raise Conflict("that slug is taken", {"slug": ["is already used by another post"]}) from None
            except (_StaleVersion, _CountsMoved):
                continue  # someone wrote in between; re-read and decide again (If-Match re-checked)
            saved = _with_indexes(new)
            return views.post_view(saved, now, self.close_after_days), _etag(saved)
        raise Conflict("the post kept changing while saving; try again")

    def delete(self, principal: Principal, slug: str, if_match: str | None) -> None:
        # First retire the post (indexes, memberships, counts) in one transaction,
        # then remove everything else in its partition, then the post. Until the end
        # the retired post keeps its slug reserved, so no new post inherits old comments.
        self._retire(principal, slug, if_match)
        self._purge_partition(slug)
        # If a concurrent DELETE finished first, the post is gone either way.
        with contextlib.suppress(ConditionFailed):
            self.table.write(delete(keys.post(slug), "#status = :deleting", {"#status": "status"}, deleting=DELETING))

    def _retire(self, principal: Principal, slug: str, if_match: str | None) -> None:
        for _ in range(_SAVE_ATTEMPTS):
            item = self.table.get(keys.post(slug))
            if item is not None and item["status"] == DELETING and _may_edit(principal, item):
                return  # an earlier DELETE stopped part-way (a timeout, say): let this one finish it
            old = self._editable(principal, item, if_match, clock.now_iso())
            try:
                self._save(old, {**old, "status": DELETING, "version": old["version"] + 1})
                return
            except (_StaleVersion, _CountsMoved):
                continue
        raise Conflict("the post kept changing while deleting; try again")

    def publish_due(self, limit: int = 100) -> int:
        """Promote scheduled posts whose time has come, so they enter the counts."""
        now = clock.now_iso()
        page = self.table.query(keys.SCHEDULE_PARTITION, sort_to=now + END, limit=limit)
        promoted = 0
        for entry in page.items:
            old = self.table.get(keys.post(entry["slug"]))
            if old is None or old["status"] != SCHEDULED or old["published_at"] > now:
                continue
            # first_published pins the slug: the post has been public, links to it exist.
            new = {**old, "status": PUBLISHED, "version": old["version"] + 1, "first_published": True}
            try:
                self._save(old, new)
                promoted += 1
            except (_StaleVersion, _CountsMoved):
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
                if item["SK"] == keys.POST_SK:
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

    def _save(self, old: Item | None, new: Item, extra: list[Write] | None = None) -> None:
        """Write ``new`` over ``old`` with everything it implies (and ``extra``), in one transaction."""
        new = _with_indexes(new)
        if old is None:
            writes = [put(new, "attribute_not_exists(PK)")]
        elif old["slug"] != new["slug"]:
            writes = [delete(keys.post(old["slug"]), "#version = :seen", {"#version": "version"}, seen=old["version"]),
                      put(new, "attribute_not_exists(PK)")]
        else:
            writes = [_update_in_place(old, new)]
        post_writes = len(writes)
        before = _derived(old)
        after = _derived(new if new["status"] != DELETING else None)
        for key, entry in after.entries.items():
            if key not in before.entries:
                writes.append(put(entry))
        for key in before.entries:
            if key not in after.entries:
                writes.append(delete({"PK": key[0], "SK": key[1]}))
        writes.extend(self._count_writes(before, after))
        writes.extend(extra or [])
        try:
            self.table.transact(writes)
        except TransactionCancelled as cancelled:
            if extra and any(cancelled.failed(len(writes) - 1 - i) for i in range(len(extra))):
                raise _ClaimTaken() from None
            # The first write checks the version of the post as read (a new post
            # has none); the last post write claims the slug unless it stays put.
            if old is not None and cancelled.failed(0):
                raise _StaleVersion() from None
            if writes[post_writes - 1].kind == "Put" and cancelled.failed(post_writes - 1):
                raise _SlugTaken() from None
            raise _CountsMoved() from None

    def _count_writes(self, before: _Derived, after: _Derived) -> list[Write]:
        deltas = {k: after.counts[k] - before.counts[k] for k in before.counts | after.counts}
        deltas = {k: d for k, d in deltas.items() if d}
        falling = [{"PK": k[0], "SK": k[1]} for k, d in deltas.items() if d < 0]
        current = {(i["PK"], i["SK"]): int(i["count"]) for i in self.table.batch_get(falling)}
        writes = []
        for (pk, sk), delta in deltas.items():
            key = {"PK": pk, "SK": sk}
            if delta > 0:
                names = after.count_names[(pk, sk)]
                labels = ", ".join(f"#n_{n} = :n_{n}" for n in names)
                writes.append(Write(
                    "Update", key=key, update="ADD #c :d" + (f" SET {labels}" if labels else ""),
                    names={"#c": "count", **{f"#n_{n}": n for n in names}},
                    values={":d": delta, **{f":n_{n}": v for n, v in names.items()}},
                ))
                continue
            seen = current.get((pk, sk), 0)
            # Conditions on the count read just now: if another writer moved it,
            # the transaction is cancelled and the whole save is recomputed.
            if seen + delta <= 0:
                writes.append(Write("Delete", key=key, condition="#c = :seen",
                                    names={"#c": "count"}, values={":seen": seen}))
            else:
                writes.append(Write("Update", key=key, update="ADD #c :d", condition="#c = :seen",
                                    names={"#c": "count"}, values={":d": delta, ":seen": seen}))
        return writes


def label_key(label: str) -> str:
    """A label's identity: "News", "news" and " news " (as typed in a query) are one label."""
    return " ".join(unicodedata.normalize("NFC", label).split()).casefold()


def _candidate_slugs(base: str) -> Iterator[str]:
    yield base
    for number in range(2, _NUMBERED_SLUGS + 1):
        yield with_suffix(base, str(number))
    for _ in range(_RANDOM_SLUGS):
        yield with_suffix(base, secrets.token_hex(3))


def comments_scope(slug: str) -> str:
    return f"comments|{slug}"


def _etag(item: Item) -> str:
    return f'"{int(item["version"])}"'


def _may_edit(principal: Principal | None, item: Item) -> bool:
    if principal is None:
        return False
    return principal.is_admin or principal.username.casefold() == str(item["author"]).casefold()


def _render(post: Item) -> None:
    post["html"] = rendering.post_html(post["body"])
    post["summary"] = post.get("custom_summary") or rendering.plain_text(post["html"], SUMMARY_LENGTH)


def _schedule(status: str, published_at: str | None, previous: str | None, now: str) -> tuple[str, str | None]:
    """Check a status against its date; return the status to store and its date."""
    if status == DRAFT:
        return DRAFT, published_at or previous
    if status == PUBLISHED:
        at = published_at or (previous if previous and previous <= now else now)
        if at > now:
            raise Invalid.field("published_at", "is in the future: use status 'scheduled' to publish later")
        return PUBLISHED, at
    due = published_at or previous
    if due is None or due <= now:
        raise Invalid.field("published_at", "must be a future date-time for a scheduled post")
    return SCHEDULED, due


def _edited(old: Item, fields: dict[str, Any], now: str) -> Item:
    new = {**old, "updated_at": now, "version": old["version"] + 1}
    for name in ("title", "body", "labels", "comments_closed"):
        if name in fields:
            new[name] = fields[name]
    if "summary" in fields:
        new["custom_summary"] = fields["summary"] or None
    was_published = views.effective_status(old, now) == PUBLISHED or old.get("first_published")
    status = fields.get("status", views.effective_status(old, now))
    published_at = fields.get("published_at") or None
    new["status"], new["published_at"] = _schedule(status, published_at, old.get("published_at"), now)
    if "slug" in fields and fields["slug"] != old["slug"]:
        if was_published:
            raise Invalid.field("slug", "is fixed once a post has been published: links to it must keep working")
        new.update(keys.post(fields["slug"]), slug=fields["slug"])
    if was_published or new["status"] == PUBLISHED:
        new["first_published"] = True
    _render(new)
    return new
