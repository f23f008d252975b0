"""Steps shared by the post specifications: walking pages, reading counts, moving time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib.blog import clock
from chalicelib.store.table import ConditionFailed, Table, TransactionCancelled, Write

if TYPE_CHECKING:
    from tests.conftest import Api


def walk(api: Api, path: str, limit: int, token: str | None = None) -> list[dict[str, Any]]:
    """Follow next_cursor from the first page to the last; every page must honour the limit."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        separator = "&" if "?" in path else "?"
        url = f"{path}{separator}limit={limit}" + (f"&cursor={quote(cursor, safe='')}" if cursor else "")
        reply = api.get(url, token=token)
        assert reply.status == 200, reply.body
        assert len(reply.json["items"]) <= limit
        items.extend(reply.json["items"])
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor chain never ended")


def slugs(api: Api, path: str, token: str | None = None) -> list[str]:
    reply = api.get(path, token=token)
    assert reply.status == 200, reply.body
    return [item["slug"] for item in reply.json["items"]]


def label_counts(api: Api) -> dict[str, int]:
    return {item["label"]: item["count"] for item in walk(api, "/labels", 100)}


def archive_counts(api: Api) -> dict[str, int]:
    return {item["month"]: item["count"] for item in walk(api, "/archive", 100)}


def iso_from_now(**delta: float) -> str:
    return clock.to_iso(clock.now() + timedelta(**delta))


def write_one_by_one(table: Table, writes: Sequence[Write]) -> None:
    """Table.transact without the atomicity, for seeding hundreds of posts quickly.

    moto runs TransactWriteItems on a deep copy of every table, so each
    transaction costs time in proportion to what is stored and seeding grows
    quadratic (80 s for 250 posts). A single writer filling a fresh table needs
    no atomicity; each write still checks its own condition.
    """
    for index, op in enumerate(writes):
        try:
            if op.kind == "ConditionCheck":
                _check(table, op)
            else:
                table.write(op)
        except ConditionFailed:
            reasons = ["None"] * len(writes)
            reasons[index] = "ConditionalCheckFailed"
            raise TransactionCancelled(reasons) from None


def _check(table: Table, op: Write) -> None:
    """A ConditionCheck on its own: the seeding writes' only one is that an item is absent (a slug's pointer)."""
    assert op.key is not None and op.condition == "attribute_not_exists(PK)", op
    if table.get(op.key) is not None:
        raise ConditionFailed()
