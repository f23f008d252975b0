"""Table.batch_put under throttling: what DynamoDB leaves unprocessed is sent again until it is written."""

from __future__ import annotations

import time

import pytest

from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from tests.conftest import TEST_TABLE, DynamoCalls
from tests.throttling_steps import PartialBatches


@pytest.fixture
def table(dynamo: DynamoCalls) -> Table:
    return Table(dynamodb_client(), TEST_TABLE)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-off's waits, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited


def _items(n: int) -> list[dict[str, str]]:
    return [{"PK": f"THING#{i:03d}", "SK": "#THING", "name": f"thing {i}"} for i in range(n)]


def _stored(table: Table, n: int) -> list[dict[str, str] | None]:
    return [table.get({"PK": f"THING#{i:03d}", "SK": "#THING"}) for i in range(n)]


def test_items_left_unprocessed_are_sent_again_until_every_one_is_written(table: Table, waits: list[float]) -> None:
    # Given DynamoDB that takes only half of each of the next three batches
    throttled = PartialBatches(table.client, calls=3)

    # When 30 items are put (a batch of 25, then one of 5)
    table.batch_put(_items(30), base_seconds=0.05)

    # Then the first batch went out as 13, then 6, then 3, then the last 3 at once; then the 5
    assert throttled.sent == [13, 6, 3, 3, 5]
    assert throttled.left_over == [12, 6, 3, 0, 0]
    # each one after a wait of at most the back-off's bound (full jitter), which doubles
    assert len(waits) == 3
    assert all(0 <= wait <= 0.05 * 2**attempt for attempt, wait in enumerate(waits))
    # and every item is stored, whole
    assert _stored(table, 30) == _items(30)


def test_writes_that_stay_unprocessed_raise_and_running_again_completes(table: Table, waits: list[float]) -> None:
    # Given DynamoDB that keeps taking only half
    throttled = PartialBatches(table.client, calls=100)

    # When 8 items are put with three attempts
    with pytest.raises(RuntimeError, match="unprocessed"):
        table.batch_put(_items(8), attempts=3)

    # Then what DynamoDB took is stored, and the rest is not
    assert throttled.sent == [4, 2, 1]
    assert sum(item is not None for item in _stored(table, 8)) == 7
    # and the same call once the throttling has passed writes the rest, the others put again unchanged
    throttled.remove()
    table.batch_put(_items(8))
    assert _stored(table, 8) == _items(8)
