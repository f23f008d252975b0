"""Sign-in with OpenID Connect against a real provider (oidc-provider-mock) over HTTP: the flow, its state, its
browser binding, its hand-off and the accounts it makes (the answers a good provider never gives: test_oidc_id_tokens).

The API runs in process (Chalice's test client on moto); the issuers are real HTTP servers on local ports, which
the API's discovery, token exchange and JWKS fetches reach as they would reach Google or Keycloak.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from chalicelib.store import keys
from tests.conftest import Api, Blog
from tests.oidc_steps import (
    CLIENT_ID,
    POST_PAGE,
    Browser,
    authorize_params,
    handoff_of,
    mock_issuer,
)

ALICE = ("alice-at-idp", {"email": "alice@idp.example", "email_verified": True, "preferred_username": "alice.id"})
UNVERIFIED = ("carol-at-idp", {"email": "carol@idp.example", "preferred_username": "carol"})


@pytest.fixture
def issuer(configure: Any) -> Iterator[str]:
    with mock_issuer(ALICE, UNVERIFIED) as url:
        configure(OIDC_PROVIDERS=f"mock|Mock ID|{url}|{CLIENT_ID}", OIDC_CLIENT_SECRETS="mock=not-a-real-secret")
        yield url


@pytest.fixture
def browser(api: Api) -> Browser:
    return Browser(api)


def through_the_provider(start_location: str, sub: str, action: str = "") -> str:
    """The reader at the mock's authorize form: chooses ``sub`` (or denies); the query the provider sends back."""
    form = requests.get(start_location, timeout=10)
    assert form.status_code == 200 and "<form" in form.text
    answer = requests.post(start_location, data={"sub": sub, **({"action": action} if action else {})},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path.endswith("/auth/oidc/mock/callback"), back
    return back.query


def signed_in(api: Api, browser: Browser, sub: str = ALICE[0]) -> dict[str, Any]:
    start = browser.start()
    returned = browser.callback(through_the_provider(start.headers["location"], sub))
    reply = api.post("/auth/oidc/session", {"handoff": handoff_of(returned)})
    assert reply.status == 200, reply.body
    return dict(reply.json)


# -- a real provider, end to end -----------------------------------------------------------


def test_the_first_sign_in_makes_a_reader_named_after_the_providers_username(api: Api, browser: Browser,
                                                                            issuer: str) -> None:
    session = signed_in(api, browser)

    assert session["user"]["username"] == "alice.id"
    assert session["user"]["role"] == "reader"
    assert session["user"]["email"] == "alice@idp.example"
    me = api.get("/auth/me", token=session["token"])
    assert me.status == 200 and me.json["user"]["username"] == "alice.id"


def test_the_next_sign_in_finds_the_same_account_by_issuer_and_subject(api: Api, browser: Browser,
                                                                       issuer: str) -> None:
    first = signed_in(api, browser)
    again = signed_in(api, Browser(api))

    assert again["user"]["username"] == first["user"]["username"]


def test_the_start_sends_state_nonce_and_an_s256_challenge_with_a_bound_cookie(api: Api, browser: Browser,
                                                                              issuer: str) -> None:
    start = browser.start()

    params = authorize_params(start)
    assert start.headers["location"].startswith(f"{issuer}/oauth2/authorize?")
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "https://api.blog.test.example/auth/oidc/mock/callback"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) == 43 and len(params["nonce"]) == 43 and params["state"] != params["nonce"]
    cookie = start.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert start.headers["referrer-policy"] == "no-referrer"


def test_providers_are_listed_by_name_and_display_name_only(api: Api, issuer: str) -> None:
    reply = api.get("/auth/oidc/providers")

    assert reply.json == {"providers": [{"name": "mock", "display_name": "Mock ID"}]}
    assert b"secret" not in reply.body and issuer.encode() not in reply.body


def test_an_unknown_provider_is_refused(api: Api, browser: Browser, issuer: str) -> None:
    reply = browser.start("nobody")

    assert reply.status == 404
    assert "no sign-in provider" in reply.problem["detail"]


def test_a_return_address_on_a_foreign_origin_is_refused(api: Api, browser: Browser, issuer: str) -> None:
    reply = browser.start(return_to="https://evil.example/steal")

    assert reply.status == 422
    assert reply.problem["errors"]["return_to"]


def test_a_denial_without_state_is_refused_and_named(api: Api, browser: Browser, issuer: str) -> None:
    start = browser.start()
    # The mock's "Deny" answers error=access_denied without the state (which RFC 6749 asks it to send back).
    denied = through_the_provider(start.headers["location"], ALICE[0], action="deny")

    reply = browser.callback(denied)

    assert reply.status == 400
    assert "access_denied" in reply.problem["detail"]


def test_a_replayed_answer_is_refused(api: Api, browser: Browser, issuer: str) -> None:
    start = browser.start()
    answer = through_the_provider(start.headers["location"], ALICE[0])
    assert browser.callback(answer).status == 302

    replayed = browser.callback(answer)

    assert replayed.status == 403
    assert "finished already" in replayed.problem["detail"]


def test_an_answer_without_state_or_with_a_made_up_one_is_refused(api: Api, browser: Browser, issuer: str) -> None:
    browser.start()

    missing = browser.callback("code=abc")
    made_up = browser.callback("code=abc&state=" + "A" * 43)

    assert missing.status == 400 and missing.problem["errors"]["state"]
    assert made_up.status == 403


