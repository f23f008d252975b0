"""Passkeys in an export come back on restore, through records.passkey, and only when the accounts' secrets do
(as do OpenID Connect identities: each signs its holder in).

A passkey is added through the API with a software authenticator (tests/passkey_steps.py), the table is exported
and dropped, and the restore puts it back: the same authenticator then signs in. A passkey signs its holder in, as
a password hash does, so it is restored only from an export made with --with-secrets and with --trust-accounts;
otherwise it is set aside and the report says so. A crafted passkey record refuses the file before any write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.blog import records
from chalicelib.store import keys
from importer.export import write_export
from importer.model import ImportError_
from importer.restore import restore, set_aside
from tests.accounts.test_passkeys import PAGE, RP_ID, Passkeys
from tests.conftest import Api, Blog
from tests.importer.steps import everything
from tests.importer.test_export_restore import _fresh_table, _table
from tests.importer.test_restore_refusals import _file
from tests.passkey_steps import Authenticator, b64

ACCOUNT_ID = "01HZZZZZZZZZZZZZZZZZZZZZZZ"
Exported = Callable[[], tuple[Authenticator, dict[str, Any]]]


@pytest.fixture
def passkeys(api: Api, configure: Any) -> Passkeys:
    configure(PASSKEY_RP_ID=RP_ID)
    return Passkeys(api)


@pytest.fixture
def exported_with_a_passkey(blog: Blog, passkeys: Passkeys, configure: Any, tmp_path: Path) -> Exported:
    """Bob with a passkey, exported with the accounts' secrets to blog.jsonl, the table made again empty; the
    authenticator and the stored passkey."""
    def make() -> tuple[Authenticator, dict[str, Any]]:
        authenticator = Authenticator(PAGE)
        assert passkeys.add(blog.user("bob"), authenticator, name="Phone").status == 201
        stored = _table().get(keys.passkey(b64(authenticator.credential_id)))
        assert stored is not None
        write_export(_table(), tmp_path / "blog.jsonl", True)
        _fresh_table()
        configure(PASSKEY_RP_ID=RP_ID)  # the services made again, on the stage's passkey settings
        return authenticator, stored
    return make


def crafted_passkey(**changes: Any) -> tuple[str, dict[str, Any]]:
    """A passkey record as the export writes one, with ``changes`` (None: the attribute left out)."""
    item = records.passkey({"credential_id": "Y3JlZGVudGlhbA", "account_id": ACCOUNT_ID, "username": "eve",
                            "public_key": "cHVibGljLWtleQ", "sign_count": 0, "name": "Phone",
                            "created_at": "2026-01-01T00:00:00Z"})
    item.update(changes)
    return "passkey", {k: v for k, v in item.items() if v is not None}


def test_a_restored_passkey_signs_its_account_in_again(
        api: Api, passkeys: Passkeys, exported_with_a_passkey: Exported, tmp_path: Path) -> None:
    authenticator, stored = exported_with_a_passkey()

    report = restore(tmp_path / "blog.jsonl", _table(), trust_accounts=True)

    assert report.written["passkey"] == 1
    assert _table().get(keys.passkey(b64(authenticator.credential_id))) == stored
    session = passkeys.sign_in(authenticator)
    assert session.status == 200, session.body
    assert api.get("/auth/me", token=session.json["token"]).json["user"]["username"] == "bob"
    assert [p["name"] for p in api.get("/auth/passkeys", token=session.json["token"]).json["items"]] == ["Phone"]


def test_a_passkey_is_set_aside_and_reported_when_the_accounts_are_not_trusted(
        passkeys: Passkeys, exported_with_a_passkey: Exported, tmp_path: Path) -> None:
    authenticator, _ = exported_with_a_passkey()

    report = restore(tmp_path / "blog.jsonl", _table())

    assert report.skipped[set_aside("passkey")] == 1 and report.written["passkey"] == 0
    assert _table().get(keys.passkey(b64(authenticator.credential_id))) is None
    assert passkeys.sign_in(authenticator).status == 401


def test_a_restore_run_again_keeps_the_passkey_it_wrote(exported_with_a_passkey: Exported, tmp_path: Path) -> None:
    authenticator, stored = exported_with_a_passkey()
    restore(tmp_path / "blog.jsonl", _table(), trust_accounts=True)

    again = restore(tmp_path / "blog.jsonl", _table(), trust_accounts=True)

    assert again.written["passkey"] == 0 and again.kept["passkey"] == 1
    assert _table().get(keys.passkey(b64(authenticator.credential_id))) == stored


def test_a_crafted_passkey_cannot_list_itself_in_another_accounts_passkeys(api: Api, tmp_path: Path) -> None:
    # The index attributes the file gives are dropped; the constructor makes them from the passkey's own account.
    other = keys.passkey_index_keys("01HYYYYYYYYYYYYYYYYYYYYYYY", "2026-01-01T00:00:00Z", "Y3JlZGVudGlhbA")
    crafted = _file(tmp_path / "crafted.jsonl", [crafted_passkey(**other)])

    restore(crafted, _table(), merge=True, trust_accounts=True)

    stored = _table().get(keys.passkey("Y3JlZGVudGlhbA"))
    assert stored is not None and stored["GSI1PK"] == keys.passkeys_partition(ACCOUNT_ID)


@pytest.mark.parametrize(("changes", "refusal"), [
    ({"PK": "PASSKEY#c29tZW9uZS1lbHNl"}, "credential_id: is not the passkey's key"),
    ({"account_id": "not-an-account-id"}, "account_id: must be an account id"),
    ({"public_key": "a key with spaces"}, "public_key: must be base64url"),
    ({"credential_id": "Y3Jl+ZGVu", "PK": "PASSKEY#Y3Jl+ZGVu"}, "credential_id: must be base64url"),
    ({"role": "admin"}, "role: is not an attribute of this record"),
    ({"sign_count": -1}, "sign_count: must be at least 0"),
    ({"public_key": None}, "public_key"),
], ids=["another key", "account id", "public key", "credential id", "unknown attribute", "counter", "no key"])
def test_a_crafted_passkey_refuses_the_file_before_any_write(api: Api, tmp_path: Path, changes: dict[str, Any],
                                                             refusal: str) -> None:
    crafted = _file(tmp_path / "crafted.jsonl", [crafted_passkey(**changes)])

    with pytest.raises(ImportError_) as refused:
        restore(crafted, _table(), trust_accounts=True)

    assert str(refused.value).startswith("line 2: a 'passkey' record refused") and refusal in str(refused.value)
    assert everything() == []


def test_an_identity_merged_into_a_blog_opens_no_account_unless_trusted(api: Api, blog: Blog,
                                                                               tmp_path: Path) -> None:
    # A file linking the writer's own issuer subject to an account of this blog (its name and id).
    blog.user("bob")
    bob = _table().get(keys.user("bob"))
    assert bob is not None
    identity = records.identity("https://idp.example", "mallory-sub", "idp", bob, "2026-01-01T00:00:00Z")
    crafted = _file(tmp_path / "crafted.jsonl", [("identity", identity)])

    report = restore(crafted, _table(), merge=True)

    assert report.skipped[set_aside("identity")] == 1
    assert _table().get(keys.identity("https://idp.example", "mallory-sub")) is None
    trusted = restore(crafted, _table(), merge=True, trust_accounts=True)  # the operator vouches for the file
    assert trusted.written["identity"] == 1
    assert _table().get(keys.identity("https://idp.example", "mallory-sub")) is not None
