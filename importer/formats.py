"""The formats, detected from the file's root element and namespaces, never from its name.

Each reader turns the file into SourcePost, SourceComment and Skipped records, in
file order, streaming (xmlstream.records). Dates come out as ISO 8601 with the
source's own offset; the writer stores them in UTC and keeps the original too.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO

from importer.model import APPROVED, DELETED, PENDING, SPAM, ImportError_, Record, Skipped, SourceComment, SourcePost
from importer.urls import slug_from_url, url_key
from importer.xmlstream import child, child_text, local, namespace, records, root_of, text

ATOM = "http://www.w3.org/2005/Atom"
BLOGGER_KIND = "http://schemas.google.com/g/2005#kind"
BLOGGER_LABEL = "http://www.blogger.com/atom/ns#"
THREADING = "http://purl.org/syndication/thread/1.0"
APP = "http://purl.org/atom/app#"
TAKEOUT = "http://schemas.google.com/blogger/2018"
WXR_PREFIX = "http://wordpress.org/export/"
DISQUS = "http://disqus.com"
DISQUS_INTERNALS = "http://disqus.com/disqus-internals"

Reader = Callable[[BinaryIO, "ReadOptions"], Iterator[Record]]


class ReadOptions:
    __slots__ = ("pages",)

    def __init__(self, pages: bool = False) -> None:
        self.pages = pages


def detect(source: BinaryIO) -> str:
    """"blogger", "blogger-takeout", "wordpress" or "disqus", from the root element and its namespaces."""
    tag, declared = root_of(source)
    source.seek(0)
    uris = set(declared.values())
    if tag == f"{{{ATOM}}}feed":
        return "blogger-takeout" if TAKEOUT in uris else "blogger"
    if tag == "rss" and any(uri.startswith(WXR_PREFIX) for uri in uris):
        return "wordpress"
    if tag == f"{{{DISQUS}}}disqus":
        return "disqus"
    raise ImportError_(
        f"not an export this command reads (root element {local(tag)!r}): expected a Blogger backup (Atom feed), "
        "a Google Takeout feed.atom, a WordPress WXR file or a Disqus XML export")


def reader(kind: str) -> Reader:
    return {"blogger": read_blogger, "blogger-takeout": read_takeout, "wordpress": read_wordpress,
            "disqus": read_disqus}[kind]


# -- dates -------------------------------------------------------------------

def iso_date(value: str) -> str | None:
    """An ISO 8601 date-time as given (offset kept), or None when it is not one; naive times are UTC."""
    value = value.strip()
    if not value or value.startswith("0000"):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _rfc822(value: str) -> str | None:
    try:
        return parsedate_to_datetime(value).isoformat() if value.strip() else None
    except (TypeError, ValueError):
        return None


# -- HTML helpers ------------------------------------------------------------

def paragraphs(plain: str) -> str:
    """Text with line breaks as WordPress shows it: blank lines part paragraphs, single ones break lines.

    Markup already in the text stays (the sanitiser decides what survives).
    """
    blocks = [b.strip() for b in re.split(r"\n\s*\n", plain.replace("\r\n", "\n").strip()) if b.strip()]
    return "".join("<p>" + b.replace("\n", "<br>\n") + "</p>" for b in blocks)


# -- Blogger: the legacy "Back up content" export ----------------------------

_BLOGGER_ID = re.compile(r"\.post-(\d+)$")
_RELATED_ID = re.compile(r"/comments/default/(\d+)")


def _blogger_number(entry_id: str) -> str:
    found = _BLOGGER_ID.search(entry_id.strip())
    return found.group(1) if found else entry_id.strip()


def _is_entry(element: ET.Element, depth: int) -> bool:
    return depth == 1 and element.tag == f"{{{ATOM}}}entry"


def _atom_author(entry: ET.Element) -> tuple[str, str, str]:
    author = child(entry, "author", ATOM)
    if author is None:
        return "", "", ""
    email = child_text(author, "email", ATOM)
    if email == "noreply@blogger.com":
        email = ""  # Blogger's placeholder, not the commenter's address
    return child_text(author, "name", ATOM), email, child_text(author, "uri", ATOM)


def _alternate(entry: ET.Element) -> str | None:
    for link in entry.findall(f"{{{ATOM}}}link"):
        if link.get("rel") == "alternate" and link.get("type", "text/html") == "text/html":
            return link.get("href")
    return None


def read_blogger(source: BinaryIO, options: ReadOptions) -> Iterator[Record]:
    for entry in records(source, _is_entry):
        kind = ""
        labels = []
        for category in entry.findall(f"{{{ATOM}}}category"):
            if category.get("scheme") == BLOGGER_KIND:
                kind = category.get("term", "").rsplit("#", 1)[-1]
            elif category.get("scheme") == BLOGGER_LABEL and category.get("term"):
                labels.append(category.get("term", ""))
        entry_id = child_text(entry, "id", ATOM)
        content = text(child(entry, "content", ATOM))
        published = iso_date(child_text(entry, "published", ATOM))
        name, email, website = _atom_author(entry)
        if kind == "post" or (kind == "page" and options.pages):
            control = child(entry, "control", APP)
            url = _alternate(entry)
            yield SourcePost(
                ref="post-" + _blogger_number(entry_id), title=child_text(entry, "title", ATOM), html=content,
                published=published, updated=iso_date(child_text(entry, "updated", ATOM)), url=url,
                url_key=url_key(url) if url else None, slug_hint=slug_from_url(url) if url else None,
                labels=labels, author=name or None,
                draft=control is not None and child_text(control, "draft", APP).lower() == "yes")
        elif kind == "comment":
            reply_to = child(entry, "in-reply-to", THREADING)
            parent = None
            for link in entry.findall(f"{{{ATOM}}}link"):
                found = _RELATED_ID.search(link.get("href", "")) if link.get("rel") == "related" else None
                if found:
                    parent = "comment-" + found.group(1)
            removed = any(p.get("name") == "blogger.contentRemoved" and p.get("value") == "true"
                          for p in entry if local(p.tag) == "extendedProperty")
            yield SourceComment(
                ref="comment-" + _blogger_number(entry_id),
                post_ref="post-" + _blogger_number(reply_to.get("ref", "")) if reply_to is not None else "",
                parent_ref=parent, html=content, created=published or "", status=DELETED if removed else APPROVED,
                author_name=name, author_email=email, author_website=website)
        else:
            yield Skipped(kind or "unknown entry")


# -- Blogger: Google Takeout's feed.atom (blogger: namespace) ----------------

_TAKEOUT_COMMENT_STATUS = {"LIVE": APPROVED, "DRAFT": PENDING, "PENDING": PENDING, "SPAM": SPAM,
                           "SOFT_TRASHED": DELETED, "DELETED": DELETED}


def read_takeout(source: BinaryIO, options: ReadOptions) -> Iterator[Record]:
    for entry in records(source, _is_entry):
        kind = child_text(entry, "type", TAKEOUT).upper()
        status = child_text(entry, "status", TAKEOUT).upper()
        entry_id = child_text(entry, "id", ATOM)
        name, email, website = _atom_author(entry)
        content = text(child(entry, "content", ATOM))
        published = iso_date(child_text(entry, "published", ATOM)) or iso_date(child_text(entry, "created", TAKEOUT))
        if kind == "POST" or (kind == "PAGE" and options.pages):
            if status in ("SOFT_TRASHED", "DELETED"):
                yield Skipped(f"{kind.lower()} ({status.lower()})")
                continue
            filename = child_text(entry, "filename", TAKEOUT)
            url = _alternate(entry) or filename or None
            yield SourcePost(
                ref="post-" + _blogger_number(entry_id), title=child_text(entry, "title", ATOM), html=content,
                published=published, updated=iso_date(child_text(entry, "updated", ATOM)), url=url,
                url_key=url_key(url) if url and "://" in url else None,
                slug_hint=slug_from_url(filename or url or ""),
                labels=[c.get("term", "") for c in entry.findall(f"{{{ATOM}}}category") if c.get("term")],
                author=name or None, draft=status == "DRAFT")
        elif kind == "COMMENT":
            in_reply_to = child_text(entry, "inReplyTo", TAKEOUT)
            yield SourceComment(
                ref="comment-" + _blogger_number(entry_id),
                post_ref="post-" + _blogger_number(child_text(entry, "parent", TAKEOUT)),
                parent_ref="comment-" + _blogger_number(in_reply_to) if in_reply_to else None,
                html=content, created=published or "", status=_TAKEOUT_COMMENT_STATUS.get(status, PENDING),
                author_name=name, author_email=email, author_website=website)
        else:
            yield Skipped(kind.lower() or "unknown entry")


# -- WordPress WXR 1.0-1.2 ---------------------------------------------------

_WP_COMMENT_STATUS = {"1": APPROVED, "approve": APPROVED, "0": PENDING, "hold": PENDING, "spam": SPAM,
                      "trash": DELETED, "post-trashed": DELETED}
_WP_POST_STATUS = {"publish": "published", "future": "published", "draft": "draft", "pending": "draft",
                   "private": "draft"}


def _is_item(element: ET.Element, depth: int) -> bool:
    return depth == 2 and element.tag == "item"


def _wp_date(gmt: str, local_time: str) -> str | None:
    """WordPress's GMT date when it has one ("0000-00-00 …" for drafts), else its local date, taken as UTC."""
    return iso_date(gmt.replace(" ", "T")) or iso_date(local_time.replace(" ", "T"))


