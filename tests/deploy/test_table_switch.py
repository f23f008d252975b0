"""Specification: `make use-table` (deploy/switch.py) points a stage at a restored table, and back.

On a moto server with the deploy gaps closed (devtools/moto_deploy.py): the data
stack lets go of its table without deleting it, names the new one in its outputs,
and the stage's TABLE_NAME and policy file follow; every refusal changes nothing.
The whole path through `make restore-pitr SWITCH=1` and `chalice deploy` is in
test_table_switch_deploy.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from deploy import stages
from deploy.backups import main as backups_main
from deploy.backups import restore
from deploy.bootstrap import BootstrapError, bootstrap, current_template, stack_table, teardown
from deploy.stages import CHALICE_CONFIG
from deploy.switch import SwitchError, stage_tags, switch
from devtools.moto_server import MotoServer
from infra.table import create_table, create_table_params

STAGE = stages.load("dev")
POST = {"PK": {"S": "POST#hello"}, "SK": {"S": "#POST"}, "title": {"S": "Hello"}}
LATER = {"PK": {"S": "POST#later"}, "SK": {"S": "#POST"}, "title": {"S": "Written after the time"}}


def quiet(_line: str) -> None:
    pass


@dataclass
class Account:
    aws: Callable[[str], Any]
    config: Path  # a copy of .chalice/config.json, beside copies of the policy files

    @property
    def dynamodb(self) -> Any:
        return self.aws("dynamodb")

    @property
    def cfn(self) -> Any:
        return self.aws("cloudformation")

    def table_name(self) -> str:
        return str(json.loads(self.config.read_text())["stages"][STAGE.name]["environment_variables"]["TABLE_NAME"])

    def stage(self) -> stages.Stage:
        """The stage as a tool would load it from the (copied) config."""
        return replace(STAGE, table_name=self.table_name())

    def state(self) -> dict[str, Any]:
        """Everything a switch may change: the stack's template, the record, the tables."""
        return {"template": current_template(self.cfn, STAGE.data_stack_name), "config": self.config.read_text(),
                "policy": (self.config.parent / STAGE.policy_file.name).read_text(),
                "tables": sorted(self.dynamodb.list_tables()["TableNames"])}

    def restored(self) -> str:
        return restore(self.dynamodb, self.stage(), None, quiet)


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    started = MotoServer().start()
    yield started
    started.stop()


@pytest.fixture
def account(server: MotoServer, tmp_path: Path) -> Account:
    """An empty account with the dev stage bootstrapped (its data stack and secrets), one post in its table."""
    assert requests.post(server.url + "/moto-api/reset", timeout=30).status_code == 200
    shutil.copytree(CHALICE_CONFIG.parent, tmp_path / ".chalice", ignore=shutil.ignore_patterns("deployed*"))

    def aws(service: str) -> Any:
        make: Callable[..., Any] = boto3.client
        return make(service, endpoint_url=server.url, region_name="us-east-1",
                    aws_access_key_id="testing", aws_secret_access_key="testing")

    created = Account(aws, tmp_path / ".chalice" / "config.json")
    bootstrap(STAGE, created.cfn, aws("ssm"), quiet)
    created.dynamodb.put_item(TableName=STAGE.table_name, Item=POST)
    return created


def outputs(account: Account) -> dict[str, str]:
    stack = account.cfn.describe_stacks(StackName=STAGE.data_stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_the_stage_follows_the_switch_and_the_old_table_is_kept(account: Account) -> None:
    target = account.restored()

    old = switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)

    described = account.dynamodb.describe_table(TableName=target)["Table"]
    assert old == STAGE.table_name
    assert outputs(account) == {"TableName": target, "TableArn": described["TableArn"],
                                "TableStreamArn": described["LatestStreamArn"]}
    assert stack_table(current_template(account.cfn, STAGE.data_stack_name)) == (target, False)
    assert account.dynamodb.scan(TableName=STAGE.table_name)["Items"] == [POST]  # left the stack, not deleted
    assert account.table_name() == target
    policy = (account.config.parent / STAGE.policy_file.name).read_text()
    assert f"table/{target}" in policy and f"table/{STAGE.table_name}\"" not in policy


def test_a_later_bootstrap_keeps_the_switch(account: Account) -> None:
    target = account.restored()
    switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)
    before = account.state()

    changed = bootstrap(account.stage(), account.cfn, account.aws("ssm"), quiet)

    assert changed is False
    assert account.state() == before


def test_a_clone_without_the_switch_cannot_revert_it(account: Account) -> None:
    target = account.restored()
    switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)
    before = account.state()

    with pytest.raises(BootstrapError, match=f"serves table {target}.*lacks that commit"):
        bootstrap(STAGE, account.cfn, account.aws("ssm"), quiet)  # TABLE_NAME as before the switch

    assert account.state() == before


def test_renaming_the_table_in_the_config_is_refused_not_a_replacement(account: Account) -> None:
    before = account.state()

    with pytest.raises(BootstrapError, match="make use-table"):
        bootstrap(replace(STAGE, table_name="blog-dev-renamed"), account.cfn, account.aws("ssm"), quiet)

    assert account.state() == before


