"""Markdown rendering and sanitising, per comment and per post, in one warm process.

Rendering happens once, on write, so this is the cost a comment's POST pays;
the parsers' first-use imports are warm-up, not part of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.report import Figure, at_most, info
from chalicelib.blog.rendering import comment_html, post_html

SECTION = "sanitising (mean per call, warm)"
COMMENT_RUNS = 2000
POST_RUNS = 300
WARM_UP = 50

# About 500 characters: a paragraph, a link, emphasis, a list, and an attempt at HTML.
TYPICAL_COMMENT = (
    "Thanks for writing this up! I ran into the **same problem** last week and your fix worked, "
    "although I had to *also* bump the timeout. A few notes for anyone else:\n\n"
    "- the [official guide](https://docs.example.com/guide?section=limits) is out of date;\n"
    "- retries need jitter, or they all land at once;\n"
    "- `max_attempts` counts the first try too.\n\n"
    "One question: did you measure the cold start before and after? "
    "<script>alert('x')</script> I would love to see _numbers_ on that.\n"
)


def _typical_post(size: int) -> str:
    section = (
        "## A section heading\n\n"
        "Some prose with **bold**, *emphasis*, `code` and a [link](https://example.com/page). "
        "It goes on for a while, as posts do, explaining a point at a comfortable pace.\n\n"
        "1. first step\n2. second step\n3. third step\n\n"
        "> A quotation from somewhere else.\n\n"
        "```python\nprint('hello')\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '<figure><img src="https://example.com/i.png" alt="x"><figcaption>A figure</figcaption></figure>\n\n'
    )
    return (section * (size // len(section) + 1))[:size]


def _mean_ms(render: Callable[[str], str], text: str, runs: int) -> float:
    for _ in range(WARM_UP):
        render(text)
    # CPU time, as the rendering and cold-start budgets: wall time on a shared machine measures the neighbours.
    start = time.process_time()
    for _ in range(runs):
        render(text)
    return (time.process_time() - start) / runs * 1000


def measure() -> list[Figure]:
    post = _typical_post(5 * 1024)
    comment_ms = _mean_ms(comment_html, TYPICAL_COMMENT, COMMENT_RUNS)
    post_ms = _mean_ms(post_html, post, POST_RUNS)
    return [
        at_most(SECTION, f"comment_html, {len(TYPICAL_COMMENT)}-char comment", comment_ms, 1.0, " ms",
                note=f"{COMMENT_RUNS} runs, CPU time", digits=3),
        info(SECTION, f"post_html, {len(post) / 1024:.0f} KB post", f"{post_ms:.3f} ms", f"{POST_RUNS} runs, CPU time"),
    ]
