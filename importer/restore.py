"""Restore this blog's own export (importer/backup.py) into a table: `make import FILE=blog.jsonl`.

Five passes over the file, each streamed:
  1. check every line (header version, JSON, kinds, keys, the end line's count):
     a damaged file is refused, naming its line, before anything is written;
  2. posts, each through the project's post upkeep (chalicelib.blog.post_upkeep)
     with an IMPORTED# marker in the same transaction: labels, archive, schedule,
     post and author totals are rebuilt from the posts, by the writer the API uses;
  3. everything else: comments with their id -> post references (marked
     ``imported_from`` so no notification goes out for them), votes, follows,
     audit, ...; an account with its e-mail uniqueness item in one transaction;
     a favorite with its user's favorites count in one transaction;
  4. verify: every restored post's partition is read back, and its comment_count,
     favorites_count, each comment's reply_count, likes and dislikes are checked
     against the comments, favorites and votes that count for them (restore_counts.py);
  5. index: each restored post and comment into the search indexes, as the stream would.
A post's own counters (comment_count, favorites_count on its summary item; a
comment's reply_count, likes) are restored as the file holds them and verified in
pass 4; the others are rebuilt.

The target must be empty (any item but this export's own marker refuses it),
unless merge is asked: then a post whose slug is taken here is skipped with
everything in its partition, and an account, follow or other item already
present is kept as it is. Re-running a restore (after an interruption) resumes:
every write is either a put of the same item or guarded by a condition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import Progress

from chalicelib.blog import clock, counters, slug_aliases
from chalicelib.blog.counters import PostChanged
from chalicelib.blog.post_upkeep import COUNT_FIELDS, CountsMoved, PostUpkeep, SlugTaken, StaleVersion
from chalicelib.blog.records import RecordError, email_claim, post_item, subscriber_entry
from chalicelib.blog.threads import reference
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, Item, Table, Write, put, update
from importer import restore_records
from importer.backup import header_of, records
from importer.import_options import AlreadyImported, digest
from importer.model import ImportError_
from importer.restore_counts import post_mismatches
from importer.restore_records import NOT_RESTORED

_BATCH = 25  # BatchWriteItem's limit
_ATTEMPTS = 4


class _AliasTaken(Exception):
    """An old slug of a restored post is another post's here."""


class _EmailTaken(Exception):
    """Merging: another account here has the restored account's e-mail address."""


