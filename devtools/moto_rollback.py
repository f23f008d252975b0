"""TransactWriteItems on moto at the cost of what it touches, not of the whole table.

moto (5.2) rolls a failed transaction back by putting back a deep copy of each
table it names, and it takes that copy once per operation: a transaction of 100
writes copied the whole table 100 times. The time of every transaction grew with
the table, to about a second each with 1,000 comments in it, which made
`make import` of a real blog into `make run` a matter of hours, and slowed the
local stack the longer it ran.

A transaction can only change the items its operations name (moto applies each
Put, Update and Delete to its own key, and appends their stream records), so
those items (or that they were absent) and the stream's length are what is saved
here, before moto runs, and put back if moto raises. Items, not partitions: a
partition such as the list of every post grows with the blog. moto's own copy of
the table is skipped meanwhile (every other copy moto makes, such as an item's
old image, is made as before). The server applies this while it holds its
one-request-at-a-time lock (moto_server._OneAtATime), so nothing else reads the
table half-written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any
from unittest import mock


class _SavedItems:
    """The items a transaction names, deep-copied (or noted absent), and each stream's length, to put back."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        # (table, hash, range) -> (table, hash, range, the item's copy or None, whether its partition existed)
        self.items: dict[tuple[int, Any, Any], tuple[Any, Any, Any, Any, bool]] = {}
        self.streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            for operation in entry.values():
                table = backend.tables.get(operation.get("TableName")) if isinstance(operation, dict) else None
                if table is None:
                    continue  # moto refuses it, having written nothing
                attributes = (operation.get("Item") if "Item" in operation else operation.get("Key")) or {}
                raw_hash = attributes.get(table.hash_key_attr)
                raw_range = attributes.get(table.range_key_attr) if table.range_key_attr else None
                if raw_hash is None or (table.range_key_attr and raw_range is None):
                    continue  # moto refuses a write without its whole key
                hash_value = DynamoType(raw_hash)
                range_value = DynamoType(raw_range) if raw_range is not None else None
                if (id(table), hash_value, range_value) not in self.items:
                    existed = hash_value in table.items
                    partition = table.items[hash_value] if existed else None
                    current = partition if range_value is None or partition is None else partition.get(range_value)
                    self.items[(id(table), hash_value, range_value)] = (
                        table, hash_value, range_value, copy.deepcopy(current), existed)
                shard = getattr(table, "stream_shard", None)
                if shard is not None and id(shard) not in self.streams:
                    self.streams[id(shard)] = (shard, len(shard.items))

    def restore(self) -> None:
        for table, hash_value, range_value, item, existed in self.items.values():
            if range_value is None:  # a table with a partition key only: the partition is the item
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
                continue
            partition = table.items.get(hash_value)
            if item is not None:
                table.items[hash_value][range_value] = item
            elif partition is not None:
                partition.pop(range_value, None)
                if not partition and not existed:
                    del table.items[hash_value]
        for shard, length in self.streams.values():
            del shard.items[length:]  # sequence numbers follow the list's length, so they resume as before


def _no_table_copies() -> SimpleNamespace:
    """Stands in for the `copy` module inside moto's transaction: a Table is "copied" as itself."""
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    return SimpleNamespace(deepcopy=deepcopy)


@contextmanager
def item_rollback() -> Iterator[None]:
    """Within it, moto's TransactWriteItems saves and restores only the items it names."""
    from moto.dynamodb import models

    moto_transact = models.DynamoDBBackend.transact_write_items

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = _SavedItems(backend, transact_items)
        try:
            with mock.patch.object(models, "copy", _no_table_copies()):
                moto_transact(backend, transact_items)
        except BaseException:
            saved.restore()
            raise

    with mock.patch.object(models.DynamoDBBackend, "transact_write_items", transact_write_items):
        yield
