"""Bans and shadow-bans: by account, e-mail and address, made and lifted by admins only, checked in the
comment's and a vote's existing read (still two round trips) and in an edit's own transaction.

The caller's address is the Chalice test client's sourceIp, changed through `address`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from chalicelib.store.client import dynamodb_client
from tests.conftest import Api, Blog, DynamoCalls
from tests.moderation.steps import audit, held_queue, spam_queue
from tests.settings_steps import Clock, send


@pytest.fixture
def address(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Send the following requests from another source address (requestContext.identity.sourceIp)."""
    def use(ip: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return use


@pytest.fixture
def admin(blog: Blog) -> str:
    return blog.admin()


@pytest.fixture
def ban(api: Api, admin: str) -> Callable[..., dict[str, Any]]:
    """ban(by=..., comment_id=... | account=... | email=..., mode=..., reason=..., days=...): made, as the admin."""
    def make(**fields: Any) -> dict[str, Any]:
        reply = api.post("/moderation/bans", fields, token=admin)
        assert reply.status == 201, reply.body
        return dict(reply.json)
    return make


def listed_texts(api: Api, slug: str, token: str | None = None) -> list[str]:
    listing = api.get(f"/posts/{slug}/comments?limit=100", token=token)
    assert listing.status == 200
    return [html.unescape(re.sub(r"<[^>]*>", "", c["html"])).strip() for c in listing.json["items"]]


def comment_count(api: Api, slug: str) -> int:
    return int(api.get(f"/posts/{slug}").json["comment_count"])


# -- a ban refuses ------------------------------------------------------------------------


def test_a_commenter_banned_by_e_mail_is_refused_with_a_message(api: Api, blog: Blog, slug: str,
                                                                ban: Callable[..., dict[str, Any]]) -> None:
    first = blog.comment(slug, author_email="troll@example.com")["comment"]["id"]
    ban(by="email", comment_id=first, reason="insults")

    reply = send(api, slug, "Again.", author_email="TROLL@example.com ")

    assert reply.status == 403
    assert "banned" in reply.problem["detail"]
    assert "insults" not in reply.problem["detail"]  # the reason is the moderators' note
    assert send(api, slug, "Someone else.", author_email="kind@example.com").status == 201


def test_a_banned_account_cannot_comment_edit_or_vote(api: Api, blog: Blog, slug: str,
                                                      ban: Callable[..., dict[str, Any]], address: Any) -> None:
    reader = blog.user("troll")
    own = blog.comment(slug, reader, body="Before the ban.")["comment"]["id"]
    other = blog.comment(slug, body="Someone's.")["comment"]["id"]
    address("192.0.2.7")  # the ban is of the account, not of the test client's address
    ban(by="account", account="Troll")

    assert send(api, slug, "After.", token=reader).status == 403
    edit = api.patch(f"/comments/{own}", {"body": "Edited."}, token=reader)
    assert edit.status == 403 and "banned" in edit.problem["detail"]
    vote = api.post(f"/comments/{other}/vote", {"value": 1}, token=reader)
    assert vote.status == 403 and "banned" in vote.problem["detail"]
    assert api.get(f"/comments/{other}").json["likes"] == 0
    assert api.get(f"/comments/{own}").json["html"].strip() == "<p>Before the ban.</p>"


def test_a_ban_by_address_refuses_every_commenter_from_it(api: Api, blog: Blog, slug: str,
                                                          ban: Callable[..., dict[str, Any]], address: Any) -> None:
    address("198.51.100.9")
    first = blog.comment(slug)["comment"]["id"]
    ban(by="address", comment_id=first, days=1)

    refused = send(api, slug, "From the same place.", author_email="new@example.com")
    assert refused.status == 403
    assert "until" in refused.problem["detail"]
    address("198.51.100.10")
    assert send(api, slug, "From elsewhere.").status == 201


def test_an_expired_ban_no_longer_applies(api: Api, blog: Blog, slug: str, clock: Clock,
                                          ban: Callable[..., dict[str, Any]], admin: str) -> None:
    first = blog.comment(slug, author_email="brief@example.com")["comment"]["id"]
    made = ban(by="email", comment_id=first, days=2)
    assert send(api, slug, "Too soon.", author_email="brief@example.com").status == 403

    clock.advance(days=2, seconds=1)

    assert send(api, slug, "Back.", author_email="brief@example.com").status == 201
    listed = api.get("/moderation/bans", token=admin).json["items"]
    assert made["id"] not in [b["id"] for b in listed]


def test_a_vote_from_a_banned_address_is_refused(api: Api, blog: Blog, slug: str,
                                                 ban: Callable[..., dict[str, Any]], address: Any) -> None:
    target = blog.comment(slug, blog.user(), body="Good one.")["comment"]["id"]
    address("203.0.113.5")
    spammer = blog.comment(slug)["comment"]["id"]
    ban(by="address", comment_id=spammer)

    reply = api.post(f"/comments/{target}/vote", {"value": 1}, headers={"X-Voter-Token": "t" * 20})

    assert reply.status == 403
    assert api.get(f"/comments/{target}").json["likes"] == 0


def test_a_banned_voters_vote_is_refused_by_its_read_and_writes_nothing(
        api: Api, blog: Blog, slug: str, dynamo: DynamoCalls, ban: Callable[..., dict[str, Any]]) -> None:
    target = blog.comment(slug, body="Good one.")["comment"]["id"]
    voter = blog.user("troll")
    ban(by="account", account="troll")
    dynamo.clear()

    reply = api.post(f"/comments/{target}/vote", {"value": 1}, token=voter)

    assert reply.status == 403 and "banned" in reply.problem["detail"]
    assert "TransactWriteItems" not in dynamo.operations  # refused from the vote's own read
    assert dynamo.operations.count("BatchGetItem") == 1
    assert api.get(f"/comments/{target}").json["likes"] == 0


def test_a_vote_carries_no_ban_check_in_its_transaction(api: Api, blog: Blog, slug: str,
                                                        ban: Callable[..., dict[str, Any]]) -> None:
    target = blog.comment(slug, body="Good one.")["comment"]["id"]
    ban(by="email", email="someone-else@example.com")  # a ban exists, of someone else
    written: list[dict[str, Any]] = []
    voter = blog.user("fan")
    events, event = dynamodb_client().meta.events, "before-parameter-build.dynamodb.TransactWriteItems"

    def note(params: dict[str, Any], **_: Any) -> None:
        written.extend(params["TransactItems"])

    events.register(event, note)
    try:
        reply = api.post(f"/comments/{target}/vote", {"value": 1}, token=voter)
    finally:
        events.unregister(event, note)

    assert reply.status == 200 and reply.json["likes"] == 1
    assert written and all("ConditionCheck" not in entry for entry in written)


def test_an_expired_ban_lets_a_vote_count(api: Api, blog: Blog, slug: str, clock: Clock,
                                          ban: Callable[..., dict[str, Any]]) -> None:
    target = blog.comment(slug, body="Good one.")["comment"]["id"]
    voter = blog.user("brief")
    ban(by="account", account="brief", days=1)
    assert api.post(f"/comments/{target}/vote", {"value": 1}, token=voter).status == 403

    clock.advance(days=1, seconds=1)

    assert api.post(f"/comments/{target}/vote", {"value": 1}, token=voter).json["likes"] == 1


def test_a_ban_is_still_two_round_trips_per_comment(api: Api, blog: Blog, slug: str, dynamo: DynamoCalls,
                                                    ban: Callable[..., dict[str, Any]]) -> None:
    first = blog.comment(slug, author_email="ok@example.com")["comment"]["id"]
    ban(by="email", email="someone-else@example.com", mode="shadow")
    dynamo.clear()

    assert send(api, slug, "Fine.", author_email="ok@example.com").status == 201
    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]
    dynamo.clear()
    assert send(api, slug, "Shadowed.", author_email="someone-else@example.com").status == 201
    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]
    dynamo.clear()
    ban(by="email", comment_id=first)
    dynamo.clear()
    assert send(api, slug, "Banned.", author_email="ok@example.com").status == 403
    assert dynamo.operations == ["BatchGetItem"]


