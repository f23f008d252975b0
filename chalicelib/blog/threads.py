"""A post's comment thread: where a comment is filed, finding one by id, and taking one out.

A public comment lives at COMMENT#<ulid> in its post's partition, a held one at
HELD#<ulid> (outside the public range, in the moderation queue's index); an
id -> post reference finds either without knowing the post. A deleted comment
with replies stays as a tombstone so the replies keep their place; a tombstone
left with no replies goes, and so, up the thread, do its tombstone ancestors.

The public routes find a comment with locate_public, which reads its post in the
same BatchGetItem: a comment of a post the public may not read (a draft, one
scheduled for later, one being deleted) is not found. Only moderation locates
comments whatever their post.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.blog import clock, counters, records, slug_aliases, views
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.ids import is_ulid
from chalicelib.blog.status import Status
from chalicelib.errors import Conflict, NotFound
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, delete, put, update

_ATTEMPTS = 4


def held(item: Item, status: str) -> Item:
    """The same comment filed outside the public range, in the moderation queue (records.comment files it)."""
    return records.comment_item({**item, "status": status})


def public(item: Item) -> Item:
    """The same comment in the public range, with its place in the post's by-score order and the comments feed."""
    return records.comment_item({**item, "status": Status.APPROVED})


def reference(item: Item) -> Item:
    """The comment's id -> post reference; it names the sort key, COMMENT#… or HELD#…, where the comment is."""
    return {**keys.comment_ref(item["id"]), "post_slug": item["post_slug"], "sk": item["SK"]}


def commenter_entry(item: Item, identity: str) -> Item:
    """The comment's entry in its commenter's index (blog/personal_data.py), written in the comment's transaction."""
    return {**keys.commenter_comment(identity, item["created_at"], item["id"]), "post_slug": item["post_slug"],
            "comment_id": item["id"]}


def commenter_identity(comment: Item, antispam: AntiSpam) -> str | None:
    """Who wrote a comment, for first-time moderation: their account, else their e-mail (hashed)."""
    return identity_by(comment, antispam.email_hash)


def identity_by(comment: Item, email_hash: Callable[[str], str] | None) -> str | None:
    """As commenter_identity, with the keyed e-mail hash given (an operator command's, which may have none)."""
    if comment.get("author_user"):
        return "user:" + str(comment["author_user"]).casefold()
    email = comment.get("author_email")
    return "email:" + email_hash(email) if email and email_hash else None


def _comment_key(ref: Item, comment_id: str) -> Key:
    """Where the reference says the comment is filed: COMMENT#… or HELD#…."""
    return {"PK": keys.post_partition(ref["post_slug"]), "SK": str(ref.get("sk") or keys.COMMENT_PREFIX + comment_id)}


def _standing(comment: Item | None) -> Item:
    if comment is None or comment["status"] == Status.DELETED:
        raise NotFound("there is no comment with that id")
    return comment


def count_reply(slug: str, parent_id: str, delta: int, refusal: Exception | None = None) -> Write:
    """Move the parent's reply_count; a new reply also needs the parent standing."""
    if delta > 0:
        return update(keys.comment(slug, parent_id), "ADD reply_count :d", "#status = :approved",
                      {"#status": "status"}, refusal=refusal, d=delta, approved=Status.APPROVED)
    return update(keys.comment(slug, parent_id), "ADD reply_count :d", "attribute_exists(PK)", d=delta)


def unpin_writes(comment: Item) -> list[Write]:
    """The pin of a pinned comment leaving the public thread (held, deleted): it goes in the same transaction."""
    if not comment.get("pinned"):
        return []
    return [delete(keys.thread_pin(comment["post_slug"]), "comment_id = :id", id=comment["id"])]


def withdrawal(comment: Item, item: Item, summary: Item, refusal: Exception | None = None) -> list[Write]:
    """Move a public comment without replies out of the public range, filed as ``item``, and stop counting it.

    ``summary``: the post's summary item as read, where the count is (blog/counters.py).

    ``item`` is the comment as held() files it; the delete's condition re-checks
    that the comment is still public and still has no replies (a comment with
    replies keeps its place in the thread), failing with ``refusal`` when given.
    """
    slug = comment["post_slug"]
    writes = [
        delete({"PK": comment["PK"], "SK": comment["SK"]}, "#status = :approved AND reply_count = :zero",
               {"#status": "status"}, refusal=refusal, approved=Status.APPROVED, zero=0),
        put(item),
        put(reference(item)),
        *counters.tally(summary, "comment_count", -1),
        *unpin_writes(comment),
    ]
    if comment.get("parent_id"):
        writes.append(count_reply(slug, comment["parent_id"], -1))
    return writes


