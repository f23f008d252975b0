"""What in some HTML could run script: for tests of anything the API renders."""

from __future__ import annotations

from html.parser import HTMLParser


class Traps(HTMLParser):
    """Script-like elements, event-handler attributes and javascript: URLs found in ``html``."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "style"):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")