# -- a shadow-ban hides -------------------------------------------------------------------


def test_a_shadow_banned_comment_is_shown_to_its_author_alone_and_never_counted(
        api: Api, blog: Blog, slug: str, ban: Callable[..., dict[str, Any]], admin: str) -> None:
    first = blog.comment(slug, author_email="quiet@example.com", body="Before.")
    ban(by="email", comment_id=first["comment"]["id"], mode="shadow", reason="link farm")
    before = comment_count(api, slug)

    reply = send(api, slug, "Buy now.", author_email="quiet@example.com")

    assert reply.status == 201  # as for anyone's published comment
    assert reply.json["comment"]["status"] == "approved"
    comment_id, token = reply.json["comment"]["id"], reply.json["edit_token"]
    mine = api.get(f"/comments/{comment_id}", headers={"X-Edit-Token": token})
    assert mine.status == 200 and mine.json["status"] == "approved" and mine.json["body"] == "Buy now."
    assert api.get(f"/comments/{comment_id}").status == 404
    assert "Buy now." not in listed_texts(api, slug)
    assert comment_count(api, slug) == before
    edited = api.patch(f"/comments/{comment_id}", {"body": "Buy later."}, headers={"X-Edit-Token": token})
    assert edited.status == 200 and edited.json["status"] == "approved"
    assert "Buy later." not in listed_texts(api, slug)
    spam = spam_queue(api, admin)
    assert [c["id"] for c in spam] == [comment_id]
    assert spam[0]["held_because"].startswith("shadow-banned")


