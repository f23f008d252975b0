"""What the admin console needs from the API: why a comment was held, one post's audit trail,
recent comments across the blog, every account with its role, and the stage's comment rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table, serialize
from tests.conftest import ADMIN, AUTHOR, TEST_TABLE, Api, Blog, DynamoCalls
from tests.post_steps import walk
from tests.settings_steps import send


@pytest.fixture
def admin(blog: Blog) -> str:
    return str(blog.admin())


@pytest.fixture
def author(blog: Blog, admin: str) -> str:
    return str(blog.author(AUTHOR))


def held(api: Api, slug: str, body: str, token: str | None = None) -> str:
    reply = send(api, slug, body, token)
    assert reply.status == 202, reply.body
    return str(reply.json["comment"]["id"])


def moderate(api: Api, comment_id: str, action: str, token: str) -> None:
    reply = api.post(f"/comments/{comment_id}/moderate", {"action": action}, token=token)
    assert reply.status == 200, reply.body


def queue(api: Api, token: str, status: str = "pending") -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in walk(api, f"/moderation/comments?status={status}", 100, token)}


# -- why a comment is held ----------------------------------------------------------------------


def test_a_comment_held_under_moderation_all_says_so_in_the_queue(api: Api, blog: Blog, admin: str, author: str,
                                                                   configure: Callable[..., Settings]) -> None:
    slug = blog.post(author)["slug"]
    configure(MODERATION="all")

    comment_id = held(api, slug, "Please hold me.")

    assert queue(api, admin)[comment_id]["held_because"] == "every comment waits for approval (MODERATION=all)"


def test_a_first_time_commenter_is_told_apart_from_a_held_edit(api: Api, blog: Blog, admin: str, author: str,
                                                               configure: Callable[..., Settings]) -> None:
    slug = blog.post(author)["slug"]
    configure(MODERATION="first-time")
    first = held(api, slug, "My first words here.")
    reader = blog.user("reggie")
    configure(MODERATION="off")
    published = send(api, slug, "Fine as it is.", reader)
    assert published.status == 201
    configure(MODERATION="all")

    # When the reader edits their public comment under MODERATION=all, it goes back to the queue
    edit = api.patch(f"/comments/{published.json['comment']['id']}", {"body": "Changed my mind."}, token=reader)
    assert edit.status == 200 and edit.json["status"] == "pending"

    reasons = queue(api, admin)
    assert reasons[first]["held_because"] == "its commenter has no approved comment yet (MODERATION=first-time)"
    assert reasons[published.json["comment"]["id"]]["held_because"] == (
        "edited after approval: every comment waits for approval (MODERATION=all)")


def test_spam_says_who_marked_it_and_an_approved_comment_keeps_no_reason(api: Api, blog: Blog, admin: str,
                                                                         author: str,
                                                                         configure: Callable[..., Settings]) -> None:
    slug = blog.post(author)["slug"]
    configure(MODERATION="all")
    spam, fine = held(api, slug, "Buy things."), held(api, slug, "A kind word.")

    moderate(api, spam, "spam", admin)
    moderate(api, fine, "approve", admin)

    assert queue(api, admin, "spam")[spam]["held_because"] == f"marked as spam by {ADMIN}"
    stored = Table(dynamodb_client(), TEST_TABLE).get(keys.comment(slug, fine))
    assert stored is not None and "held_because" not in stored
    assert "held_because" not in api.get(f"/comments/{fine}").json


def test_a_held_comment_does_not_tell_its_author_why(api: Api, blog: Blog, author: str,
                                                     configure: Callable[..., Settings]) -> None:
    slug = blog.post(author)["slug"]
    configure(MODERATION="all")

    reply = send(api, slug, "Waiting.")

    assert "held_because" not in reply.json["comment"]


# -- the audit trail of one post ----------------------------------------------------------------


def test_the_audit_trail_filters_by_post(api: Api, blog: Blog, admin: str, author: str,
                                         configure: Callable[..., Settings]) -> None:
    first, second = blog.post(author)["slug"], blog.post(author)["slug"]
    configure(MODERATION="all")
    on_first = [held(api, first, f"On the first, {n}.") for n in range(3)]
    on_second = held(api, second, "On the second.")
    for comment_id in [*on_first, on_second]:
        moderate(api, comment_id, "approve", admin)

    trail = walk(api, f"/moderation/audit?post={quote(first)}", 2, admin)

    assert [e["comment_id"] for e in trail] == on_first[::-1]  # newest first, paged by 2
    assert {e["post"] for e in trail} == {first}
    assert len(walk(api, "/moderation/audit", 100, admin)) == 4


def test_an_audit_cursor_works_only_with_its_own_post(api: Api, blog: Blog, admin: str, author: str,
                                                      configure: Callable[..., Settings]) -> None:
    slug = blog.post(author)["slug"]
    configure(MODERATION="all")
    for n in range(2):
        moderate(api, held(api, slug, f"Number {n}."), "approve", admin)
    cursor = api.get(f"/moderation/audit?post={quote(slug)}&limit=1", token=admin).json["next_cursor"]

    assert api.get(f"/moderation/audit?post=another-post&cursor={cursor}", token=admin).status == 400
    assert api.get(f"/moderation/audit?cursor={cursor}", token=admin).status == 400


@pytest.mark.parametrize("post", ["", "x" * 201], ids=["empty", "too-long"])
def test_an_unusable_post_filter_is_refused_by_name(api: Api, admin: str, post: str) -> None:
    reply = api.get(f"/moderation/audit?post={post}", token=admin)

    assert reply.status == 422
    assert "post" in reply.problem["errors"]


# -- recent comments across the blog ------------------------------------------------------------


def test_recent_comments_are_the_blogs_newest_public_ones_across_posts(api: Api, blog: Blog, admin: str,
                                                                      author: str,
                                                                      configure: Callable[..., Settings]) -> None:
    first, second = blog.post(author)["slug"], blog.post(author)["slug"]
    ids = [blog.comment(first)["comment"]["id"], blog.comment(second)["comment"]["id"],
           blog.comment(first)["comment"]["id"]]
    configure(MODERATION="all")
    waiting = held(api, second, "Not public yet.")

    recent = walk(api, "/moderation/recent", 2, admin)

    assert [c["id"] for c in recent] == ids[::-1]
    assert waiting not in [c["id"] for c in recent]
    assert {c["post"] for c in recent} == {first, second}


def test_recent_comments_are_one_query_a_page(api: Api, blog: Blog, admin: str, author: str,
                                              dynamo: DynamoCalls) -> None:
    slug = blog.post(author)["slug"]
    blog.comment(slug)
    dynamo.clear()

    assert api.get("/moderation/recent", token=admin).status == 200

    # the admin's token is checked against the account (GetItem), then one Query
    assert dynamo.operations == ["GetItem", "Query"]


# -- people -------------------------------------------------------------------------------------


def test_admins_list_every_account_with_its_role_by_name(api: Api, blog: Blog, admin: str, author: str) -> None:
    blog.user("zoe")
    blog.user("Bea")

    people = {p["username"]: p for p in walk(api, "/users", 2, admin)}

    assert {name: p["role"] for name, p in people.items()} == {ADMIN: "admin", AUTHOR: "author", "Bea": "reader",
                                                                "zoe": "reader"}
    assert [p["username"] for p in walk(api, "/users", 100, admin)] == [AUTHOR, "Bea", ADMIN, "zoe"]
    assert set(people["zoe"]) == {"username", "role", "created_at"}  # no e-mail, no hash


def test_an_account_made_before_the_list_joins_it_on_its_next_role_change(api: Api, blog: Blog, admin: str) -> None:
    # Given an account stored before accounts carried the list's index keys
    blog.user("old-timer")
    table = Table(dynamodb_client(), TEST_TABLE)
    item = table.get(keys.user("old-timer"))
    assert item is not None
    table.client.put_item(TableName=TEST_TABLE, Item=serialize({k: v for k, v in item.items()
                                                                if not k.startswith("GSI1")}))
    assert "old-timer" not in [p["username"] for p in walk(api, "/users", 100, admin)]

    # When an admin makes them an author
    assert api.put("/users/old-timer/role", {"role": "author"}, token=admin).status == 200

    # Then they are listed, with the new role
    assert {p["username"]: p["role"] for p in walk(api, "/users", 100, admin)}["old-timer"] == "author"


# -- the stage's rules, and who may read all this --------------------------------------------------


def test_the_rules_in_force_are_read_by_allow_list(api: Api, admin: str, configure: Callable[..., Settings]) -> None:
    configure(MODERATION="first-time", COMMENT_RATE_LIMIT="7/120", COMMENT_MAX_LINKS="1",
              COMMENTS_CLOSE_AFTER_DAYS="30", NOTIFICATIONS="false")

    rules = api.get("/moderation/settings", token=admin).json

    assert rules == {"moderation": "first-time", "comment_rate_limit": "7 per 120 s", "comment_max_links": 1,
                     "edit_window_seconds": 900, "comments_close_after_days": 30, "notifications": False,
                     "anonymous_comments": True, "require_form_token": False}


@pytest.mark.parametrize("path", ["/users", "/moderation/settings", "/moderation/recent",
                                  "/moderation/audit?post=anything"])
def test_only_admins_read_what_the_console_shows_them(api: Api, blog: Blog, author: str, path: str) -> None:
    assert api.get(path).status == 401
    assert api.get(path, token=blog.user()).status == 403
    assert api.get(path, token=author).status == 403
