"""Writing what was planned: posts through the project's post upkeep, comments with the counts they move.

Each source item keeps its source id:
- a post: an IMPORTED#<digest of format and source ref> item naming its slug,
  written in the post's own transaction (with its labels, archive and totals,
  by chalicelib.blog.post_upkeep), so a post is there exactly when its marker is;
- a comment: its id is derived from the source (a ULID whose time is the
  comment's and whose random part is a digest of the source ref), and its
  id -> post reference is put only if absent, in the transaction that writes
  the comment and moves comment_count and the parent's reply_count.
A second run finds both and writes nothing; a run cut off between two
transactions leaves whole items and exact counts, and the next run writes the rest.
Imported comments carry ``imported_from``: the notification stream handler
skips them, and they pass through no rate limit or moderation (their status is
the source's).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.blog import clock, counters, records, rendering, slug_aliases
from chalicelib.blog.counters import PostChanged
from chalicelib.blog.ids import ulid
from chalicelib.blog.post_upkeep import COUNT_FIELDS, CountsMoved, PostUpkeep, SlugTaken, StaleVersion
from chalicelib.blog.posts import load_with_counts
from chalicelib.blog.records import RecordError
from chalicelib.blog.slugs import is_valid_slug, slugify, with_suffix
from chalicelib.blog.status import Status
from chalicelib.blog.threads import commenter_entry, reference
from chalicelib.blog.tokens import AUTHOR, is_named_admin
from chalicelib.blog.validation import Email, FieldError, Url
from chalicelib.errors import PayloadTooLarge
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, Write, check, item_size, put, update
from importer.model import SourceComment, SourcePost
from importer.plan import TOMBSTONE, Placed
from importer.urls import slug_from_url

_NUMBERED_SLUGS = 50
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


class _AliasTaken(Exception):
    """The slug a post's old address names is another post's: the post is saved without that alias."""


class _Taken(Exception):
    """A username (or its placeholder address) belongs to an account already."""


def _usernames(name: str) -> Iterable[str]:
    """Usernames for a source author's name: its words in ASCII, then numbered."""
    base = re.sub(r"[^a-z0-9]+", "-", slugify(name) or "").strip("-")[:28].strip("-")
    if len(base) < 3:
        base = f"author-{digest(name)[:8]}" if not base else f"{base}-author"
    yield base
    for number in range(2, _NUMBERED_SLUGS + 1):
        yield f"{base}-{number}"


class AlreadyImported(Exception):
    """The marker of this source item exists: an earlier run imported it."""


def digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def comment_id(source: str, ref: str, created: str) -> str:
    """A ULID for a source comment, the same on every run: its time, then 80 bits of a digest of its ref."""
    moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    return ulid(max(0, int(moment.timestamp() * 1000)), hashlib.sha256(f"{source}|{ref}".encode()).digest())


def utc(value: str | None, name: str = "date") -> str | None:
    """A source date as stored (records.stored_date: RecordError for one that does not parse or is out of range)."""
    return records.stored_date(value, name) if value else None


def _fingerprint(source: SourcePost) -> str:
    """What the export says of a post, as one digest: a later export that changes it can be told apart."""
    return hashlib.sha256(json.dumps(source.to_json(), sort_keys=True).encode()).hexdigest()


def _valid_or_none(rule: Callable[[Any], str], value: str) -> str | None:
    try:
        return rule(" ".join(value.split())) or None
    except FieldError:
        return None


@dataclass
class Report:
    """What a run did (or, dry, would do), for the operator."""

    read: Counter[str] = field(default_factory=Counter)       # kind/status as read from the file
    posts: Counter[str] = field(default_factory=Counter)      # created, already imported, attached, ...
    comments: Counter[str] = field(default_factory=Counter)   # created <status>, already imported, ...
    orphans: Counter[str] = field(default_factory=Counter)
    unmapped_urls: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)
    accounts: Counter[str] = field(default_factory=Counter)   # author accounts: created, already imported
    notes: list[str] = field(default_factory=list)
    write_units: int = 0  # comments' write units, estimated from item sizes (see Writer._spent)

    @property
    def created(self) -> int:
        return sum(n for counts in (self.posts, self.comments, self.accounts)
                   for k, n in counts.items() if k.startswith("created"))


