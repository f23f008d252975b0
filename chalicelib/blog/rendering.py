"""Markdown to safe HTML, once, on write.

markdown-it renders CommonMark; nh3 (ammonia) then keeps only allow-listed tags,
attributes and URL schemes, so no script, ``on*`` handler, ``style``,
``javascript:`` or ``data:`` URL survives, whatever the input. Posts may use
inline HTML (authors paste from other editors) because the sanitiser still
decides; comments may not: their HTML shows as the text it is.

Both libraries are imported on first use, keeping them off the cold-start path
of requests that only read.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_COMMON_TAGS = {
    "a", "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li",
}
_POST_TAGS = _COMMON_TAGS | {
    "h1", "h2", "h3", "h4", "h5", "h6", "img", "table", "thead", "tbody", "tr", "th", "td",
    "figure", "figcaption", "sup", "sub",
}
_POST_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
_COMMENT_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}
# Block-level boundaries become spaces; inline tags vanish ("<em>x</em>." -> "x.").
_BLOCK_TAG = re.compile(r"</?(?:p|br|hr|li|ul|ol|h[1-6]|blockquote|pre|tr|td|th|table|figure|figcaption)\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")


@lru_cache(maxsize=2)
def _markdown(allow_html: bool) -> MarkdownIt:
    from markdown_it import MarkdownIt

    # "js-default" follows CommonMark but also renders tables and strikethrough.
    return MarkdownIt("js-default", {"html": allow_html, "linkify": False, "typographer": False})


def _clean(raw_html: str, tags: set[str], attributes: dict[str, set[str]], link_rel: str) -> str:
    import nh3

    return nh3.clean(
        raw_html,
        tags=tags,
        attributes=attributes,
        url_schemes=_URL_SCHEMES,
        link_rel=link_rel,
        strip_comments=True,
    )


def post_html(markdown: str) -> str:
    return _clean(_markdown(True).render(markdown), _POST_TAGS, _POST_ATTRIBUTES, "noopener")


def comment_html(markdown: str) -> str:
    # Comments link to sites we do not vouch for: tell search engines so.
    return _clean(
        _markdown(False).render(markdown), _COMMON_TAGS, _COMMENT_ATTRIBUTES, "nofollow ugc noopener"
    )


def plain_text(rendered_html: str, limit: int) -> str:
    """A short plain-text excerpt of sanitised HTML, cut at a word boundary."""
    text = " ".join(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", rendered_html))).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def count_links(rendered_html: str) -> int:
    return rendered_html.count("<a ")
