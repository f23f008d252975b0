"""Path 1 end to end, against moto in server mode: `make bootstrap`, twice, then the API on what it made.

The bootstrap runs as the operator runs it (`python -m deploy.bootstrap`, a
separate process, boto3 pointed at moto by AWS_ENDPOINT_URL). The app then
runs with the dev stage's own settings from .chalice/config.json, without any
secret in its environment, so it must find the table by name and the keys in SSM.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import services as services_module
from chalicelib.settings import SECRET_PARAMETERS
from deploy import stages
from deploy.bootstrap import data_stack_template
from deploy.stages import PROJECT
from devtools.moto_server import MotoServer
from infra.table import cloudformation_properties, definition

STAGE = stages.load("dev")
# The bootstrap's first and second runs.
Bootstrapped = tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = MotoServer().start()  # a free port on loopback
    yield server.url
    server.stop()


def _aws(url: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1"}


def run_bootstrap(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in SECRET_PARAMETERS}
    return subprocess.run([sys.executable, "-m", "deploy.bootstrap", "--stage", STAGE.name, *args],
                          cwd=PROJECT, env={**env, **_aws(url)}, capture_output=True, text=True, timeout=120)


def client(url: str, service: str) -> Any:
    # Any service by name: boto3's stubs type boto3.client per literal service name only.
    make: Callable[..., Any] = boto3.client
    return make(service, endpoint_url=url, region_name="us-east-1",
                aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def bootstrapped(moto_server: str) -> Bootstrapped:
    first = run_bootstrap(moto_server)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_bootstrap(moto_server)
    assert second.returncode == 0, second.stdout + second.stderr
    return first, second


def test_the_first_run_makes_the_table_stack_and_both_secrets(bootstrapped: Bootstrapped) -> None:
    first, _ = bootstrapped
    assert f"table stack {STAGE.data_stack_name} (table {STAGE.table_name}): created" in first.stdout
    for leaf in SECRET_PARAMETERS.values():
        assert f"secret {STAGE.secret_parameter(leaf)} (SecureString): created" in first.stdout
    assert "done: changes made" in first.stdout
    assert "STREAM_ARN=arn:aws:dynamodb:us-east-1:" in first.stdout  # the next step, spelled out


def test_a_second_run_changes_nothing(bootstrapped: Bootstrapped, moto_server: str) -> None:
    _, second = bootstrapped
    assert "created" not in second.stdout and "updated" not in second.stdout, second.stdout
    assert "done: nothing to change" in second.stdout
    events = client(moto_server, "cloudformation").describe_stack_events(StackName=STAGE.data_stack_name)
    assert not [e for e in events["StackEvents"] if "UPDATE" in e["ResourceStatus"]]


def test_the_table_is_the_one_infra_defines(bootstrapped: Bootstrapped, moto_server: str) -> None:
    spec = definition()
    table = client(moto_server, "dynamodb").describe_table(TableName=STAGE.table_name)["Table"]
    assert table["KeySchema"] == spec["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(spec["AttributeDefinitions"], key=str)
    assert {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table["GlobalSecondaryIndexes"]} == {
        i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in spec["GlobalSecondaryIndexes"]}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    # moto does not apply TTL, point-in-time recovery or SSE from a template; the stack's own
    # template is what CloudFormation applies, and it says all three.
    body = client(moto_server, "cloudformation").get_template(StackName=STAGE.data_stack_name)["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    properties = template["Resources"]["BlogTable"]["Properties"]
    assert properties == cloudformation_properties(STAGE.table_name, STAGE.deletion_protection)
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert template == data_stack_template(STAGE)


def test_each_function_has_a_log_group_with_the_stage_retention(bootstrapped: Bootstrapped, moto_server: str) -> None:
    groups = client(moto_server, "logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups}
    for function in stages.app_shape().functions:
        assert retention.get(STAGE.log_group(function)) == STAGE.log_retention_days, retention


def test_the_secrets_are_secure_strings_long_enough_for_the_app(bootstrapped: Bootstrapped, moto_server: str) -> None:
    ssm = client(moto_server, "ssm")
    names = [STAGE.secret_parameter(leaf) for leaf in SECRET_PARAMETERS.values()]
    found = ssm.get_parameters(Names=names, WithDecryption=True)["Parameters"]
    assert {p["Name"] for p in found} == set(names)
    assert {p["Type"] for p in found} == {"SecureString"}
    assert all(len(p["Value"]) >= 32 for p in found)
    assert len({p["Value"] for p in found}) == len(SECRET_PARAMETERS)  # each secret its own
    # Not in the repo: no value appears in any tracked configuration.
    config = (PROJECT / ".chalice/config.json").read_text()
    assert not any(p["Value"] in config for p in found)


def test_the_api_works_on_the_table_it_made_with_its_secrets_from_ssm(bootstrapped: Bootstrapped, moto_server: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_PARAMETERS:
        monkeypatch.delenv(name, raising=False)
    for name, value in _aws(moto_server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BLOG_ADMINS", "ops")
    # Step 3 of path 1: the operator makes the admin account (sign-up refuses the name).
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in SECRET_PARAMETERS}
    made = subprocess.run([sys.executable, "-m", "deploy.admin", "--stage", STAGE.name, "--username", "ops",
                           "--email", "ops@example.com"], cwd=PROJECT, capture_output=True, text=True, timeout=120,
                          env={**env, **_aws(moto_server), "ADMIN_PASSWORD": "a long passphrase"})
    assert made.returncode == 0, made.stdout + made.stderr
    services_module.reset()
    from app import app
    from chalicelib.store.client import ssm_client

    ssm_calls: list[str] = []
    ssm_client().meta.events.register("before-call.ssm.*", lambda event_name, **_: ssm_calls.append(event_name))
    try:
        with Client(app, stage_name=STAGE.name) as api:
            def json_request(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
                headers = {"Content-Type": "application/json"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                reply = api.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")
                assert reply.status_code < 300, (method, path, reply.status_code, reply.body)
                return json.loads(reply.body)

            token = json_request("POST", "/auth/login", {"email": "ops@example.com",
                                                        "password": "a long passphrase"})["token"]
            post = json_request("POST", "/posts", {"title": "Deployed", "body": "It *works*."}, token)
            json_request("POST", f"/posts/{post['slug']}/comments", {"body": "Hello", "author_name": "Ann"})
            page = json_request("GET", f"/posts/{post['slug']}?embed=comments")
            listed = json_request("GET", "/posts")
    finally:
        services_module.reset()
    assert page["title"] == "Deployed" and page["comment_count"] == 1
    assert [p["slug"] for p in listed["items"]] == [post["slug"]]
    assert ssm_calls == ["before-call.ssm.GetParameters"], "the secrets are read once per container, then cached"
    stored = client(moto_server, "dynamodb").get_item(
        TableName=STAGE.table_name, Key={"PK": {"S": f"POST#{post['slug']}"}, "SK": {"S": "#POST"}})
    assert "Item" in stored


def test_teardown_removes_the_stack_the_table_and_the_secrets(bootstrapped: Bootstrapped, moto_server: str) -> None:
    # Runs last in this module (tests run in file order): it deletes what the others read.
    done = run_bootstrap(moto_server, "--delete", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert STAGE.table_name not in client(moto_server, "dynamodb").list_tables()["TableNames"]
    names = [STAGE.secret_parameter(leaf) for leaf in SECRET_PARAMETERS.values()]
    assert set(client(moto_server, "ssm").get_parameters(Names=names)["InvalidParameters"]) == set(names)
    again = run_bootstrap(moto_server, "--delete", "--yes")
    assert again.returncode == 0 and "not there" in again.stdout
