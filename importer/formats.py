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
from urllib.parse import unquote

from importer.links import Upgrades
from importer.model import (
    APPROVED,
    DELETED,
    PENDING,
    SPAM,
    ImportError_,
    Note,
    Record,
    Skipped,
    SourceAuthor,
    SourceComment,
    SourcePost,
)
from importer.urls import slug_from_url, title_from_url, url_key
from importer.wxr import SITE_ELEMENTS, Bodies, is_wxr, plain_text, site_of, summary
from importer.xmlstream import child, child_text, local, namespace, records, root_of, text

ATOM = "http://www.w3.org/2005/Atom"
BLOGGER_KIND = "http://schemas.google.com/g/2005#kind"
BLOGGER_LABEL = "http://www.blogger.com/atom/ns#"
THREADING = "http://purl.org/syndication/thread/1.0"
APP = "http://purl.org/atom/app#"
TAKEOUT = "http://schemas.google.com/blogger/2018"
WXR = ("http://wordpress.org/export/", "https://wordpress.org/export/")  # WXR 1.0-1.2; WordPress.com's https
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
    if tag == "rss" and any(is_wxr(uri) for uri in uris):
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


# -- Blogger: the legacy "Back up content" export ----------------------------

_BLOGGER_ID = re.compile(r"\.post-(\d+)$")
_BLOG_ID = re.compile(r"\bblog-(\d+)")
_RELATED_ID = re.compile(r"/comments/default/(\d+)")


def _blogger_number(entry_id: str) -> str:
    found = _BLOGGER_ID.search(entry_id.strip())
    return found.group(1) if found else entry_id.strip()


