"""WordPress's automatic paragraphs, as its ``wpautop`` is documented to behave (our own implementation).

A classic-editor post is stored as text with line breaks, and WordPress adds the
markup when it shows the post:
- a blank line parts paragraphs; text between block elements is a paragraph;
- a single line break inside a paragraph's text is a ``<br>``, never one next to
  a block element (so no ``<ul><br><li>``);
- nothing changes inside ``<pre>``;
- text that is the whole content of a list item, cell, heading or ``<div>`` stays
  unwrapped, as WordPress leaves it; a blockquote's text gets its paragraph.

Block-editor (Gutenberg) content is already markup: WordPress does not
auto-paragraph it, and neither does this (see ``is_block_content``).

This walks the text once, keeping a stack of the block elements it is in, so
markup that WordPress would leave unbalanced (``<div>a</p><p>b</div>``) comes
out balanced instead.
"""

from __future__ import annotations

import re
from itertools import pairwise

# WordPress's own list of block-level elements (its ``$allblocks``), plus main.
BLOCKS = frozenset((
    "table", "thead", "tfoot", "caption", "col", "colgroup", "tbody", "tr", "td", "th", "div", "dl", "dd", "dt",
    "ul", "ol", "li", "pre", "form", "map", "area", "blockquote", "address", "math", "style", "p",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "fieldset", "legend", "section", "article", "aside", "hgroup",
    "header", "footer", "nav", "figure", "figcaption", "details", "menu", "summary", "main"))
# Elements that hold other elements, never text: text found directly inside is only whitespace to drop.
_STRUCTURE = frozenset(("table", "thead", "tfoot", "tbody", "tr", "colgroup", "ul", "ol", "dl", "menu", "hgroup"))
# Elements whose text is their content: written as it is, without a paragraph, when it is one paragraph.
_TEXT_HOLDERS = frozenset((
    "li", "td", "th", "dt", "dd", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "summary", "legend",
    "address", "p", "div", "figure", "section", "article", "aside", "header", "footer", "nav", "main", "form",
    "fieldset", "details"))
_VOID = frozenset(("hr", "col", "area"))

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_PRE = re.compile(r"<pre\b[^>]*>.*?</pre\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
_ANY_TAG = re.compile(r"<[^>]*>")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LINE_END_BREAK = re.compile(r"<br\s*/?>\s*$", re.IGNORECASE)
_BLOCK_MARK = re.compile(r"<!--\s*/?wp:")


def is_block_content(text: str) -> bool:
    """Written with the block editor: its blocks are marked by ``<!-- wp:… -->`` comments."""
    return _BLOCK_MARK.search(text) is not None


def drop_comments(text: str) -> str:
    """HTML comments removed (block marks, ``<!--more-->``, ``<!--nextpage-->``): none is shown."""
    return _COMMENT.sub("", text)


def autop(text: str) -> str:
    """Paragraphs and line breaks for classic-editor text (see the module's docstring)."""
    text = drop_comments(text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    stack: list[str] = []
    for kind, value in _pieces(text):
        if kind == "text":
            out.append(_flow(value, stack[-1] if stack else None))
            continue
        out.append(value)
        if kind == "pre":
            continue
        closing, name = value[1] == "/", _name(value)
        if closing:
            if name in stack:
                while stack and stack.pop() != name:
                    pass
        elif name not in _VOID and not value.rstrip().endswith("/>"):
            stack.append(name)
    return "".join(part for part in out if part).strip()


def _name(tag: str) -> str:
    found = _TAG.match(tag)
    return found.group(2).lower() if found else ""


def _pieces(text: str) -> list[tuple[str, str]]:
    """The text as ("pre", whole pre element), ("block", a block element's tag) and ("text", what lies between)."""
    pieces: list[tuple[str, str]] = []
    start = 0
    for pre in _PRE.finditer(text):
        pieces += _blocks(text[start:pre.start()])
        pieces.append(("pre", pre.group(0)))
        start = pre.end()
    pieces += _blocks(text[start:])
    return pieces


def _blocks(text: str) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    start = 0
    for tag in _TAG.finditer(text):
        if tag.group(2).lower() in BLOCKS:
            pieces.append(("text", text[start:tag.start()]))
            pieces.append(("block", tag.group(0)))
            start = tag.end()
    pieces.append(("text", text[start:]))
    return pieces


def _flow(text: str, container: str | None) -> str:
    """The text between two block tags, inside ``container`` (None: the top level), with its paragraphs."""
    if not text.strip():
        return "\n" if "\n" in text else ""
    if container in _STRUCTURE:
        return " ".join(text.split())  # stray words in a list or table: kept, but never as a paragraph
    paragraphs = [p for p in _BLANK_LINE.split(_one_line_tags(text)) if p.strip()]
    if container in _TEXT_HOLDERS and len(paragraphs) == 1:
        return _breaks(paragraphs[0].strip())
    if container == "p":  # a blank line inside an explicit paragraph starts the next one
        return "</p>\n<p>".join(_breaks(p.strip()) for p in paragraphs)
    return "\n" + "\n".join(f"<p>{_breaks(p.strip())}</p>" for p in paragraphs) + "\n"


def _one_line_tags(text: str) -> str:
    """Line breaks inside a tag (between its attributes) are spaces, not text's line breaks."""
    return _ANY_TAG.sub(lambda tag: tag.group(0).replace("\n", " "), text)


def _breaks(paragraph: str) -> str:
    """Each single line break inside a paragraph's text becomes a ``<br>`` (unless the line ends with one)."""
    lines = [line.strip() for line in paragraph.split("\n")]
    parts = [lines[0]]
    for previous, line in pairwise(lines):
        parts.append(("\n" if _LINE_END_BREAK.search(previous) else "<br>\n") + line)
    return "".join(parts)
