"""An author's own queue: the held comments of their posts only, paged, and acted on; admins keep the whole queue.

The author's queue is one Query of an index keyed by the post's author (GSI2
MODAUTHOR#<author>#<status>), written with the held comment: no Scan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.settings import Settings
from tests.conftest import AUTHOR, Api, Blog, DynamoCalls, Reply
from tests.post_steps import walk
from tests.settings_steps import Clock, send


@pytest.fixture
def author(blog: Blog, configure: Callable[..., Settings]) -> str:
    configure(MODERATION="all")
    return str(blog.author(AUTHOR))


@pytest.fixture
def admin(blog: Blog, author: str) -> str:
    return str(blog.admin())


@pytest.fixture
def bob(blog: Blog, author: str) -> str:
    return str(blog.author("bob"))


def hold(api: Api, slug: str, body: str) -> str:
    reply = send(api, slug, body)
    assert reply.status == 202, reply.body
    return str(reply.json["comment"]["id"])


def queue(api: Api, token: str, status: str = "pending", limit: int = 100) -> list[str]:
    return [c["id"] for c in walk(api, f"/moderation/comments?status={status}", limit, token)]


def moderate(api: Api, comment_id: str, action: str, token: str) -> Reply:
    return api.post(f"/comments/{comment_id}/moderate", {"action": action}, token=token)


def test_an_author_pages_through_only_their_own_posts_held_comments(api: Api, blog: Blog, author: str, bob: str,
                                                                     admin: str, clock: Clock) -> None:
    alices = [blog.post(author)["slug"] for _ in range(2)]
    bobs = blog.post(bob)["slug"]
    mine, theirs = [], []
    for n in range(7):
        clock.advance(1)
        mine.append(hold(api, alices[n % 2], f"For Alice {n}"))
        theirs.append(hold(api, bobs, f"For Bob {n}"))

    assert queue(api, author, limit=3) == mine[::-1]
    assert queue(api, bob, limit=2) == theirs[::-1]
    assert set(queue(api, admin, limit=5)) == {*mine, *theirs}


def test_an_authors_queue_is_one_query_of_their_index(api: Api, blog: Blog, author: str, bob: str,
                                                      dynamo: DynamoCalls) -> None:
    hold(api, blog.post(author)["slug"], "Hello")
    for n in range(5):
        hold(api, blog.post(bob)["slug"], f"Not Alice's {n}")

    dynamo.clear()
    reply = api.get("/moderation/comments", token=author)

    assert reply.status == 200
    assert len(reply.json["items"]) == 1
    assert dynamo.operations == ["GetItem", "Query"]  # the account (is the role current?), then the queue
    assert dynamo.scanned[-1] == 1  # the others' comments are not even read


def test_a_cursor_from_one_authors_queue_does_not_page_anothers(api: Api, blog: Blog, author: str, bob: str) -> None:
    slug = blog.post(bob)["slug"]
    for n in range(3):
        hold(api, slug, f"For Bob {n}")
    first = api.get("/moderation/comments?limit=1", token=bob).json
    assert first["next_cursor"]

    reply = api.get(f"/moderation/comments?limit=1&cursor={quote(first['next_cursor'], safe='')}", token=author)

    assert reply.status == 400
    assert "cursor" in reply.problem["errors"]


def test_an_authors_spam_tab_lists_their_posts_spam(api: Api, blog: Blog, author: str, bob: str) -> None:
    mine = hold(api, blog.post(author)["slug"], "Buy now")
    theirs = hold(api, blog.post(bob)["slug"], "Buy later")
    assert moderate(api, mine, "spam", author).status == 200
    assert moderate(api, theirs, "spam", bob).status == 200

    assert queue(api, author, "spam") == [mine]
    assert queue(api, author) == []


@pytest.mark.parametrize("action, then_listed", [("approve", True), ("spam", False), ("delete", False)])
def test_an_author_moderates_their_posts_comments_from_the_queue(api: Api, blog: Blog, author: str, admin: str,
                                                                 action: str, then_listed: bool) -> None:
    slug = blog.post(author)["slug"]
    comment_id = hold(api, slug, "Hello Alice")

    reply = moderate(api, comment_id, action, author)

    assert reply.status == 200, reply.body
    assert queue(api, author) == []
    public = [c["id"] for c in api.get(f"/posts/{slug}/comments").json["items"]]
    assert (comment_id in public) is then_listed
    trail = api.get(f"/moderation/audit?post={slug}", token=admin).json["items"]
    assert [(e["who"], e["action"], e["comment_id"]) for e in trail] == [(AUTHOR, action, comment_id)]


def test_another_authors_comment_is_refused_and_left_alone(api: Api, blog: Blog, author: str, bob: str,
                                                           admin: str) -> None:
    theirs = hold(api, blog.post(bob)["slug"], "For Bob")

    for action in ("approve", "spam", "delete"):
        reply = moderate(api, theirs, action, author)
        assert reply.status == 403, action
        assert "post's author" in reply.problem["detail"]
    assert queue(api, bob) == [theirs]
    assert api.get("/moderation/audit", token=admin).json["items"] == []


def test_a_reader_has_no_queue_and_no_actions(api: Api, blog: Blog, author: str) -> None:
    comment_id = hold(api, blog.post(author)["slug"], "Hello")
    reader = blog.user("mallory")

    assert api.get("/moderation/comments", token=reader).status == 403
    assert moderate(api, comment_id, "approve", reader).status == 403
    assert moderate(api, "not-an-id", "approve", author).status == 404


def test_an_author_does_not_approve_what_an_admin_called_spam(api: Api, blog: Blog, author: str,
                                                              admin: str) -> None:
    comment_id = hold(api, blog.post(author)["slug"], "Buy now")
    assert moderate(api, comment_id, "spam", admin).status == 200

    reply = moderate(api, comment_id, "approve", author)

    assert reply.status == 409
    assert queue(api, author, "spam") == [comment_id]


def test_an_approved_comment_leaves_the_authors_queue_and_one_taken_back_returns(
        api: Api, blog: Blog, author: str, admin: str) -> None:
    slug = blog.post(author)["slug"]
    comment_id = hold(api, slug, "Hello")
    assert moderate(api, comment_id, "approve", admin).status == 200
    assert queue(api, author) == []

    assert moderate(api, comment_id, "spam", admin).status == 200
    assert moderate(api, comment_id, "unspam", admin).status == 200

    assert queue(api, author) == [comment_id]


def test_a_queue_item_says_why_it_is_held(api: Api, blog: Blog, author: str) -> None:
    hold(api, blog.post(author)["slug"], "Hello")

    item: dict[str, Any] = api.get("/moderation/comments", token=author).json["items"][0]

    assert "MODERATION=all" in item["held_because"]
    assert item["body"] == "Hello"
    assert not {"PK", "SK", "GSI2PK", "post_author"} & set(item)
