"""API Gateway's own answers (no route, throttled, its own failures) in the API's format: problem+json with CORS.

Without this, an unknown route answers 403 ``{"message":"Missing Authentication
Token"}`` as application/json, without CORS headers, so a page on another
origin cannot even read it. Each gateway response here answers an RFC 9457
problem document, like the app's own refusals (chalicelib/api/problems.py),
with the stage's CORS headers:

- MISSING_AUTHENTICATION_TOKEN (API Gateway's answer to a path or method no
  route has): 404;
- THROTTLED (the stage's or account's rate limit): 429 with ``Retry-After: 1``;
- DEFAULT_4XX and DEFAULT_5XX: every other answer the gateway makes itself.

The detail is API Gateway's own message (``$context.error.messageString``,
already a quoted JSON string); nothing from the request is written into the
body. ``Access-Control-Allow-Origin`` is the stage's one origin or ``*``; a
stage with several origins echoes the caller's Origin (API Gateway can only
copy a header, not choose from a list), which is safe here as these answers
carry nothing but the gateway's message and never credentials.

Both deploy paths use ``responses``: `make deploy` puts them after `chalice deploy`
(``python -m deploy.gateway``) and deploys the stage again, since a gateway
response takes effect only with a deployment; `make package` writes them into
the SAM API's ``GatewayResponses``, which SAM renders into the API definition,
so the stack's one deployment carries them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from deploy import stage_config, stages
from deploy.stages import Stage

# (response type, status it answers or None to keep the gateway's, title, detail or None for the gateway's own)
_RESPONSES: tuple[tuple[str, int | None, str, str | None], ...] = (
    ("MISSING_AUTHENTICATION_TOKEN", 404, "Not Found", "no route has this method and path"),
    ("THROTTLED", 429, "Too Many Requests", "too many requests: try again in a second"),
    # Every other refusal and failure of the gateway's own keeps its status (403, 413, 502, 504...).
    ("DEFAULT_4XX", None, "Refused by the API gateway", None),
    ("DEFAULT_5XX", None, "API gateway error", None),
)
_EXTRA_HEADERS = {"THROTTLED": {"Retry-After": "1"}}
CONTENT_TYPE = "application/problem+json"
EXPOSED_HEADERS = "ETag, Location, Retry-After"  # as chalicelib/api/cors.py exposes them


def _template(kind: str, status: int | None, title: str, detail: str | None) -> str:
    # $context values are filled in by API Gateway: messageString comes quoted and escaped, requestId
    # and responseType are plain identifiers. Nothing of the request itself is written into the body.
    body: dict[str, str | int] = {"type": "about:blank", "title": title}
    if status is not None:
        body["status"] = status
    fields = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in body.items()]
    fields.append('"detail": ' + (json.dumps(detail) if detail else "$context.error.messageString"))
    fields += ['"errors": {}', '"gateway_response": "$context.error.responseType"',
               '"request_id": "$context.requestId"']
    return "{" + ", ".join(fields) + "}"


def _origin(stage_environment: dict[str, str]) -> str:
    origins = [o.strip() for o in stage_environment.get("CORS_ORIGINS", "").split(",") if o.strip()]
    if not origins:
        return ""
    if "*" in origins:
        return "'*'"
    return f"'{origins[0]}'" if len(origins) == 1 else "method.request.header.origin"


def headers(stage_environment: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    """Each header as API Gateway maps it: a quoted literal, or the request header to copy."""
    out = {"Content-Type": f"'{CONTENT_TYPE}'"}
    origin = _origin(stage_environment)
    if origin:
        out["Access-Control-Allow-Origin"] = origin
        out["Access-Control-Expose-Headers"] = f"'{EXPOSED_HEADERS}'"
        if origin != "'*'":
            out["Vary"] = "'Origin'"
    out |= {name: f"'{value}'" for name, value in extra.items()}
    return out


def responses(stage_environment: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per response type: status, headers (API Gateway mapping expressions) and the problem template."""
    out: dict[str, dict[str, Any]] = {}
    for kind, status, title, detail in _RESPONSES:
        out[kind] = {"headers": headers(stage_environment, _EXTRA_HEADERS.get(kind, {})),
                     # Keyed by the request's content type: one template for whatever the caller sent.
                     "templates": {"application/json": _template(kind, status, title, detail)}}
        if status is not None:
            out[kind]["statusCode"] = str(status)
    return out


def sam_gateway_responses(stage_environment: dict[str, str]) -> dict[str, Any]:
    """``GatewayResponses`` of an AWS::Serverless::Api (make package)."""
    out = {}
    for kind, response in responses(stage_environment).items():
        out[kind] = {"ResponseParameters": {"Headers": response["headers"]},
                     "ResponseTemplates": response["templates"]}
        if "statusCode" in response:
            out[kind]["StatusCode"] = response["statusCode"]
    return out


def stage_environment(stage: Stage) -> dict[str, str]:
    return stage_config.stage_environment(stage.name)


def put(apigateway: Any, rest_api_id: str, stage: Stage) -> None:
    """Put every gateway response, then deploy the stage so they take effect."""
    for kind, response in responses(stage_environment(stage)).items():
        status = {"statusCode": response["statusCode"]} if "statusCode" in response else {}
        apigateway.put_gateway_response(
            restApiId=rest_api_id, responseType=kind, **status,
            responseParameters={f"gatewayresponse.header.{name}": value
                                for name, value in response["headers"].items()},
            responseTemplates=response["templates"])
    apigateway.create_deployment(restApiId=rest_api_id, stageName=stage.api_gateway_stage,
                                 description="gateway responses (deploy/gateway.py)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.gateway", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=stages.names())
    args = parser.parse_args(argv)
    stage = stages.load(args.stage)
    record = stages.CHALICE_CONFIG.parent / "deployed" / f"{stage.name}.json"
    rest_api = [r for r in json.loads(record.read_text())["resources"] if r["resource_type"] == "rest_api"] \
        if record.exists() else []
    if not rest_api:
        print(f"gateway responses: no REST API in {record} (run chalice deploy first)", file=sys.stderr)
        return 1

    import boto3

    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
    put(boto3.Session(region_name=region).client("apigateway"), rest_api[0]["rest_api_id"], stage)
    print(f"gateway responses ({', '.join(kind for kind, *_ in _RESPONSES)}): problem+json with CORS, "
          f"stage {stage.api_gateway_stage} deployed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
