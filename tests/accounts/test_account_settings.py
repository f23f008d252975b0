"""PATCH /auth/me: a person's own bio, picture and held-comment mail, and what it refuses."""

from __future__ import annotations

import pytest

from tests.conftest import Api, Blog


def test_an_author_turns_held_comment_mail_on_and_off(api: Api, blog: Blog) -> None:
    alice = blog.author("alice")
    assert api.get("/auth/me", token=alice).json["user"]["mail_held_comments"] is False

    on = api.patch("/auth/me", {"mail_held_comments": True}, token=alice)
    assert on.status == 200, on.body
    assert api.get("/auth/me", token=alice).json["user"]["mail_held_comments"] is True

    off = api.patch("/auth/me", {"mail_held_comments": False}, token=alice)
    assert off.json["user"]["mail_held_comments"] is False
    assert api.get("/auth/me", token=alice).json["user"]["mail_held_comments"] is False


def test_only_the_fields_sent_change_and_null_clears_one(api: Api, blog: Blog) -> None:
    alice = blog.author("alice")
    api.patch("/auth/me", {"bio": "Writes about Lent.", "image": "https://img.example/a.png"}, token=alice)

    reply = api.patch("/auth/me", {"image": None}, token=alice)

    assert reply.status == 200
    user = api.get("/auth/me", token=alice).json["user"]
    assert (user["bio"], user["image"]) == ("Writes about Lent.", None)


def test_changing_settings_keeps_every_session(api: Api, blog: Blog) -> None:
    alice = blog.author("alice")

    reply = api.patch("/auth/me", {"bio": "New"}, token=alice)

    assert api.get("/auth/me", token=alice).status == 200
    assert api.get("/auth/me", token=reply.json["token"]).status == 200


def test_a_reader_cannot_ask_for_held_comment_mail(api: Api, blog: Blog) -> None:
    blog.user("rita")
    rita = blog.login("rita")

    refused = api.patch("/auth/me", {"mail_held_comments": True}, token=rita)

    assert refused.status == 403
    assert refused.problem["errors"] == {"mail_held_comments": ["is for authors"]}
    assert api.get("/auth/me", token=rita).json["user"]["mail_held_comments"] is False
    assert api.patch("/auth/me", {"mail_held_comments": False}, token=rita).status == 200


@pytest.mark.parametrize("field", ["email", "password", "username", "role", "current_password",
                                   "mail_held_comments\u202e", "PK"])
def test_what_needs_a_password_or_an_admin_is_not_changed_here(api: Api, blog: Blog, field: str) -> None:
    alice = blog.author("alice")

    refused = api.patch("/auth/me", {field: "mallory@example.com"}, token=alice)

    assert refused.status == 422
    assert field in refused.problem["errors"]
    assert api.get("/auth/me", token=alice).json["user"]["email"] == "alice@example.com"


@pytest.mark.parametrize(("field", "value"), [
    ("mail_held_comments", "true"), ("mail_held_comments", 1), ("mail_held_comments", None),
    ("image", "javascript:alert(1)"), ("image", "x" * 501), ("bio", "b" * 1001),
])
def test_bad_values_are_refused_naming_their_field(api: Api, blog: Blog, field: str, value: object) -> None:
    alice = blog.author("alice")

    refused = api.patch("/auth/me", {field: value}, token=alice)

    assert refused.status == 422
    assert set(refused.problem["errors"]) == {field}


def test_a_body_that_is_not_an_object_is_refused(api: Api, blog: Blog) -> None:
    assert api.patch("/auth/me", ["mail_held_comments"], token=blog.author("alice")).status == 422


def test_settings_need_a_live_session(api: Api, blog: Blog) -> None:
    alice = blog.author("alice")
    assert api.patch("/auth/me", {"bio": "x"}).status == 401
    assert api.post("/auth/sign-out-everywhere", token=alice).status == 204

    assert api.patch("/auth/me", {"bio": "x"}, token=alice).status == 401
