"""A deleted account's name can be taken again; its tokens never pass for the new owner.

Usernames compare without case and a new account starts at token_version 0, the version a
deleted account's first tokens carry. So tokens name the account's immutable id (``sub``, a
ULID) and every request with a token checks that id against the account the name now has.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from chalicelib import services as services_module
from chalicelib.blog.ids import is_ulid
from chalicelib.store import keys
from tests.conftest import ADMIN, PASSWORD, Api, Blog, Reply, login
from tests.openapi_document import operations


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def assert_gone(reply: Reply, what: str) -> None:
    assert reply.status == 401, f"{what}: {reply.status} {reply.body!r}"
    assert b"new-owner@example.com" not in reply.body, what


def delete_account(api: Api, token: str) -> None:
    reply = api.request("DELETE", "/me", {"comments": "tombstone", "current_password": PASSWORD}, token=token)
    assert reply.status == 204, reply.body


@pytest.fixture
def recycled(api: Api, blog: Blog) -> dict[str, str]:
    """Xena, an author, signs in and deletes her account; someone else signs up as "xena" and writes a post."""
    old = blog.author("Xena")
    delete_account(api, old)
    reply = api.post("/auth/signup", {"username": "xena", "email": "new-owner@example.com", "password": PASSWORD})
    assert reply.status == 201, reply.body
    assert api.put("/users/xena/role", {"role": "author"}, token=blog.admin()).status == 200
    new = str(login(api, "new-owner@example.com").json["token"])
    slug = str(blog.post(new, title="The new owner's post")["slug"])
    comment = blog.comment(slug)["comment"]["id"]
    return {"old": old, "new": new, "slug": slug, "comment_id": str(comment)}


def test_a_new_account_has_an_id_its_tokens_name(api: Api, blog: Blog) -> None:
    token = blog.user("ivy")

    account = services_module.services().table.get(keys.user("ivy"))

    assert account is not None and is_ulid(account["account_id"])
    assert claims(token)["sub"] == account["account_id"]
    assert claims(token)["name"] == "ivy"
    assert api.get("/auth/me", token=token).json["user"]["username"] == "ivy"


def test_the_reported_case_a_deleted_accounts_token_does_not_read_the_new_owners_data(
        api: Api, recycled: dict[str, str]) -> None:
    # Given X deleted and X signed up again with another e-mail (the fixture)
    # Then the first token does not read the new owner's export, nor who they are
    assert_gone(api.get("/me/export", token=recycled["old"]), "GET /me/export")
    assert_gone(api.get("/auth/me", token=recycled["old"]), "GET /auth/me")
    # And the new owner's own token works
    assert api.get("/me/export", token=recycled["new"]).status == 200


def test_the_old_token_is_refused_by_every_native_route_that_takes_a_token(
        api: Api, recycled: dict[str, str], document: dict[str, Any]) -> None:
    params = {"slug": recycled["slug"], "comment_id": recycled["comment_id"], "username": "xena", "ban_id": "user:xena",
              "credential_id": "AAAA"}
    # Valid bodies, so that no route refuses the body before it reads the token
    bodies: dict[str, Any] = {
        "/auth/me": {"bio": "Taken over"},
        "/users/{username}/role": {"role": "reader"},
        "/posts": {"title": "By the old token", "body": "Text"},
        "/posts/{slug}": {"title": "Changed by the old token"},
        "/posts/{slug}/comments": {"body": "As the new owner"},
        "/comments/{comment_id}": {"body": "Edited"},
        "/comments/{comment_id}/moderate": {"action": "spam"},
        "/comments/{comment_id}/vote": {"value": 1},
        "/preview": {"kind": "post", "body": "Text"},
        "/me": {"comments": "tombstone", "current_password": PASSWORD},
        "/auth/passkeys": {"ceremony": "0" * 26, "credential": {}},
    }
    taking_tokens = [(method, path) for path, method in operations(document)
                     if {"bearerAuth": []} in (document["paths"][path][method].get("security") or [])]
    assert len(taking_tokens) > 20

    for method, path in taking_tokens:
        reply = api.request(method.upper(), path.format(**params), bodies.get(path), token=recycled["old"])
        assert_gone(reply, f"{method.upper()} {path}")

    # Nothing was written as the new owner
    post = api.get(f"/posts/{recycled['slug']}").json
    assert post["title"] == "The new owner's post" and post["comment_count"] == 1
    assert api.get("/auth/me", token=recycled["new"]).json["user"]["bio"] is None


def test_the_old_token_is_refused_by_every_realworld_route_that_takes_a_token(
        api: Api, recycled: dict[str, str]) -> None:
    slug, comment = recycled["slug"], recycled["comment_id"]
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/api/user", None),
        ("PUT", "/api/user", {"user": {"email": "thief@example.com", "password": "another long passphrase"}}),
        ("GET", "/api/profiles/xena", None),
        ("POST", "/api/profiles/xena/follow", None),
        ("DELETE", "/api/profiles/xena/follow", None),
        ("GET", "/api/articles", None),
        ("GET", "/api/articles/feed", None),
        ("POST", "/api/articles", {"article": {"title": "T", "description": "D", "body": "B"}}),
        ("GET", f"/api/articles/{slug}", None),
        ("PUT", f"/api/articles/{slug}", {"article": {"title": "Changed"}}),
        ("DELETE", f"/api/articles/{slug}", None),
        ("POST", f"/api/articles/{slug}/favorite", None),
        ("DELETE", f"/api/articles/{slug}/favorite", None),
        ("GET", f"/api/articles/{slug}/comments", None),
        ("POST", f"/api/articles/{slug}/comments", {"comment": {"body": "As the new owner"}}),
        ("DELETE", f"/api/articles/{slug}/comments/{comment}", None),
    ]

    for method, path, body in routes:
        reply = api.request(method, path, body, headers={"Authorization": f"Token {recycled['old']}"})
        assert_gone(reply, f"{method} {path}")

    assert login(api, "new-owner@example.com").status == 200
    assert login(api, "thief@example.com").status == 401


def test_a_token_from_before_ids_does_not_pass_for_an_account_that_has_one(api: Api, blog: Blog) -> None:
    # A token in the older form names only the username (sub): it stands for an account without an id
    token = blog.user("olive")
    secret = services_module.services().settings.jwt_secret
    older_form = jwt.encode({**{k: v for k, v in claims(token).items() if k != "name"}, "sub": "olive"}, secret,
                            algorithm="HS256")

    assert_gone(api.get("/auth/me", token=older_form), "an older-form token for an account with an id")


def test_an_account_from_before_ids_gets_one_at_sign_in_and_its_older_tokens_end(api: Api, blog: Blog) -> None:
    # Given an account made before ids, and a token of that time (sub = username)
    first = blog.user("pearl")
    table = services_module.services().table
    table.client.update_item(TableName=table.name, Key={"PK": {"S": keys.user("pearl")["PK"]},
                                                          "SK": {"S": keys.user("pearl")["SK"]}},
                             UpdateExpression="REMOVE account_id")
    secret = services_module.services().settings.jwt_secret
    older = jwt.encode({"sub": "pearl", "role": "reader", "ver": 0, "exp": claims(first)["exp"]},
                       secret, algorithm="HS256")
    assert api.get("/auth/me", token=older).status == 200

    # When she signs in again
    fresh = blog.login("pearl")

    # Then her account has an id, her new token names it, and the older token no longer passes
    account = table.get(keys.user("pearl"))
    assert account is not None and claims(fresh)["sub"] == account["account_id"]
    assert api.get("/auth/me", token=fresh).status == 200
    assert_gone(api.get("/auth/me", token=older), "the older token after the account got an id")


@pytest.mark.parametrize("subject", ["not-a-ulid", "", 7, "8ZZZZZZZZZZZZZZZZZZZZZZZZZ"])
def test_a_token_with_a_malformed_account_id_is_refused(api: Api, blog: Blog, subject: Any) -> None:
    token = blog.user("quinn")
    secret = services_module.services().settings.jwt_secret
    forged = jwt.encode({**claims(token), "sub": subject}, secret, algorithm="HS256")

    assert_gone(api.get("/auth/me", token=forged), f"sub={subject!r}")


# -- a role change that changes nothing ----------------------------------------------------------


def test_changing_the_role_of_an_admin_named_in_blog_admins_is_refused_and_revokes_nothing(
        api: Api, blog: Blog) -> None:
    # Given two admins: one named in BLOG_ADMINS, one made by `make admin` (conftest's make_admin)
    named = blog.admin()
    other = blog.author("dora")

    # When an admin tries to make the named admin an author
    reply = api.put(f"/users/{ADMIN}/role", {"role": "author"}, token=named)

    # Then it is refused, saying why, and the named admin's session goes on
    assert reply.status == 409, reply.body
    assert "BLOG_ADMINS" in reply.problem["detail"]
    assert reply.problem["errors"]["role"]
    assert api.get("/auth/me", token=named).json["user"]["role"] == "admin"
    assert api.put("/users/dora/role", {"role": "reader"}, token=named).status == 200
    assert api.get("/auth/me", token=other).status == 401  # dora's role did change


def test_setting_the_role_an_account_has_already_ends_no_session(api: Api, blog: Blog) -> None:
    # Given an author signed in
    token = blog.author("erin")
    version = claims(token)["ver"]

    # When an admin sets the role she already has
    reply = api.put("/users/erin/role", {"role": "author"}, token=blog.admin())

    # Then it answers as a change would, and her token still writes
    assert reply.status == 200 and reply.json["role"] == "author"
    assert api.post("/posts", {"title": "Still signed in", "body": "Text"}, token=token).status == 201
    assert claims(blog.login("erin"))["ver"] == version


def test_a_role_change_for_an_unknown_user_is_a_404(api: Api, blog: Blog) -> None:
    reply = api.put("/users/nobody-here/role", {"role": "author"}, token=blog.admin())

    assert reply.status == 404, reply.body
