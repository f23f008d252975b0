"""Reading the OpenAPI document in tests: its operations, its schemas, and replies checked against it."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from chalicelib.api.meta import OPENAPI_PATH
from tests.conftest import Reply

DOC_URI = "urn:serverless-blog:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Operation = tuple[str, str]
"""(path, method) as the document spells them: ("/posts/{slug}", "get")."""


def load_document() -> dict[str, Any]:
    """The document as it is in the source tree (usable at collection time, before any fixture)."""
    loaded: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
    return loaded


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every (path, method) the document describes, in its own order."""
    return [(path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS]


def schema_validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A Draft 2020-12 validator for ``schema`` whose "#/components/..." refs resolve in ``document``."""
    resource: Resource[Any] = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(DOC_URI, resource)
    return Draft202012Validator(
        {"allOf": [_absolute(schema)]},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _absolute(schema: Any) -> Any:
    """Point local refs of a schema lifted out of the document back at the document."""
    if isinstance(schema, dict):
        return {k: (DOC_URI + v if k == "$ref" and v.startswith("#") else _absolute(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_absolute(v) for v in schema]
    return schema


def component(document: dict[str, Any], name: str) -> Draft202012Validator:
    assert name in document["components"]["schemas"], name
    return schema_validator(document, {"$ref": f"#/components/schemas/{name}"})


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` until a node without one; keywords beside a ``$ref`` are dropped."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def merged(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` target's keywords and its own (its own win, as for "description")."""
    if "$ref" not in node:
        return node
    own = {k: v for k, v in node.items() if k != "$ref"}
    return {**merged(document, resolve(document, {"$ref": node["$ref"]})), **own}


def request_body_schema(document: dict[str, Any], path: str, method: str,
                        media_type: str = "application/json") -> dict[str, Any]:
    body = resolve(document, document["paths"][path][method]["requestBody"])
    return merged(document, body["content"][media_type]["schema"])


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def header_value(raw: str, schema: dict[str, Any]) -> Any:
    """A header's text as the value its schema describes ("3" is the integer 3 for ``type: integer``)."""
    if schema.get("type") == "integer":
        assert raw.isascii() and raw.isdigit(), f"{raw!r} is not a whole number"
        return int(raw)
    return raw


def check_reply(document: dict[str, Any], reply: Reply, path: str, method: str) -> None:
    """The reply's status is documented for the operation, and its headers and body match."""
    operation = document["paths"][path][method]
    responses = operation["responses"]
    documented = responses.get(str(reply.status)) or (responses.get("default") if reply.status >= 500 else None)
    assert documented is not None, f"{method.upper()} {path} answered {reply.status}, not in the document"
    documented = resolve(document, documented)
    for name in documented.get("headers", {}):
        assert name.lower() in reply.headers, f"{method.upper()} {path} {reply.status} lacks header {name}"
        header_schema = resolve(document, documented["headers"][name])["schema"]
        schema_validator(document, header_schema).validate(header_value(reply.headers[name.lower()], header_schema))
    content = documented.get("content")
    if not content:
        assert reply.body in (b"", b"null"), reply.body
        return
    # Chalice sends JSON bodies without a Content-Type and API Gateway then labels
    # them application/json; problem documents always name their own type.
    media_type = reply.headers.get("content-type", "application/json").split(";")[0].strip()
    assert media_type in content, f"{method.upper()} {path} {reply.status} sent {media_type}, documented {[*content]}"
    # Feeds, pages, scripts and styles are documented as strings: their text is what is checked.
    body = reply.json if is_json(media_type) else reply.body.decode("utf-8")
    schema_validator(document, content[media_type]["schema"]).validate(body)