def test_switching_back_to_the_old_table_works_the_same_way(account: Account) -> None:
    target = account.restored()
    switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)

    old = switch(account.stage(), STAGE.table_name, account.dynamodb, account.cfn, quiet, account.config)

    assert old == target
    assert outputs(account)["TableName"] == STAGE.table_name
    assert account.table_name() == STAGE.table_name
    assert (account.config.parent / STAGE.policy_file.name).read_text() == STAGE.policy_file.read_text()
    assert target in account.dynamodb.list_tables()["TableNames"]  # kept too


def test_teardown_after_a_switch_deletes_the_table_in_use_and_keeps_the_old_one(account: Account) -> None:
    target = account.restored()
    switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)

    teardown(account.stage(), account.cfn, account.aws("ssm"), quiet, account.dynamodb)

    stacks = [s["StackName"] for s in account.cfn.list_stacks()["StackSummaries"]
              if s["StackStatus"] != "DELETE_COMPLETE"]
    assert stacks == []
    assert account.dynamodb.list_tables()["TableNames"] == [STAGE.table_name]


def _unmapped(account: Account, name: str, drop: str) -> str:
    """A table tagged as the stage's, made without one part of the layout (``drop``: a CreateTable parameter)."""
    params = create_table_params(name)
    if drop == "GSI2":
        params["GlobalSecondaryIndexes"] = params["GlobalSecondaryIndexes"][:1]
        params["AttributeDefinitions"] = [a for a in params["AttributeDefinitions"]
                                          if not a["AttributeName"].startswith("GSI2")]
    else:
        params.pop(drop)
    account.dynamodb.create_table(**params)
    arn = account.dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    account.dynamodb.tag_resource(ResourceArn=arn, Tags=stage_tags(STAGE))
    return name


@pytest.mark.parametrize(("make_target", "reason"), [
    (lambda account: "blog-dev-no-such-table", "there is no table blog-dev-no-such-table"),
    (lambda account: STAGE.table_name, "already stage dev's table"),
    (lambda account: _unmapped(account, "blog-dev-no-stream", "StreamSpecification"),
     "its stream is not on with NEW_AND_OLD_IMAGES.*TTL is not on for ttl.*point-in-time recovery is off"),
    (lambda account: _unmapped(account, "blog-dev-one-index", "GSI2"), "index GSI2 is missing"),
])
def test_a_switch_to_a_table_that_cannot_serve_the_stage_is_refused_with_nothing_changed(
        account: Account, make_target: Callable[[Account], str], reason: str) -> None:
    target = make_target(account)
    before = account.state()

    with pytest.raises(SwitchError, match=reason):
        switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)

    assert account.state() == before


def test_another_stages_table_is_refused_with_nothing_changed(account: Account) -> None:
    prod = stages.load("prod")
    target = restore(account.dynamodb, replace(prod, table_name=STAGE.table_name, deletion_protection=False),
                     None, quiet)  # the dev table's copy, but restored and tagged for prod
    before = account.state()

    with pytest.raises(SwitchError, match="not tagged as stage dev's table"):
        switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)

    assert account.state() == before


def test_a_protected_stage_refuses_a_table_without_deletion_protection(account: Account) -> None:
    target = account.restored()  # restored for dev, which is not protected
    protected = replace(account.stage(), deletion_protection=True)

    with pytest.raises(SwitchError, match="deletion protection is off"):
        switch(protected, target, account.dynamodb, account.cfn, quiet, account.config)


def test_without_a_data_stack_there_is_nothing_to_switch(account: Account) -> None:
    target = account.restored()
    account.cfn.delete_stack(StackName=STAGE.data_stack_name)

    with pytest.raises(SwitchError, match="make bootstrap"):
        switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)


def test_the_moto_server_restores_the_table_as_it_was_at_the_time(account: Account) -> None:
    # devtools/moto_deploy.py: the copy is taken back through the source's stream.
    between = datetime.now(UTC)
    account.dynamodb.put_item(TableName=STAGE.table_name, Item=LATER)
    account.dynamodb.put_item(TableName=STAGE.table_name, Item={**POST, "title": {"S": "Edited later"}})

    target = restore(account.dynamodb, STAGE, between, quiet)

    assert account.dynamodb.scan(TableName=target)["Items"] == [POST]
    assert len(account.dynamodb.scan(TableName=STAGE.table_name)["Items"]) == 2


def test_restore_with_switch_that_is_refused_says_the_table_is_restored_but_not_in_use(
        account: Account, server: MotoServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in (("AWS_ENDPOINT_URL", server.url), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    prod = stages.load("prod")  # a stage without a data stack, as on the package path
    create_table(account.dynamodb, prod.table_name)
    config = CHALICE_CONFIG.read_text()

    status = backups_main(["restore", "--stage", "prod", "--time", "latest", "--switch"])

    assert status == 1
    error = capsys.readouterr().err
    assert "is restored, but the stage was not switched to it" in error and "make bootstrap" in error
    assert any(t.startswith(f"{prod.table_name}-restored-") for t in account.dynamodb.list_tables()["TableNames"])
    assert CHALICE_CONFIG.read_text() == config


def test_a_switch_interrupted_before_its_record_is_finished_by_running_it_again(account: Account) -> None:
    target = account.restored()
    config = account.config.read_text()
    switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)
    account.config.write_text(config)  # as if the stack had moved but config.json was never written
    template = current_template(account.cfn, STAGE.data_stack_name)

    switch(account.stage(), target, account.dynamodb, account.cfn, quiet, account.config)

    assert account.table_name() == target
    assert current_template(account.cfn, STAGE.data_stack_name) == template
