"""Live threads through a real HTTP cache: open pages looking for new comments, as the widget does.

nginx (devtools/edge_cache.py) in front of `make run`, for ten minutes on a virtual clock
compressed SCALE times (the ten minutes take two): 100 pages open on one busy post (a comment
every minute) and, in the same run, one page alone on a quiet post (no comments). Each page
follows the widget's schedule (web-src/widget/live.js, goLive): a first look LIVE seconds after it
opened, then LIVE/3 after a look that found something, growing by half back to LIVE while none do;
every look carries the ETag of the last answer (If-None-Match), as the browser's own cache does.
The cache keeps a page TTL seconds (the CACHE_PAGE default), here TTL/SCALE = 3 s of real time.

Counted from the API's own request lines (observability.py: one per request that reached it),
so "origin" means API Gateway + Lambda + DynamoDB. Budget (docs/live-threads.md): origin
requests ≤ one per cache window of the run + the writes, whatever the number of pages (the
pages' first loads included: they share the cache's copy too); a new comment on every open
page within TTL + LIVE.

nginx counts expiry in whole seconds (a copy kept 3 s is fresh until the end of the third
second after it came), so a compressed window lasts 3 to 4 real seconds, 15 to 20 virtual:
the run's origin count is up to a quarter lower, and its delays up to 5 s longer, than at full
scale, where 15 s is 15 to 16. The figures per 1,000 page-hours are counted from the windows
the design allows (one per TTL), not scaled from this run.
"""

from __future__ import annotations

import heapq
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.report import Figure, at_most, info
from chalicelib.blog.prices import for_region
from devtools import edge_cache, stack_process
from devtools.offline_aws import use_offline_aws
from devtools.seed import LOCAL_ADMIN

SECTION = "live threads through a real HTTP cache (nginx)"
TTL = 15  # CACHE_PAGE's shared seconds (chalicelib/settings.py)
LIVE = 15  # the widget's data-live default: the longest wait between two looks
SCALE = 5  # virtual seconds per real second
MINUTES = 10
PAGES = 100
WRITE_EVERY = 60  # virtual seconds between comments on the busy post, the first at WRITE_EVERY/4
# What an origin request costs beyond API Gateway and Lambda's invocation: 50 ms at 128 MB, and the
# page's Query at 3 read units (the assumptions of docs/caching.md's price table).
LAMBDA_GB_SECONDS = 0.05 * 128 / 1024
READ_UNITS = 3
# CloudFront, per HTTPS request answered at the edge (aws.amazon.com/cloudfront/pricing, us-east-1;
# not in chalicelib/blog/prices.py, which prices only what the Costs page meters).
CDN_REQUEST = 0.0100 / 10_000


@dataclass
class _Page:
    slug: str
    opened: float
    wait: float = LIVE
    etag: str = ""
    seen: set[str] = field(default_factory=set)


@dataclass
class _Run:
    looks: dict[str, int] = field(default_factory=dict)  # per post, first loads included
    writes: int = 0
    delays: list[float] = field(default_factory=list)
    unseen: int = 0
    late: float = 0.0  # how far behind the virtual clock the client fell (real seconds)


def _origin_requests(log: Path, start: int, slug: str) -> int:
    """The post's requests that reached the API (reads and the writes) since line ``start``."""
    lines = [json.loads(raw) for raw in log.read_text().splitlines()[start:]
             if raw.startswith('{"level"') and '"event":"request"' in raw]
    return sum(1 for line in lines if str(line.get("path", "")).startswith(f"/posts/{slug}"))


def _look(session: requests.Session, url: str, page: _Page, now: float, written: dict[str, float], run: _Run) -> None:
    """One look, as the widget makes it; the page's next look is then due after its new wait."""
    reply = session.get(url, headers={"If-None-Match": page.etag} if page.etag else {}, timeout=60)
    assert reply.status_code in (200, 304), reply.text
    first = not page.etag
    found = False
    if reply.status_code == 200:
        page.etag = reply.headers["ETag"]
        for comment in reply.json()["comments"]:
            if comment["id"] not in page.seen:
                page.seen.add(comment["id"])
                found = True
                if comment["id"] in written:
                    run.delays.append(now - written[comment["id"]])
    run.looks[page.slug] = run.looks.get(page.slug, 0) + 1
    if not first:
        page.wait = LIVE / 3 if found else min(LIVE, page.wait * 1.5)


def _simulate(session: requests.Session, cache_url: str, busy: str, quiet: str, token: str) -> _Run:
    """PAGES readers on ``busy`` (a comment every WRITE_EVERY) and one on ``quiet``, for MINUTES."""
    shuffle = random.Random(27)
    readers = [_Page(busy, shuffle.uniform(0, LIVE)) for _ in range(PAGES)] + [_Page(quiet, shuffle.uniform(0, LIVE))]
    events: list[tuple[float, int]] = [(page.opened, index) for index, page in enumerate(readers)]
    heapq.heapify(events)
    end = MINUTES * 60.0
    next_write = WRITE_EVERY / 4
    written: dict[str, float] = {}
    run = _Run()
    started = time.monotonic()

    def at(virtual: float) -> None:
        lag = time.monotonic() - started - virtual / SCALE
        run.late = max(run.late, lag)
        time.sleep(max(0.0, -lag))  # keeping to the virtual clock, not waiting for anything

    while events and events[0][0] < end:
        if next_write <= events[0][0]:
            at(next_write)
            reply = session.post(f"{cache_url}/posts/{busy}/comments", json={"body": f"At {next_write:.0f} s"},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=60)
            assert reply.status_code == 201, reply.text
            written[reply.json()["comment"]["id"]] = next_write
            run.writes += 1
            next_write += WRITE_EVERY
            continue
        now, index = heapq.heappop(events)
        at(now)
        page = readers[index]
        _look(session, f"{cache_url}/posts/{page.slug}?embed=comments&comments_limit=300", page, now, written, run)
        heapq.heappush(events, (now + page.wait, index))
    run.unseen = sum(1 for page in readers[:PAGES] for comment_id in written if comment_id not in page.seen)
    return run


