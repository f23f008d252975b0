"""The admin console's weight as served: its script (minified from web-src/admin/ by `make js`) and styles."""

from __future__ import annotations

import gzip

from bench.report import Figure, at_most, info
from chalicelib.api.web import WEB_ROOT

SECTION = "admin console (web/admin/)"
BUDGET_GZIP_KB = 30.0


def measure() -> list[Figure]:
    files = {name: (WEB_ROOT / "admin" / name).read_bytes() for name in ("admin.js", "admin.css", "index.html")}
    raw = {name: len(body) / 1000 for name, body in files.items()}
    zipped = {name: len(gzip.compress(body, 9)) / 1000 for name, body in files.items()}
    code = zipped["admin.js"] + zipped["admin.css"]
    return [
        *(info(SECTION, name, f"{raw[name]:.1f} KB", f"{zipped[name]:.1f} KB gzipped") for name in files),
        at_most(SECTION, "admin.js + admin.css, gzipped", code, BUDGET_GZIP_KB, " KB", digits=1,
                note="no framework; at most 3 API requests to the first screen (tests/browser/test_console_posts.py)"),
    ]