def _blogger_ref(kind: str, entry_id: str, blog_of: str = "") -> str:
    """A Blogger entry's source id: its blog (from its own id, else ``blog_of``'s) and its number.

    Entry numbers are Blogger-wide, but the blog keeps two blogs' imports apart whatever they hold.
    """
    blog = _BLOG_ID.search(entry_id) or _BLOG_ID.search(blog_of)
    return (f"blog-{blog.group(1)}/" if blog else "") + f"{kind}-{_blogger_number(entry_id)}"


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
    links = Upgrades()
    for entry in records(source, _is_entry):
        kind = ""
        labels = []
        for category in entry.findall(f"{{{ATOM}}}category"):
            if category.get("scheme") == BLOGGER_KIND:
                kind = category.get("term", "").rsplit("#", 1)[-1]
            elif category.get("scheme") == BLOGGER_LABEL and category.get("term"):
                labels.append(category.get("term", ""))
        entry_id = child_text(entry, "id", ATOM)
        content = links.apply(text(child(entry, "content", ATOM)))
        published = iso_date(child_text(entry, "published", ATOM))
        name, email, website = _atom_author(entry)
        if kind == "post" or (kind == "page" and options.pages):
            control = child(entry, "control", APP)
            url = _alternate(entry)
            yield SourcePost(
                ref=_blogger_ref("post", entry_id), title=child_text(entry, "title", ATOM), html=content,
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
                    parent = _blogger_ref("comment", f".post-{found.group(1)}", entry_id)
            removed = any(p.get("name") == "blogger.contentRemoved" and p.get("value") == "true"
                          for p in entry if local(p.tag) == "extendedProperty")
            yield SourceComment(
                ref=_blogger_ref("comment", entry_id),
                post_ref=_blogger_ref("post", reply_to.get("ref", ""), entry_id) if reply_to is not None else "",
                parent_ref=parent, html=content, created=published or "", status=DELETED if removed else APPROVED,
                author_name=name, author_email=email, author_website=website)
        else:
            yield Skipped(kind or "unknown entry")
    yield from (Note(line) for line in links.notes())


# -- Blogger: Google Takeout's feed.atom (blogger: namespace) ----------------

_TAKEOUT_COMMENT_STATUS = {"LIVE": APPROVED, "DRAFT": PENDING, "PENDING": PENDING, "SPAM": SPAM,
                           "SOFT_TRASHED": DELETED, "DELETED": DELETED}


def read_takeout(source: BinaryIO, options: ReadOptions) -> Iterator[Record]:
    links = Upgrades()
    for entry in records(source, _is_entry):
        kind = child_text(entry, "type", TAKEOUT).upper()
        status = child_text(entry, "status", TAKEOUT).upper()
        entry_id = child_text(entry, "id", ATOM)
        name, email, website = _atom_author(entry)
        content = links.apply(text(child(entry, "content", ATOM)))
        published = iso_date(child_text(entry, "published", ATOM)) or iso_date(child_text(entry, "created", TAKEOUT))
        if kind == "POST" or (kind == "PAGE" and options.pages):
            if status in ("SOFT_TRASHED", "DELETED"):
                yield Skipped(f"{kind.lower()} ({status.lower()})")
                continue
            filename = child_text(entry, "filename", TAKEOUT)
            url = _alternate(entry) or filename or None
            yield SourcePost(
                ref=_blogger_ref("post", entry_id), title=child_text(entry, "title", ATOM), html=content,
                published=published, updated=iso_date(child_text(entry, "updated", ATOM)), url=url,
                url_key=url_key(url) if url and "://" in url else None,
                slug_hint=slug_from_url(filename or url or ""),
                labels=[c.get("term", "") for c in entry.findall(f"{{{ATOM}}}category") if c.get("term")],
                author=name or None, draft=status == "DRAFT")
        elif kind == "COMMENT":
            in_reply_to = child_text(entry, "inReplyTo", TAKEOUT)
            yield SourceComment(
                ref=_blogger_ref("comment", entry_id),
                post_ref=_blogger_ref("post", child_text(entry, "parent", TAKEOUT), entry_id),
                parent_ref=_blogger_ref("comment", in_reply_to, entry_id) if in_reply_to else None,
                html=content, created=published or "", status=_TAKEOUT_COMMENT_STATUS.get(status, PENDING),
                author_name=name, author_email=email, author_website=website)
        else:
            yield Skipped(kind.lower() or "unknown entry")
    yield from (Note(line) for line in links.notes())


# -- WordPress WXR 1.0-1.2 ---------------------------------------------------

_WP_COMMENT_STATUS = {"1": APPROVED, "approve": APPROVED, "0": PENDING, "hold": PENDING, "spam": SPAM,
                      "trash": DELETED, "post-trashed": DELETED}
_WP_POST_STATUS = {"publish": "published", "future": "published", "draft": "draft", "pending": "draft",
                   "private": "draft"}


def _is_wxr_record(element: ET.Element, depth: int) -> bool:
    """An item, or one of the channel's elements that name the site or an author (they come before the items)."""
    if depth != 2:
        return False
    name = local(element.tag)
    return element.tag in ("item", "link") or (name in (*SITE_ELEMENTS, "author") and is_wxr(namespace(element.tag)))


def _wp_date(gmt: str, local_time: str) -> str | None:
    """WordPress's GMT date when it has one ("0000-00-00 …" for drafts), else its local date, taken as UTC."""
    return iso_date(gmt.replace(" ", "T")) or iso_date(local_time.replace(" ", "T"))


def _attachment(item: ET.Element, bodies: Bodies) -> None:
    """An attachment's address and alt text, for the galleries that show it."""
    alt = ""
    for meta in item:
        if local(meta.tag) == "postmeta" and child_text(meta, "meta_key", WXR) == "_wp_attachment_image_alt":
            alt = child_text(meta, "meta_value", WXR)
    url = child_text(item, "attachment_url", WXR) or child_text(item, "guid")
    bodies.media.add(child_text(item, "post_id", WXR), url, alt, child_text(item, "post_parent", WXR))


def _excerpt(item: ET.Element) -> str:
    for element in item:
        if local(element.tag) == "encoded" and namespace(element.tag).startswith(WXR):  # excerpt:encoded
            return text(element)
    return ""


def read_wordpress(source: BinaryIO, options: ReadOptions) -> Iterator[Record]:
    """Posts (and pages, when asked) of one WordPress site, ids prefixed by the site (wxr.site_of).

    A password-protected or private post is imported as a draft, its approved
    comments held, and the report names it: here it would otherwise be public.
    """
    channel: dict[str, str] = {}
    bodies = Bodies()
    for item in records(source, _is_wxr_record):
        if item.tag != "item" and local(item.tag) == "author":  # the login its posts' dc:creator names
            yield SourceAuthor(child_text(item, "author_login", WXR), child_text(item, "author_email", WXR))
            continue
        if item.tag != "item":
            channel.setdefault(local(item.tag), text(item))
            continue
        kind = child_text(item, "post_type", WXR) or "post"
        status = child_text(item, "status", WXR) or "publish"
        if kind == "attachment":
            _attachment(item, bodies)
        if kind not in ("post", "page") or (kind == "page" and not options.pages):
            yield Skipped(kind)
            continue
        if status == "trash" or status not in _WP_POST_STATUS:
            yield Skipped(f"{kind} ({status})")
            continue
        link = child_text(item, "link")
        post_id = child_text(item, "post_id", WXR) or link
        site = site_of(channel)
        ref = (f"{site}/" if site else "") + f"{kind}-{post_id}"
        title = plain_text(child_text(item, "title"))
        hidden = ("password-protected" if child_text(item, "post_password", WXR)
                  else "private" if status == "private" else "")
        if hidden:
            yield Note(f"{title or '(untitled)'} ({unquote(link) or ref}) is {hidden}: imported as a draft, "
                       "its comments held")
        published = (_wp_date(child_text(item, "post_date_gmt", WXR), child_text(item, "post_date", WXR))
                     or _rfc822(child_text(item, "pubDate")))
        body = child(item, "encoded", "http://purl.org/rss/1.0/modules/content/")
        yield SourcePost(
            ref=ref, title=title, html=bodies.post(text(body), post_id),
            published=published, url=link or None, url_key=url_key(link) if link else None,
            slug_hint=unquote(child_text(item, "post_name", WXR)) or (slug_from_url(link) if link else None),
            labels=[text(c) for c in item.findall("category") if text(c)],
            author=child_text(item, "creator", "http://purl.org/dc/elements/1.1/") or None,
            draft=bool(hidden) or _WP_POST_STATUS[status] == "draft",
            comments_closed=child_text(item, "comment_status", WXR) == "closed", summary=summary(_excerpt(item)))
        for comment in item:
            if local(comment.tag) != "comment" or not is_wxr(namespace(comment.tag)):
                continue
            comment_type = child_text(comment, "comment_type", WXR)
            if comment_type in ("pingback", "trackback"):
                yield Skipped(comment_type)
                continue
            parent = child_text(comment, "comment_parent", WXR)
            comment_status = _WP_COMMENT_STATUS.get(child_text(comment, "comment_approved", WXR), PENDING)
            yield SourceComment(
                ref=f"{ref}/comment-{child_text(comment, 'comment_id', WXR)}", post_ref=ref,
                parent_ref=f"{ref}/comment-{parent}" if parent not in ("", "0") else None,
                html=bodies.comment(child_text(comment, "comment_content", WXR)),
                created=_wp_date(child_text(comment, "comment_date_gmt", WXR),
                                 child_text(comment, "comment_date", WXR)) or "",
                status=PENDING if hidden and comment_status == APPROVED else comment_status,
                author_name=child_text(comment, "comment_author", WXR),
                author_email=child_text(comment, "comment_author_email", WXR),
                author_website=child_text(comment, "comment_author_url", WXR))
    yield from (Note(line) for line in bodies.notes())


# -- Disqus ------------------------------------------------------------------

def _is_disqus_record(element: ET.Element, depth: int) -> bool:
    return depth == 1 and element.tag in (f"{{{DISQUS}}}thread", f"{{{DISQUS}}}post", f"{{{DISQUS}}}category")


def _dsq_id(element: ET.Element | None) -> str:
    return (element.get(f"{{{DISQUS_INTERNALS}}}id") or "") if element is not None else ""


def read_disqus(source: BinaryIO, options: ReadOptions) -> Iterator[Record]:
    """Threads become posts by address: a page under several spellings (tracking queries, http/https,
    "www.") is one post, created unless a post here already has the address's slug.

    Ids are prefixed by the forum (its short name). A thread without a link is
    no page: skipped, and its comments reported as orphans.
    """
    thread_pages: dict[str, str] = {}  # thread id -> the ref of its page (ids only: small)
    forum = ""
    for element in records(source, _is_disqus_record):
        name = local(element.tag)
        forum = child_text(element, "forum", DISQUS) or forum
        prefix = f"{forum}/" if forum else ""
        if name == "category":
            yield Skipped("category")
        elif name == "thread":
            link = child_text(element, "link", DISQUS)
            if not link:
                yield Skipped("thread without a link")
                continue
            key = url_key(link)
            thread_pages[_dsq_id(element)] = ref = f"{prefix}page:{key}"
            yield SourcePost(
                ref=ref, title=plain_text(child_text(element, "title", DISQUS)) or title_from_url(link),
                html=f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>',
                published=iso_date(child_text(element, "createdAt", DISQUS)), url=link, url_key=key,
                slug_hint=slug_from_url(link), comments_closed=child_text(element, "isClosed", DISQUS) == "true",
                attach_existing=True)
        else:
            author = child(element, "author", DISQUS)
            parent = child(element, "parent", DISQUS)
            deleted = child_text(element, "isDeleted", DISQUS) == "true"
            spam = child_text(element, "isSpam", DISQUS) == "true"
            yield SourceComment(
                ref=f"{prefix}post-{_dsq_id(element)}",
                post_ref=thread_pages.get(_dsq_id(child(element, "thread", DISQUS)), ""),
                parent_ref=f"{prefix}post-{_dsq_id(parent)}" if parent is not None and _dsq_id(parent) else None,
                html=text(child(element, "message", DISQUS)),
                created=iso_date(child_text(element, "createdAt", DISQUS)) or "",
                status=DELETED if deleted else SPAM if spam else APPROVED,
                author_name=child_text(author, "name", DISQUS) if author is not None else "",
                author_email=child_text(author, "email", DISQUS) if author is not None else "")
