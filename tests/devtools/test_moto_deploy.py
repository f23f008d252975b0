"""devtools/moto_deploy.py: the local moto server, where `chalice deploy` meets it, answers as AWS does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devtools.moto_server import MotoServer
from tests.devtools.test_swagger_openapi import HANDLER

ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    started = MotoServer().start()
    yield started
    started.stop()


def client(server: MotoServer, service: str) -> Any:
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1",  # type: ignore[call-overload]
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def make_function(server: MotoServer, name: str) -> str:
    iam, lambda_ = client(server, "iam"), client(server, "lambda")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    return str(lambda_.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler",
                                       Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18})["FunctionArn"])


def make_stream(server: MotoServer, table: str) -> str:
    dynamodb = client(server, "dynamodb")
    created = dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return str(created["TableDescription"]["LatestStreamArn"])


def test_a_second_mapping_of_one_function_on_one_stream_is_refused_as_lambda_does(server: MotoServer) -> None:
    lambda_ = client(server, "lambda")
    function, stream = make_function(server, "twice"), make_stream(server, "twice")
    first = lambda_.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                StartingPosition="LATEST")
    with pytest.raises(ClientError) as refused:
        lambda_.create_event_source_mapping(FunctionName="twice", EventSourceArn=stream, StartingPosition="LATEST")
    assert refused.value.response["Error"]["Code"] == "ResourceConflictException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert first["UUID"] in refused.value.response["Error"]["Message"]  # names the mapping to update or delete
    assert [m["UUID"] for m in lambda_.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]] \
        == [first["UUID"]]


def test_another_function_on_the_same_stream_is_still_mapped(server: MotoServer) -> None:
    lambda_ = client(server, "lambda")
    stream = make_stream(server, "shared")
    for name in ("reader-one", "reader-two"):
        lambda_.create_event_source_mapping(FunctionName=make_function(server, name), EventSourceArn=stream,
                                            StartingPosition="LATEST")
    assert len(lambda_.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]) == 2


def test_chalices_swagger_document_imports_with_every_route(server: MotoServer) -> None:
    from chalice.deploy.swagger import SwaggerGenerator

    from app import app

    document = SwaggerGenerator("us-east-1", {"api_handler_arn": HANDLER}).generate_swagger(app)
    apigateway = client(server, "apigateway")
    api = apigateway.import_rest_api(body=json.dumps(document).encode())
    resources = apigateway.get_resources(restApiId=api["id"], embed=["methods"], limit=500)["items"]
    methods = {(r["path"], m) for r in resources for m in r.get("resourceMethods", {})}
    assert methods == {(path, method) for path, routes in app.routes.items() for method in routes}
    assert api["name"] == "serverless-blog"
    # PutRestApi (what a second `chalice deploy` sends) is converted too.
    apigateway.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(document).encode())


def test_a_swagger_import_without_the_converter_is_what_moto_refuses() -> None:
    """The gap the converter closes is real: moto alone refuses the document (a negative control)."""
    from moto import mock_aws

    with mock_aws():
        apigateway = boto3.client("apigateway", region_name="us-east-1")
        document = {"swagger": "2.0", "info": {"title": "t", "version": "1", "description": ""}, "paths": {}}
        with pytest.raises(ClientError, match=r"Only OpenAPI 3\.x\.x are currently supported"):
            apigateway.import_rest_api(body=json.dumps(document).encode())


def test_an_injected_fault_fails_the_named_call_once(server: MotoServer) -> None:
    iam = client(server, "iam")
    failed: list[str] = []

    def fail_first_create_role(change: str) -> bool:
        if change == "iam:CreateRole" and not failed:
            failed.append(change)
            return True
        return False

    server.gaps.fail = fail_first_create_role
    try:
        with pytest.raises(ClientError):
            iam.create_role(RoleName="faulty", AssumeRolePolicyDocument=ROLE_POLICY)
        iam.create_role(RoleName="faulty", AssumeRolePolicyDocument=ROLE_POLICY)
    finally:
        server.gaps.fail = lambda _change: False
    assert failed == ["iam:CreateRole"]
    assert iam.get_role(RoleName="faulty")["Role"]["RoleName"] == "faulty"
