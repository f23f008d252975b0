"""``make bootstrap STAGE=<stage>``: what `chalice deploy --stage <stage>` needs to exist first.

1. The stage's table, as a CloudFormation stack of its own (``<app>-<stage>-data``)
   built from infra/table.json, with stream, TTL, point-in-time recovery,
   encryption and on-demand billing; in the same stack, a log group with the
   stage's retention for each Lambda function `chalice deploy` will make
   (otherwise Lambda makes them itself, keeping logs, and their cost, forever).
2. The stage's secrets, as SSM SecureString parameters under the stage's
   ``SECRETS_PARAMETER_PATH`` (random, 48 bytes; never printed, never in the repo).

Idempotent: a second run changes nothing and says so. An existing secret is
never replaced (that would sign every reader out); the table stack is updated
only when infra/ changed. ``--secrets-only`` makes just the secrets, for the
one-stack path (``make package``), whose stack has the table in it.
``--delete`` tears the stage's table stack and secrets down again.

boto3 picks credentials and region as the AWS CLI does, and honours
``AWS_ENDPOINT_URL``, so the same command runs against moto in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.settings import OPTIONAL_SECRET_PARAMETERS, SECRET_PARAMETERS
from deploy import stages
from deploy.stages import Stage
from infra.table import cloudformation_resource

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import TagTypeDef, WaiterConfigTypeDef
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ssm import SSMClient

Say = Callable[[str], None]
_WAIT: WaiterConfigTypeDef = {"Delay": 5, "MaxAttempts": 180}  # up to 15 minutes; a table usually takes under one


class BootstrapError(Exception):
    pass


TABLE = "BlogTable"  # the table's logical id in the data stack


def data_stack_template(stage: Stage, switched: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data stack; ``switched`` (its Outputs, from switched_outputs) when the stage uses a table it does not own."""
    resources: dict[str, Any] = {} if switched else {
        TABLE: cloudformation_resource(stage.table_name, stage.retain_table, stage.deletion_protection)}
    for function in stages.app_shape().functions:
        # A logical id per function name, so adding a function never renames another's group.
        logical_id = "".join(part.title() for part in function.split("_") if part.isalnum()) + "LogGroup"
        resources[logical_id] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": stage.log_group(function), "RetentionInDays": stage.log_retention_days},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{stage.app_name} {stage.name}: the DynamoDB table (infra/table.json) and log groups",
        "Resources": resources,
        "Outputs": switched or {
            "TableName": {"Value": {"Ref": TABLE}},
            "TableArn": {"Value": {"Fn::GetAtt": [TABLE, "Arn"]}},
            "TableStreamArn": {"Value": {"Fn::GetAtt": [TABLE, "StreamArn"]}},
        },
    }


def switched_outputs(table: str, arn: str, stream_arn: str) -> dict[str, Any]:
    """The Outputs naming a table the stack does not own (deploy/switch.py): the same keys, plain values."""
    return {"TableName": {"Value": table}, "TableArn": {"Value": arn}, "TableStreamArn": {"Value": stream_arn}}


def stack_table(template: dict[str, Any]) -> tuple[str, bool]:
    """The table a data stack's template serves, and whether the stack owns it (False after a switch)."""
    owned = template.get("Resources", {}).get(TABLE)
    if owned:
        return str(owned["Properties"]["TableName"]), True
    return str(template.get("Outputs", {}).get("TableName", {}).get("Value", "")), False


def current_template(cfn: CloudFormationClient, name: str) -> dict[str, Any]:
    body = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    loaded: dict[str, Any] = json.loads(body) if isinstance(body, str) else dict(body)
    return loaded


def stack_tags(stage: Stage) -> list[TagTypeDef]:
    return [{"Key": "app", "Value": stage.app_name}, {"Key": "stage", "Value": stage.name}]


