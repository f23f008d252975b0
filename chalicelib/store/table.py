"""Table access: typed reads, pages and transactions over the low-level client.

Services speak in plain Python values and keys from keys.py; this module does
the DynamoDB JSON conversion. A write that carries a condition may also carry
its refusal: the error to raise when that condition fails. When a transaction
is cancelled, the store raises the refusal of the write whose condition failed,
so no caller has to know at which position in the transaction a write sits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.errors import Conflict, DomainError
from chalicelib.store.client import THROTTLING_CODES
from chalicelib.store.keys import Key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

Item = dict[str, Any]
# What to raise when a write's condition fails: an error, or a function of the
# item as it stood (the store then asks DynamoDB to return it with the refusal,
# which saves reading it again).
Refusal: TypeAlias = Exception | Callable[[Item | None], Exception]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# DynamoDB cancels a transaction that races another on the same item
# ("TransactionConflict"); such a transaction did nothing and is safe to retry.
_CONFLICT_RETRIES = 6


# DynamoDB refuses an item larger than 400 KB, counting attribute names and values.
MAX_ITEM_BYTES = 400 * 1024


def item_size(item: Item) -> int:
    """The size DynamoDB counts for an item, in bytes: UTF-8 names and values, as its documentation reckons them.

    Numbers are counted at their largest (21 bytes), so the estimate errs high.
    """
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes | bytearray):
        return len(value)
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int | float | Decimal):
        return 21
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + _value_size(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(_value_size(v) + 1 for v in value)
    if isinstance(value, set | frozenset):
        return sum(_value_size(v) for v in value)
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def deserialize(item: dict[str, Any]) -> Item:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


class TransactionCancelled(Conflict):
    """A transaction was cancelled and none of the writes whose conditions failed carries a refusal.

    Either a condition without a refusal failed, or DynamoDB kept cancelling for
    contention after the store's retries; nothing was written either way. Services
    that can decide again catch it; anywhere else it reaches the caller as a 409.
    """

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("what this request changes was changing meanwhile; send it again")
        self.reasons = reasons


class ConditionFailed(Exception):
    """A single conditional write without a refusal found the item not as expected."""


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Write:
    """One operation of a transaction: Put, Update, Delete or ConditionCheck, with its refusal."""

    __slots__ = ("condition", "item", "key", "kind", "names", "refusal", "update", "values")

    def __init__(self, kind: str, key: Key | None = None, item: Item | None = None, update: str | None = None,
                 condition: str | None = None, names: dict[str, str] | None = None,
                 values: dict[str, Any] | None = None, refusal: Refusal | None = None) -> None:
        self.kind = kind
        self.key = key
        self.item = item
        self.update = update
        self.condition = condition
        self.names: dict[str, str] = {} if names is None else names
        self.values: dict[str, Any] = {} if values is None else values
        self.refusal = refusal

    def __repr__(self) -> str:
        return f"Write({self.kind!r}, key={self.key!r}, update={self.update!r}, condition={self.condition!r})"

    @property
    def wants_old_item(self) -> bool:
        return self.refusal is not None and not isinstance(self.refusal, Exception)

    def refused(self, old: Item | None) -> Exception:
        """The error this write's failed condition means (its refusal must be set)."""
        assert self.refusal is not None
        return self.refusal if isinstance(self.refusal, Exception) else self.refusal(old)

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
        if self.wants_old_item:
            body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {self.kind: body}  # type: ignore[misc]


def put(item: Item, condition: str | None = None, names: dict[str, str] | None = None, *,
        refusal: Refusal | None = None, **values: Any) -> Write:
    return Write("Put", item=item, condition=condition, names=names or {}, values=_values(values), refusal=refusal)


def update(key: Key, expression: str, condition: str | None = None, names: dict[str, str] | None = None, *,
           refusal: Refusal | None = None, **values: Any) -> Write:
    return Write("Update", key=key, update=expression, condition=condition,
                 names=names or {}, values=_values(values), refusal=refusal)


def delete(key: Key, condition: str | None = None, names: dict[str, str] | None = None, *,
           refusal: Refusal | None = None, **values: Any) -> Write:
    return Write("Delete", key=key, condition=condition, names=names or {}, values=_values(values), refusal=refusal)


def check(key: Key, condition: str, names: dict[str, str] | None = None, *,
          refusal: Refusal | None = None, **values: Any) -> Write:
    return Write("ConditionCheck", key=key, condition=condition, names=names or {}, values=_values(values),
                 refusal=refusal)


def _values(values: dict[str, Any]) -> dict[str, Any]:
    return {f":{name}": value for name, value in values.items()}


