"""Ghost's editor documents to HTML, for a post exported without ``html``: Mobiledoc (Ghost 1-4) and Lexical (5+).

Only the structure is rendered (paragraphs, headings, lists, quotes, links,
emphasis, code, images, and the common cards); the sanitiser then decides
what survives, as for any imported post. A card of a kind not known here is
left out and named, so the report can list it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import Any

from chalicelib.blog import rendering

_TEXT_FORMATS = ((1, "strong"), (2, "em"), (4, "s"), (8, "u"), (16, "code"), (32, "sub"), (64, "sup"))


def _attr(value: Any) -> str:
    return escape(str(value or ""), quote=True)


def _figure(payload: dict[str, Any]) -> str:
    caption = payload.get("caption")
    image = f'<img src="{_attr(payload.get("src"))}" alt="{_attr(payload.get("alt"))}">'
    return f"<figure>{image}{f'<figcaption>{caption}</figcaption>' if caption else ''}</figure>"


def _captioned(block: str, caption: Any) -> str:
    return f"<figure>{block}<figcaption>{caption}</figcaption></figure>" if caption else block


def _code(payload: dict[str, Any]) -> str:
    language = str(payload.get("language") or "")
    klass = f' class="language-{_attr(language)}"' if language else ""
    return _captioned(f"<pre><code{klass}>{escape(str(payload.get('code') or ''))}</code></pre>",
                      payload.get("caption"))


def _link(payload: dict[str, Any]) -> str:
    url = payload.get("url") or payload.get("src") or payload.get("href")
    metadata: dict[str, Any] = payload["metadata"] if isinstance(payload.get("metadata"), dict) else {}
    title = payload.get("title") or metadata.get("title") or payload.get("fileName") or url
    about = " ".join(str(metadata[k]) for k in ("description", "publisher") if metadata.get(k))
    link = f'<a href="{_attr(url)}">{escape(str(title or ""))}</a>' + (f"<br>{escape(str(about))}" if about else "")
    return _captioned(f"<p>{link}</p>", payload.get("caption")) if url else ""


# Cards both editors share, by name, from their payload.
CARDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "markdown": lambda p: rendering.post_html(str(p.get("markdown") or "")),
    "html": lambda p: str(p.get("html") or ""),
    "image": _figure,
    "code": _code,
    "codeblock": _code,
    "hr": lambda p: "<hr>",
    "horizontalrule": lambda p: "<hr>",
    "embed": lambda p: str(p.get("html") or "") or _link(p),
    "bookmark": _link,
    "video": _link,
    "audio": _link,
    "file": _link,
    "button": lambda p: _link({"url": p.get("buttonUrl") or p.get("url"), "title": p.get("buttonText")}),
    "gallery": lambda p: _captioned("".join(_figure(i) for i in p.get("images") or [] if isinstance(i, dict)),
                                    p.get("caption")),
    "callout": lambda p: f"<blockquote>{p.get('calloutText') or ''}</blockquote>",
    "toggle": lambda p: f"<h4>{p.get('heading') or ''}</h4>{p.get('content') or ''}",
    "paywall": lambda p: "",
}


class Rendered:
    def __init__(self) -> None:
        self.unknown: set[str] = set()

    def card(self, name: str, payload: Any) -> str:
        rule = CARDS.get(name)
        if rule is None or not isinstance(payload, dict):
            self.unknown.add(name)
            return ""
        return rule(payload)


def mobiledoc(document: str, rendered: Rendered) -> str:
    doc = json.loads(document)
    markups = doc.get("markups") or []
    atoms = doc.get("atoms") or []
    cards = doc.get("cards") or []

    def markers(items: list[Any]) -> str:
        out: list[str] = []
        open_tags: list[str] = []
        for kind, opens, closes, value in items:
            for index in opens:
                tag, attributes = markups[index][0], markups[index][1] if len(markups[index]) > 1 else []
                pairs = dict(zip(attributes[::2], attributes[1::2], strict=False))
                attrs = "".join(f' {name}="{_attr(v)}"' for name, v in pairs.items() if name == "href")
                out.append(f"<{tag}{attrs}>")
                open_tags.append(tag)
            out.append(escape(str(value)) if kind == 0 else escape(str(atoms[value][1])))
            for _ in range(closes):
                out.append(f"</{open_tags.pop()}>")
        return "".join(out)

    html: list[str] = []
    for section in doc.get("sections") or []:
        kind = section[0]
        if kind == 1:
            html.append(f"<{section[1]}>{markers(section[2])}</{section[1]}>")
        elif kind == 3:
            html.append(f"<{section[1]}>" + "".join(f"<li>{markers(i)}</li>" for i in section[2]) + f"</{section[1]}>")
        elif kind == 10:
            name, payload = cards[section[1]]
            html.append(rendered.card(name, payload))
        elif kind == 2:
            html.append(_figure({"src": section[1]}))
    return "".join(html)


def lexical(document: str, rendered: Rendered) -> str:
    return "".join(_node(n, rendered) for n in json.loads(document).get("root", {}).get("children", []))


_BLOCKS = {"paragraph": "p", "extended-text": "p", "quote": "blockquote", "extended-quote": "blockquote",
           "aside": "blockquote", "listitem": "li"}


def _node(node: dict[str, Any], rendered: Rendered) -> str:
    kind = str(node.get("type") or "")
    inner = "".join(_node(child, rendered) for child in node.get("children") or [])
    if kind in ("text", "extended-text") and "children" not in node:
        text = escape(str(node.get("text") or ""))
        for bit, tag in _TEXT_FORMATS:
            if int(node.get("format") or 0) & bit:
                text = f"<{tag}>{text}</{tag}>"
        return text
    if kind in _BLOCKS:
        return f"<{_BLOCKS[kind]}>{inner}</{_BLOCKS[kind]}>"
    if kind in ("heading", "extended-heading"):
        tag = str(node.get("tag") or "h2")
        return f"<{tag}>{inner}</{tag}>" if tag in {f"h{n}" for n in range(1, 7)} else f"<h2>{inner}</h2>"
    if kind == "list":
        tag = "ol" if node.get("listType") == "number" or node.get("tag") == "ol" else "ul"
        return f"<{tag}>{inner}</{tag}>"
    if kind in ("link", "autolink"):
        return f'<a href="{_attr(node.get("url"))}">{inner}</a>'
    if kind == "linebreak":
        return "<br>"
    if kind == "code":  # Lexical's own code block: its children are text
        return f"<pre><code>{inner}</code></pre>"
    if kind == "root" or ("children" in node and kind not in CARDS):
        return inner
    return rendered.card(kind, node)
