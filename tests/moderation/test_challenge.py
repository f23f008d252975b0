"""The challenge (Turnstile or hCaptcha): when a comment needs it, and its token checked with siteverify.

The provider is a real HTTP server on loopback speaking siteverify's documented protocol: a
form-encoded POST of ``secret``, ``response`` and ``remoteip``, answered with JSON (``success``,
``error-codes``, ``hostname``, and for Turnstile ``action``). It knows one secret and accepts each
token it issued once; a token sent again gets ``timeout-or-duplicate``, as the providers document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from chalicelib.blog import challenge
from chalicelib.errors import ConfigurationError
from chalicelib.settings import Settings, load_settings, with_secrets
from chalicelib.store import client as client_module
from tests.conftest import Api, Blog, DynamoCalls
from tests.local_receiver import LocalReceiver, Posted, Reply
from tests.moderation.steps import audit, held_queue, listed
from tests.settings_steps import Clock

SECRET = "0x4AAAAAAAlocal-test-secret"
SITE_KEY = "0x4AAAAAAAlocal-site-key"
HOST = "blog.test.example"  # the test stage's SITE_URL host


class Siteverify(LocalReceiver):
    """A local siteverify: issues tokens, answers by the protocol, records the forms it was sent.

    Queued failures: "hang" (no answer in time), an HTTP status, raw bytes, or a JSON document.
    """

    def __init__(self) -> None:
        super().__init__("/siteverify")
        self.issued: set[str] = set()
        self.spent: set[str] = set()
        self.hostname = HOST
        self.action: str | None = "comment"

    def recorded(self, request: Posted) -> dict[str, str]:
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        return request.form

    def answer(self, request: Posted, failure: Any) -> Reply:
        if isinstance(failure, int):
            return Reply(failure, b"<html>Bad gateway</html>", "application/json")
        if isinstance(failure, bytes):
            return Reply(200, failure, "application/json")
        return Reply(200, json.dumps(failure if failure is not None else self.respond(request.form)).encode(),
                     "application/json")

    def token(self) -> str:
        made = f"solved.{len(self.issued)}.token"
        self.issued.add(made)
        return made

    def respond(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("secret") != SECRET:
            return {"success": False, "error-codes": ["invalid-input-secret"]}
        token = form.get("response", "")
        if not token:
            return {"success": False, "error-codes": ["missing-input-response"]}
        if token in self.spent:
            return {"success": False, "error-codes": ["timeout-or-duplicate"]}
        if token not in self.issued:
            return {"success": False, "error-codes": ["invalid-input-response"]}
        self.spent.add(token)
        answer: dict[str, Any] = {"success": True, "challenge_ts": "2026-12-07T12:00:00Z",
                                  "hostname": self.hostname, "error-codes": []}
        if self.action is not None:
            answer["action"] = self.action
        return answer


@pytest.fixture
def provider() -> Iterator[Siteverify]:
    started = Siteverify()
    yield started
    started.stop()


@pytest.fixture
def turn_on(configure: Callable[..., Settings], provider: Siteverify) -> Callable[..., Settings]:
    """The challenge on, pointed at the local siteverify; ``when`` as CHALLENGE_WHEN, other settings too."""
    def apply(when: str = "always", **env: str) -> Settings:
        return configure(CHALLENGE="turnstile", CHALLENGE_SITE_KEY=SITE_KEY, CHALLENGE_SECRET=SECRET,
                         CHALLENGE_WHEN=when, CHALLENGE_VERIFY_URL=provider.url, **env)
    return apply


def send(api: Api, slug: str, body: str, token: str | None = None, **fields: Any) -> Any:
    payload = {"body": body, "author_name": "Ann", **fields}
    if token is not None:
        payload["challenge_token"] = token
    return api.post(f"/posts/{slug}/comments", payload)


def form(api: Api, slug: str, token: str | None = None) -> dict[str, Any]:
    reply = api.get(f"/posts/{slug}/comment-form", token=token)
    assert reply.status == 200, reply.body
    return dict(reply.json)


# -- the token, checked with siteverify ---------------------------------------------------------


def test_a_solved_token_publishes_the_comment(api: Api, slug: str, provider: Siteverify,
                                              turn_on: Callable[..., Settings]) -> None:
    turn_on()
    reply = send(api, slug, "I solved it.", provider.token())

    assert reply.status == 201, reply.body
    assert listed(api, slug) == [reply.json["comment"]["id"]]
    (call,) = provider.calls
    assert call["secret"] == SECRET and call["response"].startswith("solved.")
    assert set(call) <= {"secret", "response", "remoteip"}


def test_a_comment_without_a_token_is_refused_when_the_challenge_is_needed(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    reply = send(api, slug, "No token here.")

    assert reply.status == 422
    problem = reply.problem
    assert "challenge_token" in problem["errors"]
    assert "Turnstile" in problem["errors"]["challenge_token"][0]
    assert provider.calls == []  # nothing to ask the provider
    assert listed(api, slug) == []


def test_a_token_the_provider_refuses_is_refused_and_nothing_is_written(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    reply = send(api, slug, "A made-up token.", "forged.token")

    assert reply.status == 422
    assert "invalid-input-response" in reply.problem["errors"]["challenge_token"][0]
    assert listed(api, slug) == []


def test_a_replayed_token_is_refused_as_the_provider_says(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    token = provider.token()
    assert send(api, slug, "First, with the token.", token).status == 201

    replay = send(api, slug, "Second, with the same token.", token)

    assert replay.status == 422
    message = replay.problem["errors"]["challenge_token"][0]
    assert "already used" in message and "timeout-or-duplicate" in message
    assert len(listed(api, slug)) == 1


@pytest.mark.parametrize("code, says", [
    ("invalid-or-already-seen-response", "already used"),  # hCaptcha's replay
    ("already-seen-response", "already used"),
    ("expired-input-response", "already used"),
    ("missing-input-response", "not accepted"),
    ("invalid-input-response", "not accepted"),
])
def test_each_code_that_blames_the_token_is_a_refusal_the_reader_can_act_on(
        api: Api, slug: str, provider: Siteverify, configure: Callable[..., Settings], code: str, says: str) -> None:
    configure(CHALLENGE="hcaptcha", CHALLENGE_SITE_KEY=SITE_KEY, CHALLENGE_SECRET=SECRET, CHALLENGE_WHEN="always",
              CHALLENGE_VERIFY_URL=provider.url)
    provider.failures = [{"success": False, "error-codes": [code]}]

    reply = send(api, slug, "Refused by hCaptcha.", provider.token())

    assert reply.status == 422
    message = reply.problem["errors"]["challenge_token"][0]
    assert says in message and code in message and "hCaptcha" in message
    assert listed(api, slug) == []


def test_a_token_solved_on_another_site_is_refused(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    provider.hostname = "evil.example"

    reply = send(api, slug, "Solved elsewhere.", provider.token())

    assert reply.status == 422
    assert "another site" in reply.problem["errors"]["challenge_token"][0]
    assert listed(api, slug) == []


def test_a_token_made_for_another_action_is_refused(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    provider.action = "login"

    reply = send(api, slug, "Made for the login form.", provider.token())

    assert reply.status == 422
    assert "another form" in reply.problem["errors"]["challenge_token"][0]


def test_an_answer_without_hostname_or_action_counts_as_the_provider_checked_it(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    provider.hostname, provider.action = "", None

    assert send(api, slug, "hCaptcha may name no action.", provider.token()).status == 201


@pytest.mark.parametrize("failure, reason", [
    (503, "HTTP 503"),
    (500, "HTTP 500"),
    (b"<html>not json</html>", "not its JSON"),
    (b'{"success": "yes"}', "not its JSON"),
    (b"[]", "not its JSON"),
    ({"success": False, "error-codes": ["internal-error"]}, "internal-error"),
    ({"success": False, "error-codes": []}, "no error code"),
])
def test_a_provider_that_fails_holds_the_comment_with_the_reason_in_the_audit_trail(
        api: Api, blog: Blog, slug: str, provider: Siteverify, turn_on: Callable[..., Settings],
        failure: Any, reason: str) -> None:
    turn_on()
    admin = blog.admin()
    provider.failures = [failure]

    reply = send(api, slug, "Sent while the provider is unwell.", provider.token())

    assert reply.status == 202, reply.body  # stored, held: never accepted unchecked, never a 500
    comment_id = reply.json["comment"]["id"]
    assert listed(api, slug) == []
    (queued,) = held_queue(api, admin)
    assert queued["id"] == comment_id and reason in queued["held_because"]
    entry = audit(api, admin)[0]
    assert entry["comment_id"] == comment_id and entry["action"] == "hold"
    assert entry["who"] == challenge.FILTER and reason in entry["reason"]


def test_a_provider_that_does_not_answer_in_time_holds_the_comment(
        api: Api, blog: Blog, slug: str, provider: Siteverify, turn_on: Callable[..., Settings],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(challenge, "TIMEOUT_SECONDS", 0.2)
    turn_on()
    provider.failures = ["hang"]

    reply = send(api, slug, "The provider hangs.", provider.token())

    assert reply.status == 202
    assert "gave no answer" in held_queue(api, blog.admin())[0]["held_because"]


def test_a_provider_that_is_not_running_holds_the_comment(
        api: Api, blog: Blog, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    provider.stop()  # the port refuses connections

    reply = send(api, slug, "Nobody verifies.", "any.token")

    assert reply.status == 202
    assert "gave no answer" in held_queue(api, blog.admin())[0]["held_because"]


def test_a_wrong_secret_is_the_blogs_fault_so_the_comment_is_held_not_refused(
        api: Api, blog: Blog, slug: str, provider: Siteverify, configure: Callable[..., Settings]) -> None:
    configure(CHALLENGE="hcaptcha", CHALLENGE_SITE_KEY=SITE_KEY, CHALLENGE_SECRET="not-the-secret",
              CHALLENGE_WHEN="always", CHALLENGE_VERIFY_URL=provider.url)

    reply = send(api, slug, "The operator mistyped the secret.", provider.token())

    assert reply.status == 202
    assert "hCaptcha could not check the token (invalid-input-secret)" in held_queue(
        api, blog.admin())[0]["held_because"]


def test_an_oversized_token_is_refused_before_the_provider_is_asked(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    reply = send(api, slug, "A huge token.", "x" * (challenge.MAX_TOKEN_LENGTH + 1))

    assert reply.status == 422 and "challenge_token" in reply.problem["errors"]
    assert provider.calls == []


@pytest.mark.parametrize("token", ["solved\x00.token", "line\nbreak", 12345, ["a", "list"], {"an": "object"}])
def test_a_token_that_is_no_string_of_printable_text_is_refused_before_the_provider_is_asked(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings], token: Any) -> None:
    turn_on()
    reply = api.post(f"/posts/{slug}/comments", {"body": "Odd token.", "challenge_token": token})

    assert reply.status == 422 and "challenge_token" in reply.problem["errors"]
    assert provider.calls == [] and listed(api, slug) == []


def test_a_look_alike_of_a_good_token_is_the_providers_to_refuse(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    good = provider.token()
    look_alike = good.replace("o", "\u043e")  # Cyrillic o: sent as it is, never folded into the good one

    reply = send(api, slug, "A homoglyph token.", look_alike)

    assert reply.status == 422
    assert provider.calls[-1]["response"] == look_alike


# -- when it is needed -------------------------------------------------------------------------


def test_off_asks_for_nothing_and_says_so_in_the_form(api: Api, slug: str, provider: Siteverify) -> None:
    assert send(api, slug, "No challenge on this stage.").status == 201
    answer = form(api, slug)
    assert answer["challenge"] is None and answer["challenge_required"] is False
    assert provider.calls == []


def test_the_form_names_the_provider_and_site_key_but_never_the_secret(
        api: Api, slug: str, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    answer = form(api, slug)

    assert answer["challenge"] == {"provider": "turnstile", "site_key": SITE_KEY}
    assert answer["challenge_required"] is True
    assert SECRET not in json.dumps(answer)
    post = api.get(f"/posts/{slug}?embed=comments").json
    assert post["comment_form"]["challenge"] == {"provider": "turnstile", "site_key": SITE_KEY}


def test_first_time_asks_a_commenter_once_then_no_more(
        api: Api, blog: Blog, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on("first-time")
    reader = blog.user("firsttimer")
    assert form(api, slug, reader)["challenge_required"] is True
    assert api.post(f"/posts/{slug}/comments", {"body": "Hello, first time."}, token=reader).status == 422

    first = api.post(f"/posts/{slug}/comments", {"body": "Hello, with the check.",
                                                 "challenge_token": provider.token()}, token=reader)
    assert first.status == 201, first.body

    # Approved once: no challenge now, and the form says so
    assert form(api, slug, reader)["challenge_required"] is False
    again = api.post(f"/posts/{slug}/comments", {"body": "Back again."}, token=reader)
    assert again.status == 201, again.body
    assert len(provider.calls) == 1


def test_first_time_asks_an_anonymous_commenter_every_time(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on("first-time")
    assert send(api, slug, "Anonymous once.", provider.token()).status == 201

    assert send(api, slug, "Anonymous twice.").status == 422
    # A typed e-mail proves nothing until its owner confirms it
    assert send(api, slug, "With an e-mail.", author_email="ann@example.com").status == 422


def test_after_n_comments_from_one_address_the_next_needs_the_challenge_until_the_window_ends(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings], clock: Clock) -> None:
    turn_on("after:2/3600")
    clock.align(3600)
    assert form(api, slug)["challenge_required"] is False
    assert send(api, slug, "One.").status == 201
    assert send(api, slug, "Two.").status == 201

    assert form(api, slug)["challenge_required"] is True
    assert send(api, slug, "Three, unchecked.").status == 422
    assert send(api, slug, "Three, checked.", provider.token()).status == 201
    assert send(api, slug, "Four, unchecked.").status == 422  # still past N in this window

    clock.advance(3600)
    assert form(api, slug)["challenge_required"] is False
    assert send(api, slug, "A new window.").status == 201


@pytest.mark.parametrize("when", ["first-time", "after:5/3600", "always"])
def test_a_challenged_comment_still_takes_two_round_trips(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings], dynamo: DynamoCalls,
        when: str) -> None:
    turn_on(when)
    token = provider.token()
    dynamo.clear()

    assert send(api, slug, "Counted and checked.", token).status == 201

    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]


def test_admins_are_never_asked(api: Api, blog: Blog, slug: str, provider: Siteverify,
                                turn_on: Callable[..., Settings]) -> None:
    turn_on()
    admin = blog.admin()
    assert form(api, slug, admin)["challenge_required"] is False
    assert api.post(f"/posts/{slug}/comments", {"body": "An admin's word."}, token=admin).status == 201
    assert provider.calls == []


def test_a_refused_comment_does_not_spend_its_form_token(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on(MIN_FORM_SECONDS="0")
    token = form(api, slug)["form_token"]
    assert send(api, slug, "Forgot the check.", form_token=token).status == 422

    assert send(api, slug, "Now with it.", provider.token(), form_token=token).status == 201


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("env", [
    {"CHALLENGE": "recaptcha"},
    {"CHALLENGE": "turnstile"},
    {"CHALLENGE": "turnstile", "CHALLENGE_SITE_KEY": SITE_KEY},
    {"CHALLENGE": "hcaptcha", "CHALLENGE_SITE_KEY": "<script>", "CHALLENGE_SECRET": SECRET},
    {"CHALLENGE_WHEN": "sometimes"},
    {"CHALLENGE_WHEN": "after:0/60"},
    {"CHALLENGE_WHEN": "after:3"},
    {"CHALLENGE_VERIFY_URL": "http://169.254.169.254/siteverify"},
    {"CHALLENGE_VERIFY_URL": "ftp://example.com/siteverify"},
])
def test_a_challenge_that_could_not_work_is_refused_at_start(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        load_settings(env)


def test_the_challenge_is_off_and_points_at_the_providers_by_default() -> None:
    settings = load_settings({})
    assert settings.challenge == "off" and settings.challenge_when == ("first-time", 0, 0)
    assert challenge.Challenge(load_settings({"CHALLENGE": "hcaptcha", "CHALLENGE_SITE_KEY": "k",
                                              "CHALLENGE_SECRET": "s"})).verify_url == "https://api.hcaptcha.com/siteverify"
    assert challenge.Challenge(load_settings({"CHALLENGE": "turnstile", "CHALLENGE_SITE_KEY": "k",
                                              "CHALLENGE_SECRET": "s"})).verify_url == \
        "https://challenges.cloudflare.com/turnstile/v0/siteverify"


def test_a_deployed_stage_reads_its_challenge_secret_from_ssm_when_there(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "_ssm", None)
    ssm = boto3.client("ssm", region_name="us-east-1")
    for leaf in ("jwt-secret", "edit-token-key", "hash-key", "mail-link-key", "webhook-secret"):
        ssm.put_parameter(Name=f"/blog/c/{leaf}", Value="s" * 40, Type="SecureString")
    assert "CHALLENGE_SECRET" not in with_secrets({"SECRETS_PARAMETER_PATH": "/blog/c"})

    ssm.put_parameter(Name="/blog/c/challenge-secret", Value=SECRET, Type="SecureString")
    assert with_secrets({"SECRETS_PARAMETER_PATH": "/blog/c"})["CHALLENGE_SECRET"] == SECRET


# -- Content-Security-Policy -------------------------------------------------------------------


def directives(policy: str) -> dict[str, set[str]]:
    return {name: set(sources) for name, *sources in (part.split() for part in policy.split(";") if part.strip())}


def test_the_demo_pages_allow_the_providers_origins_only_while_the_challenge_is_on(
        api: Api, configure: Callable[..., Settings]) -> None:
    configure(DEMO_PAGES="true")
    off = directives(api.get("/demo/posts/some-post").headers["content-security-policy"])
    assert "frame-src" not in off and off["script-src"] == {"'self'"}

    configure(DEMO_PAGES="true", CHALLENGE="turnstile", CHALLENGE_SITE_KEY=SITE_KEY, CHALLENGE_SECRET=SECRET)
    turnstile = directives(api.get("/demo/posts/some-post").headers["content-security-policy"])
    for name in ("script-src", "frame-src", "connect-src", "style-src"):
        assert "https://challenges.cloudflare.com" in turnstile[name], name
    assert turnstile["default-src"] == {"'none'"} and "hcaptcha" not in str(turnstile)

    configure(DEMO_PAGES="true", CHALLENGE="hcaptcha", CHALLENGE_SITE_KEY=SITE_KEY, CHALLENGE_SECRET=SECRET)
    hcaptcha = directives(api.get("/demo/posts/some-post").headers["content-security-policy"])
    assert {"https://hcaptcha.com", "https://*.hcaptcha.com"} <= hcaptcha["script-src"] & hcaptcha["frame-src"]


def test_the_static_thread_runs_nothing_so_it_allows_no_provider_even_with_the_challenge_on(
        api: Api, slug: str, turn_on: Callable[..., Settings]) -> None:
    # comments.html is markup only, with no form: there is no challenge on it to load
    turn_on()
    policy = directives(api.get(f"/posts/{slug}/comments.html").headers["content-security-policy"])
    assert policy["default-src"] == {"'none'"} and "script-src" not in policy and "frame-src" not in policy


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer_without_asking_the_provider_again(
        api: Api, slug: str, provider: Siteverify, turn_on: Callable[..., Settings]) -> None:
    turn_on()
    payload = {"body": "Sent twice by a flaky network.", "author_name": "Ann", "challenge_token": provider.token()}
    first = api.post(f"/posts/{slug}/comments", payload, headers={"Idempotency-Key": "retry-1"})
    again = api.post(f"/posts/{slug}/comments", payload, headers={"Idempotency-Key": "retry-1"})

    assert first.status == again.status == 201
    assert again.json["comment"]["id"] == first.json["comment"]["id"]
    assert len(provider.calls) == 1 and len(listed(api, slug)) == 1


def test_the_providers_test_secrets_pass_tokens_solved_on_any_host(
        api: Api, slug: str, provider: Siteverify, configure: Callable[..., Settings]) -> None:
    # Turnstile's always-pass test secret, whose answer names example.com, not the blog's host
    configure(CHALLENGE="turnstile", CHALLENGE_SITE_KEY="1x00000000000000000000AA",
              CHALLENGE_SECRET="1x0000000000000000000000000000000AA", CHALLENGE_WHEN="always",
              CHALLENGE_VERIFY_URL=provider.url)
    provider.failures = [{"success": True, "hostname": "example.com", "action": "comment", "error-codes": []}]

    assert send(api, slug, "On a test stage.", "XXXX.DUMMY.TOKEN.XXXX").status == 201


def test_the_challenges_address_windows_are_short_lived_and_left_out_of_an_export() -> None:
    from chalicelib.store import keys
    from importer import backup

    assert backup.kind_of({**keys.challenge_window("an-address-hash", 12345), "count": 3, "ttl": 1}) is None
