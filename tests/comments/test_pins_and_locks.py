"""Pins and locks: one pinned comment per thread, read with the post page; a locked thread takes no comment.

Through the Chalice test client against moto. Races that need real concurrency
are in tests/http/test_pin_lock_races.py; here an interleaving is made exact by
running a real lock between a comment's read and its transaction.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.blog.comment_creation import CommentCreation
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import deserialize
from tests.conftest import TEST_TABLE, Api, Blog, Reply
from tests.post_steps import walk
from tests.settings_steps import comment_count, send

# -- steps ---------------------------------------------------------------------------


@pytest.fixture
def admin(blog: Blog, author: str) -> str:
    return str(blog.admin())


def pin(api: Api, slug: str, comment_id: Any, token: str | None) -> Reply:
    return api.put(f"/posts/{slug}/pin", {"comment_id": comment_id}, token=token)


def lock(api: Api, slug: str, token: str | None) -> Reply:
    return api.put(f"/posts/{slug}/lock", token=token)


def page(api: Api, slug: str, limit: int = 50) -> dict[str, Any]:
    reply = api.get(f"/posts/{slug}?embed=comments&comments_limit={limit}")
    assert reply.status == 200, reply.body
    return dict(reply.json)


def stored(key: dict[str, str]) -> dict[str, Any] | None:
    found = dynamodb_client().get_item(TableName=TEST_TABLE, Key={k: {"S": v} for k, v in key.items()})
    return deserialize(found["Item"]) if "Item" in found else None


def audit_actions(api: Api, slug: str, admin: str) -> list[str]:
    reply = api.get(f"/moderation/audit?post={slug}", token=admin)
    assert reply.status == 200, reply.body
    return [entry["action"] for entry in reply.json["items"]]


# -- pins ----------------------------------------------------------------------------


def test_pinned_comment_comes_with_the_post_page_even_when_its_comment_is_pages_away(
        api: Api, blog: Blog, slug: str, admin: str) -> None:
    comments = [blog.comment(slug)["comment"]["id"] for _ in range(5)]

    reply = pin(api, slug, comments[4], admin)

    assert reply.status == 200, reply.body
    first = page(api, slug, limit=2)
    assert first["pinned_comment"]["id"] == comments[4]
    assert first["pinned_comment"]["html"]  # what a reader sees of it, without a second request
    assert "body" not in first["pinned_comment"]
    assert [c["id"] for c in first["comments"]] == comments[:1]  # the pin reads in a comment's place
    # The pin takes no comment's place in the pages: every comment, once, in order.
    assert [c["id"] for c in walk(api, f"/posts/{slug}/comments", 2)] == comments
    assert [c["id"] for c in walk(api, f"/posts/{slug}/comments?sort=newest", 2)] == comments[::-1]


def test_the_pin_takes_a_comments_place_on_the_first_page_and_the_next_page_goes_on_from_there(
        api: Api, blog: Blog, slug: str, admin: str) -> None:
    comments = [blog.comment(slug)["comment"]["id"] for _ in range(4)]
    assert pin(api, slug, comments[3], admin).status == 200

    first = page(api, slug, limit=3)
    listed = api.get(f"/posts/{slug}/comments?limit=3")
    rest = api.get(f"/posts/{slug}/comments?limit=3&cursor={quote(first['comments_next_cursor'], safe='')}")

    assert [c["id"] for c in first["comments"]] == comments[:2]
    assert [c["id"] for c in listed.json["items"]] == comments[:2]
    assert [c["id"] for c in rest.json["items"]] == comments[2:]
    assert first["pinned_comment"]["id"] == comments[3]


def test_a_second_pin_is_refused_until_the_first_is_unpinned(api: Api, blog: Blog, slug: str, admin: str) -> None:
    first, second = (blog.comment(slug)["comment"]["id"] for _ in range(2))
    assert pin(api, slug, first, admin).status == 200

    refused = pin(api, slug, second, admin)
    again = pin(api, slug, first, admin)

    assert refused.status == 409
    assert "unpin it first" in refused.problem["detail"]
    assert again.status == 409
    assert "pinned already" in again.problem["detail"]
    assert page(api, slug)["pinned_comment"]["id"] == first
    assert api.delete(f"/posts/{slug}/pin", token=admin).status == 200
    assert pin(api, slug, second, admin).status == 200
    assert page(api, slug)["pinned_comment"]["id"] == second
    assert stored(keys.comment(slug, first)) is not None
    assert "pinned" not in (stored(keys.comment(slug, first)) or {})


def test_unpinning_a_thread_without_a_pin_is_refused(api: Api, slug: str, admin: str) -> None:
    reply = api.delete(f"/posts/{slug}/pin", token=admin)

    assert reply.status == 409
    assert "no comment is pinned" in reply.problem["detail"]


@pytest.mark.parametrize("status", ["pending", "spam"])
def test_a_held_comment_cannot_be_pinned(api: Api, blog: Blog, slug: str, admin: str, configure: Any,
                                        status: str) -> None:
    configure(MODERATION="all")
    comment_id = send(api, slug, "Wait for me").json["comment"]["id"]
    if status == "spam":
        assert api.post(f"/comments/{comment_id}/moderate", {"action": "spam"}, token=admin).status == 200

    reply = pin(api, slug, comment_id, admin)

    assert reply.status == 409
    assert f"this one is {status}" in reply.problem["detail"]
    assert page(api, slug)["pinned_comment"] is None


def test_a_deleted_comment_or_one_of_another_post_or_no_comment_cannot_be_pinned(
        api: Api, blog: Blog, slug: str, author: str, admin: str) -> None:
    gone = blog.comment(slug)["comment"]["id"]
    assert api.delete(f"/comments/{gone}", token=admin).status == 204
    elsewhere = blog.comment(blog.post(author)["slug"])["comment"]["id"]

    for comment_id in (gone, elsewhere, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "../" * 20):
        assert pin(api, slug, comment_id, admin).status == 404, comment_id
    assert pin(api, "no-such-post", elsewhere, admin).status == 404
    assert pin(api, slug, 42, admin).status == 422
    assert api.put(f"/posts/{slug}/pin", {"comment_id": elsewhere, "extra": 1}, token=admin).status == 422
    assert stored(keys.thread_pin(slug)) is None


def test_a_reply_cannot_be_pinned_it_stays_under_its_parent(api: Api, blog: Blog, slug: str, admin: str) -> None:
    parent = blog.comment(slug)["comment"]["id"]
    reply_id = blog.comment(slug, parent_id=parent)["comment"]["id"]

    reply = pin(api, slug, reply_id, admin)

    assert reply.status == 409
    assert "top-level" in reply.problem["detail"]


def test_pins_and_locks_are_for_admins_and_the_posts_own_author(api: Api, blog: Blog, slug: str, author: str,
                                                                 admin: str) -> None:
    comment_id = blog.comment(slug)["comment"]["id"]
    reader, other_author = blog.user("mallory"), blog.author("bob")

    for token, expected in ((None, 401), (reader, 403), (other_author, 403)):
        assert pin(api, slug, comment_id, token).status == expected
        assert lock(api, slug, token).status == expected
    assert page(api, slug)["pinned_comment"] is None
    assert page(api, slug)["locked"] is False

    assert pin(api, slug, comment_id, author).status == 200
    assert lock(api, slug, author).status == 200
    assert api.delete(f"/posts/{slug}/pin", token=other_author).status == 403
    assert api.delete(f"/posts/{slug}/lock", token=other_author).status == 403
    assert audit_actions(api, slug, admin) == ["lock", "pin"]


def test_editing_the_pinned_comment_updates_its_pinned_copy(api: Api, blog: Blog, slug: str, admin: str) -> None:
    comments = [blog.comment(slug) for _ in range(3)]
    pinned = comments[2]
    assert pin(api, slug, pinned["comment"]["id"], admin).status == 200

    edited = api.patch(f"/comments/{pinned['comment']['id']}", {"body": "Corrected *text*"},
                       headers={"X-Edit-Token": pinned["edit_token"]})

    assert edited.status == 200, edited.body
    shown = page(api, slug, limit=1)["pinned_comment"]
    assert shown["html"] == "<p>Corrected <em>text</em></p>\n"
    assert shown["edited_at"] is not None


def test_deleting_the_pinned_comment_unpins_it(api: Api, blog: Blog, slug: str, admin: str) -> None:
    pinned = blog.comment(slug)
    blog.comment(slug, parent_id=pinned["comment"]["id"])  # a reply: the comment stays as a tombstone
    assert pin(api, slug, pinned["comment"]["id"], admin).status == 200

    deleted = api.delete(f"/comments/{pinned['comment']['id']}", headers={"X-Edit-Token": pinned["edit_token"]})

    assert deleted.status == 204
    assert page(api, slug)["pinned_comment"] is None
    assert stored(keys.thread_pin(slug)) is None


def test_marking_the_pinned_comment_as_spam_unpins_it(api: Api, blog: Blog, slug: str, admin: str) -> None:
    comment_id = blog.comment(slug)["comment"]["id"]
    assert pin(api, slug, comment_id, admin).status == 200

    assert api.post(f"/comments/{comment_id}/moderate", {"action": "spam"}, token=admin).status == 200

    assert page(api, slug)["pinned_comment"] is None
    assert "pinned" not in (stored(keys.held_comment(slug, comment_id)) or {"pinned": "missing"})


def test_the_pin_shows_fresh_votes_when_its_comment_is_on_the_page(api: Api, blog: Blog, slug: str,
                                                                   admin: str) -> None:
    comment_id = blog.comment(slug)["comment"]["id"]
    assert pin(api, slug, comment_id, admin).status == 200

    voted = api.post(f"/comments/{comment_id}/vote", {"value": 1}, token=blog.user("voter"))

    assert voted.status == 200, voted.body
    assert page(api, slug)["pinned_comment"]["likes"] == 1


def test_votes_on_the_pinned_comment_move_its_pinned_copy_too(api: Api, blog: Blog, slug: str, admin: str) -> None:
    comments = [blog.comment(slug)["comment"]["id"] for _ in range(3)]
    assert pin(api, slug, comments[2], admin).status == 200
    voter, other = blog.user("voter"), blog.user("other")

    for token, value in ((voter, 1), (other, -1), (voter, -1)):
        reply = api.post(f"/comments/{comments[2]}/vote", {"value": value}, token=token)
        assert reply.status == 200, reply.body

    # The first page (limit 1: the pin takes its one place) draws the pinned comment from the pin's copy
    shown = page(api, slug, limit=1)
    assert shown["comments"] == []
    assert (shown["pinned_comment"]["likes"], shown["pinned_comment"]["dislikes"]) == (0, 2)
    assert api.post(f"/comments/{comments[2]}/vote", {"value": 0}, token=other).status == 200
    assert page(api, slug, limit=1)["pinned_comment"]["dislikes"] == 1


def test_reactions_on_the_pinned_comment_move_its_pinned_copy_too(api: Api, blog: Blog, slug: str,
                                                                  admin: str) -> None:
    comments = [blog.comment(slug)["comment"]["id"] for _ in range(3)]
    assert pin(api, slug, comments[2], admin).status == 200
    thumbs, heart = "\U0001f44d", "\u2764\ufe0f"

    for voter, emoji, active in (("a", thumbs, True), ("b", thumbs, True), ("a", heart, True), ("a", heart, False)):
        reply = api.post(f"/comments/{comments[2]}/reactions", {"emoji": emoji, "active": active},
                         headers={"X-Voter-Token": f"reader-{voter}"})
        assert reply.status == 200, reply.body

    # Limit 1: the pin takes the first page's one place, so the pinned comment is drawn from the pin's copy.
    shown = page(api, slug, limit=1)
    assert shown["comments"] == []
    assert shown["pinned_comment"]["reactions"] == {thumbs: 2}  # a kind taken back to none is not shown
    assert page(api, slug)["pinned_comment"]["reactions"] == {thumbs: 2}  # and as read with its own page


def test_the_static_fragment_puts_the_pinned_comment_first_once(api: Api, blog: Blog, slug: str,
                                                               admin: str) -> None:
    comments = [blog.comment(slug, body=f"Comment {n}.")["comment"]["id"] for n in range(3)]
    reply_id = blog.comment(slug, body="A reply.", parent_id=comments[1])["comment"]["id"]
    assert pin(api, slug, comments[1], admin).status == 200

    html = api.get(f"/posts/{slug}/comments.html").body.decode()

    order = re.findall(r'<li class="([^"]*)" id="comment-([^"]+)"', html)
    assert [c for _, c in order] == [comments[1], reply_id, comments[0], comments[2]]  # its replies follow it
    assert order[0][0] == "blog-comment blog-comment-pinned" and "blog-comment-pinned" not in order[1][0]
    assert html.count('class="blog-comment-pin"') == 1


def test_the_static_fragment_draws_the_pinned_comment_from_its_copy_when_its_page_is_later(
        api: Api, blog: Blog, slug: str, admin: str) -> None:
    comments = [blog.comment(slug, body=f"Comment {n}.")["comment"]["id"] for n in range(3)]
    assert pin(api, slug, comments[2], admin).status == 200

    first = api.get(f"/posts/{slug}/comments.html?limit=2").body.decode()

    ids = re.findall(r'id="comment-([^"]+)"', first)
    assert ids[0] == comments[2] and "Comment 2." in first
    assert ids.count(comments[2]) == 1
    later = re.search(r'href="[^"]*\?cursor=([^"]+)"', first)
    assert later is not None
    rest = api.get(f"/posts/{slug}/comments.html?cursor={later.group(1)}").body.decode()
    assert "blog-comment-pinned" not in rest  # later pages keep the thread's order


# -- locks ---------------------------------------------------------------------------


def test_a_locked_thread_refuses_comments_and_replies_and_keeps_what_it_has(api: Api, blog: Blog, slug: str,
                                                                         admin: str) -> None:
    kept = blog.comment(slug)
    reply = lock(api, slug, admin)
    assert reply.status == 200, reply.body
    assert reply.json["locked"] is True
    assert reply.json["locked_by"] == "root"

    for payload in ({}, {"parent_id": kept["comment"]["id"]}):
        refused = send(api, slug, "Let me in", **payload)
        assert refused.status == 403
        assert "locked" in refused.problem["detail"]
    edit = api.patch(f"/comments/{kept['comment']['id']}", {"body": "Sneaky edit"},
                     headers={"X-Edit-Token": kept["edit_token"]})
    assert edit.status == 403
    shown = page(api, slug)
    assert shown["locked"] is True
    assert shown["comments_closed"] is True
    assert [c["id"] for c in shown["comments"]] == [kept["comment"]["id"]]
    assert comment_count(api, slug) == 1
    assert api.post(f"/comments/{kept['comment']['id']}/vote", {"value": 1}, token=blog.user()).status == 200


def test_unlocking_opens_the_thread_again(api: Api, blog: Blog, slug: str, admin: str) -> None:
    assert lock(api, slug, admin).status == 200
    assert lock(api, slug, admin).status == 409  # locked already

    unlocked = api.delete(f"/posts/{slug}/lock", token=admin)

    assert unlocked.status == 200
    assert unlocked.json["locked"] is False
    assert send(api, slug, "Open again").status == 201
    assert page(api, slug)["comments_closed"] is False
    assert api.delete(f"/posts/{slug}/lock", token=admin).status == 409  # not locked
    assert audit_actions(api, slug, admin) == ["unlock", "lock"]


def test_an_author_does_not_lift_an_admins_lock_or_pin(api: Api, blog: Blog, slug: str, author: str,
                                                        admin: str) -> None:
    comment_id = blog.comment(slug)["comment"]["id"]
    assert lock(api, slug, admin).status == 200
    assert pin(api, slug, comment_id, admin).status == 200

    unlock = api.delete(f"/posts/{slug}/lock", token=author)
    unpin = api.delete(f"/posts/{slug}/pin", token=author)

    assert (unlock.status, unpin.status) == (403, 403)
    assert "only an admin" in unlock.problem["detail"]
    assert "only an admin" in unpin.problem["detail"]
    assert page(api, slug)["locked"] is True
    assert page(api, slug)["pinned_comment"]["id"] == comment_id


def test_locking_an_unknown_post_is_refused(api: Api, admin: str) -> None:
    assert lock(api, "no-such-post", admin).status == 404
    assert lock(api, "x" * 5000, admin).status == 404


def test_a_lock_between_a_comments_read_and_its_write_refuses_the_comment(
        api: Api, blog: Blog, slug: str, admin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real_read = CommentCreation._read_context

    def read_then_lock(self: CommentCreation, *args: Any, **kwargs: Any) -> Any:
        context = real_read(self, *args, **kwargs)  # the post, read open
        assert lock(api, slug, admin).status == 200  # a moderator locks it before the comment is written
        return context

    monkeypatch.setattr(CommentCreation, "_read_context", read_then_lock)
    refused = send(api, slug, "Just in time?")
    monkeypatch.undo()

    assert refused.status == 403
    assert "locked" in refused.problem["detail"]
    assert comment_count(api, slug) == 0
    assert page(api, slug)["comments"] == []


def test_a_post_edit_keeps_the_lock(api: Api, blog: Blog, slug: str, author: str, admin: str) -> None:
    assert lock(api, slug, admin).status == 200

    edited = api.patch(f"/posts/{slug}", {"title": "A new title"}, token=author)

    assert edited.status == 200, edited.body
    assert page(api, slug)["locked"] is True
    assert send(api, slug, "Still closed?").status == 403
    assert "locked_at" not in (stored(keys.post(slug)) or {})