def read_wordpress(source: BinaryIO, options: ReadOptions) -> Iterator[Record]:
    for item in records(source, _is_item):
        kind = child_text(item, "post_type", WXR_PREFIX) or "post"
        status = child_text(item, "status", WXR_PREFIX) or "publish"
        if kind not in ("post", "page") or (kind == "page" and not options.pages):
            yield Skipped(kind)
            continue
        if status == "trash" or status not in _WP_POST_STATUS:
            yield Skipped(f"{kind} ({status})")
            continue
        link = child_text(item, "link")
        post_id = child_text(item, "post_id", WXR_PREFIX) or link
        ref = f"{kind}-{post_id}"
        published = (_wp_date(child_text(item, "post_date_gmt", WXR_PREFIX), child_text(item, "post_date", WXR_PREFIX))
                     or _rfc822(child_text(item, "pubDate")))
        body = child(item, "encoded", "http://purl.org/rss/1.0/modules/content/")
        yield SourcePost(
            ref=ref, title=html.unescape(child_text(item, "title")), html=paragraphs(text(body)),
            published=published, url=link or None, url_key=url_key(link) if link else None,
            slug_hint=child_text(item, "post_name", WXR_PREFIX) or (slug_from_url(link) if link else None),
            labels=[text(c) for c in item.findall("category") if text(c)],
            author=child_text(item, "creator", "http://purl.org/dc/elements/1.1/") or None,
            draft=_WP_POST_STATUS[status] == "draft",
            comments_closed=child_text(item, "comment_status", WXR_PREFIX) == "closed")
        for comment in item:
            if local(comment.tag) != "comment" or not namespace(comment.tag).startswith(WXR_PREFIX):
                continue
            comment_type = child_text(comment, "comment_type", WXR_PREFIX)
            if comment_type in ("pingback", "trackback"):
                yield Skipped(comment_type)
                continue
            parent = child_text(comment, "comment_parent", WXR_PREFIX)
            yield SourceComment(
                ref=f"{ref}/comment-{child_text(comment, 'comment_id', WXR_PREFIX)}", post_ref=ref,
                parent_ref=f"{ref}/comment-{parent}" if parent not in ("", "0") else None,
                html=paragraphs(child_text(comment, "comment_content", WXR_PREFIX)),
                created=_wp_date(child_text(comment, "comment_date_gmt", WXR_PREFIX),
                                 child_text(comment, "comment_date", WXR_PREFIX)) or "",
                status=_WP_COMMENT_STATUS.get(child_text(comment, "comment_approved", WXR_PREFIX), PENDING),
                author_name=child_text(comment, "comment_author", WXR_PREFIX),
                author_email=child_text(comment, "comment_author_email", WXR_PREFIX),
                author_website=child_text(comment, "comment_author_url", WXR_PREFIX))


