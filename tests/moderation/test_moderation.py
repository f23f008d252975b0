"""Moderation: which comments are held, the admin's queue, its actions and their audit trail.

Settings come from the test stage of .chalice/config.json with overrides
(`configure(MODERATION="all")`), rebuilt into the services the Chalice test
client uses. Time moves through `clock`, never by sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.blog import clock as clock_module
from chalicelib.blog import threads
from chalicelib.blog.ids import new_ulid
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import deserialize, serialize
from tests.conftest import AUTHOR, TEST_TABLE, Api, Blog, DynamoCalls, Reply
from tests.moderation.steps import audit, listed
from tests.post_steps import walk
from tests.settings_steps import Clock, comment_count, confirm_email, send

# -- steps ---------------------------------------------------------------------------


@pytest.fixture
def author(blog: Blog, configure: Callable[..., Settings]) -> str:
    configure(MODERATION="all")
    return str(blog.author(AUTHOR))


@pytest.fixture
def admin(blog: Blog, author: str) -> str:
    return str(blog.admin())


def held(api: Api, slug: str, body: str = "Nice post.", token: str | None = None, **fields: Any) -> dict[str, Any]:
    reply = send(api, slug, body, token, **fields)
    assert reply.status == 202, reply.body
    assert reply.json["comment"]["status"] == "pending"
    return dict(reply.json)


def approved(api: Api, slug: str, body: str = "Nice post.", token: str | None = None, **fields: Any) -> dict[str, Any]:
    reply = send(api, slug, body, token, **fields)
    assert reply.status == 201, reply.body
    assert reply.json["comment"]["status"] == "approved"
    return dict(reply.json)


def moderate(api: Api, comment_id: str, action: str, token: str | None) -> Reply:
    return api.post(f"/comments/{comment_id}/moderate", {"action": action}, token=token)


def act(api: Api, comment_id: str, action: str, token: str) -> dict[str, Any]:
    reply = moderate(api, comment_id, action, token)
    assert reply.status == 200, reply.body
    return dict(reply.json)


def post_view(api: Api, slug: str, embed: bool = False) -> dict[str, Any]:
    reply = api.get(f"/posts/{slug}" + ("?embed=comments" if embed else ""))
    assert reply.status == 200, reply.body
    return dict(reply.json)


def queue(api: Api, token: str, status: str = "pending", limit: int = 100) -> list[str]:
    return [c["id"] for c in walk(api, f"/moderation/comments?status={status}", limit, token)]


# -- which comments are held ------------------------------------------------------------


def test_without_moderation_a_comment_is_public_at_once(api: Api, slug: str, blog: Blog,
                                                        configure: Callable[..., Settings]) -> None:
    configure(MODERATION="off")

    created = approved(api, slug)

    assert listed(api, slug) == [created["comment"]["id"]]
    assert comment_count(api, slug) == 1


def test_under_moderation_all_a_comment_is_accepted_but_held(api: Api, slug: str) -> None:
    created = send(api, slug, author_email="ann@example.org")

    assert created.status == 202, created.body
    assert created.json["comment"]["status"] == "pending"
    assert created.json["edit_token"]


def test_held_comment_is_invisible_to_the_public(api: Api, slug: str) -> None:
    held(api, slug)

    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0
    embedded = post_view(api, slug, embed=True)
    assert embedded["comments"] == []
    assert embedded["comment_count"] == 0


def test_held_comment_is_shown_to_the_holder_of_its_edit_token(api: Api, slug: str) -> None:
    created = held(api, slug, "Waiting for a nod")
    comment_id = created["comment"]["id"]

    mine = api.get(f"/comments/{comment_id}", headers={"X-Edit-Token": created["edit_token"]})
    anyones = api.get(f"/comments/{comment_id}")

    assert mine.status == 200, mine.body
    assert mine.json["status"] == "pending"
    assert mine.json["body"] == "Waiting for a nod"
    assert anyones.status == 404


def test_held_comment_is_hidden_from_another_comments_edit_token_and_other_readers(api: Api, blog: Blog,
                                                                                   slug: str) -> None:
    mine = held(api, slug, "First")
    other = held(api, slug, "Second")
    reader = blog.user("mallory")

    with_wrong_token = api.get(f"/comments/{mine['comment']['id']}", headers={"X-Edit-Token": other["edit_token"]})
    as_other_reader = api.get(f"/comments/{mine['comment']['id']}", token=reader)

    assert with_wrong_token.status == 404
    assert as_other_reader.status == 404


def test_held_comment_is_shown_to_its_signed_in_author_and_admins(api: Api, blog: Blog, slug: str, admin: str) -> None:
    bob = blog.user("bob")
    comment_id = held(api, slug, token=bob)["comment"]["id"]

    assert api.get(f"/comments/{comment_id}", token=bob).status == 200
    assert api.get(f"/comments/{comment_id}", token=admin).status == 200


def test_admin_and_post_author_are_never_held(api: Api, slug: str, author: str, admin: str) -> None:
    by_author = approved(api, slug, "Thanks for reading", token=author)
    by_admin = approved(api, slug, "Pinned note", token=admin)

    assert listed(api, slug) == [by_author["comment"]["id"], by_admin["comment"]["id"]]
    assert comment_count(api, slug) == 2


def test_an_author_commenting_on_someone_elses_post_is_held(api: Api, blog: Blog, slug: str) -> None:
    other_author = blog.author("bert")

    held(api, slug, token=other_author)


def test_first_time_trusts_an_approved_email_once_its_owner_confirmed_it_in_any_case(
        api: Api, slug: str, configure: Callable[..., Settings], admin: str) -> None:
    configure(MODERATION="first-time")
    first = held(api, slug, "Hello", author_email="Ann@Example.org")
    act(api, first["comment"]["id"], "approve", admin)
    confirm_email(api, "ann@example.org")

    second = send(api, slug, "Hello again", author_email="ann@EXAMPLE.ORG")

    assert second.status == 201, second.body
    assert listed(api, slug) == [first["comment"]["id"], second.json["comment"]["id"]]


def test_first_time_an_approved_address_typed_by_someone_else_is_held(
        api: Api, slug: str, configure: Callable[..., Settings], admin: str) -> None:
    """The attack: alice was approved once; anyone typing her address must not be published at once."""
    configure(MODERATION="first-time")
    act(api, held(api, slug, "Hello", author_email="alice@example.com")["comment"]["id"], "approve", admin)

    impostor = held(api, slug, "Buy pills", author_email="alice@example.com")

    assert impostor["comment"]["status"] == "pending"
    assert impostor["comment"]["id"] not in listed(api, slug)


def test_first_time_a_confirmed_address_is_not_known_until_approved(
        api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    configure(MODERATION="first-time")
    confirm_email(api, "ann@example.org")

    held(api, slug, "Hello", author_email="ann@example.org")


def test_first_time_create_still_reads_once_and_writes_once_with_the_confirmation(
        api: Api, slug: str, configure: Callable[..., Settings], admin: str, dynamo: DynamoCalls) -> None:
    configure(MODERATION="first-time")
    act(api, held(api, slug, "Hello", author_email="ann@example.org")["comment"]["id"], "approve", admin)
    confirm_email(api, "ann@example.org")
    dynamo.clear()

    approved(api, slug, "Hello again", author_email="ann@example.org")

    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]


def test_first_time_trust_of_one_email_does_not_extend_to_another(api: Api, slug: str, blog: Blog,
                                                                  configure: Callable[..., Settings],
                                                                  admin: str) -> None:
    configure(MODERATION="first-time")
    act(api, held(api, slug, "Hello", author_email="ann@example.org")["comment"]["id"], "approve", admin)

    held(api, slug, "Me too", author_email="eve@example.org")


def test_first_time_signed_in_user_is_trusted_after_one_approval(api: Api, slug: str, blog: Blog,
                                                                 configure: Callable[..., Settings],
                                                                 admin: str) -> None:
    configure(MODERATION="first-time")
    bob = blog.user("Bob")
    first = held(api, slug, "Hello", token=bob)

    act(api, first["comment"]["id"], "approve", admin)

    approved(api, slug, "Hello again", token=bob)


def test_first_time_anonymous_without_email_is_always_held(api: Api, slug: str, blog: Blog,
                                                           configure: Callable[..., Settings], admin: str) -> None:
    configure(MODERATION="first-time")
    act(api, held(api, slug, "Hello")["comment"]["id"], "approve", admin)

    held(api, slug, "Hello again")


# -- the queue ------------------------------------------------------------------------------


def test_queue_lists_held_comments_newest_first_across_posts_in_pages(api: Api, blog: Blog, author: str, admin: str,
                                                                      clock: Clock) -> None:
    first_post = blog.post(author)["slug"]
    second_post = blog.post(author)["slug"]
    created = []
    for n in range(5):
        clock.advance(1)
        created.append(held(api, (first_post, second_post)[n % 2], f"Comment {n}")["comment"]["id"])

    assert queue(api, admin, limit=2) == created[::-1]


def test_queue_is_for_admins_and_authors_only(api: Api, blog: Blog, slug: str) -> None:
    held(api, slug)
    reader = blog.user("mallory")

    assert api.get("/moderation/comments").status == 401
    assert api.get("/moderation/comments", token=reader).status == 403
    assert api.get("/moderation/comments", token=blog.login(AUTHOR)).status == 200  # their own posts'


def test_queue_refuses_an_unknown_status(api: Api, admin: str) -> None:
    reply = api.get("/moderation/comments?status=approved", token=admin)

    assert reply.status == 422
    assert "status" in reply.problem["errors"]


def test_moderation_actions_are_for_admins_and_the_posts_author_only(api: Api, blog: Blog, slug: str,
                                                                      author: str) -> None:
    comment_id = held(api, slug)["comment"]["id"]

    assert moderate(api, comment_id, "approve", None).status == 401
    assert moderate(api, comment_id, "approve", blog.user("mallory")).status == 403
    assert moderate(api, comment_id, "approve", blog.author("bob")).status == 403
    assert listed(api, slug) == []


def test_unknown_action_is_refused(api: Api, slug: str, admin: str) -> None:
    comment_id = held(api, slug)["comment"]["id"]

    reply = moderate(api, comment_id, "publish", admin)

    assert reply.status == 422
    assert "action" in reply.problem["errors"]


# -- approve -----------------------------------------------------------------------------------


def test_approving_makes_a_comment_public_and_counts_it(api: Api, slug: str, admin: str) -> None:
    comment_id = held(api, slug)["comment"]["id"]

    approval = act(api, comment_id, "approve", admin)

    assert approval["status"] == "approved"
    assert listed(api, slug) == [comment_id]
    assert comment_count(api, slug) == 1
    assert [c["id"] for c in post_view(api, slug, embed=True)["comments"]] == [comment_id]
    assert api.get(f"/comments/{comment_id}").json["status"] == "approved"
    assert queue(api, admin) == []


def test_approved_comment_appears_in_the_comments_feed(api: Api, slug: str, admin: str) -> None:
    comment_id = held(api, slug, "Feed me once approved")["comment"]["id"]
    assert "Feed me once approved" not in api.get("/feeds/comments.atom").body.decode()

    act(api, comment_id, "approve", admin)

    assert "Feed me once approved" in api.get("/feeds/comments.atom").body.decode()


def test_approving_a_held_reply_counts_it_on_its_parent(api: Api, slug: str, author: str, admin: str) -> None:
    parent = approved(api, slug, "Ask me anything", token=author)["comment"]
    reply = held(api, slug, "What is it?", parent_id=parent["id"])["comment"]
    assert api.get(f"/comments/{parent['id']}").json["reply_count"] == 0

    act(api, reply["id"], "approve", admin)

    assert api.get(f"/comments/{parent['id']}").json["reply_count"] == 1
    assert listed(api, slug) == [parent["id"], reply["id"]]
    assert comment_count(api, slug) == 2


def test_approving_an_approved_comment_is_a_conflict(api: Api, slug: str, admin: str) -> None:
    comment_id = held(api, slug)["comment"]["id"]
    act(api, comment_id, "approve", admin)

    reply = moderate(api, comment_id, "approve", admin)

    assert reply.status == 409
    assert comment_count(api, slug) == 1


# -- spam, unspam, delete -------------------------------------------------------------------


def test_spam_moves_a_held_comment_to_the_spam_queue_and_unspam_back(api: Api, slug: str, admin: str) -> None:
    comment_id = held(api, slug)["comment"]["id"]

    assert act(api, comment_id, "spam", admin)["status"] == "spam"
    assert queue(api, admin) == []
    assert queue(api, admin, "spam") == [comment_id]

    assert act(api, comment_id, "unspam", admin)["status"] == "pending"
    assert queue(api, admin) == [comment_id]
    assert queue(api, admin, "spam") == []
    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0


def test_unspam_of_a_comment_that_is_not_spam_is_a_conflict(api: Api, slug: str, admin: str) -> None:
    comment_id = held(api, slug)["comment"]["id"]

    assert moderate(api, comment_id, "unspam", admin).status == 409


def test_spam_of_an_approved_comment_takes_it_down_and_uncounts_it(api: Api, slug: str, blog: Blog,
                                                                   configure: Callable[..., Settings],
                                                                   admin: str) -> None:
    configure(MODERATION="off")
    created = approved(api, slug)
    comment_id = created["comment"]["id"]

    act(api, comment_id, "spam", admin)

    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0
    assert api.get(f"/comments/{comment_id}").status == 404
    assert api.get(f"/comments/{comment_id}", headers={"X-Edit-Token": created["edit_token"]}).json[
        "status"] == "spam"
    assert queue(api, admin, "spam") == [comment_id]
    assert comment_id not in api.get("/feeds/comments.atom").body.decode()


def test_spam_of_an_approved_reply_uncounts_it_on_its_parent(api: Api, slug: str, blog: Blog,
                                                             configure: Callable[..., Settings], admin: str) -> None:
    configure(MODERATION="off")
    parent = approved(api, slug, "Parent")["comment"]["id"]
    reply = approved(api, slug, "Reply", parent_id=parent)["comment"]["id"]

    act(api, reply, "spam", admin)

    assert api.get(f"/comments/{parent}").json["reply_count"] == 0
    assert comment_count(api, slug) == 1


def test_spam_of_an_approved_comment_with_replies_is_a_conflict(api: Api, slug: str, blog: Blog,
                                                                configure: Callable[..., Settings], admin: str) -> None:
    configure(MODERATION="off")
    parent = approved(api, slug, "Parent")["comment"]["id"]
    approved(api, slug, "Reply", parent_id=parent)

    reply = moderate(api, parent, "spam", admin)

    assert reply.status == 409
    assert "delete" in reply.problem["detail"]
    assert len(listed(api, slug)) == 2
    assert comment_count(api, slug) == 2


def test_approving_spam_makes_it_public(api: Api, slug: str, admin: str) -> None:
    comment_id = held(api, slug)["comment"]["id"]
    act(api, comment_id, "spam", admin)

    act(api, comment_id, "approve", admin)

    assert listed(api, slug) == [comment_id]
    assert comment_count(api, slug) == 1
    assert queue(api, admin, "spam") == []


def test_deleting_a_held_comment_removes_it_everywhere(api: Api, slug: str, admin: str) -> None:
    created = held(api, slug)
    comment_id = created["comment"]["id"]

    assert act(api, comment_id, "delete", admin) == {"id": comment_id, "status": "deleted"}

    assert queue(api, admin) == []
    assert api.get(f"/comments/{comment_id}", token=admin).status == 404
    assert moderate(api, comment_id, "approve", admin).status == 404
    assert comment_count(api, slug) == 0


def test_deleting_an_approved_comment_uncounts_it(api: Api, slug: str, author: str, admin: str) -> None:
    comment_id = approved(api, slug, token=author)["comment"]["id"]

    act(api, comment_id, "delete", admin)

    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0


def test_moderating_an_unknown_comment_is_not_found(api: Api, admin: str) -> None:
    assert moderate(api, new_ulid(), "approve", admin).status == 404


# -- audit -------------------------------------------------------------------------------------


def test_every_action_is_recorded_in_the_audit_trail_newest_first(api: Api, slug: str, admin: str,
                                                                  clock: Clock) -> None:
    one = held(api, slug, "One")["comment"]["id"]
    two = held(api, slug, "Two")["comment"]["id"]
    for comment_id, action in ((one, "spam"), (one, "unspam"), (one, "approve"), (two, "delete")):
        clock.advance(1)
        act(api, comment_id, action, admin)

    entries = audit(api, admin)

    assert [(e["who"], e["action"], e["comment_id"], e["from_status"]) for e in entries] == [
        ("root", "delete", two, "pending"),
        ("root", "approve", one, "pending"),
        ("root", "unspam", one, "spam"),
        ("root", "spam", one, "pending"),
    ]
    assert all(e["post"] == slug and e["at"] for e in entries)


def test_a_refused_action_leaves_no_audit_entry(api: Api, slug: str, admin: str) -> None:
    comment_id = held(api, slug)["comment"]["id"]

    assert moderate(api, comment_id, "unspam", admin).status == 409

    assert audit(api, admin) == []


def test_audit_trail_is_for_admins_only(api: Api, blog: Blog, slug: str, author: str) -> None:
    assert api.get("/moderation/audit").status == 401
    assert api.get("/moderation/audit", token=author).status == 403


# -- budgets -------------------------------------------------------------------------------


def test_public_listing_reads_no_held_comment_when_a_thousand_wait(api: Api, dynamo: DynamoCalls, slug: str,
                                                                   author: str) -> None:
    # Given three public comments and a thousand held ones on the post
    public = [approved(api, slug, f"Public {n}", token=author)["comment"]["id"] for n in range(3)]
    template_id = held(api, slug, "Buy now")["comment"]["id"]
    client = dynamodb_client()
    template = deserialize(client.get_item(TableName=TEST_TABLE,
                                           Key=serialize(keys.held_comment(slug, template_id)))["Item"])
    base = datetime.fromisoformat(template["created_at"].replace("Z", "+00:00"))
    seeded = [
        threads.held({**template, "id": new_ulid(), "body": f"Buy now {n}", "html": f"<p>Buy now {n}</p>\n",
                         "created_at": clock_module.to_iso(base + timedelta(milliseconds=n + 1))}, "pending")
        for n in range(999)
    ]
    for start in range(0, len(seeded), 25):
        batch: dict[str, Any] = {TEST_TABLE: [{"PutRequest": {"Item": serialize(i)}} for i in seeded[start:start + 25]]}
        assert not client.batch_write_item(RequestItems=batch).get("UnprocessedItems")

    # When the public reads the comments, page by page and embedded in the post
    pages: list[list[str]] = []
    cursor = None
    while True:
        dynamo.clear()
        reply = api.get(f"/posts/{slug}/comments?limit=2" + (f"&cursor={quote(cursor, safe='')}" if cursor else ""))
        assert reply.status == 200, reply.body
        # (a page after a cursor reads the post first: is it still public?)
        assert dynamo.operations == (["GetItem", "Query"] if cursor else ["Query"])
        assert all(scanned <= 3 for scanned in dynamo.scanned), dynamo.scanned
        pages.append([c["id"] for c in reply.json["items"]])
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
    dynamo.clear()
    embedded = post_view(api, slug, embed=True)

    # Then each request was one Query that examined at most a page and one more item
    assert [i for page in pages for i in page] == public
    assert dynamo.operations == ["Query"]
    assert dynamo.scanned[0] <= 21
    assert [c["id"] for c in embedded["comments"]] == public
    assert embedded["comment_count"] == 3


def test_spam_of_the_last_reply_under_a_deleted_comment_leaves_no_empty_tombstone(api: Api, slug: str,
                                                                                  configure: Callable[..., Settings],
                                                                                  admin: str) -> None:
    # Given a deleted comment that stands as a tombstone only because of its one reply
    configure(MODERATION="off")
    parent = approved(api, slug, "Parent")
    reply = approved(api, slug, "Reply", parent_id=parent["comment"]["id"])["comment"]["id"]
    assert api.delete(f"/comments/{parent['comment']['id']}",
                      headers={"X-Edit-Token": parent["edit_token"]}).status == 204
    assert listed(api, slug) == [parent["comment"]["id"], reply]

    # When the reply is marked as spam
    act(api, reply, "spam", admin)

    # Then the tombstone goes too, as it would had the reply been deleted
    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0


def test_deleting_a_post_takes_its_held_comments_out_of_the_queue(api: Api, blog: Blog, slug: str, author: str,
                                                                  admin: str) -> None:
    other = blog.post(author)["slug"]
    doomed = held(api, slug, "On the doomed post")["comment"]["id"]
    kept = held(api, other, "On the other post")["comment"]["id"]

    assert api.delete(f"/posts/{slug}", token=author).status == 204

    assert queue(api, admin) == [kept]
    assert moderate(api, doomed, "approve", admin).status == 404