def existing_stack(cfn: CloudFormationClient, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        found = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return dict(found[0]) if found else None


def ensure_stack(cfn: CloudFormationClient, stage: Stage) -> str:
    """Create or update the table stack; "created", "updated" or "unchanged"."""
    from botocore.exceptions import ClientError

    name = stage.data_stack_name
    template = data_stack_template(stage)
    body = json.dumps(template, indent=1, sort_keys=True)
    stack = existing_stack(cfn, name)
    if stack is None:
        cfn.create_stack(StackName=name, TemplateBody=body, Tags=stack_tags(stage),
                         EnableTerminationProtection=stage.deletion_protection)
        cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=_WAIT)
        return "created"
    status = stack["StackStatus"]
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"):
        raise BootstrapError(f"stack {name} is {status}: see its events, delete it "
                             f"(aws cloudformation delete-stack --stack-name {name}) and run again")
    if status.endswith("_IN_PROGRESS"):
        raise BootstrapError(f"stack {name} is busy ({status}); run again when it is done")
    current = current_template(cfn, name)
    table, owned = stack_table(current)
    if table != stage.table_name:
        # Never rename (CloudFormation would replace the table) nor revert a switch from a clone without it.
        raise BootstrapError(
            f"stack {name} serves table {table}, but .chalice/config.json names {stage.table_name} for stage "
            f"{stage.name}: if the stage was switched (make use-table), this clone lacks that commit; to move "
            f"the stage to another table, use make use-table STAGE={stage.name} TABLE=…")
    if not owned:
        template = data_stack_template(stage, switched=current["Outputs"])
        body = json.dumps(template, indent=1, sort_keys=True)
    if current == template:
        return "unchanged"
    try:
        cfn.update_stack(StackName=name, TemplateBody=body, Tags=stack_tags(stage))
    except ClientError as error:
        if "No updates are to be performed" in str(error):
            return "unchanged"
        raise
    wait_for_update(cfn, name)
    return "updated"


def wait_for_update(cfn: CloudFormationClient, name: str) -> None:
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=_WAIT)


def ensure_secret(ssm: SSMClient, stage: Stage, name: str) -> str:
    """Create the SecureString if it is missing; "created" or "kept". Never overwrites."""
    from botocore.exceptions import ClientError

    try:
        ssm.put_parameter(
            Name=name, Type="SecureString", Value=secrets.token_urlsafe(48), Overwrite=False,
            Description=f"{stage.app_name} {stage.name}: signing key (deploy/bootstrap.py)",
            Tags=stack_tags(stage),
        )
        return "created"
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ParameterAlreadyExists":
            raise
    existing = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    if existing.get("Type") != "SecureString":
        raise BootstrapError(f"{name} exists but is a {existing.get('Type')}, not a SecureString; "
                             "delete it and run again")
    if len(existing.get("Value", "")) < 32:
        raise BootstrapError(f"{name} is shorter than 32 characters; the app refuses it")
    return "kept"


def bootstrap(stage: Stage, cfn: CloudFormationClient, ssm: SSMClient, say: Say, secrets_only: bool = False) -> bool:
    """Make what the stage needs; True when something changed."""
    changed = False
    if not secrets_only:
        outcome = ensure_stack(cfn, stage)
        changed |= outcome != "unchanged"
        say(f"table stack {stage.data_stack_name} (table {stage.table_name}): {outcome}")
    for leaf in SECRET_PARAMETERS.values():
        name = stage.secret_parameter(leaf)
        outcome = ensure_secret(ssm, stage, name)
        changed |= outcome != "kept"
        say(f"secret {name} (SecureString): {outcome}")
    return changed


def stream_arn(cfn: CloudFormationClient, stage: Stage) -> str:
    """The table's stream, which `chalice deploy` needs in STREAM_ARN for the stream handler."""
    stack = existing_stack(cfn, stage.data_stack_name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (stack or {}).get("Outputs", [])}
    if "TableStreamArn" not in outputs:
        raise BootstrapError(f"no stack {stage.data_stack_name} with a TableStreamArn output: run the bootstrap")
    return str(outputs["TableStreamArn"])


