"""Sign-in by a mailed link: the same answer for every address, a link that works once, within 30 minutes.

POST /auth/email-link records the request; the table's stream mails the link and keeps what it
stands for. The link's page leads back to the blog's page with the token in the fragment, and
POST /auth/email-link/session trades the token for a session, once, making a reader account
the first time.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from chalicelib.blog import email_sign_in as email_sign_in_module
from chalicelib.store import keys
from chalicelib.store.table import deserialize
from tests.accounts.mailed_links import MailedLinks
from tests.conftest import PASSWORD, Api, Blog, Reply, login
from tests.notifications.test_notifications import Stream, to

# The mail fixtures of the notifications' tests: NOTIFY_FROM set, moto's SES with the sender verified, the stream.
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.settings_steps import Clock

POST_PAGE = "https://blog.test.example/posts/hello"


class Links(MailedLinks):
    """Asking for sign-in links, as the widget would, and reading them from the outbox."""

    def __init__(self, api: Api, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(api, stream, monkeypatch, route="/auth/email-link", service=email_sign_in_module,
                         request_key=keys.sign_in_request,
                         link=r"https://api\.blog\.test\.example(/auth/email-link/confirm\?token=\S+)")

    def ask(self, email: str, address: str = "", return_to: str = POST_PAGE) -> Reply:
        """POST /auth/email-link (from ``address``, when given), then the stream delivers the request item."""
        return self.request({"email": email, "return_to": return_to}, address)

    def token(self, email: str) -> str:
        """The token of the link in the last message to ``email``."""
        return parse_qs(urlsplit(self.link(email)).query)["token"][0]

    def use(self, token: str, **fields: Any) -> Reply:
        return self.api.post("/auth/email-link/session", {"token": token, **fields})


@pytest.fixture
def links(api: Api, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> Links:
    return Links(api, stream, monkeypatch)


def test_the_answer_is_the_same_for_an_address_with_an_account_and_one_without(blog: Blog, links: Links) -> None:
    blog.user("bob")

    known = links.ask("bob@example.com")
    unknown = links.ask("nobody@example.com")

    assert known.status == unknown.status == 202
    assert known.body.replace(b"bob@", b"") == unknown.body.replace(b"nobody@", b"")
    assert "as bob" in to("bob@example.com")[0].get_content()
    assert "choose the name" in to("nobody@example.com")[0].get_content()


def test_the_link_page_changes_nothing_and_leads_back_with_the_token_in_the_fragment(api: Api, links: Links) -> None:
    links.ask("ann@example.com")
    token = links.token("ann@example.com")

    page = api.get(f"/auth/email-link/confirm?token={token}")

    assert page.status == 200, page.body
    assert f'href="{POST_PAGE}#blog-signin={token}"'.encode() in page.body
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert links.use(token, username="ann").status == 200  # the page used nothing


def test_first_use_makes_a_reader_account_with_the_name_chosen(api: Api, links: Links) -> None:
    links.ask("ann@example.com")
    token = links.token("ann@example.com")

    unnamed = links.use(token)
    assert unnamed.status == 422 and "username" in unnamed.problem["errors"]
    session = links.use(token, username="ann_reads")

    assert session.status == 200, session.body
    assert session.json["user"] == {**session.json["user"], "username": "ann_reads", "email": "ann@example.com",
                                    "role": "reader"}
    assert api.get("/auth/me", token=session.json["token"]).status == 200
    # No password was ever set: none signs in
    assert login(api, "ann@example.com", "").status in (401, 422)
    assert login(api, "ann@example.com", "none$exported-without-secrets").status == 401


def test_an_existing_account_is_signed_in_and_its_other_sessions_go_on(api: Api, blog: Blog, links: Links) -> None:
    device = blog.user("bob")
    links.ask("bob@example.com")

    session = links.use(links.token("bob@example.com"), username="ignored")

    assert session.status == 200 and session.json["user"]["username"] == "bob"
    assert api.get("/auth/me", token=device).status == 200
    assert login(api, "bob@example.com").status == 200


def test_a_link_works_once(api: Api, links: Links) -> None:
    links.ask("ann@example.com")
    token = links.token("ann@example.com")
    assert links.use(token, username="ann").status == 200

    replay = links.use(token, username="ann2")

    assert replay.status == 403 and "no longer works" in replay.problem["detail"]
    assert api.get(f"/auth/email-link/confirm?token={token}").status == 403
    assert api.get("/api/profiles/ann2").status == 404


def test_an_expired_link_is_refused(links: Links, clock: Clock) -> None:
    links.ask("ann@example.com")
    token = links.token("ann@example.com")
    clock.advance(seconds=email_sign_in_module.LINK_SECONDS + 1)

    reply = links.use(token, username="ann")

    assert reply.status == 403 and "expired" in reply.problem["detail"]


def test_forged_and_altered_links_are_refused(api: Api, links: Links) -> None:
    links.ask("ann@example.com")
    links.ask("eve@example.com")
    token = links.token("ann@example.com")
    link_id, expires, signature = token.split(".")
    other_id = links.token("eve@example.com").split(".")[0]

    for forged in (f"{other_id}.{expires}.{signature}", f"{link_id}.9999999999.{signature}",
                   f"{link_id}.{expires}.{'A' * 22}", token + "x", token[:-1], f"{link_id}.{expires}",
                   "é" * 60, "../../" + token):
        assert links.use(forged, username="mallory").status == 403, forged
        assert api.get(f"/auth/email-link/confirm?token={forged}").status == 403, forged
    assert api.get("/auth/email-link/confirm").status == 400
    assert links.use("").status == links.use(token[:-1] + "\x00").status == 422
    assert links.use(token, username="ann").status == 200


def test_a_link_for_a_deleted_account_does_not_open_the_next_owner_of_its_address(api: Api, blog: Blog,
                                                                                 links: Links) -> None:
    # Given bob's link, then bob deleted and his address signed up again by someone else
    token = blog.user("bob")
    links.ask("bob@example.com")
    link = links.token("bob@example.com")
    assert api.request("DELETE", "/me", {"comments": "tombstone", "current_password": PASSWORD},
                       token=token).status == 204
    assert api.post("/auth/signup", {"username": "robert", "email": "bob@example.com",
                                     "password": PASSWORD}).status == 201

    reply = links.use(link)

    assert reply.status == 403 and "no longer exists" in reply.problem["detail"]


def test_a_link_for_a_deleted_account_makes_no_account_for_its_name(api: Api, blog: Blog, links: Links) -> None:
    token = blog.user("bob")
    links.ask("bob@example.com")
    link = links.token("bob@example.com")
    assert api.request("DELETE", "/me", {"comments": "tombstone", "current_password": PASSWORD},
                       token=token).status == 204

    assert links.use(link, username="bob").status == 403
    assert api.get("/api/profiles/bob").status == 404


def test_signing_out_everywhere_ends_the_links_mailed_before(api: Api, blog: Blog, links: Links) -> None:
    token = blog.user("bob")
    links.ask("bob@example.com")
    link = links.token("bob@example.com")
    assert api.post("/auth/sign-out-everywhere", token=token).status == 204

    assert links.use(link).status == 403


def test_a_new_readers_name_follows_the_sign_up_rules_and_a_refusal_leaves_the_link_working(
        blog: Blog, links: Links) -> None:
    blog.user("taken")
    links.ask("ann@example.com")
    token = links.token("ann@example.com")

    for name, status in (("taken", 409), ("TAKEN", 409), ("root", 409), ("a", 422), ("bad name", 422),
                         ("x" * 33, 422), ("évé", 422), ("ann\u200b", 422)):
        reply = links.use(token, username=name)
        assert reply.status == status, (name, reply.body)
        assert "username" in reply.problem.get("errors", {}), name
    assert links.use(token, username="ann", role="admin").status == 422  # fields by allow-list
    session = links.use(token, username="ann")
    assert session.status == 200 and session.json["user"]["role"] == "reader"


def test_requests_are_limited_per_address_and_per_recipient(blog: Blog, links: Links, clock: Clock) -> None:
    clock.align(3600)
    recipient_limit = email_sign_in_module.RECIPIENT_LIMIT[0]
    for _ in range(recipient_limit):
        assert links.ask("ann@example.com").status == 202

    # The recipient's next request is refused, from any address
    refused = links.ask("ann@example.com", address="203.0.113.9")
    assert refused.status == 429 and refused.headers["retry-after"]
    assert len(to("ann@example.com")) == recipient_limit
    # And one address asking for many recipients is limited too
    others = [links.ask(f"someone{i}@example.com").status for i in range(email_sign_in_module.ADDRESS_LIMIT[0])]
    assert others.count(429) >= 1


@pytest.mark.parametrize("return_to", ["https://evil.example/posts/hello", "https://blog.test.example.evil.example/",
                                       "https://user@blog.test.example/posts/hello", "javascript:alert(1)",
                                       "http://blog.test.example/posts/hello", "//evil.example/"])
def test_a_link_returns_only_to_a_page_of_this_blog(links: Links, return_to: str) -> None:
    reply = links.ask("ann@example.com", return_to=return_to)

    assert reply.status == 422 and "return_to" in reply.problem["errors"], reply.body
    assert to("ann@example.com") == []


def test_a_page_on_a_cors_origin_is_a_place_to_return_to_and_its_fragment_is_dropped(api: Api,
                                                                                   links: Links) -> None:
    links.ask("ann@example.com", return_to="https://reader.example/2026/hello.html?x=1#comments")
    token = links.token("ann@example.com")

    page = api.get(f"/auth/email-link/confirm?token={token}")

    assert f'href="https://reader.example/2026/hello.html?x=1#blog-signin={token}"'.encode() in page.body


def test_bad_requests_are_refused_with_a_clear_message(api: Api) -> None:
    cases: list[tuple[Any, str]] = [({}, "email"), ({"email": "not an address"}, "email"),
                                    ({"email": "ann@example.com", "role": "admin"}, "role"),
                                    ({"email": "ann@example.com", "return_to": "x" * 2000}, "return_to")]
    for body, field in cases:
        reply = api.post("/auth/email-link", body)
        assert reply.status == 422, reply.body
        assert field in reply.problem["errors"]
    assert api.post("/auth/email-link/session", {"username": "ann"}).status == 422
    assert api.post("/auth/email-link/session", ["token"]).status == 422


def test_a_comment_by_a_signed_in_account_is_marked_verified_and_an_anonymous_one_is_not(api: Api, blog: Blog,
                                                                                       links: Links) -> None:
    slug = blog.post(blog.author())["slug"]
    links.ask("ann@example.com")
    session = links.use(links.token("ann@example.com"), username="ann").json["token"]
    blog.comment(slug, token=session)
    blog.comment(slug, author_name="ann")  # the same name, typed by anyone

    listed = api.get(f"/posts/{slug}/comments").json["items"]

    assert [(c["author"]["name"], c["author"]["verified"]) for c in listed] == [("ann", True), ("ann", False)]


def test_sign_in_links_requests_and_their_windows_are_left_out_of_an_export(links: Links) -> None:
    from importer.backup import kind_of
    from tests.conftest import TEST_TABLE

    links.ask("ann@example.com")
    table = boto3.client("dynamodb", region_name="us-east-1")
    items = [deserialize(i) for i in table.scan(TableName=TEST_TABLE)["Items"]]
    signing_in = [i for i in items if str(i["PK"]).startswith(("SIGNINLINK#", "SIGNINRATE#"))]

    assert len(signing_in) == 3  # the link, and the windows of the client address and of the recipient
    assert [kind_of(i) for i in signing_in] == [None, None, None]
