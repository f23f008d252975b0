"""Long threads for the browser tests, written straight into a running stack's table.

Posting hundreds of comments over HTTP takes minutes under moto (it copies the table on
every transaction); bench/seed.py writes them in the shapes the services write.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import boto3

from bench.seed import seed_comments
from devtools.local_stack import stack_file
from tests.browser.conftest import Blog


def seed_thread(blog: Blog, slug: str, count: int, replies: int = 0) -> list[str]:
    """``count`` comments on ``slug`` (the last ``replies`` of them answering earlier ones), counted on the post."""
    named = json.loads(stack_file(int(urlsplit(blog.url).port or 0)).read_text())
    client = boto3.client("dynamodb", endpoint_url=named["dynamodb_endpoint"], region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    return seed_comments(client, named["table"], slug, count, replies)
