"""Markdown to safe HTML, once, on write.

markdown-it renders CommonMark; nh3 (ammonia) then keeps only allow-listed tags,
attributes and URL schemes, so no script, ``on*`` handler, ``style``,
``javascript:`` or ``data:`` URL survives, whatever the input. Posts may use
inline HTML (authors paste from other editors) because the sanitiser still
decides; comments may not: their HTML shows as the text it is.

Both libraries are imported on first use, keeping them off the cold-start path
of requests that only read.

markdown-it's link and image rules scan forward from every ``[`` for the ``]``
that closes it, counting nested brackets; a text of many unclosed ``[`` (or
``![``) makes every one scan to the end of its paragraph, which is quadratic
(5,000 ``![`` took 0.7 s, 100,000 ``[`` about 25 s). Our renderers use a label
scanner with two bounds: a label whose brackets nest deeper than
``MAX_LABEL_NESTING`` is no label, and one rendering makes at most
``_scans_allowed(len(text))`` label scans (a few per link a text could hold);
past either, a ``[`` stays text, as an unclosed one would. Link destinations
likewise stop at ``MAX_DESTINATION_PARENS`` nested parentheses (markdown-it's
own limit is 32). So the work is linear in the input; bench/rendering_worst.py
measures the worst case.
"""

from __future__ import annotations

import gc
import html
import re
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from chalicelib.errors import Invalid
from chalicelib.patterns import lazy

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline

# How deep brackets may nest inside a link's or image's text ("[a [b [c]]](…)" is 3).
MAX_LABEL_NESTING = 8
# How deep parentheses may nest in a link's destination ("(a_(b)_c)" is 2).
MAX_DESTINATION_PARENS = 8
# Raw HTML in a post: how deep its elements may nest, and how many it may have (check_html_shape).
MAX_HTML_NESTING = 100
MAX_HTML_ELEMENTS = 10_000
# A start or end tag as written: its name, then attributes up to its ">" (no "<" before it: linear to scan).
_HTML_TAG = lazy(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:[\s/][^<>]*)?>")
_VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                            "source", "track", "wbr"})
# Opened right inside one of their own kind, these close it (HTML's optional end tags).
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option", "rp", "rt"})
# Where a rendering keeps its count of label scans left (in markdown-it's env, which every parser state shares).
_SCANS_LEFT = "label_scans_left"

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
# What other blogs' editors wrote (Blogger's <b>, <i>, <u>, <strike>, styled <span>s): kept in imported HTML
# only, styles dropped. A comment written here in Markdown keeps its own, smaller list.
_IMPORTED_TAGS = {"b", "i", "u", "s", "strike", "em", "strong", "sup", "sub", "blockquote", "pre", "code", "br", "span"}
_URL_SCHEMES = {"http", "https", "mailto"}
# Block-level boundaries become spaces; inline tags vanish ("<em>x</em>." -> "x.").
_BLOCK_TAG = lazy(r"</?(?:p|br|hr|li|ul|ol|h[1-6]|blockquote|pre|tr|td|th|table|figure|figcaption)\b[^>]*>")
_TAG = lazy(r"<[^>]*>")
_ANCHOR = lazy(r"<a\b[^>]*>.*?</a>", re.DOTALL)
# URLs written as text: a scheme (or its defanged "hxxp"), or "www." at the start of a word.
_URL_TEXT = lazy(r"(?:h[tx]{2}ps?:/+|\bwww\.)[^\s<>]+", re.IGNORECASE)


@lru_cache(maxsize=2)
def _markdown(allow_html: bool) -> MarkdownIt:
    from markdown_it import MarkdownIt, helpers

    # "js-default" follows CommonMark but also renders tables and strikethrough.
    md = MarkdownIt("js-default", {"html": allow_html, "linkify": False, "typographer": False})
    # The link and image rules reach the label scanner through md.helpers: this instance's own.
    bounded = ModuleType("bounded_link_helpers")
    bounded.__dict__.update(parseLinkLabel=_link_label_end, parseLinkDestination=_link_destination,
                            parseLinkTitle=helpers.parseLinkTitle)
    md.helpers = bounded
    return md


def _link_destination(text: str, start: int, end: int) -> Any:
    """markdown-it's parseLinkDestination, refusing parentheses nested deeper than MAX_DESTINATION_PARENS.

    CommonMark allows that limit; markdown-it's own is 32, and every "(" that
    starts a destination may cost a scan that deep ("[a](" repeated).
    """
    from markdown_it.helpers import parseLinkDestination

    if text.startswith("<", start):
        return parseLinkDestination(text, start, end)  # "<…>" stops at the next "<", ">" or line break
    level, pos = 0, start
    while pos < end:
        char = text[pos]
        if char <= " " or char == "\x7f":
            break
        if char == "\\":
            if text.startswith(" ", pos + 1):
                break
            pos += 2
            continue
        if char == "(":
            level += 1
            if level > MAX_DESTINATION_PARENS:
                return parseLinkDestination(text, start, start)  # not a destination
        elif char == ")":
            if level == 0:
                break
            level -= 1
        pos += 1
    return parseLinkDestination(text, start, end)


