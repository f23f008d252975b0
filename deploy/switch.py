"""``make use-table STAGE=<stage> TABLE=<table>``: point a stage at another table (a restored one), then redeploy.

The stage's table belongs to its data stack (``make bootstrap``). A table made
by a restore cannot join that stack without CloudFormation resource import,
so the switch does the reverse: the stack lets go of the table it owns and
names the new one in its outputs instead.

1. Refuse, changing nothing, unless TABLE exists, is the stage's (tagged
   ``stage=<stage>``, as ``make restore-pitr`` tags what it makes), is not
   already the stage's table, and has the stage's layout: infra/table.json's
   keys and indexes, the stream with both images, TTL, point-in-time recovery,
   and deletion protection for a protected stage.
2. The data stack lets go of the table it owns without deleting it: first its
   ``DeletionPolicy`` becomes ``Retain`` (CloudFormation applies the policy of
   the template a resource leaves), then the resource leaves the template.
   The stack's outputs (TableName, TableArn, TableStreamArn) name TABLE from
   then on, which is where `make deploy` reads STREAM_ARN. The old table is
   tagged as the stage's, so switching back to it is the same command.
3. The stage's ``TABLE_NAME`` in .chalice/config.json becomes TABLE and the
   stage's policy file is rendered for it (deploy/policy.py): the one place
   every tool reads the stage's table from. Commit both.

``make use-table`` then runs ``make deploy``: the functions' environment and the
role's policy follow the files, and deploy/converge.py moves the stream mapping
to the new stream (deleting the old one first, so there is never a second).
A later ``make bootstrap`` keeps the switch, and refuses a clone that lacks it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy import stages
from deploy.stages import CHALICE_CONFIG, Stage
from infra.table import definition

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TagTypeDef

Say = Callable[[str], None]
_SETTLED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")


class SwitchError(Exception):
    pass


def stage_tags(stage: Stage) -> list[TagTypeDef]:
    """The tags that say a table is the stage's (as the data stack tags what it owns)."""
    return [{"Key": "app", "Value": stage.app_name}, {"Key": "stage", "Value": stage.name}]


def layout_problems(client: DynamoDBClient, table: dict[str, Any], stage: Stage) -> list[str]:
    """How a described table differs from what the stage's table must be (infra/table.json, infra/stages.json)."""
    spec = definition()
    name = table["TableName"]
    problems = []
    if table.get("TableStatus") != "ACTIVE":
        problems.append(f"it is {table.get('TableStatus')}, not ACTIVE")
    if table.get("KeySchema") != spec["KeySchema"]:
        problems.append(f"its keys are {table.get('KeySchema')}, not {spec['KeySchema']}")
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    for attribute in spec["AttributeDefinitions"]:
        if types.get(attribute["AttributeName"]) != attribute["AttributeType"]:
            problems.append(f"attribute {attribute['AttributeName']} is not of type {attribute['AttributeType']}")
    indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"].get("ProjectionType"))
               for i in table.get("GlobalSecondaryIndexes", [])}
    for index in spec["GlobalSecondaryIndexes"]:
        if indexes.get(index["IndexName"]) != (index["KeySchema"], index["Projection"]["ProjectionType"]):
            problems.append(f"index {index['IndexName']} is missing or keyed differently")
    stream = table.get("StreamSpecification") or {}
    wanted = spec["StreamSpecification"]
    if not stream.get("StreamEnabled") or stream.get("StreamViewType") != wanted["StreamViewType"]:
        problems.append(f"its stream is not on with {wanted['StreamViewType']} (the stream handler reads it)")
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") != "ENABLED" or ttl.get("AttributeName") != spec["TimeToLiveAttribute"]:
        problems.append(f"TTL is not on for {spec['TimeToLiveAttribute']}")
    recovery = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    if spec["PointInTimeRecovery"] and recovery.get("PointInTimeRecoveryDescription", {}).get(
            "PointInTimeRecoveryStatus") != "ENABLED":
        problems.append("point-in-time recovery is off")
    if stage.deletion_protection and not table.get("DeletionProtectionEnabled"):
        problems.append(f"deletion protection is off, and stage {stage.name} is protected")
    return problems


