"""What an import is asked to do (Options), what it did (Report), and the source-derived names its writers share.

Split from importer/writer.py so that its parts (posts in writer.py, author
accounts in author_accounts.py, comments in comment_writer.py) and restore.py
share these without importing each other: every IMPORTED# marker is named by
``digest`` of the source and its ref, and a marker already there is AlreadyImported.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.blog import records
from chalicelib.blog.validation import FieldError


class AlreadyImported(Exception):
    """The marker of this source item exists: an earlier run imported it."""


def digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def utc(value: str | None, name: str = "date") -> str | None:
    """A source date as stored (records.stored_date: RecordError for one that does not parse or is out of range)."""
    return records.stored_date(value, name) if value else None


def valid_or_none(rule: Callable[[Any], str], value: str) -> str | None:
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
    write_units: int = 0  # comments' write units, estimated from item sizes (see CommentWriter._spent)

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

