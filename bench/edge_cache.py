"""Reads through a real HTTP cache: nginx proxy_cache (devtools/edge_cache.py) in front of `make run`.

For one post page with its comments (``/posts/{slug}?embed=comments``, what the
widget reads) and for the blog index (``/posts``): 1,000 views, one after the
other, with a comment posted every 100 views. Counted from the API's own request
lines (observability.py: one per request that reached it, with its DynamoDB calls).
Views are paced (PACE apart) so the run spans WINDOW many times over.
Shared copies live WINDOW seconds here (CACHE_PAGE/CACHE_LIST=2/0/0, no
stale-while-revalidate) instead of the stages' 30 s, so the run takes seconds
and still spans many windows.

Goal: origin requests ≤ views ÷ (views per window) + writes, i.e. one miss per
window the run spanned, plus the writes. Without a cache every view is an origin
request (views + writes), so the ratio is counted, not run again. The delay from
a comment's write to the first view showing it is at most the window.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.report import Figure, at_most, info
from devtools import edge_cache, stack_process
from devtools.offline_aws import use_offline_aws
from devtools.seed import LOCAL_ADMIN

SECTION = "reads through a real HTTP cache (nginx)"
VIEWS = 1000
WRITE_EVERY = 100
WINDOW = 2
# Views are paced, one every PACE seconds (20 s in all): 100 views, the gap between writes, outlast a window.
PACE = 0.02
_TO_ORIGIN = ("MISS", "EXPIRED", "REVALIDATED", "UPDATING", "STALE", "BYPASS")


def _origin_lines(log: Path, start: int) -> list[dict[str, object]]:
    lines = []
    for raw in log.read_text().splitlines()[start:]:
        if raw.startswith('{"level"') and '"event":"request"' in raw:
            lines.append(json.loads(raw))
    return lines


def _run(session: requests.Session, cache_url: str, path: str, slug: str, token: str) -> dict[str, float]:
    """VIEWS views of ``path`` with a comment on ``slug`` every WRITE_EVERY; what went to the API, and delays."""
    statuses: list[str] = []
    delays: list[float] = []
    waiting: list[tuple[str, float]] = []
    started = time.monotonic()
    for view in range(VIEWS):
        time.sleep(max(0.0, started + view * PACE - time.monotonic()))  # pacing the views, not waiting
        if view and view % WRITE_EVERY == 0:
            written = session.post(f"{cache_url}/posts/{slug}/comments", json={"body": f"Comment at view {view}"},
                                   headers={"Authorization": f"Bearer {token}"}, timeout=60)
            assert written.status_code == 201, written.text
            waiting.append((written.json()["comment"]["id"], time.monotonic()))
        reply = session.get(cache_url + path, timeout=60)
        assert reply.status_code == 200, reply.text
        statuses.append(reply.headers.get("X-Cache-Status", "-"))
        for comment_id, at in [pair for pair in waiting if pair[0] in reply.text]:
            delays.append(time.monotonic() - at)
            waiting.remove((comment_id, at))
    took = time.monotonic() - started
    writes = (VIEWS - 1) // WRITE_EVERY
    return {"took": took, "writes": writes, "misses": sum(s in _TO_ORIGIN for s in statuses),
            "max_delay": max(delays, default=0.0), "seen": len(delays), "unseen": len(waiting)}


def measure() -> list[Figure]:
    if not Path(edge_cache.NGINX).exists():
        return [info(SECTION, "skipped", "no nginx", "run devtools/install_nginx.sh (make nginx)")]
    use_offline_aws()
    figures: list[Figure] = []
    times = f"{WINDOW}/0/0"
    with tempfile.TemporaryDirectory() as tmp:
        running = stack_process.start(Path(tmp), CACHE_PAGE=times, CACHE_LIST=times, COMMENT_RATE_LIMIT="1000000/60")
        cache = None
        try:
            cache = edge_cache.start(stack_process.free_port(), int(running.url.rsplit(":", 1)[1]))
            session = requests.Session()
            token = session.post(f"{running.url}/auth/login", json={"email": LOCAL_ADMIN["email"],
                                                                    "password": LOCAL_ADMIN["password"]},
                                 timeout=60).json()["token"]
            made = session.post(f"{running.url}/posts", json={"title": "Cached page", "body": "Text."},
                                headers={"Authorization": f"Bearer {token}"}, timeout=60)
            slug = made.json()["slug"]
            for name, path in (("post page with comments", f"/posts/{slug}?embed=comments"),
                               ("blog index", "/posts")):
                start = len(running.log.read_text().splitlines())
                run = _run(session, cache.url, path, slug, token)
                lines = _origin_lines(running.log, start)
                reads = [line for line in lines if line["method"] == "GET"]
                writes = [line for line in lines if line["method"] == "POST"]
                origin = len(reads) + len(writes)
                calls = sum(int(str(line["dynamodb_calls"])) for line in reads + writes)
                per_view = sum(int(str(line["dynamodb_calls"])) for line in reads) / max(1, len(reads))
                uncached_calls = VIEWS * per_view + sum(int(str(line["dynamodb_calls"])) for line in writes)
                windows = math.floor(run["took"] / WINDOW) + 1
                goal = windows + int(run["writes"])
                note = (f"{VIEWS} views in {run['took']:.1f} s = {windows} windows of {WINDOW} s; "
                        f"{int(run['writes'])} writes")
                figures += [
                    at_most(SECTION, f"{name}: origin requests", origin, goal, note=note),
                    info(SECTION, f"{name}: origin requests without a cache", str(VIEWS + int(run["writes"])),
                         f"ratio {origin / (VIEWS + run['writes']):.3f}"),
                    info(SECTION, f"{name}: DynamoDB calls", str(calls),
                         f"without a cache {uncached_calls:.0f} ({per_view:.1f} per view); "
                         f"ratio {calls / max(1.0, uncached_calls):.3f}"),
                ]
                if path != "/posts":
                    figures.append(at_most(SECTION, f"{name}: write to another reader's view", run["max_delay"],
                                           WINDOW + 1.0, " s", digits=2,
                                           note=f"the longest of {int(run['seen'])} writes ({int(run['unseen'])} "
                                                f"not seen by the end); window {WINDOW} s"))
        finally:
            if cache is not None:
                cache.stop()
            running.stop()
    return figures


if __name__ == "__main__":
    from bench.report import render

    print(render(measure()))
    sys.exit(0)
