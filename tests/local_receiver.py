"""A real HTTP server on loopback for the services the app calls out to (siteverify, Akismet).

Each service's stand-in says only how it answers a form (``answer``); this class runs the server,
parses what was POSTed, records it, and plays the failures a test queues: ``"hang"`` (no answer
before the client gives up), or anything else the stand-in's ``answer`` knows how to turn into a reply.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Posted:
    call: str  # the last segment of the path: "siteverify", "comment-check", …
    form: dict[str, str]
    headers: dict[str, str]  # names in lower case


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class LocalReceiver:
    """Serves POSTs on 127.0.0.1 at a free port; ``url`` is the base the app is pointed at."""

    hang_seconds = 5.0  # longer than the app's clients wait

    def __init__(self, path: str) -> None:
        self.calls: list[Any] = []  # what ``recorded`` keeps of each request, oldest first
        self.failures: list[Any] = []  # the next answers, consumed one per request
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                request = Posted(self.path.rsplit("/", 1)[-1],
                                  {name: values[0] for name, values in parse_qs(raw, keep_blank_values=True).items()},
                                  {name.lower(): value for name, value in self.headers.items()})
                receiver.calls.append(receiver.recorded(request))
                failure = receiver.failures.pop(0) if receiver.failures else None
                if failure == "hang":
                    receiver.released.wait(receiver.hang_seconds)
                    return
                reply = receiver.answer(request, failure)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def recorded(self, request: Posted) -> Any:
        return request

    def answer(self, request: Posted, failure: Any) -> Reply:
        """The reply to ``request``; ``failure`` is the queued one (None: the protocol's own answer)."""
        raise NotImplementedError

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
