"""`make run`'s event source mapping: the table's stream read in order and handed to app.py's stream handlers.

Deployed, Lambda reads the table's stream (through an event source mapping) and
invokes each @app.on_dynamodb_record handler with batches of at most its
batch_size records, in order per shard, one batch at a time; a batch whose
handler raises is delivered again, whole, before any later record. Locally
nothing did that, so no mail and no webhook was ever sent under `make run`.

Here the same is done with real DynamoDB Streams calls (GetShardIterator,
GetRecords) against moto's server: reading starts at the stream's end when the
stack starts (LATEST, as Chalice's mappings do: restored or seeded items are
not news), each batch goes to the handler through Chalice's own wrapper (the
app's middleware runs, as in Lambda), and a failing batch is retried with a
backoff that doubles up to RETRY_CAP_SECONDS, at most MAX_ATTEMPTS times; then it
is logged and passed over, so one poisoned record cannot stop every later mail
(Lambda would retry until the records expire, 24 hours).
"""

from __future__ import annotations

import base64
import datetime
import functools
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

POLL_SECONDS = 0.25
MAX_ATTEMPTS = 8
RETRY_CAP_SECONDS = 30.0

Handler = Callable[[dict[str, Any]], Any]


def _log(line: str) -> None:
    print(f"stream: {line}", file=sys.stderr, flush=True)


def _as_lambda_sees_it(value: Any) -> Any:
    """A GetRecords record as Lambda's event carries it: times as epoch seconds, binary values in base64."""
    if isinstance(value, Mapping):
        return {key: _as_lambda_sees_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_lambda_sees_it(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value


class ShardReader:
    """One reader of the table's stream shard (moto has one): batches of ``batch_size``, each delivered whole."""

    def __init__(self, streams: Any, stream_arn: str, handler: Handler, batch_size: int, name: str,
                 wait: Callable[[float], bool] | None = None, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.streams = streams
        self.stream_arn = stream_arn
        self.handler = handler
        self.batch_size = batch_size
        self.name = name
        # Waits out a backoff; True means stop now (the stack is stopping).
        self.wait = wait or threading.Event().wait
        self.max_attempts = max_attempts
        self.iterator: str | None = None

    def _iterator(self, kind: str) -> str:
        shard = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        found = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType=kind)
        return str(found["ShardIterator"])

    def start_at_latest(self) -> None:
        """Read from here on, as a new event source mapping with StartingPosition LATEST does."""
        self.iterator = self._iterator("LATEST")

    def poll(self) -> int:
        """Read the next batch and deliver it (with retries); how many records it held (0: nothing new)."""
        if self.iterator is None:
            self.start_at_latest()
        try:
            read = self.streams.get_records(ShardIterator=self.iterator, Limit=self.batch_size)
        except Exception as error:  # noqa: BLE001 - the reader lost its place (records trimmed): go on from the oldest
            _log(f"{self.name}: could not read the stream ({type(error).__name__}: {error}); "
                 "reading on from the oldest record kept")
            self.iterator = self._iterator("TRIM_HORIZON")
            return 0
        records = [{**_as_lambda_sees_it(r), "eventSourceARN": self.stream_arn} for r in read.get("Records", [])]
        if records:
            self.deliver(records)
        self.iterator = read.get("NextShardIterator") or self.iterator
        return len(records)

    def deliver(self, records: list[dict[str, Any]]) -> bool:
        """Hand the batch to the handler until it takes it, or MAX_ATTEMPTS; whether it was taken."""
        backoff = POLL_SECONDS
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.handler({"Records": records})
                return True
            except Exception as error:  # noqa: BLE001 - as Lambda: any failure means the batch comes again
                last = attempt == self.max_attempts
                _log(f"{self.name}: batch of {len(records)} failed (attempt {attempt}: {type(error).__name__}: "
                     f"{error}){'; passed over' if last else f'; again in {backoff:g} s'}")
                if last or self.wait(backoff):
                    return False
                backoff = min(backoff * 2, RETRY_CAP_SECONDS)
        return False


def _invoke(wrapped: Any, name: str, event: dict[str, Any]) -> Any:
    from chalice.local import LambdaContext

    return wrapped(event, LambdaContext(name, memory_size=128, max_runtime_ms=20_000))


def app_handlers(app: Any) -> list[tuple[str, int, Handler]]:
    """Each of the app's stream handlers: (name, batch size, a callable taking a Lambda event)."""
    from chalice.app import DynamoDBEventConfig

    found: list[tuple[str, int, Handler]] = []
    for source in app.event_sources:
        if isinstance(source, DynamoDBEventConfig):
            wrapped = app.handler_map[source.name]

            found.append((source.name, source.batch_size, functools.partial(_invoke, wrapped, source.name)))
    return found


def run(readers: list[ShardReader], stopping: threading.Event, after_each: Callable[[], None] = lambda: None) -> None:
    """Poll every reader until ``stopping`` is set; an idle pass waits POLL_SECONDS. Never raises."""
    while not stopping.is_set():
        busy = False
        for reader in readers:
            try:
                busy = reader.poll() > 0 or busy
            except Exception as error:  # noqa: BLE001 - moto briefly busy or stopping: try again next pass
                _log(f"{reader.name}: {type(error).__name__}: {error}")
            after_each()
        if not busy:
            stopping.wait(POLL_SECONDS)
