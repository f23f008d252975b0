"""Backups on AWS's own terms: point-in-time recovery (PITR) restores and exports of a stage's table.

``make restore-pitr STAGE=<stage> TIME=<ISO 8601 with offset, or latest>`` restores the
table as it was at TIME into a new table, ``<table>-restored-<UTC time>``, and gives
it back what a restore leaves out (its stream, TTL, PITR, deletion protection, as in
infra/table.json and infra/stages.json), and tags it as the stage's. It never touches
the stage's own table. With ``SWITCH=1`` (``--switch``) the stage is then pointed at
the restored table (deploy/switch.py, ``make use-table``) and redeployed.

``make export STAGE=<stage> S3=s3://bucket/prefix [TIME=…]`` writes a consistent
snapshot with ExportTableToPointInTime (DynamoDB JSON, gzip, under the prefix) and
waits for it, beside the JSON Lines export (``make export OUT=…``), which is made of
reads and is what ``make import`` restores.

boto3 honours ``AWS_ENDPOINT_URL``, so the tests run both on moto, which implements
both calls but not their point in time: its restore and its export copy the table as
it is now (docs: what moto proves).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from deploy import stages
from deploy.stages import Stage
from infra.table import definition

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Say = Callable[[str], None]
EXPORT_WAIT_SECONDS = 3600  # a large table's export takes minutes; an hour means something is wrong
LATEST = "latest"


class BackupError(Exception):
    pass


def parse_time(raw: str) -> datetime | None:
    """TIME as given: ``latest`` (None), or an ISO 8601 time with its offset (a bare time is ambiguous)."""
    if raw.strip().lower() == LATEST:
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BackupError(f"TIME must be an ISO 8601 time such as 2026-12-07T09:30:00Z, or {LATEST}; "
                          f"not {raw!r}") from None
    if when.tzinfo is None:
        raise BackupError(f"TIME {raw!r} has no offset: add Z for UTC (or +01:00 and so on)")
    return when.astimezone(UTC)


def restored_name(table: str, when: datetime | None, now: datetime) -> str:
    return f"{table}-restored-{(when or now):%Y%m%dT%H%M%SZ}"


def _recovery(client: DynamoDBClient, table: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        described = client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    except ClientError as error:
        raise BackupError(f"table {table}: {error.response.get('Error', {}).get('Message', error)}") from None
    recovery: dict[str, Any] = dict(described.get("PointInTimeRecoveryDescription") or {})
    if recovery.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise BackupError(f"point-in-time recovery is off for {table}: there is nothing to restore or export "
                          "from (infra/table.json turns it on; run the stage's bootstrap)")
    return recovery


def _check_window(recovery: dict[str, Any], when: datetime | None, now: datetime) -> None:
    if when is None:
        return
    if when > now:
        raise BackupError(f"TIME {when:%Y-%m-%dT%H:%M:%SZ} is in the future")
    earliest = recovery.get("EarliestRestorableDateTime")
    if isinstance(earliest, datetime) and when < earliest:
        raise BackupError(f"TIME {when:%Y-%m-%dT%H:%M:%SZ} is before the earliest restorable time, "
                          f"{earliest.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}")


def restore(client: DynamoDBClient, stage: Stage, when: datetime | None, say: Say,
            now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> str:
    """Restore the stage's table as at ``when`` (None: the latest restorable time) into a new table; its name."""
    from botocore.exceptions import ClientError

    moment = now()
    _check_window(_recovery(client, stage.table_name), when, moment)
    target = restored_name(stage.table_name, when, moment)
    spec = definition()
    at: dict[str, Any] = {"RestoreDateTime": when} if when else {"UseLatestRestorableTime": True}
    try:
        client.restore_table_to_point_in_time(
            SourceTableName=stage.table_name, TargetTableName=target, BillingModeOverride=spec["BillingMode"],
            SSESpecificationOverride=spec["SSESpecification"], **at)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        raise BackupError(f"the restore into {target} was refused ({code}): {message}") from None
    say(f"restoring {stage.table_name} into {target}…")
    client.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 5, "MaxAttempts": 720})
    _settle(client, target, stage)
    say(f"{target}: restored, with its stream, TTL and point-in-time recovery on")
    return target


