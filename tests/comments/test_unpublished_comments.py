"""A post that is no longer public takes its comments with it, by every route, cursor and id.

A post leaves the public by going back to draft, by being scheduled for later,
or by being deleted (its status is "deleting" until its partition is purged).
Then nothing of its comments may be read or changed through the public routes:
comment pages (first page or by a cursor issued earlier, in every sort),
GET /comments/{id}, votes, edits and deletes by edit token or by account, and
the comment feeds. Admins still moderate its comments through
POST /comments/{id}/moderate. When the post is public again, so are they.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.blog.status import Status
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import deserialize, serialize
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls
from tests.post_steps import iso_from_now

SORTS = ("oldest", "newest", "score")


def hide_as_draft(api: Api, slug: str, author: str) -> None:
    assert api.patch(f"/posts/{slug}", {"status": "draft"}, token=author).status == 200


def hide_until_later(api: Api, slug: str, author: str) -> None:
    reply = api.patch(f"/posts/{slug}", {"status": "scheduled", "published_at": iso_from_now(days=2)}, token=author)
    assert reply.status == 200, reply.body


def stop_deleting_half_way(api: Api, slug: str, author: str) -> None:
    """A DELETE that retired the post (the post and its summary item), then stopped before its comments were purged."""
    for key in (keys.post(slug), keys.post_summary(slug)):
        dynamodb_client().update_item(TableName=TEST_TABLE, Key=serialize(key),
                                      UpdateExpression="SET #s = :deleting", ExpressionAttributeNames={"#s": "status"},
                                      ExpressionAttributeValues=serialize({":deleting": Status.DELETING}))


HIDINGS: dict[str, Callable[[Api, str, str], None]] = {
    "draft": hide_as_draft,
    "scheduled for later": hide_until_later,
    "being deleted": stop_deleting_half_way,
}


def republish(api: Api, slug: str, author: str) -> None:
    reply = api.patch(f"/posts/{slug}", {"status": "published", "published_at": iso_from_now(minutes=-1)},
                      token=author)
    assert reply.status == 200, reply.body


def stored_comment(slug: str, comment_id: str) -> dict[str, Any]:
    raw = dynamodb_client().get_item(TableName=TEST_TABLE, Key=serialize(keys.comment(slug, comment_id)))
    return deserialize(raw["Item"])


def vote(api: Api, comment_id: str, voter: str, value: int = 1) -> int:
    return api.post(f"/comments/{comment_id}/vote", {"value": value}, headers={"X-Voter-Token": voter}).status


@pytest.fixture
def scene(api: Api, blog: Blog, author: str, slug: str) -> dict[str, Any]:
    """A public post with three comments, cursors into each sort order, and the first comment's edit token."""
    made = [blog.comment(slug, body=f"Comment {n}") for n in range(3)]
    cursors = {}
    for sort in SORTS:
        page = api.get(f"/posts/{slug}/comments?sort={sort}&limit=1")
        assert page.status == 200 and page.json["next_cursor"], page.body
        cursors[sort] = page.json["next_cursor"]
    return {"ids": [m["comment"]["id"] for m in made], "edit_token": made[0]["edit_token"], "cursors": cursors}


@pytest.mark.parametrize("hiding", HIDINGS)
def test_cursor_pages_of_a_post_no_longer_public_are_not_found(api: Api, author: str, slug: str,
                                                                scene: dict[str, Any], hiding: str) -> None:
    # Given cursors a reader was given while the post was public
    # When the post stops being public
    HIDINGS[hiding](api, slug, author)

    # Then no page of its comments is served, first or by cursor, in any order
    for sort in SORTS:
        assert api.get(f"/posts/{slug}/comments?sort={sort}").status == 404
        by_cursor = api.get(f"/posts/{slug}/comments?sort={sort}&cursor={scene['cursors'][sort]}")
        assert by_cursor.status == 404, (sort, by_cursor.body)
        assert by_cursor.problem["detail"]


@pytest.mark.parametrize("hiding", HIDINGS)
def test_a_comment_of_a_post_no_longer_public_cannot_be_read_by_id(api: Api, author: str, slug: str,
                                                                    scene: dict[str, Any], hiding: str) -> None:
    first = scene["ids"][0]
    assert api.get(f"/comments/{first}").status == 200

    HIDINGS[hiding](api, slug, author)

    # Not for a reader, nor for its commenter with the edit token, nor for an admin
    assert api.get(f"/comments/{first}").status == 404
    assert api.get(f"/comments/{first}", headers={"X-Edit-Token": scene["edit_token"]}).status == 404
    assert api.get(f"/comments/{first}", token=author).status == 404


@pytest.mark.parametrize("hiding", ["draft", "scheduled for later"])
def test_its_author_reads_a_hidden_post_without_its_comments(api: Api, blog: Blog, author: str, slug: str,
                                                             scene: dict[str, Any], hiding: str) -> None:
    HIDINGS[hiding](api, slug, author)

    # The author and an admin still read the post itself (to edit it), with no comment embedded
    for token in (author, blog.admin()):
        reply = api.get(f"/posts/{slug}?embed=comments", token=token)
        assert reply.status == 200, reply.body
        assert reply.json["comments"] == [] and reply.json["comments_next_cursor"] is None
    republish(api, slug, author)
    assert len(api.get(f"/posts/{slug}?embed=comments").json["comments"]) == 3


