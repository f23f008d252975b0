"""The one table definition (table.json) turned into what each consumer needs.

Tests, the local runner and the deploy paths all start from ``table.json``; this
module only reshapes it, so the table cannot differ between them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DEFINITION_PATH = Path(__file__).with_name("table.json")

# Keys of table.json that are not CreateTable parameters but separate API calls.
_SEPARATE_SETTINGS = ("TimeToLiveAttribute", "PointInTimeRecovery")


def definition() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFINITION_PATH.read_text())
    return loaded


def create_table_params(table_name: str) -> dict[str, Any]:
    params = {k: v for k, v in definition().items() if k not in _SEPARATE_SETTINGS}
    params["TableName"] = table_name
    return params


def create_table(client: DynamoDBClient, table_name: str) -> None:
    """Create the table, wait for it, and switch on TTL and point-in-time recovery."""
    spec = definition()
    client.create_table(**create_table_params(table_name))
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["TimeToLiveAttribute"]},
    )
    if spec["PointInTimeRecovery"]:
        client.update_continuous_backups(
            TableName=table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )


# --- CloudFormation: the same definition as an AWS::DynamoDB::Table resource -------------

def cloudformation_properties(table_name: str, deletion_protection: bool = False) -> dict[str, Any]:
    """table.json as the Properties of an AWS::DynamoDB::Table (both deploy paths use this)."""
    spec = definition()
    properties: dict[str, Any] = {"TableName": table_name}
    for key, value in spec.items():
        if key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
                   "BillingMode", "ProvisionedThroughput"):
            properties[key] = value
        elif key == "StreamSpecification":
            if value.get("StreamEnabled", True):
                properties[key] = {"StreamViewType": value["StreamViewType"]}
        elif key == "SSESpecification":
            properties[key] = {"SSEEnabled": bool(value.get("Enabled")),
                               **({"SSEType": value["SSEType"]} if "SSEType" in value else {})}
        elif key == "TimeToLiveAttribute":
            properties["TimeToLiveSpecification"] = {"AttributeName": value, "Enabled": True}
        elif key == "PointInTimeRecovery":
            properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": bool(value)}
        else:
            # A new setting in table.json must be mapped here on purpose, not dropped from deploys.
            raise ValueError(f"table.json's {key!r} has no CloudFormation mapping in infra/table.py")
    if deletion_protection:
        properties["DeletionProtectionEnabled"] = True
    return properties


def cloudformation_resource(table_name: str, retain: bool, deletion_protection: bool = False) -> dict[str, Any]:
    # Retain: deleting or replacing the stack never deletes the data with it.
    policy = "Retain" if retain else "Delete"
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": policy,
        "UpdateReplacePolicy": policy,
        "Properties": cloudformation_properties(table_name, deletion_protection),
    }
