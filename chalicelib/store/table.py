"""Table access: typed reads, pages and transactions over the low-level client.

Services speak in plain Python values and keys from keys.py; this module does
the DynamoDB JSON conversion and turns a cancelled transaction into an
exception that says which operation's condition failed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.store.client import THROTTLING_CODES
from chalicelib.store.keys import Key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

Item = dict[str, Any]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# DynamoDB cancels a transaction that races another on the same item
# ("TransactionConflict"); such a transaction did nothing and is safe to retry.
_CONFLICT_RETRIES = 6


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def deserialize(item: dict[str, Any]) -> Item:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


class TransactionCancelled(Exception):
    """A transaction's condition failed; ``reasons[i]`` is the code for operation i."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


class ConditionFailed(Exception):
    """A single conditional write found the item not as expected."""


@dataclass
class Write:
    """One operation of a transaction: Put, Update, Delete or ConditionCheck."""

    kind: str
    key: Key | None = None
    item: Item | None = None
    update: str | None = None
    condition: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def request(self, table_name: str) -> TransactWriteItemTypeDef:
        body: dict[str, Any] = {"TableName": table_name}
        if self.item is not None:
            body["Item"] = serialize(self.item)
        if self.key is not None:
            body["Key"] = serialize(dict(self.key))
        if self.update:
            body["UpdateExpression"] = self.update
        if self.condition:
            body["ConditionExpression"] = self.condition
        if self.names:
            body["ExpressionAttributeNames"] = self.names
        if self.values:
            body["ExpressionAttributeValues"] = serialize(self.values)
        return {self.kind: body}  # type: ignore[misc]


def put(item: Item, condition: str | None = None, names: dict[str, str] | None = None, **values: Any) -> Write:
    return Write("Put", item=item, condition=condition, names=names or {}, values=_values(values))


def update(
    key: Key,
    expression: str,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    **values: Any,
) -> Write:
    return Write(
        "Update", key=key, update=expression, condition=condition,
        names=names or {}, values=_values(values),
    )


def delete(key: Key, condition: str | None = None, names: dict[str, str] | None = None, **values: Any) -> Write:
    return Write("Delete", key=key, condition=condition, names=names or {}, values=_values(values))


def check(key: Key, condition: str, names: dict[str, str] | None = None, **values: Any) -> Write:
    return Write("ConditionCheck", key=key, condition=condition, names=names or {}, values=_values(values))


def _values(values: dict[str, Any]) -> dict[str, Any]:
    return {f":{name}": value for name, value in values.items()}


@dataclass
class Page:
    items: list[Item]
    last_key: dict[str, str] | None


class Table:
    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def get(self, key: Key) -> Item | None:
        response = self.client.get_item(TableName=self.name, Key=serialize(dict(key)), ConsistentRead=True)
        raw = response.get("Item")
        return deserialize(raw) if raw else None

    def batch_get(self, keys: Sequence[Key]) -> list[Item]:
        """Fetch up to 100 items in one call (more calls only for throttled leftovers)."""
        if not keys:
            return []
        found: list[Item] = []
        pending: dict[str, Any] = {
            self.name: {"Keys": [serialize(dict(k)) for k in keys], "ConsistentRead": True}
        }
        for attempt in range(5):
            response = self.client.batch_get_item(RequestItems=pending)
            found.extend(deserialize(i) for i in response["Responses"].get(self.name, []))
            pending = dict(response.get("UnprocessedKeys") or {})
            if not pending:
                return found
            time.sleep(0.05 * 2**attempt)
        raise RuntimeError("DynamoDB kept keys unprocessed; try again")

    def query(
        self,
        partition: str,
        *,
        index: str | None = None,
        sort_from: str | None = None,
        sort_to: str | None = None,
        newest_first: bool = False,
        limit: int,
        start_key: dict[str, str] | None = None,
    ) -> Page:
        """One Query call over ``partition``, sort keys within [sort_from, sort_to]."""
        pk, sk = ("PK", "SK") if index is None else (f"{index}PK", f"{index}SK")
        condition = "#pk = :pk"
        names = {"#pk": pk}
        values: dict[str, Any] = {":pk": partition}
        if sort_from is not None or sort_to is not None:
            names["#sk"] = sk
        if sort_from is not None and sort_to is not None:
            condition += " AND #sk BETWEEN :from AND :to"
            values.update({":from": sort_from, ":to": sort_to})
        elif sort_from is not None:
            condition += " AND #sk >= :from"
            values[":from"] = sort_from
        elif sort_to is not None:
            condition += " AND #sk <= :to"
            values[":to"] = sort_to
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if index is not None:
            params["IndexName"] = index
        else:
            params["ConsistentRead"] = True
        if start_key:
            params["ExclusiveStartKey"] = serialize(dict(start_key))
        response = self.client.query(**params)
        last = response.get("LastEvaluatedKey")
        return Page(
            items=[deserialize(i) for i in response.get("Items", [])],
            last_key={k: str(v) for k, v in deserialize(last).items()} if last else None,
        )

    def write(self, op: Write) -> Item | None:
        """A single conditional write; returns the new item for updates."""
        request = op.request(self.name)[op.kind]  # type: ignore[literal-required]
        try:
            if op.kind == "Put":
                self.client.put_item(**request)
            elif op.kind == "Delete":
                self.client.delete_item(**request)
            else:
                response = self.client.update_item(**request, ReturnValues="ALL_NEW")
                return deserialize(response["Attributes"])
        except self.client.exceptions.ConditionalCheckFailedException:
            raise ConditionFailed() from None
        return None

    def batch_delete(self, doomed: Sequence[Key]) -> None:
        """Delete items 25 at a time (BatchWriteItem's limit), retrying leftovers."""
        for start in range(0, len(doomed), 25):
            pending: dict[str, Any] = {
                self.name: [{"DeleteRequest": {"Key": serialize(dict(k))}} for k in doomed[start:start + 25]]
            }
            for attempt in range(6):
                response = self.client.batch_write_item(RequestItems=pending)
                pending = dict(response.get("UnprocessedItems") or {})
                if not pending:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB kept deletes unprocessed; try again")

    def transact(self, writes: Sequence[Write]) -> None:
        """All writes or none; raises TransactionCancelled when a condition fails."""
        requests = [w.request(self.name) for w in writes]
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                self.client.transact_write_items(TransactItems=requests)
                return
            except self.client.exceptions.TransactionCanceledException as error:
                reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons or attempt == _CONFLICT_RETRIES:
                    if "ConditionalCheckFailed" not in reasons and THROTTLING_CODES & set(reasons):
                        raise  # throttled, not contended: nothing was written; the API answers 503
                    raise TransactionCancelled(reasons) from None
                # Jittered back-off before retrying a conflict that did nothing.
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
