"""A reader's view of a 200-comment thread in Chromium, through the project's nginx cache.

One post with 200 comments (50 of them replies) in `make run`'s stack, nginx
(devtools/edge_cache.py) in front, and a static page embedding the widget from
the cache's address, as a blog on another site does. Each view is a new browser
context (an empty browser cache), so each is a first visit for the browser; the
shared cache is what repeat views lean on.

- First visit: the requests the page makes to the API's address (widget files
  and API calls apart), and the bytes they bring (headers and bodies as sent: the
  API does not compress, a CDN in front would); "Load more" is pressed until all
  200 comments are on the page, so a widget that pages counts every page.
- The form's token: how many are asked for before the reader writes (none), and
  after they put the cursor in the comment box (one).
- Repeat views: what reached the API (its own request log) for REPEATS more
  first visits by other readers while the shared copies are fresh.

Counts only; no time is measured.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests

from bench.report import Figure, at_most, info
from bench.seed import seed_running_stack
from devtools import edge_cache, stack_process
from devtools.offline_aws import use_offline_aws
from devtools.seed import LOCAL_ADMIN
from devtools.static_site import served

SECTION = "a 200-comment thread in Chromium, through nginx"
COMMENTS = 200
REPLIES = 50
REPEATS = 20
# Shared copies stay fresh for the whole run; the browser keeps none (max-age=0).
CACHE_TIMES = "600/0/0"
_WIDGET_FILES = ("/widget.js", "/widget.css")


def _page(folder: Path, api: str, slug: str) -> str:
    (folder / "post.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A static blog</title></head>
<body><article><h1>A post</h1></article><div id="comments"></div>
<script src="{api}/widget.js" data-post="{slug}"></script></body></html>""")
    return "post.html"


def _origin_requests(log: Path, start: int) -> list[dict[str, Any]]:
    """The API's own request lines (api/observability.py) after line ``start``: what reached the origin."""
    return [json.loads(raw) for raw in log.read_text().splitlines()[start:]
            if raw.startswith('{"level"') and '"event":"request"' in raw]


def _visit(browser: Any, url: str, api: str, write: bool = False) -> dict[str, Any]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    """One first visit until all the thread is on the page; the requests to ``api`` and their bytes."""
    context = browser.new_context()
    context.set_default_timeout(60_000)
    seen: list[tuple[str, int]] = []

    def finished(request: Any) -> None:
        if request.url.startswith(api):
            sizes = request.sizes()
            seen.append((request.url.removeprefix(api), sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page = context.new_page()
    page.on("requestfinished", finished)
    page.goto(url)
    page.locator("form.bc-form").wait_for()
    more = page.locator("button.bc-more")
    while more.is_visible():
        more.click()
        page.wait_for_function("() => !document.querySelector('button.bc-more[aria-busy]')")
    page.wait_for_function(f"document.querySelectorAll('li.bc-comment').length >= {COMMENTS}")
    shown = page.locator("li.bc-comment").count()
    before_writing = list(seen)
    if write:
        # A widget that fetched its token with the page asks nothing more here (then the wait runs out).
        with contextlib.suppress(PlaywrightTimeout), page.expect_request(
                lambda r: r.url.endswith("/comment-form"), timeout=5_000) as asked:
            page.locator("form.bc-form textarea").focus()
        with contextlib.suppress(PlaywrightTimeout):
            answer = asked.value.response()
            if answer is not None:
                answer.finished()  # so its requestfinished event has been counted
    after_writing = list(seen)
    context.close()
    return {"shown": shown, "before": before_writing, "after": after_writing}


def _measure(running: stack_process.StackProcess, cache_url: str, browser: Any, folder: Path) -> list[Figure]:
    token = requests.post(f"{running.url}/auth/login", json={"email": LOCAL_ADMIN["email"],
                                                             "password": LOCAL_ADMIN["password"]},
                          timeout=60).json()["token"]
    made = requests.post(f"{running.url}/posts", json={"title": "A busy thread", "body": "Text."},
                         headers={"Authorization": f"Bearer {token}"}, timeout=60)
    slug = made.json()["slug"]
    seed_running_stack(int(running.url.rsplit(":", 1)[1]), slug, COMMENTS, REPLIES)
    with served(folder) as site:
        url = f"{site}/{_page(folder, cache_url, slug)}"
        first = _visit(browser, url, cache_url, write=True)
        start = len(running.log.read_text().splitlines())
        for _ in range(REPEATS):
            _visit(browser, url, cache_url)
        origin = _origin_requests(running.log, start)
    reads = first["before"]
    api_calls = [(path, size) for path, size in reads if path.split("?")[0] not in _WIDGET_FILES]
    forms = [path for path, _ in reads if path.endswith("/comment-form")]
    forms_after = [path for path, _ in first["after"] if path.endswith("/comment-form")]
    api_bytes = sum(size for _, size in api_calls)
    all_bytes = sum(size for _, size in reads)
    origin_api = [line for line in origin if str(line["path"]) not in _WIDGET_FILES]
    return [
        info(SECTION, "comments on the page", str(first["shown"]), f"of {COMMENTS} ({REPLIES} replies)"),
        info(SECTION, "first visit: requests", str(len(reads)),
             f"{len(reads) - len(api_calls)} widget files + {len(api_calls)} API"),
        at_most(SECTION, "first visit: API requests to show the thread", len(api_calls), 2,
                note=api_calls[0][0] + (f" and {len(api_calls) - 1} more" if len(api_calls) > 1 else "")),
        info(SECTION, "first visit: bytes", f"{all_bytes / 1000:.1f} KB",
             f"API answers {api_bytes / 1000:.1f} KB (uncompressed, headers included)"),
        at_most(SECTION, "form tokens asked for before the reader writes", len(forms), 0,
                note=f"{len(forms_after) - len(forms)} once the reader puts the cursor in the comment box"),
        at_most(SECTION, f"{REPEATS} more readers' first visits: API requests at the origin", len(origin_api), 0,
                note=f"{len(origin)} origin requests in all (widget files included); shared copies fresh"),
    ]


def measure() -> list[Figure]:
    from devtools import chromium

    if not Path(edge_cache.NGINX).exists():
        return [info(SECTION, "skipped", "no nginx", "run devtools/install_nginx.sh (make nginx)")]
    if not chromium.EXECUTABLE.exists():
        return [info(SECTION, "skipped", "no Chromium", "run devtools/install_chromium.sh (make browser)")]
    from playwright.sync_api import sync_playwright

    use_offline_aws()
    with tempfile.TemporaryDirectory() as tmp:
        running = stack_process.start(Path(tmp), CACHE_PAGE=CACHE_TIMES, CACHE_LIST=CACHE_TIMES,
                                      CACHE_ASSET=CACHE_TIMES)
        cache = None
        try:
            cache = edge_cache.start(stack_process.free_port(), int(running.url.rsplit(":", 1)[1]))
            site = Path(tmp) / "site"
            site.mkdir()
            with sync_playwright() as playwright:
                browser = chromium.launch(playwright)
                try:
                    return _measure(running, cache.url, browser, site)
                finally:
                    browser.close()
        finally:
            if cache is not None:
                cache.stop()
            running.stop()


if __name__ == "__main__":
    from bench.report import render

    print(render(measure()))
    sys.exit(0)
