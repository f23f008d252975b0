"""The docs site's API reference is the whole OpenAPI document: every operation, every schema, every rule."""

from __future__ import annotations

from devtools.docs_hooks import MARKER, on_page_markdown
from devtools.openapi_markdown import reference, render
from tests.openapi_document import load_document, operations


def test_every_operation_and_schema_of_the_document_is_in_the_reference() -> None:
    document = load_document()
    page = render(document)
    missing = [f"{method.upper()} {path}" for path, method in operations(document)
               if f"### `{method.upper()} {path}`" not in page]
    assert not missing, missing
    for name in document["components"]["schemas"]:
        assert f"### {name} {{ #schema-{name.lower()} }}" in page
    assert "| `title` (required) | string | minLength `1`, maxLength `200` |" in page


def test_the_reference_page_gets_the_generated_text_and_other_pages_keep_theirs() -> None:
    page = on_page_markdown(f"# API reference\n\n{MARKER}\n")
    assert MARKER not in page and "### `GET /posts`" in page and len(page) > len(reference()) // 2
    assert on_page_markdown("# Settings\n\n| `A` | `x\\|y` |\n\nText `a\\|b`\n") == \
        "# Settings\n\n| `A` | `x|y` |\n\nText `a\\|b`\n"
