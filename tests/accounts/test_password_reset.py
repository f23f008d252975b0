"""Password reset by a mailed link: the same answer for every address, a link that works once, within the hour.

POST /auth/password-reset records the request; the table's stream mails a link only to an
address that has an account. The link names the account's id and token_version: setting
the password moves the version on, which spends the link and ends every older session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import pytest

from chalicelib.blog import password_resets as password_resets_module
from chalicelib.store import keys
from tests.accounts.mailed_links import MailedLinks
from tests.conftest import PASSWORD, Api, Blog, Reply, login
from tests.importer.steps import import_file
from tests.notifications.test_notifications import Stream, to

# The mail fixtures of the notifications' tests: NOTIFY_FROM set, moto's SES with the sender verified, the stream.
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.settings_steps import Clock

NEW = "a freshly chosen passphrase"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Resets(MailedLinks):
    """Asking for links, as a reader would, and reading them from the outbox."""

    def __init__(self, api: Api, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(api, stream, monkeypatch, route="/auth/password-reset", service=password_resets_module,
                         request_key=keys.reset_request, link=r"https?://[^/\s]+(/auth/password-reset/confirm\?token=\S+)")

    def ask(self, email: str, address: str = "") -> Reply:
        """POST /auth/password-reset (from ``address``, when given), then the stream delivers the request item."""
        return self.request({"email": email}, address)

    def use(self, link: str, password: str = NEW) -> Reply:
        return self.api.post(link, {"password": password})


@pytest.fixture
def resets(api: Api, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> Resets:
    return Resets(api, stream, monkeypatch)


def test_the_answer_never_tells_whether_the_address_has_an_account(blog: Blog, resets: Resets) -> None:
    blog.user("bob")

    known = resets.ask("bob@example.com")
    unknown = resets.ask("nobody@example.com")

    assert known.status == unknown.status == 202
    assert known.body == unknown.body
    assert len(to("bob@example.com")) == 1
    assert to("nobody@example.com") == []


def test_the_link_page_changes_nothing_and_its_form_sets_the_password(api: Api, blog: Blog,
                                                                      resets: Resets) -> None:
    # Given bob signed in on a device, who asks for a link
    device = blog.user("bob")
    resets.ask("bob@example.com")
    link = resets.link("bob@example.com")

    # When he opens the page (as a mail scanner would too)
    page = api.get(link)

    # Then nothing changed, and the page asks for the new password
    assert page.status == 200 and b'type="password"' in page.body and b"bob" in page.body
    assert page.headers["referrer-policy"] == "no-referrer" and "default-src 'none'" in page.headers[
        "content-security-policy"]
    assert login(api, "bob@example.com").status == 200
    # When the page's form posts the new password
    done = api.post(link, raw=f"password={quote(NEW)}", headers=FORM)
    # Then it is set, and every older session has ended
    assert done.status == 200 and b"password is set" in done.body, done.body
    assert login(api, "bob@example.com", NEW).status == 200
    assert login(api, "bob@example.com", PASSWORD).status == 401
    assert api.get("/auth/me", token=device).status == 401


def test_a_json_client_is_signed_in_by_the_answer(api: Api, blog: Blog, resets: Resets) -> None:
    blog.user("bob")
    resets.ask("bob@example.com")

    reply = resets.use(resets.link("bob@example.com"))

    assert reply.status == 200, reply.body
    assert reply.json["user"]["username"] == "bob"
    assert api.get("/auth/me", token=reply.json["token"]).status == 200


def test_a_link_works_once(api: Api, blog: Blog, resets: Resets) -> None:
    blog.user("bob")
    resets.ask("bob@example.com")
    link = resets.link("bob@example.com")
    assert resets.use(link).status == 200

    replay = resets.use(link, "yet another passphrase")

    assert replay.status == 403, replay.body
    assert login(api, "bob@example.com", NEW).status == 200
    assert api.get(link).status == 403


@pytest.mark.parametrize("spend", ["password change", "sign out everywhere", "role change"])
def test_a_link_mailed_before_the_sessions_changed_no_longer_works(api: Api, blog: Blog, resets: Resets,
                                                                    spend: str) -> None:
    token = blog.user("bob")
    resets.ask("bob@example.com")
    link = resets.link("bob@example.com")
    if spend == "password change":
        assert api.put("/api/user", {"user": {"password": "changed meanwhile ok"}},
                       headers={"Authorization": f"Token {token}"}).status == 200
    elif spend == "sign out everywhere":
        assert api.post("/auth/sign-out-everywhere", token=token).status == 204
    else:
        assert api.put("/users/bob/role", {"role": "author"}, token=blog.admin()).status == 200

    assert resets.use(link).status == 403
    assert login(api, "bob@example.com", NEW).status == 401


def test_an_expired_link_is_refused(api: Api, blog: Blog, resets: Resets, clock: Clock) -> None:
    blog.user("bob")
    resets.ask("bob@example.com")
    link = resets.link("bob@example.com")
    clock.advance(seconds=password_resets_module.LINK_SECONDS + 1)

    reply = resets.use(link)

    assert reply.status == 403 and "expired" in reply.problem["detail"]
    assert login(api, "bob@example.com").status == 200


def _altered(link: str, part: int, value: str) -> str:
    path, token = link.split("?token=")
    parts = token.rsplit(".", 4)
    parts[part] = value
    return f"{path}?token={'.'.join(parts)}"


def test_forged_and_altered_links_are_refused(api: Api, blog: Blog, resets: Resets) -> None:
    blog.user("bob")
    blog.user("carol")
    resets.ask("bob@example.com")
    link = resets.link("bob@example.com")
    carol = api.get("/auth/me", token=blog.login("carol")).json["token"]
    carol_id = jwt.decode(carol, options={"verify_signature": False})["sub"]
    far_future = "9999999999"

    for forged in (_altered(link, 0, "carol"), _altered(link, 1, carol_id), _altered(link, 2, "7"),
                   _altered(link, 3, far_future), _altered(link, 4, "A" * 22), link + "x",
                   "/auth/password-reset/confirm?token=bob.%00.1.2.3",
                   "/auth/password-reset/confirm?token=" + "é" * 60):
        assert resets.use(forged).status == 403, forged
        assert api.get(forged).status == 403, forged
    assert api.get("/auth/password-reset/confirm").status == 400
    assert resets.use("/auth/password-reset/confirm").status == 400
    assert login(api, "carol@example.com").status == 200


def test_a_link_to_a_deleted_account_does_not_open_the_next_owner_of_its_name(api: Api, blog: Blog,
                                                                             resets: Resets) -> None:
    # Given bob's link, then bob deleted and the name taken by someone else
    token = blog.user("bob")
    resets.ask("bob@example.com")
    link = resets.link("bob@example.com")
    assert api.request("DELETE", "/me", {"comments": "tombstone", "current_password": PASSWORD},
                       token=token).status == 204
    assert api.post("/auth/signup", {"username": "bob", "email": "other-bob@example.com",
                                     "password": PASSWORD}).status == 201

    assert resets.use(link).status == 403
    assert login(api, "other-bob@example.com").status == 200


def test_the_new_password_follows_the_sign_up_rules_and_a_refusal_leaves_the_link_working(
        api: Api, blog: Blog, resets: Resets) -> None:
    blog.user("bob")
    resets.ask("bob@example.com")
    link = resets.link("bob@example.com")

    for weak, why in (("password", "most common"), ("abcdefgh", "sequence"), ("short", "at least")):
        reply = resets.use(link, weak)
        assert reply.status == 422, reply.body
        assert why in reply.problem["errors"]["password"][0]
    assert api.post(link, {"password": NEW, "username": "root"}).status == 422  # fields by allow-list
    assert resets.use(link).status == 200


def test_requests_are_limited_per_address_and_per_recipient(blog: Blog, resets: Resets, clock: Clock) -> None:
    clock.align(3600)
    blog.user("bob")
    recipient_limit = password_resets_module.RECIPIENT_LIMIT[0]
    for _ in range(recipient_limit):
        assert resets.ask("bob@example.com").status == 202

    # The recipient's next request is refused, from any address
    refused = resets.ask("bob@example.com", address="203.0.113.9")
    assert refused.status == 429 and refused.headers["retry-after"]
    assert len(to("bob@example.com")) == recipient_limit
    # And one address asking for many recipients is limited too
    others = [resets.ask(f"someone{i}@example.com").status for i in range(password_resets_module.ADDRESS_LIMIT[0])]
    assert others.count(429) >= 1


def test_bad_requests_are_refused_with_a_clear_message(api: Api) -> None:
    cases: list[tuple[Any, str]] = [({}, "email"), ({"email": "not an address"}, "email"),
                                    ({"email": "bob@example.com", "role": "admin"}, "role")]
    for body, field in cases:
        reply = api.post("/auth/password-reset", body)
        assert reply.status == 422, reply.body
        assert field in reply.problem["errors"]


def test_an_imported_author_sets_a_password_by_reset_then_writes_a_post(api: Api, resets: Resets,
                                                                        tmp_path: Path) -> None:
    """Given an author brought in from WordPress with the address its export gives, and no password,"""
    export = tmp_path / "wordpress.xml"
    export.write_text(IMPORTED_AUTHOR_WXR, encoding="utf-8")
    import_file(export)
    assert login(api, "editor@wp.example", PASSWORD).status == 401

    resets.ask("editor@wp.example")  # when they ask for a reset and follow the mailed link,
    assert resets.use(resets.link("editor@wp.example")).status == 200

    signed_in = login(api, "editor@wp.example", NEW)  # then they sign in with their new password,
    assert signed_in.status == 200, signed_in.body
    token = signed_in.json["token"]
    written = api.post("/posts", {"title": "My first post here", "body": "Moved in.", "status": "published"},
                       token=token)
    assert written.status == 201, written.body  # and write as the author of their imported posts
    assert written.json["author"] == api.get("/posts/imported-by-editor").json["author"] == "editor"


IMPORTED_AUTHOR_WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
 <wp:author><wp:author_login>editor</wp:author_login><wp:author_email>editor@wp.example</wp:author_email></wp:author>
 <item><title>Imported by editor</title><link>https://wp.example/imported-by-editor/</link>
  <dc:creator>editor</dc:creator><content:encoded>Text.</content:encoded>
  <wp:post_id>1</wp:post_id><wp:post_date_gmt>2020-02-02 10:00:00</wp:post_date_gmt>
  <wp:post_name>imported-by-editor</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
</channel></rss>
"""
