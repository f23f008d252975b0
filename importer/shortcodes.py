"""WordPress shortcodes in imported bodies: the common ones become their HTML, or a link; the rest are reported.

What WordPress itself (or WordPress.com) renders for:
- ``[caption …]<img …> text[/caption]``: the image in a figure, the text its caption;
- ``[gallery ids="…"]`` (or no ids: the post's attached images): the images, from the
  export's attachment items, in a figure;
- ``[embed]URL[/embed]``, ``[audio …]``, ``[video …]``: a link to what was embedded
  (this blog embeds no players);
- ``[code]``, ``[sourcecode]``, ``[source]`` (WordPress.com's code blocks): the
  code, escaped, in ``<pre><code>``, its language as a ``language-…`` class.

Any other ``[name attr="…"]`` or ``[name]…[/name]`` is a plugin's, which this blog
cannot run: it stays as text, and its name is listed in the import report.
``[[name]]`` is WordPress's escape for a literal ``[name]``.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, field

# An opening tag only: its content, up to "[/name]", is found by position (see expand), so text with many
# "[" never makes the pattern scan ahead for a closing tag that is not there.
_OPENING = re.compile(r"\[(\[?)([a-zA-Z][\w-]*)((?:\s+(?:[^\]\"'\[]|\"[^\"]*\"|'[^']*')*)?)\s*(/?)\]")
_CLOSING = re.compile(r"\[/([a-zA-Z][\w-]*)\]")
_ATTRIBUTE = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"']+))")
_CAPTIONED = re.compile(r"^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", re.DOTALL | re.IGNORECASE)
_LANGUAGE = re.compile(r"^[\w+#-]{1,30}$")
_MEDIA_SOURCES = ("src", "mp3", "m4a", "ogg", "wav", "wma", "mp4", "m4v", "webm", "ogv", "wmv", "flv")
_CODE = ("code", "sourcecode", "source")
KNOWN = frozenset(("caption", "wp_caption", "gallery", "embed", "audio", "video", *_CODE))


@dataclass
class Media:
    """The export's attachments (images), by id and by the post they are attached to: what galleries show.

    Only an id, an address and an alt text each: small, whatever the size of the export.
    """

    by_id: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_parent: dict[str, list[str]] = field(default_factory=dict)

    def add(self, attachment_id: str, url: str, alt: str, parent: str) -> None:
        self.by_id[attachment_id] = (url, alt)
        if parent and parent != "0":
            self.by_parent.setdefault(parent, []).append(attachment_id)


@dataclass
class Expanded:
    html: str
    unknown: list[str] = field(default_factory=list)        # names of shortcodes kept as text
    missing_media: list[str] = field(default_factory=list)  # gallery ids with no attachment in the export


def expand(text: str, media: Media, post_id: str) -> Expanded:
    """``text`` with its known shortcodes rendered, each scanned once (linear in the text's length)."""
    result = Expanded("")
    closings: dict[str, list[int]] = {}
    for closing in _CLOSING.finditer(text):
        closings.setdefault(closing.group(1).lower(), []).append(closing.start())
    out: list[str] = []
    position = 0
    while (found := _OPENING.search(text, position)) is not None:
        escaped, name, raw_attributes, self_closed = found.groups()
        lowered = name.lower()
        end = found.end()
        closed_at = _closing_after(closings, lowered, end) if not self_closed else None
        out.append(text[position:found.start()])
        if lowered not in KNOWN:
            if "=" in raw_attributes or closed_at is not None:
                result.unknown.append(lowered)
            out.append(found.group(0))
            position = found.end()
            continue
        content: str | None = None
        if closed_at is not None:
            content, end = text[end:closed_at], closed_at + len(f"[/{name}]")
        if escaped and text.startswith("]", end):  # [[name]]: WordPress's way to write "[name]" as text
            out.append(text[found.start() + 1:end])
            position = end + 1
            continue
        out.append(escaped + _render(lowered, _attributes(raw_attributes), content or "", media, post_id, result))
        position = end
    out.append(text[position:])
    result.html = "".join(out)
    return result


def _closing_after(closings: dict[str, list[int]], name: str, start: int) -> int | None:
    """Where the first "[/name]" after ``start`` begins, if there is one."""
    after = closings.get(name, [])
    index = bisect.bisect_left(after, start)
    return after[index] if index < len(after) else None


def _attributes(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(raw):
        name, *values = match.groups()
        found[name.lower()] = next((v for v in values if v is not None), "")
    return found


def _render(name: str, attributes: dict[str, str], body: str, media: Media, post_id: str, result: Expanded) -> str:
    if name in ("caption", "wp_caption"):
        return _caption(attributes, body)
    if name == "gallery":
        return _gallery(attributes, media, post_id, result)
    if name in _CODE:
        language = attributes.get("language") or attributes.get("lang") or ""
        css = f' class="language-{html.escape(language.lower())}"' if _LANGUAGE.match(language) else ""
        code = html.escape(html.unescape(body.strip("\n")), quote=False)
        return f"\n\n<pre><code{css}>{code}</code></pre>\n\n"
    if name == "embed":
        return _link(body.strip() or attributes.get("src", ""))
    sources = [attributes[s] for s in _MEDIA_SOURCES if attributes.get(s)]  # audio, video
    return "".join(_link(url) for url in sources)


def _link(url: str) -> str:
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return ""
    shown = html.escape(url)
    return f'\n\n<p><a href="{shown}">{shown}</a></p>\n\n'


def _caption(attributes: dict[str, str], body: str) -> str:
    found = _CAPTIONED.match(body)
    image, text = (found.group(1), found.group(2).strip()) if found else ("", body.strip())
    text = html.escape(attributes["caption"]) if attributes.get("caption") else text
    caption = f"<figcaption>{text}</figcaption>" if text else ""
    return f"\n\n<figure>{image}{caption}</figure>\n\n"


def _gallery(attributes: dict[str, str], media: Media, post_id: str, result: Expanded) -> str:
    wanted = [i.strip() for i in (attributes.get("ids") or attributes.get("include") or "").split(",") if i.strip()]
    if not wanted:
        wanted = media.by_parent.get(post_id, [])
    images = []
    for attachment_id in wanted:
        if attachment_id not in media.by_id:
            result.missing_media.append(attachment_id)
            continue
        url, alt = media.by_id[attachment_id]
        images.append(f'<img src="{html.escape(url)}" alt="{html.escape(alt)}">')
    return f"\n\n<figure>{''.join(images)}</figure>\n\n" if images else ""
