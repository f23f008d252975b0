"""moto's DynamoDB in server mode, on loopback, one request at a time.

Two gaps between moto and DynamoDB are closed here, where requests arrive:
- moto's backends are not thread-safe: two requests updating one item at the
  same moment can interleave inside moto and lose a write, which real DynamoDB
  never does. Serialising requests gives the per-item atomicity DynamoDB
  promises (and more), so concurrency tests exercise our code, not moto's races.
- DynamoDB makes TransactWriteItems idempotent by ClientRequestToken (botocore
  fills one in and reuses it when it retries a call that timed out); moto
  ignores the token, so a retried transaction that had in fact succeeded would
  fail its own conditions. Successful transactions are remembered by token for
  10 minutes, DynamoDB's idempotency window (and 10,000 tokens at most).

Two habits of moto that make a long-running server grow without end are undone
after every request:
- moto registers every model object it ever makes (for its dashboard), and
  never lets go of one: each TransactWriteItems deep-copies the whole table (to
  roll back), and each read copies the items it returns, so the registry kept a
  copy of the table per transaction. The registry is emptied after each request.
- moto keeps every stream record of a table with a stream, and copies them all
  on every transaction. Only the latest records are kept, as DynamoDB trims
  records older than 24 hours; those a reader (devtools/local_stream.py, through
  a shard iterator) has yet to read are kept too, up to STREAM_RECORDS_UNREAD.
  moto also keeps every shard iterator it hands out: only the latest are kept.

And a transaction saves only the items it names to roll back, not the whole
table once per operation (devtools/moto_rollback.py): its time no longer grows
with the table.
"""

from __future__ import annotations

import importlib
import io
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from devtools.moto_deploy import DeployGaps
from devtools.moto_rollback import item_rollback

_TRANSACTION_TARGET = "DynamoDB_20120810.TransactWriteItems"
_REMEMBERED_TOKENS = 10_000
TOKEN_SECONDS = 600  # DynamoDB honours a ClientRequestToken for 10 minutes
STREAM_RECORDS_KEPT = 100
STREAM_RECORDS_UNREAD = 10_000  # a reader stuck this far behind loses the oldest, as after 24 hours in DynamoDB
SHARD_ITERATORS_KEPT = 20  # a reader uses the latest it was given; older ones are never asked for again


def _reading_from() -> dict[int, int]:
    """The first sequence number a live shard iterator will read, by shard (its id()); older iterators are forgotten."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    reading: dict[int, int] = {}
    for regions in list(dynamodbstreams_backends.values()):
        for backend in list(regions.values()):
            iterators = backend.shard_iterators
            for stale in list(iterators)[:-SHARD_ITERATORS_KEPT]:
                del iterators[stale]
            for iterator in iterators.values():
                shard = id(iterator.stream_shard)
                reading[shard] = min(reading.get(shard, iterator.sequence_number), iterator.sequence_number)
    return reading


def forget_moto_models() -> None:
    """Empty moto's registry of model objects and trim every stream shard to its latest (and unread) records."""
    from moto.core.model_instances import reset_model_data
    from moto.dynamodb.models import dynamodb_backends

    reset_model_data()
    reading = _reading_from()
    for regions in list(dynamodb_backends.values()):
        for backend in list(regions.values()):
            for table in list(backend.tables.values()):
                shard = table.stream_shard
                if shard is not None and len(shard.items) > STREAM_RECORDS_KEPT:
                    dropped = len(shard.items) - STREAM_RECORDS_KEPT
                    if id(shard) in reading:  # not what a reader has yet to read (within bounds)
                        unread_from = reading[id(shard)] - shard.starting_sequence_number
                        dropped = max(min(dropped, unread_from), len(shard.items) - STREAM_RECORDS_UNREAD, 0)
                    # Sequence numbers stay increasing: the shard's start moves past what is dropped.
                    first_kept = shard.starting_sequence_number + dropped
                    shard.starting_sequence_number = first_kept
                    shard.items = shard.items[dropped:]


_Remembered = tuple[float, str, list[tuple[str, str]], list[bytes]]  # (expires, status, headers, body)


class _OneAtATime:
    def __init__(self, app: Callable[..., Iterable[bytes]], clock: Callable[[], float] = time.monotonic,
                 after_each: Callable[[], None] = forget_moto_models) -> None:
        self.app = app
        self.clock = clock
        self.after_each = after_each
        self.lock = threading.Lock()
        self.transactions: OrderedDict[str, _Remembered] = OrderedDict()

    def _forget_expired(self, now: float) -> None:
        # Oldest first: every token lives as long as the next, so the expired ones lead.
        while self.transactions and next(iter(self.transactions.values()))[0] <= now:
            self.transactions.popitem(last=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        token: str | None = None
        if environ.get("HTTP_X_AMZ_TARGET") == _TRANSACTION_TARGET:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            token = json.loads(body or b"{}").get("ClientRequestToken")
        with self.lock:
            now = self.clock()
            self._forget_expired(now)
            if token is not None and token in self.transactions:
                _, status, headers, chunks = self.transactions[token]
                start_response(status, headers)
                return chunks
            seen: list[Any] = []

            def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                seen[:] = [status, headers]
                return start_response(status, headers, *rest)

            # Drain the body inside the lock so the whole request is one step.
            transaction = environ.get("HTTP_X_AMZ_TARGET") == _TRANSACTION_TARGET
            try:
                with item_rollback() if transaction else nullcontext():
                    chunks = list(self.app(environ, capture))
            finally:
                self.after_each()
            if token and seen and seen[0].startswith("200"):
                self.transactions[token] = (now + TOKEN_SECONDS, seen[0], seen[1], chunks)
                if len(self.transactions) > _REMEMBERED_TOKENS:
                    self.transactions.popitem(last=False)
            return chunks


class MotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass  # one line per DynamoDB call drowns the API's own log

        # moto loads a service on its first request. On a fresh clone (`make run` installs without
        # compiling) on a busy machine that took longer than the client's read timeout, whose retry
        # then found the table the first attempt had made. So DynamoDB is loaded here, before any request.
        for module in ("moto.dynamodb.models", "moto.dynamodb.responses", "moto.dynamodb.urls"):
            importlib.import_module(module)

        # What `chalice deploy` meets where moto differs from AWS (devtools/moto_deploy.py).
        self.gaps = DeployGaps(DomainDispatcherApplication(create_backend_app))
        app = _OneAtATime(self.gaps)
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=QuietHandler
        )
        # Polling for shutdown every 0.1 s rather than 0.5 s: `make run` stops that much sooner.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True, name="moto")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
