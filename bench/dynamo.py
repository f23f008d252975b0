"""DynamoDB round trips per request, items examined per list request, and in-process latency."""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable
from urllib.parse import urlencode

from bench.harness import ADMIN, Harness, Measured, running_app
from bench.report import Figure, at_most, info
from bench.seed import seed_comments, seed_held_comments, seed_posts
from chalicelib import services as services_module
from chalicelib.settings import load_settings

ROUND_TRIPS = "DynamoDB round trips per request"
EXAMINED = "items examined per list request (Query ScannedCount)"
LATENCY = "in-process latency on moto (informational)"
VOTES = "the vote limit per address, on moto"

PAGE = 20
FEW, MANY = 100, 10_000
POSTS = 1_000
HELD = 1_000
LATENCY_RUNS = 40

_serial = itertools.count(1)


def comment(**extra: str) -> dict[str, str]:
    """A new comment each time: the duplicate guard refuses the same body twice on a post."""
    return {"body": f"Nice post, thanks! ({next(_serial)})", "author_name": "Ann", **extra}


def _path(base: str, **params: str | int | None) -> str:
    given = {k: v for k, v in params.items() if v is not None}
    return f"{base}?{urlencode(given)}" if given else base


def _ops(measured: Measured) -> str:
    return " + ".join(measured.operations) or "none"


def check(section: str, name: str, ok: bool, detail: str) -> Figure:
    """A correctness cross-check: a figure is worthless if the request returned the wrong page."""
    return Figure(section, name, "as expected" if ok else detail, "correct", ok)


def _trips(name: str, measured: Measured, budget: int) -> Figure:
    note = _ops(measured)
    if "Scan" in measured.operations:
        return Figure(ROUND_TRIPS, name, str(measured.round_trips), f"≤ {budget}", False, note + " (Scan!)")
    return at_most(ROUND_TRIPS, name, measured.round_trips, budget, note=note)


def round_trips() -> tuple[list[Figure], list[Figure]]:
    """Round trips on a small blog, and latency there (a big table would make moto's copies dominate)."""
    figures: list[Figure] = []
    with running_app() as h:
        token = h.admin_token()
        slug = h.create_post(token, "Round trips", labels=["bench"])
        for n in range(2):
            h.create_post(token, f"Neighbour {n}", labels=["bench"])
        seed_comments(h.client, h.table_name, slug, FEW)

        comments_path = f"/posts/{slug}/comments"
        figures.append(_trips("GET /posts/{slug}?embed=comments",
                              h.measure("GET", _path(f"/posts/{slug}", embed="comments")), 1))
        figures.append(_trips("GET /posts", h.measure("GET", "/posts"), 1))
        figures.append(_trips("GET /posts?author=x", h.measure("GET", _path("/posts", author=ADMIN)), 1))
        figures.append(_trips("GET /posts?label=x", h.measure("GET", _path("/posts", label="bench")), 1))
        first = h.measure("GET", comments_path)
        figures.append(_trips("GET /posts/{slug}/comments", first, 1))
        cursor = first.reply.json["next_cursor"]
        # A page after a cursor reads the post first: a cursor must not outlive the post being public.
        figures.append(_trips("GET /posts/{slug}/comments?cursor=…",
                              h.measure("GET", _path(comments_path, cursor=cursor)), 2))
        some_comment = first.reply.json["items"][0]["id"]
        figures.append(_trips("GET /comments/{id}", h.measure("GET", f"/comments/{some_comment}"), 2))
        top = h.measure("POST", comments_path, comment(), expect=201)
        figures.append(_trips("POST comment (anonymous, top level)", top, 2))
        parent_id = top.reply.json["comment"]["id"]
        figures.append(_trips("POST comment (reply, parent_id)",
                              h.measure("POST", comments_path, comment(parent_id=parent_id), expect=201), 2))

        figures.append(_trips("POST comment, every check on", _guarded_comment(h, slug), 2))
        voted = h.measure("POST", f"/comments/{some_comment}/vote", {"value": 1},
                          extra_headers={"X-Voter-Token": "bench-voter"})
        figures.append(_trips("POST /comments/{id}/vote", voted, 5))

        latency = [
            _latency("GET /posts/{slug}?embed=comments",
                     lambda: h.request("GET", _path(f"/posts/{slug}", embed="comments"))),
            _latency("POST comment (anonymous)",
                     lambda: h.request("POST", comments_path, comment(), expect=201)),
        ]
    return figures, latency


def _guarded_comment(h: Harness, slug: str) -> Measured:
    """An anonymous comment with rate limit, duplicate guard, first-time moderation, form token and idempotency on."""
    settings = services_module.services().settings
    services_module.reset(settings.replace(moderation="first-time", require_form_token=True, min_form_seconds=0,
                                  comment_rate_limit=(1000, 60)))
    try:
        form = h.request("GET", f"/posts/{slug}/comment-form").json
        body = {"body": "Checked from every side.", "author_name": "Ann", "author_email": "ann@example.com",
                "form_token": form["form_token"], "homepage": ""}
        return h.measure("POST", f"/posts/{slug}/comments", body, expect=202,
                         extra_headers={"Idempotency-Key": "bench-guarded-comment"})
    finally:
        services_module.reset(settings)


