"""What a post implies, kept in step with it: summary item, index keys, label memberships, schedule entry, counts.

A post item implies other items: its summary item (what lists show, with the
post's counts, in the indexes lists read), its label memberships (a copy of the
summary each), its schedule entry and its share of the label, archive and total
counts. Every save computes those for the old and the new state of the post and
writes the difference in the same transaction as the post itself, so counts and
listings never drift from posts.

The post's own counts (comment_count, favorites_count) live on the summary item
and its label copies only: the comment, moderation and favorite paths move them
(blog/counters.py), never the post item, whose size is the body's. A save copies
the counts it read into new label copies and conditions the summary item on
them, so a comment landing meanwhile cancels the save, which is computed again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.blog.status import Status
from chalicelib.errors import PayloadTooLarge
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import MAX_ITEM_BYTES, Item, Table, TransactionCancelled, Write, delete, item_size, put


class StaleVersion(Exception):
    """The post changed (or went) since it was read."""


class SlugTaken(Exception):
    """Another post (or one being deleted) holds the slug being written."""


class CountsMoved(Exception):
    """A count the save read was moved by another writer meanwhile: compute the save again."""


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Derived:
    """The items and counts a post's state implies (count keys map to the names their items carry)."""

    __slots__ = ("count_names", "counts", "entries")

    def __init__(self, entries: dict[tuple[str, str], Item], counts: Counter[tuple[str, str]],
                 count_names: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.entries = entries
        self.counts = counts
        self.count_names = count_names


# What a list shows of a post, kept on its summary item and on each label membership.
SUMMARY_FIELDS = ("slug", "current_slug", "title", "summary", "labels", "author", "status", "published_at",
                  "created_at", "updated_at", "comments_closed", "version")
COUNT_FIELDS = ("comment_count", "favorites_count")
# A moderator's lock on the thread (blog/thread_controls.py): on the summary item only, never written by a save.
LOCK_FIELDS = ("locked_at", "locked_by")


def summary_of(post: Item) -> Item:
    """The summary and counts of a post (read with its counts: see posts.py's load), without keys."""
    fields = {name: post[name] for name in SUMMARY_FIELDS if name in post}
    return {**fields, **{name: int(post.get(name, 0)) for name in COUNT_FIELDS}}


def label_member_keys(post: Item) -> list[Key]:
    """The label memberships a post's state implies (none unless published or scheduled)."""
    if post["status"] not in (Status.PUBLISHED, Status.SCHEDULED):
        return []
    return [keys.label_member(keys.label_key(label), post["published_at"], post["slug"])
            for label in post.get("labels", [])]


def derived(post: Item | None) -> Derived:
    entries: dict[tuple[str, str], Item] = {}
    counts: Counter[tuple[str, str]] = Counter()
    names: dict[tuple[str, str], dict[str, Any]] = {}
    if post is None or post["status"] not in (Status.PUBLISHED, Status.SCHEDULED):
        return Derived(entries, counts, names)
    slug, at = post["slug"], post["published_at"]
    summary = summary_of(post)
    for member in label_member_keys(post):
        entries[(member["PK"], member["SK"])] = {**member, **summary}
    if post["status"] == Status.SCHEDULED:
        entry = keys.schedule_entry(at, slug)
        entries[(entry["PK"], entry["SK"])] = {**entry, "slug": slug}
        return Derived(entries, counts, names)
    # Only posts promoted to "published" count, so /labels and /archive never
    # reveal a post that readers cannot see yet.
    for label in post.get("labels", []):
        key = keys.label_count(keys.label_key(label))
        counts[(key["PK"], key["SK"])] += 1
        names[(key["PK"], key["SK"])] = {"label": label}
    month = keys.archive_count(at[:7])
    counts[(month["PK"], month["SK"])] += 1
    names[(month["PK"], month["SK"])] = {"month": at[:7]}
    # Totals for lists that report how many posts match (the RealWorld API's articlesCount).
    for total, name in ((keys.posts_count(), {}), (keys.author_count(post["author"]), {"author": post["author"]})):
        counts[(total["PK"], total["SK"])] += 1
        names[(total["PK"], total["SK"])] = name
    return Derived(entries, counts, names)


def _index_attributes(post: Item) -> dict[str, str]:
    status, slug = post["status"], post["slug"]
    if status in (Status.PUBLISHED, Status.SCHEDULED):
        at = post["published_at"]
        return {
            **keys.listing_index_keys(at, slug),
            **keys.author_index_keys(post["author"], keys.author_visible_sort_key(at, slug)),
        }
    if status == Status.DRAFT:
        return {**keys.author_index_keys(post["author"], keys.author_draft_sort_key(post["updated_at"], slug)),
                **keys.drafts_index_keys(post["updated_at"], slug)}
    return {}


def stored_post(post: Item) -> Item:
    """The post item as stored: no index keys (its summary item carries them) and no counts."""
    return {k: v for k, v in post.items()
            if k not in keys.INDEX_KEY_ATTRIBUTES and k not in COUNT_FIELDS and k not in LOCK_FIELDS}


def summary_item(post: Item) -> Item:
    """The post's summary item as stored: summary, counts, and the index keys its status calls for."""
    return {**keys.post_summary(post["slug"]), **summary_of(post), **_index_attributes(post)}


def _update_in_place(old: Item, new: Item, key: Key, counts: dict[str, int] | None = None) -> Write:
    """SET what changed and REMOVE what went, never touching the counts.

    A Put would overwrite a count with the value read before the edit and lose
    comments written in between; an Update leaves them to the paths that move
    them. ``counts``: the counts the save read, which its condition requires
    unchanged (the label copies it writes carry them).
    """
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets: list[str] = []
    for i, (name, value) in enumerate(new.items()):
        if name in ("PK", "SK", *COUNT_FIELDS) or old.get(name) == value:
            continue
        names[f"#a{i}"] = name
        values[f":a{i}"] = value
        sets.append(f"#a{i} = :a{i}")
    removes = []
    for j, name in enumerate(old):
        if name not in new and name not in COUNT_FIELDS:
            names[f"#r{j}"] = name
            removes.append(f"#r{j}")
    names["#version"] = "version"
    values[":seen"] = old["version"]
    condition = "#version = :seen"
    refusal: Exception = StaleVersion()
    for k, (name, seen) in enumerate((counts or {}).items()):
        names[f"#c{k}"] = name
        values[f":c{k}"] = seen
        condition += f" AND #c{k} = :c{k}"
        refusal = CountsMoved()  # the version or a count moved: either way, compute the save again
    expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
    if not expression:
        return Write("ConditionCheck", key=key, condition=condition, names=names, values=values, refusal=refusal)
    return Write("Update", key=key, update=expression.strip(),
                 condition=condition, names=names, values=values, refusal=refusal)


def _check_size(post: Item, extra: list[Write]) -> None:
    """Refuse (413) a post whose item, or an item written with it, DynamoDB would refuse as too large.

    The body is what makes it large: its HTML can take five times its length
    ("&" renders as "&amp;"), and an idempotency record stores both again.
    """
    largest = max(item_size(item) for item in [post, *(w.item for w in extra if w.item is not None)])
    if largest > MAX_ITEM_BYTES:
        limit = f"{MAX_ITEM_BYTES // 1024} KB"
        raise PayloadTooLarge(
            f"body: the post is too large to store: with its rendered HTML it takes {largest / 1024:.0f} KB, "
            f"more than the {limit} one item may hold; shorten the body",
            {"body": [f"makes the stored post larger than {limit}, with its rendered HTML; shorten it"]},
        )


def _retired_summary(old: Item, counts: dict[str, int]) -> Write:
    """Delete the summary item of a slug being left, under the counts read (a draft's are 0)."""
    names = {"#version": "version", **{f"#c{k}": n for k, n in enumerate(counts)}}
    values = {"seen": old["version"], **{f"c{k}": v for k, v in enumerate(counts.values())}}
    condition = "#version = :seen" + "".join(f" AND #c{k} = :c{k}" for k in range(len(counts)))
    return delete(keys.post_summary(old["slug"]), condition, names, refusal=CountsMoved(), **values)


class PostUpkeep:
    def __init__(self, table: Table) -> None:
        self.table = table

    def save(self, old: Item | None, new: Item, extra: list[Write] | None = None) -> None:
        """Write ``new`` over ``old`` with everything it implies (and ``extra``), in one transaction.

        Raises StaleVersion or SlugTaken from the post's own writes, CountsMoved
        when a count moved meanwhile, and whatever an extra write refuses with.
        """
        # ``old`` and ``new`` carry the counts ``old`` was read with (posts.py reads them with the post).
        stored = stored_post(new)
        _check_size(stored, extra or [])
        writes = list(extra or [])  # first: an idempotency claim's refusal outranks the others
        counts = {name: int(old.get(name, 0)) for name in COUNT_FIELDS} if old is not None else {}
        if old is None:
            writes += [put(stored, "attribute_not_exists(PK)", refusal=SlugTaken()),
                       put(summary_item(new), "attribute_not_exists(PK)", refusal=SlugTaken())]
        elif old["slug"] != new["slug"]:
            writes += [delete(keys.post(old["slug"]), "#version = :seen", {"#version": "version"},
                              refusal=StaleVersion(), seen=old["version"]),
                       _retired_summary(old, counts),
                       put(stored, "attribute_not_exists(PK)", refusal=SlugTaken()),
                       put(summary_item(new), "attribute_not_exists(PK)", refusal=SlugTaken())]
        else:
            writes += [_update_in_place(stored_post(old), stored, keys.post(old["slug"])),
                       _update_in_place(summary_item(old), summary_item(new), keys.post_summary(old["slug"]),
                                        counts)]
        before = derived(old)
        after = derived(new if new["status"] != Status.DELETING else None)
        for key, entry in after.entries.items():
            if before.entries.get(key) != entry:  # new, or its summary changed
                writes.append(put(entry))
        for key in before.entries:
            if key not in after.entries:
                writes.append(delete({"PK": key[0], "SK": key[1]}))
        writes.extend(self._count_writes(before, after))
        try:
            self.table.transact(writes)
        except TransactionCancelled as contended:
            raise CountsMoved() from contended  # contention outlasted the retries: compute again

    def _count_writes(self, before: Derived, after: Derived) -> list[Write]:
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
                writes.append(Write("Delete", key=key, condition="#c = :seen", names={"#c": "count"},
                                    values={":seen": seen}, refusal=CountsMoved()))
            else:
                writes.append(Write("Update", key=key, update="ADD #c :d", condition="#c = :seen",
                                    names={"#c": "count"}, values={":d": delta, ":seen": seen},
                                    refusal=CountsMoved()))
        return writes
