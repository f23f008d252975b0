"""Specification: what rotating each secret keeps and what it invalidates (docs/incoming/operate.md, Key rotation).

HASH_KEY keys stored pseudonyms, not credentials: with HASH_KEY_PREVIOUS kept for a
grace period, an anonymous commenter's own data and first-time approval outlive the
rotation. Rate windows and anonymous vote identities start afresh. The signing keys
(JWT_SECRET, EDIT_TOKEN_KEY, MAIL_LINK_KEY) are cut off at once: what they signed
before stops working, which is the point of rotating a leaked one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.services import services
from chalicelib.settings import Settings, load_settings
from chalicelib.store import keys
from tests.accounts.test_data_requests import ANN, ask, link
from tests.conftest import Api, Blog
from tests.notifications.test_notifications import Stream, confirm, news, to

# The mail fixtures of the notifications' tests: NOTIFY_FROM set, moto's SES with the sender verified, the stream.
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.settings_steps import confirm_email, send

Configure = Callable[..., Settings]


def new_key() -> str:
    return secrets.token_urlsafe(48)


def rotate_hash_key(configure: Configure, keep_previous: bool = True, **more: str) -> None:
    """A new HASH_KEY, as `make rotate-key KEY=HASH_KEY` leaves a stage: the old one kept as HASH_KEY_PREVIOUS."""
    configure(HASH_KEY=new_key(), HASH_KEY_PREVIOUS=os.environ["HASH_KEY"] if keep_previous else "", **more)


def exported(api: Api) -> list[str]:
    reply = api.post(link(), raw=b"", headers={"Content-Type": "text/plain"})
    assert reply.status == 200, reply.body
    return [c["body"] for c in reply.json["comments"]]


# -- HASH_KEY: an anonymous commenter's own data ----------------------------------------------


def test_after_a_rotation_a_data_request_still_finds_the_comments_from_before(
        api: Api, blog: Blog, slug: str, stream: Stream, configure: Configure, monkeypatch: pytest.MonkeyPatch) -> None:
    blog.comment(slug, author_email=ANN, body="Before the rotation.")
    rotate_hash_key(configure)
    blog.comment(slug, author_email=ANN, body="After the rotation.")

    ask(api, stream, monkeypatch)

    assert len(to(ANN)) == 1
    assert exported(api) == ["Before the rotation.", "After the rotation."]


def test_the_carried_over_comments_are_filed_under_the_new_key_only(
        api: Api, blog: Blog, slug: str, stream: Stream, configure: Configure, monkeypatch: pytest.MonkeyPatch) -> None:
    blog.comment(slug, author_email=ANN, body="Mine.")
    old = services().antispam.email_hash(ANN)

    def filed_under(digest: str) -> list[str]:
        return [str(item["SK"]) for item in services().table.query(keys.commenter_partition("email:" + digest),
                                                                   limit=100).items]

    before = filed_under(old)  # the comment's index entry and the commenter's approval
    assert len(before) == 2
    rotate_hash_key(configure)

    ask(api, stream, monkeypatch)
    ask(api, stream, monkeypatch, request_id="01J00000000000000000000009")  # a second move finds nothing left

    assert filed_under(old) == []
    assert filed_under(services().antispam.email_hash(ANN)) == before
    assert len(to(ANN)) == 2


def test_a_deletion_link_after_a_rotation_deletes_the_comments_from_before(
        api: Api, blog: Blog, slug: str, stream: Stream, configure: Configure, monkeypatch: pytest.MonkeyPatch) -> None:
    blog.comment(slug, author_email=ANN, body="Old words.")
    rotate_hash_key(configure)

    ask(api, stream, monkeypatch, action="delete")
    done = api.post(link() + "&comments=tombstone", raw=b"", headers={"Content-Type": "text/plain"})

    assert done.status == 200, done.body
    assert api.get(f"/posts/{slug}").json["comment_count"] == 0
    assert [c["status"] for c in api.get(f"/posts/{slug}/comments").json["items"]] == []


def test_without_the_previous_key_the_comments_from_before_are_out_of_reach(
        api: Api, blog: Blog, slug: str, stream: Stream, configure: Configure, monkeypatch: pytest.MonkeyPatch) -> None:
    # The reason HASH_KEY_PREVIOUS exists: once it is dropped, nothing finds the old hashes again.
    blog.comment(slug, author_email=ANN, body="Before the rotation.")
    rotate_hash_key(configure, keep_previous=False)

    ask(api, stream, monkeypatch)

    assert to(ANN) == []


def test_another_address_is_not_handed_the_comments_of_the_rotated_one(
        api: Api, blog: Blog, slug: str, stream: Stream, configure: Configure, monkeypatch: pytest.MonkeyPatch) -> None:
    blog.comment(slug, author_email=ANN, body="Ann's.")
    rotate_hash_key(configure)

    ask(api, stream, monkeypatch, address="eve@example.com")

    assert to("eve@example.com") == []


# -- HASH_KEY: first-time moderation --------------------------------------------------------


def first_time_regular(api: Api, blog: Blog, slug: str, configure: Configure) -> None:
    """ann@example.org approved once and her address confirmed, under MODERATION=first-time."""
    configure(MODERATION="first-time")
    first = send(api, slug, "Hello", author_email="ann@example.org")
    assert first.status == 202, first.body
    approved = api.post(f"/comments/{first.json['comment']['id']}/moderate", {"action": "approve"},
                        token=blog.admin())
    assert approved.status == 200, approved.body
    confirm_email(api, "ann@example.org")


def test_a_commenter_approved_before_the_rotation_is_still_known_after_it(
        api: Api, blog: Blog, slug: str, configure: Configure) -> None:
    first_time_regular(api, blog, slug, configure)
    rotate_hash_key(configure, MODERATION="first-time")

    again = send(api, slug, "Hello again", author_email="ann@example.org")

    assert again.status == 201, again.body
    assert again.json["comment"]["status"] == "approved"


def test_once_the_previous_key_is_dropped_a_commenter_from_before_is_held_again(
        api: Api, blog: Blog, slug: str, configure: Configure) -> None:
    first_time_regular(api, blog, slug, configure)
    rotate_hash_key(configure, keep_previous=False, MODERATION="first-time")

    again = send(api, slug, "Hello again", author_email="ann@example.org")

    assert again.status == 202, again.body
    assert again.json["comment"]["status"] == "pending"


def test_a_reader_who_confirmed_before_the_rotation_still_hears_of_replies(
        api: Api, blog: Blog, stream: Stream, configure: Configure) -> None:
    slug = blog.post(blog.author("alice"), title="Hello")["slug"]
    keen = blog.comment(slug, author_name="Bob", author_email="bob@example.com", notify_replies=True)
    stream.deliver(stream.inserted(slug, keen))
    confirm(api, "bob@example.com")
    rotate_hash_key(configure)

    reply = blog.comment(slug, author_name="Eve", parent_id=keen["comment"]["id"], body="An answer.")
    stream.deliver(stream.inserted(slug, reply))

    assert [m["Subject"] for m in news("bob@example.com")] == ["Eve replied to your comment on “Hello”"]


# -- HASH_KEY: rate windows and anonymous votes start afresh ---------------------------------------


def test_a_rotation_starts_the_comment_rate_window_afresh(api: Api, blog: Blog, slug: str,
                                                          configure: Configure) -> None:
    configure(COMMENT_RATE_LIMIT="1/3600")
    assert send(api, slug, "One.").status == 201
    assert send(api, slug, "Two.").status == 429

    rotate_hash_key(configure, COMMENT_RATE_LIMIT="1/3600")

    assert send(api, slug, "Two, after the rotation.").status == 201
    assert send(api, slug, "Three.").status == 429


def test_an_anonymous_vote_from_before_a_rotation_is_not_recognised_after_it(
        api: Api, blog: Blog, slug: str, configure: Configure) -> None:
    comment = blog.comment(slug)["comment"]["id"]

    def vote(value: int) -> dict[str, Any]:
        reply = api.post(f"/comments/{comment}/vote", {"value": value}, headers={"X-Voter-Token": "reader-a"})
        assert reply.status == 200, reply.body
        return dict(reply.json)

    vote(1)
    rotate_hash_key(configure)

    # Documented: the voter's identity is a keyed hash, so the same reader counts once more.
    assert vote(1)["likes"] == 2
    assert vote(1)["likes"] == 2  # and only once more


def test_a_signed_in_vote_keeps_its_identity_across_a_rotation(api: Api, blog: Blog, slug: str,
                                                              configure: Configure) -> None:
    comment = blog.comment(slug)["comment"]["id"]
    reader = blog.user()
    api.post(f"/comments/{comment}/vote", {"value": 1}, token=reader)

    rotate_hash_key(configure)
    again = api.post(f"/comments/{comment}/vote", {"value": 1}, token=reader)

    assert again.status == 200 and again.json["likes"] == 1


# -- the signing keys: cut off at once ------------------------------------------------------------


def test_rotating_the_jwt_secret_signs_everyone_out(api: Api, blog: Blog, configure: Configure) -> None:
    token = blog.user()
    assert api.get("/auth/me", token=token).status == 200

    configure(JWT_SECRET=new_key())

    refused = api.get("/auth/me", token=token)
    assert refused.status == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_rotating_the_edit_token_key_ends_the_edit_window_of_earlier_comments(
        api: Api, blog: Blog, slug: str, configure: Configure) -> None:
    created = blog.comment(slug)

    configure(EDIT_TOKEN_KEY=new_key())

    edited = api.patch(f"/comments/{created['comment']['id']}", {"body": "Changed."},
                       headers={"X-Edit-Token": created["edit_token"]})
    assert edited.status in (401, 403), edited.body
    assert "Changed." not in api.get(f"/comments/{created['comment']['id']}").json["html"]


def test_rotating_the_mail_link_key_voids_the_links_already_mailed(api: Api, configure: Configure) -> None:
    token = services().notifications.unsubscribe_token("reader@example.com")
    assert api.get(f"/unsubscribe?token={token}").status == 200

    configure(MAIL_LINK_KEY=new_key())

    assert api.get(f"/unsubscribe?token={token}").status == 403


# -- the settings ---------------------------------------------------------------------------------


def test_a_short_previous_hash_key_is_refused_like_a_short_current_one() -> None:
    settings = load_settings({**os.environ, "HASH_KEY_PREVIOUS": "too short"})

    with pytest.raises(ConfigurationError, match="HASH_KEY_PREVIOUS"):
        settings.check_secrets()
