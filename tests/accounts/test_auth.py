"""Identity: signing up and in, proving who you are on each request, and roles.

Accounts are readers until an admin (named by BLOG_ADMINS; "root" in the test
stage) makes them authors. A token that is missing, garbled, expired or signed
with another key is answered 401 with WWW-Authenticate, never ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest

from chalicelib import services as services_module
from chalicelib.blog.tokens import issue_jwt
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import deserialize, serialize
from tests.conftest import PASSWORD, Api, Blog, Reply, login, make_admin
from tests.settings_steps import Clock


def signup(api: Api, username: str = "alice", email: str | None = None, password: str = PASSWORD) -> Reply:
    return api.post("/auth/signup", {"username": username, "email": email or f"{username}@example.com",
                                     "password": password})


def secret() -> str:
    return services_module.services().settings.jwt_secret


def assert_refused_as_unauthenticated(reply: Reply) -> None:
    assert reply.status == 401, reply.body
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert reply.problem["detail"]


# -- signing up --------------------------------------------------------------------------


def test_signup_answers_a_token_and_the_new_reader(api: Api) -> None:
    reply = signup(api, "alice")

    assert reply.status == 201, reply.body
    assert set(reply.json) == {"token", "user"}
    user = reply.json["user"]
    assert user["username"] == "alice"
    assert user["email"] == "alice@example.com"
    assert user["role"] == "reader"
    assert "password" not in reply.body.decode()
    me = api.get("/auth/me", token=reply.json["token"])
    assert me.status == 200
    assert me.json["user"]["username"] == "alice"


def test_password_is_stored_as_an_scrypt_hash(api: Api) -> None:
    signup(api, "alice")

    table = services_module.services().settings.table_name
    stored = deserialize(dynamodb_client().get_item(TableName=table, Key=serialize(keys.user("alice")))["Item"])

    assert stored["password_hash"].startswith("scrypt$")
    assert PASSWORD not in str(stored)


@pytest.mark.parametrize("taken", ["alice", "Alice", "ALICE"])
def test_username_is_taken_regardless_of_case(api: Api, taken: str) -> None:
    signup(api, "alice")

    reply = signup(api, taken, email="someone.else@example.com")

    assert reply.status == 409
    assert "username" in reply.problem["errors"]
    assert login(api, "someone.else@example.com").status == 401


@pytest.mark.parametrize("taken", ["alice@example.com", "Alice@Example.COM"])
def test_email_is_registered_once_regardless_of_case(api: Api, taken: str) -> None:
    signup(api, "alice")

    reply = signup(api, "bob", email=taken)

    assert reply.status == 409
    assert login(api, "bob@example.com").status == 401


def test_a_taken_username_and_a_registered_email_are_refused_in_the_same_words(api: Api) -> None:
    # The refusal does not say that an e-mail address has an account (usernames are public anyway)
    signup(api, "alice")

    username_taken = signup(api, "alice", email="someone.else@example.com")
    email_taken = signup(api, "bob", email="alice@example.com")
    both_taken = signup(api, "alice", email="alice@example.com")

    assert username_taken.status == email_taken.status == both_taken.status == 409
    assert username_taken.problem["detail"] == email_taken.problem["detail"] == both_taken.problem["detail"]
    assert username_taken.problem["errors"] == email_taken.problem["errors"] == both_taken.problem["errors"]
    assert set(email_taken.problem["errors"]) == {"username", "email"}
    assert "registered" not in email_taken.body.decode()


@pytest.mark.parametrize(("field", "value"), [
    ("username", "ab"),
    ("username", "has space"),
    ("username", "-leading"),
    ("username", "x" * 33),
    ("username", "ali<script>"),
    ("username", 42),
    ("email", "not-an-email"),
    ("email", "a@b"),
    ("email", ""),
    ("email", None),
    ("password", "short"),
    ("password", "x" * 257),
    ("password", 12345678),
])
def test_bad_signup_fields_are_refused(api: Api, field: str, value: object) -> None:
    payload = {"username": "alice", "email": "alice@example.com", "password": PASSWORD, field: value}

    reply = api.post("/auth/signup", payload)

    assert reply.status == 422
    assert field in reply.problem["errors"]
    assert signup(api, "alice").status == 201  # nothing was reserved by the refused attempt


def test_missing_signup_fields_are_each_reported(api: Api) -> None:
    reply = api.post("/auth/signup", {})

    assert reply.status == 422
    assert set(reply.problem["errors"]) == {"username", "email", "password"}


# -- signing in --------------------------------------------------------------------------


def test_login_answers_a_token(api: Api) -> None:
    signup(api, "alice")

    reply = login(api, "ALICE@example.com")

    assert reply.status == 200, reply.body
    assert reply.json["user"]["username"] == "alice"
    assert api.get("/auth/me", token=reply.json["token"]).status == 200


def test_wrong_password_and_unknown_email_are_refused_alike(api: Api) -> None:
    signup(api, "alice")

    wrong_password = login(api, "alice@example.com", "incorrect horse")
    unknown_email = login(api, "nobody@example.com")

    assert_refused_as_unauthenticated(wrong_password)
    assert_refused_as_unauthenticated(unknown_email)
    assert wrong_password.problem["detail"] == unknown_email.problem["detail"]
    assert wrong_password.problem["errors"] == unknown_email.problem["errors"]


# -- proving who you are -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_me_accepts_bearer_and_realworld_token_schemes(api: Api, scheme: str) -> None:
    token = signup(api, "alice").json["token"]

    reply = api.get("/auth/me", headers={"Authorization": f"{scheme} {token}"})

    assert reply.status == 200, reply.body
    assert reply.json["user"]["username"] == "alice"
    assert reply.json["token"]


def test_me_without_a_token_asks_for_one(api: Api) -> None:
    assert_refused_as_unauthenticated(api.get("/auth/me"))


@pytest.mark.parametrize("authorization", [
    "Bearer",
    "Bearer ",
    "Bearer garbage",
    "Bearer a.b.c",
    "Bearer é",
    "Basic YWxpY2U6cGFzcw==",
    "eyJhbGciOiJIUzI1NiJ9",
])
def test_garbled_authorization_is_refused(api: Api, authorization: str) -> None:
    signup(api, "alice")

    assert_refused_as_unauthenticated(api.get("/auth/me", headers={"Authorization": authorization}))


def test_expired_token_is_refused(api: Api) -> None:
    signup(api, "alice")
    issued = int(time.time()) - 3600
    expired = jwt.encode({"sub": "alice", "role": "reader", "iat": issued, "exp": issued + 60}, secret(),
                         algorithm="HS256")

    reply = api.get("/auth/me", token=expired)

    assert_refused_as_unauthenticated(reply)
    assert "expired" in reply.problem["detail"]


def test_token_with_a_wrong_signature_is_refused(api: Api) -> None:
    signup(api, "alice")
    forged = issue_jwt("alice", "reader", "another secret that is long enough to use", 3600, account_id=None)

    assert_refused_as_unauthenticated(api.get("/auth/me", token=forged))


def test_unsigned_token_is_refused(api: Api) -> None:
    make_admin()
    unsigned = jwt.encode({"sub": "root", "role": "admin", "exp": int(time.time()) + 60}, "", algorithm="none")

    assert_refused_as_unauthenticated(api.get("/auth/me", token=unsigned))


def test_token_without_an_expiry_is_refused(api: Api) -> None:
    signup(api, "alice")
    forever = jwt.encode({"sub": "alice", "role": "reader"}, secret(), algorithm="HS256")

    assert_refused_as_unauthenticated(api.get("/auth/me", token=forever))


def test_bad_token_is_refused_even_where_signing_in_is_optional(api: Api, blog: Blog) -> None:
    slug = blog.post(blog.author("alice"))["slug"]

    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi"}, token="garbage")

    assert_refused_as_unauthenticated(reply)
    assert api.get(f"/posts/{slug}").json["comment_count"] == 0


def test_token_of_an_account_that_does_not_exist_is_refused_by_me(api: Api) -> None:
    signup(api, "alice")
    ghost = issue_jwt("ghost", "reader", secret(), 3600, account_id=None)

    assert_refused_as_unauthenticated(api.get("/auth/me", token=ghost))


# -- roles -----------------------------------------------------------------------------------


def test_reader_cannot_write_posts(api: Api, blog: Blog) -> None:
    reader = blog.user("bob")

    reply = api.post("/posts", {"title": "Mine", "body": "Text"}, token=reader)

    assert reply.status == 403
    assert reply.problem["detail"]
    assert api.get("/posts").json["items"] == []


def test_admin_promotes_a_reader_to_author(api: Api, blog: Blog) -> None:
    admin = blog.admin()
    blog.user("bob")

    reply = api.put("/users/bob/role", {"role": "author"}, token=admin)

    assert reply.status == 200, reply.body
    assert reply.json["role"] == "author"
    # The new role arrives with bob's next token
    bob = blog.login("bob")
    assert api.get("/auth/me", token=bob).json["user"]["role"] == "author"
    assert api.post("/posts", {"title": "Mine", "body": "Text"}, token=bob).status == 201


def test_admin_is_named_by_blog_admins(api: Api, blog: Blog) -> None:
    reply = api.get("/auth/me", token=blog.admin())

    assert reply.json["user"]["username"] == "root"
    assert reply.json["user"]["role"] == "admin"


def test_an_admins_token_says_admin_as_the_login_answer_does(api: Api, blog: Blog) -> None:
    # Given root, named by BLOG_ADMINS but stored as a reader
    blog.admin()

    # When root signs in, the token a frontend may read names the role the API applies
    session = login(api, "root@example.com")
    claims = jwt.decode(session.json["token"], options={"verify_signature": False})
    assert session.json["user"]["role"] == "admin"
    assert claims["role"] == "admin"
    assert jwt.decode(api.get("/auth/me", token=session.json["token"]).json["token"],
                      options={"verify_signature": False})["role"] == "admin"


def test_asking_who_you_are_does_not_extend_the_session(api: Api, clock: Clock) -> None:
    # Given a token, and a day later a refreshed one from /auth/me
    first = signup(api, "alice").json["token"]
    clock.advance(days=1)
    refreshed = api.get("/auth/me", token=first).json["token"]
    changed = api.put("/api/user", {"user": {"bio": "Hello"}}, headers={"Authorization": f"Token {refreshed}"})

    # Then neither the refreshed token nor the one a profile change answers outlives the first
    def expiry(token: str) -> int:
        return int(jwt.decode(token, options={"verify_signature": False})["exp"])

    assert changed.status == 200, changed.body
    assert expiry(refreshed) == expiry(first)
    assert expiry(changed.json["user"]["token"]) == expiry(first)


def test_blog_admins_names_the_account_whatever_its_case(api: Api, configure: Callable[..., Settings]) -> None:
    # Usernames are unique regardless of case, so "Root" is the account BLOG_ADMINS=root names
    # (made as a reader while BLOG_ADMINS names someone else, since sign-up refuses admins' names)
    configure(BLOG_ADMINS="someone")
    signup(api, "Root")
    configure(BLOG_ADMINS="root")
    token = login(api, "root@example.com").json["token"]

    assert api.get("/auth/me", token=token).json["user"]["role"] == "admin"
    assert api.post("/posts", {"title": "By the admin", "body": "Text"}, token=token).status == 201


def test_role_claim_in_a_token_does_not_make_an_admin(api: Api, blog: Blog) -> None:
    own = blog.user("mallory")
    account_id = jwt.decode(own, options={"verify_signature": False})["sub"]
    claims_admin = issue_jwt("mallory", "admin", secret(), 3600, account_id=account_id)

    assert api.post("/posts", {"title": "Mine", "body": "Text"}, token=claims_admin).status == 403
    assert api.put("/users/mallory/role", {"role": "author"}, token=claims_admin).status == 403


def test_only_an_admin_changes_roles(api: Api, blog: Blog) -> None:
    blog.user("bob")
    author = blog.author("carol")

    for token in (blog.login("bob"), author):
        reply = api.put("/users/bob/role", {"role": "author"}, token=token)
        assert reply.status == 403
    assert api.put("/users/bob/role", {"role": "author"}).status == 401
    assert api.get("/auth/me", token=blog.login("bob")).json["user"]["role"] == "reader"


@pytest.mark.parametrize("username", ["nobody", "x" * 40, "x" * 3000, "%F0%9F%92%A9"])
def test_changing_the_role_of_an_unknown_user_is_not_found(api: Api, blog: Blog, username: str) -> None:
    reply = api.put(f"/users/{username}/role", {"role": "author"}, token=blog.admin())

    assert reply.status == 404


@pytest.mark.parametrize("role", ["admin", "owner", "", None, 1])
def test_only_reader_and_author_roles_can_be_given(api: Api, blog: Blog, role: object) -> None:
    blog.user("bob")

    reply = api.put("/users/bob/role", {"role": role}, token=blog.admin())

    assert reply.status == 422
    assert "role" in reply.problem["errors"]