def _dollars(origin: int, edge: int) -> float:
    _, price = for_region("us-east-1")
    per_origin = (price["api_request"] + price["lambda_request"] + LAMBDA_GB_SECONDS * price["lambda_gb_second"]
                  + READ_UNITS * price["read_unit"])
    return origin * per_origin + edge * CDN_REQUEST


def _figures(run: _Run, busy_origin: int, quiet_origin: int, slugs: list[str]) -> list[Figure]:
    windows = MINUTES * 60 // TTL + 1
    busy_looks, quiet_looks = run.looks[slugs[0]], run.looks[slugs[1]]
    # Per 1,000 open page-hours, from the windows the design allows (one origin request per TTL per post
    # that is looked at) and the looks counted here: 1,000 readers on the busy post for an hour share its
    # windows; 1,000 quiet posts with one reader each pay one request per window each.
    per_hour = 3600 // TTL
    busy_hours = PAGES * MINUTES / 60
    busy_edge = busy_looks * 1000 / busy_hours
    quiet_edge = quiet_looks * 1000 / (MINUTES / 60)
    busy_writes = run.writes * 60 / MINUTES
    return [
        at_most(SECTION, f"busy post, {PAGES} open pages for {MINUTES} min: origin requests", busy_origin,
                windows + run.writes,
                note=f"{windows} windows of {TTL} s + {run.writes} writes; {busy_looks} reads at the cache, "
                     f"first loads included (without it, each would reach the API)"),
        # TTL + LIVE at full scale; here nginx's whole-second expiry adds up to one real second (SCALE virtual).
        at_most(SECTION, "busy post: a new comment on every open page", max(run.delays, default=0.0),
                TTL + SCALE + LIVE, " s", note=f"{len(run.delays)} arrivals, {run.unseen} not seen by the end; "
                                              f"virtual seconds (x{SCALE}); {TTL + LIVE} s at full scale"),
        at_most(SECTION, f"quiet post, 1 open page for {MINUTES} min: origin requests", quiet_origin, windows,
                note=f"{quiet_looks} reads at the cache, the first load included"),
        info(SECTION, "one busy post, 1,000 open page-hours",
             f"≤ {per_hour + busy_writes:,.0f} origin requests",
             f"${_dollars(round(per_hour + busy_writes), round(busy_edge)):.3f} with {busy_edge:,.0f} CDN requests "
             f"(1,000 readers for an hour; {per_hour} windows + {busy_writes:.0f} comments)"),
        info(SECTION, "1,000 quiet posts, one reader each for an hour",
             f"≤ {per_hour * 1000:,} origin requests",
             f"${_dollars(per_hour * 1000, round(quiet_edge)):.2f} with {quiet_edge:,.0f} CDN requests"),
        info(SECTION, "the client's lag behind the virtual clock", f"{run.late:.2f} s",
             "real seconds: the run kept to its schedule when small"),
    ]


def measure() -> list[Figure]:
    if not Path(edge_cache.NGINX).exists():
        return [info(SECTION, "skipped", "no nginx", "run devtools/install_nginx.sh (make nginx)")]
    use_offline_aws()
    figures: list[Figure] = []
    times = f"{TTL // SCALE}/0/0"
    with tempfile.TemporaryDirectory() as tmp:
        running = stack_process.start(Path(tmp), CACHE_PAGE=times, COMMENT_RATE_LIMIT="1000000/60")
        cache = None
        try:
            cache = edge_cache.start(stack_process.free_port(), int(running.url.rsplit(":", 1)[1]))
            session = requests.Session()
            token = session.post(f"{running.url}/auth/login", json={"email": LOCAL_ADMIN["email"],
                                                                    "password": LOCAL_ADMIN["password"]},
                                 timeout=60).json()["token"]
            slugs = []
            for name in ("busy", "quiet"):
                made = session.post(f"{running.url}/posts", json={"title": f"A {name} post", "body": "Text."},
                                    headers={"Authorization": f"Bearer {token}"}, timeout=60)
                slugs.append(made.json()["slug"])
            start = len(running.log.read_text().splitlines())
            run = _simulate(session, cache.url, slugs[0], slugs[1], token)
            figures += _figures(run, _origin_requests(running.log, start, slugs[0]),
                                _origin_requests(running.log, start, slugs[1]), slugs)
        finally:
            if cache is not None:
                cache.stop()
            running.stop()
    return figures


if __name__ == "__main__":
    from bench.report import render

    print(render(measure()))
    sys.exit(0)
