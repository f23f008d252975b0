"""TransactWriteItems on moto at the cost of what it touches, not of the whole table.

moto (5.2) rolls a failed transaction back by putting back a deep copy of each
table it names, and it takes that copy once per operation: a transaction of 100
writes copied the whole table 100 times. The time of every transaction grew with
the table, to about a second each with 1,000 comments in it, which made
`make import` of a real blog into `make run` a matter of hours, and slowed the
local stack the longer it ran.

A transaction can only change the partitions its operations name (moto applies
each Put, Update and Delete to its own key, and appends their stream records),
so those partitions and the stream's length are what is saved here, before moto
runs, and put back if moto raises. moto's own copy of the table is skipped
meanwhile (every other copy moto makes, such as an item's old image, is made as
before). The server applies this while it holds its one-request-at-a-time lock
(moto_server._OneAtATime), so nothing else reads the table half-written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any
from unittest import mock


class _SavedPartitions:
    """The partitions a transaction names, deep-copied, and each stream's length, to put back on failure."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        self.partitions: dict[tuple[int, Any], tuple[Any, Any, Any]] = {}  # (table, hash) -> (table, hash, copy)
        self.streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            for operation in entry.values():
                table = backend.tables.get(operation.get("TableName")) if isinstance(operation, dict) else None
                if table is None:
                    continue  # moto refuses it, having written nothing
                attributes = operation.get("Item") if "Item" in operation else operation.get("Key")
                raw = (attributes or {}).get(table.hash_key_attr)
                if raw is None:
                    continue  # moto refuses a write without its key
                hash_value = DynamoType(raw)
                if (id(table), hash_value) not in self.partitions:
                    # None for a partition that does not exist yet: it is removed again.
                    partition = copy.deepcopy(table.items[hash_value]) if hash_value in table.items else None
                    self.partitions[(id(table), hash_value)] = (table, hash_value, partition)
                shard = getattr(table, "stream_shard", None)
                if shard is not None and id(shard) not in self.streams:
                    self.streams[id(shard)] = (shard, len(shard.items))

    def restore(self) -> None:
        for table, hash_value, partition in self.partitions.values():
            if partition is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = partition
        for shard, length in self.streams.values():
            del shard.items[length:]  # sequence numbers follow the list's length, so they resume as before


def _no_table_copies() -> SimpleNamespace:
    """Stands in for the `copy` module inside moto's transaction: a Table is "copied" as itself."""
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    return SimpleNamespace(deepcopy=deepcopy)


@contextmanager
def partition_rollback() -> Iterator[None]:
    """Within it, moto's TransactWriteItems saves and restores only the partitions it names."""
    from moto.dynamodb import models

    moto_transact = models.DynamoDBBackend.transact_write_items

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = _SavedPartitions(backend, transact_items)
        try:
            with mock.patch.object(models, "copy", _no_table_copies()):
                moto_transact(backend, transact_items)
        except BaseException:
            saved.restore()
            raise

    with mock.patch.object(models.DynamoDBBackend, "transact_write_items", transact_write_items):
        yield
