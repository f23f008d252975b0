"""Sign-in with OpenID Connect: against a real provider (oidc-provider-mock) over HTTP, and an issuer of our own
for the answers a good provider never gives.

The API runs in process (Chalice's test client on moto); the issuers are real HTTP servers on local ports, which
the API's discovery, token exchange and JWKS fetches reach as they would reach Google or Keycloak.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from chalicelib.blog import clock
from chalicelib.store import keys
from tests.conftest import Api, Blog
from tests.oidc_steps import (
    CLIENT_ID,
    POST_PAGE,
    Browser,
    FakeGitHub,
    Forger,
    authorize_params,
    handoff_of,
    mock_issuer,
)
from tests.settings_steps import Clock

ALICE = ("alice-at-idp", {"email": "alice@idp.example", "email_verified": True, "preferred_username": "alice.id"})
UNVERIFIED = ("carol-at-idp", {"email": "carol@idp.example", "preferred_username": "carol"})


@pytest.fixture
def issuer(configure: Any) -> Iterator[str]:
    with mock_issuer(ALICE, UNVERIFIED) as url:
        configure(OIDC_PROVIDERS=f"mock|Mock ID|{url}|{CLIENT_ID}", OIDC_CLIENT_SECRETS="mock=not-a-real-secret")
        yield url


@pytest.fixture
def forger(configure: Any) -> Iterator[Forger]:
    with Forger().serve() as serving:
        configure(OIDC_PROVIDERS=f"forged|Forged ID|{serving.issuer}|{CLIENT_ID}")
        yield serving


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


def forged_start(browser: Browser, forger: Forger, code: str = "code-1") -> dict[str, str]:
    """A start against the forger; the code it will accept is registered with the challenge the API sent."""
    params = authorize_params(browser.start("forged"))
    forger.challenges[code] = params["code_challenge"]
    return params


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


def test_an_issuers_error_answer_is_refused_and_spends_the_state(api: Api, browser: Browser,
                                                                forger: Forger) -> None:
    params = forged_start(browser, forger)

    reply = browser.callback(f"error=access_denied&state={params['state']}", provider="forged")

    assert reply.status == 403
    assert "did not sign you in (access_denied)" in reply.problem["detail"]
    assert browser.callback(f"code=code-1&state={params['state']}", provider="forged").status == 403
    assert forger.token_requests == []


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


# -- answers a good provider never gives -----------------------------------------------------


def test_the_code_is_exchanged_with_the_verifier_of_its_challenge(api: Api, browser: Browser,
                                                                  forger: Forger) -> None:
    params = forged_start(browser, forger)
    forger.answer = lambda sent: {"id_token": forger.id_token(forger.good_claims(params["nonce"], clock.epoch())),
                                  "token_type": "Bearer", "access_token": "x"}

    reply = browser.callback(f"code=code-1&state={params['state']}", provider="forged")

    assert reply.status == 302, reply.body
    sent = forger.token_requests[-1]
    assert sent["client_id"] == CLIENT_ID and sent["grant_type"] == "authorization_code"
    assert sent["redirect_uri"] == "https://api.blog.test.example/auth/oidc/forged/callback"
    session = api.post("/auth/oidc/session", {"handoff": handoff_of(reply)})
    assert session.json["user"]["username"] == "idreader"


def test_a_code_the_issuer_refuses_is_refused(api: Api, browser: Browser, forger: Forger) -> None:
    params = forged_start(browser, forger)

    # A code the issuer never issued with this challenge: its PKCE check fails, and so does the sign-in.
    reply = browser.callback(f"code=another-code&state={params['state']}", provider="forged")

    assert reply.status == 403 and "invalid_grant" in reply.problem["detail"]


@pytest.mark.parametrize(("changes", "why"), [
    ({"iss": "https://issuer.evil.example"}, "from another issuer"),
    ({"aud": "someone-elses-client"}, "issued to another client"),
    ({"nonce": "a-nonce-from-another-sign-in"}, "its nonce differs"),
    ({"nonce": None}, "its nonce differs"),
    ({"exp": -120}, "expired"),
    ({"sub": None}, "without a subject"),
])
def test_an_id_token_with_a_wrong_claim_is_refused(api: Api, browser: Browser, forger: Forger, clock: Clock,
                                                   changes: dict[str, Any], why: str) -> None:
    params = forged_start(browser, forger)
    now = clock_now()
    if "exp" in changes:
        changes = {"exp": now + changes["exp"]}
    forger.answer = lambda sent: {"id_token": forger.id_token(forger.good_claims(params["nonce"], now, **changes))}

    reply = browser.callback(f"code=code-1&state={params['state']}", provider="forged")

    assert reply.status == 403, reply.body
    assert why in reply.problem["detail"]
    assert api.get(f"/users/{forger.good_claims('', 0)['preferred_username']}").status != 200


def test_an_id_token_signed_by_another_key_is_refused(api: Api, browser: Browser, forger: Forger) -> None:
    from joserfc.jwk import RSAKey

    params = forged_start(browser, forger)
    impostor = RSAKey.generate_key(2048, parameters={"kid": "good"})  # the issuer's key id, not its key
    forger.answer = lambda sent: {"id_token": forger.id_token(forger.good_claims(params["nonce"], clock_now()),
                                                              key=impostor)}

    reply = browser.callback(f"code=code-1&state={params['state']}", provider="forged")

    assert reply.status == 403 and "signature does not verify" in reply.problem["detail"]


def test_an_unsigned_or_symmetric_id_token_is_refused(api: Api, browser: Browser, forger: Forger) -> None:
    from joserfc.jwk import OctKey

    params = forged_start(browser, forger)
    # HS256 keyed with the client id an attacker knows: the classic algorithm confusion.
    forger.answer = lambda sent: {"id_token": jwt_hs256(forger.good_claims(params["nonce"], clock_now()),
                                                        OctKey.import_key(CLIENT_ID.encode() * 4))}

    reply = browser.callback(f"code=code-1&state={params['state']}", provider="forged")

    assert reply.status == 403 and "cannot be read" in reply.problem["detail"]


def test_the_state_expires_after_ten_minutes(api: Api, browser: Browser, forger: Forger, clock: Clock) -> None:
    params = forged_start(browser, forger)
    clock.advance(minutes=11)

    reply = browser.callback(f"code=code-1&state={params['state']}", provider="forged")

    assert reply.status == 403 and "too long ago" in reply.problem["detail"]


def test_the_state_and_hand_off_items_expire_on_their_own(api: Api, browser: Browser, forger: Forger) -> None:
    from chalicelib.services import services

    params = forged_start(browser, forger)

    pending = services().table.get(keys.oidc_state(params["state"]))

    assert pending is not None and 0 < int(pending["ttl"]) - clock.epoch() <= 600
    assert pending["verifier"] and pending["browser"] != browser.cookie.split("=", 1)[1]


def clock_now() -> int:
    return clock.epoch()


def jwt_hs256(claims: dict[str, Any], key: Any) -> str:
    from joserfc import jwt

    return jwt.encode({"alg": "HS256"}, claims, key)


def test_the_callback_answers_with_the_page_and_no_referrer(api: Api, browser: Browser, issuer: str) -> None:
    start = browser.start()

    reply = browser.callback(through_the_provider(start.headers["location"], ALICE[0]))

    assert reply.headers["location"].startswith(POST_PAGE + "#blog-oidc=")
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert reply.headers["cache-control"].startswith("no-store") or "no-store" in reply.headers["cache-control"]


def test_head_of_start_and_callback_answers_their_redirect_without_a_body(api: Api, browser: Browser,
                                                                          forger: Forger) -> None:
    head = api.request("HEAD", "/auth/oidc/forged/start?return_to=" + POST_PAGE)
    assert head.status == 302 and head.headers["location"].startswith(forger.issuer) and head.body == b""
    params = forged_start(browser, forger)
    forger.answer = lambda sent: {"id_token": forger.id_token(forger.good_claims(params["nonce"], clock_now()))}

    back = api.request("HEAD", f"/auth/oidc/forged/callback?code=code-1&state={params['state']}",
                       headers={"Cookie": browser.cookie})

    assert back.status == 302 and back.headers["location"].startswith(POST_PAGE + "#blog-oidc=")
    assert back.body == b""


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


# -- GitHub-style OAuth 2: no id_token, the user API instead -----------------------------------


@pytest.fixture
def github(configure: Any) -> Iterator[FakeGitHub]:
    with FakeGitHub().serve() as serving:
        configure(OIDC_PROVIDERS=f"github|GitHub|github:{serving.base}|gh-client",
                  OIDC_CLIENT_SECRETS="github=gh-secret")
        yield serving


def github_answer(browser: Browser, github: FakeGitHub) -> str:
    params = authorize_params(browser.start("github"))
    github.challenges["gh-code"] = params["code_challenge"]
    return f"code=gh-code&state={params['state']}"


def test_a_github_sign_in_makes_a_reader_from_the_user_api(api: Api, browser: Browser, github: FakeGitHub) -> None:
    start = browser.start("github")
    params = authorize_params(start)
    assert start.headers["location"].startswith(f"{github.base}/login/oauth/authorize?")
    assert params["code_challenge_method"] == "S256" and "nonce" not in params
    github.challenges["gh-code"] = params["code_challenge"]

    back = browser.callback(f"code=gh-code&state={params['state']}", provider="github")
    session = api.post("/auth/oidc/session", {"handoff": handoff_of(back)})

    assert session.status == 200, session.body
    assert session.json["user"]["username"] == "octo-reader"
    assert session.json["user"]["email"] == "octo@gh.example"
    assert services_table_get(keys.identity(github.base, "583231")) is not None


def test_a_github_account_without_a_verified_primary_address_makes_no_account(api: Api, browser: Browser,
                                                                              github: FakeGitHub) -> None:
    github.emails = [{"email": "octo@gh.example", "primary": True, "verified": False}]

    reply = browser.callback(github_answer(browser, github), provider="github")

    assert reply.status == 403 and "verified e-mail" in reply.problem["detail"]


def test_a_github_code_refused_is_refused(api: Api, browser: Browser, github: FakeGitHub) -> None:
    params = authorize_params(browser.start("github"))

    reply = browser.callback(f"code=a-code-never-issued&state={params['state']}", provider="github")

    assert reply.status == 403 and "bad_verification_code" in reply.problem["detail"]


def services_table_get(key: dict[str, str]) -> Any:
    from chalicelib.services import services

    return services().table.get(key)
