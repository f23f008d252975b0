"""Specification: `make restore-pitr SWITCH=1` on a deployed stage, end to end, as `make deploy-check` runs it.

A copy of the project is deployed with the real `make deploy` against a moto server
(devtools/deploy_check). A post is written, the time noted, a later post written;
then `make restore-pitr STAGE=dev TIME=<that time> SWITCH=1`. The uploaded code, run
as Lambda runs it, must then answer from the restored table (the later post gone),
with one stream mapping, on the new table's stream, and a policy naming the new
table. A second `make deploy` changes nothing; `make use-table` refuses what cannot
serve the stage and changes nothing; `make teardown` keeps only the old table.

moto restores as of the time only through the local server's middleware
(devtools/moto_deploy.py: the source's stream undone past the time).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from deploy.stages import API_HANDLER
from devtools.deploy_check import controls
from devtools.deploy_check.check import ADMIN, Check, CheckFailed, make, project_copy
from devtools.deploy_check.walkthrough import call, proxy_event, walkthrough
from devtools.moto_server import MotoServer
from infra.table import create_table_params

WRITER = {"email": "writer1@example.com", "password": "a long passphrase"}  # the walkthrough's author


@dataclass
class Switched:
    server: MotoServer
    project: Path
    check: Check
    target: str      # the restored table the stage was switched to
    old: str         # the table it used before
    later_slug: str  # the post written after the restore's time
    answers: dict[str, Any]


def _answers(check: Check, project: Path, later_slug: str) -> dict[str, Any]:
    """What the deployed code answers now: the post list, and the later post read by its slug."""
    functions = check.functions(project)
    try:
        api = functions[API_HANDLER].invoke
        return {"slugs": [p["slug"] for p in call(api, 200, "GET", "/posts")["items"]],
                "later": api(proxy_event("GET", "/posts/{slug}", params={"slug": later_slug}))["statusCode"]}
    finally:
        for function in functions.values():
            function.close()


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Switched]:
    server = MotoServer().start()
    assert requests.post(server.url + "/moto-api/reset", timeout=30).status_code == 200
    work = tmp_path_factory.mktemp("switch")
    project = project_copy(work)
    check = Check(server.url, work, lambda _line: None)
    try:
        make(project, server.url, "deploy")
        make(project, server.url, "admin", f"USERNAME={ADMIN[0]}", f"EMAIL={ADMIN[1]}",
             extra={"ADMIN_PASSWORD": ADMIN[2]})
        functions = check.functions(project)
        try:
            api = functions[API_HANDLER].invoke
            walkthrough(api, ADMIN[1], ADMIN[2])  # writer1's first post, with a comment and a reply
            when = datetime.now(UTC)
            token = call(api, 200, "POST", "/auth/login", body=WRITER)["token"]
            later = call(api, 201, "POST", "/posts", token=token,
                         body={"title": "Written after the time", "body": "Gone after the restore."})
        finally:
            for function in functions.values():
                function.close()
        old = check.stage.table_name
        make(project, server.url, "restore-pitr", f"TIME={when.isoformat()}", "SWITCH=1")
        target = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["dev"][
            "environment_variables"]["TABLE_NAME"]
        yield Switched(server, project, check, target, old, later["slug"],
                       _answers(check, project, later["slug"]))
    finally:
        server.stop()


def test_the_stage_reads_the_restored_table_and_the_later_post_is_gone(switched: Switched) -> None:
    assert switched.target.startswith(f"{switched.old}-restored-")
    assert switched.answers == {"slugs": ["my-first-post"], "later": 404}
    # The old table is kept as it was, the later post in it.
    kept = switched.check.aws("dynamodb").scan(TableName=switched.old)["Items"]
    assert any(item.get("slug") == {"S": switched.later_slug} for item in kept)


def test_every_function_is_given_the_restored_table(switched: Switched) -> None:
    live = switched.check.observe()
    names = {name: config["Environment"]["Variables"]["TABLE_NAME"] for name, config in live.functions.items()}
    assert names == dict.fromkeys(live.functions, switched.target)


def test_the_stream_mapping_moved_to_the_new_tables_stream(switched: Switched) -> None:
    stream = switched.check.aws("dynamodb").describe_table(TableName=switched.target)["Table"]["LatestStreamArn"]
    mappings = switched.check.observe().mappings
    assert [m["EventSourceArn"] for m in mappings] == [stream]


def test_the_role_policies_name_the_new_table_only(switched: Switched) -> None:
    resources = [resource for policies in switched.check.observe().role_policies.values()
                 for document in policies.values() for statement in document["Statement"]
                 for resource in statement["Resource"] if ":dynamodb:" in resource]
    assert resources
    assert all(f":table/{switched.target}" in resource for resource in resources), resources


def test_a_second_deploy_changes_nothing(switched: Switched) -> None:
    lines = controls.redeploy(switched.check, lambda: make(switched.project, switched.server.url, "deploy"))

    assert "unchanged" in lines[0]


def _record(switched: Switched) -> dict[str, Any]:
    cfn = switched.check.aws("cloudformation")
    return {"template": cfn.get_template(StackName=switched.check.stage.data_stack_name)["TemplateBody"],
            "config": (switched.project / ".chalice" / "config.json").read_text(),
            "functions": {n: c["Environment"] for n, c in switched.check.observe().functions.items()},
            "mappings": [m["UUID"] for m in switched.check.observe().mappings]}


@pytest.mark.parametrize(("table", "reason"), [
    ("blog-dev-no-such-table", "there is no table blog-dev-no-such-table"),
    ("{target}", "is already stage dev's table"),
    ("blog-dev-no-stream", "its stream is not on"),
])
def test_make_use_table_refuses_what_cannot_serve_the_stage_and_changes_nothing(
        switched: Switched, table: str, reason: str) -> None:
    table = table.format(target=switched.target)
    if table == "blog-dev-no-stream":
        params = create_table_params(table)
        params.pop("StreamSpecification")
        dynamodb = switched.check.aws("dynamodb")
        dynamodb.create_table(**params)
        dynamodb.tag_resource(ResourceArn=dynamodb.describe_table(TableName=table)["Table"]["TableArn"],
                              Tags=[{"Key": "app", "Value": "serverless-blog"}, {"Key": "stage", "Value": "dev"}])
    before = _record(switched)

    with pytest.raises(CheckFailed, match=reason) as refused:
        make(switched.project, switched.server.url, "use-table", f"TABLE={table}")

    assert "Nothing was changed" in str(refused.value) and "Traceback" not in str(refused.value)
    assert _record(switched) == before


def test_teardown_leaves_only_the_old_table(switched: Switched) -> None:
    make(switched.project, switched.server.url, "teardown", stdin="dev\n")

    live = switched.check.observe()
    stacks = [s["StackName"] for s in switched.check.aws("cloudformation").list_stacks()["StackSummaries"]
              if s["StackStatus"] != "DELETE_COMPLETE"]
    tables = switched.check.aws("dynamodb").list_tables()["TableNames"]
    assert (live.functions, live.mappings, stacks) == ({}, [], [])
    assert switched.old in tables  # kept on purpose: a switch never deletes data
    assert switched.target not in tables  # the table in use goes with the stage (dev keeps no table)
