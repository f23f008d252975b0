"""Specification: `make restore-pitr` and `make export S3=…`, DynamoDB's own point-in-time restore and export.

On moto (5.2.5), which implements RestoreTableToPointInTime and ExportTableToPointInTime
but copies the table as it is now whatever time is asked: so these tests prove the
plumbing (a new table with every item, indexes, stream, TTL and PITR; a complete export
in S3; refusals with the reason), not that DynamoDB goes back in time.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from chalicelib.settings import OPTIONAL_SECRET_PARAMETERS, SECRET_PARAMETERS
from deploy import stages
from deploy.backups import BackupError, export, parse_s3, parse_time, restore, restored_name
from deploy.stages import PROJECT
from devtools.moto_server import MotoServer
from infra.table import create_table

STAGE = stages.load("dev")
NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
ITEMS = [
    {"PK": {"S": "POST#hello"}, "SK": {"S": "#POST"}, "title": {"S": "Hello"},
     "GSI1PK": {"S": "POSTS"}, "GSI1SK": {"S": "2026-12-01#hello"}},
    {"PK": {"S": "POST#hello"}, "SK": {"S": "COMMENT#01J0"}, "body": {"S": "Grüße 👋"}},
    {"PK": {"S": "USER#ann"}, "SK": {"S": "#USER"}, "ttl": {"N": "4102444800"}},
]


def said() -> tuple[list[str], Any]:
    lines: list[str] = []
    return lines, lines.append


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, STAGE.table_name)
        for item in ITEMS:
            client.put_item(TableName=STAGE.table_name, Item=item)
        yield client


def everything(client: Any, table: str) -> list[dict[str, Any]]:
    """Every item, in key order (a Scan: a test's look at the whole table, never the app's)."""
    items = client.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


# -- restore -----------------------------------------------------------------------------------------


def earliest(client: Any) -> datetime:
    """The earliest time the stage's table can be restored to, as DynamoDB says."""
    described = client.describe_continuous_backups(TableName=STAGE.table_name)["ContinuousBackupsDescription"]
    when: datetime = described["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
    return when.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)


def test_a_restore_makes_a_new_table_with_every_item_and_leaves_the_stages_own_alone(aws: Any) -> None:
    lines, say = said()
    when = earliest(aws)

    target = restore(aws, STAGE, when, say, now=lambda: when + timedelta(days=1))

    assert target == f"blog-dev-restored-{when:%Y%m%dT%H%M%SZ}"
    assert everything(aws, target) == everything(aws, STAGE.table_name)
    assert len(everything(aws, target)) == len(ITEMS)
    assert {t for t in aws.list_tables()["TableNames"]} == {STAGE.table_name, target}
    assert any("restored" in line for line in lines)


def test_the_restored_table_gets_back_what_a_restore_leaves_out(aws: Any) -> None:
    target = restore(aws, STAGE, None, lambda _: None)

    described = aws.describe_table(TableName=target)["Table"]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2"}
    ttl = aws.describe_time_to_live(TableName=target)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")
    recovery = aws.describe_continuous_backups(TableName=target)["ContinuousBackupsDescription"]
    assert recovery["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    # the restored table answers the app's index queries
    found = aws.query(TableName=target, IndexName="GSI1", KeyConditionExpression="GSI1PK = :p",
                      ExpressionAttributeValues={":p": {"S": "POSTS"}})["Items"]
    assert [i["SK"]["S"] for i in found] == ["#POST"]


def test_a_protected_stage_gets_a_protected_restored_table(aws: Any) -> None:
    target = restore(aws, replace(STAGE, deletion_protection=True), None, lambda _: None)

    assert aws.describe_table(TableName=target)["Table"]["DeletionProtectionEnabled"] is True


def test_a_time_in_the_future_is_refused_before_anything_is_made(aws: Any) -> None:
    with pytest.raises(BackupError, match="in the future"):
        restore(aws, STAGE, NOW + timedelta(minutes=5), lambda _: None, now=lambda: NOW)
    assert aws.list_tables()["TableNames"] == [STAGE.table_name]


def test_a_time_before_the_earliest_restorable_one_is_refused_with_that_time(aws: Any) -> None:
    with pytest.raises(BackupError, match="before the earliest restorable time"):
        restore(aws, STAGE, datetime(2001, 1, 1, tzinfo=UTC), lambda _: None)
    assert aws.list_tables()["TableNames"] == [STAGE.table_name]


def test_a_table_without_point_in_time_recovery_is_refused(aws: Any) -> None:
    aws.update_continuous_backups(TableName=STAGE.table_name,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})

    with pytest.raises(BackupError, match="point-in-time recovery is off"):
        restore(aws, STAGE, None, lambda _: None)


