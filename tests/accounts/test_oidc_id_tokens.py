"""Sign-in with OpenID Connect, the answers a good provider never gives: an issuer of the test's own signs the
id_token it is told to (another issuer, another audience, expired, another key, another nonce, HS256), and checks
PKCE as an issuer must; and GitHub-style OAuth 2 against a local stand-in of GitHub's endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.blog import clock
from chalicelib.store import keys
from tests.accounts.test_oidc_sign_in import browser as browser
from tests.conftest import Api
from tests.oidc_steps import CLIENT_ID, POST_PAGE, Browser, FakeGitHub, Forger, authorize_params, handoff_of
from tests.settings_steps import Clock


@pytest.fixture
def forger(configure: Any) -> Iterator[Forger]:
    with Forger().serve() as serving:
        configure(OIDC_PROVIDERS=f"forged|Forged ID|{serving.issuer}|{CLIENT_ID}")
        yield serving


def forged_start(browser: Browser, forger: Forger, code: str = "code-1") -> dict[str, str]:
    """A start against the forger; the code it will accept is registered with the challenge the API sent."""
    params = authorize_params(browser.start("forged"))
    forger.challenges[code] = params["code_challenge"]
    return params


def test_an_issuers_error_answer_is_refused_and_spends_the_state(api: Api, browser: Browser,
                                                                forger: Forger) -> None:
    params = forged_start(browser, forger)

    reply = browser.callback(f"error=access_denied&state={params['state']}", provider="forged")

    assert reply.status == 403
    assert "did not sign you in (access_denied)" in reply.problem["detail"]
    assert browser.callback(f"code=code-1&state={params['state']}", provider="forged").status == 403
    assert forger.token_requests == []


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
