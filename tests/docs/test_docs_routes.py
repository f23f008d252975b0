"""The route table of the API page (docs/api.md, section "Routes") agrees with the OpenAPI document.

Each row's first cell names its operations as code spans, `METHOD /path`: a query string may
follow (`GET /posts/{slug}/comments?sort=newest`) and path parameters may be named for the
reader (`{id}` for `{comment_id}`). Where a row names one operation and its last cell starts
the request body as a code span (`{title, body, summary?}`), before any `→` that introduces
the reply, the fields listed must be the body's fields in the document.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.openapi_document import is_json, load_document, operations, request_body_schema, resolve

PAGE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
SECTION = "## Routes"
ROUTE = re.compile(r"(GET|POST|PUT|PATCH|DELETE) (/[^\s?]*)(\?\S*)?")

Row = tuple[list[tuple[str, str]], str]
"""A table row: its operations as (path, method), and its last cell."""


def template(path: str) -> str:
    """A path with its parameters unnamed, so `/comments/{id}` and `/comments/{comment_id}` compare equal."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def route_table(text: str) -> list[Row]:
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    assert len(lines) > 2, "the section has no route table"
    rows: list[Row] = []
    for line in lines[2:]:  # past the header and the |---| line
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        spans = re.findall(r"`([^`]*)`", cells[0])
        assert spans, f"a row names no route: {line}"
        routes = []
        for span in spans:
            route = ROUTE.fullmatch(span)
            assert route, f"not `METHOD /path`: {span!r} in {line}"
            routes.append((route[2], route[1].lower()))
        rows.append((routes, cells[-1]))
    return rows


def listed_fields(cell: str) -> list[str] | None:
    """The field names of the request body a row's last cell begins with, if it lists one."""
    request = cell.split("→", 1)[0]
    body = re.search(r"`(\{[^`]*\})`", request)
    if body is None:
        return None
    return re.findall(r"[{,]\s*\"?(\w+)", body[1].replace("\\|", "|"))


@pytest.fixture
def rows() -> list[Row]:
    return route_table(PAGE.read_text(encoding="utf-8"))


@pytest.fixture
def document_file() -> dict[str, Any]:
    """The document as it is in the source tree: these tests need no running app."""
    return load_document()


def test_every_row_of_the_route_table_names_documented_operations(rows: list[Row],
                                                                  document_file: dict[str, Any]) -> None:
    documented = {(template(path), method) for path, method in operations(document_file)}
    named = [(path, method) for routes, _ in rows for path, method in routes]
    unknown = [f"{m.upper()} {p}" for p, m in named if (template(p), m) not in documented]
    assert not unknown, "rows for operations the document lacks: " + ", ".join(unknown)


def test_every_documented_operation_has_a_row_in_the_route_table(rows: list[Row],
                                                                 document_file: dict[str, Any]) -> None:
    named = {(template(path), method) for routes, _ in rows for path, method in routes}
    missing = [f"{method.upper()} {path}" for path, method in operations(document_file)
               if (template(path), method) not in named]
    assert not missing, "add these to the route table of docs/api.md: " + ", ".join(missing)


def test_request_bodies_in_the_route_table_list_the_documented_fields(rows: list[Row],
                                                                      document_file: dict[str, Any]) -> None:
    by_template = {(template(path), method): (path, method) for path, method in operations(document_file)}
    compared = 0
    for routes, what in rows:
        fields = listed_fields(what)
        if fields is None:
            continue
        assert len(routes) == 1, f"a body listed for several operations at once: {routes}"
        path, method = by_template[(template(routes[0][0]), routes[0][1])]
        body = resolve(document_file, document_file["paths"][path][method].get("requestBody", {"content": {}}))
        assert any(is_json(media) for media in body["content"]), f"{method.upper()} {path} takes no JSON body"
        schema = request_body_schema(document_file, path, method)
        assert sorted(fields) == sorted(schema["properties"]), f"{method.upper()} {path}"
        compared += 1
    assert compared >= 5  # the rows that list bodies are really read
