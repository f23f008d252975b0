"""Writing an import's comments with the counts they move, a transaction per post and depth.

Split from importer/writer.py (which writes the posts) because comments are
written in groups with rules of their own: each comment's id derives from its
source ref, and its id -> post reference is put only if absent, in the
transaction that writes the comment and moves comment_count and the parent's
reply_count; held comments move no count and go by BatchWriteItem. The write
units spent are estimated as DynamoDB charges them, for the report.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from chalicelib.blog import counters, records, rendering
from chalicelib.blog.counters import PostChanged
from chalicelib.blog.ids import ulid
from chalicelib.blog.records import RecordError
from chalicelib.blog.status import Status
from chalicelib.blog.threads import commenter_entry, reference
from chalicelib.blog.validation import Email, Url
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, Write, check, item_size, put, update
from importer.import_options import AlreadyImported, Options, Report, utc, valid_or_none
from importer.model import SourceComment
from importer.plan import TOMBSTONE, Placed

_ATTEMPTS = 4
# TransactWriteItems takes up to 100 writes and 4 MB: a group of comments stays within both.
MAX_TRANSACTION_WRITES = 100
# The count's own writes in a group: the post's summary item and its label copies (at most 10 labels).
_COUNT_WRITES = 11
MAX_TRANSACTION_BYTES = 2 * 1024 * 1024


def _units(size: int) -> int:
    """DynamoDB's write units for an item of ``size`` bytes: one per started kilobyte."""
    return max(1, -(-size // 1024))


def _groups(todo: list[tuple[Placed, Item]]) -> Iterable[list[tuple[Placed, Item]]]:
    """Comments in transactions: one post and one depth each (a parent is never written with its reply),
    within TransactWriteItems' limits: up to three puts a comment (with its reference and its commenter's
    index entry), the post, one update per parent."""
    group: list[tuple[Placed, Item]] = []
    parents: set[str] = set()
    writes = size = 0
    for placed, item in todo:
        parent = item.get("parent_id")
        cost = 3 + (1 if parent and parent not in parents else 0)
        weight = 2 * item_size(item)
        if group and (placed.depth != group[0][0].depth or item["post_slug"] != group[0][1]["post_slug"]
                      or writes + cost + _COUNT_WRITES > MAX_TRANSACTION_WRITES
                      or size + weight > MAX_TRANSACTION_BYTES):
            yield group
            group, parents, writes, size = [], set(), 0, 0
            cost = 3 + (1 if parent else 0)
        group.append((placed, item))
        writes += cost
        size += weight
        if parent:
            parents.add(parent)
    if group:
        yield group


def comment_id(source: str, ref: str, created: str) -> str:
    """A ULID for a source comment, the same on every run: its time, then 80 bits of a digest of its ref."""
    moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    return ulid(max(0, int(moment.timestamp() * 1000)), hashlib.sha256(f"{source}|{ref}".encode()).digest())



class CommentWriter:
    def __init__(self, table: Table | None, options: Options, report: Report, slugs: dict[str, str],
                 post_dates: dict[str, str], post_sizes: dict[str, int]) -> None:
        self.table = table  # None: a dry run with no table to compare with
        self.options = options
        self.report = report
        self.slugs = slugs                       # post ref -> slug here (the post writer's, filled as it goes)
        self.post_dates = post_dates             # post ref -> its date, for comments without one
        self._post_sizes = post_sizes            # slug -> bytes, of the posts this run wrote
        self._post_authors: dict[str, str | None] = {}  # slug -> its post's author, for its comments
        self._sizes_of = ""                      # the post whose comments' sizes _sizes holds
        self._sizes: dict[str, int] = {}         # comment id -> bytes
        self._refused: set[str] = set()          # refs of comments refused (their replies are refused too)

    def comments(self, batch: list[Placed], sources: dict[str, SourceComment]) -> None:
        """Write one batch of planned comments (parents already written), skipping those already imported."""
        prepared = []
        for placed in batch:
            slug = self.slugs.get(placed.post_ref)
            if slug is None:
                self.report.comments["skipped: its post was not imported"] += 1
                continue
            if placed.parent_ref is not None and placed.parent_ref in self._refused:
                self._refused.add(placed.ref)
                self.report.comments["refused: its parent was refused"] += 1
                continue
            try:
                prepared.append((placed, self._comment_item(placed, sources[placed.ref], slug)))
            except RecordError as refused:
                self._refused.add(placed.ref)
                self.report.comments["refused: invalid"] += 1
                self.report.notes.append(f"comment {placed.ref} on {slug}: refused, {refused.detail}")
        present: set[str] = set()
        summaries: dict[str, Item] = {}
        if self.table is not None and prepared:
            found = self.table.batch_get([keys.comment_ref(item["id"]) for _, item in prepared])
            present = {str(ref["PK"]) for ref in found}
            # The posts' summary items, where their counts are (blog/counters.py): one read per batch.
            wanted = {str(item["post_slug"]) for _, item in prepared}
            summaries = {str(s["slug"]): s for s in self.table.batch_get([keys.post_summary(w) for w in wanted])}
        todo = []
        for placed, item in prepared:
            if keys.comment_ref(item["id"])["PK"] in present:
                self.report.comments["already imported"] += 1
            else:
                todo.append((placed, item))
        if not self.options.dry_run:
            self._write_held([(p, i) for p, i in todo if p.status in (Status.PENDING, Status.SPAM)])
            for group in _groups([(p, i) for p, i in todo if p.status not in (Status.PENDING, Status.SPAM)]):
                self._write_group(group, summaries)
            return
        for placed, _ in todo:
            self.report.comments[f"created {placed.status}"] += 1

    def _write_held(self, held_comments: list[tuple[Placed, Item]]) -> None:
        """Held comments move no count: BatchWriteItem, the comments first, then their id -> post references.

        The reference is what marks a comment imported, so a run cut off between
        the two calls finds no reference and puts the same comment (same id,
        same content) again, then its reference.
        """
        if not held_comments:
            return
        assert self.table is not None
        self.table.batch_put([item for _, item in held_comments])
        entries = [entry for _, item in held_comments if (entry := self._index_entry(item))]
        if entries:
            self.table.batch_put(entries)
        self.table.batch_put([reference(item) for _, item in held_comments])
        for placed, item in held_comments:
            self.report.comments[f"created {placed.status}"] += 1
            self._spent(1, item, reference(item))

    def _write_group(self, group: list[tuple[Placed, Item]], summaries: dict[str, Item]) -> None:
        """Comments of one post and one depth in one transaction, with the counts they move, added up.

        Each comment is put only if its reference is absent; the post's
        comment_count moves by the approved ones, each parent's reply_count by its
        replies here. A group that finds one of its comments already there (another
        run racing this one) is written again one comment at a time; one whose post
        was saved since its summary was read reads the summary again.
        """
        assert self.table is not None
        slug = str(group[0][1]["post_slug"])
        for _ in range(_ATTEMPTS):
            try:
                self._transact_group(group, slug, summaries.get(slug))
                return
            except PostChanged:
                fresh = self.table.get(keys.post_summary(slug))
                if fresh is not None:
                    summaries[slug] = fresh
            except AlreadyImported:
                for placed, item in group:
                    self._write_one(placed, item, summaries)
                return
        raise RuntimeError("the blog kept changing while importing; run the import again to resume")

    def _transact_group(self, group: list[tuple[Placed, Item]], slug: str, summary: Item | None) -> None:
        assert self.table is not None
        writes: list[Write] = []
        replies: Counter[str] = Counter()
        approved = 0
        for placed, item in group:
            writes += [put(reference(item), "attribute_not_exists(PK)", refusal=AlreadyImported()),
                       put(item, "attribute_not_exists(PK)")]
            if entry := self._index_entry(item):
                writes.append(put(entry))
            approved += placed.status == Status.APPROVED
            if item.get("parent_id"):
                replies[item["parent_id"]] += 1
        if approved and summary is not None:
            writes += counters.tally(summary, "comment_count", approved)  # the post's summary item, not the post
        else:
            writes.append(check(keys.post_summary(slug), "attribute_exists(PK)"))
        for parent_id, count in replies.items():
            writes.append(update(keys.comment(slug, parent_id), "ADD reply_count :n", "attribute_exists(PK)",
                                 n=count))
        self.table.transact(writes)
        for placed, item in group:
            self.report.comments[f"created {placed.status}"] += 1
            self._spent(2, item, reference(item))
        self._spent_on_updates(slug, replies)

    def _write_one(self, placed: Placed, item: Item, summaries: dict[str, Item]) -> None:
        assert self.table is not None
        try:
            self._write_comment(placed, item, summaries)
        except AlreadyImported:
            self.report.comments["already imported"] += 1
            return
        self.report.comments[f"created {placed.status}"] += 1
        self._spent(2, item, reference(item))
        parent = item.get("parent_id")
        self._spent_on_updates(item["post_slug"], Counter({parent: 1}) if parent else Counter())


    def _author_of(self, slug: str) -> str | None:
        """The author of the post at ``slug`` (read once per post), or None in a dry run without a table."""
        if slug not in self._post_authors and self.table is not None:
            post = self.table.get(keys.post(slug))
            self._post_authors[slug] = str(post["author"]) if post is not None and post.get("author") else None
        return self._post_authors.get(slug)

    # -- write units, estimated as DynamoDB charges them -----------------------

    def _spent(self, factor: int, comment: Item, ref: Item) -> None:
        """Write units of putting a comment and its reference: 1 per started KB each, twice in a transaction,
        plus its index entries."""
        size = item_size(comment)
        self.report.write_units += factor * (_units(size) + _units(item_size(ref)))
        # Each index (all attributes projected) the item is in costs a write of its size, not doubled.
        self.report.write_units += sum(_units(item_size(i)) for i in (comment, ref)
                                      for index in ("GSI1PK", "GSI2PK") if index in i)
        if self._sizes_of != comment["post_slug"]:  # sizes of one post's comments at a time: memory stays flat
            self._sizes_of, self._sizes = comment["post_slug"], {}
        self._sizes[str(comment["id"])] = size

    def _spent_on_updates(self, slug: str, replies: Counter[str]) -> None:
        """An update or condition check is charged on the item's size, as 2 units per KB in a transaction.

        The post's size is known when this run wrote it (else 1 KB is assumed),
        a parent's when it was written in this run.
        """
        units = _units(self._post_sizes.get(slug, 1024))
        units += sum(_units(self._sizes.get(parent, 1024)) for parent in replies)
        self.report.write_units += 2 * units

    def _write_comment(self, placed: Placed, item: Item, summaries: dict[str, Item]) -> None:
        """One comment with its counts; the post's summary is read again if the post was saved since."""
        assert self.table is not None
        slug = str(item["post_slug"])
        for _ in range(_ATTEMPTS):
            try:
                self.table.transact(self._comment_writes(placed, item, summaries.get(slug)))
                return
            except PostChanged:
                fresh = self.table.get(keys.post_summary(slug))
                if fresh is not None:
                    summaries[slug] = fresh
        raise RuntimeError("the blog kept changing while importing; run the import again to resume")

    def _comment_item(self, placed: Placed, source: SourceComment, slug: str) -> Item:
        created = utc(source.created, "created_at") or self.post_dates[placed.post_ref]
        cid = comment_id(self.options.source, source.ref, created)
        parent_id = None
        if placed.parent_ref is not None:
            parent_created = utc(placed.parent_created or None) or self.post_dates[placed.post_ref]
            parent_id = comment_id(self.options.source, placed.parent_ref, parent_created)
        markup = rendering.comment_html_from_html(source.html)
        status = Status.DELETED if placed.status == TOMBSTONE else placed.status
        fields: records.CommentFields = {
            "id": cid,
            "post_slug": slug,
            "parent_id": parent_id,
            "depth": placed.depth,
            "body": records.comment_text(markup),
            "html": markup,
            "author_name": source.author_name,
            "author_user": None,
            "author_email": valid_or_none(Email(), source.author_email),
            "author_website": valid_or_none(Url(), source.author_website),
            "notify_replies": False,
            "status": status,
            "created_at": created,
            "likes": source.likes,
            "dislikes": source.dislikes,
            "reply_count": 0,
            "imported_from": self.options.source,
            "source_ref": source.ref,
        }
        if (post_author := self._author_of(slug)) is not None:
            fields["post_author"] = post_author  # as the API keeps it: a held one is in its author's own queue
        if source.likes or source.dislikes:
            # What the source counted, kept apart: a comment's likes are these plus its readers' votes here.
            fields["imported_likes"], fields["imported_dislikes"] = source.likes, source.dislikes
        return records.comment(fields)

    def _index_entry(self, item: Item) -> Item | None:
        """The comment's entry in its commenter's index (as the API writes one), when it has an e-mail and a key."""
        if not item.get("author_email") or self.options.email_hash is None:
            return None
        return commenter_entry(item, "email:" + self.options.email_hash(item["author_email"]))

    def _comment_writes(self, placed: Placed, item: Item, summary: Item | None) -> list[Write]:
        slug = item["post_slug"]
        writes = [put(reference(item), "attribute_not_exists(PK)", refusal=AlreadyImported()),
                  put(item, "attribute_not_exists(PK)")]
        if entry := self._index_entry(item):
            writes.append(put(entry))
        if placed.status == Status.APPROVED and summary is not None:
            writes += counters.tally(summary, "comment_count", +1)  # the post's summary item, not the post
        else:
            # Held comments and tombstones are not counted (nor is anything on a post that is gone: this fails).
            writes.append(check(keys.post_summary(slug), "attribute_exists(PK)"))
        if placed.status in (Status.PENDING, Status.SPAM):
            return writes
        if item.get("parent_id"):
            writes.append(update(keys.comment(slug, item["parent_id"]), "ADD reply_count :one",
                                 "attribute_exists(PK)", one=1))
        return writes
