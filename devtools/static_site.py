"""A folder of files on a loopback origin of its own: the static blogs and frontends that pages in Chromium load.

The benches' pages (bench/thread_view.py, bench/peers_stacks.py) and the browser tests' static blog and Conduit
frontends (tests/browser/) each need one; this is the one way they are served.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class QuietFiles(SimpleHTTPRequestHandler):
    """The folder's files, with no request log: the benches print figures and the tests their own output."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def served(folder: Path, handler: type[SimpleHTTPRequestHandler] = QuietFiles) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 at a free port, as its base URL, until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