@dataclass
class RestoreReport:
    read: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)      # already there: resumed, or kept when merging
    skipped: Counter[str] = field(default_factory=Counter)   # not written, and why
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Batch:
    """Puts gathered 25 at a time (one BatchWriteItem each), the last of two puts of one key kept."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.pending: dict[tuple[str, str], Item] = {}

    def add(self, item: Item) -> None:
        self.pending[(str(item["PK"]), str(item["SK"]))] = item
        if len(self.pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        items, self.pending = list(self.pending.values()), {}
        self.table.batch_put(items)  # unprocessed items sent again with jittered back-off; raises if they stay


def _export_marker(export_id: str) -> dict[str, str]:
    return keys.imported(digest("export", export_id))


def _post_marker(slug: str) -> dict[str, str]:
    return keys.imported(digest("export", "post", slug))


def _post_slug(item: Item) -> str | None:
    """The slug of the post a rebuilt record belongs to (a post's counts name it), if any."""
    partition = keys.post_partition("")
    pk = str(item.get("PK", ""))
    return pk.removeprefix(partition) if pk.startswith(partition) else item.get("slug") if "PK" not in item else None


def _empty_but_for(table: Table, marker: dict[str, str]) -> bool:
    """Whether the table holds nothing but ``marker`` (one Scan page of two keys at most)."""
    response = table.client.scan(TableName=table.name, Limit=2, ProjectionExpression="PK, SK")
    found = [(i["PK"]["S"], i["SK"]["S"]) for i in response.get("Items", [])]
    return all(key == (marker["PK"], marker["SK"]) for key in found) and (
        len(found) < 2 or not response.get("LastEvaluatedKey"))


# A passkey or an OpenID Connect identity signs its holder in, as a password hash does: each comes in only when
# the accounts' secrets do (a crafted file merged into a blog could otherwise add a way into any account).
SIGN_IN_KINDS = ("passkey", "identity")


def set_aside(kind: str) -> str:
    return f"{kind}: a way to sign in, restored only from --with-secrets with --trust-accounts"


class Restore:
    def __init__(self, path: Path, table: Table | None, merge: bool, progress: Progress | None,
                 trust_accounts: bool = False) -> None:
        self.path = path
        self.table = table
        self.merge = merge
        self.progress = progress
        self.trust_accounts = trust_accounts
        self.trusted = False  # the file has secrets and the operator trusts its accounts (set by check)
        self.resuming = False
        self.set_aside = 0  # accounts whose role or password hash in the file was not applied
        self.report = RestoreReport()
        self.skipped_slugs: set[str] = set()

    def _records(self, what: str, kinds: Callable[[str], bool] = bool) -> Iterator[tuple[int, str, Item]]:
        """(line, kind, record as its constructor rebuilds it) of the records of ``kinds`` the restore writes."""
        task = self.progress.add_task(what, total=sum(self.report.read.values()) or None) \
            if self.progress is not None else None
        with self.path.open("rb") as handle:
            for number, kind, item in records(handle):
                if kind != NOT_RESTORED and kinds(kind):
                    yield number, kind, self._rebuilt(number, kind, item)
                if self.progress is not None and task is not None:
                    self.progress.advance(task)

    def _rebuilt(self, number: int, kind: str, item: Item) -> Item:
        try:
            if kind == "account":
                account, set_aside = restore_records.account(item, self.trusted)
                self.set_aside += set_aside
                return account
            return restore_records.rebuild(kind, item)
        except RecordError as refused:
            raise ImportError_(f"line {number}: a {kind!r} record refused: {refused.detail}; "
                               "nothing was written") from None

    def check(self) -> dict[str, Any]:
        """Read every record through its constructor: a file with one refused record is refused before any write."""
        with self.path.open("rb") as handle:
            header = header_of(handle.readline())
            for _, kind, _item in records(handle):
                self.report.read[kind] += 1
        self.trusted = bool(header.get("secrets")) and self.trust_accounts
        for _ in self._records("checking"):
            pass
        if self.report.read[NOT_RESTORED]:
            self.report.skipped["other: items this release does not restore (short-lived, or unknown)"] = \
                self.report.read[NOT_RESTORED]
        accounts = self.report.read["account"]
        if accounts and not self.trusted:
            why = ("the export holds no password hashes" if not header.get("secrets") else
                   "--trust-accounts was not given")
            self.report.notes.append(
                f"{why}: {accounts} accounts restored as readers without a password ({self.set_aside} had a role "
                "or password set aside); they sign in once given a password. To keep roles and passwords, "
                "restore an export made with --with-secrets and pass --trust-accounts")
        elif accounts and self.trust_accounts and not header.get("secrets"):
            self.report.notes.append("--trust-accounts: the export holds no password hashes, so nothing to trust")
        return header

    def run(self, dry_run: bool) -> RestoreReport:
        header = self.check()
        if dry_run or self.table is None:
            return self.report
        table = self.table
        marker = _export_marker(str(header["export_id"]))
        if table.get(marker) is not None:
            self.resuming = True
            self.report.notes.append("this export was restored here before (or in part): resuming")
        elif not self.merge and not _empty_but_for(table, marker):
            raise ImportError_(f"the table {table.name} is not empty: restore into an empty table (a new stage; "
                               "locally, `make clean-data`, then `SEED=0 make run`, which starts with no sample "
                               "posts), or pass --merge to add to what it holds")
        table.write(put({**marker, "slug": "", "source_ref": str(header["export_id"]),
                         "exported_at": str(header.get("exported_at", ""))}))
        self._posts(table)
        self._rest(table)
        self._verify(table)
        self._index(table)
        return self.report

    # -- pass 2: posts ---------------------------------------------------------

    def _posts(self, table: Table) -> None:
        upkeep = PostUpkeep(table)
        for _, _kind, item in self._records("posts", lambda kind: kind == "post"):
            slug = str(item["slug"])
            claim = put({**_post_marker(slug), "slug": slug, "source_ref": slug}, "attribute_not_exists(PK)",
                        refusal=AlreadyImported())
            for _ in range(_ATTEMPTS):
                try:
                    # Its old slugs' pointers are rebuilt from the post (the export leaves them out).
                    upkeep.save(None, item, [claim, slug_aliases.unreserved(slug),
                                             *slug_aliases.restored_writes(item, _AliasTaken())])
                    self.report.written["post"] += 1
                except _AliasTaken:
                    item = self._without_taken_aliases(table, item)
                    continue
                except AlreadyImported:
                    self.report.kept["post"] += 1
                except SlugTaken:
                    self.skipped_slugs.add(slug)
                    self.report.skipped["post: its slug is taken here (with its comments, votes, favorites)"] += 1
                except (StaleVersion, CountsMoved):
                    continue
                break
            else:
                raise RuntimeError("the blog kept changing while restoring; run the restore again to resume")

    def _without_taken_aliases(self, table: Table, item: Item) -> Item:
        """The post without the old slugs another post holds here (a merge): it keeps the rest."""
        taken = slug_aliases.held_elsewhere(table, item)
        self.report.skipped["post alias: another post's slug here"] += len(taken)
        aliases = [a for a in item.get("aliases", []) if a not in taken]
        current = item.get("current_slug") if item.get("current_slug") in aliases else None
        return post_item({**item, "aliases": aliases, "current_slug": current})

    # -- pass 3: the rest ------------------------------------------------------

    def _rest(self, table: Table) -> None:
        batch = _Batch(table)
        for _, kind, item in self._records("the rest", lambda kind: kind != "post"):
            slug = _post_slug(item) if kind != "subscription" else str(item["post_slug"])
            if slug is not None and slug in self.skipped_slugs:
                self.report.skipped[f"{kind}: of a skipped post"] += 1
            elif kind == "comment" and self.resuming:
                self._once(table, f"comment ({item['status']})",
                           [put(reference(item), "attribute_not_exists(PK)", refusal=AlreadyImported()), put(item)])
            elif kind == "comment":
                batch.add(item)
                batch.add(reference(item))
                self.report.written[f"comment ({item['status']})"] += 1
            elif kind in SIGN_IN_KINDS and not self.trusted:
                self.report.skipped[set_aside(kind)] += 1
            elif kind == "counts":
                self._counts(table, item)
            elif kind == "account":
                self._account(table, item)
            elif kind == "subscription":
                self._once(table, kind, [put(item, "attribute_not_exists(PK)", refusal=AlreadyImported()),
                                         put(subscriber_entry(item, str(item.get("confirmed_at") or
                                                                                clock.now_iso())))])
            elif kind == "favorite":
                self._once(table, kind, [put(item, "attribute_not_exists(PK)", refusal=AlreadyImported()),
                                         update(keys.favorites_count(str(item["username"])), "ADD #c :one",
                                                names={"#c": "count"}, one=1)])
            elif self.merge or self.resuming:
                try:
                    table.write(put(item, "attribute_not_exists(PK)"))
                    self.report.written[kind] += 1
                except ConditionFailed:
                    self.report.kept[kind] += 1
            else:
                batch.add(item)
                self.report.written[kind] += 1
        batch.flush()

    def _counts(self, table: Table, item: Item) -> None:
        """A post's counts onto the summary item its restored post got (and the label copies): by the difference,
        so a restore run again moves nothing. One transaction per count: each moves the same items."""
        slug = str(item["slug"])
        moved = False
        for name in COUNT_FIELDS:
            for _ in range(4):
                summary = table.get(keys.post_summary(slug))
                if summary is None:
                    self.report.skipped["counts: of a post not restored"] += 1
                    return
                delta = int(item.get(name, 0)) - int(summary.get(name, 0))
                if not delta:
                    break
                try:
                    table.transact(counters.tally(summary, name, delta))
                except PostChanged:
                    continue
                moved = True
                break
            else:
                raise RuntimeError("the blog kept changing while restoring; run the restore again to resume")
        summary = table.get(keys.post_summary(slug)) or {}
        if "reactions" in item and summary.get("reactions") != item["reactions"]:
            # The reaction counts (blog/reactions.py) are the summary item's alone: set as the file has them.
            table.write(update(keys.post_summary(slug), "SET reactions = :counts", "attribute_exists(PK)",
                               counts=item["reactions"]))
            moved = True
        if "locked_at" in item and summary.get("locked_at") != item["locked_at"]:
            # A lock is the summary item's alone too (blog/thread_controls.py): a post's upkeep never writes it.
            table.write(update(keys.post_summary(slug), "SET locked_at = :at, locked_by = :by", "attribute_exists(PK)",
                               at=item["locked_at"], by=item["locked_by"]))
            moved = True
        if moved:
            self.report.written["counts"] += 1
        else:
            self.report.kept["counts"] += 1

    def _once(self, table: Table, kind: str, writes: list[Write]) -> None:
        try:
            table.transact(writes)
            self.report.written[kind] += 1
        except AlreadyImported:
            self.report.kept[kind] += 1

    def _account(self, table: Table, item: Item) -> None:
        writes = [put(item, "attribute_not_exists(PK)", refusal=AlreadyImported()),
                  put(email_claim(str(item["email"]), str(item["username"])), "attribute_not_exists(PK)",
                      refusal=_EmailTaken())]
        try:
            self._once(table, "account", writes)
        except _EmailTaken:
            self.report.skipped["account: its e-mail address belongs to another account here"] += 1

    # -- pass 4: verify --------------------------------------------------------

    def _verify(self, table: Table) -> None:
        for _, _kind, item in self._records("verifying", lambda kind: kind == "post"):
            if item["slug"] not in self.skipped_slugs:
                self.report.mismatches += post_mismatches(table, str(item["slug"]))

    # -- pass 5: the search indexes ----------------------------------------------

    def _index(self, table: Table) -> None:
        """Each restored post and comment into the search indexes, as the stream would: the file carries no
        index. Posts are diffed against what is there, so a second run writes nothing more for them; a
        comment's postings are put again (the same items)."""
        from chalicelib.blog.comment_search import CommentSearch
        from chalicelib.blog.search import Search

        search, comment_search = Search(table, b""), CommentSearch(table, b"")  # build no cursors here
        indexed = 0
        for _, kind, item in self._records("indexing", lambda kind: kind in ("post", "comment")):
            if _post_slug(item) in self.skipped_slugs or item.get("slug") in self.skipped_slugs:
                continue
            if kind == "comment":
                comment_search.reindex(None, item, held=str(item["SK"]).startswith(keys.HELD_PREFIX))
            elif search.reindex(str(item["slug"]), item):
                indexed += 1
        if indexed:
            self.report.notes.append(f"{indexed} posts indexed for search")

def restore(path: Path, table: Table | None, *, merge: bool = False, dry_run: bool = False,
            progress: Progress | None = None, trust_accounts: bool = False) -> RestoreReport:
    """Restore the export at ``path`` into ``table`` (dry: check the file and every record, and count them)."""
    return Restore(path, table, merge, progress, trust_accounts).run(dry_run)


def render_restore(report: RestoreReport, dry_run: bool) -> str:
    def listed(counts: Counter[str]) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "none"

    lines = [("Dry run: nothing written. " if dry_run else "") + "format: this blog's export",
             "Read: " + listed(report.read)]
    if not dry_run:
        lines.append(f"{sum(report.written.values())} restored: " + listed(report.written))
        if report.kept:
            lines.append("Already there (kept): " + listed(report.kept))
        if report.skipped:
            lines.append("Skipped: " + listed(report.skipped))
        lines.append("Counts verified: " + ("all agree" if not report.mismatches else
                                            f"{len(report.mismatches)} disagree:"))
        lines.extend("  " + line for line in report.mismatches[:50])
    lines.extend(report.notes)
    return "\n".join(lines)
