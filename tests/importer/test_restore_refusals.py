"""A restore reads its file as hostile input: every record through its constructor, no role or password trusted
unless the file carries secrets and the operator says so, no attribute or key the API would not write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.blog.passwords import hash_password
from chalicelib.store import keys
from chalicelib.store.table import Table
from importer.backup import FORMAT, VERSION, record_line
from importer.model import ImportError_
from importer.restore import render_restore, restore
from tests.conftest import TEST_TABLE, Api, Blog, login
from tests.importer.steps import everything

CHOSEN = "a password the attacker chose"


def _table() -> Table:
    return Table(boto3.client("dynamodb", region_name="us-east-1"), TEST_TABLE)


def _file(path: Path, records: list[tuple[str, dict[str, Any]]], secrets: bool = True) -> Path:
    """An export as anyone can write one: a header, records, and the end line counting them."""
    header = {"format": FORMAT, "version": VERSION, "export_id": "crafted-1", "exported_at": "2026-01-01T00:00:00Z",
              "table": "x", "secrets": secrets}
    lines = [json.dumps(header) + "\n", *(record_line(kind, item) for kind, item in records),
             json.dumps({"end": True, "records": len(records)}) + "\n"]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _admin_account(username: str = "mallory", **extra: Any) -> tuple[str, dict[str, Any]]:
    """An account record claiming the admin role, with a password hash its writer knows."""
    return "account", {**keys.user(username), **keys.stored_admin_index_keys(username), "username": username,
                       "email": f"{username}@example.com", "role": "admin", "token_version": 0,
                       "password_hash": hash_password(CHOSEN, 1), "created_at": "2026-01-01T00:00:00Z", **extra}


def _role(api: Api, username: str, admin_token: str) -> str:
    reply = api.get("/users?limit=100", token=admin_token)
    assert reply.status == 200, reply.body
    return next(str(u["role"]) for u in reply.json["items"] if u["username"] == username)


def test_a_crafted_merge_restore_creates_no_admin(api: Api, blog: Blog, tmp_path: Path) -> None:
    admin = blog.admin()
    crafted = _file(tmp_path / "crafted.jsonl", [_admin_account()])

    report = restore(crafted, _table(), merge=True)

    assert login(api, "mallory@example.com", CHOSEN).status == 401
    assert _role(api, "mallory", admin) == "reader"
    admins = _table().query(keys.ADMINS_PARTITION, index="GSI2", limit=10).items
    assert "mallory" not in {item["username"] for item in admins}  # held-comment mail goes to stored admins
    assert "restored as readers without a password (1 had a role or password set aside)" in render_restore(
        report, False)


def test_trusting_accounts_needs_a_file_with_secrets(api: Api, blog: Blog, tmp_path: Path) -> None:
    admin = blog.admin()
    crafted = _file(tmp_path / "crafted.jsonl", [_admin_account()], secrets=False)

    report = restore(crafted, _table(), merge=True, trust_accounts=True)

    assert login(api, "mallory@example.com", CHOSEN).status == 401
    assert _role(api, "mallory", admin) == "reader"
    assert any("export holds no password hashes" in note for note in report.notes)


def test_trusted_accounts_keep_their_role_and_password(api: Api, blog: Blog, tmp_path: Path) -> None:
    admin = blog.admin()
    trusted = _file(tmp_path / "mine.jsonl", [_admin_account("ops")])

    restore(trusted, _table(), merge=True, trust_accounts=True)

    assert login(api, "ops@example.com", CHOSEN).status == 200
    assert _role(api, "ops", admin) == "admin"


@pytest.mark.parametrize(("record", "refusal"), [
    (_admin_account(is_admin=True), "is_admin: is not an attribute of a stored account"),
    (("account", {**keys.user("eve"), "username": "eve", "email": "eve@example.com", "role": "root",
                  "created_at": "2026-01-01T00:00:00Z"}), "role: must be reader, author or admin"),
    (("vote", {**keys.vote("a-post", "01HZZZZZZZZZZZZZZZZZZZZZZZ", "user:eve"), "value": 1000,
               "at": "2026-01-01T00:00:00Z"}), "value: must be 1 or -1"),
    (("favorite", {**keys.favorite("a-post", "eve"), "slug": "a-post", "username": "eve",
                   "favorited_at": "2026-01-01T00:00:00Z", "GSI9PK": "x"}), "GSI9PK: is not an attribute"),
    (("post", {**keys.post("old"), "slug": "old", "title": "Old", "body": "b", "author": "eve",
               "status": "published", "published_at": "0001-01-01T00:00:00Z", "created_at": "2026-01-01T00:00:00Z",
               "updated_at": "2026-01-01T00:00:00Z", "version": 1}), "published_at: must be a year between 1970"),
    (("comment", {**keys.comment("a-post", "01HZZZZZZZZZZZZZZZZZZZZZZZ"), "id": "01HZZZZZZZZZZZZZZZZZZZZZZZ",
                  "post_slug": "a-post", "status": "approved", "created_at": "2026-01-01T00:00:00Z",
                  "body": "b", "html": "<p>b</p>", "likes": -5}), "likes: must be at least 0"),
    (("reaction", {**keys.reaction("a-post", "post", "user:eve", "\U0001f44d"), "post_slug": "a-post",
                   "target": "post", "emoji": "\u2764\ufe0f", "at": "2026-01-01T00:00:00Z"}),
     "reaction: the key does not name one"),
    (("counts", {**keys.post_summary("a-post"), "slug": "a-post", "reactions": {"\U0001f44d": -3}}),
     "must be at least 0"),
], ids=["unknown attribute", "unknown role", "vote weight", "index attribute", "year 1", "negative likes",
        "reaction key", "negative reactions"])
def test_a_record_its_constructor_refuses_refuses_the_file_before_any_write(
        api: Api, tmp_path: Path, record: tuple[str, dict[str, Any]], refusal: str) -> None:
    crafted = _file(tmp_path / "crafted.jsonl", [record])

    with pytest.raises(ImportError_) as refused:
        restore(crafted, _table(), trust_accounts=True)  # trusted or not, a record is checked

    assert str(refused.value).startswith("line 2: a ") and refusal in str(refused.value)
    assert everything() == []


def test_a_record_of_a_kind_the_restore_does_not_know_is_left_out_and_reported(api: Api, tmp_path: Path) -> None:
    crafted = _file(tmp_path / "crafted.jsonl", [("other", {"PK": "SESSION#x", "SK": "#S", "role": "admin"})])

    report = restore(crafted, _table())

    assert _table().get({"PK": "SESSION#x", "SK": "#S"}) is None
    assert report.skipped == {"other: items this release does not restore (short-lived, or unknown)": 1}


def test_a_restore_run_again_reports_nothing_restored(api: Api, blog: Blog, tmp_path: Path) -> None:
    crafted = _file(tmp_path / "two.jsonl", [_admin_account("ann"), _admin_account("bob")])
    first = restore(crafted, _table(), merge=True)

    again = restore(crafted, _table(), merge=True)

    assert sum(first.written.values()) == 2
    assert sum(again.written.values()) == 0 and again.kept["account"] == 2
    assert "\n0 restored: none\n" in render_restore(again, False)


def test_an_account_with_every_attribute_the_api_sets_is_restored(api: Api, blog: Blog, tmp_path: Path) -> None:
    # As the API leaves an account: a profile, a mail choice, a password change that kept its session.
    kept = _admin_account("kim", bio="Hi", image="https://example.com/k.png", mail_held_comments=True,
                          token_version=3, kept_session="s1", kept_at=3, account_id="01HZZZZZZZZZZZZZZZZZZZZZZZ")
    report = restore(_file(tmp_path / "kim.jsonl", [kept]), _table(), merge=True, trust_accounts=True)

    stored = _table().get(keys.user("kim"))
    assert report.written["account"] == 1 and stored is not None
    assert {k: stored[k] for k in ("bio", "kept_session", "account_id", "role")} == {
        "bio": "Hi", "kept_session": "s1", "account_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "role": "admin"}
