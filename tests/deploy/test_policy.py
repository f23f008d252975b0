"""Least privilege: the policy files, and the check that compares them with what the suite called.

The check over the whole suite's record runs in CI as its own step
(`AWS_CALLS_RECORD=dist/aws-calls.json make test`, then
`python -m deploy.policy check dist/aws-calls.json`); here the pieces are
tested on their own, so running any subset of tests never fails spuriously.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deploy import policy, stages
from deploy.policy import APP_GRANTS, Grant, Recorder, grants_for, problems
from deploy.stages import CHALICE_CONFIG, PROJECT


def config() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CHALICE_CONFIG.read_text())
    return loaded


def test_autogen_policy_is_off_and_every_stage_names_its_policy_file() -> None:
    loaded = config()
    assert loaded["autogen_policy"] is False
    for name in stages.names():
        stage = stages.load(name)
        assert stage.policy_file.name == f"policy-{name}.json"
        assert stage.policy_file.exists()


def test_the_policy_files_are_what_the_grants_render() -> None:
    assert policy.stale_files() == [], "run: python -m deploy.policy write"


@pytest.mark.parametrize("name", stages.names())
def test_each_policy_names_exact_actions_on_its_own_stage_only(name: str) -> None:
    stage = stages.load(name)
    document = json.loads(stage.policy_file.read_text())
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in statement["Action"]), statement
        for resource in statement["Resource"]:
            if resource == "*":  # only what IAM cannot scope: CloudWatch's metric reads for the Costs page
                assert set(statement["Action"]) <= {"cloudwatch:GetMetricData", "cloudwatch:ListMetrics"}, statement
            elif ":dynamodb:" in resource:
                assert resource.split(":table/", 1)[1].split("/", 1)[0] == stage.table_name
            elif ":ssm:" in resource:
                assert resource.split(":parameter", 1)[1].startswith(stage.secrets_path + "/")
            elif ":ses:" in resource:
                assert resource.split(":identity/", 1)[1] in policy.sender_identities(stage)
            else:
                assert f"/aws/lambda/{stage.function_prefix}" in resource, resource
    # Nothing granted twice, and nothing beyond the app's calls and Lambda's own needs.
    actions = [(a, r) for s in document["Statement"] for a in s["Action"] for r in s["Resource"]]
    assert len(actions) == len(set(actions))
    granted = {a for a, _ in actions}
    expected = {g.action for g in APP_GRANTS if g.resource != "identity" or stage.notify_from}
    assert granted == expected | set(policy.LOG_ACTIONS) | (
        set(policy.STREAM_ACTIONS) if stages.app_shape().reads_stream else set())


def test_a_transaction_needs_the_actions_inside_it_not_a_transaction_permission() -> None:
    params: dict[str, Any] = {"TransactItems": [{"Put": {}}, {"Update": {}}, {"ConditionCheck": {}}, {"Delete": {}}]}
    assert grants_for("dynamodb", "TransactWriteItems", params) == {
        Grant("dynamodb:PutItem", "table"), Grant("dynamodb:UpdateItem", "table"),
        Grant("dynamodb:ConditionCheckItem", "table"), Grant("dynamodb:DeleteItem", "table")}


def test_a_query_on_an_index_needs_the_index_and_secrets_are_named_one_by_one() -> None:
    assert grants_for("dynamodb", "Query", {"IndexName": "GSI1"}) == {Grant("dynamodb:Query", "index")}
    assert grants_for("dynamodb", "Query", {}) == {Grant("dynamodb:Query", "table")}
    assert grants_for("ssm", "GetParameters", {"Names": ["/a/b/jwt-secret", "/a/b/edit-token-key"]}) == {
        Grant("ssm:GetParameters", "parameter:jwt-secret"), Grant("ssm:GetParameters", "parameter:edit-token-key")}
    assert grants_for("ses", "SendRawEmail", {}) == {Grant("ses:SendRawEmail", "identity")}
    assert grants_for("sns", "Publish", {}) == {Grant("sns:Publish", "*")}


def _record(grants: Iterable[Grant], complete: bool = True) -> dict[str, Any]:
    return {"complete": complete, "detail": "test", "grants": [
        {"action": g.action, "resource": g.resource, "first_seen_in": "tests/x.py::t"} for g in grants]}


def test_the_check_passes_on_exactly_the_granted_calls() -> None:
    assert problems(_record(APP_GRANTS)) == []


def test_the_check_fails_on_a_call_the_policy_lacks() -> None:
    found = problems(_record({*APP_GRANTS, Grant("dynamodb:Scan", "table")}))
    assert len(found) == 1 and found[0].startswith("missing: dynamodb:Scan on table (first called in tests/x.py::t)")


def test_the_check_fails_on_a_grant_nothing_uses() -> None:
    unused = sorted(APP_GRANTS)[0]
    found = problems(_record(APP_GRANTS - {unused}))
    assert found == [f"unused: {unused.action} on {unused.resource} is granted but no test made that call; "
                     "remove it from APP_GRANTS (or test the code that needs it)"]


def test_the_check_refuses_a_record_of_a_partial_run() -> None:
    found = problems(_record(set(), complete=False))
    assert len(found) == 1 and "not of a whole, passing test run" in found[0]


def test_the_recorder_counts_the_apps_calls_not_the_tests_own() -> None:
    recorder = Recorder().install()
    recorder.current = "this test"
    with mock_aws():
        from chalicelib import services as services_module
        from chalicelib.store.client import dynamodb_client
        from chalicelib.store.table import Table
        from infra.table import create_table

        services_module.reset()
        client = dynamodb_client()
        create_table(client, "recorded")  # a fixture's call: not the app's
        client.scan(TableName="recorded")  # the test's own call: not the app's
        boto3.client("dynamodb").describe_table(TableName="recorded")
        Table(client, "recorded").query("POSTS", index="GSI1", limit=1)  # the app's code
        services_module.reset()
    recorder.uninstall()
    assert set(recorder.seen) == {Grant("dynamodb:Query", "index")}
    assert recorder.seen[Grant("dynamodb:Query", "index")] == "this test"


def test_the_import_command_s_calls_through_the_app_s_store_are_not_the_lambda_s() -> None:
    from importer.import_options import Options
    from importer.run import run_import

    recorder = Recorder().install()
    with mock_aws():
        from chalicelib import services as services_module
        from chalicelib.store.client import dynamodb_client
        from chalicelib.store.table import Table
        from infra.table import create_table

        services_module.reset()
        client = dynamodb_client()
        create_table(client, "imported")
        report = run_import(PROJECT / "tests/fixtures/import/takeout-feed.atom", Table(client, "imported"),
                            Options(source="", default_author="admin"))
        services_module.reset()
    recorder.uninstall()
    assert report.created == 6  # its posts and comments, and the author account "owner"
    assert recorder.seen == {}


def test_the_record_of_a_run_is_written_only_when_asked(tmp_path: Path) -> None:
    # conftest.py writes it at the end of a session with AWS_CALLS_RECORD set; CI sets it for `make test`.
    text = (PROJECT / "tests/conftest.py").read_text()
    assert "AWS_CALLS_RECORD" in text and "Recorder().install()" in text
    ci = (PROJECT / ".ci/run").read_text()
    assert "AWS_CALLS_RECORD=dist/aws-calls.json make test" in ci
    assert "make policy-check" in ci
    assert "deploy.policy check dist/aws-calls.json" in (PROJECT / "Makefile").read_text()
