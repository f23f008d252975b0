"""An anonymous commenter's own data, by a link mailed to the address they gave.

POST /data-requests answers the same whether the address has comments or not;
the table's stream mails a signed link (only to an address with comments, within
its daily mail limit). The link's page changes nothing; its button exports, or
deletes once (tombstones or anonymous comments, counts exact).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.blog import personal_data as personal_data_module
from chalicelib.services import services
from chalicelib.store import keys
from tests.conftest import Api, Blog
from tests.importer.steps import with_bodies
from tests.notifications.test_notifications import Stream, to

# The mail fixtures of the notifications' tests: NOTIFY_FROM set, moto's SES with the sender verified, the stream.
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.settings_steps import Clock

ANN = "ann@example.com"
REQUEST_ID = "01J00000000000000000000000"


def ask(api: Api, stream: Stream, monkeypatch: pytest.MonkeyPatch, address: str = ANN,
        action: str = "export", request_id: str = REQUEST_ID) -> Any:
    """POST /data-requests, then the stream delivers the request item it wrote."""
    monkeypatch.setattr(personal_data_module, "new_ulid", lambda: request_id)
    reply = api.post("/data-requests", {"email": address, "action": action})
    stream.deliver(stream.record("INSERT", None, stream.image(keys.data_request(request_id))))
    return reply


def link(address: str = ANN) -> str:
    """The path and query of the link in the last message to ``address``."""
    messages = to(address)
    assert messages, f"no link reached {address}"
    found = re.search(r"https://api\.blog\.test\.example(/data-requests/confirm\?token=\S+)",
                      messages[-1].get_content())
    assert found is not None
    return found[1]


def comment_count(api: Api, slug: str) -> int:
    return int(api.get(f"/posts/{slug}").json["comment_count"])


def test_the_answer_never_tells_whether_the_address_has_comments(
        api: Api, blog: Blog, slug: str, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
    blog.comment(slug, author_email=ANN)
    with_comments = ask(api, stream, monkeypatch, ANN, request_id="01J00000000000000000000001")
    without = ask(api, stream, monkeypatch, "nobody@example.com", request_id="01J00000000000000000000002")
    assert (with_comments.status, with_comments.body) == (without.status, without.body)
    assert with_comments.status == 202
    assert len(to(ANN)) == 1
    assert to("nobody@example.com") == []


def test_the_link_page_changes_nothing_and_its_button_exports(
        api: Api, blog: Blog, slug: str, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
    blog.comment(slug, author_email=ANN, body="My first.")
    blog.comment(slug, author_email="ANN@Example.com ", body="My second.")
    blog.comment(slug, author_email="someone@example.com", body="Not mine.")
    ask(api, stream, monkeypatch)
    page = api.get(link())
    assert page.status == 200 and b"<form method=\"post\"" in page.body
    exported = api.post(link(), raw=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert exported.status == 200, exported.body
    assert "attachment" in exported.headers["content-disposition"]
    assert [c["body"] for c in exported.json["comments"]] == ["My first.", "My second."]
    assert b"example.com" not in exported.body  # no e-mail in the export
    # An export link may be used again while it lasts.
    assert api.post(link(), raw=b"", headers={"Content-Type": "text/plain"}).status == 200


def test_a_deletion_link_works_once_and_keeps_counts_exact(
        api: Api, blog: Blog, slug: str, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
    answered = blog.comment(slug, author_email=ANN, body="Answered.")
    blog.comment(slug, parent_id=answered["comment"]["id"], body="An answer.", author_name="Bob")
    blog.comment(slug, author_email=ANN, body="Alone.")
    ask(api, stream, monkeypatch, action="delete")
    page = api.get(link())
    assert page.status == 200 and b"tombstone" in page.body and b"anonymous" in page.body
    assert comment_count(api, slug) == 3

    done = api.post(link() + "&comments=tombstone", raw=b"", headers={"Content-Type": "text/plain"})
    assert done.status == 200, done.body
    thread = with_bodies(api, api.get(f"/posts/{slug}/comments").json["items"])
    assert [(c["status"], c["body"]) for c in thread] == [("deleted", ""), ("approved", "An answer.")]
    assert comment_count(api, slug) == 1
    again = api.post(link() + "&comments=tombstone", raw=b"", headers={"Content-Type": "text/plain"})
    assert again.status == 403 and "used" in again.problem["detail"]


def test_a_deletion_link_can_keep_the_text_anonymously(
        api: Api, blog: Blog, slug: str, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
    created = blog.comment(slug, author_email=ANN, author_name="Ann Smith", author_website="https://ann.example",
                           body="Keep these words.")
    ask(api, stream, monkeypatch, action="delete")
    assert api.post(link() + "&comments=anonymous", raw=b"", headers={"Content-Type": "text/plain"}).status == 200
    kept = api.get(f"/comments/{created['comment']['id']}").json
    assert kept["html"] == "<p>Keep these words.</p>\n"
    assert kept["author"] == {"name": "Anonymous", "username": None, "website": None, "avatar": None,
                              "verified": False}
    assert comment_count(api, slug) == 1


@pytest.mark.parametrize("choice", ["", "burn", "tombstone%E2%80%8B", "%F0%9F%92%A9"],
                         ids=["empty", "unknown", "zero-width", "emoji"])
def test_a_deletion_needs_a_known_choice(api: Api, blog: Blog, slug: str, stream: Stream,
                                         monkeypatch: pytest.MonkeyPatch, choice: str) -> None:
    blog.comment(slug, author_email=ANN)
    ask(api, stream, monkeypatch, action="delete")
    refused = api.post(link() + f"&comments={choice}", raw=b"", headers={"Content-Type": "text/plain"})
    assert refused.status == 422, refused.body
    assert comment_count(api, slug) == 1


def test_forged_expired_and_odd_links_are_refused(api: Api, blog: Blog, slug: str, stream: Stream,
                                                  monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    blog.comment(slug, author_email=ANN)
    ask(api, stream, monkeypatch, action="delete")
    genuine = link()
    token = genuine.split("token=", 1)[1]
    digest, _, request_id, expires, signature = token.split(".")
    as_export = f"{digest}.e.{request_id}.{expires}.{signature}"
    other = services().personal_data.link_token("0" * 32, "delete", request_id, int(expires))
    for forged in (as_export, token[:-1] + ("A" if token[-1] != "A" else "B"), "%C3%A9", "a.b.c.d.e", "x" * 5000):
        assert api.get(f"/data-requests/confirm?token={forged}").status == 403, forged
        assert api.post(f"/data-requests/confirm?token={forged}&comments=tombstone", raw=b"",
                        headers={"Content-Type": "text/plain"}).status == 403
    assert api.get(f"/data-requests/confirm?token={other}").status == 200  # signed, but names no comments of ANN
    assert api.get("/data-requests/confirm").status == 400
    clock.advance(personal_data_module.LINK_SECONDS + 1)
    expired = api.post(genuine + "&comments=tombstone", raw=b"", headers={"Content-Type": "text/plain"})
    assert expired.status == 403 and "expired" in expired.problem["detail"]
    assert comment_count(api, slug) == 1


@pytest.mark.parametrize("body", [
    {"email": "not an address", "action": "export"},
    {"email": ANN, "action": "burn"},
    {"email": ANN},
    {"email": ANN + "\r\nBcc: victim@example.com", "action": "export"},
    {"email": ANN, "action": "export", "extra": True},
    {"email": "a" * 400 + "@example.com", "action": "export"},
], ids=["bad-address", "unknown-action", "no-action", "header-injection", "unknown-field", "oversize-address"])
def test_bad_requests_are_refused(api: Api, body: dict[str, Any]) -> None:
    assert api.post("/data-requests", body).status == 422


def test_requests_are_limited_per_address(api: Api, clock: Clock) -> None:
    clock.align(3600)
    answers = [api.post("/data-requests", {"email": f"x{n}@example.com", "action": "export"}).status
               for n in range(11)]
    assert answers == [202] * 10 + [429]


def test_links_to_one_address_count_in_its_daily_mail_limit(
        api: Api, blog: Blog, slug: str, stream: Stream, monkeypatch: pytest.MonkeyPatch, configure: Any) -> None:
    configure(NOTIFY_RATE_LIMIT="2")
    blog.comment(slug, author_email=ANN)
    for n in range(3):
        ask(api, stream, monkeypatch, request_id=f"01J0000000000000000000000{n}")
    assert len(to(ANN)) == 2


def test_a_second_delivery_of_the_same_request_mails_nothing_more(
        api: Api, blog: Blog, slug: str, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
    blog.comment(slug, author_email=ANN)
    monkeypatch.setattr(personal_data_module, "new_ulid", lambda: REQUEST_ID)
    api.post("/data-requests", {"email": ANN, "action": "export"})
    record = stream.record("INSERT", None, stream.image(keys.data_request(REQUEST_ID)))
    stream.deliver(record)
    stream.deliver(record)
    assert len(to(ANN)) == 1