# -- Disqus ------------------------------------------------------------------

def _is_disqus_record(element: ET.Element, depth: int) -> bool:
    return depth == 1 and element.tag in (f"{{{DISQUS}}}thread", f"{{{DISQUS}}}post", f"{{{DISQUS}}}category")


def _dsq_id(element: ET.Element | None) -> str:
    return (element.get(f"{{{DISQUS_INTERNALS}}}id") or "") if element is not None else ""


def read_disqus(source: BinaryIO, options: ReadOptions) -> Iterator[Record]:
    """Threads become posts by address: a page under several spellings (tracking queries, http/https,
    "www.") is one post, created unless a post here already has the address's slug."""
    thread_pages: dict[str, str] = {}  # thread id -> the url key of its page (ids only: small)
    for element in records(source, _is_disqus_record):
        name = local(element.tag)
        if name == "category":
            yield Skipped("category")
        elif name == "thread":
            link = child_text(element, "link", DISQUS)
            key = url_key(link)
            thread_pages[_dsq_id(element)] = key
            yield SourcePost(
                ref="page:" + key, title=child_text(element, "title", DISQUS) or link,
                html=f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>',
                published=iso_date(child_text(element, "createdAt", DISQUS)), url=link, url_key=key,
                slug_hint=slug_from_url(link), comments_closed=child_text(element, "isClosed", DISQUS) == "true",
                attach_existing=True)
        else:
            author = child(element, "author", DISQUS)
            parent = child(element, "parent", DISQUS)
            deleted = child_text(element, "isDeleted", DISQUS) == "true"
            spam = child_text(element, "isSpam", DISQUS) == "true"
            page = thread_pages.get(_dsq_id(child(element, "thread", DISQUS)))
            yield SourceComment(
                ref="post-" + _dsq_id(element), post_ref="page:" + page if page else "",
                parent_ref="post-" + _dsq_id(parent) if parent is not None and _dsq_id(parent) else None,
                html=text(child(element, "message", DISQUS)),
                created=iso_date(child_text(element, "createdAt", DISQUS)) or "",
                status=DELETED if deleted else SPAM if spam else APPROVED,
                author_name=child_text(author, "name", DISQUS) if author is not None else "",
                author_email=child_text(author, "email", DISQUS) if author is not None else "")
