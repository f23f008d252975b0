"""Twelve readers react at once, each with a boto3 client of its own, against a moto server that applies one
request at a time as DynamoDB applies a transaction whole: the counts end equal to the reaction items."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.blog.reactions import POST_TARGET, Reactions
from chalicelib.blog.threads import Threads
from chalicelib.blog.tokens import Principal
from chalicelib.services import Services
from chalicelib.store import keys
from chalicelib.store.table import Table
from devtools.moto_server import MotoServer
from infra.table import create_table
from tests.settings_steps import stage_settings

TABLE = "reaction-races"
READERS = 12
KINDS = ("\U0001f44d", "\u2764\ufe0f", "\U0001f602")


def client(url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    running = MotoServer().start()  # a free port on loopback
    create_table(client(running.url), TABLE)
    yield running.url
    running.stop()


def test_twelve_racing_readers_leave_counts_equal_to_their_reactions(server: str) -> None:
    # Given a public post with a comment, on a stage whose vote window is wide enough for the race
    settings = stage_settings(TABLE_NAME=TABLE, VOTE_RATE_LIMIT="1000/600", REACTIONS=",".join(KINDS))
    seeding = Services(settings, Table(client(server), TABLE))
    slug = seeding.posts.create(Principal(username="alice", role="admin"), {"title": "Race", "body": "Go."})["slug"]
    comment = seeding.comments.create(None, slug, {"body": "React to me", "author_name": "Ann"},
                                      address="192.0.2.1")["comment"]["id"]

    # When twelve threads react at once: six readers, each racing themselves from two threads, adding and
    # taking back the same and different kinds on the post and the comment (each thread its own client)
    start = threading.Barrier(READERS)
    failures: list[BaseException] = []

    def reader(n: int) -> None:
        table = Table(client(server), TABLE)
        reactions = Reactions(table, Threads(table), seeding.antispam, settings.reactions)
        steps = random.Random(n)
        start.wait()
        try:
            for _ in range(8):
                payload = {"emoji": steps.choice(KINDS), "active": steps.random() < 0.6}
                if steps.random() < 0.5:
                    reactions.react_to_comment(None, comment, payload, f"198.51.100.{n % 6}", f"reader-{n % 6}")
                else:
                    reactions.react_to_post(None, slug, payload, f"198.51.100.{n % 6}", f"reader-{n % 6}")
        except BaseException as error:  # noqa: BLE001 - reported below, with the thread that met it
            failures.append(error)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    # Then every request was answered, and each count is the number of reaction items of its kind
    assert not failures, failures
    table = seeding.table
    items = table.query(keys.post_partition(slug), sort_from=keys.REACTION_PREFIX,
                        sort_to=keys.REACTION_PREFIX + keys.END, limit=1000).items
    stored = Counter((str(i["target"]), str(i["emoji"])) for i in items)
    counted = Counter({(target, emoji): int(n)
                       for target, key in ((comment, keys.comment(slug, comment)),
                                           (POST_TARGET, keys.post_summary(slug)))
                       for emoji, n in ((table.get(key) or {}).get("reactions") or {}).items()})
    assert sum(stored.values()) > 0, "the race left no reaction to count"
    assert +counted == stored
    assert all(n >= 0 for n in counted.values())
    # and no kind holds more reactions than there are readers (a reader racing themselves counts once)
    assert max(stored.values()) <= READERS // 2
