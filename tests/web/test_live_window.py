"""The live-thread promise of docs/live-threads.md, held by the numbers that make it: a comment reaches
an open page within 30 s when the cache keeps a page (CACHE_PAGE) and the widget waits between looks
(data-live) no longer than that between them, and the bench measures those same defaults."""

from __future__ import annotations

import re
from pathlib import Path

from bench import live_threads
from chalicelib.settings import load_settings

WIDGET = Path(__file__).resolve().parents[2] / "web-src" / "widget" / "main.js"  # built into web/widget.js
PROMISE_SECONDS = 30


def widget_live_default() -> int:
    found = re.search(r"live: Number\(script\?\.dataset\.live \?\? (\d+)\)", WIDGET.read_text(encoding="utf-8"))
    assert found, "the widget (web-src/widget/main.js) names its data-live default"
    return int(found[1])


def test_a_page_in_the_cache_and_the_wait_between_looks_add_up_to_the_promise() -> None:
    shared, browser, stale = load_settings({}).cache_times["page"]
    # Browsers check each time (their copy would add its own age), and no stale copy is served past it
    assert (browser, stale) == (0, 0)
    assert shared + widget_live_default() <= PROMISE_SECONDS


def test_the_bench_measures_the_defaults_readers_get() -> None:
    assert load_settings({}).cache_times["page"][0] == live_threads.TTL
    assert widget_live_default() == live_threads.LIVE
