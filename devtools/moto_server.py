"""moto's DynamoDB in server mode, on loopback, one request at a time.

Two gaps between moto and DynamoDB are closed here, where requests arrive:
- moto's backends are not thread-safe: two requests updating one item at the
  same moment can interleave inside moto and lose a write, which real DynamoDB
  never does. Serialising requests gives the per-item atomicity DynamoDB
  promises (and more), so concurrency tests exercise our code, not moto's races.
- DynamoDB makes TransactWriteItems idempotent by ClientRequestToken (botocore
  fills one in and reuses it when it retries a call that timed out); moto
  ignores the token, so a retried transaction that had in fact succeeded would
  fail its own conditions. Successful transactions are remembered by token.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

_TRANSACTION_TARGET = "DynamoDB_20120810.TransactWriteItems"
_REMEMBERED_TOKENS = 10_000


class _OneAtATime:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.transactions: OrderedDict[str, tuple[str, list[tuple[str, str]], list[bytes]]] = OrderedDict()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        token: str | None = None
        if environ.get("HTTP_X_AMZ_TARGET") == _TRANSACTION_TARGET:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            token = json.loads(body or b"{}").get("ClientRequestToken")
        with self.lock:
            if token is not None and token in self.transactions:
                status, headers, chunks = self.transactions[token]
                start_response(status, headers)
                return chunks
            seen: list[Any] = []

            def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                seen[:] = [status, headers]
                return start_response(status, headers, *rest)

            # Drain the body inside the lock so the whole request is one step.
            chunks = list(self.app(environ, capture))
            if token and seen and seen[0].startswith("200"):
                self.transactions[token] = (seen[0], seen[1], chunks)
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

        app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="moto")

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
