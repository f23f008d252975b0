"""Save and restore the local table to a JSON file, so local data survives restarts.

This is operator tooling, never a request path: a full Scan is what it needs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def save(client: DynamoDBClient, table_name: str, path: Path) -> int:
    items: list[dict[str, Any]] = []
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(TableName=table_name, ConsistentRead=True):
        items.extend(page.get("Items", []))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"table": table_name, "items": items}))
    os.replace(partial, path)  # a crash mid-write never leaves a torn snapshot
    return len(items)


def restore(client: DynamoDBClient, table_name: str, path: Path) -> int:
    items = json.loads(path.read_text())["items"]
    for start in range(0, len(items), 25):
        pending: dict[str, Any] = {table_name: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
        while pending:
            pending = dict(client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {})
    return len(items)
