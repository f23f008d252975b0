"""The comment widget's weight: what a reader's browser downloads to show the thread.

Measured on the files as served (no minifier in the build), raw and gzipped,
since API Gateway or a CDN in front compresses text when the reader accepts it.
"""

from __future__ import annotations

import gzip

from bench.report import Figure, at_most, info
from chalicelib.api.web import WEB_ROOT

SECTION = "comment widget (web/)"
BUDGET_GZIP_KB = 15.0


def measure() -> list[Figure]:
    files = {name: (WEB_ROOT / name).read_bytes() for name in ("widget.js", "widget.css")}
    raw = {name: len(body) / 1000 for name, body in files.items()}
    zipped = {name: len(gzip.compress(body, 9)) / 1000 for name, body in files.items()}
    return [
        *(info(SECTION, name, f"{raw[name]:.1f} KB", f"{zipped[name]:.1f} KB gzipped") for name in files),
        at_most(SECTION, "widget.js + widget.css, gzipped", sum(zipped.values()), BUDGET_GZIP_KB, " KB", digits=1,
                note="no framework, no dependencies; 2 API requests to show a thread"),
    ]
