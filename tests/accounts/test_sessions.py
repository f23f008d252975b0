"""Sessions end when the account says so: role changes, new passwords, signing out everywhere.

A token's signature proves who issued it; the account's token_version says whether it
still stands. Every write checks
it, and so does every read with a token.
Changing the e-mail or the password needs the current password or a recent sign-in.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from chalicelib import services as services_module
from chalicelib.blog import accounts as accounts_module
from chalicelib.blog.accounts import RECENT_SIGN_IN_SECONDS
from chalicelib.blog.tokens import issue_jwt
from chalicelib.store import keys
from tests.conftest import PASSWORD, Api, Blog, DynamoCalls, Reply, login, make_admin
from tests.openapi_document import operations
from tests.settings_steps import Clock

NEW_PASSWORD = "a brand new passphrase"


def assert_revoked(reply: Reply) -> None:
    assert reply.status == 401, reply.body
    assert b"sign in again" in reply.body  # as a problem's detail, or in Conduit's errors.body


def conduit_put_user(api: Api, token: str, **changes: Any) -> Reply:
    return api.put("/api/user", {"user": changes}, headers={"Authorization": f"Token {token}"})


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


# -- role changes ------------------------------------------------------------------------


def test_a_demoted_authors_old_token_no_longer_writes_posts(api: Api, blog: Blog) -> None:
    # Given an author with a post and a token
    token = blog.author("carol")
    slug = blog.post(token)["slug"]

    # When an admin makes carol a reader again
    assert api.put("/users/carol/role", {"role": "reader"}, token=blog.admin()).status == 200

    # Then her old token writes nothing
    assert_revoked(api.post("/posts", {"title": "Still here", "body": "Text"}, token=token))
    assert_revoked(api.patch(f"/posts/{slug}", {"title": "Changed"}, token=token))
    assert_revoked(api.delete(f"/posts/{slug}", token=token))
    assert api.get(f"/posts/{slug}").json["title"] != "Changed"
    # And her next sign-in carries the role she has now
    fresh = blog.login("carol")
    assert claims(fresh)["role"] == "reader"
    assert api.post("/posts", {"title": "Still here", "body": "Text"}, token=fresh).status == 403


def test_a_demoted_authors_old_token_no_longer_lists_their_drafts(api: Api, blog: Blog) -> None:
    # Reads that only an author's role allows are checked too
    token = blog.author("carol")
    blog.post(token, status="draft")
    assert len(api.get("/posts?status=draft", token=token).json["items"]) == 1

    api.put("/users/carol/role", {"role": "reader"}, token=blog.admin())

    assert_revoked(api.get("/posts?status=draft", token=token))


def test_the_role_applied_is_the_accounts_whatever_a_token_claims(api: Api, blog: Blog) -> None:
    # Given a reader, and a validly signed token that claims "author" for them
    own = blog.user("mallory")
    secret = services_module.services().settings.jwt_secret
    claims_author = issue_jwt("mallory", "author", secret, 3600, account_id=claims(own)["sub"])

    # Then the API applies the account's role
    assert api.post("/posts", {"title": "Mine", "body": "Text"}, token=claims_author).status == 403
    assert api.get("/auth/me", token=claims_author).json["user"]["role"] == "reader"


def test_a_token_without_a_version_claim_stands_until_the_account_revokes(api: Api, blog: Blog) -> None:
    # Tokens issued before versions existed carry no "ver": they are version 0, as old accounts are
    # (and no account id: the account is one from before ids, too)
    author = blog.author("carol")
    table = services_module.services().table
    table.client.update_item(TableName=table.name, Key={"PK": {"S": keys.user("carol")["PK"]},
                                                          "SK": {"S": keys.user("carol")["SK"]}},
                             UpdateExpression="REMOVE account_id")
    secret = services_module.services().settings.jwt_secret
    version = claims(author)["ver"]
    legacy = jwt.encode({"sub": "carol", "role": "author", "exp": claims(author)["exp"]}, secret, algorithm="HS256")

    reply = api.post("/posts", {"title": "Old token", "body": "Text"}, token=legacy)

    # carol's role change moved her version on, so her legacy token is revoked with the rest
    assert version == 1
    assert_revoked(reply)


def test_an_admin_made_by_the_operator_command_is_an_admin_without_blog_admins(api: Api, blog: Blog) -> None:
    # Given "ada", made an admin by `make admin` but not named in BLOG_ADMINS
    make_admin("ada")
    blog.user("bob")
    ada = blog.login("ada")

    # Then her token and the API agree she is an admin, and she acts as one
    assert claims(ada)["role"] == "admin"
    assert api.put("/users/bob/role", {"role": "author"}, token=ada).status == 200
    # And once another admin makes her a reader, her token no longer does
    assert api.put("/users/ada/role", {"role": "reader"}, token=blog.admin()).status == 200
    assert_revoked(api.put("/users/bob/role", {"role": "reader"}, token=ada))
    assert api.put("/users/bob/role", {"role": "reader"}, token=blog.login("ada")).status == 403


@pytest.mark.parametrize("claim", [-1, "1", 1.5, True, None])
def test_a_token_with_a_malformed_version_is_refused(api: Api, blog: Blog, claim: Any) -> None:
    token = blog.user("alice")
    secret = services_module.services().settings.jwt_secret
    forged = jwt.encode({**claims(token), "ver": claim}, secret, algorithm="HS256")

    reply = api.get("/auth/me", token=forged)

    assert reply.status == 401, reply.body


# -- signing out everywhere --------------------------------------------------------------


def test_signing_out_everywhere_ends_every_token_of_the_account(api: Api, blog: Blog, slug: str) -> None:
    # Given alice signed in on two devices
    phone = blog.user("bob")
    laptop = blog.login("bob")

    # When she signs out everywhere from her laptop
    reply = api.post("/auth/sign-out-everywhere", token=laptop)

    # Then neither token writes, refreshes or signs out again
    assert reply.status == 204, reply.body
    for token in (phone, laptop):
        assert_revoked(api.post(f"/posts/{slug}/comments", {"body": "Hello"}, token=token))
        assert_revoked(api.get("/auth/me", token=token))
        assert_revoked(api.post("/auth/sign-out-everywhere", token=token))
    assert api.get(f"/posts/{slug}").json["comment_count"] == 0
    # And signing in again works
    assert api.post(f"/posts/{slug}/comments", {"body": "Hello"}, token=blog.login("bob")).status == 201


def test_a_signed_out_token_is_refused_by_the_realworld_reads_that_check_it_in_their_own_read(
        api: Api, blog: Blog, slug: str) -> None:
    # The lists and profiles check a token in the BatchGetItem that personalises them (blog/social.py)
    token = blog.user("bob")
    reads = ["/api/articles", "/api/articles/feed", "/api/profiles/bob", f"/api/articles/{slug}/comments"]
    for path in reads:
        assert api.get(path, token=token).status == 200, path

    assert api.post("/auth/sign-out-everywhere", token=token).status == 204

    for path in reads:
        assert_revoked(api.get(path, token=token))
    assert api.get("/api/articles", token=blog.login("bob")).status == 200


def test_signing_out_everywhere_needs_a_token(api: Api) -> None:
    assert api.post("/auth/sign-out-everywhere").status == 401


def test_a_revoked_token_is_refused_by_every_write_of_the_api(api: Api, blog: Blog, slug: str,
                                                              document: dict[str, Any]) -> None:
    # Given an admin's token (every route would accept it) revoked by signing out everywhere
    admin = blog.admin()
    comment = blog.comment(slug)["comment"]["id"]
    assert api.post("/auth/sign-out-everywhere", token=admin).status == 204
    params = {"slug": slug, "comment_id": comment, "username": "alice", "ban_id": "user:alice", "credential_id": "AAAA"}
    # Valid bodies where a route reads its body before the token
    bodies: dict[str, Any] = {
        "/posts/{slug}/comments": {"body": "A comment"},
        "/auth/passkeys": {"ceremony": "0" * 26, "credential": {}},
        "/api/user": {"user": {"bio": "Hi"}},
        "/api/articles": {"article": {"title": "T", "description": "D", "body": "B"}},
        "/api/articles/{slug}": {"article": {"title": "T"}},
        "/api/articles/{slug}/comments": {"comment": {"body": "A comment"}},
    }

    # Then every write the document lists that takes a token refuses it, and so does every RealWorld write
    writes = [(method.upper(), path) for path, method in operations(document)
              if method != "get" and any(document["paths"][path][method].get("security") or [{}])]
    writes += [("PUT", "/api/user"), ("POST", "/api/profiles/{username}/follow"),
               ("DELETE", "/api/profiles/{username}/follow"), ("POST", "/api/articles"),
               ("PUT", "/api/articles/{slug}"), ("DELETE", "/api/articles/{slug}"),
               ("POST", "/api/articles/{slug}/favorite"), ("DELETE", "/api/articles/{slug}/favorite"),
               ("POST", "/api/articles/{slug}/comments"), ("DELETE", "/api/articles/{slug}/comments/{comment_id}")]
    assert len(writes) > 15
    for method, path in writes:
        url = path.format(**params)
        reply = api.request(method, url, bodies.get(path, {}), token=admin)
        assert reply.status == 401, f"{method} {path}: {reply.status} {reply.body!r}"


def test_a_revoked_readers_token_no_longer_reads_either(api: Api, blog: Blog, slug: str) -> None:
    # A token personalises reads (favorites, follows, one's own held comments), so reads check it too
    token = blog.user("bob")
    api.post("/auth/sign-out-everywhere", token=token)

    assert_revoked(api.get(f"/posts/{slug}", token=token))
    assert_revoked(api.get("/api/articles", headers={"Authorization": f"Token {token}"}))
    # And the page itself is there for anyone
    assert api.get(f"/posts/{slug}").status == 200


def test_a_new_comment_checks_the_account_in_its_one_read(api: Api, blog: Blog, slug: str,
                                                          dynamo: DynamoCalls) -> None:
    # A signed-in comment still costs two round trips: the account joins the BatchGetItem
    token = blog.user("bob")
    dynamo.clear()

    assert api.post(f"/posts/{slug}/comments", {"body": "Hello"}, token=token).status == 201
    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]


# -- changing the password or the e-mail --------------------------------------------------


def test_a_new_password_ends_every_other_session_and_keeps_the_one_that_changed_it(
        api: Api, blog: Blog, slug: str) -> None:
    # Given bob signed in on two devices
    other_device = blog.user("bob")
    token = blog.login("bob")

    # When he changes his password from one of them, just after signing in
    reply = conduit_put_user(api, token, password=NEW_PASSWORD)

    # Then the other device's token is revoked
    assert reply.status == 200, reply.body
    assert_revoked(api.post(f"/posts/{slug}/comments", {"body": "Hello"}, token=other_device))
    assert_revoked(api.get("/api/user", headers={"Authorization": f"Token {other_device}"}))
    # And the token that made the change goes on (Conduit's frontends keep it, ignoring the answer's),
    # as does the answer's, which is the same session
    assert api.post(f"/posts/{slug}/comments", {"body": "Hello"}, token=token).status == 201
    assert api.post(f"/posts/{slug}/comments", {"body": "Hi"}, token=reply.json["user"]["token"]).status == 201
    assert claims(reply.json["user"]["token"])["sid"] == claims(token)["sid"]
    assert login(api, "bob@example.com", NEW_PASSWORD).status == 200
    assert login(api, "bob@example.com", PASSWORD).status == 401


def test_the_kept_session_changes_the_password_again_and_ends_with_the_next_revocation(
        api: Api, blog: Blog) -> None:
    # Given bob's session kept through a password change, and a sign-in on another device since
    token = blog.user("bob")
    assert conduit_put_user(api, token, password=NEW_PASSWORD).status == 200
    phone = str(login(api, "bob@example.com", NEW_PASSWORD).json["token"])

    # When he changes it again with the token he kept
    again = conduit_put_user(api, token, password="a third long passphrase")

    # Then it is made, and the phone's session ends
    assert again.status == 200, again.body
    assert_revoked(api.get("/auth/me", token=phone))
    assert api.get("/auth/me", token=token).status == 200
    # And signing out everywhere ends the kept session too
    assert api.post("/auth/sign-out-everywhere", token=token).status == 204
    assert_revoked(api.get("/auth/me", token=token))
    assert_revoked(api.get("/auth/me", token=again.json["user"]["token"]))


def test_a_session_id_cannot_be_forged_into_the_kept_one(api: Api, blog: Blog) -> None:
    # Another device's token, re-signed with the kept session's id, would need the JWT secret;
    # a token without one (from before sessions) is never the kept one
    other_device = blog.user("bob")
    token = blog.login("bob")
    assert conduit_put_user(api, token, password=NEW_PASSWORD).status == 200
    secret = services_module.services().settings.jwt_secret
    without_session = jwt.encode({k: v for k, v in claims(token).items() if k != "sid"}, secret, algorithm="HS256")
    wrong_secret = "not the secret, though long enough to use"
    forged = jwt.encode({**claims(other_device), "sid": claims(token)["sid"]}, wrong_secret, algorithm="HS256")

    assert_revoked(api.get("/auth/me", token=without_session))
    assert api.get("/auth/me", token=forged).status == 401
    assert_revoked(api.get("/auth/me", token=other_device))


@pytest.mark.parametrize("change", [{"password": NEW_PASSWORD}, {"email": "new-address@example.com"}])
def test_changing_credentials_long_after_signing_in_needs_the_current_password(
        api: Api, blog: Blog, clock: Clock, change: dict[str, str]) -> None:
    # Given a token whose password was given more than the recent window ago
    token = blog.user("bob")
    clock.advance(seconds=RECENT_SIGN_IN_SECONDS + 1)

    # When the e-mail or password is changed without the current password, it is refused
    refused = conduit_put_user(api, token, **change)
    assert refused.status == 403, refused.body
    assert "current_password" in refused.json["errors"]
    # And with a wrong one
    wrong = conduit_put_user(api, token, **change, current_password="not the password")
    assert wrong.status == 403, wrong.body
    assert login(api, "bob@example.com").status == 200
    # And with the right one it is made
    assert conduit_put_user(api, token, **change, current_password=PASSWORD).status == 200, refused.body


def test_a_refreshed_token_is_not_a_recent_sign_in(api: Api, blog: Blog, clock: Clock) -> None:
    # Given an old token refreshed through /auth/me just now
    token = blog.user("bob")
    clock.advance(seconds=RECENT_SIGN_IN_SECONDS + 1)
    refreshed = api.get("/auth/me", token=token).json["token"]

    # Then it still needs the current password: asking who you are proves nothing new
    assert conduit_put_user(api, refreshed, password=NEW_PASSWORD).status == 403
    assert claims(refreshed)["auth_time"] == claims(token)["auth_time"]


def test_other_profile_changes_need_no_password(api: Api, blog: Blog, clock: Clock) -> None:
    token = blog.user("bob")
    clock.advance(days=2)

    reply = conduit_put_user(api, token, bio="Hello", email="bob@example.com")

    assert reply.status == 200, reply.body
    assert reply.json["user"]["bio"] == "Hello"
    # And the session goes on: nothing about the credentials changed
    assert api.get("/auth/me", token=token).status == 200


def test_a_password_change_with_a_revoked_token_is_refused(api: Api, blog: Blog) -> None:
    token = blog.user("bob")
    api.post("/auth/sign-out-everywhere", token=token)

    assert_revoked(conduit_put_user(api, token, password=NEW_PASSWORD, current_password=PASSWORD))
    assert login(api, "bob@example.com").status == 200


def test_the_account_item_counts_its_revocations(api: Api, blog: Blog) -> None:
    token = blog.user("bob")
    api.post("/auth/sign-out-everywhere", token=token)
    fresh = blog.login("bob")
    conduit_put_user(api, fresh, password=NEW_PASSWORD)

    stored = services_module.services().accounts.table.get(keys.user("bob"))

    assert stored is not None and stored["token_version"] == 2


def test_the_accounts_own_routes_read_it_once(api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    # /auth/me and PUT /api/user check the token against the account they read anyway
    token = blog.author("carol")
    dynamo.clear()
    assert api.get("/auth/me", token=token).status == 200
    assert dynamo.operations == ["GetItem"]

    dynamo.clear()
    assert conduit_put_user(api, token, bio="Hi").status == 200
    assert dynamo.operations == ["GetItem", "TransactWriteItems"]


def test_signing_out_ends_this_session_and_no_other(api: Api, blog: Blog) -> None:
    # Given bob signed in on a laptop and a phone
    laptop = blog.user("bob")
    phone = blog.login("bob")

    # When he signs out on the laptop
    assert api.post("/auth/sign-out", token=laptop).status == 204

    # Then the laptop's token (and any refresh of it) is refused, and the phone's goes on
    assert api.get("/auth/me", token=laptop).status == 401
    assert api.post("/auth/sign-out", token=laptop).status == 401
    assert api.get("/auth/me", token=phone).status == 200
    assert login(api, "bob@example.com").status == 200


def test_a_signed_out_sessions_refreshed_token_is_refused_too(api: Api, blog: Blog) -> None:
    token = blog.user("bob")
    refreshed = api.get("/auth/me", token=token).json["token"]

    assert api.post("/auth/sign-out", token=token).status == 204

    assert api.get("/auth/me", token=refreshed).status == 401
    assert api.post(f"/posts/{blog.post(blog.author())['slug']}/comments", {"body": "Still me?"},
                    token=refreshed).status == 401


def test_past_the_kept_sign_outs_every_session_ends_and_the_list_is_cleared(api: Api, blog: Blog,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts_module, "MAX_ENDED_SESSIONS", 2)
    blog.user("bob")
    sessions = [blog.login("bob") for _ in range(4)]
    for token in sessions[:2]:
        assert api.post("/auth/sign-out", token=token).status == 204

    assert api.post("/auth/sign-out", token=sessions[2]).status == 204

    assert [api.get("/auth/me", token=t).status for t in sessions] == [401, 401, 401, 401]
    assert "ended_sessions" not in (services_module.services().table.get(keys.user("bob")) or {})
    assert api.get("/auth/me", token=blog.login("bob")).status == 200
