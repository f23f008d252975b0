"""Writing what was planned: posts through the project's post upkeep; their authors and comments by its helpers.

Each source item keeps its source id:
- a post: an IMPORTED#<digest of format and source ref> item naming its slug,
  written in the post's own transaction (with its labels, archive and totals,
  by chalicelib.blog.post_upkeep), so a post is there exactly when its marker is;
- a comment (importer/comment_writer.py): its id is derived from the source, and
  its id -> post reference is put only if absent, in the transaction that writes
  the comment and moves the counts;
- an author (importer/author_accounts.py): an account made once per source author.
A second run finds them all and writes nothing; a run cut off between two
transactions leaves whole items and exact counts, and the next run writes the rest.
Imported comments carry ``imported_from``: the notification stream handler
skips them, and they pass through no rate limit or moderation (their status is
the source's).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from chalicelib.blog import clock, records, slug_aliases
from chalicelib.blog.post_upkeep import COUNT_FIELDS, CountsMoved, PostUpkeep, SlugTaken, StaleVersion
from chalicelib.blog.posts import load_with_counts
from chalicelib.blog.records import RecordError
from chalicelib.blog.slugs import is_valid_slug, slugify, with_suffix
from chalicelib.blog.status import Status
from chalicelib.errors import PayloadTooLarge
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, Write, item_size, put
from importer.author_accounts import AuthorAccounts
from importer.comment_writer import CommentWriter
from importer.import_options import AlreadyImported, Options, Report, digest, utc
from importer.model import SourceComment, SourcePost
from importer.plan import Placed
from importer.urls import slug_from_url

_NUMBERED_SLUGS = 50
_ATTEMPTS = 4


class _AliasTaken(Exception):
    """The slug a post's old address names is another post's: the post is saved without that alias."""


def _fingerprint(source: SourcePost) -> str:
    """What the export says of a post, as one digest: a later export that changes it can be told apart."""
    return hashlib.sha256(json.dumps(source.to_json(), sort_keys=True).encode()).hexdigest()



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
        self._post_sizes: dict[str, int] = {}    # slug -> bytes, of the posts this run wrote
        self.authors = AuthorAccounts(table, options, report, author_emails)
        self.comment_writer = CommentWriter(table, options, report, self.slugs, self.post_dates, self._post_sizes)

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
            "author": self.authors.author_for(source.author),
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

    def comments(self, batch: list[Placed], sources: dict[str, SourceComment]) -> None:
        """Write one batch of planned comments, parents already written (importer/comment_writer.py)."""
        self.comment_writer.comments(batch, sources)
