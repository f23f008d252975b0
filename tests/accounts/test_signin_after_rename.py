"""Passkeys and OpenID Connect identities keep working after their account is renamed.

A passkey record and an IDENTITY# record name the account's username at the time they were made. After a
rename that name is the old name's reservation; sign-in, the passkey list and removal, the OIDC hand-off, the
export and the account's deletion all find the account through it (renames.account_named) and check its id.
The rename's job runs on the stream as Lambda would deliver it (tests/test_renames.py's run_job), except where
a test says it has not run yet.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.services import services
from chalicelib.store import keys
from tests.accounts.test_oidc_sign_in import ALICE, signed_in, through_the_provider
from tests.accounts.test_oidc_sign_in import issuer as issuer
from tests.accounts.test_passkeys import PAGE, Passkeys
from tests.accounts.test_passkeys import passkeys as passkeys
from tests.accounts.test_renames import run_job
from tests.conftest import PASSWORD, Api, Blog
from tests.notifications.test_notifications import Stream
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.oidc_steps import Browser, handoff_of
from tests.passkey_steps import Authenticator, b64


@pytest.fixture
def authenticator() -> Authenticator:
    return Authenticator(PAGE)


def renamed(api: Api, token: str, new: str) -> str:
    """Rename the token's account to ``new`` (the native settings route); the new token."""
    reply = api.patch("/auth/me", {"username": new}, token=token)
    assert reply.status == 200, reply.body
    return str(reply.json["token"])


def exported_passkeys(api: Api, token: str) -> list[dict[str, Any]]:
    """The passkeys section of every page of the account's own export."""
    found: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = api.get("/me/export" + (f"?cursor={cursor}" if cursor else ""), token=token)
        assert page.status == 200, page.body
        found += page.json["passkeys"]
        if not (cursor := page.json["next_cursor"]):
            return found


# -- passkeys ----------------------------------------------------------------------------


def test_a_passkey_signs_in_as_the_new_name_after_a_rename(api: Api, blog: Blog, passkeys: Passkeys,
                                                          authenticator: Authenticator, stream: Stream) -> None:
    token = blog.user("bob")
    assert passkeys.add(token, authenticator).status == 201
    renamed(api, token, "robert")
    run_job(stream, "robert")

    session = passkeys.sign_in(authenticator)

    assert session.status == 200, session.body
    me = api.get("/auth/me", token=session.json["token"])
    assert me.status == 200 and me.json["user"]["username"] == "robert"


def test_a_passkey_signs_in_before_the_rename_job_has_run(api: Api, blog: Blog, passkeys: Passkeys,
                                                          authenticator: Authenticator) -> None:
    token = blog.user("bob")
    passkeys.add(token, authenticator)
    renamed(api, token, "robert")

    session = passkeys.sign_in(authenticator)

    assert session.status == 200, session.body
    assert api.get("/auth/me", token=session.json["token"]).json["user"]["username"] == "robert"


def test_the_old_name_stays_reserved_so_the_passkey_reaches_no_stranger(api: Api, blog: Blog, passkeys: Passkeys,
                                                                     authenticator: Authenticator) -> None:
    token = blog.user("bob")
    passkeys.add(token, authenticator)
    renamed(api, token, "robert")

    # Sign-up under the old name is refused (the reservation holds it), so the passkey cannot reach a stranger.
    taken = api.post("/auth/signup", {"username": "bob", "email": "other@example.com", "password": PASSWORD})

    assert taken.status == 409, taken.body
    session = passkeys.sign_in(authenticator)
    assert api.get("/auth/me", token=session.json["token"]).json["user"]["username"] == "robert"


