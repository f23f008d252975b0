"""The OpenAPI document as Markdown, for the docs site's API reference (`make docs`).

Generated at build time from chalicelib/api/openapi.json, so the page is never out of date and the
site needs no JavaScript renderer fetched from a CDN. It shows what a client author reads: each
operation's summary, who may call it, its parameters, its request body's fields with their rules,
and its responses; then every schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DOCUMENT = Path(__file__).resolve().parents[1] / "chalicelib" / "api" / "openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
# Schema keywords that state a rule, shown beside a field's type.
RULES = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "pattern", "format", "default")

Node = dict[str, Any]


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _ref_name(node: Node) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _resolve(document: Node, node: Node) -> Node:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = document["components"][kind][name]
    return node


def _anchor(name: str) -> str:
    return "schema-" + name.lower()


def _type(document: Node, schema: Node) -> str:
    """A schema's type in a few words, linking named schemas to their entry below."""
    name = _ref_name(schema)
    if name is not None:
        return f"[{name}](#{_anchor(name)})"
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            joiner = " and " if combinator == "allOf" else " or "
            return joiner.join(_type(document, part) for part in schema[combinator])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {_type(document, schema['items'])}"
    return str(kind)


def _rules(schema: Node) -> str:
    shown = [f"{rule} `{json.dumps(schema[rule], ensure_ascii=False)}`" for rule in RULES if rule in schema]
    if schema.get("readOnly"):
        shown.append("read-only")
    return ", ".join(shown)


def _fields(document: Node, schema: Node) -> Iterator[str]:
    """A table of an object schema's properties (those of allOf parts included)."""
    schema = _resolve(document, schema)
    parts = [_resolve(document, part) for part in schema.get("allOf", [])] + [schema]
    properties: dict[str, Node] = {}
    required: set[str] = set()
    for part in parts:
        properties.update(part.get("properties", {}))
        required.update(part.get("required", []))
    if not properties:
        return
    yield "| field | type | rules | description |"
    yield "|---|---|---|---|"
    for name, prop in properties.items():
        flag = " (required)" if name in required else ""
        description = prop.get("description") or _resolve(document, prop).get("description", "")
        yield f"| `{name}`{flag} | {_type(document, prop)} | {_cell(_rules(prop))} | {_cell(description)} |"


def _operation(document: Node, path: str, method: str, operation: Node) -> Iterator[str]:
    yield f"### `{method.upper()} {path}`"
    yield ""
    yield f"**{operation.get('summary', '')}**"
    yield ""
    if operation.get("description"):
        yield operation["description"]
        yield ""
    security: list[Node] = operation.get("security", document.get("security")) or []
    signed = any(requirement for requirement in security)
    anonymous = not security or any(not requirement for requirement in security)
    yield "Who: " + ("anyone" if anonymous and not signed else
                     "anyone; a bearer token when signed in" if anonymous else "a bearer token") + "."
    yield ""
    parameters = [_resolve(document, p) for p in operation.get("parameters", [])]
    if parameters:
        yield "| parameter | in | type | rules | description |"
        yield "|---|---|---|---|---|"
        for parameter in parameters:
            schema = parameter.get("schema", {})
            rules = _cell(_rules(_resolve(document, schema) | schema))
            yield (f"| `{parameter['name']}` | {parameter['in']} | {_type(document, schema)} | {rules} | "
                   f"{_cell(parameter.get('description', ''))} |")
        yield ""
    body = operation.get("requestBody")
    if body:
        for media, content in _resolve(document, body).get("content", {}).items():
            schema = content.get("schema", {})
            yield f"Request body (`{media}`): {_type(document, schema)}"
            yield ""
    yield "| status | meaning |"
    yield "|---|---|"
    for status, response in operation.get("responses", {}).items():
        yield f"| {status} | {_cell(_resolve(document, response).get('description', ''))} |"
    yield ""


def render(document: Node) -> str:
    """The whole reference: operations grouped by tag, in the document's order, then the schemas."""
    lines = [f"Generated from `chalicelib/api/openapi.json` (OpenAPI {document['openapi']}), "
             f"the document the API serves at `GET /openapi.json`.", "", document["info"].get("description", ""), ""]
    tags = [tag["name"] for tag in document.get("tags", [])]
    grouped: dict[str, list[tuple[str, str, Node]]] = {tag: [] for tag in tags}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                grouped.setdefault(tag, []).append((path, method, item[method]))
    descriptions = {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}
    for tag, operations in grouped.items():
        if not operations:
            continue
        lines += [f"## {tag.capitalize()}", "", descriptions.get(tag, ""), ""]
        for path, method, operation in operations:
            lines += _operation(document, path, method, operation)
    lines += ["## Schemas", ""]
    for name, schema in document["components"]["schemas"].items():
        lines += [f"### {name} {{ #{_anchor(name)} }}", ""]
        if schema.get("description"):
            lines += [schema["description"], ""]
        fields = list(_fields(document, schema))
        lines += fields or [f"Type: {_type(document, schema)}. {_cell(_rules(schema))}"]
        lines.append("")
    return "\n".join(lines)


def reference() -> str:
    """The reference for the document in the source tree."""
    document: Node = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return render(document)
