"""Comments go in few writes: one transaction per post and depth (counts added up), held ones in batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.importing import write_export
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table, Write
from importer.comment_writer import MAX_TRANSACTION_WRITES
from tests.conftest import TEST_TABLE, Api
from tests.importer.steps import import_file


class Counting(Table):
    """The real table, noting the size of every transaction and batch it is asked to write."""

    def __init__(self) -> None:
        super().__init__(dynamodb_client(), TEST_TABLE)
        self.transactions: list[int] = []
        self.batches: list[int] = []

    def transact(self, writes: Any) -> None:
        self.transactions.append(len(writes))
        super().transact(writes)

    def write(self, op: Write) -> Any:
        self.transactions.append(1)
        return super().write(op)

    def batch_put(self, items: Any, attempts: int = 8, base_seconds: float = 0.05) -> None:
        self.batches.append(len(items))
        super().batch_put(items, attempts, base_seconds)


def test_a_long_thread_is_written_in_a_few_transactions_and_its_counts_are_exact(api: Api, tmp_path: Path) -> None:
    # Given one post with 150 comments: 144 top level, replies three deep, some held, spam or trashed
    export = tmp_path / "long.xml"
    write_export(export, posts=1, comments_per_post=150)
    table = Counting()

    report = import_file(export, table=table)

    created = sum(n for kind, n in report.comments.items() if kind.startswith("created"))
    assert created == 150 - report.comments["skipped: deleted, no replies"]
    # 1 account + 1 post, then the comments: a handful of transactions, each within DynamoDB's limit
    comment_transactions = table.transactions[2:]
    # (a group leaves room for the count's own writes, the summary item and up to 10 label copies)
    assert len(comment_transactions) <= 10
    assert max(comment_transactions) <= MAX_TRANSACTION_WRITES
    held = report.comments["created pending"] + report.comments["created spam"]
    # Per 100 comments read back: the held ones in one batch, then their references in another
    assert held > 0 and sum(table.batches) == 2 * held and len(table.batches) <= 4
    slug = api.get("/posts").json["items"][0]["slug"]
    post = api.get(f"/posts/{slug}").json
    thread = api.get(f"/posts/{slug}/comments?limit=100").json
    items = thread["items"] + api.get(f"/posts/{slug}/comments?limit=100&cursor={thread['next_cursor']}").json["items"]
    assert post["comment_count"] == report.comments["created approved"] == sum(
        1 for c in items if c["status"] == "approved")
    for comment in items:
        assert comment["reply_count"] == sum(1 for c in items if c["parent_id"] == comment["id"])


def test_a_second_run_of_a_long_thread_writes_nothing(api: Api, tmp_path: Path) -> None:
    export = tmp_path / "long.xml"
    write_export(export, posts=1, comments_per_post=150)
    import_file(export)
    table = Counting()

    again = import_file(export, table=table)

    assert again.created == 0 and table.transactions == [] and table.batches == []
