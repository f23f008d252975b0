"""Specification: Conduit users — registering, logging in, the current user and its settings."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Reply
from tests.realworld.conftest import PASSWORD, Conduit, conduit_error, token_header

USER_FIELDS = {"email", "token", "username", "bio", "image"}


def registration(username: str, email: str | None = None, password: str = PASSWORD) -> dict[str, Any]:
    return {"user": {"username": username, "email": email or f"{username}@example.com", "password": password}}


def login(conduit: Conduit, email: str, password: str = PASSWORD) -> Reply:
    return conduit.post("/users/login", {"user": {"email": email, "password": password}})


# -- registering ---------------------------------------------------------------------


def test_registering_answers_201_with_the_user_and_a_working_token(conduit: Conduit) -> None:
    reply = conduit.post("/users", registration("alice"))

    assert reply.status == 201, reply.body
    user = reply.json["user"]
    assert set(user) == USER_FIELDS
    assert user["username"] == "alice"
    assert user["email"] == "alice@example.com"
    assert user["bio"] is None and user["image"] is None
    me = conduit.get("/user", token=user["token"])
    assert me.status == 200, me.body
    assert me.json["user"]["username"] == "alice"


def test_a_taken_username_or_email_is_refused_with_422(conduit: Conduit) -> None:
    conduit.register("alice")

    for second, field in [
        (registration("alice", "other@example.com"), "username"),
        (registration("ALICE", "other@example.com"), "username"),
        (registration("bob", "alice@example.com"), "email"),
        (registration("bob", "ALICE@example.com"), "email"),
    ]:
        conduit_error(conduit.post("/users", second), 422, field)

    conduit_error(login(conduit, "other@example.com"), 401)
    assert conduit.get("/profiles/bob").status == 404


def test_invalid_registrations_are_refused_with_422_naming_the_field(conduit: Conduit) -> None:
    for payload, field in [
        (registration("alice", "not-an-email"), "email"),
        (registration("alice", password="short"), "password"),
        (registration("a"), "username"),
        (registration("no spaces"), "username"),
        ({"user": {"email": "alice@example.com", "password": PASSWORD}}, "username"),
        ({"user": {"username": "alice", "password": PASSWORD}}, "email"),
        ({"user": {"username": "alice", "email": "alice@example.com"}}, "password"),
        ({"username": "alice", "email": "alice@example.com", "password": PASSWORD}, "user"),
    ]:
        conduit_error(conduit.post("/users", payload), 422, field)

    assert conduit.get("/profiles/alice").status == 404


def test_a_registration_that_is_not_json_is_refused_with_422(conduit: Conduit) -> None:
    reply = conduit.post("/users", raw=b'{"user": {', headers={"Content-Type": "application/json"})

    conduit_error(reply, 422)


# -- logging in and who am I -------------------------------------------------------------


def test_logging_in_returns_the_user_with_a_token(conduit: Conduit) -> None:
    conduit.register("alice")

    reply = login(conduit, "alice@example.com")

    assert reply.status == 200, reply.body
    assert set(reply.json["user"]) == USER_FIELDS
    assert reply.json["user"]["username"] == "alice"
    assert conduit.get("/user", token=reply.json["user"]["token"]).status == 200


def test_a_wrong_password_is_refused_in_the_conduit_form(conduit: Conduit) -> None:
    conduit.register("alice")

    conduit_error(login(conduit, "alice@example.com", "incorrect horse"), 401)


def test_the_current_user_is_read_with_the_token_scheme(conduit: Conduit, api: Api) -> None:
    token = conduit.register("alice")

    reply = api.get("/api/user", headers=token_header(token))

    assert reply.status == 200, reply.body
    assert set(reply.json["user"]) == USER_FIELDS
    assert reply.json["user"]["email"] == "alice@example.com"


def test_the_current_user_needs_a_valid_token(api: Api, conduit: Conduit) -> None:
    token = conduit.register("alice")

    for authorization in (None, "Token", "Token not-a-jwt", "Basic YWxpY2U6cGFzcw==", token, f"Token {token}x"):
        reply = api.get("/api/user", headers={"Authorization": authorization} if authorization else {})
        conduit_error(reply, 401)


# -- settings ------------------------------------------------------------------------------


def test_updating_bio_image_and_email_shows_everywhere_and_moves_the_login(conduit: Conduit) -> None:
    token = conduit.register("alice")
    changes = {"bio": "I write.", "image": "https://img.example/alice.png", "email": "alice@new.example"}

    reply = conduit.put("/user", {"user": changes}, token=token)

    assert reply.status == 200, reply.body
    assert {k: reply.json["user"][k] for k in changes} == changes
    assert {k: conduit.get("/user", token=token).json["user"][k] for k in changes} == changes
    profile = conduit.get("/profiles/alice").json["profile"]
    assert (profile["bio"], profile["image"]) == (changes["bio"], changes["image"])
    assert login(conduit, "alice@new.example").status == 200
    conduit_error(login(conduit, "alice@example.com"), 401)


def test_updating_the_password_moves_the_login(conduit: Conduit) -> None:
    token = conduit.register("alice")

    reply = conduit.put("/user", {"user": {"password": "a brand new secret"}}, token=token)

    assert reply.status == 200, reply.body
    assert login(conduit, "alice@example.com", "a brand new secret").status == 200
    conduit_error(login(conduit, "alice@example.com", PASSWORD), 401)


def test_the_settings_form_may_send_the_unchanged_username(conduit: Conduit) -> None:
    # Conduit frontends send the whole settings form, username included.
    token = conduit.register("alice")

    reply = conduit.put("/user", {"user": {"username": "alice", "bio": "Hello"}}, token=token)

    assert reply.status == 200, reply.body
    assert reply.json["user"]["bio"] == "Hello"


def test_the_settings_form_may_send_empty_username_email_and_password(conduit: Conduit) -> None:
    # One public Conduit frontend's settings form sends "" for what the user left empty; the reference
    # backend leaves those unchanged
    token = conduit.register("alice")

    reply = conduit.put("/user", {"user": {"username": "", "email": "", "password": "", "bio": "Hello"}},
                        token=token)

    assert reply.status == 200, reply.body
    assert (reply.json["user"]["username"], reply.json["user"]["email"]) == ("alice", "alice@example.com")
    assert reply.json["user"]["bio"] == "Hello"
    assert login(conduit, "alice@example.com", PASSWORD).status == 200
    assert conduit.get("/user", token=token).status == 200


def test_the_settings_form_keeps_its_session_across_a_password_change(conduit: Conduit) -> None:
    # Conduit's frontends keep the token they have, ignoring the one the answer carries
    token = conduit.register("alice")

    reply = conduit.put("/user", {"user": {"password": "a brand new secret"}}, token=token)

    assert reply.status == 200, reply.body
    assert conduit.get("/user", token=token).status == 200
    assert conduit.post("/articles", {"article": {"title": "Still in", "description": "D", "body": "B"}},
                        token=token).status == 201


def test_a_blank_bio_is_still_a_change(conduit: Conduit) -> None:
    # Only the credentials and the name are left unchanged when blank: a bio can be emptied
    token = conduit.register("alice")
    conduit.put("/user", {"user": {"bio": "Hello"}}, token=token)

    reply = conduit.put("/user", {"user": {"bio": ""}}, token=token)

    assert reply.status == 200, reply.body
    assert reply.json["user"]["bio"] in ("", None)


def test_changing_the_username_keeps_the_session_and_the_old_name_answers(conduit: Conduit) -> None:
    # (What follows the new name, and the refusals: tests/accounts/test_renames.py.)
    token = conduit.register("alice")

    reply = conduit.put("/user", {"user": {"username": "alicia"}}, token=token)

    assert reply.status == 200, reply.body
    assert reply.json["user"]["username"] == "alicia"
    assert conduit.get("/user", token=token).json["user"]["username"] == "alicia"
    assert conduit.get("/profiles/alice").json["profile"]["username"] == "alicia"
    conduit_error(conduit.put("/user", {"user": {"username": "a"}}, token=token), 422, "username")


def test_taking_someone_elses_email_is_refused_with_422(conduit: Conduit) -> None:
    conduit.register("bob")
    token = conduit.register("alice")

    reply = conduit.put("/user", {"user": {"email": "bob@example.com"}}, token=token)

    conduit_error(reply, 422, "email")
    assert conduit.get("/user", token=token).json["user"]["email"] == "alice@example.com"
    assert login(conduit, "alice@example.com").status == 200


def test_invalid_settings_are_refused_with_422_and_change_nothing(conduit: Conduit) -> None:
    token = conduit.register("alice")
    before = conduit.get("/user", token=token).json["user"]

    for changes, field in [
        ({"email": "nope"}, "email"),
        ({"password": "short"}, "password"),
        ({"image": "javascript:alert(1)"}, "image"),
        ({"bio": 42}, "bio"),
    ]:
        reply = conduit.put("/user", {"user": changes}, token=token)
        conduit_error(reply, 422, field)

    after = conduit.get("/user", token=token).json["user"]
    assert {k: v for k, v in after.items() if k != "token"} == {k: v for k, v in before.items() if k != "token"}
    assert login(conduit, "alice@example.com").status == 200