def test_restoring_twice_to_the_same_second_is_refused_not_merged(aws: Any) -> None:
    when = earliest(aws)
    restore(aws, STAGE, when, lambda _: None, now=lambda: when + timedelta(hours=1))

    with pytest.raises(BackupError, match="refused"):
        restore(aws, STAGE, when, lambda _: None, now=lambda: when + timedelta(hours=1))


def test_a_stage_whose_table_is_not_there_is_refused(aws: Any) -> None:
    with pytest.raises(BackupError, match="blog-prod"):
        restore(aws, stages.load("prod"), None, lambda _: None)


@pytest.mark.parametrize("raw", ["yesterday", "2026-12-07 09:30", "2026-12-07T09:30:00", "2026-13-01T00:00:00Z", ""])
def test_a_time_that_is_not_an_iso_time_with_an_offset_is_refused(raw: str) -> None:
    with pytest.raises(BackupError, match="TIME"):
        parse_time(raw)


def test_times_are_read_in_utc() -> None:
    assert parse_time("2026-12-07T10:30:00+01:00") == NOW
    assert parse_time("2026-12-07T09:30:00Z") == NOW
    assert parse_time("latest") is None
    assert restored_name("blog-prod", None, NOW) == "blog-prod-restored-20261207T093000Z"


# -- export ------------------------------------------------------------------------------------------


def exported_items(bucket: str, prefix: str) -> list[dict[str, Any]]:
    s3 = boto3.client("s3", region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    data = [k for k in keys if k.startswith(f"{prefix}/AWSDynamoDB/") and "/data/" in k]
    assert data, keys
    lines = [line for k in data for line in
             gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read()).decode().splitlines() if line]
    return sorted((json.loads(line)["Item"] for line in lines), key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def test_an_export_writes_every_item_to_s3_and_waits_for_it(aws: Any) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="blog-backups")
    lines, say = said()
    pauses: list[float] = []

    done = export(aws, STAGE, "s3://blog-backups/dev/2026-12-07", None, say, pause=pauses.append)

    assert done["ExportStatus"] == "COMPLETED"
    assert done["ItemCount"] == len(ITEMS)
    assert exported_items("blog-backups", "dev/2026-12-07") == everything(aws, STAGE.table_name)
    assert any("export complete" in line for line in lines)


def test_an_export_to_a_bucket_that_is_not_there_fails_with_the_reason(aws: Any) -> None:
    with pytest.raises(BackupError, match="S3NoSuchBucket"):
        export(aws, STAGE, "s3://no-such-bucket/x", None, lambda _: None, pause=lambda _: None)


def test_an_export_of_a_table_without_point_in_time_recovery_is_refused(aws: Any) -> None:
    aws.update_continuous_backups(TableName=STAGE.table_name,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})

    with pytest.raises(BackupError, match="point-in-time recovery is off"):
        export(aws, STAGE, "s3://blog-backups/x", None, lambda _: None)


@pytest.mark.parametrize("raw", ["blog-backups/x", "s3://", "s3:///x", "https://s3.amazonaws.com/b", "s3://b /x"])
def test_an_s3_location_that_is_not_s3_bucket_prefix_is_refused(raw: str) -> None:
    with pytest.raises(BackupError, match="s3://bucket/prefix"):
        parse_s3(raw)


# -- the commands, as the operator runs them -------------------------------------------------------


@pytest.fixture
def moto_url() -> Iterator[str]:
    server = MotoServer().start()
    # moto's state is the process's, whichever server serves it: start from none.
    assert requests.post(server.url + "/moto-api/reset", timeout=30).status_code == 200
    yield server.url
    server.stop()


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in SECRET_PARAMETERS and k not in OPTIONAL_SECRET_PARAMETERS}
    env.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1"})
    return subprocess.run([sys.executable, "-m", "deploy.backups", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_commands_restore_and_export_a_stage_on_a_moto_server(moto_url: str) -> None:
    client = boto3.client("dynamodb", endpoint_url=moto_url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    create_table(client, STAGE.table_name)
    client.put_item(TableName=STAGE.table_name, Item=ITEMS[0])
    boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket="blog-backups")

    restored = run(moto_url, "restore", "--stage", "dev", "--time", "latest")
    exported = run(moto_url, "export", "--stage", "dev", "--s3", "s3://blog-backups/dev")
    refused = run(moto_url, "restore", "--stage", "dev", "--time", "2026-12-07 09:30")

    assert restored.returncode == 0, restored.stderr
    target = next(t for t in client.list_tables()["TableNames"] if t != STAGE.table_name)
    assert target.startswith("blog-dev-restored-") and target in restored.stdout
    assert client.scan(TableName=target)["Items"] == [ITEMS[0]]
    assert exported.returncode == 0, exported.stderr
    assert "export complete: 1 items" in exported.stdout
    assert refused.returncode == 1 and "offset" in refused.stderr and "Traceback" not in refused.stderr
