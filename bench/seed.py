"""Bulk content written straight to the table, in the shapes the services write.

Creating 10,000 comments through the API would take minutes under moto, which
copies the whole table on every transaction; BatchWriteItem does not. The item
shapes come from the services' own helpers and constants wherever they exist,
so a change in what the services store shows up here as well.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.blog import clock, rendering, threads
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.post_upkeep import derived, label_member_keys, stored_post, summary_item
from chalicelib.blog.records import render_post
from chalicelib.blog.status import Status
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import Item, deserialize, serialize

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_BATCH = 25  # BatchWriteItem's limit


def _chunks(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def batch_put(client: DynamoDBClient, table_name: str, items: Iterable[Item]) -> None:
    for chunk in _chunks(list(items), _BATCH):
        pending: dict[str, Any] = {table_name: [{"PutRequest": {"Item": serialize(i)}} for i in chunk]}
        for attempt in range(6):
            response = client.batch_write_item(RequestItems=pending)
            pending = dict(response.get("UnprocessedItems") or {})
            if not pending:
                break
            time.sleep(0.05 * 2**attempt)
        else:
            raise RuntimeError("BatchWriteItem kept items unprocessed")


def comment_items(slug: str, count: int) -> tuple[list[Item], list[str]]:
    """``count`` top-level anonymous comments and their id references, as Comments.create writes them."""
    body = "A seeded comment with *emphasis* and a [link](https://example.com)."
    html = rendering.comment_html(body)
    now = clock.now_iso()
    items: list[Item] = []
    ids: list[str] = []
    for _ in range(count):
        comment_id = new_ulid()
        ids.append(comment_id)
        items.append({
            **keys.comment(slug, comment_id),
            "id": comment_id,
            "post_slug": slug,
            "parent_id": None,
            "depth": 0,
            "body": body,
            "html": html,
            "author_name": "Seeded reader",
            "author_user": None,
            "author_email": None,
            "author_website": None,
            "status": Status.APPROVED,
            "created_at": now,
            "likes": 0,
            "dislikes": 0,
            "reply_count": 0,
        })
        items.append({**keys.comment_ref(comment_id), "post_slug": slug})
    return items, sorted(ids)


def seed_held_comments(client: DynamoDBClient, table_name: str, slug: str, count: int) -> None:
    """``count`` comments waiting in the moderation queue, filed as moderation.held() files them."""
    items, _ = comment_items(slug, count)
    comments = [threads.held(i, Status.PENDING) for i in items if i["SK"] != keys.REF_SK]
    held = [*comments, *(threads.reference(comment) for comment in comments)]
    batch_put(client, table_name, held)


def seed_comments(client: DynamoDBClient, table_name: str, slug: str, count: int, replies: int = 0) -> list[str]:
    """Write ``count`` comments on an existing post and count them on it; returns their ids in list order.

    The last ``replies`` of them answer earlier top-level ones (depth 1), each counted in its parent's reply_count.
    """
    items, ids = comment_items(slug, count)
    comments = sorted((i for i in items if i["SK"].startswith(keys.COMMENT_PREFIX)), key=lambda i: str(i["id"]))
    roots = comments[:count - replies]
    for n, reply in enumerate(comments[count - replies:]):
        parent = roots[n % len(roots)]
        reply.update(parent_id=parent["id"], depth=1)
        parent["reply_count"] = int(parent["reply_count"]) + 1
    batch_put(client, table_name, items)
    # The post's summary item and its label copies keep comment_count exact in the
    # same transaction as each comment; one ADD each for the whole batch leaves them equally exact.
    summary = deserialize(client.get_item(TableName=table_name, Key=serialize(dict(keys.post_summary(slug))),
                                          ConsistentRead=True)["Item"])
    for key in [keys.post_summary(slug), *label_member_keys(summary)]:
        client.update_item(
            TableName=table_name,
            Key=serialize(dict(key)),
            UpdateExpression="ADD comment_count :n",
            ExpressionAttributeValues=serialize({":n": count}),
        )
    return ids


def post_items(author: str, count: int, label: str) -> tuple[list[Item], list[tuple[Key, int, dict[str, Any]]]]:
    """``count`` published posts with their summary items and label memberships, as Posts.create writes them,
    and the label and archive counts they add (key, delta, the names the count item carries)."""
    body = "A seeded post with *emphasis*.\n\n* one\n* two\n"
    start = clock.now() - timedelta(days=1)
    items: list[Item] = []
    counts: Counter[tuple[str, str]] = Counter()
    names: dict[tuple[str, str], dict[str, Any]] = {}
    for n in range(count):
        slug = f"seeded-post-{n:05d}"
        at = clock.to_iso(start - timedelta(minutes=n))
        post: Item = {
            **keys.post(slug),
            "slug": slug,
            "title": f"Seeded post {n}",
            "body": body,
            "labels": [label],
            "custom_summary": None,
            "author": author,
            "status": Status.PUBLISHED,
            "published_at": at,
            "created_at": at,
            "updated_at": at,
            "version": 1,
            "comment_count": 0,
            "favorites_count": 0,
            "first_published": True,
        }
        render_post(post)
        items += [stored_post(post), summary_item(post)]
        implied = derived(post)
        items.extend(implied.entries.values())
        counts.update(implied.counts)
        names.update(implied.count_names)
    updates = [({"PK": pk, "SK": sk}, total, names[(pk, sk)]) for (pk, sk), total in counts.items()]
    return items, updates


def seed_posts(client: DynamoDBClient, table_name: str, author: str, count: int, label: str) -> None:
    items, updates = post_items(author, count, label)
    batch_put(client, table_name, items)
    # ADD, as PostUpkeep._count_writes does, so counts of posts made through the API survive.
    for key, delta, carried in updates:
        labels = ", ".join(f"#n_{n} = :n_{n}" for n in carried)
        client.update_item(
            TableName=table_name,
            Key=serialize(dict(key)),
            UpdateExpression="ADD #c :d" + (f" SET {labels}" if labels else ""),
            ExpressionAttributeNames={"#c": "count", **{f"#n_{n}": n for n in carried}},
            ExpressionAttributeValues=serialize({":d": delta, **{f":n_{n}": v for n, v in carried.items()}}),
        )


def seed_running_stack(port: int, slug: str, count: int, replies: int = 0) -> list[str]:
    """seed_comments into the table of the `make run` on ``port`` (its stack file names moto's endpoint)."""
    import json

    import boto3

    from deploy.local_stack_file import stack_file

    named = json.loads(stack_file(port).read_text())
    client = boto3.client("dynamodb", endpoint_url=named["dynamodb_endpoint"], region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    return seed_comments(client, named["table"], slug, count, replies)