def vote_limit() -> list[Figure]:
    """Votes from one address, each as a fresh voter, against the default VOTE_RATE_LIMIT."""
    allowed, seconds = load_settings({}).vote_rate_limit
    sent = allowed + 10
    with running_app() as h:
        slug = h.create_post(h.admin_token(), "Ballot box")
        comment_id = h.request("POST", f"/posts/{slug}/comments", comment(), expect=201).json["comment"]["id"]
        settings = services_module.services().settings
        services_module.reset(settings.replace(vote_rate_limit=(allowed, seconds)))
        try:
            window = int(time.time()) // seconds
            statuses = [h.http.request("POST", f"/comments/{comment_id}/vote",
                                       headers={"Content-Type": "application/json", "X-Voter-Token": f"fresh-{n}"},
                                       body=b'{"value": 1}').status_code for n in range(sent)]
            straddled = int(time.time()) // seconds != window
        finally:
            services_module.reset(settings)
        likes = h.request("GET", f"/comments/{comment_id}").json["likes"]
    accepted = statuses.count(200)
    refused_otherwise = sent - accepted - statuses.count(429)
    met = refused_otherwise == 0 and likes == accepted and (
        accepted <= 2 * allowed if straddled else accepted == allowed)
    return [Figure(VOTES, "votes accepted from one address in one window (fresh voter tokens)",
                   f"{accepted} of {sent} sent", f"= {allowed} (VOTE_RATE_LIMIT {allowed}/{seconds})", met,
                   f"{statuses.count(429)} refused with 429, likes = {likes}"
                   + ("; crossed a window" if straddled else ""))]


def _latency(name: str, call: Callable[[], object]) -> Figure:
    call()  # warm-up: the first call imports markdown-it and nh3 and builds the services
    times: list[float] = []
    for _ in range(LATENCY_RUNS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(times, n=20)[18]
    return info(LATENCY, name, f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms",
                f"{LATENCY_RUNS} runs")


def _walk(h: Harness, path: str, target: int) -> str:
    """A cursor that starts after the first ``target`` comments, reached by following cursors."""
    step = min(100, target)
    seen, cursor = 0, ""
    while seen < target:
        page = h.request("GET", _path(path, limit=step, cursor=cursor or None)).json
        seen += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            raise RuntimeError(f"{path} ended after {seen} comments, before {target}")
    return str(cursor)


def _examined_name(what: str, count: int) -> str:
    return f"{what}, {count:,} comments"


def items_examined() -> list[Figure]:
    figures: list[Figure] = []
    checks: list[Figure] = []
    with running_app() as h:
        token = h.admin_token()
        # Posts first, through the API: moto copies the table on every transaction,
        # so transactions after the bulk seeding would be slow.
        slugs = {count: h.create_post(token, f"Post with {count} comments") for count in (FEW, MANY)}
        seed_posts(h.client, h.table_name, ADMIN, POSTS, "seeded")
        ids = {count: seed_comments(h.client, h.table_name, slug, count) for count, slug in slugs.items()}

        scanned: dict[tuple[str, int], int] = {}
        for count, slug in slugs.items():
            path = f"/posts/{slug}/comments"
            first = h.measure("GET", _path(path, limit=PAGE))
            got = [c["id"] for c in first.reply.json["items"]]
            checks.append(check(EXAMINED, _examined_name("first page", count) + " returns comments 1-20",
                                got == ids[count][:PAGE], f"got {len(got)} other ids"))
            middle_at = count // 2
            middle = h.measure("GET", _path(path, limit=PAGE, cursor=_walk(h, path, middle_at)))
            got = [c["id"] for c in middle.reply.json["items"]]
            checks.append(check(EXAMINED, _examined_name("middle page", count) + " returns the next 20",
                                got == ids[count][middle_at:middle_at + PAGE], f"got {len(got)} other ids"))
            embed = h.measure("GET", _path(f"/posts/{slug}", embed="comments", comments_limit=PAGE))
            for what, measured in (("comments, first page", first), ("comments, middle page", middle),
                                   ("post ?embed=comments", embed)):
                scanned[(what, count)] = sum(measured.scanned)
                # The post page reads the post, its summary item (its counts, a few hundred bytes), then the page.
                extra = 2 if what == "post ?embed=comments" else 1
                figures.append(at_most(EXAMINED, _examined_name(what, count), sum(measured.scanned), PAGE + extra,
                                       note=f"limit={PAGE}; {_ops(measured)}"))
        for what in ("comments, first page", "comments, middle page", "post ?embed=comments"):
            few, many = scanned[(what, FEW)], scanned[(what, MANY)]
            figures.append(Figure(EXAMINED, f"{what}: same for {FEW:,} and {MANY:,}", f"{few} vs {many}",
                                  "equal", few == many))

        # Held comments sit outside the public range: listing never reads them.
        held_slug = h.create_post(token, "Post with a long moderation queue")
        seed_comments(h.client, h.table_name, held_slug, PAGE * 2)
        seed_held_comments(h.client, h.table_name, held_slug, HELD)
        listed = h.measure("GET", _path(f"/posts/{held_slug}/comments", limit=PAGE))
        figures.append(at_most(EXAMINED, f"comments, first page, {HELD:,} held beside {PAGE * 2} public",
                               sum(listed.scanned), PAGE + 1, note=f"limit={PAGE}; {_ops(listed)}"))
        figures.append(_trips(f"GET /posts/{{slug}}/comments, {HELD:,} held", listed, 1))

        for name, params in (("GET /posts", {}), ("GET /posts?author=x", {"author": ADMIN}),
                             ("GET /posts?label=x", {"label": "seeded"})):
            listed = h.measure("GET", _path("/posts", limit=PAGE, **params))
            returned = len(listed.reply.json["items"])
            figures.append(at_most(EXAMINED, f"{name}, {POSTS:,} posts", sum(listed.scanned), PAGE + 1,
                                   note=f"limit={PAGE}; {returned} returned; {_ops(listed)}"))
            checks.append(check(EXAMINED, f"{name}, {POSTS:,} posts returns a full page",
                                returned == PAGE, f"{returned} items"))
    return figures + checks