def test_passkeys_are_listed_and_removed_after_a_rename_with_old_and_new_tokens(
        api: Api, blog: Blog, passkeys: Passkeys, authenticator: Authenticator, stream: Stream) -> None:
    old_token = blog.user("bob")
    passkeys.add(old_token, authenticator, name="Phone")
    other = Authenticator(PAGE)
    passkeys.add(old_token, other, name="Laptop")
    new_token = renamed(api, old_token, "robert")
    run_job(stream, "robert")

    listed_old = api.get("/auth/passkeys", token=old_token)
    listed_new = api.get("/auth/passkeys", token=new_token)
    removed = api.request("DELETE", f"/auth/passkeys/{b64(other.credential_id)}", token=old_token)

    assert listed_old.status == 200 and listed_new.status == 200, (listed_old.body, listed_new.body)
    assert sorted(p["name"] for p in listed_new.json["items"]) == ["Laptop", "Phone"]
    assert listed_old.json["items"] == listed_new.json["items"]
    assert removed.status == 204, removed.body
    assert [p["name"] for p in api.get("/auth/passkeys", token=new_token).json["items"]] == ["Phone"]
    assert passkeys.sign_in(other).status == 401


def test_a_passkey_is_added_after_a_rename_and_signs_in_as_the_new_name(
        api: Api, blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    token = renamed(api, blog.user("bob"), "robert")

    assert passkeys.add(token, authenticator).status == 201
    session = passkeys.sign_in(authenticator)

    assert api.get("/auth/me", token=session.json["token"]).json["user"]["username"] == "robert"


def test_a_renamed_accounts_export_lists_its_passkeys_and_deleting_it_deletes_them(
        api: Api, blog: Blog, passkeys: Passkeys, authenticator: Authenticator, stream: Stream) -> None:
    token = blog.user("bob")
    passkeys.add(token, authenticator, name="Phone")
    token = renamed(api, token, "robert")
    run_job(stream, "robert")

    exported = exported_passkeys(api, token)
    deleted = api.request("DELETE", "/me", {"comments": "tombstone", "current_password": PASSWORD}, token=token)

    assert [p["name"] for p in exported] == ["Phone"]
    assert deleted.status == 204, deleted.body
    assert services().table.get(keys.passkey(b64(authenticator.credential_id))) is None
    assert passkeys.sign_in(authenticator).status == 401


# -- OpenID Connect ----------------------------------------------------------------------


def test_an_identity_signs_in_as_the_new_name_after_a_rename(api: Api, issuer: str, stream: Stream) -> None:
    first = signed_in(api, Browser(api))
    renamed(api, first["token"], "alice-renamed")
    run_job(stream, "alice-renamed")

    again = signed_in(api, Browser(api))

    me = api.get("/auth/me", token=again["token"])
    assert me.status == 200 and me.json["user"]["username"] == "alice-renamed"
    account, identity = services().table.get(keys.user("alice-renamed")), services().table.get(
        keys.identity(issuer, ALICE[0]))
    assert account is not None and identity is not None
    assert account["account_id"] == identity["account_id"]  # the same account, not a new one


def test_a_hand_off_made_before_a_rename_signs_in_as_the_new_name(api: Api, issuer: str) -> None:
    first = signed_in(api, Browser(api))
    browser = Browser(api)
    start = browser.start()
    handoff = handoff_of(browser.callback(through_the_provider(start.headers["location"], ALICE[0])))
    renamed(api, first["token"], "alice-renamed")

    reply = api.post("/auth/oidc/session", {"handoff": handoff})

    assert reply.status == 200, reply.body
    assert api.get("/auth/me", token=reply.json["token"]).json["user"]["username"] == "alice-renamed"


def test_a_renamed_accounts_export_names_its_identity_and_deleting_it_deletes_it(
        api: Api, issuer: str, stream: Stream) -> None:
    token = renamed(api, signed_in(api, Browser(api))["token"], "alice-renamed")
    run_job(stream, "alice-renamed")

    export = api.get("/me/export", token=token)
    deleted = api.request("DELETE", "/me", {"comments": "anonymous"}, token=token)

    assert export.status == 200 and export.json["identities"] == [{"issuer": issuer, "subject": ALICE[0]}]
    assert deleted.status == 204, deleted.body
    assert services().table.get(keys.identity(issuer, ALICE[0])) is None