def teardown(stage: Stage, cfn: CloudFormationClient, ssm: SSMClient, say: Say,
             dynamodb: DynamoDBClient | None = None) -> None:
    from botocore.exceptions import ClientError

    name = stage.data_stack_name
    if existing_stack(cfn, name) is not None:
        if stage.deletion_protection:
            raise BootstrapError(f"stage {stage.name} is protected (infra/stages.json): turn off the stack's "
                                 "termination protection and the table's deletion protection by hand first")
        table, owned = stack_table(current_template(cfn, name))
        cfn.delete_stack(StackName=name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=_WAIT)
        kept = " (the table is retained: DeletionPolicy Retain)" if stage.retain_table else ""
        say(f"table stack {name}: deleted{kept}")
        if not owned and not stage.retain_table and dynamodb is not None:
            # A table switched to (deploy/switch.py) is the stage's data as the stack's own was: it goes the same way.
            dynamodb.delete_table(TableName=table)
            dynamodb.get_waiter("table_not_exists").wait(TableName=table)
            say(f"table {table} (switched to, outside the stack): deleted")
    else:
        say(f"table stack {name}: not there")
    for leaf in (*SECRET_PARAMETERS.values(), *OPTIONAL_SECRET_PARAMETERS.values()):
        parameter = stage.secret_parameter(leaf)
        try:
            ssm.delete_parameter(Name=parameter)
            say(f"secret {parameter}: deleted")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise
            say(f"secret {parameter}: not there")


_SET_REGION = "set AWS_REGION or AWS_DEFAULT_REGION (or region in the profile's ~/.aws/config)"
_SET_CREDENTIALS = ("set credentials: AWS_PROFILE (a profile in ~/.aws/config or ~/.aws/credentials), "
                    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")


def aws_settings_missing(session: Any) -> str | None:
    """What to set before anything can reach AWS, in one line; None when region and credentials are there."""
    from botocore.exceptions import BotoCoreError

    if not session.region_name:
        return f"no AWS region: {_SET_REGION}"
    try:
        credentials = session.get_credentials()
    except BotoCoreError as error:  # a named profile that does not exist, a broken config file...
        return f"no usable AWS credentials ({error}): {_SET_CREDENTIALS}"
    if credentials is None:
        return f"no AWS credentials: {_SET_CREDENTIALS}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.bootstrap", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=stages.names())
    parser.add_argument("--secrets-only", action="store_true", help="only the SSM secrets (one-stack path)")
    parser.add_argument("--delete", action="store_true", help="tear the table stack and the secrets down")
    parser.add_argument("--yes", action="store_true", help="with --delete: do not ask")
    parser.add_argument("--stream-arn", action="store_true", help="print the table's stream ARN, change nothing")
    args = parser.parse_args(argv)
    stage = stages.load(args.stage)

    import boto3
    from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError

    try:
        # AWS_DEFAULT_REGION is boto3's own; AWS_REGION is what the AWS CLI v2 and other SDKs read.
        session = boto3.Session(region_name=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION"))
    except BotoCoreError as error:  # AWS_PROFILE names a profile that is not there
        print(f"bootstrap failed: {error}; {_SET_CREDENTIALS}", file=sys.stderr)
        return 2
    missing = aws_settings_missing(session)
    if missing:
        print(f"bootstrap failed: {missing}", file=sys.stderr)
        return 2
    cfn, ssm = session.client("cloudformation"), session.client("ssm")
    try:
        if args.stream_arn:
            print(stream_arn(cfn, stage))
            return 0
        if args.delete:
            if not args.yes and input(f"Delete stage {stage.name}'s table and secrets? Type the stage name: ") \
                    != stage.name:
                print("Nothing deleted.")
                return 1
            teardown(stage, cfn, ssm, print, session.client("dynamodb"))
            return 0
        changed = bootstrap(stage, cfn, ssm, print, secrets_only=args.secrets_only)
    except BootstrapError as error:
        print(f"bootstrap failed: {error}", file=sys.stderr)
        return 1
    except (NoRegionError, NoCredentialsError) as error:  # e.g. credentials that expired since the check
        print(f"bootstrap failed: {error}; {_SET_REGION if isinstance(error, NoRegionError) else _SET_CREDENTIALS}",
              file=sys.stderr)
        return 2
    except BotoCoreError as error:  # endpoint unreachable, credentials refused by their provider...
        print(f"bootstrap failed: {error}", file=sys.stderr)
        return 1
    print("done: " + ("changes made" if changed else "nothing to change"))
    if not args.secrets_only:
        print(f"next: STREAM_ARN={stream_arn(cfn, stage)} chalice deploy --stage {stage.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