class Threads:
    def __init__(self, table: Table) -> None:
        self.table = table

    def locate(self, comment_id: str, on_post: str | None = None) -> Item:
        """A standing comment (public or held) by id, whatever its post: for moderation.

        Two GetItems: the id -> post reference, then the comment.
        """
        ref = self._reference(comment_id, on_post)
        comment = self.table.get(_comment_key(ref, comment_id)) if ref else None
        return _standing(comment)

    def locate_public(self, comment_id: str, on_post: str | None = None,
                      along: Callable[[str], Key] | None = None) -> tuple[Item, Item, Item | None]:
        """A standing comment by id of a post the public may read: the comment, the post's summary item
        (status, author, counts: not the body), the item at ``along(post)``.

        Two round trips: the reference, then one BatchGetItem of the comment, its
        post and the item ``along`` names (the caller's vote, say; None when absent).
        """
        comment, post, found = self.read_public(comment_id, on_post, (lambda slug: [along(slug)]) if along else None)
        wanted = along(str(comment["post_slug"])) if along else None
        return comment, post, found.get((wanted["PK"], wanted["SK"])) if wanted else None

    def read_public(self, comment_id: str, on_post: str | None = None,
                    along: Callable[[str], list[Key]] | None = None,
                    ) -> tuple[Item, Item, dict[tuple[str, str], Item]]:
        """As locate_public, with every item ``along(post)`` names read in the same BatchGetItem:
        (the comment, the post's summary item, what was found by (PK, SK))."""
        ref = self._reference(comment_id, on_post)
        if ref is None:
            raise NotFound("there is no comment with that id")
        slug = str(ref["post_slug"])
        wanted = [_comment_key(ref, comment_id), keys.post_summary(slug), *(along(slug) if along else [])]
        found = {(str(i["PK"]), str(i["SK"])): i for i in self.table.batch_get(wanted)}
        post = found.get((wanted[1]["PK"], wanted[1]["SK"]))
        if post is None or not views.is_public(post, clock.now_iso()):
            raise NotFound("there is no comment with that id")
        return _standing(found.get((wanted[0]["PK"], wanted[0]["SK"]))), post, found

    def _reference(self, comment_id: str, on_post: str | None) -> Item | None:
        ref = self.table.get(keys.comment_ref(comment_id)) if is_ulid(comment_id) else None
        if ref is None or on_post in (None, ref["post_slug"]):
            return ref
        # A renamed post's comments are filed under its first slug: is ``on_post`` its current one?
        return ref if slug_aliases.resolve(self.table, on_post, None) == ref["post_slug"] else None

    def delete(self, comment_id: str, on_post: str | None = None,
               authorize: Callable[[Item], None] | None = None, public: bool = False) -> None:
        """Delete a comment (of post ``on_post`` only, when given), once ``authorize`` lets it.

        ``public``: only a comment of a post the public may read (the public routes);
        moderation deletes whatever the post.
        """
        for _ in range(_ATTEMPTS):
            if public:
                comment, summary = self.locate_public(comment_id, on_post)[:2]
            else:
                comment = self.locate(comment_id, on_post)
                summary = self.summary(comment["post_slug"])
            if authorize is not None:
                authorize(comment)
            try:
                self._remove(comment, summary)
            except TransactionCancelled:
                continue  # a reply arrived or the comment changed; decide again
            parent_id = comment.get("parent_id")
            if parent_id and int(comment.get("reply_count", 0)) == 0:
                self.prune_tombstones(comment["post_slug"], parent_id)
            return
        raise Conflict("the comment kept changing while deleting; try again")

    def summary(self, slug: str) -> Item:
        """The post's summary item, where its counts are (any status: moderation works on any post)."""
        found = self.table.get(keys.post_summary(slug))
        if found is None:
            raise Conflict("the comment's post is not there (being deleted, or not yet migrated: make migrate)")
        return found

    def _remove(self, comment: Item, summary: Item) -> None:
        slug = comment["post_slug"]
        key: Key = {"PK": comment["PK"], "SK": comment["SK"]}
        if comment["status"] != Status.APPROVED:
            # Held comments were never counted or replied to: they simply go.
            self.table.transact([delete(key, "#status = :was", {"#status": "status"}, was=comment["status"]),
                                 delete(keys.comment_ref(comment["id"]))])
            return
        uncount = [*counters.tally(summary, "comment_count", -1), *unpin_writes(comment)]
        if int(comment.get("reply_count", 0)):
            # Replies keep their place in the thread: leave a tombstone without
            # the text or the author, and stop counting it.
            # The condition re-checks the replies: if the last one went meanwhile,
            # the caller retries and deletes outright instead of leaving an orphan tombstone.
            self.table.transact([
                update(key, "SET #status = :deleted REMOVE body, html, author_name, author_user, "
                            "author_email, author_website, sender, GSI2PK, GSI2SK, pinned",
                       "#status = :approved AND reply_count > :zero", {"#status": "status"},
                       deleted=Status.DELETED, approved=Status.APPROVED, zero=0),
                *uncount,
            ])
            return
        writes = [
            delete(key, "#status = :approved AND reply_count = :zero", {"#status": "status"},
                   approved=Status.APPROVED, zero=0),
            delete(keys.comment_ref(comment["id"])),
            *uncount,
        ]
        if comment.get("parent_id"):
            writes.append(count_reply(slug, comment["parent_id"], -1))
        self.table.transact(writes)

    def prune_tombstones(self, slug: str, comment_id: str) -> None:
        """Remove tombstones left with no replies, walking up the thread."""
        current: str | None = comment_id
        while current:
            tombstone = self.table.get(keys.comment(slug, current))
            if tombstone is None or tombstone["status"] != Status.DELETED or int(tombstone["reply_count"]) != 0:
                return
            writes = [
                delete(keys.comment(slug, current), "#status = :deleted AND reply_count = :zero",
                       {"#status": "status"}, deleted=Status.DELETED, zero=0),
                delete(keys.comment_ref(current)),
            ]
            parent_id = tombstone.get("parent_id")
            if parent_id:
                writes.append(count_reply(slug, parent_id, -1))
            try:
                self.table.transact(writes)
            except TransactionCancelled:
                return  # a reply arrived meanwhile: the tombstone stays, rightly
            current = parent_id

