"""devtools/swagger_openapi.py: Chalice's Swagger 2.0 document, as OpenAPI 3.0, for moto's import.

The reference below is worked out by hand from the two specifications (Swagger
2.0 and OpenAPI 3.0.3, "Migrating from 2.0"): a path parameter's ``type`` moves
into ``schema``; a response's ``schema`` moves under ``content`` once per media
type in ``produces``; ``consumes``/``produces`` go; ``#/definitions/`` becomes
``#/components/schemas/``; vendor extensions stay.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from devtools.moto_deploy import importable
from devtools.swagger_openapi import ConversionError, convert

HANDLER = "arn:aws:lambda:us-east-1:123456789012:function:serverless-blog-dev"
URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{HANDLER}/invocations"
INTEGRATION = {"responses": {"default": {"statusCode": "200"}}, "uri": URI,
               "passthroughBehavior": "when_no_match", "httpMethod": "POST",
               "contentHandling": "CONVERT_TO_TEXT", "type": "aws_proxy"}


@pytest.fixture(scope="module")
def chalice_document() -> dict[str, Any]:
    """What `chalice deploy` sends to ImportRestApi for this app."""
    from chalice.deploy.swagger import SwaggerGenerator

    from app import app

    document: dict[str, Any] = SwaggerGenerator("us-east-1", {"api_handler_arn": HANDLER}).generate_swagger(app)
    return document


def test_a_route_with_a_path_parameter_converts_as_the_specifications_say(chalice_document: dict[str, Any]) -> None:
    converted = convert(chalice_document)
    assert converted["paths"]["/posts/{slug}"]["get"] == {
        "responses": {"200": {"description": "200 response",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Empty"}}}}},
        "x-amazon-apigateway-integration": INTEGRATION,
        "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
    }


def test_the_document_level_fields_convert_as_the_specifications_say(chalice_document: dict[str, Any]) -> None:
    converted = convert(chalice_document)
    assert {key: value for key, value in converted.items() if key != "paths"} == {
        "openapi": "3.0.3",
        "info": {"version": "1.0", "title": "serverless-blog"},
        "components": {"schemas": {"Empty": {"type": "object", "title": "Empty Schema"}}},
        "x-amazon-apigateway-binary-media-types": chalice_document["x-amazon-apigateway-binary-media-types"],
    }  # no host in Chalice's document, so no servers: both mean "where the document is served"


def test_every_operation_and_integration_survives(chalice_document: dict[str, Any]) -> None:
    from app import app

    converted = convert(chalice_document)
    operations = {(path, method.upper()) for path, item in converted["paths"].items() for method in item}
    assert operations == {(path, method) for path, methods in app.routes.items() for method in methods}
    for path, item in converted["paths"].items():
        for method, operation in item.items():
            assert operation["x-amazon-apigateway-integration"] == \
                chalice_document["paths"][path][method]["x-amazon-apigateway-integration"]
    text = json.dumps(converted)
    assert "#/definitions/" not in text and '"consumes"' not in text and '"produces"' not in text


def test_the_result_is_a_valid_openapi_3_document(chalice_document: dict[str, Any]) -> None:
    validate(convert(chalice_document))  # raises on any schema violation


def test_moto_gets_the_description_its_import_reads(chalice_document: dict[str, Any]) -> None:
    assert "description" not in chalice_document["info"]
    assert importable(chalice_document)["info"]["description"] == ""
    assert "description" not in chalice_document["info"]  # the caller's document is not changed


def test_an_openapi_3_document_passes_unchanged() -> None:
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}
    assert convert(document) == document


def test_a_body_parameter_becomes_a_request_body_per_consumed_type() -> None:
    document = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "consumes": ["application/json"],
                "paths": {"/x": {"post": {"parameters": [{"in": "body", "name": "b", "required": True,
                                                          "schema": {"$ref": "#/definitions/X"}}],
                                          "responses": {"204": {"description": "none"}}}}},
                "definitions": {"X": {"type": "object"}}}
    assert convert(document)["paths"]["/x"]["post"] == {
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}}},
                        "required": True},
        "responses": {"204": {"description": "none"}},
    }


def test_a_host_becomes_one_server_per_scheme() -> None:
    document = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "host": "api.example",
                "basePath": "/v1", "schemes": ["https", "http"], "paths": {}}
    assert convert(document)["servers"] == [{"url": "https://api.example/v1"}, {"url": "http://api.example/v1"}]


@pytest.mark.parametrize("document", [
    {"swagger": "1.2", "paths": {}},
    {"swagger": "2.0", "paths": {"/x": {"post": {"parameters": [{"in": "formData", "name": "f", "type": "string"}],
                                                 "responses": {}}}}},
    {"swagger": "2.0", "paths": {}, "parameters": {"p": {"in": "query", "name": "p", "type": "string"}}},
], ids=["not-2.0", "form-data", "shared-parameters"])
def test_what_it_does_not_convert_is_refused_not_dropped(document: dict[str, Any]) -> None:
    with pytest.raises(ConversionError):
        convert(document)
