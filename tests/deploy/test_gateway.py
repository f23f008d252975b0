"""deploy/gateway.py: API Gateway's own answers as problem+json with CORS, in both deploy paths.

API Gateway fills a response template's ``$context`` variables itself; here
they are filled as it does (``messageString`` is the message as a quoted,
escaped JSON string), so the body a reader gets is parsed as the reader would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deploy import gateway, stages
from deploy.package import merge_template

DEV, PROD, TEST = (gateway.stage_environment(stages.load(name)) for name in ("dev", "prod", "test"))


def rendered(template: str, message: str, kind: str = "DEFAULT_4XX") -> dict[str, Any]:
    """The body API Gateway sends for a template: its $context variables filled in."""
    body = (template.replace("$context.error.messageString", json.dumps(message))
            .replace("$context.error.responseType", kind).replace("$context.requestId", "req-1"))
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def test_an_unknown_route_answers_404_not_found_as_a_problem() -> None:
    response = gateway.responses(DEV)["MISSING_AUTHENTICATION_TOKEN"]
    assert response["statusCode"] == "404"
    assert response["headers"]["Content-Type"] == "'application/problem+json'"
    body = rendered(response["templates"]["application/json"], "Missing Authentication Token",
                    "MISSING_AUTHENTICATION_TOKEN")
    assert body == {"type": "about:blank", "title": "Not Found", "status": 404,
                    "detail": "no route has this method and path", "errors": {},
                    "gateway_response": "MISSING_AUTHENTICATION_TOKEN", "request_id": "req-1"}


def test_throttling_answers_429_with_retry_after() -> None:
    response = gateway.responses(DEV)["THROTTLED"]
    assert response["statusCode"] == "429"
    assert response["headers"]["Retry-After"] == "'1'"
    assert rendered(response["templates"]["application/json"], "Too Many Requests")["status"] == 429


@pytest.mark.parametrize("kind", ["DEFAULT_4XX", "DEFAULT_5XX"])
def test_the_defaults_keep_the_gateways_own_status(kind: str) -> None:
    response = gateway.responses(DEV)[kind]
    assert "statusCode" not in response  # a 403, 413 or 504 stays what it is
    body = rendered(response["templates"]["application/json"], "Request too long", kind)
    assert body["detail"] == "Request too long" and "status" not in body


def test_nothing_of_the_request_is_written_into_a_body() -> None:
    """Only the gateway's own values: its message (sent quoted), its response type, the request id."""
    for response in gateway.responses(TEST).values():
        template = response["templates"]["application/json"]
        variables = {part.split()[0].rstrip(",}\"") for part in template.split("$")[1:]}
        assert variables == {"context.error.messageString", "context.error.responseType", "context.requestId"} \
            or variables == {"context.error.responseType", "context.requestId"}
        assert '"$context.error.messageString"' not in template  # already quoted by API Gateway


def test_cors_headers_follow_the_stages_origins() -> None:
    star, one, several = (gateway.responses(env)["DEFAULT_4XX"]["headers"] for env in (DEV, PROD, TEST))
    assert star["Access-Control-Allow-Origin"] == "'*'" and "Vary" not in star
    assert one["Access-Control-Allow-Origin"] == "'https://blog.example.com'" and one["Vary"] == "'Origin'"
    # Several origins: API Gateway can copy a header but not choose from a list.
    assert several["Access-Control-Allow-Origin"] == "method.request.header.origin"
    assert several["Vary"] == "'Origin'"
    assert all("Retry-After" in h["Access-Control-Expose-Headers"] for h in (star, one, several))


@pytest.fixture
def rest_api() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        apigateway = boto3.client("apigateway", region_name="us-east-1")
        api = apigateway.create_rest_api(name="serverless-blog")["id"]
        root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
        apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        yield apigateway, api


def test_make_deploy_puts_them_and_deploys_the_stage(rest_api: tuple[Any, str]) -> None:
    apigateway, api = rest_api
    stage = stages.load("dev")
    gateway.put(apigateway, api, stage)
    found = {r["responseType"]: r for r in apigateway.get_gateway_responses(restApiId=api)["items"]}
    for kind, expected in gateway.responses(DEV).items():
        assert found[kind].get("statusCode") == expected.get("statusCode")
        assert found[kind]["responseTemplates"] == expected["templates"]
        assert found[kind]["responseParameters"] == {f"gatewayresponse.header.{name}": value
                                                     for name, value in expected["headers"].items()}
    assert [d["description"] for d in apigateway.get_deployments(restApiId=api)["items"]] == \
        ["gateway responses (deploy/gateway.py)"]
    assert apigateway.get_stage(restApiId=api, stageName=stage.api_gateway_stage)["deploymentId"]


def test_the_package_declares_the_same_responses_on_its_api() -> None:
    generated = {"Resources": {
        "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.app"}},
        "ApiHandlerRole": {"Type": "AWS::IAM::Role", "Properties": {}}}}
    declared = merge_template(stages.load("prod"), generated)["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    assert declared == gateway.sam_gateway_responses(PROD)
    assert declared["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert declared["THROTTLED"]["ResponseParameters"]["Headers"]["Retry-After"] == "'1'"
    # SAM's shape: only these keys, header values as API Gateway mapping expressions.
    for response in declared.values():
        assert set(response) <= {"StatusCode", "ResponseParameters", "ResponseTemplates"}
        assert set(response["ResponseParameters"]) == {"Headers"}