def _settle(client: DynamoDBClient, table: str, stage: Stage) -> None:
    """What a restore does not carry over, set as infra/ sets it on the stage's own table."""
    spec = definition()
    stream = spec["StreamSpecification"]
    current: dict[str, Any] = dict(client.describe_table(TableName=table)["Table"].get("StreamSpecification") or {})
    if stream.get("StreamEnabled") and not current.get("StreamEnabled"):
        client.update_table(TableName=table, StreamSpecification=stream)
    client.update_time_to_live(TableName=table, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": spec["TimeToLiveAttribute"]})
    if spec["PointInTimeRecovery"]:
        client.update_continuous_backups(TableName=table,
                                         PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    if stage.deletion_protection:
        client.update_table(TableName=table, DeletionProtectionEnabled=True)
    from deploy.switch import stage_tags

    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=stage_tags(stage))  # what make use-table recognises as the stage's


def parse_s3(raw: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` as (bucket, prefix); the prefix may be empty."""
    if not raw.startswith("s3://"):
        raise BackupError(f"S3 must look like s3://bucket/prefix, not {raw!r}")
    bucket, _, prefix = raw.removeprefix("s3://").partition("/")
    if not bucket or any(c.isspace() for c in raw):
        raise BackupError(f"S3 must look like s3://bucket/prefix, not {raw!r}")
    return bucket, prefix.strip("/")


def export(client: DynamoDBClient, stage: Stage, s3: str, when: datetime | None, say: Say,
           pause: Callable[[float], None] = time.sleep,
           now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> dict[str, Any]:
    """ExportTableToPointInTime of the stage's table to ``s3``, waited for; the finished export's description."""
    from botocore.exceptions import ClientError

    bucket, prefix = parse_s3(s3)
    _check_window(_recovery(client, stage.table_name), when, now())
    arn = client.describe_table(TableName=stage.table_name)["Table"]["TableArn"]
    params: dict[str, Any] = {"TableArn": arn, "S3Bucket": bucket, "ExportFormat": "DYNAMODB_JSON"}
    if prefix:
        params["S3Prefix"] = prefix
    if when:
        params["ExportTime"] = when
    try:
        started = client.export_table_to_point_in_time(**params)["ExportDescription"]
    except ClientError as error:
        raise BackupError(f"the export was refused: {error.response.get('Error', {}).get('Message', error)}") from None
    say(f"exporting {stage.table_name} to {s3} ({started['ExportArn']})…")
    waited = 0.0
    interval = 1.0
    while True:
        described = dict(client.describe_export(ExportArn=started["ExportArn"])["ExportDescription"])
        if described["ExportStatus"] == "COMPLETED":
            say(f"export complete: {described.get('ItemCount', '?')} items under {s3}/AWSDynamoDB/")
            return described
        if described["ExportStatus"] == "FAILED":
            raise BackupError(f"the export failed: {described.get('FailureCode')}: {described.get('FailureMessage')}")
        if waited >= EXPORT_WAIT_SECONDS:
            raise BackupError(f"the export is still running after {EXPORT_WAIT_SECONDS} s: {started['ExportArn']}")
        pause(interval)  # the operator's command polls DynamoDB until the export ends
        waited += interval
        interval = min(interval * 2, 30.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.backups", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    restoring = commands.add_parser("restore", help="restore the table as at --time into a new table")
    restoring.add_argument("--stage", required=True, choices=stages.names())
    restoring.add_argument("--time", required=True, help=f"ISO 8601 with an offset (…Z), or {LATEST}")
    restoring.add_argument("--switch", action="store_true",
                           help="then point the stage at the restored table (deploy/switch.py); make deploy next")
    exporting = commands.add_parser("export", help="ExportTableToPointInTime to --s3")
    exporting.add_argument("--stage", required=True, choices=stages.names())
    exporting.add_argument("--s3", required=True, help="s3://bucket/prefix")
    exporting.add_argument("--time", default=LATEST, help=f"ISO 8601 with an offset (…Z), or {LATEST} (default)")
    args = parser.parse_args(argv)
    stage = stages.load(args.stage)

    import boto3
    from botocore.exceptions import BotoCoreError

    from deploy.switch import SwitchError

    client = boto3.Session(
        region_name=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")).client("dynamodb")
    try:
        when = parse_time(args.time)
        if args.command == "restore":
            target = restore(client, stage, when, print)
            if args.switch:
                from deploy.switch import switch

                try:
                    old = switch(stage, target, client, boto3.Session(region_name=client.meta.region_name)
                                 .client("cloudformation"), print)
                except SwitchError as error:
                    raise BackupError(f"{target} is restored, but the stage was not switched to it: {error}") \
                        from None
                print(f"{old} is kept: delete it when you no longer need it")
            else:
                print(f"next: check {target}, then make use-table STAGE={stage.name} TABLE={target}")
        else:
            export(client, stage, args.s3, when, print)
    except BackupError as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 1
    except BotoCoreError as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
