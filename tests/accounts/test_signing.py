"""The one signing module: verify never raises, signatures are domain-separated, and no token changed.

The wire-format pins compute each token kind with the formula it used before
chalicelib.signing existed (``hmac.new`` directly, written out here), and
check that the code of today issues exactly that and still accepts it: edit
tokens, cursors, form tokens and unsubscribe links already handed out keep
working, and the address and e-mail hashes already stored still match, under
the secret each kind now has (HASH_KEY for hashes and form tokens,
MAIL_LINK_KEY for links in mail, EDIT_TOKEN_KEY for edit tokens and cursors).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, cast

import pytest

from chalicelib import signing
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.notifications import Notifications
from chalicelib.blog.tokens import check_edit_token, issue_edit_token
from chalicelib.errors import BadRequest, Forbidden, Invalid
from chalicelib.settings import Settings
from chalicelib.store import cursors
from tests.conftest import Api, Blog
from tests.settings_steps import stage_settings

KEY = signing.derive_key("a test secret", "tests")
ODD_SIGNATURES: list[object] = [
    None, 0, 1, -1, 1.5, True, b"", b"abc", bytearray(b"abc"), [], ["x"], {}, object(),
    "", " ", ".", "é", "ñ" * 22, "\u0000", "\ud800", "\U0001f4a9" * 11, "A" * 100_000, "=" * 43,
    "AAAAAAAAAAAAAAAAAAAAAA", "../../etc/passwd", "%C3%A9",
]


def old_b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def old_mac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


@pytest.fixture
def settings() -> Settings:
    return stage_settings()


# -- the module ------------------------------------------------------------------------------


@pytest.mark.parametrize("odd", ODD_SIGNATURES, ids=lambda odd: type(odd).__name__ if type(odd) is object
                         else repr(odd)[:24])  # ids alike in every test worker: no object addresses
@pytest.mark.parametrize("encoding", ["base64url", "hex"])
def test_verify_never_raises_and_refuses_odd_signatures(odd: object, encoding: signing.Encoding) -> None:
    assert signing.verify(KEY, odd, "purpose", "part", size=16, encoding=encoding) is False
    assert signing.verify(KEY, odd, "purpose", size=32, encoding=encoding) is False


@pytest.mark.parametrize("part", ["\ud800", "a\udfffb", "é", "\u0000", "x" * 100_000, "|", ""])
def test_verify_never_raises_on_odd_parts(part: str) -> None:
    good = signing.sign(KEY, "purpose", "part")

    assert signing.verify(KEY, good, "purpose", part) is False
    assert signing.verify(KEY, good, "purpose", "part", part) is False


def test_a_signature_verifies_with_the_same_key_purpose_parts_size_and_encoding() -> None:
    for size in (1, 16, 32):
        for encoding in ("base64url", "hex"):
            signature = signing.sign(KEY, "purpose", "a", "é", size=size, encoding=encoding)
            assert signing.verify(KEY, signature, "purpose", "a", "é", size=size, encoding=encoding)


def test_signatures_are_unpadded_base64url_or_hex_of_the_asked_length() -> None:
    assert len(signing.sign(KEY, "p", "x")) == 43
    assert len(signing.sign(KEY, "p", "x", size=16)) == 22
    assert len(signing.sign(KEY, "p", "x", size=16, encoding="hex")) == 32
    assert len(signing.keyed_hash(KEY, "p", "x")) == 32
    for _ in range(50):
        assert "=" not in signing.sign(KEY, "p", str(_)) and "+" not in signing.sign(KEY, "p", str(_))


def test_every_flipped_character_is_refused() -> None:
    for encoding in ("base64url", "hex"):
        signature = signing.sign(KEY, "purpose", "part", size=16, encoding=encoding)
        alphabet = "0123456789abcdef" if encoding == "hex" else "AQgw_-"
        for position, character in enumerate(signature):
            for other in alphabet:
                if other != character:
                    flipped = signature[:position] + other + signature[position + 1:]
                    assert not signing.verify(KEY, flipped, "purpose", "part", size=16, encoding=encoding)


def test_a_truncated_extended_or_recased_signature_is_refused() -> None:
    signature = signing.sign(KEY, "purpose", "part")

    assert not signing.verify(KEY, signature[:-1], "purpose", "part")
    assert not signing.verify(KEY, signature + "A", "purpose", "part")
    assert not signing.verify(KEY, signature + "=", "purpose", "part")
    assert not signing.verify(KEY, signature.swapcase(), "purpose", "part")
    assert not signing.verify(KEY, signature, "purpose", "part", size=16)  # a full MAC is not a short one
    as_hex = signing.sign(KEY, "purpose", "part", size=16, encoding="hex")
    assert not signing.verify(KEY, as_hex, "purpose", "part", size=16)  # the same bytes, the other encoding


def test_a_signature_for_one_purpose_does_not_verify_for_another() -> None:
    signature = signing.sign(KEY, "edit", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "1700000000")

    assert not signing.verify(KEY, signature, "cursor", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "1700000000")
    assert not signing.verify(KEY, signature, "edit", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "1700000001")
    assert signing.keyed_hash(KEY, "address", "203.0.113.9") != signing.keyed_hash(KEY, "email", "203.0.113.9")


def test_derived_keys_differ_per_purpose_and_per_secret() -> None:
    keys = {signing.derive_key(secret, purpose)
            for secret in ("one secret", "another secret")
            for purpose in ("cursor-signing", "anti-spam", "unsubscribe-links")}
    assert len(keys) == 6
    signature = signing.sign(signing.derive_key("one secret", "cursor-signing"), "cursor", "x")
    assert not signing.verify(signing.derive_key("one secret", "anti-spam"), signature, "cursor", "x")
    assert not signing.verify(signing.derive_key("another secret", "cursor-signing"), signature, "cursor", "x")


@pytest.mark.parametrize("size", [0, -1, 33])
def test_a_size_outside_the_digest_is_a_programming_error(size: int) -> None:
    with pytest.raises(ValueError, match="1 to 32 bytes"):
        signing.sign(KEY, "p", size=size)
    with pytest.raises(ValueError, match="1 to 32 bytes"):
        signing.verify(KEY, "x", "p", size=size)


# -- wire formats: the formulas of before, pinned ---------------------------------------------


def test_derived_keys_are_the_hmac_of_the_purpose_under_the_secret(settings: Settings) -> None:
    secret = settings.edit_token_key.encode()
    for purpose in ("cursor-signing", "anti-spam", "unsubscribe-links"):
        assert signing.derive_key(settings.edit_token_key, purpose) == old_mac(secret, purpose)


def test_edit_tokens_are_unchanged_and_old_ones_still_verify(settings: Settings) -> None:
    key, comment_id, expires = settings.edit_token_key, "01ARZ3NDEKTSV4RRFFQ69G5FAV", 1_796_000_000
    old = f"{expires}.{old_b64(old_mac(key.encode(), f'edit|{comment_id}|{expires}'))}"

    assert issue_edit_token(comment_id, expires, key) == old
    check_edit_token(old, comment_id, key, now=expires - 1)
    with pytest.raises(Forbidden):
        check_edit_token(old, "01ARZ3NDEKTSV4RRFFQ69G5FAW", key, now=expires - 1)


def test_cursors_are_unchanged_and_old_ones_still_verify(settings: Settings) -> None:
    key = old_mac(settings.edit_token_key.encode(), "cursor-signing")
    last_key = {"PK": "POST#hello-world", "SK": "COMMENT#01ARZ3NDEKTSV4RRFFQ69G5FAV"}
    payload = old_b64(b'{"PK":"POST#hello-world","SK":"COMMENT#01ARZ3NDEKTSV4RRFFQ69G5FAV"}')
    scope = "comments|hello-world|score"
    old = f"{payload}.{old_b64(old_mac(key, f'cursor|{scope}|{payload}')[:16])}"

    assert cursors.encode(last_key, scope, key) == old
    assert cursors.decode(old, scope, key) == last_key
    with pytest.raises(BadRequest):
        cursors.decode(old, "comments|hello-world", key)


def test_a_cursor_payload_outside_base64url_is_refused_before_its_signature(settings: Settings) -> None:
    """The sorted list's scope extends the plain list's with "|newest": moving that "|newest" into the
    payload would leave the signed message unchanged, so the payload's alphabet must exclude "|"."""
    key = signing.derive_key(settings.edit_token_key, "cursor-signing")
    cursor = cursors.encode({"PK": "POST#p", "SK": "COMMENT#1"}, "comments|p|newest", key)
    assert cursor is not None
    payload, signature = cursor.split(".")
    assert signing.verify(key, signature, "cursor", "comments|p", f"newest|{payload}", size=16)

    with pytest.raises(BadRequest):
        cursors.decode(f"newest|{payload}.{signature}", "comments|p", key)


