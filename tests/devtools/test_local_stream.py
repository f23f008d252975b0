"""devtools/local_stream.py: the table's stream read from moto's server as Lambda's event source mapping reads it.

Real DynamoDB and DynamoDB Streams calls against devtools.moto_server; the
handler is a recorder (or one that fails), so what is checked is the reading:
batches, order, retries, the starting position.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from devtools import local_stream
from devtools.local_stream import ShardReader
from devtools.moto_server import STREAM_RECORDS_KEPT, MotoServer
from infra.table import create_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE = "local-stream-test"


class Moto:
    def __init__(self, server: MotoServer) -> None:
        options: dict[str, Any] = {"endpoint_url": server.url, "region_name": "us-east-1",
                                   "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.dynamodb: DynamoDBClient = boto3.client("dynamodb", **options)
        self.streams = boto3.client("dynamodbstreams", **options)
        create_table(self.dynamodb, TABLE)
        self.arn = self.dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]

    def write(self, *names: str) -> None:
        for name in names:
            self.dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": f"THING#{name}"}, "SK": {"S": "#THING"}})


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    server = MotoServer().start()
    yield Moto(server)
    server.stop()


class Recorder:
    """A handler that takes batches (after failing the first ``failures`` deliveries), and the backoffs waited."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.deliveries: list[list[str]] = []
        self.waited: list[float] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.deliveries.append([r["dynamodb"]["Keys"]["PK"]["S"].removeprefix("THING#") for r in event["Records"]])
        if self.failures:
            self.failures -= 1
            raise RuntimeError("SES is down")

    def wait(self, seconds: float) -> bool:
        self.waited.append(seconds)
        return False  # not stopping: try again at once (the test does not sleep)


def reader(moto: Moto, handler: Recorder, batch_size: int = 3, max_attempts: int = 8) -> ShardReader:
    made = ShardReader(moto.streams, moto.arn, handler, batch_size, "notify_comments", wait=handler.wait,
                       max_attempts=max_attempts)
    made.start_at_latest()
    return made


def drain(made: ShardReader) -> None:
    while made.poll():
        pass


def test_records_come_in_order_in_batches_of_the_handlers_size_from_the_start_on(moto: Moto) -> None:
    moto.write("before")  # written before the reader starts: not news (StartingPosition LATEST)
    handler = Recorder()
    made = reader(moto, handler, batch_size=3)
    moto.write(*"abcdefg")

    drain(made)

    assert handler.deliveries == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert made.poll() == 0  # nothing twice


def test_records_arrive_as_lambda_delivers_them(moto: Moto) -> None:
    handler = Recorder()
    made = reader(moto, handler)
    seen: list[dict[str, Any]] = []
    made.handler = lambda event: seen.extend(event["Records"])
    moto.write("shape")

    drain(made)

    [record] = seen
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == moto.arn
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)  # epoch seconds, not a datetime
    assert record["dynamodb"]["NewImage"]["PK"] == {"S": "THING#shape"}


def test_a_failed_batch_comes_again_whole_before_any_later_record(moto: Moto) -> None:
    handler = Recorder(failures=2)
    made = reader(moto, handler, batch_size=2)
    moto.write("h", "i", "j")

    drain(made)

    assert handler.deliveries == [["h", "i"], ["h", "i"], ["h", "i"], ["j"]]
    assert handler.waited == [local_stream.POLL_SECONDS, local_stream.POLL_SECONDS * 2]  # backing off


def test_a_batch_that_never_goes_is_passed_over_after_its_attempts(moto: Moto) -> None:
    handler = Recorder(failures=3)
    made = reader(moto, handler, batch_size=1, max_attempts=3)
    moto.write("poison", "next")

    drain(made)

    assert handler.deliveries == [["poison"]] * 3 + [["next"]]


def test_records_a_reader_has_yet_to_read_outlive_the_trimming(moto: Moto) -> None:
    handler = Recorder()
    made = reader(moto, handler, batch_size=100)
    names = [f"n{i}" for i in range(STREAM_RECORDS_KEPT + 40)]
    moto.write(*names)  # more than moto_server keeps when nobody reads

    drain(made)

    assert [name for batch in handler.deliveries for name in batch] == names


def test_stopping_ends_the_retries(moto: Moto) -> None:
    handler = Recorder(failures=5)
    made = reader(moto, handler, batch_size=5)
    made.wait = lambda seconds: True  # the stack is stopping
    moto.write("last")

    assert made.poll() == 1
    assert handler.deliveries == [["last"]]  # tried once, not again while stopping