def _link_label_end(state: StateInline, start: int, disable_nested: bool = False) -> int:
    """Where the link text opened by the ``[`` at ``start`` ends (its ``]``), or -1.

    markdown-it's parseLinkLabel, with two bounds: a label whose brackets nest
    deeper than MAX_LABEL_NESTING is no label, and once the rendering has used
    up its scans no "[" opens one (see the module's docstring).
    """
    # No "]" anywhere after it: found in constant time where the state caches where the last one is
    # (markdown-it-py 4.3's StateInline.html_terminator_last; without it, the bounds below still hold).
    if hasattr(state, "html_terminator_last") and state.html_terminator_last("]") <= start:
        return -1
    scans_left: list[int] | None = state.env.get(_SCANS_LEFT)  # one counter for the whole rendering
    if scans_left is not None:
        if scans_left[0] <= 0:
            return -1
        scans_left[0] -= 1
    old_pos, level, end = state.pos, 1, -1
    state.pos = start + 1
    while state.pos < state.posMax:
        marker = state.src[state.pos]
        if marker == "]":
            level -= 1
            if level == 0:
                end = state.pos
                break
        before = state.pos
        skipped = state.cache.get(before)  # where skipToken would go from here, when it knows already
        if skipped is None:
            state.md.inline.skipToken(state)
        else:
            state.pos = skipped
        if marker == "[":
            if before == state.pos - 1:  # a "[" of text, not part of a token: one level deeper
                level += 1
                if level > MAX_LABEL_NESTING:
                    break
            elif disable_nested:  # a link inside a link's text: not a link
                break
    state.pos = old_pos
    return end


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


def _scans_allowed(length: int) -> int:
    """Link label scans one rendering of ``length`` characters may make (about two per link)."""
    return 200 + length // 10


def _render(markdown: str, allow_html: bool) -> str:
    # Parsing allocates several objects per character (tokens, delimiters), all kept
    # until the HTML is built, so the cyclic collector would walk them again and again:
    # 40% of the time of a long post dense with "*" and "_". Paused for the parse (it
    # makes no cycles that need collecting meanwhile), and resumed only by whoever paused it.
    # The switch is process-wide; with threads (chalice local) a parse may overlap
    # another's pause, and the first to pause resumes: the collector ends enabled
    # whatever the interleaving, and a Lambda process renders one request at a time.
    paused = gc.isenabled()
    gc.disable()
    try:
        rendered: str = _markdown(allow_html).render(markdown, {_SCANS_LEFT: [_scans_allowed(len(markdown))]})
    finally:
        if paused:
            gc.enable()
    return rendered


def post_html(markdown: str) -> str:
    return _clean(_render(markdown, True), _POST_TAGS, _POST_ATTRIBUTES, "noopener")


def check_html_shape(text: str) -> None:
    """Refuse raw HTML nested deeper than MAX_HTML_NESTING or with more than MAX_HTML_ELEMENTS elements.

    The sanitiser's HTML parser takes time in proportion to the depth of the
    open elements at every new one: 100,000 characters of "<div>" took 1.2-3.8 s,
    against 36 ms for as many plain words. The tags are counted as written, before
    any parsing (one regular-expression pass): a void element (<br>, <img>) nests
    nothing, and a <p>, <li>, <td>… opened right inside one of its own kind closes
    it, as HTML does, so pasted HTML that leaves those open is not refused.
    """
    if "<" not in text:
        return
    open_tags: list[str] = []
    elements = deepest = 0
    for closing, name in _HTML_TAG.findall(text):
        name = name.lower()
        if name in _VOID_ELEMENTS:
            elements += not closing
            continue
        if closing:
            if name in open_tags:
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name):]
            continue
        elements += 1
        if not (name in _SELF_CLOSING_SIBLINGS and open_tags and open_tags[-1] == name):
            open_tags.append(name)
            deepest = max(deepest, len(open_tags))
        if deepest > MAX_HTML_NESTING:
            raise Invalid.field("body", f"has HTML elements nested more than {MAX_HTML_NESTING} deep; "
                                        "flatten them (close the ones you opened)")
    if elements > MAX_HTML_ELEMENTS:
        raise Invalid.field("body", f"has {elements:,} HTML elements; a post may have at most {MAX_HTML_ELEMENTS:,}")


def comment_html(markdown: str) -> str:
    # Comments link to sites we do not vouch for: tell search engines so.
    return _clean(_render(markdown, False), _COMMON_TAGS, _COMMENT_ATTRIBUTES, "nofollow ugc noopener")


def post_html_from_html(raw_html: str) -> str:
    """A post written in HTML (imported from another blog): a Markdown post's allow-list and other blogs' formatting."""
    return _clean(raw_html, _POST_TAGS | _IMPORTED_TAGS, _POST_ATTRIBUTES, "noopener")


def comment_html_from_html(raw_html: str) -> str:
    """A comment written in HTML (imported): a Markdown comment's allow-list and the other blogs' formatting."""
    return _clean(raw_html, _COMMON_TAGS | _IMPORTED_TAGS, _COMMENT_ATTRIBUTES, "nofollow ugc noopener")


def plain_text(rendered_html: str, limit: int) -> str:
    """A short plain-text excerpt of sanitised HTML, cut at a word boundary."""
    text = " ".join(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", rendered_html))).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def count_links(rendered_html: str) -> int:
    """Links in sanitised HTML: its anchors, and the URLs written as text outside them.

    A bare "https://…" or "www.…" renders as text, but a reader copies it all
    the same, so it counts as a link; an anchor counts once, whatever its text.
    Bare domains ("example.com") do not count: too much ordinary text looks like one.
    The text is read as a reader sees it (blog/reader_text.py): emphasis inside a
    URL ("ht*tp*s://") joins up, percent-escapes are decoded, invisible and look-alike
    characters folded, and the defanged "hxxp://" counts as the link it still is.
    """
    from urllib.parse import unquote

    from chalicelib.blog.reader_text import comparable

    outside = _TAG.sub("", _BLOCK_TAG.sub(" ", _ANCHOR.sub(" ", rendered_html)))
    text = comparable(unquote(html.unescape(outside)))
    return rendered_html.count("<a ") + len(_URL_TEXT.findall(text))