def test_form_tokens_sign_a_nonce_under_the_same_key_and_old_ones_still_verify(settings: Settings) -> None:
    """Form tokens now carry a nonce (each is single-use); those handed out before it still verify."""
    key = old_mac(settings.hash_key.encode(), "anti-spam")
    antispam, slug, issued = AntiSpam(settings, key), "hello-world", 1_796_000_000
    old = f"{issued}.{hmac.new(key, f'form|{slug}|{issued}'.encode(), hashlib.sha256).hexdigest()[:32]}"

    stamp, nonce, signature = antispam.form_token(slug, issued).split(".")
    assert stamp == str(issued) and len(nonce) == 16
    assert signature == hmac.new(key, f"form|{slug}|{issued}|{nonce}".encode(), hashlib.sha256).hexdigest()[:32]
    assert antispam.check_form(slug, old, None, now=issued + 60) is not None  # verified: the write that spends it
    with pytest.raises(Invalid):
        antispam.check_form("another-post", old, None, now=issued + 60)


def test_address_and_email_hashes_are_unchanged(settings: Settings) -> None:
    key = old_mac(settings.hash_key.encode(), "anti-spam")
    antispam = AntiSpam(settings, key)

    for address in ("203.0.113.9", "2001:db8::1|voter-token", ""):
        assert antispam.address_hash(address) == hmac.new(
            key, b"address|" + address.encode(), hashlib.sha256).hexdigest()[:32]
    for email in ("Ann@Example.com ", "zoë@example.org"):
        assert antispam.email_hash(email) == hmac.new(
            key, b"email|" + email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def test_unsubscribe_tokens_are_unchanged_and_old_ones_still_verify(settings: Settings) -> None:
    key = old_mac(settings.mail_link_key.encode(), "unsubscribe-links")
    digest = hashlib.sha256(b"bob@example.com").hexdigest()
    old = f"{digest}.{old_b64(old_mac(key, f'unsubscribe|{digest}')[:16])}"
    service = Notifications(cast(Any, None), settings, AntiSpam(settings, KEY))

    assert service.unsubscribe_token(" Bob@Example.com") == old
    assert service.check_token(old) == digest


def test_the_api_issues_cursors_and_form_tokens_under_the_keys_of_before(api: Api, blog: Blog, slug: str) -> None:
    """Through the composition root: cursors under EDIT_TOKEN_KEY, form tokens under HASH_KEY, as derived before."""
    secret = stage_settings().edit_token_key.encode()
    hash_secret = stage_settings().hash_key.encode()
    blog.post(blog.author("bob"), labels=["one"])
    blog.post(blog.author("carl"), labels=["two"])

    cursor = api.get("/labels?limit=1").json["next_cursor"]
    payload, signature = cursor.split(".")
    assert signature == old_b64(old_mac(old_mac(secret, "cursor-signing"), f"cursor|labels|{payload}")[:16])
    assert api.get(f"/labels?limit=1&cursor={cursor}").status == 200

    issued, nonce, signature = api.get(f"/posts/{slug}/comment-form").json["form_token"].split(".")
    form_key = old_mac(hash_secret, "anti-spam")
    assert signature == hmac.new(form_key, f"form|{slug}|{issued}|{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def test_rotating_edit_token_key_keeps_mail_links_and_stored_hashes(settings: Settings) -> None:
    """Cutting off edit tokens must not break unsubscribe links nor forget first-time approvals."""
    rotated = stage_settings(EDIT_TOKEN_KEY="r" * 40)
    assert rotated.hash_key == settings.hash_key and rotated.edit_token_key != settings.edit_token_key
    before = Notifications(cast(Any, None), settings, AntiSpam(settings, signing.derive_key(settings.hash_key, "x")))
    after = Notifications(cast(Any, None), rotated, AntiSpam(rotated, signing.derive_key(rotated.hash_key, "x")))

    link = before.unsubscribe_token("bob@example.com")
    assert after.check_token(link) == hashlib.sha256(b"bob@example.com").hexdigest()
    assert after.antispam.email_hash("bob@example.com") == before.antispam.email_hash("bob@example.com")
    confirm = before.confirm_token("bob@example.com", 4_000_000_000)
    assert after.check_confirm_token(confirm) == before.antispam.email_hash("bob@example.com")


def test_each_secret_signs_only_its_own_kind(settings: Settings) -> None:
    """A mail link made with another secret is refused: the secrets are not interchangeable."""
    swapped = stage_settings(MAIL_LINK_KEY=settings.edit_token_key)
    antispam = AntiSpam(settings, KEY)
    real = Notifications(cast(Any, None), settings, antispam)
    other = Notifications(cast(Any, None), swapped, antispam)
    with pytest.raises(Forbidden):
        real.check_token(other.unsubscribe_token("bob@example.com"))
    with pytest.raises(Forbidden):
        real.check_confirm_token(other.confirm_token("bob@example.com", 4_000_000_000))
