"""deploy/converge.py, of duplicates: the recorded copy stays, whatever its age; unrecorded copies go."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deploy import stages
from deploy.converge import converge

STAGE = stages.load("dev")
ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def aws(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")  # type: ignore[call-overload]


@pytest.fixture
def handler() -> Iterator[str]:
    with mock_aws():
        role = aws("iam").create_role(RoleName=f"{STAGE.function_prefix}-api_handler",
                                      AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
        arn = aws("lambda").create_function(FunctionName=STAGE.function_name("api_handler"), Runtime="python3.11",
                                            Role=role, Handler="app.app",
                                            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18})["FunctionArn"]
        yield str(arn)


def stage_api(handler: str, name: str = "serverless-blog") -> str:
    apigateway = aws("apigateway")
    api = apigateway.create_rest_api(name=name)["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api, resourceId=root, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{handler}/invocations")
    return str(api)


def apis() -> list[str]:
    return sorted(api["id"] for api in aws("apigateway").get_rest_apis()["items"])


def test_the_recorded_api_stays_even_when_a_newer_copy_exists(handler: str, tmp_path: Path) -> None:
    recorded, newer = stage_api(handler), stage_api(handler)
    record = tmp_path / "dev.json"
    record.write_text(json.dumps({"resources": [{"name": "rest_api", "resource_type": "rest_api",
                                                 "rest_api_id": recorded, "rest_api_url": "https://x/api/"}],
                                  "schema_version": "2.0", "backend": "api"}))
    said: list[str] = []
    converge(aws, STAGE, record, said.append)
    assert apis() == [recorded]
    assert any(newer in line and "deleted" in line for line in said)
    entries = json.loads(record.read_text())["resources"]
    assert [e["rest_api_id"] for e in entries if e["name"] == "rest_api"] == [recorded]
    assert {e["name"] for e in entries} == {"rest_api", "api_handler", "api_handler_role"}


def test_without_a_record_the_newest_copy_is_adopted(handler: str, tmp_path: Path) -> None:
    older, newest = stage_api(handler), stage_api(handler)
    record = tmp_path / "dev.json"
    converge(aws, STAGE, record, lambda _line: None)
    (kept,) = apis()
    adopted = [e for e in json.loads(record.read_text())["resources"] if e["name"] == "rest_api"]
    assert [e["rest_api_id"] for e in adopted] == [kept]
    assert kept == newest and older not in apis()


def test_another_stages_or_apps_api_is_never_touched(handler: str, tmp_path: Path) -> None:
    other_app = stage_api(handler, name="someone-else")
    apigateway = aws("apigateway")
    other_stage = apigateway.create_rest_api(name="serverless-blog")["id"]  # invokes nothing of this stage
    converge(aws, STAGE, tmp_path / "dev.json", lambda _line: None)
    assert apis() == sorted([other_app, other_stage])
    assert all(e["name"] != "rest_api" for e in json.loads((tmp_path / "dev.json").read_text())["resources"])
