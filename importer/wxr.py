"""What a WordPress export (WXR) needs beyond reading its elements: its site, its bodies, its titles.

- The namespace: WXR 1.0, 1.1 and 1.2 under ``http://wordpress.org/export/1.x/``,
  and WordPress.com's spelling with ``https://``.
- The site: every WordPress site numbers its posts from 1, so an item's source id
  is its site and its number. The site is the blog's own address
  (``wp:base_blog_url``: on WordPress.com ``wp:base_site_url`` is
  ``http://wordpress.com/`` for every blog), else the channel's link, else
  ``wp:base_site_url``, without its scheme or "www.".
- The bodies: block-editor content keeps its markup (its ``<!-- wp:… -->``
  comments dropped); classic content gets WordPress's paragraphs (autop.py);
  both get their shortcodes rendered (shortcodes.py), and addresses on hosts
  that serve HTTPS upgraded (links.py).
"""

from __future__ import annotations

import html
import re
from collections import Counter

from importer.autop import autop, drop_comments, is_block_content
from importer.links import Upgrades
from importer.shortcodes import Media, expand
from importer.urls import url_key

NAMESPACES = ("http://wordpress.org/export/", "https://wordpress.org/export/")
EXCERPT = re.compile(r"^https?://wordpress\.org/export/[\d.]+/excerpt/$")
# The channel's children that name the site, most specific first.
SITE_ELEMENTS = ("base_blog_url", "link", "base_site_url")
SUMMARY_LENGTH = 300  # the API's limit on a post's summary

_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n")  # where the dropped block comments stood
# A bare address alone in a paragraph or block (WordPress embeds it; this blog links it).
_BARE_URL = re.compile(r"(<(?:p|div)\b[^>]*>)\s*(https?://[^\s<>\"]+)\s*(</(?:p|div)>)", re.IGNORECASE)


def is_wxr(uri: str) -> bool:
    return uri.startswith(NAMESPACES) and not EXCERPT.match(uri)


def site_of(channel: dict[str, str]) -> str:
    """The site an export is of, from the channel's ``SITE_ELEMENTS`` read so far ("" when it names none)."""
    for name in SITE_ELEMENTS:
        value = channel.get(name, "").strip()
        if value and url_key(value) not in ("wordpress.com/", "wordpress.com"):
            return url_key(value).rstrip("/")
    return ""


def plain_text(raw: str) -> str:
    """A title (or an excerpt) as text: its tags dropped, then its entities decoded, its spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub("", raw)).split())


def summary(raw_excerpt: str) -> str | None:
    """A custom excerpt as the post's summary, within the API's limit (cut at a word)."""
    text = plain_text(raw_excerpt)
    if len(text) > SUMMARY_LENGTH:
        text = text[:SUMMARY_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return text or None


class Bodies:
    """Renders one export's post and comment bodies; collects what the report must say about them."""

    def __init__(self) -> None:
        self.media = Media()
        self.links = Upgrades()
        self.unknown: Counter[str] = Counter()   # shortcode name -> posts that use it
        self.missing_media: set[str] = set()

    def post(self, raw: str, post_id: str) -> str:
        expanded = expand(raw, self.media, post_id)
        self.unknown.update(set(expanded.unknown))
        self.missing_media.update(expanded.missing_media)
        if is_block_content(raw):  # the block editor's markup, as WordPress shows it: no paragraphs added
            body = _BLANK_LINES.sub("\n\n", drop_comments(expanded.html)).strip()
        else:
            body = autop(expanded.html)
        return self.links.apply(_BARE_URL.sub(_linked, body))

    def comment(self, raw: str) -> str:
        return self.links.apply(autop(raw))

    def notes(self) -> list[str]:
        lines = []
        if self.unknown:
            names = ", ".join(f"[{name}] ({n} posts)" for name, n in self.unknown.most_common())
            lines.append(f"Shortcodes of plugins this blog cannot run, kept as text: {names}")
        if self.missing_media:
            lines.append("Gallery images not in the export (left out): attachment ids "
                         + ", ".join(sorted(self.missing_media, key=lambda i: (len(i), i))[:50]))
        return lines + self.links.notes()


def _linked(found: re.Match[str]) -> str:
    opening, url, closing = found.groups()
    return f'{opening}<a href="{url}">{url}</a>{closing}'
