"""Specification: a scheduled post stays hidden until its time, then is counted exactly once.

Time moves by patching the service's clock (chalicelib.blog.clock), never by sleeping.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.services import services
from tests.conftest import Api, Blog
from tests.post_steps import archive_counts, iso_from_now, label_counts, slugs
from tests.settings_steps import Clock


@pytest.fixture
def planned(api: Api, blog: Blog) -> dict[str, Any]:
    """A post scheduled two days ahead, labelled "launch", next to one published post."""
    author = blog.author("planner")
    blog.post(author, title="Already out", labels=["launch"], published_at="2017-01-01T00:00:00Z")
    post = blog.post(author, title="Big launch", labels=["launch", "news"], status="scheduled",
                     published_at=iso_from_now(days=2))
    assert post["status"] == "scheduled"
    return {"author": author, "post": post}


def test_a_scheduled_post_is_hidden_until_its_time(api: Api, planned: dict[str, Any]) -> None:
    assert api.get("/posts/big-launch").status == 404
    assert slugs(api, "/posts") == ["already-out"]
    assert slugs(api, "/posts?label=launch") == ["already-out"]
    assert slugs(api, "/posts?label=news") == []
    assert slugs(api, "/posts?author=planner") == ["already-out"]
    assert slugs(api, "/posts?month=" + planned["post"]["published_at"][:7]) == []
    assert label_counts(api) == {"launch": 1}
    assert archive_counts(api) == {"2017-01": 1}


def test_a_scheduled_post_cannot_be_commented_on_before_its_time(api: Api, planned: dict[str, Any]) -> None:
    reply = api.post("/posts/big-launch/comments", {"body": "First!", "author_name": "Eve"})

    assert reply.status == 404


def test_a_due_post_appears_in_lists_without_waiting_for_promotion(api: Api, planned: dict[str, Any],
                                                                   clock: Clock) -> None:
    # When its time comes
    clock.advance(days=3)

    # Then readers see it at once, as published, newest first
    post = api.get("/posts/big-launch")
    assert post.status == 200
    assert post.json["status"] == "published"
    assert slugs(api, "/posts") == ["big-launch", "already-out"]
    assert slugs(api, "/posts?label=news") == ["big-launch"]
    assert slugs(api, "/posts?author=planner") == ["big-launch", "already-out"]
    assert slugs(api, "/posts?status=scheduled", token=planned["author"]) == []
    # ...but it is not counted until publish_due promotes it
    assert label_counts(api) == {"launch": 1}


def test_publish_due_counts_a_due_post_exactly_once(api: Api, planned: dict[str, Any], clock: Clock) -> None:
    # Given a scheduled post whose time has come
    clock.advance(days=3)
    month = planned["post"]["published_at"][:7]

    # When the scheduler runs, twice
    first = services().posts.publish_due()
    labels_after_first, archive_after_first = label_counts(api), archive_counts(api)
    second = services().posts.publish_due()

    # Then the post is counted once under each label and its month, and stays so
    assert (first, second) == (1, 0)
    assert labels_after_first == {"launch": 2, "news": 1}
    assert archive_after_first == {"2017-01": 1, month: 1}
    assert (label_counts(api), archive_counts(api)) == (labels_after_first, archive_after_first)
    assert slugs(api, "/posts") == ["big-launch", "already-out"]


def test_publish_due_leaves_posts_that_are_not_due(api: Api, planned: dict[str, Any], clock: Clock) -> None:
    clock.advance(days=1)

    assert services().posts.publish_due() == 0
    assert api.get("/posts/big-launch").status == 404
    assert label_counts(api) == {"launch": 1}


def test_a_promoted_post_renamed_while_unpublished_keeps_its_old_slug(api: Api, planned: dict[str, Any],
                                                                      clock: Clock) -> None:
    clock.advance(days=3)
    services().posts.publish_due()
    author = planned["author"]
    assert api.patch("/posts/big-launch", {"status": "draft"}, token=author).status == 200

    reply = api.patch("/posts/big-launch", {"slug": "renamed"}, token=author)

    assert reply.status == 200 and reply.json["slug"] == "renamed"
    taken = api.post("/posts", {"title": "Squatter", "body": "x", "slug": "big-launch"}, token=author)
    assert taken.status == 409  # its published address stays its own (blog/slug_aliases.py)


def test_a_post_read_while_due_then_renamed_keeps_its_old_slug(api: Api, planned: dict[str, Any],
                                                                clock: Clock) -> None:
    clock.advance(days=3)
    author = planned["author"]
    assert api.get("/posts/big-launch").status == 200
    assert api.patch("/posts/big-launch", {"status": "draft"}, token=author).status == 200

    reply = api.patch("/posts/big-launch", {"slug": "renamed"}, token=author)

    assert reply.status == 200 and reply.json["slug"] == "renamed"
    taken = api.post("/posts", {"title": "Squatter", "body": "x", "slug": "big-launch"}, token=author)
    assert taken.status == 409


def test_editing_a_due_post_before_promotion_counts_it_once(api: Api, planned: dict[str, Any],
                                                            clock: Clock) -> None:
    clock.advance(days=3)

    edited = api.patch("/posts/big-launch", {"title": "Big launch!"}, token=planned["author"])

    assert edited.status == 200
    assert label_counts(api) == {"launch": 2, "news": 1}
    assert services().posts.publish_due() == 0
    assert label_counts(api) == {"launch": 2, "news": 1}


def test_a_scheduled_post_can_be_moved_later_and_stays_hidden(api: Api, planned: dict[str, Any],
                                                              clock: Clock) -> None:
    author = planned["author"]
    later = iso_from_now(days=10)
    assert api.patch("/posts/big-launch", {"published_at": later}, token=author).status == 200

    clock.advance(days=3)

    assert services().posts.publish_due() == 0
    assert api.get("/posts/big-launch").status == 404
    assert slugs(api, "/posts?status=scheduled", token=author) == ["big-launch"]


def test_a_scheduled_post_can_be_published_now(api: Api, planned: dict[str, Any]) -> None:
    reply = api.patch("/posts/big-launch", {"status": "published", "published_at": iso_from_now(seconds=-1)},
                      token=planned["author"])

    assert reply.status == 200, reply.body
    assert slugs(api, "/posts")[0] == "big-launch"
    assert label_counts(api) == {"launch": 2, "news": 1}
    assert services().posts.publish_due() == 0


def test_deleting_a_scheduled_post_leaves_nothing_to_promote(api: Api, planned: dict[str, Any],
                                                             clock: Clock) -> None:
    assert api.delete("/posts/big-launch", token=planned["author"]).status == 204
    clock.advance(days=3)

    assert services().posts.publish_due() == 0
    assert label_counts(api) == {"launch": 1}
    assert slugs(api, "/posts") == ["already-out"]
