"""devtools/deploy_check/compare.py: a stage that matches its sources passes; each kind of drift is named.

`make deploy-check` runs the same comparisons on a live stage it breaks on
purpose; here they run on a stage described by hand, so the suite keeps them honest.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from deploy import gateway, stages
from devtools.deploy_check import compare

STAGE = stages.load("dev")
ENV = gateway.stage_environment(STAGE)
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/blog-dev/stream/1"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
RULE = "arn:aws:events:us-east-1:123456789012:rule/serverless-blog-dev-publish_due_posts-event"
FUNCTIONS = {"api_handler": ("app.app", 20), "notify_comments": ("app.notify_comments", 20),
             "publish_due_posts": ("app.publish_due_posts", 60)}


def routes() -> dict[str, Any]:
    from app import app

    return app.routes


def template() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    policy = json.loads(STAGE.policy_file.read_text())
    for name, (handler, timeout) in FUNCTIONS.items():
        props: dict[str, Any] = {"FunctionName": STAGE.function_name(name), "Runtime": "python3.11",
                                 "Handler": handler, "Timeout": timeout, "MemorySize": 128,
                                 "Environment": {"Variables": {**ENV, "TABLE_NAME": {"Ref": "BlogTable"}}}}
        if name == "notify_comments":
            props["Events"] = {"S": {"Type": "DynamoDB", "Properties": {"BatchSize": 10, "StartingPosition": "LATEST"}}}
        if name == "publish_due_posts":
            props["Events"] = {"E": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)"}}}
        resources[name] = {"Type": "AWS::Serverless::Function", "Properties": props}
        resources[f"{name}Role"] = {"Type": "AWS::IAM::Role", "Properties": {"Policies": [
            {"PolicyName": "p", "PolicyDocument": policy}]}}
    paths: dict[str, Any] = {}
    for path, methods in routes().items():
        paths[path] = {method.lower(): {} for method in methods}
    resources["RestAPI"] = {"Type": "AWS::Serverless::Api", "Properties": {
        "Name": STAGE.api_name, "DefinitionBody": {"paths": paths},
        "GatewayResponses": gateway.sam_gateway_responses(ENV)}}
    return {"Resources": resources}


def live() -> compare.Live:
    policy = json.loads(STAGE.policy_file.read_text())
    functions = {name: {"FunctionName": STAGE.function_name(name), "FunctionArn": ARN + STAGE.function_name(name),
                        "Runtime": "python3.11", "Handler": handler, "Timeout": timeout, "MemorySize": 128,
                        "Environment": {"Variables": dict(ENV)}}
                 for name, (handler, timeout) in FUNCTIONS.items()}
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{ARN}serverless-blog-dev/invocations"
    methods = {(path, method): {"type": "AWS_PROXY", "uri": uri}
               for path, routed in routes().items() for method in routed}
    responses = {kind: {"responseType": kind, "responseTemplates": r["templates"],
                        "responseParameters": {f"gatewayresponse.header.{k}": v for k, v in r["headers"].items()},
                        **({"statusCode": r["statusCode"]} if "statusCode" in r else {})}
                 for kind, r in gateway.responses(ENV).items()}
    return compare.Live(
        functions=functions,
        role_policies={f"{STAGE.function_prefix}-{name}": {"p": copy.deepcopy(policy)} for name in FUNCTIONS},
        mappings=[{"FunctionArn": ARN + STAGE.function_name("notify_comments"), "EventSourceArn": STREAM,
                   "BatchSize": 10, "StartingPosition": "LATEST", "UUID": "u"}],
        rules=[{"Name": "serverless-blog-dev-publish_due_posts-event", "Arn": RULE,
                "ScheduleExpression": "rate(1 minute)"}],
        rule_targets={"serverless-blog-dev-publish_due_posts-event": [ARN + STAGE.function_name("publish_due_posts")]},
        rest_api_id="abc123", methods=methods, stages=["api"], gateway_responses=responses,
        invokers={"api_handler": [("apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:123456789012:abc123/*")],
                  "notify_comments": [], "publish_due_posts": [("events.amazonaws.com", RULE)]},
    )


def mismatches(stage: compare.Live) -> list[str]:
    findings = compare.all_findings(stage, STAGE, tuple(FUNCTIONS), routes(), ENV, STREAM, template())
    return [f.subject for f in findings if f.verdict == compare.MISMATCH]


def test_a_stage_that_matches_its_sources_has_no_mismatch() -> None:
    assert mismatches(live()) == []


def _missing_route(stage: compare.Live) -> None:
    del stage.methods[("/health", "GET")]


def _extra_action(stage: compare.Live) -> None:
    statement = stage.role_policies["serverless-blog-dev-api_handler"]["p"]["Statement"][0]
    statement["Action"] = [*statement["Action"], "dynamodb:DeleteTable"]


def _batch_size(stage: compare.Live) -> None:
    stage.mappings[0]["BatchSize"] = 100


def _second_mapping(stage: compare.Live) -> None:
    stage.mappings.append({**stage.mappings[0], "UUID": "v"})


def _environment(stage: compare.Live) -> None:
    stage.functions["notify_comments"]["Environment"]["Variables"]["CORS_ORIGINS"] = "https://evil.example"


def _invoker(stage: compare.Live) -> None:
    stage.invokers["notify_comments"] = [("s3.amazonaws.com", "arn:aws:s3:::anyone")]


def _gateway(stage: compare.Live) -> None:
    del stage.gateway_responses["THROTTLED"]


@pytest.mark.parametrize(("drift", "caught"), [
    (_missing_route, "REST API methods = app.routes"),
    (_extra_action, "serverless-blog-dev-api_handler: its policy = policy-dev.json"),
    (_batch_size, "stream mappings = the package's (one per stream handler, the bootstrap's stream)"),
    (_second_mapping, "stream mappings = the package's (one per stream handler, the bootstrap's stream)"),
    (_environment, "notify_comments: environment = the stage's settings"),
    (_invoker, "who may invoke each function: its API or its rule, no one else"),
    (_gateway, "gateway responses = deploy/gateway.py's (problem+json, CORS)"),
], ids=lambda value: getattr(value, "__name__", "")[1:])
def test_each_drift_is_named(drift: Any, caught: str) -> None:
    stage = live()
    drift(stage)
    assert caught in mismatches(stage)