@pytest.mark.parametrize("hiding", HIDINGS)
def test_votes_on_comments_of_a_post_no_longer_public_are_refused_and_not_counted(
        api: Api, author: str, slug: str, scene: dict[str, Any], hiding: str) -> None:
    first = scene["ids"][0]
    assert vote(api, first, "before") == 200

    HIDINGS[hiding](api, slug, author)

    assert vote(api, first, "after") == 404
    assert vote(api, first, "before", 0) == 404  # taking a vote back changes the counts too
    stored = stored_comment(slug, first)
    assert (stored["likes"], stored["dislikes"]) == (1, 0)


def test_a_commenter_cannot_edit_or_delete_their_comment_while_the_post_is_a_draft(
        api: Api, blog: Blog, author: str, slug: str, scene: dict[str, Any]) -> None:
    # Given a comment by its edit token, and one by a signed-in reader
    first = scene["ids"][0]
    token = {"X-Edit-Token": scene["edit_token"]}
    reader = blog.user("reader")
    own = blog.comment(slug, token=reader, body="Mine")["comment"]["id"]

    # When the post goes back to draft
    hide_as_draft(api, slug, author)

    # Then neither may change or delete their comment: the post is not there for them
    assert api.patch(f"/comments/{first}", {"body": "Changed"}, headers=token).status == 404
    assert api.delete(f"/comments/{first}", headers=token).status == 404
    assert api.patch(f"/comments/{own}", {"body": "Changed"}, token=reader).status == 404
    assert api.delete(f"/comments/{own}", token=reader).status == 404

    # And once it is published again, both comments are there as they were, and can be changed
    republish(api, slug, author)
    assert api.get(f"/comments/{first}").json["html"].strip() == "<p>Comment 0</p>"
    assert api.get(f"/comments/{own}", token=reader).json["body"] == "Mine"
    assert api.delete(f"/comments/{own}", token=reader).status == 204


def test_an_admin_still_moderates_the_comments_of_a_draft(api: Api, blog: Blog, author: str, slug: str,
                                                          scene: dict[str, Any]) -> None:
    hide_as_draft(api, slug, author)
    admin = blog.admin()

    # The public routes are closed to admins too; the moderation route is theirs
    assert api.delete(f"/comments/{scene['ids'][0]}", token=admin).status == 404
    reply = api.post(f"/comments/{scene['ids'][0]}/moderate", {"action": "delete"}, token=admin)

    assert reply.status == 200, reply.body
    republish(api, slug, author)
    assert [c["id"] for c in api.get(f"/posts/{slug}/comments").json["items"]] == scene["ids"][1:]


def test_a_held_comment_of_a_draft_is_not_shown_to_its_commenter(api: Api, author: str, slug: str,
                                                                  configure: Callable[..., Settings]) -> None:
    configure(MODERATION="all")
    held = api.post(f"/posts/{slug}/comments", {"body": "Wait for me", "author_name": "Ann"})
    assert held.status == 202
    token = {"X-Edit-Token": held.json["edit_token"]}
    assert api.get(f"/comments/{held.json['comment']['id']}", headers=token).status == 200

    hide_as_draft(api, slug, author)

    assert api.get(f"/comments/{held.json['comment']['id']}", headers=token).status == 404


@pytest.mark.parametrize("hiding", HIDINGS)
def test_comment_feeds_leave_out_a_post_no_longer_public(api: Api, author: str, slug: str,
                                                         scene: dict[str, Any], hiding: str) -> None:
    assert scene["ids"][0] in api.get("/feeds/comments.atom").body.decode()

    HIDINGS[hiding](api, slug, author)

    site_feed = api.get("/feeds/comments.atom")
    assert site_feed.status == 200
    assert not any(comment_id in site_feed.body.decode() for comment_id in scene["ids"])
    assert api.get(f"/posts/{slug}/comments.atom").status == 404


def test_everything_comes_back_when_the_post_is_published_again(api: Api, author: str, slug: str,
                                                                 scene: dict[str, Any]) -> None:
    hide_as_draft(api, slug, author)
    republish(api, slug, author)

    rest = api.get(f"/posts/{slug}/comments?cursor={scene['cursors']['oldest']}")
    assert rest.status == 200
    assert [c["id"] for c in rest.json["items"]] == scene["ids"][1:]
    assert api.get(f"/comments/{scene['ids'][0]}").status == 200
    assert vote(api, scene["ids"][0], "later") == 200


# -- what the checks cost ----------------------------------------------------------------------


def test_a_cursor_page_is_one_get_of_the_post_and_one_query(api: Api, dynamo: DynamoCalls, slug: str,
                                                            scene: dict[str, Any]) -> None:
    for sort in SORTS:
        dynamo.clear()
        assert api.get(f"/posts/{slug}/comments?sort={sort}&cursor={scene['cursors'][sort]}").status == 200
        assert dynamo.operations == ["GetItem", "Query"], sort


def test_a_comment_by_id_is_two_reads(api: Api, dynamo: DynamoCalls, scene: dict[str, Any]) -> None:
    dynamo.clear()

    assert api.get(f"/comments/{scene['ids'][0]}").status == 200

    # The id -> post reference, then the comment and its post together
    assert dynamo.operations == ["GetItem", "BatchGetItem"]


def test_a_vote_reads_twice_before_its_transaction(api: Api, dynamo: DynamoCalls, scene: dict[str, Any]) -> None:
    dynamo.clear()

    assert vote(api, scene["ids"][0], "someone") == 200

    # The reference; the comment, its post and the voter's earlier vote together; the vote;
    # then the comment's place in the by-score index
    assert dynamo.operations == ["GetItem", "BatchGetItem", "TransactWriteItems", "GetItem", "UpdateItem"]
