"""The store's refusals: a cancelled transaction raises the refusal of the write that failed."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, RateLimited
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table, put
from tests.conftest import TEST_TABLE, DynamoCalls


@pytest.fixture
def table(dynamo: DynamoCalls) -> Table:
    return Table(dynamodb_client(), TEST_TABLE)


def test_refusals_failing_together_name_every_field_without_changing_the_ones_given(table: Table) -> None:
    # Given two items already there, and one refusal object per write, as a module might share them
    table.transact([put({"PK": "A", "SK": "A"}), put({"PK": "B", "SK": "B"})])
    taken_a = Conflict("a is taken", {"a": ["is taken"]})
    taken_b = Conflict("b is taken", {"b": ["is taken"]})

    # When a transaction fails both conditions, twice
    for _ in range(2):
        with pytest.raises(Conflict) as refused:
            table.transact([put({"PK": "A", "SK": "A"}, "attribute_not_exists(PK)", refusal=taken_a),
                            put({"PK": "B", "SK": "B"}, "attribute_not_exists(PK)", refusal=taken_b)])

        # Then the refusal raised names both fields, and says what the first one says
        assert refused.value.errors == {"a": ["is taken"], "b": ["is taken"]}
        assert refused.value.detail == "a is taken"
    # And the refusals given are as they were
    assert taken_a.errors == {"a": ["is taken"]}
    assert taken_b.errors == {"b": ["is taken"]}


def test_a_refusal_with_other_errors_keeps_everything_else() -> None:
    limited = RateLimited("slow down", retry_after=30)

    changed = limited.with_errors({"body": ["too many"]})

    assert isinstance(changed, RateLimited)
    assert (changed.detail, changed.retry_after, str(changed)) == ("slow down", 30, "slow down")
    assert changed.errors == {"body": ["too many"]}
    assert limited.errors == {}
