"""One reader's visits to a system's page in Chromium: a first visit with an empty cache, then a repeat.

Timing is the page's own clock: a MutationObserver, installed before the page's scripts run,
notes ``performance.now()`` (milliseconds since navigation began) when the first and when
the last (COMMENTS-th) comment element is in the DOM. Requests and bytes come from the
DevTools protocol (Network domain): every request that went to the network (answers from
the browser's cache are not requests), and ``encodedDataLength``, the bytes received for
it, headers included, as they came over the wire.

Added latency is Chromium's own network emulation (``Network.emulateNetworkConditions``,
``latency`` ms added to each request's response), not a Playwright route: routing a page
turns its HTTP cache off, and the repeat visit is about that cache.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from bench.peers_stacks import COMMENT_SELECTORS, System
from bench.peers_thread import COMMENTS

TIMEOUT_MS = 120_000
_WATCH = """(([selector, want]) => {
  const seen = () => {
    const count = document.querySelectorAll(selector).length;
    if (count >= 1 && window.__firstComment === undefined) window.__firstComment = performance.now();
    if (count >= want && window.__lastComment === undefined) {
      window.__lastComment = performance.now();
      watcher.disconnect();
    }
  };
  const watcher = new MutationObserver(seen);
  watcher.observe(document, {childList: true, subtree: true});
})"""


@dataclass
class Visit:
    first_ms: float
    last_ms: float
    requests: int
    bytes: int
    shown: int


@dataclass
class ApiRequest:
    """A request the widget made to its API on a first visit, to replay as a view (bench/peers.py)."""

    method: str
    path: str  # with its query
    headers: dict[str, str]
    body: str | None


@dataclass
class _Network:
    sent: set[str] = field(default_factory=set)
    cached: set[str] = field(default_factory=set)
    received: dict[str, int] = field(default_factory=dict)

    def listen(self, cdp: Any) -> None:
        cdp.on("Network.requestWillBeSent", lambda event: self.sent.add(event["requestId"]))
        cdp.on("Network.requestServedFromCache", lambda event: self.cached.add(event["requestId"]))
        cdp.on("Network.loadingFinished",
               lambda event: self.received.__setitem__(event["requestId"], int(event["encodedDataLength"])))

    def reset(self) -> None:
        self.sent.clear()
        self.cached.clear()
        self.received.clear()

    def totals(self) -> tuple[int, int]:
        went = self.sent - self.cached
        return len(went), sum(self.received.get(request_id, 0) for request_id in went)


def _script(system: System) -> str:
    return f"{_WATCH}({json.dumps([COMMENT_SELECTORS[system.name], COMMENTS])})"


def _one(page: Any, url: str, network: _Network, system: System) -> Visit:
    network.reset()
    page.goto(url)
    page.wait_for_function("window.__lastComment !== undefined", timeout=TIMEOUT_MS)
    first, last = page.evaluate("[window.__firstComment, window.__lastComment]")
    page.wait_for_load_state("networkidle")  # what the page still fetched after the thread counts too
    requests, received = network.totals()
    shown = page.locator(COMMENT_SELECTORS[system.name]).count()
    return Visit(float(first), float(last), requests, received, shown)


def visits(browser: Any, system: System, latency_ms: int) -> tuple[Visit, Visit]:
    """A first visit in a new context (an empty cache), then a repeat visit to the same page in it."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        context.add_init_script(_script(system))
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        network = _Network()
        network.listen(cdp)
        cdp.send("Network.enable")
        if latency_ms:
            cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                          "downloadThroughput": -1, "uploadThroughput": -1})
        first = _one(page, system.page, network, system)
        repeat = _one(page, system.page, network, system)
        return first, repeat
    finally:
        context.close()


def recorded(browser: Any, system: System) -> tuple[list[ApiRequest], dict[str, int]]:
    """One first visit, unmeasured: the widget's API requests (to replay), and its files gzipped as served.

    The widget's files are whatever scripts and stylesheets the page fetched from the system's address,
    so the figure follows the widget's layout, whatever files it is split into.
    """
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    calls: list[ApiRequest] = []
    files: dict[str, int] = {}
    try:
        context.add_init_script(_script(system))
        page = context.new_page()

        def answered(response: Any) -> None:
            request = response.request
            if not request.url.startswith(system.api):
                return
            path = request.url.removeprefix(system.api)
            if request.resource_type in ("script", "stylesheet"):
                files[path.split("?")[0]] = len(gzip.compress(response.body(), 9))
            elif request.method != "OPTIONS":
                headers = {name: value for name, value in request.headers.items()
                           if name.lower() in ("accept", "content-type", "origin", "x-requested-with")}
                calls.append(ApiRequest(request.method, path, headers, request.post_data))

        page.on("response", answered)
        page.goto(system.page)
        page.wait_for_function("window.__lastComment !== undefined", timeout=TIMEOUT_MS)
        page.wait_for_load_state("networkidle")
        return calls, files
    finally:
        context.close()