def test_a_shadow_banned_voters_vote_is_dropped_without_a_word(api: Api, blog: Blog, slug: str,
                                                               ban: Callable[..., dict[str, Any]]) -> None:
    target = blog.comment(slug, body="Good one.")["comment"]["id"]
    voter = blog.user("quiet")
    ban(by="account", account="quiet", mode="shadow")

    reply = api.post(f"/comments/{target}/vote", {"value": 1}, token=voter)

    assert reply.status == 200
    assert api.get(f"/comments/{target}").json["likes"] == 0


def test_an_admin_approving_a_shadow_banned_comment_publishes_it(api: Api, blog: Blog, slug: str, admin: str,
                                                                 ban: Callable[..., dict[str, Any]]) -> None:
    ban(by="email", email="quiet@example.com", mode="shadow")
    comment_id = send(api, slug, "Actually fine.", author_email="quiet@example.com").json["comment"]["id"]
    before = comment_count(api, slug)

    assert api.post(f"/comments/{comment_id}/moderate", {"action": "approve"}, token=admin).status == 200

    assert comment_count(api, slug) == before + 1
    assert "Actually fine." in listed_texts(api, slug)
    assert api.get(f"/comments/{comment_id}").json["status"] == "approved"


# -- made, listed and lifted by admins --------------------------------------------------------


def test_bans_are_listed_a_page_at_a_time_and_lifted(api: Api, blog: Blog, slug: str, admin: str,
                                                    ban: Callable[..., dict[str, Any]]) -> None:
    made = [ban(by="email", email=f"p{n}@example.com", reason=f"r{n}") for n in range(3)]
    first = api.get("/moderation/bans?limit=2", token=admin).json
    second = api.get(f"/moderation/bans?limit=2&cursor={first['next_cursor']}", token=admin).json
    assert [b["id"] for b in first["items"] + second["items"]] == [b["id"] for b in reversed(made)]
    assert second["next_cursor"] is None
    assert set(first["items"][0]) == {"id", "by", "mode", "reason", "banned_by", "created_at", "until",
                                      "comment_id", "post"}

    assert api.delete(f"/moderation/bans/{made[0]['id']}", token=admin).status == 204
    assert send(api, slug, "Back again.", author_email="p0@example.com").status == 201
    assert send(api, slug, "Still out.", author_email="p1@example.com").status == 403
    again = api.delete(f"/moderation/bans/{made[0]['id']}", token=admin)
    assert again.status == 404 and again.problem["detail"]


def test_every_ban_and_lift_is_in_the_audit_trail(api: Api, blog: Blog, slug: str, admin: str,
                                                   ban: Callable[..., dict[str, Any]]) -> None:
    first = blog.comment(slug)["comment"]["id"]
    made = ban(by="address", comment_id=first, mode="shadow", reason="flood", days=3)
    api.delete(f"/moderation/bans/{made['id']}", token=admin)

    trail = audit(api, admin)

    assert [e["action"] for e in trail[:2]] == ["lift-ban", "shadow-ban"]
    assert trail[1]["who"] == "root" and trail[1]["reason"] == "flood" and trail[1]["until"] == made["until"]
    assert trail[1]["comment_id"] == first and trail[1]["post"] == slug
    assert trail[0]["subject"] == trail[1]["subject"] and trail[0]["subject"].startswith("address:")
    assert [e["action"] for e in audit(api, admin, slug)] == ["shadow-ban"]


def test_only_admins_ban_list_or_lift(api: Api, blog: Blog, slug: str, author: str,
                                      ban: Callable[..., dict[str, Any]]) -> None:
    made = ban(by="email", email="x@example.com")
    first = blog.comment(slug)["comment"]["id"]
    for token in (author, blog.user()):
        assert api.post("/moderation/bans", {"by": "address", "comment_id": first}, token=token).status == 403
        assert api.get("/moderation/bans", token=token).status == 403
        assert api.delete(f"/moderation/bans/{made['id']}", token=token).status == 403
    assert api.post("/moderation/bans", {"by": "address", "comment_id": first}).status == 401


