"""Swagger 2.0 to OpenAPI 3.0, for the parts of a document `chalice deploy` generates.

moto's API Gateway imports OpenAPI 3 only ("Only OpenAPI 3.x.x are currently
supported"), while Chalice sends Swagger 2.0, which real API Gateway accepts.
This conversion follows the OpenAPI 3.0.3 specification's own mapping of the
2.0 fields (as the npm tool swagger2openapi does) for what Chalice writes:

- ``swagger: "2.0"`` becomes ``openapi: "3.0.3"``;
- ``host``, ``basePath`` and ``schemes`` become ``servers`` (one URL per scheme);
  without a host there is no server: OpenAPI 3 then means the document's own
  host, as Swagger 2.0 did;
- ``definitions`` become ``components.schemas`` and ``securityDefinitions``
  ``components.securitySchemes``; every ``$ref`` to them is rewritten;
- in an operation, ``consumes`` and ``produces`` go: a response's ``schema``
  moves under ``content`` once per media type the operation produces, and a
  non-body parameter's ``type``/``format``/``enum``/``items``/``default`` move
  into its ``schema`` (a body parameter becomes ``requestBody``, per ``consumes``);
- vendor extensions (``x-amazon-apigateway-*``) stay where they are.

Anything else Chalice does not write is refused (ConversionError), never dropped.
It is development tooling only: real API Gateway imports Chalice's document as is.
"""

from __future__ import annotations

import copy
from typing import Any

OPENAPI_VERSION = "3.0.3"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_SCHEMA_FIELDS = ("type", "format", "items", "enum", "default", "minimum", "maximum", "pattern",
                  "minLength", "maxLength", "collectionFormat")
_DEFAULT_MEDIA = ["application/json"]


class ConversionError(ValueError):
    pass


def _refs(node: Any) -> Any:
    """The same tree with every 2.0 $ref pointing where OpenAPI 3 keeps the target."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                value = value.replace("#/definitions/", "#/components/schemas/")
            out[key] = _refs(value)
        return out
    if isinstance(node, list):
        return [_refs(value) for value in node]
    return node


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in parameter:
        raise ConversionError("parameter $ref is not converted (Chalice writes none)")
    converted = {key: value for key, value in parameter.items() if key not in _SCHEMA_FIELDS}
    schema = {key: value for key, value in parameter.items() if key in _SCHEMA_FIELDS and key != "collectionFormat"}
    if parameter.get("collectionFormat") not in (None, "csv"):
        raise ConversionError(f"collectionFormat {parameter['collectionFormat']!r} is not converted")
    if schema:
        converted["schema"] = schema
    return converted


def _operation(operation: dict[str, Any], consumes: list[str], produces: list[str]) -> dict[str, Any]:
    consumes = operation.get("consumes", consumes)
    produces = operation.get("produces", produces)
    converted: dict[str, Any] = {}
    for key, value in operation.items():
        if key in ("consumes", "produces", "schemes"):
            continue
        if key == "parameters":
            body = [p for p in value if p.get("in") == "body"]
            if [p for p in value if p.get("in") == "formData"]:
                raise ConversionError("formData parameters are not converted (Chalice writes none)")
            others = [_parameter(p) for p in value if p.get("in") != "body"]
            if others:
                converted["parameters"] = others
            for parameter in body:
                request: dict[str, Any] = {"content": {media: {"schema": parameter.get("schema", {})}
                                                       for media in consumes}}
                if parameter.get("description"):
                    request["description"] = parameter["description"]
                if parameter.get("required"):
                    request["required"] = True
                converted["requestBody"] = request
        elif key == "responses":
            responses = {}
            for code, response in value.items():
                out = {k: v for k, v in response.items() if k not in ("schema", "examples")}
                if "schema" in response:
                    out["content"] = {media: {"schema": response["schema"]} for media in produces}
                responses[code] = out
            converted["responses"] = responses
        else:
            converted[key] = value
    return converted


def convert(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3 document equivalent to a Swagger 2.0 one; an OpenAPI 3 document comes back as is."""
    if "openapi" in document:
        return copy.deepcopy(document)
    if document.get("swagger") != "2.0":
        raise ConversionError(f"not Swagger 2.0: swagger={document.get('swagger')!r}")
    source = _refs(copy.deepcopy(document))
    consumes = source.get("consumes", _DEFAULT_MEDIA)
    produces = source.get("produces", _DEFAULT_MEDIA)
    out: dict[str, Any] = {"openapi": OPENAPI_VERSION}
    for key, value in source.items():
        if key in ("swagger", "host", "basePath", "schemes", "consumes", "produces"):
            continue
        if key == "definitions":
            out.setdefault("components", {})["schemas"] = value
        elif key == "securityDefinitions":
            out.setdefault("components", {})["securitySchemes"] = value
        elif key == "paths":
            out["paths"] = {
                path: {method: _operation(operation, consumes, produces) if method in _METHODS else operation
                       for method, operation in item.items()}
                for path, item in value.items()
            }
        elif key in ("parameters", "responses"):
            raise ConversionError(f"top-level {key} are not converted (Chalice writes none)")
        else:
            out[key] = value
    if "host" in source:
        base = source.get("basePath", "")
        out["servers"] = [{"url": f"{scheme}://{source['host']}{base}"} for scheme in source.get("schemes", ["https"])]
    return out
