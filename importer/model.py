"""The records every format is read into: a source post, a source comment, something skipped,
another address of a post, a note for the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Comment statuses as the sources give them, already in this blog's vocabulary.
APPROVED, PENDING, SPAM, DELETED = "approved", "pending", "spam", "deleted"


class ImportError_(Exception):
    """The file cannot be imported as it is: the message says why, for the operator."""


@dataclass
class SourcePost:
    """A post (or page) of the source blog.

    ``ref`` identifies it within the file (what comments point at); ``url_key``
    is its normalised address (see urls.py), when it has one.
    """

    ref: str
    title: str
    html: str
    published: str | None
    updated: str | None = None
    url: str | None = None
    url_key: str | None = None
    slug_hint: str | None = None
    labels: list[str] = field(default_factory=list)
    author: str | None = None
    draft: bool = False
    comments_closed: bool = False
    # Disqus threads are pages of another site: attach to a post already here when one has the address.
    attach_existing: bool = False
    summary: str | None = None  # the source's own excerpt, when it has one

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SourceComment:
    ref: str
    post_ref: str
    parent_ref: str | None
    html: str
    created: str
    status: str
    author_name: str = ""
    author_email: str = ""
    author_website: str = ""
    # Votes the source counted (Isso's likes, Remark42's and Commento's scores): kept as counts, since
    # the source keeps no voter this project could count again (Isso a bloom filter, the others ids).
    likes: int = 0
    dislikes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SourceAuthor:
    """A post author's address as the source keeps it (WordPress's ``wp:author``, Ghost's users), by the name
    the posts give (``SourcePost.author``): the account made for them gets it, so a password reset reaches them."""

    name: str
    email: str


@dataclass(frozen=True)
class Skipped:
    """An entry of the file deliberately not imported (a template, a trashed post), by kind."""

    kind: str


@dataclass(frozen=True)
class Alias:
    """Another address of an imported post (Hugo's ``aliases``, Jekyll's ``permalink``): kept in the redirect map."""

    post_ref: str
    url: str


@dataclass(frozen=True)
class Note:
    """A line for the import report that only the reader can write (a protected post held, a shortcode kept)."""

    text: str


Record = SourcePost | SourceComment | SourceAuthor | Skipped | Alias | Note
