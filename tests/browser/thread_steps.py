"""Long threads for the browser tests, written straight into a running stack's table.

Posting hundreds of comments over HTTP takes minutes under moto (it copies the table on
every transaction); bench/seed.py writes them in the shapes the services write.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bench.seed import seed_running_stack
from tests.browser.conftest import Blog


def seed_thread(blog: Blog, slug: str, count: int, replies: int = 0) -> list[str]:
    """``count`` comments on ``slug`` (the last ``replies`` of them answering earlier ones), counted on the post."""
    return seed_running_stack(int(urlsplit(blog.url).port or 0), slug, count, replies)
