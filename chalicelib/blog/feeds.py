"""Atom 1.0 feeds (RFC 4287) and the sitemap (sitemaps.org 0.9), each from one or two reads.

  posts feed          one Query of GSI1 POSTS (summary items), newest first, one BatchGetItem of those posts
  a label's posts     one Query of LABEL#<label>, one BatchGetItem of those posts
  comments feed       one Query of GSI2 COMMENTS (public comments carry those keys), one
                      BatchGetItem of their posts: titles, and hiding posts no longer public
  a post's comments   one GetItem of the post (404 unless public), one Query of its
                      COMMENT# range, newest first
  sitemap             one Query of GSI1 POSTS; a second only if the first stopped at 1 MB

Every URL is absolute. A feed's own address (its id and rel="self" link) is where
the API serves it, which the HTTP layer passes in (api_url): a feed reader
subscribes to that. Everything a reader opens (entries, the alternate link, the
sitemap's locations) is on the blog itself, built from the SITE_URL setting. XML is written by
ElementTree, which escapes text and attribute values; characters XML 1.0 cannot
carry at all are dropped first. Content is type="html": the stored, sanitised
HTML as escaped text, since it need not be well-formed XML (type="xhtml" would
need that).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from chalicelib.blog import clock, slug_aliases, views
from chalicelib.blog.slugs import public_slug
from chalicelib.blog.status import Status
from chalicelib.blog.validation import MAX_LABEL_LENGTH, FieldError, Text, read_query
from chalicelib.errors import Invalid, NotFound
from chalicelib.patterns import lazy
from chalicelib.store import keys
from chalicelib.store.keys import END
from chalicelib.store.table import Item, Table

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
FEED_SIZE = 20
SITEMAP_SIZE = 1000
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Everything outside XML 1.0's Char production: C0 controls but tab and line
# breaks, lone surrogates, U+FFFE and U+FFFF. Input rules refuse most of these;
# a feed must be well-formed whatever was stored.
# (Spelt as what is excluded: the complement class takes milliseconds to compile on a cold start.)
_NOT_XML = lazy("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {name: _xml(value) for name, value in attributes.items()})
    if text is not None:
        element.text = _xml(text)
    return element


def _document(root: ET.Element) -> str:
    return _DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def _latest(*moments: Any) -> str:
    return max(str(m) for m in moments if m)


class Feeds:
    def __init__(self, table: Table, site_url: str) -> None:
        self.table = table
        self.site = site_url
        parts = urlsplit(site_url)
        self.site_name = parts.netloc + parts.path

    # -- URLs ------------------------------------------------------------------

    def post_url(self, slug: str) -> str:
        return f"{self.site}/posts/{quote(slug, safe='')}"

    def comment_url(self, slug: str, comment_id: str) -> str:
        return f"{self.post_url(slug)}#comment-{comment_id}"

    # -- documents -------------------------------------------------------------

    def posts(self, params: dict[str, str] | None, api_url: str) -> str:
        """The newest published posts, or the newest of one label (``?label=``); ``api_url`` is the API's base."""
        raw_label = read_query(params, ("label",)).get("label")
        now = clock.now_iso()
        # The index entries (summary items, label memberships) hold no HTML: one Query for
        # the slugs, one BatchGetItem for the posts.
        if raw_label is None:
            page = self.table.query(keys.POSTS_PARTITION, index="GSI1", newest_first=True,
                                    limit=FEED_SIZE, sort_to=now + END)
            slugs = [str(s["slug"]) for s in page.items]
            found = {p["slug"]: p for p in self.table.batch_get([keys.post(s) for s in slugs])}
            return self._posts_feed([found[s] for s in slugs if s in found], now, f"Posts: {self.site_name}",
                                    f"{api_url}/feeds/posts.atom", f"{self.site}/posts")
        label = _label(raw_label)
        members = self.table.query(keys.label_partition(keys.label_key(label)), newest_first=True,
                                   limit=FEED_SIZE, sort_to=now + END)
        slugs = [keys.slug_from_timeline_sort_key(m["SK"]) for m in members.items]
        found = {p["slug"]: p for p in self.table.batch_get([keys.post(s) for s in slugs])}
        query = "?label=" + quote(keys.label_key(label), safe="")
        return self._posts_feed([found[s] for s in slugs if s in found], now,
                                f"Posts labelled “{label}”: {self.site_name}",
                                f"{api_url}/feeds/posts.atom{query}", f"{self.site}/posts{query}")

    def comments(self, api_url: str) -> str:
        """The newest public comments of the whole blog."""
        now = clock.now_iso()
        page = self.table.query(keys.RECENT_COMMENTS_PARTITION, index="GSI2", newest_first=True, limit=FEED_SIZE)
        slugs = sorted({str(c["post_slug"]) for c in page.items})
        posts = {p["slug"]: p for p in self.table.batch_get([keys.post(s) for s in slugs])
                 if views.is_public(p, now)}
        shown = [(c, posts[c["post_slug"]]) for c in page.items if c["post_slug"] in posts]
        return self._comments_feed(shown, now, f"Comments: {self.site_name}",
                                   f"{api_url}/feeds/comments.atom", f"{self.site}/")

    def post_comments(self, slug: str, api_url: str) -> str:
        """The newest public comments of one published post."""
        now = clock.now_iso()
        post = self.table.get(keys.post(slug))
        if post is None or public_slug(post) != slug:  # an old slug (Moved), or a renamed post's current one
            home = slug_aliases.resolve(self.table, slug, post)
            post = self.table.get(keys.post(home)) if home != slug else post
        if post is None or not views.is_public(post, now):
            raise NotFound("there is no post at that address")
        page = self.table.query(keys.post_partition(post["slug"]), newest_first=True, limit=FEED_SIZE,
                                sort_from=keys.COMMENT_PREFIX, sort_to=keys.COMMENT_PREFIX + END)
        return self._comments_feed([(c, post) for c in page.items], _latest(post["published_at"]),
                                   f"Comments on “{post['title']}”",
                                   f"{api_url}/posts/{quote(slug, safe='')}/comments.atom", self.post_url(slug))

    def sitemap(self) -> str:
        """Published posts, newest first, each with its last change (up to SITEMAP_SIZE)."""
        now = clock.now_iso()
        page = self.table.query(keys.POSTS_PARTITION, index="GSI1", newest_first=True,
                                limit=SITEMAP_SIZE, sort_to=now + END)
        posts = page.items
        if page.last_key is not None and len(posts) < SITEMAP_SIZE:
            # DynamoDB stops a Query at 1 MB read; one more read, then the sitemap is what it is.
            more = self.table.query(keys.POSTS_PARTITION, index="GSI1", newest_first=True,
                                    limit=SITEMAP_SIZE - len(posts), sort_to=now + END, start_key=page.last_key)
            posts += more.items
        root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
        for post in posts:
            if views.is_public(post, now):
                url = _add(root, "url")
                _add(url, "loc", self.post_url(public_slug(post)))
                _add(url, "lastmod", _latest(post["published_at"], post["updated_at"]))
        return _document(root)

    # -- Atom ------------------------------------------------------------------

    def _feed(self, title: str, self_url: str, alternate: str, updated: str) -> ET.Element:
        feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_BASE: self.site + "/"})
        _add(feed, "id", self_url)
        _add(feed, "title", title)
        _add(feed, "updated", updated)
        _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
        _add(feed, "link", rel="alternate", href=alternate)
        _add(feed, "generator", "serverless-blog")
        return feed

    def _posts_feed(self, items: Iterable[Item], now: str, title: str, self_url: str, alternate: str) -> str:
        posts = [p for p in items if views.is_public(p, now)]
        updated = _latest(*(_latest(p["published_at"], p["updated_at"]) for p in posts)) if posts else now
        feed = self._feed(title, self_url, alternate, updated)
        for post in posts:
            url = self.post_url(public_slug(post))
            entry = _add(feed, "entry")
            # The URL of its first slug is a stable id: a rename changes the link, never the entry
            # (the first slug keeps answering, with a redirect).
            _add(entry, "id", self.post_url(post["slug"]))
            _add(entry, "title", post["title"])
            _add(entry, "updated", _latest(post["published_at"], post["updated_at"]))
            _add(entry, "published", post["published_at"])
            _add(_add(entry, "author"), "name", post["author"])
            _add(entry, "link", rel="alternate", type="text/html", href=url)
            for label in post.get("labels", []):
                _add(entry, "category", term=label)
            if post.get("summary"):
                _add(entry, "summary", post["summary"], type="text")
            _add(entry, "content", post["html"], type="html")
        return _document(feed)

    def _comments_feed(self, shown: Iterable[tuple[Item, Item]], fallback: str, title: str,
                       self_url: str, alternate: str) -> str:
        # Tombstones stay in their thread but are no longer comments anyone wrote.
        pairs = [(c, p) for c, p in shown if c.get("status") == Status.APPROVED]
        updated = _latest(*(_latest(c["created_at"], c.get("edited_at")) for c, _ in pairs)) if pairs else fallback
        feed = self._feed(title, self_url, alternate, updated)
        for comment, post in pairs:
            url = self.comment_url(public_slug(post), comment["id"])
            name = str(comment.get("author_name") or "Anonymous")
            entry = _add(feed, "entry")
            _add(entry, "id", self.comment_url(post["slug"], comment["id"]))  # stable, as a post's
            _add(entry, "title", f"{name} on “{post['title']}”")
            _add(entry, "updated", _latest(comment["created_at"], comment.get("edited_at")))
            _add(entry, "published", comment["created_at"])
            author = _add(entry, "author")
            _add(author, "name", name)
            if comment.get("author_website"):
                # Checked as http(s) on input; spaces and the like are percent-encoded into a valid URI.
                _add(author, "uri", quote(comment["author_website"], safe=_URI_SAFE))
            _add(entry, "link", rel="alternate", type="text/html", href=url)
            _add(entry, "content", comment["html"], type="html")
        return _document(feed)


def _label(raw: str) -> str:
    try:
        return " ".join(Text(MAX_LABEL_LENGTH, min_length=1)(raw).split())
    except FieldError as error:
        raise Invalid.field("label", str(error)) from None