def test_an_answer_in_another_browser_is_refused(api: Api, browser: Browser, issuer: str) -> None:
    start = browser.start()
    answer = through_the_provider(start.headers["location"], ALICE[0])

    without_cookie = browser.callback(answer, cookie="")
    other_cookie = browser.callback(answer, cookie="blog_oidc_browser=" + "B" * 43)

    assert without_cookie.status == other_cookie.status == 403
    assert "another browser" in other_cookie.problem["detail"]
    assert browser.callback(answer).status == 302  # an attacker without the cookie cannot burn the reader's state


def test_an_answer_for_another_provider_is_refused(api: Api, browser: Browser, issuer: str, configure: Any) -> None:
    configure(OIDC_PROVIDERS=f"mock|Mock ID|{issuer}|{CLIENT_ID};other|Other|{issuer}|{CLIENT_ID}")
    start = browser.start()
    answer = through_the_provider(start.headers["location"], ALICE[0])

    reply = browser.callback(answer, provider="other")

    assert reply.status == 403 and "another provider" in reply.problem["detail"]


def test_an_issuer_that_shares_no_verified_address_makes_no_account(api: Api, browser: Browser,
                                                                    issuer: str) -> None:
    start = browser.start()

    reply = browser.callback(through_the_provider(start.headers["location"], UNVERIFIED[0]))

    assert reply.status == 403 and "verified e-mail" in reply.problem["detail"]


def test_an_issuers_address_never_opens_an_existing_account(api: Api, browser: Browser, blog: Blog,
                                                           issuer: str) -> None:
    api.post("/auth/signup", {"username": "alice", "email": "alice@idp.example", "password": "pass phrase 1234"})
    start = browser.start()

    reply = browser.callback(through_the_provider(start.headers["location"], ALICE[0]))

    assert reply.status == 409
    assert reply.problem["errors"]["email"]


def test_a_hand_off_works_once(api: Api, browser: Browser, issuer: str) -> None:
    start = browser.start()
    handoff = handoff_of(browser.callback(through_the_provider(start.headers["location"], ALICE[0])))
    assert api.post("/auth/oidc/session", {"handoff": handoff}).status == 200

    again = api.post("/auth/oidc/session", {"handoff": handoff})
    forged = api.post("/auth/oidc/session", {"handoff": handoff[:-3] + "AAA"})

    assert again.status == 403 and "used already" in again.problem["detail"]
    assert forged.status == 403


def test_a_hand_off_is_refused_once_the_account_signed_out_everywhere(api: Api, browser: Browser,
                                                                      issuer: str) -> None:
    token = signed_in(api, browser)["token"]
    start = browser.start()
    handoff = handoff_of(browser.callback(through_the_provider(start.headers["location"], ALICE[0])))
    assert api.post("/auth/sign-out-everywhere", token=token).status in (200, 204)

    assert api.post("/auth/oidc/session", {"handoff": handoff}).status == 403


def test_a_deleted_accounts_identity_makes_a_new_account_not_the_old_one(api: Api, browser: Browser,
                                                                         issuer: str) -> None:
    first = signed_in(api, browser)
    assert api.request("DELETE", "/me", {"comments": "tombstone"}, token=first["token"]).status == 204

    second = signed_in(api, Browser(api))

    assert api.get("/auth/me", token=first["token"]).status == 401
    assert api.get("/auth/me", token=second["token"]).status == 200


def test_the_accounts_own_export_names_its_identity(api: Api, browser: Browser, issuer: str) -> None:
    session = signed_in(api, browser)

    export = api.get("/me/export", token=session["token"])

    assert export.status == 200
    assert export.json["identities"] == [{"issuer": issuer, "subject": ALICE[0]}]


def test_deleting_the_account_deletes_its_identity(api: Api, browser: Browser, issuer: str) -> None:
    from chalicelib.services import services

    session = signed_in(api, browser)
    identity = keys.identity(issuer, ALICE[0])
    assert services().table.get(identity) is not None

    assert api.request("DELETE", "/me", {"comments": "anonymous"}, token=session["token"]).status == 204

    assert services().table.get(identity) is None


def test_an_issuer_that_cannot_be_reached_is_a_bad_gateway(api: Api, browser: Browser, configure: Any) -> None:
    configure(OIDC_PROVIDERS=f"gone|Gone|http://127.0.0.1:9|{CLIENT_ID}")

    reply = browser.start("gone")

    assert reply.status == 502 and "cannot be reached" in reply.problem["detail"]


def test_the_callback_answers_with_the_page_and_no_referrer(api: Api, browser: Browser, issuer: str) -> None:
    start = browser.start()

    reply = browser.callback(through_the_provider(start.headers["location"], ALICE[0]))

    assert reply.headers["location"].startswith(POST_PAGE + "#blog-oidc=")
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert reply.headers["cache-control"].startswith("no-store") or "no-store" in reply.headers["cache-control"]


def test_an_identity_is_exported_and_rebuilt_under_its_own_key_while_sign_ins_under_way_are_not() -> None:
    from chalicelib.blog import records
    from chalicelib.blog.records import RecordError
    from importer.backup import kind_of
    from importer.restore_records import rebuild

    account = {"account_id": "01J00000000000000000000000", "username": "alice.id"}
    identity = records.identity("https://issuer.example", "sub-1", "mock", account, "2026-01-02T03:04:05.000Z")
    state = records.oidc_state("s" * 43, "mock", "n", "v", "b", POST_PAGE, 1)

    assert kind_of(identity) == "identity" and kind_of(state) is None
    assert rebuild("identity", identity) == identity
    with pytest.raises(RecordError, match="identity's key"):
        rebuild("identity", {**identity, "subject": "someone-else"})