def test_an_admin_cannot_be_banned(api: Api, blog: Blog, slug: str, admin: str) -> None:
    by_name = api.post("/moderation/bans", {"by": "account", "account": "root"}, token=admin)
    own = blog.comment(slug, admin, body="Admin's words.")["comment"]["id"]
    from_comment = api.post("/moderation/bans", {"by": "account", "comment_id": own}, token=admin)

    assert by_name.status == from_comment.status == 403
    assert "admins cannot be banned" in by_name.problem["detail"]


@pytest.mark.parametrize("fields", [
    {"by": "email", "email": "a@example.com", "reason": "x" * 301},
    {"by": "email", "email": "a@example.com", "reason": "nice\u202egnp.exe"},
    {"by": "email", "email": "a@example.com", "reason": "zero\u200bwidth"},
    {"by": "email", "email": "a@example.com", "reason": "private\ue000use"},
    {"by": "email", "email": "a@example.com", "reason": "two\nlines"},
    {"by": "email", "email": "a@example.com", "days": 0},
    {"by": "email", "email": "a@example.com", "days": 3651},
    {"by": "email", "email": "a@example.com", "days": 1.5},
    {"by": "email", "email": "a@example.com", "days": True},
    {"by": "email", "email": "a@example.com", "mode": "forever"},
    {"by": "email", "email": "not an address"},
    {"by": "email"},
    {"by": "address"},
    {"by": "person", "account": "bob"},
    {"by": "account", "account": "b\u0301ob"},
    {"by": "account", "account": "bob#USER"},
    {"by": "account", "account": "x" * 33},
    {"by": "account", "comment_id": "../../etc"},
    {"by": "account", "comment_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "account": "bob"},
    {"by": "email", "email": "a@example.com", "PK": "BAN#user:root"},
])
def test_malformed_bans_are_refused(api: Api, admin: str, fields: dict[str, Any]) -> None:
    reply = api.post("/moderation/bans", fields, token=admin)

    assert reply.status == 422, reply.body
    assert reply.problem["detail"]
    assert api.get("/moderation/bans", token=admin).json["items"] == []


@pytest.mark.parametrize("ban_id", ["user:bob", "user-BOB", "email-zz", "address-" + "0" * 31, "x" * 300,
                                    "user-b\u0301ob"])
def test_lifting_a_malformed_ban_id_is_refused(api: Api, admin: str, ban_id: str) -> None:
    reply = api.delete(f"/moderation/bans/{ban_id}", token=admin)
    assert reply.status == 422, reply.body


def test_a_ban_of_an_unknown_account_or_comment_is_not_found(api: Api, admin: str) -> None:
    assert api.post("/moderation/bans", {"by": "account", "account": "nobody"}, token=admin).status == 404
    assert api.post("/moderation/bans", {"by": "email", "comment_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ"},
                    token=admin).status == 404


def test_a_comment_from_an_account_has_no_address_to_ban(api: Api, blog: Blog, slug: str, admin: str) -> None:
    own = blog.comment(slug, blog.user(), body="Signed in.")["comment"]["id"]
    reply = api.post("/moderation/bans", {"by": "address", "comment_id": own}, token=admin)
    assert reply.status == 422
    assert "ban the account" in reply.problem["detail"]


def test_the_ban_reason_is_not_in_the_banned_persons_export(api: Api, blog: Blog, slug: str,
                                                            ban: Callable[..., dict[str, Any]]) -> None:
    reader = blog.user("exported")
    blog.comment(slug, reader, body="Mine.")
    ban(by="account", account="exported", mode="shadow", reason="SECRET-MODERATOR-NOTE")
    assert send(api, slug, "After the ban.", token=reader).status == 201

    export = api.get("/me/export", token=reader)

    assert export.status == 200
    assert b"SECRET-MODERATOR-NOTE" not in export.body and b"shadow" not in export.body
    # The comment is there, as stored (spam): the export is the person's data, not the moderators' notes.
    assert {c["body"]: c["status"] for c in export.json["comments"]} == {"Mine.": "approved",
                                                                        "After the ban.": "spam"}


def test_under_moderation_a_shadow_banned_comment_looks_held_to_its_author_as_anyone_elses_would(
        api: Api, blog: Blog, slug: str, configure: Any, admin: str, ban: Callable[..., dict[str, Any]]) -> None:
    ban(by="email", email="quiet@example.com", mode="shadow")
    configure(MODERATION="all")

    reply = send(api, slug, "Held, or so it seems.", author_email="quiet@example.com")

    assert reply.status == 202 and reply.json["comment"]["status"] == "pending"
    comment_id = reply.json["comment"]["id"]
    pending = held_queue(api, admin)
    assert comment_id not in [c["id"] for c in pending]  # the queue of real work stays clean
    assert api.get(f"/comments/{comment_id}", token=admin).json["status"] == "spam"
