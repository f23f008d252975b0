"""What a post implies, kept in step with it: index keys, label memberships, schedule entry, counts.

A post item implies other items: its label memberships, its schedule entry and
its share of the label, archive and total counts. Every save computes those for
the old and the new state of the post and writes the difference in the same
transaction as the post itself, so counts and listings never drift from posts.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.blog.status import Status
from chalicelib.errors import PayloadTooLarge
from chalicelib.store import keys
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


def derived(post: Item | None) -> Derived:
    entries: dict[tuple[str, str], Item] = {}
    counts: Counter[tuple[str, str]] = Counter()
    names: dict[tuple[str, str], dict[str, Any]] = {}
    if post is None or post["status"] not in (Status.PUBLISHED, Status.SCHEDULED):
        return Derived(entries, counts, names)
    slug, at = post["slug"], post["published_at"]
    for label in post.get("labels", []):
        member = keys.label_member(keys.label_key(label), at, slug)
        entries[(member["PK"], member["SK"])] = {**member, "slug": slug}
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
        return keys.author_index_keys(post["author"], keys.author_draft_sort_key(post["updated_at"], slug))
    return {}


def with_indexes(post: Item) -> Item:
    """The post item as stored: with the index keys its status calls for, and no others."""
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
                 condition="#version = :seen", names=names, values=values, refusal=StaleVersion())


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


class PostUpkeep:
    def __init__(self, table: Table) -> None:
        self.table = table

    def save(self, old: Item | None, new: Item, extra: list[Write] | None = None) -> None:
        """Write ``new`` over ``old`` with everything it implies (and ``extra``), in one transaction.

        Raises StaleVersion or SlugTaken from the post's own writes, CountsMoved
        when a count moved meanwhile, and whatever an extra write refuses with.
        """
        new = with_indexes(new)
        _check_size(new, extra or [])
        writes = list(extra or [])  # first: an idempotency claim's refusal outranks the others
        if old is None:
            writes.append(put(new, "attribute_not_exists(PK)", refusal=SlugTaken()))
        elif old["slug"] != new["slug"]:
            writes += [delete(keys.post(old["slug"]), "#version = :seen", {"#version": "version"},
                              refusal=StaleVersion(), seen=old["version"]),
                       put(new, "attribute_not_exists(PK)", refusal=SlugTaken())]
        else:
            writes.append(_update_in_place(old, new))
        before = derived(old)
        after = derived(new if new["status"] != Status.DELETING else None)
        for key, entry in after.entries.items():
            if key not in before.entries:
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