@dataclass
class Options:
    source: str                       # the format, and what ids are derived from
    default_author: str
    authors: dict[str, str] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)  # old URL (or its key) -> slug, overriding the derived one
    create_pages: bool = True
    dry_run: bool = False
    # The keyed hash of a commenter's e-mail (the API's, from HASH_KEY): with it, a comment with an
    # e-mail gets its entry in its commenter's index, as the API writes one (blog/personal_data.py).
    email_hash: Callable[[str], str] | None = None
    create_authors: bool = True       # False: every post not mapped by ``authors`` goes to default_author
    reserved: frozenset[str] = frozenset()  # usernames never created (BLOG_ADMINS: those would be admins)


class Writer:
    def __init__(self, table: Table | None, options: Options, report: Report,
                 author_emails: dict[str, str] | None = None) -> None:
        self.table = table  # None: a dry run with no table to compare with
        self.options = options
        self.report = report
        self.upkeep = PostUpkeep(table) if table is not None else None
        self.slugs: dict[str, str] = {}          # post ref -> slug here
        self.post_dates: dict[str, str] = {}     # post ref -> its date, for comments without one
        self._claimed: set[str] = set()          # slugs this dry run would take
        self._authors: dict[str, str] = {}       # source author name -> username here
        self._author_emails = author_emails or {}  # source author name -> their address there
        self._post_authors: dict[str, str | None] = {}  # slug -> its post's author, for its comments
        self._post_sizes: dict[str, int] = {}    # slug -> bytes, of the posts this run wrote
        self._sizes_of = ""                      # the post whose comments' sizes _sizes holds
        self._sizes: dict[str, int] = {}         # comment id -> bytes
        self._refused: set[str] = set()          # refs of comments refused (their replies are refused too)

    # -- posts ---------------------------------------------------------------

    def post(self, source: SourcePost) -> None:
        """Import one post, or report it refused (a date out of range, say), naming it."""
        try:
            self._post(source)
        except RecordError as refused:
            self.report.posts["refused: invalid"] += 1
            self.report.notes.append(f"{source.url or source.ref}: refused, {refused.detail}")

    def _post(self, source: SourcePost) -> None:
        marker = keys.imported(digest(self.options.source, source.ref))
        found = self.table.get(marker) if self.table is not None else None
        if found is not None:
            self._done(source, str(found["slug"]), self._refresh(source, str(found["slug"])))
            return
        if source.attach_existing and (existing := self._existing_post_for(source)) is not None:
            if not self.options.dry_run:
                assert self.table is not None
                self.table.write(put({**marker, "slug": existing, "source_ref": source.ref}))
            self._done(source, existing, "mapped to an existing post")
            return
        if source.attach_existing and not self.options.create_pages:
            self.report.unmapped_urls.append(source.url or source.ref)
            self.report.posts["skipped: no post has its address"] += 1
            return
        item = self._post_item(source, next(iter(self._candidates(source))))
        extra_marker = put({**marker, "slug": "", "source_ref": source.ref}, "attribute_not_exists(PK)",
                           refusal=AlreadyImported())
        try:
            self._place(source, item, extra_marker)
        except PayloadTooLarge:
            self.report.posts["skipped: too large to store"] += 1
            self.report.notes.append(f"{source.url or source.ref}: larger than one item may hold (400 KB), skipped")

    def _place(self, source: SourcePost, item: Item, extra_marker: Write) -> None:
        for slug in self._candidates(source):
            if self.options.dry_run:
                taken = slug in self._claimed or (self.table is not None and self.table.get(keys.post(slug)))
                if taken:
                    continue
                self._claimed.add(slug)
                self._done(source, slug, "created")
                return
            placed = self._save(item, slug, source, extra_marker)
            if placed == slug:
                self._post_sizes[slug] = item_size({**item, **keys.post(slug), "slug": slug})
                if slug != next(iter(self._candidates(source))):
                    self.report.notes.append(f"{source.url or source.ref}: its slug was taken (another post, "
                                             f"perhaps of another site): imported as {slug}")
            if placed is not None:
                self._done(source, placed, "created" if placed == slug else "already imported")
                return
        self.report.posts["skipped: no free slug"] += 1

    def _save(self, item: Item, slug: str, source: SourcePost, marker: Write) -> str | None:
        """Save under ``slug``: the slug it got (the earlier run's, when one won a race), or None when taken."""
        assert self.upkeep is not None and self.table is not None and marker.item is not None
        # The slug its old address names, when it got another (taken, or --slugs): kept as an alias, so an
        # old page's widget (whose data-post is that address's slug) is led to the post (docs/import-export.md).
        alias = slug_from_url(source.url) if source.url else None
        alias = alias if alias != slug else None
        if item["slug"] != slug or alias:  # the first choice was taken: the same post under the next slug
            item = records.post_item({**item, "slug": slug, "aliases": [alias] if alias else []})
        writes = [Write("Put", item={**marker.item, "slug": slug}, condition=marker.condition,
                        refusal=marker.refusal), slug_aliases.unreserved(slug)]
        if source.url_key:
            writes.append(put({**keys.imported(digest("url", source.url_key)), "slug": slug}))
        for _ in range(_ATTEMPTS):
            try:
                self.upkeep.save(None, item, writes + (slug_aliases.pointer_writes(alias, slug, _AliasTaken())
                                                       if alias else []))
                return slug
            except _AliasTaken:
                self.report.notes.append(f"{source.url}: the slug of its address, {alias}, is another post's: "
                                         "not kept as an alias (see the redirect map)")
                alias, item = None, records.post_item({**item, "aliases": []})
            except SlugTaken:
                return None
            except AlreadyImported:
                found = self.table.get(keys.imported(digest(self.options.source, source.ref)))
                return str(found["slug"]) if found else None
            except (StaleVersion, CountsMoved):
                continue
        raise RuntimeError("the blog kept changing while importing; run the import again to resume")

    def _refresh(self, source: SourcePost, slug: str) -> str:
        """A post imported before: updated when the export changed it and nobody edited it here since.

        The post remembers the digest of the source it was made from and the
        version the import gave it; an edit here moves the version, and then the
        export no longer decides. Comments, counts and favorites stay as they are.
        """
        assert self.table is not None
        old = load_with_counts(self.table, slug)
        if old is None or old.get("imported_from") != self.options.source or "source_digest" not in old:
            return "already imported"  # a post this import only attached comments to, or one since deleted
        if old["source_digest"] == _fingerprint(source):
            return "already imported"
        if int(old["version"]) != int(old.get("imported_version", 1)):
            self.report.notes.append(f"{source.url or slug}: changed in the export and edited here; kept as edited")
            return "skipped: edited here since its import"
        if self.options.dry_run:
            return "updated"
        assert self.upkeep is not None
        fresh = self._post_item(source, slug)
        version = int(old["version"]) + 1
        new = {**old, **{k: v for k, v in fresh.items() if k not in (*COUNT_FIELDS, "created_at")},
               "version": version, "imported_version": version}
        if old.get("first_published"):
            new["first_published"] = True
        for _ in range(_ATTEMPTS):
            try:
                self.upkeep.save(old, new)
                return "updated"
            except CountsMoved:
                continue
            except StaleVersion:
                return "skipped: edited here since its import"
        raise RuntimeError("the blog kept changing while importing; run the import again to resume")

    def _existing_post_for(self, source: SourcePost) -> str | None:
        if self.table is None:
            return None
        if source.url_key:
            by_url = self.table.get(keys.imported(digest("url", source.url_key)))
            if by_url is not None and self.table.get(keys.post(str(by_url["slug"]))) is not None:
                return str(by_url["slug"])
        for slug in self._override(source), source.slug_hint:
            if slug and is_valid_slug(slug) and self.table.get(keys.post(slug)) is not None:
                return slug
        return None

    def _override(self, source: SourcePost) -> str | None:
        for key in (source.url, source.url_key):
            if key and key in self.options.slugs:
                return self.options.slugs[key]
        return None

    def _candidates(self, source: SourcePost) -> Iterable[str]:
        override = self._override(source)
        if override:
            yield override
            return
        hint = source.slug_hint if source.slug_hint and is_valid_slug(source.slug_hint) else None
        base = hint or slugify(source.title) or "untitled"
        yield base
        for number in range(2, _NUMBERED_SLUGS + 1):
            yield with_suffix(base, str(number))

    def _post_item(self, source: SourcePost, slug: str = "untitled") -> Item:
        """The post as records.post builds it (under ``slug``, until _save files it under the slug it gets)."""
        now = clock.now_iso()
        published = utc(source.published, "published_at")
        updated = utc(source.updated, "updated_at")
        if source.draft:
            status = Status.DRAFT
        elif published is not None and published > now:
            status = Status.SCHEDULED
        else:
            status = Status.PUBLISHED
        published = published or now
        return records.post({
            "slug": slug,
            "title": " ".join(source.title.split())[:records.MAX_TITLE] or "(untitled)",
            "body": source.html,
            "format": "html",
            "labels": source.labels,
            "custom_summary": source.summary,
            "comments_closed": source.comments_closed,
            "author": self.author_for(source.author),
            "status": status,
            "published_at": published,
            "created_at": published,
            "updated_at": updated or published,
            "version": 1,
            "first_published": status == Status.PUBLISHED,
            "imported_from": self.options.source,
            "source_ref": source.ref,
            "source_published_at": source.published,
            "source_url": source.url,
            "source_digest": _fingerprint(source),
        })

    # -- authors -------------------------------------------------------------

    def author_for(self, name: str | None) -> str:
        """The account a source author's posts go to: mapped (--author), made by an import, or the default."""
        name = " ".join((name or "").split())
        if name in self.options.authors:
            return self.options.authors[name]
        if not name or not self.options.create_authors:
            return self.options.default_author
        if name not in self._authors:
            self._authors[name] = self._author_account(name)
        return self._authors[name]

    def _author_account(self, name: str) -> str:
        """The account made for ``name`` by this import or an earlier one (its IMPORTED# marker says which).

        A new one is an author with no usable password (a "!" hash that no
        password verifies): it signs in once a password is set for it, by a
        password reset to the address the source gave the author. Without one
        (or when an account here already has it) the address is a placeholder
        under .invalid, which no mail can reach, and the report says so. A
        username already taken, or reserved for an admin, gets the next number.
        """
        marker = keys.imported(digest("author", self.options.source, name))
        found = self.table.get(marker) if self.table is not None else None
        if found is not None:
            self.report.accounts["already imported"] += 1
            return str(found["username"])
        for username in _usernames(name):
            if is_named_admin(username, self.options.reserved):
                continue
            if self.table is None or self.options.dry_run:
                if self.table is not None and self.table.get(keys.user(username)) is not None:
                    continue
                self.report.accounts["created"] += 1
                return username
            email = self._author_email(name) or f"{username.lower()}@imported.invalid"
            # Its id derives from the author's source, as a comment's does: a run cut off and run again makes the same.
            account_id = ulid(int(clock.now().timestamp() * 1000), bytes.fromhex(digest("author", self.options.source,
                                                                                        name)))
            item = records.account({"username": username, "email": email, "password_hash": "!" + secrets.token_hex(16),
                                    "account_id": account_id, "role": AUTHOR, "created_at": clock.now_iso(),
                                    "imported_from": self.options.source, "source_author": name})
            try:
                self.table.transact([
                    put({**marker, "username": username}, "attribute_not_exists(PK)", refusal=AlreadyImported()),
                    put(item, "attribute_not_exists(PK)", refusal=_Taken()),
                    put(records.email_claim(email, username), "attribute_not_exists(PK)", refusal=_Taken()),
                ])
            except _Taken:  # the username, or (taken meanwhile) the address: the next name, and a look again
                continue
            except AlreadyImported:  # another run made it meanwhile
                again = self.table.get(marker)
                assert again is not None
                self.report.accounts["already imported"] += 1
                return str(again["username"])
            self.report.accounts["created"] += 1
            return username
        raise RuntimeError(f"no free username for the author {name!r}; map it with --author")

    def _author_email(self, name: str) -> str | None:
        """The source's address for ``name``, when it is one and no account here has it."""
        given = self._author_emails.get(name, "")
        email = _valid_or_none(Email(), given)
        if email is None or email.endswith(("@blogger.com", ".invalid", "@host.null")):  # placeholders, not people
            if given:
                self.report.notes.append(f"author {name}: {given[:80]!r} is no address to mail, a placeholder kept")
            return None
        assert self.table is not None
        if self.table.get(keys.email(email)) is not None:
            self.report.notes.append(f"author {name}: {email} is another account's here, a placeholder kept")
            return None
        return email

    def _author_of(self, slug: str) -> str | None:
        """The author of the post at ``slug`` (read once per post), or None in a dry run without a table."""
        if slug not in self._post_authors and self.table is not None:
            post = self.table.get(keys.post(slug))
            self._post_authors[slug] = str(post["author"]) if post is not None and post.get("author") else None
        return self._post_authors.get(slug)

    def _done(self, source: SourcePost, slug: str, outcome: str) -> None:
        self.slugs[source.ref] = slug
        try:
            published = utc(source.published)
        except RecordError:  # a post attached by its address, whose own date this import does not keep
            published = None
        self.post_dates[source.ref] = published or clock.now_iso()
        self.report.posts[outcome] += 1
        if source.url:
            self.report.redirects[source.url] = slug

    # -- comments ------------------------------------------------------------

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
            "author_email": _valid_or_none(Email(), source.author_email),
            "author_website": _valid_or_none(Url(), source.author_website),
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
