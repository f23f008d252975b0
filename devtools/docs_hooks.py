"""MkDocs hooks (mkdocs.yml `hooks:`): the API reference page is generated from the OpenAPI document."""

from __future__ import annotations

from typing import Any

from devtools.openapi_markdown import reference

MARKER = "<!-- openapi-reference -->"


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Put the generated reference where a page asks for it (docs/api-reference.md)."""
    return markdown.replace(MARKER, reference()) if MARKER in markdown else markdown