def _refusals(client: DynamoDBClient, target: str, stage: Stage) -> tuple[dict[str, Any], list[str]]:
    """The target table's description, and every reason not to switch to it."""
    try:
        table = dict(client.describe_table(TableName=target)["Table"])
    except client.exceptions.ResourceNotFoundException:
        raise SwitchError(f"there is no table {target}") from None
    tags = {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=str(table["TableArn"]))
            .get("Tags", [])}
    refusals = []
    if tags.get("stage") != stage.name or tags.get("app") != stage.app_name:
        refusals.append(f"it is not tagged as stage {stage.name}'s table (app={stage.app_name}, stage={stage.name}; "
                        f"it has {tags or 'no tags'}): make restore-pitr tags what it restores for a stage")
    return table, refusals + layout_problems(client, table, stage)


def record(config: Path, stage: Stage, table: str) -> None:
    """TABLE_NAME in .chalice/config.json and the policy file rendered for it: where every tool reads the table."""
    from deploy import policy

    loaded = json.loads(config.read_text())
    loaded["stages"][stage.name].setdefault("environment_variables", {})["TABLE_NAME"] = table
    config.write_text(json.dumps(loaded, indent=2) + "\n")
    (config.parent / stage.policy_file.name).write_text(policy.render_file(replace(stage, table_name=table)))


def switch(stage: Stage, target: str, dynamodb: DynamoDBClient, cfn: CloudFormationClient, say: Say,
           config: Path = CHALICE_CONFIG) -> str:
    """Point the stage at ``target`` (see the module's steps); the table it used before."""
    from deploy import bootstrap

    name = stage.data_stack_name
    stack = bootstrap.existing_stack(cfn, name)
    if stack is None:
        raise SwitchError(f"stage {stage.name} has no data stack {name}: run make bootstrap STAGE={stage.name} "
                          "(the switch is for the make deploy path; see docs: Backups)")
    if stack["StackStatus"] not in _SETTLED:
        raise SwitchError(f"stack {name} is {stack['StackStatus']}; switch when it is settled")
    template = bootstrap.current_template(cfn, name)
    active, owned = bootstrap.stack_table(template)
    if target == active == stage.table_name:
        raise SwitchError(f"{target} is already stage {stage.name}'s table")
    if active not in (stage.table_name, target):
        raise SwitchError(f"stack {name} serves {active} but .chalice/config.json names {stage.table_name}: "
                          "bring this clone up to date first")
    table, refusals = _refusals(dynamodb, target, stage)
    if refusals:
        raise SwitchError(f"{target} cannot be stage {stage.name}'s table: " + "; ".join(refusals))
    if active != target:  # else a switch whose stack update was done but whose record was not
        if owned:
            dynamodb.tag_resource(ResourceArn=table_arn(dynamodb, active), Tags=stage_tags(stage))
            resource = template["Resources"][bootstrap.TABLE]
            if resource.get("DeletionPolicy") != "Retain":
                retained = {**template, "Resources": {**template["Resources"], bootstrap.TABLE: {
                    **resource, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}}}
                cfn.update_stack(StackName=name, TemplateBody=json.dumps(retained, indent=1, sort_keys=True),
                                 Tags=bootstrap.stack_tags(stage))
                bootstrap.wait_for_update(cfn, name)
                say(f"stack {name}: its table {active} is retained (DeletionPolicy Retain) when it leaves the stack")
        stream = table.get("LatestStreamArn", "")
        switched = bootstrap.data_stack_template(stage, bootstrap.switched_outputs(target, table["TableArn"], stream))
        cfn.update_stack(StackName=name, TemplateBody=json.dumps(switched, indent=1, sort_keys=True),
                         Tags=bootstrap.stack_tags(stage))
        bootstrap.wait_for_update(cfn, name)
        say(f"stack {name}: serves {target} (stream {stream}); {active} left the stack and is kept")
    record(config, stage, target)
    say(f"{config.name}: stage {stage.name}'s TABLE_NAME is {target}; {stage.policy_file.name} names it. "
        "Commit both")
    return active


def table_arn(dynamodb: DynamoDBClient, table: str) -> str:
    return str(dynamodb.describe_table(TableName=table)["Table"]["TableArn"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.switch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=stages.names())
    parser.add_argument("--table", required=True, help="the table the stage uses from now on")
    args = parser.parse_args(argv)
    stage = stages.load(args.stage)

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.Session(region_name=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION"))
    try:
        old = switch(stage, args.table.strip(), session.client("dynamodb"), session.client("cloudformation"), print)
    except SwitchError as error:
        print(f"use-table failed: {error}. Nothing was changed.", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"use-table failed: {error}", file=sys.stderr)
        return 1
    print(f"next: make deploy STAGE={stage.name} (make use-table runs it); {old} is kept: delete it "
          "when you no longer need it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
