"""A signed-in user's own data: GET /me/export, DELETE /me.

The export gives the account (allow-listed), every comment of theirs whatever its
status, their favorites, follows and votes, in pages whose lists concatenate. Deleting
the account asks for the password (or a recent sign-in), refuses while the
account has posts, turns the comments into tombstones or anonymous ones with
every count exact, and ends every token.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.blog.accounts import RECENT_SIGN_IN_SECONDS
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from tests.conftest import PASSWORD, TEST_TABLE, Api, Blog, DynamoCalls, login
from tests.settings_steps import Clock

READER = "rita"


def conduit(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def comment_count(api: Api, slug: str) -> int:
    return int(api.get(f"/posts/{slug}").json["comment_count"])


def every_page(api: Api, token: str, limit: int = 100) -> dict[str, list[Any]]:
    """The whole export: the lists of every page, concatenated."""
    merged: dict[str, list[Any]] = {"comments": [], "favorites": [], "follows": [], "votes": []}
    cursor = None
    for _ in range(50):
        reply = api.get(f"/me/export?limit={limit}" + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert reply.status == 200, reply.body
        for name in merged:
            merged[name] += reply.json[name]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return merged
    raise AssertionError("the export never ended")


def raw_items(partition: str) -> list[dict[str, Any]]:
    """The base table's items of one partition, read as the test's own check (a Query, not a Scan)."""
    found = dynamodb_client().query(TableName=TEST_TABLE, KeyConditionExpression="PK = :pk",
                                    ExpressionAttributeValues={":pk": {"S": partition}})
    return list(found["Items"])


@pytest.fixture
def reader(blog: Blog) -> str:
    return blog.user(READER)


def test_a_new_comment_is_entered_in_its_commenters_index_in_the_same_transaction(
        api: Api, blog: Blog, slug: str, reader: str, dynamo: DynamoCalls) -> None:
    dynamo.clear()
    created = blog.comment(slug, reader, body="Mine.")
    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]
    anonymous = blog.comment(slug, author_email="ann@example.com")
    entries = raw_items(keys.commenter_partition("user:" + READER))
    assert [e["comment_id"]["S"] for e in entries if e["SK"]["S"].startswith("COMMENT#")] == [
        created["comment"]["id"]]
    assert anonymous["comment"]["id"] not in str(entries)


def test_the_export_holds_the_account_comments_favorites_and_follows(
        api: Api, blog: Blog, slug: str, author: str, reader: str, configure: Any) -> None:
    public = blog.comment(slug, reader, body="A public one.")
    blog.comment(slug, reader, body="Soon deleted, with a reply.")
    api.post(f"/api/articles/{slug}/favorite", headers=conduit(reader))
    api.post("/api/profiles/alice/follow", headers=conduit(reader))
    configure(MODERATION="all")
    held = api.post(f"/posts/{slug}/comments", {"body": "Held for moderation."}, token=reader)
    assert held.status == 202, held.body

    export = api.get("/me/export", token=reader)
    assert export.status == 200, export.body
    assert export.json["account"] == {**export.json["account"], "username": READER, "email": "rita@example.com",
                                      "role": "reader"}
    assert set(export.json["account"]) == {"username", "email", "role", "bio", "image", "created_at",
                                            "mail_held_comments"}
    # (as JSON keys: an id, a ULID, may hold the letters PK)
    assert b"password" not in export.body and b'"PK"' not in export.body and b'"GSI' not in export.body

    everything = every_page(api, reader, limit=1)
    bodies = {c["body"]: c["status"] for c in everything["comments"]}
    assert bodies == {"A public one.": "approved", "Soon deleted, with a reply.": "approved",
                      "Held for moderation.": "pending"}
    assert all(c["post_slug"] == slug for c in everything["comments"])
    assert public["comment"]["id"] in {c["id"] for c in everything["comments"]}
    assert [f["slug"] for f in everything["favorites"]] == [slug]
    assert [f["username"] for f in everything["follows"]] == ["alice"]


def test_the_export_holds_the_votes_given_while_signed_in(api: Api, blog: Blog, slug: str, reader: str) -> None:
    liked = blog.comment(slug, body="Liked.")["comment"]["id"]
    disliked = blog.comment(slug, body="Disliked.")["comment"]["id"]
    taken_back = blog.comment(slug, body="Taken back.")["comment"]["id"]
    for comment_id, value in ((liked, 1), (disliked, -1), (taken_back, 1), (taken_back, 0)):
        assert api.post(f"/comments/{comment_id}/vote", {"value": value}, token=reader).status == 200
    # and someone else's vote, which is not theirs to see
    assert api.post(f"/comments/{liked}/vote", {"value": -1}, token=blog.user("oscar")).status == 200

    votes = every_page(api, reader, limit=1)["votes"]

    assert sorted((v["comment_id"], v["post"], v["value"]) for v in votes) == sorted(
        [(liked, slug, 1), (disliked, slug, -1)])
    assert all(v["at"] for v in votes)


def test_deleting_an_account_takes_its_votes_back_and_keeps_the_others(
        api: Api, blog: Blog, slug: str, reader: str) -> None:
    comment_id = blog.comment(slug, body="Voted on.")["comment"]["id"]
    assert api.post(f"/comments/{comment_id}/vote", {"value": 1}, token=reader).status == 200
    assert api.post(f"/comments/{comment_id}/vote", {"value": 1}, token=blog.user("oscar")).status == 200
    assert api.post(f"/comments/{comment_id}/vote", {"value": -1}, headers={"X-Voter-Token": "t1"}).status == 200

    assert api.delete("/me", json_body={"comments": "tombstone", "current_password": PASSWORD},
                      token=reader).status == 204

    standing = api.get(f"/comments/{comment_id}").json
    assert (standing["likes"], standing["dislikes"]) == (1, 1)
    assert not [i for i in raw_items(keys.post_partition(slug)) if i["SK"]["S"].endswith("#user:" + READER)]
    # and the name, taken again, inherits no vote: voting as it counts once
    again = api.post("/auth/signup", {"username": READER, "email": "rita2@example.com", "password": PASSWORD})
    assert api.post(f"/comments/{comment_id}/vote", {"value": 1}, token=again.json["token"]).json["likes"] == 2


def test_an_export_cursor_is_the_users_own(api: Api, blog: Blog, slug: str, reader: str) -> None:
    blog.comment(slug, reader)
    blog.comment(slug, reader)
    cursor = api.get("/me/export?limit=1", token=reader).json["next_cursor"]
    assert cursor
    other = blog.user("oscar")
    refused = api.get(f"/me/export?cursor={cursor}", token=other)
    assert refused.status == 400 and "cursor" in refused.problem["errors"]
    assert api.get("/me/export?cursor=%C3%A9.%C3%A9", token=reader).status == 400
    assert api.get("/me/export?limit=101", token=reader).status == 422


def test_the_export_needs_a_standing_session(api: Api, blog: Blog, reader: str) -> None:
    assert api.get("/me/export").status == 401
    assert api.post("/auth/sign-out-everywhere", token=reader).status == 204
    revoked = api.get("/me/export", token=reader)
    assert revoked.status == 401 and "sign in again" in revoked.problem["detail"]


def test_deleting_with_tombstones_keeps_threads_and_counts_exact(
        api: Api, blog: Blog, slug: str, author: str, reader: str) -> None:
    answered = blog.comment(slug, reader, body="Answered.")
    blog.comment(slug, author, parent_id=answered["comment"]["id"], body="An answer.")
    blog.comment(slug, reader, body="Alone.")
    api.post(f"/api/articles/{slug}/favorite", headers=conduit(reader))
    assert comment_count(api, slug) == 3

    deleted = api.delete("/me", json_body={"comments": "tombstone", "current_password": PASSWORD}, token=reader)
    assert deleted.status == 204, deleted.body

    thread = api.get(f"/posts/{slug}/comments").json["items"]
    assert [(c["status"], c["html"], c["author"]) for c in thread if c["parent_id"] is None] == [
        ("deleted", "", None)]
    assert [c["html"].strip() for c in thread if c["parent_id"]] == ["<p>An answer.</p>"]
    assert comment_count(api, slug) == 1
    assert api.get(f"/api/articles/{slug}").json["article"]["favoritesCount"] == 0
    assert raw_items(keys.commenter_partition("user:" + READER)) == []
    assert raw_items(keys.user_partition(READER)) == []
    assert raw_items(keys.email("rita@example.com")["PK"]) == []
    # The token ends with the account; the address and the name are free again.
    assert api.get("/me/export", token=reader).status == 401
    assert login(api, "rita@example.com").status == 401
    assert api.post("/auth/signup", {"username": READER, "email": "rita@example.com",
                                     "password": PASSWORD}).status == 201


def test_deleting_anonymously_keeps_the_text_and_drops_the_name(
        api: Api, blog: Blog, slug: str, author: str, reader: str) -> None:
    created = blog.comment(slug, reader, body="Keep my words.", author_website="https://rita.example")
    deleted = api.delete("/me", json_body={"comments": "anonymous", "current_password": PASSWORD}, token=reader)
    assert deleted.status == 204, deleted.body
    kept = api.get(f"/comments/{created['comment']['id']}").json
    assert kept["html"].strip() == "<p>Keep my words.</p>"
    assert kept["author"] == {"name": "Anonymous", "username": None, "website": None, "avatar": None,
                              "verified": False}
    assert comment_count(api, slug) == 1


def test_deleting_needs_the_password_or_a_recent_sign_in(api: Api, blog: Blog, reader: str, clock: Clock) -> None:
    clock.advance(RECENT_SIGN_IN_SECONDS + 1)
    stale = api.delete("/me", json_body={"comments": "tombstone"}, token=reader)
    assert stale.status == 403 and "current_password" in stale.problem["errors"]
    wrong = api.delete("/me", json_body={"comments": "tombstone", "current_password": "not it at all"}, token=reader)
    assert wrong.status == 403
    assert login(api, "rita@example.com").status == 200  # still there
    fresh = blog.login(READER)
    assert api.delete("/me", json_body={"comments": "tombstone"}, token=fresh).status == 204


def test_an_author_with_posts_cannot_delete_the_account(api: Api, blog: Blog, slug: str, author: str) -> None:
    refused = api.delete("/me", json_body={"comments": "tombstone", "current_password": PASSWORD}, token=author)
    assert refused.status == 409 and "posts" in refused.problem["detail"]
    assert api.get(f"/posts/{slug}").status == 200
    assert login(api, "alice@example.com").status == 200


@pytest.mark.parametrize("body", [
    {},
    {"comments": "burn"},
    {"comments": "tombstone\u200b"},
    {"comments": "tombstone", "current_password": "x" * 300},
    {"comments": "tombstone", "extra": 1},
    {"comments": ["tombstone"]},
], ids=["missing", "unknown-choice", "zero-width", "long-password", "unknown-field", "list"])
def test_bad_deletion_requests_are_refused_and_change_nothing(api: Api, blog: Blog, reader: str,
                                                               body: dict[str, Any]) -> None:
    refused = api.delete("/me", json_body=body, token=reader)
    assert refused.status == 422, refused.body
    assert login(api, "rita@example.com").status == 200


def test_deletion_refuses_anonymous_callers_revoked_tokens_and_huge_bodies(api: Api, blog: Blog,
                                                                            reader: str) -> None:
    assert api.delete("/me", json_body={"comments": "tombstone"}).status == 401
    assert api.delete("/me", raw=b'{"comments": "' + b"a" * (1024 * 1024 + 1) + b'"}',
                      headers={"Content-Type": "application/json"}, token=reader).status == 413
    assert api.post("/auth/sign-out-everywhere", token=reader).status == 204
    assert api.delete("/me", json_body={"comments": "tombstone", "current_password": PASSWORD},
                      token=reader).status == 401
    assert login(api, "rita@example.com").status == 200


def test_one_user_cannot_touch_anothers_comments(api: Api, blog: Blog, slug: str, reader: str) -> None:
    theirs = blog.comment(slug, blog.user("oscar"), body="Oscar's.")
    assert api.delete("/me", json_body={"comments": "tombstone", "current_password": PASSWORD},
                      token=reader).status == 204
    assert api.get(f"/comments/{theirs['comment']['id']}", token=blog.admin()).json["body"] == "Oscar's."


def test_deletion_attempts_are_rate_limited(api: Api, blog: Blog, reader: str, clock: Clock) -> None:
    clock.align(3600)
    answers = [api.delete("/me", json_body={"comments": "tombstone", "current_password": "wrong guess"},
                          token=reader).status for _ in range(11)]
    assert answers[:10] == [403] * 10
    assert answers[10] == 429