def refusal_of(writes: Sequence[Write], reasons: Sequence[dict[str, Any]]) -> Exception | None:
    """The refusal of the first write whose condition failed, or None when no such write has one.

    When several conditions fail together (a taken username and a taken e-mail),
    the first refusal also names the fields of the others of its kind, so the
    caller hears about every field at once.
    """
    refusals = [
        write.refused(deserialize(reason["Item"]) if "Item" in reason else None)
        for write, reason in zip(writes, reasons, strict=False)
        if reason.get("Code") == "ConditionalCheckFailed" and write.refusal is not None
    ]
    if not refusals:
        return None
    first = refusals[0]
    if isinstance(first, DomainError):
        errors = dict(first.errors)
        for other in refusals[1:]:
            if type(other) is type(first) and isinstance(other, DomainError):
                errors = {**other.errors, **errors}
        if errors != first.errors:
            return first.with_errors(errors)
    return first


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Page:
    __slots__ = ("items", "last_key")

    def __init__(self, items: list[Item], last_key: dict[str, str] | None) -> None:
        self.items = items
        self.last_key = last_key


class Table:
    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def get(self, key: Key) -> Item | None:
        response = self.client.get_item(TableName=self.name, Key=serialize(dict(key)), ConsistentRead=True)
        raw = response.get("Item")
        return deserialize(raw) if raw else None

    def batch_get(self, keys: Sequence[Key], attributes: Sequence[str] = ()) -> list[Item]:
        """Fetch up to 100 items in one call (more calls only for throttled leftovers).

        ``attributes``, when given, are the only ones read (a ProjectionExpression): a
        hundred posts' bodies would otherwise be read only to be thrown away.
        """
        if not keys:
            return []
        found: list[Item] = []
        request: dict[str, Any] = {"Keys": [serialize(dict(k)) for k in keys], "ConsistentRead": True}
        if attributes:
            request["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(attributes)))
            request["ExpressionAttributeNames"] = {f"#a{i}": name for i, name in enumerate(attributes)}
        pending: dict[str, Any] = {self.name: request}
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
        """A single conditional write; returns the new item for updates.

        A failed condition raises the write's refusal, or ConditionFailed when it has none.
        """
        request = op.request(self.name)[op.kind]  # type: ignore[literal-required]
        try:
            if op.kind == "Put":
                self.client.put_item(**request)
            elif op.kind == "Delete":
                self.client.delete_item(**request)
            else:
                response = self.client.update_item(**request, ReturnValues="ALL_NEW")
                return deserialize(response["Attributes"])
        except self.client.exceptions.ConditionalCheckFailedException as error:
            if op.refusal is None:
                raise ConditionFailed() from error
            old: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            raise op.refused(deserialize(old) if old else None) from error
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

    def batch_put(self, items: Sequence[Item], attempts: int = 8, base_seconds: float = 0.05) -> None:
        """Put items 25 at a time (BatchWriteItem's limit), unconditionally, in the order given per call.

        Items DynamoDB leaves unprocessed (throttling) are sent again after an
        exponential back-off with full jitter (a random wait up to base * 2**attempt);
        still unprocessed after ``attempts`` tries, it raises, and the caller may
        run again: a put of the same item is idempotent. Not atomic: a caller that
        needs all-or-nothing uses transact.
        """
        for start in range(0, len(items), 25):
            pending: dict[str, Any] = {
                self.name: [{"PutRequest": {"Item": serialize(i)}} for i in items[start:start + 25]]
            }
            for attempt in range(attempts):
                response = self.client.batch_write_item(RequestItems=pending)
                pending = dict(response.get("UnprocessedItems") or {})
                if not pending:
                    break
                time.sleep(random.uniform(0, base_seconds * 2**attempt))
            else:
                raise RuntimeError("DynamoDB kept writes unprocessed (throttled); run again to resume")

    def transact(self, writes: Sequence[Write]) -> None:
        """All writes or none.

        A failed condition raises the refusal of its write (the first, in the
        order given, when several fail); TransactionCancelled when no failed write
        has one, or when contention outlasts the retries.
        """
        requests = [w.request(self.name) for w in writes]
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                self.client.transact_write_items(TransactItems=requests)
                return
            except self.client.exceptions.TransactionCanceledException as error:
                details: list[dict[str, Any]] = list(error.response.get("CancellationReasons", []))  # type: ignore[arg-type]
                reasons = [str(r.get("Code", "None")) for r in details]
                if "ConditionalCheckFailed" in reasons or attempt == _CONFLICT_RETRIES:
                    if "ConditionalCheckFailed" not in reasons and THROTTLING_CODES & set(reasons):
                        raise  # throttled, not contended: nothing was written; the API answers 503
                    refusal = refusal_of(writes, details)
                    if refusal is not None:
                        raise refusal from error
                    raise TransactionCancelled(reasons) from error
                # Jittered back-off before retrying a conflict that did nothing.
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
