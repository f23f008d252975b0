"""Passkeys: a signed-in account adds one; anyone signs in with one, getting the token a password gives.

The answers come from a software authenticator (tests/passkey_steps.py) with a real key, so py_webauthn verifies
real signatures; each refusal makes exactly one thing wrong.
"""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2
import pytest

from chalicelib.store import keys
from tests.conftest import PASSWORD, Api, Blog, DynamoCalls, Reply
from tests.passkey_steps import Authenticator, b64
from tests.settings_steps import Clock

RP_ID = "blog.test.example"
PAGE = "https://blog.test.example"


class Passkeys:
    """The widget's and the console's two requests per ceremony."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def options(self, token: str) -> dict[str, Any]:
        reply = self.api.post("/auth/passkey-registration/options", token=token)
        assert reply.status == 200, reply.body
        return dict(reply.json)

    def add(self, token: str, authenticator: Authenticator, name: str = "My laptop", **wrong: Any) -> Reply:
        started = self.options(token)
        answer = authenticator.create(started["publicKey"], **wrong)
        return self.api.post("/auth/passkeys", {"ceremony": started["ceremony"], "credential": answer, "name": name},
                             token=token)

    def sign_in_options(self) -> dict[str, Any]:
        reply = self.api.post("/auth/passkey-sign-in/options")
        assert reply.status == 200, reply.body
        return dict(reply.json)

    def sign_in(self, authenticator: Authenticator, **wrong: Any) -> Reply:
        started = self.sign_in_options()
        return self.answer(started["ceremony"], authenticator.get(started["publicKey"], **wrong))

    def answer(self, ceremony: str, credential: Any) -> Reply:
        return self.api.post("/auth/passkey-sign-in", {"ceremony": ceremony, "credential": credential})


@pytest.fixture
def passkeys(api: Api, configure: Any) -> Passkeys:
    configure(PASSKEY_RP_ID=RP_ID)
    return Passkeys(api)


@pytest.fixture
def authenticator() -> Authenticator:
    return Authenticator(PAGE)


def test_a_passkey_added_while_signed_in_signs_that_account_in(blog: Blog, passkeys: Passkeys,
                                                               authenticator: Authenticator, slug: str) -> None:
    token = blog.user("bob")

    added = passkeys.add(token, authenticator)
    signed_in = passkeys.sign_in(authenticator)

    assert added.status == 201, added.body
    assert added.json["name"] == "My laptop" and added.json["id"] == b64(authenticator.credential_id)
    assert signed_in.status == 200, signed_in.body
    assert signed_in.json["user"]["username"] == "bob"
    comment = blog.comment(slug, token=signed_in.json["token"], body="Signed in with a passkey.")
    assert comment["comment"]["author"]["username"] == "bob"


def test_registration_options_ask_for_a_discoverable_credential_of_this_account(
        blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    token = blog.user("bob")
    assert passkeys.add(token, authenticator).status == 201

    options = passkeys.options(token)["publicKey"]

    assert options["rp"]["id"] == RP_ID and options["user"]["name"] == "bob"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert [c["id"] for c in options["excludeCredentials"]] == [b64(authenticator.credential_id)]


def test_signing_out_everywhere_ends_a_passkeys_session_but_not_the_passkey(
        api: Api, blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    session = passkeys.sign_in(authenticator).json["token"]

    assert api.post("/auth/sign-out-everywhere", token=session).status == 204

    assert api.get("/auth/me", token=session).status == 401
    assert passkeys.sign_in(authenticator).status == 200


def test_each_challenge_is_answered_once(api: Api, blog: Blog, passkeys: Passkeys,
                                         authenticator: Authenticator) -> None:
    token = blog.user("bob")
    started = passkeys.options(token)
    registration = {"ceremony": started["ceremony"], "credential": authenticator.create(started["publicKey"])}
    assert api.post("/auth/passkeys", registration, token=token).status == 201
    replayed_registration = api.post("/auth/passkeys", registration, token=token)

    signing_in = passkeys.sign_in_options()
    answer = authenticator.get(signing_in["publicKey"])
    assert passkeys.answer(signing_in["ceremony"], answer).status == 200
    replayed = passkeys.answer(signing_in["ceremony"], answer)

    assert replayed_registration.status == 403 and "answered already" in replayed_registration.problem["detail"]
    assert replayed.status == 403 and "answered already" in replayed.problem["detail"]


def test_an_answer_to_another_ceremonys_challenge_is_refused(blog: Blog, passkeys: Passkeys,
                                                             authenticator: Authenticator) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    first, second = passkeys.sign_in_options(), passkeys.sign_in_options()

    crossed = passkeys.answer(second["ceremony"], authenticator.get(first["publicKey"]))

    assert crossed.status == 401 and "challenge" in crossed.problem["detail"]


def test_an_expired_challenge_is_refused(blog: Blog, passkeys: Passkeys, authenticator: Authenticator,
                                         clock: Clock) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    started = passkeys.sign_in_options()

    clock.advance(5 * 60 + 1)
    late = passkeys.answer(started["ceremony"], authenticator.get(started["publicKey"]))

    assert late.status == 403 and "expired" in late.problem["detail"]


def test_a_page_of_another_origin_is_refused(blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    token = blog.user("bob")
    registered_elsewhere = passkeys.add(token, Authenticator("https://evil.example"))
    assert passkeys.add(token, authenticator).status == 201

    signed_in_elsewhere = passkeys.sign_in(authenticator, origin="https://blog.test.example.evil.example")

    assert registered_elsewhere.status == 403 and "evil.example" in registered_elsewhere.problem["detail"]
    assert signed_in_elsewhere.status == 403
    assert passkeys.sign_in(authenticator).status == 200  # the counter did not move on the refusal


def test_an_answer_for_another_relying_party_is_refused(blog: Blog, passkeys: Passkeys,
                                                        authenticator: Authenticator) -> None:
    token = blog.user("bob")
    registered = passkeys.add(token, Authenticator(PAGE), rp_id="evil.example")
    assert passkeys.add(token, authenticator).status == 201

    signed_in = passkeys.sign_in(authenticator, rp_id="evil.example")

    assert registered.status == 400 and "RP ID" in registered.problem["detail"]
    assert signed_in.status == 401 and "RP ID" in signed_in.problem["detail"]


def test_a_signature_counter_that_goes_back_is_refused(blog: Blog, passkeys: Passkeys,
                                                       authenticator: Authenticator) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    assert passkeys.sign_in(authenticator, counter=5).status == 200

    cloned = passkeys.sign_in(authenticator, counter=3)

    assert cloned.status == 403 and "counter went back" in cloned.problem["detail"]


def test_a_forged_signature_is_refused(blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    started = passkeys.sign_in_options()
    answer = authenticator.get(started["publicKey"])
    impostor = Authenticator(PAGE)
    impostor.credential_id, impostor.user_handle = authenticator.credential_id, authenticator.user_handle
    answer["response"]["signature"] = impostor.get(started["publicKey"])["response"]["signature"]

    forged = passkeys.answer(started["ceremony"], answer)

    assert forged.status == 401 and "signature" in forged.problem["detail"].lower()


def test_an_unknown_credential_is_refused(blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    stranger = Authenticator(PAGE)
    stranger.user_handle = authenticator.user_handle

    refused = passkeys.sign_in(stranger)

    assert refused.status == 401 and "not registered here" in refused.problem["detail"]


def test_a_user_handle_of_another_account_is_refused(blog: Blog, passkeys: Passkeys,
                                                     authenticator: Authenticator) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    other = Authenticator(PAGE)
    passkeys.add(blog.user("carol"), other)
    authenticator.user_handle = other.user_handle

    refused = passkeys.sign_in(authenticator)

    assert refused.status == 401


def test_a_registration_started_by_another_account_cannot_be_finished(
        api: Api, blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    bob, mallory = blog.user("bob"), blog.user("mallory")
    started = passkeys.options(bob)

    taken = api.post("/auth/passkeys", {"ceremony": started["ceremony"],
                                        "credential": authenticator.create(started["publicKey"])}, token=mallory)

    assert taken.status == 403 and "another account" in taken.problem["detail"]


def test_a_registration_started_before_signing_out_everywhere_cannot_be_finished(
        api: Api, blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    token = blog.user("bob")
    started = passkeys.options(token)
    api.post("/auth/sign-out-everywhere", token=token)
    fresh = blog.login("bob")

    finished = api.post("/auth/passkeys", {"ceremony": started["ceremony"],
                                           "credential": authenticator.create(started["publicKey"])}, token=fresh)

    assert finished.status == 403 and "signed out everywhere" in finished.problem["detail"]
    assert passkeys.sign_in(authenticator).status == 401


def test_a_credential_registered_by_one_account_cannot_be_registered_by_another(
        blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    bobs = authenticator.user_handle

    again = passkeys.add(blog.user("carol"), authenticator)

    assert again.status == 409
    authenticator.user_handle = bobs
    assert passkeys.sign_in(authenticator).json["user"]["username"] == "bob"


def test_adding_a_passkey_needs_a_recent_sign_in(blog: Blog, passkeys: Passkeys, authenticator: Authenticator,
                                                 clock: Clock) -> None:
    token = blog.user("bob")
    clock.advance(16 * 60)

    reply = passkeys.api.post("/auth/passkey-registration/options", token=token)

    assert reply.status == 403 and "sign in again" in reply.problem["detail"]


def test_adding_a_passkey_needs_a_sign_in(api: Api, passkeys: Passkeys) -> None:
    assert api.post("/auth/passkey-registration/options").status == 401
    assert api.get("/auth/passkeys").status == 401


def _registration_answer(authenticator: Authenticator) -> dict[str, Any]:
    return authenticator.create({"user": {"id": b64(b"x")}, "rp": {"id": RP_ID}, "challenge": b64(b"c")})


@pytest.mark.parametrize(("spoil", "field"), [
    (lambda c: c["response"].update(attestationObject="not base64url!"), "credential.attestationObject"),
    (lambda c: c["response"].update(clientDataJSON="A" * 5000), "credential.clientDataJSON"),
    (lambda c: c.update(id="A" * 1401, rawId="A" * 1401), "credential.id"),
    (lambda c: c.update(rawId=b64(b"another id")), "credential.rawId"),
    (lambda c: c["response"].pop("attestationObject"), "credential.attestationObject"),
    (lambda c: c["response"].update(clientDataJSON=b64(b"\xff\xfe not json")), "credential.clientDataJSON"),
    (lambda c: c["response"].update(clientDataJSON="A"), "credential.clientDataJSON"),
    (lambda c: c.update(type="password"), "credential.type"),
    (lambda c: c.update(response=["\u202e"]), "credential.response"),
])
def test_garbage_in_an_answer_is_refused_with_the_field_named(blog: Blog, passkeys: Passkeys,
                                                              authenticator: Authenticator, spoil: Any,
                                                              field: str) -> None:
    token = blog.user("bob")
    started = passkeys.options(token)
    answer = authenticator.create(started["publicKey"])
    spoil(answer)

    refused = passkeys.api.post("/auth/passkeys", {"ceremony": started["ceremony"], "credential": answer},
                                token=token)

    assert refused.status == 400, refused.body
    assert field in refused.problem["errors"]
    assert passkeys.api.post("/auth/passkeys", {"ceremony": started["ceremony"],
                                                "credential": authenticator.create(started["publicKey"])},
                             token=token).status == 201  # a refused answer left the challenge usable


@pytest.mark.parametrize("body", [
    {"ceremony": "01J00000000000000000000000", "credential": None},
    {"ceremony": "not a ceremony", "credential": {}},
    {"credential": {}},
    {"ceremony": "01J00000000000000000000000", "credential": {}, "extra": 1},
    ["a list"],
])
def test_a_malformed_sign_in_is_refused(passkeys: Passkeys, body: Any) -> None:
    reply = passkeys.api.post("/auth/passkey-sign-in", body)

    assert reply.status in (400, 422), reply.body
    assert reply.problem["detail"]


def test_an_unknown_ceremony_is_refused(passkeys: Passkeys, authenticator: Authenticator) -> None:
    started = passkeys.sign_in_options()

    reply = passkeys.answer("01J00000000000000000000000", authenticator.get(started["publicKey"]))

    assert reply.status == 403


def test_a_registration_ceremony_cannot_be_answered_as_a_sign_in(blog: Blog, passkeys: Passkeys,
                                                                 authenticator: Authenticator) -> None:
    token = blog.user("bob")
    passkeys.add(token, authenticator)
    started = passkeys.options(token)

    reply = passkeys.answer(started["ceremony"], authenticator.get({**started["publicKey"], "rpId": RP_ID}))

    assert reply.status == 403


def test_sign_in_options_are_limited_per_address(passkeys: Passkeys) -> None:
    replies = [passkeys.api.post("/auth/passkey-sign-in/options") for _ in range(31)]

    assert {r.status for r in replies[:30]} == {200}
    assert replies[30].status == 429


def test_an_account_lists_and_removes_its_own_passkeys_only(api: Api, blog: Blog, passkeys: Passkeys,
                                                            authenticator: Authenticator) -> None:
    bob, carol = blog.user("bob"), blog.user("carol")
    passkeys.add(bob, authenticator, name="Phone")
    passkeys.add(bob, Authenticator(PAGE), name="Laptop")
    credential_id = b64(authenticator.credential_id)

    listed = api.get("/auth/passkeys?limit=1", token=bob).json
    second = api.get(f"/auth/passkeys?cursor={listed['next_cursor']}", token=bob).json
    not_hers = api.delete(f"/auth/passkeys/{credential_id}", token=carol)
    removed = api.delete(f"/auth/passkeys/{credential_id}", token=bob)

    assert [p["name"] for p in listed["items"] + second["items"]] == ["Phone", "Laptop"]
    assert set(listed["items"][0]) == {"id", "name", "created_at", "last_used_at", "backed_up"}
    assert api.get("/auth/passkeys", token=carol).json["items"] == []
    assert not_hers.status == 404
    assert removed.status == 204
    assert passkeys.sign_in(authenticator).status == 401
    assert api.delete(f"/auth/passkeys/{credential_id}", token=bob).status == 404
    assert api.delete("/auth/passkeys/" + "%2F" * 3, token=bob).status == 404


def test_a_passkey_use_is_recorded_on_it(api: Api, blog: Blog, passkeys: Passkeys,
                                         authenticator: Authenticator) -> None:
    token = blog.user("bob")
    passkeys.add(token, authenticator)

    passkeys.sign_in(authenticator)

    assert api.get("/auth/passkeys", token=token).json["items"][0]["last_used_at"]


def test_deleting_the_account_deletes_its_passkeys_and_its_export_lists_them_without_keys(
        api: Api, blog: Blog, passkeys: Passkeys, authenticator: Authenticator, dynamo: DynamoCalls) -> None:
    token = blog.user("bob")
    passkeys.add(token, authenticator, name="Phone")

    exported: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = api.get("/me/export" + (f"?cursor={cursor}" if cursor else ""), token=token).json
        exported += page["passkeys"]
        if not (cursor := page["next_cursor"]):
            break
    deleted = api.request("DELETE", "/me", {"comments": "tombstone", "current_password": PASSWORD}, token=token)
    blog.user("bob")  # the name taken again by someone else

    assert [p["name"] for p in exported] == ["Phone"] and "public_key" not in exported[0]
    assert deleted.status == 204, deleted.body
    import boto3
    item = boto3.client("dynamodb").get_item(TableName="blog-test", Key={
        k: {"S": v} for k, v in keys.passkey(b64(authenticator.credential_id)).items()})
    assert "Item" not in item
    assert passkeys.sign_in(authenticator).status == 401


# Found by fuzzing py_webauthn's verify functions: attested credential data whose public key is not a COSE map,
# which its parser reads as a subscriptable value and fails with a TypeError or IndexError of its own.
_NOT_A_KEY = [b"\xa2\x01\x02\x03", b"\xfb\x3f\xf8\x00\x00\x00\x00\x00\x00", b"\xd8\x63\x01", b"\xf7", b"\x80"]


def _attested(public_key: bytes) -> bytes:
    auth_data = (hashlib.sha256(RP_ID.encode()).digest() + b"\x45" + b"\x00" * 4 + b"\x00" * 16 + b"\x00\x04"
                 + b"\x01\x02\x03\x04" + public_key)
    return cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})


@pytest.mark.parametrize("attestation", [cbor2.dumps(1.5), cbor2.dumps(cbor2.CBORTag(99, 1)), b"\xa0",
                                         *map(_attested, _NOT_A_KEY)], ids=lambda raw: raw.hex()[-12:])
def test_hostile_cbor_in_a_new_passkey_is_refused_not_a_server_error(blog: Blog, passkeys: Passkeys,
                                                                      authenticator: Authenticator,
                                                                      attestation: bytes) -> None:
    token = blog.user("bob")
    started = passkeys.options(token)
    answer = authenticator.create(started["publicKey"])
    answer["response"]["attestationObject"] = b64(attestation)

    refused = passkeys.api.post("/auth/passkeys", {"ceremony": started["ceremony"], "credential": answer}, token=token)

    assert refused.status == 400 and "does not check out" in refused.problem["detail"]


@pytest.mark.parametrize("authenticator_data", [b"", b"\x01", b"\x00" * 36])
def test_a_truncated_authenticator_data_is_refused_not_a_server_error(blog: Blog, passkeys: Passkeys,
                                                                       authenticator: Authenticator,
                                                                       authenticator_data: bytes) -> None:
    passkeys.add(blog.user("bob"), authenticator)
    started = passkeys.sign_in_options()
    answer = authenticator.get(started["publicKey"])
    answer["response"]["authenticatorData"] = b64(authenticator_data) or "AA"

    refused = passkeys.answer(started["ceremony"], answer)

    assert refused.status == 401, refused.body


def test_deeply_nested_client_data_is_refused(blog: Blog, passkeys: Passkeys, authenticator: Authenticator) -> None:
    token = blog.user("bob")
    started = passkeys.options(token)
    answer = authenticator.create(started["publicKey"])
    answer["response"]["clientDataJSON"] = b64(b"[" * 2900)

    refused = passkeys.api.post("/auth/passkeys", {"ceremony": started["ceremony"], "credential": answer}, token=token)

    assert refused.status == 400 and "credential.clientDataJSON" in refused.problem["errors"]
