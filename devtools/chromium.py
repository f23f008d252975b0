"""Debian's Chromium under Playwright, for the browser tests and the README's screenshot.

Playwright cannot download its own browsers here, so it drives the system's
Chromium (devtools/install_chromium.sh puts it there). The flags keep a headless
browser from reaching for Google's services: on a machine with no internet every
such attempt is a refused connection, many at a time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

EXECUTABLE = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright) -> Browser:
    if not EXECUTABLE.exists():
        raise FileNotFoundError(f"no Chromium at {EXECUTABLE}: run `make browser` (or set CHROMIUM)")
    return playwright.chromium.launch(executable_path=str(EXECUTABLE), args=FLAGS, headless=True)
