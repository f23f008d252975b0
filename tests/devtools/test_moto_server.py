"""devtools/moto_server.py: a long-running moto that stays its size, and idempotency tokens that expire."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from devtools import moto_server
from devtools.moto_server import STREAM_RECORDS_KEPT, TOKEN_SECONDS, MotoServer
from infra.table import create_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE = "moto-server-test"


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[DynamoDBClient]:
    server = MotoServer().start()  # a free port on loopback
    client = boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    create_table(client, TABLE)  # infra/table.json: with its NEW_AND_OLD_IMAGES stream
    yield client
    server.stop()


def _transact(client: DynamoDBClient, n: int) -> None:
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {"PK": {"S": f"THING#{n}"}, "SK": {"S": "#THING"}}}},
        {"Update": {"TableName": TABLE, "Key": {"PK": {"S": "COUNTER"}, "SK": {"S": "#COUNTER"}},
                    "UpdateExpression": "ADD hits :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
    ])


def test_transactions_leave_no_copy_of_the_table_behind(dynamodb: DynamoDBClient) -> None:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord, Table

    # Given a table that has taken some writes
    for n in range(5):
        _transact(dynamodb, n)
    # When many more transactions run (moto deep-copies the whole table for each, to roll back)
    for n in range(5, 60):
        _transact(dynamodb, n)
        dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "COUNTER"}, "SK": {"S": "#COUNTER"}})

    # Then moto's registry of model objects holds none of those copies
    def tracked(model: type) -> int:
        return len(model.instances_tracked)  # type: ignore[attr-defined]

    assert tracked(Table) <= 2, "every transaction's copy of the table is kept"
    assert tracked(StreamRecord) <= STREAM_RECORDS_KEPT
    assert tracked(Item) <= 10


def test_the_stream_keeps_only_its_latest_records_in_order(dynamodb: DynamoDBClient) -> None:
    from moto.dynamodb.models import dynamodb_backends

    for n in range(100, 100 + STREAM_RECORDS_KEPT + 30):
        _transact(dynamodb, n)  # two stream records each

    shard = dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE].stream_shard
    assert shard is not None
    assert len(shard.items) == STREAM_RECORDS_KEPT
    numbers = [int(record.record["dynamodb"]["SequenceNumber"]) for record in shard.items]
    # Sequence numbers still rise one by one and start where the shard says it starts.
    assert numbers == list(range(shard.starting_sequence_number, shard.starting_sequence_number + len(numbers)))



def _item(dynamodb: DynamoDBClient, pk: str, sk: str) -> dict[str, Any] | None:
    return dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}}).get("Item")


def _stream_length() -> int:
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE].stream_shard
    assert shard is not None
    return len(shard.items)


def test_a_cancelled_transaction_leaves_every_item_it_touched_as_it_was(dynamodb: DynamoDBClient) -> None:
    # Given two partitions with items, one with a counter
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "ROLL#A"}, "SK": {"S": "#1"}, "n": {"N": "1"}})
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "ROLL#A"}, "SK": {"S": "#2"}, "n": {"N": "2"}})
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "ROLL#B"}, "SK": {"S": "#1"}, "n": {"N": "3"}})
    records = _stream_length()

    # When one transaction adds to A, changes A, deletes from B, opens partition C, and then fails its last condition
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "ROLL#A"}, "SK": {"S": "#3"}}}},
            {"Update": {"TableName": TABLE, "Key": {"PK": {"S": "ROLL#A"}, "SK": {"S": "#1"}},
                        "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "10"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"PK": {"S": "ROLL#B"}, "SK": {"S": "#1"}}}},
            {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "ROLL#C"}, "SK": {"S": "#1"}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {"PK": {"S": "ROLL#A"}, "SK": {"S": "#2"}},
                                "ConditionExpression": "attribute_not_exists(PK)"}},
        ])

    # Then nothing it did remains, its stream records included
    assert _item(dynamodb, "ROLL#A", "#1") == {"PK": {"S": "ROLL#A"}, "SK": {"S": "#1"}, "n": {"N": "1"}}
    assert _item(dynamodb, "ROLL#A", "#2") == {"PK": {"S": "ROLL#A"}, "SK": {"S": "#2"}, "n": {"N": "2"}}
    assert _item(dynamodb, "ROLL#A", "#3") is None
    assert _item(dynamodb, "ROLL#B", "#1") == {"PK": {"S": "ROLL#B"}, "SK": {"S": "#1"}, "n": {"N": "3"}}
    assert _item(dynamodb, "ROLL#C", "#1") is None
    assert _stream_length() == records
    # and the same writes without the failing check go through whole
    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "ROLL#A"}, "SK": {"S": "#3"}}}},
        {"Delete": {"TableName": TABLE, "Key": {"PK": {"S": "ROLL#B"}, "SK": {"S": "#1"}}}},
    ])
    assert _item(dynamodb, "ROLL#A", "#3") is not None
    assert _item(dynamodb, "ROLL#B", "#1") is None
    assert _stream_length() == min(records + 2, STREAM_RECORDS_KEPT)


def test_a_transaction_copies_what_it_touches_never_the_whole_table(dynamodb: DynamoDBClient,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    def refuse(self: Table, memo: dict[int, Any]) -> Table:
        raise AssertionError("the whole table was copied")

    # Given that copying a whole table fails loudly
    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)
    # When transactions succeed and fail
    _transact(dynamodb, 1000)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "THING#1000"}, "SK": {"S": "#THING"}},
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ])
    # Then both answered as DynamoDB does (a copy of the table would have been a 500)
    assert _item(dynamodb, "THING#1000", "#THING") is not None


class _Transactions:
    """A WSGI app standing in for moto: counts the transactions it really runs."""

    def __init__(self) -> None:
        self.ran = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.ran += 1
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [b"{}"]


def _send(app: Callable[..., Iterable[bytes]], token: str) -> None:
    import io
    import json

    body = json.dumps({"TransactItems": [], "ClientRequestToken": token}).encode()
    environ = {"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems", "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body)}
    list(app(environ, lambda status, headers, *rest: None))


def test_a_transaction_token_is_remembered_for_ten_minutes_only() -> None:
    now = [1000.0]
    moto = _Transactions()
    app = moto_server._OneAtATime(moto, clock=lambda: now[0], after_each=lambda: None)

    _send(app, "token-1")
    now[0] += TOKEN_SECONDS - 1
    _send(app, "token-1")  # a retry inside the window: answered from memory
    assert moto.ran == 1

    now[0] += 2
    _send(app, "token-1")  # the window has passed: DynamoDB would run it again
    assert moto.ran == 2
    assert list(app.transactions) == ["token-1"]  # and only the fresh memory of it is kept


def test_expired_tokens_are_forgotten_without_being_asked_for() -> None:
    now = [0.0]
    app = moto_server._OneAtATime(_Transactions(), clock=lambda: now[0], after_each=lambda: None)
    for n in range(50):
        _send(app, f"old-{n}")
    now[0] += TOKEN_SECONDS + 1
    _send(app, "new")
    assert list(app.transactions) == ["new"]
