"""MkDocs hooks (mkdocs.yml `hooks:`): the API reference page is generated from the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from devtools.openapi_markdown import reference

MARKER = "<!-- openapi-reference -->"
CODE_SPAN = re.compile(r"`[^`\n]*`")


def _table_code_pipes(markdown: str) -> str:
    """`\\|` inside a code span of a table row as a plain `|`.

    GitHub needs the escape there (the pages are read on GitHub too); Python-Markdown already ignores
    pipes inside code spans, and would show the backslash.
    """
    lines = markdown.split("\n")
    for n, line in enumerate(lines):
        if line.lstrip().startswith("|"):
            lines[n] = CODE_SPAN.sub(lambda span: span.group(0).replace("\\|", "|"), line)
    return "\n".join(lines)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Put the generated reference where a page asks for it (docs/api-reference.md); fix tables' code spans."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, reference())
    return _table_code_pipes(markdown)
