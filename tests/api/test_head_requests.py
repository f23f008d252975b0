"""Specification: every GET route answers HEAD with the GET's status and headers, and no body.

Caches revalidate, link checkers probe and feed readers poll with HEAD; a 405
there reads as a dead link. The routes come from the OpenAPI document (which
test_openapi.py holds to the registered routes), so a new GET route is covered
without a line here.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.blog import clock
from chalicelib.services import services
from chalicelib.store import keys
from tests.conftest import Api, Blog, Reply
from tests.openapi_document import load_document, operations
from tests.sign_in_steps import sign_in_link

# A route whose only success is a redirect (OIDC's start and callback, which need an issuer) has its HEAD tested
# beside it (tests/accounts/test_oidc_sign_in.py).
_DOCUMENT = load_document()
GET_PATHS = [path for path, method in operations(_DOCUMENT) if method == "get"
             and any(code.startswith("2") for code in _DOCUMENT["paths"][path]["get"]["responses"])]
# Headers that may differ between two answers to the same request.
PER_REQUEST = {"content-length", "x-request-id"}


def comparable(reply: Reply) -> dict[str, str]:
    return {name: value for name, value in reply.headers.items() if name not in PER_REQUEST}


@pytest.fixture
def urls(api: Api, blog: Blog, configure: Any) -> dict[str, str]:
    configure(DEMO_PAGES="true")
    author = blog.author()
    slug = str(blog.post(author, title="Heads up", labels=["jazz"])["slug"])
    comment = blog.comment(slug, body="A comment")
    fills = {"{slug}": slug, "{comment_id}": str(comment["comment"]["id"]), "{name}": "demo.js"}
    found = {}
    for path in GET_PATHS:
        url = path
        for placeholder, value in fills.items():
            url = url.replace(placeholder, value)
        found[path] = url
    found["/counts"] = f"/counts?posts={slug}"
    found["/search"] = "/search?q=heads"
    found["/moderation/comments/search"] = "/moderation/comments/search?q=heads"
    found["/i18n/{name}"] = "/i18n/de.json"
    found["/admin/{name}"] = "/admin/admin.js"
    notifications = services().notifications
    found["/unsubscribe"] = "/unsubscribe?token=" + notifications.unsubscribe_token("reader@example.com")
    found["/email/confirm"] = "/email/confirm?token=" + notifications.confirm_token("reader@example.com",
                                                                                      clock.epoch() + 3600)
    held = services().moderation.threads.locate(str(comment["comment"]["id"]))
    root = services().table.get(keys.user("root"))
    assert root is not None
    link = services().moderation_mail.link(held, "approve", root, clock.epoch() + 3600)
    found["/moderation/by-mail"] = link.removeprefix(services().settings.api_url)
    found["/data-requests/confirm"] = "/data-requests/confirm?token=" + services().personal_data.link_token(
        "0" * 32, "export", "01J00000000000000000000000", clock.epoch() + 3600)
    subscriptions, digest = services().subscriptions, services().antispam.email_hash("reader@example.com")
    found["/subscriptions/confirm"] = (f"/subscriptions/confirm?post={slug}&token="
                                       + subscriptions.confirm_token(slug, digest, clock.epoch()))
    found["/subscriptions/unsubscribe"] = (f"/subscriptions/unsubscribe?post={slug}&token="
                                           + subscriptions.stop_token(slug, digest))
    account = services().table.get(keys.user("root"))
    assert account is not None
    found["/auth/password-reset/confirm"] = "/auth/password-reset/confirm?token=" + services().password_resets.token(
        account, clock.epoch() + 3600)
    found["/auth/email-link/confirm"] = "/auth/email-link/confirm?token=" + sign_in_link(clock.epoch() + 3600)
    return found


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_answers_what_get_answers_without_the_body(api: Api, blog: Blog, urls: dict[str, str],
                                                        path: str) -> None:
    # Given what a GET of the route answers (as the admin, who may read every route)
    token = blog.admin()
    got = api.get(urls[path], token=token)
    assert 200 <= got.status < 300, (path, got.status, got.body[:200])
    assert got.body
    # When the same request is sent as HEAD
    head = api.request("HEAD", urls[path], token=token)
    # Then the status and headers are the GET's, and there is no body
    assert head.status == got.status
    assert comparable(head) == comparable(got)
    assert head.body == b""


def test_head_of_a_refusal_keeps_its_status_and_sends_no_body(api: Api) -> None:
    got = api.get("/posts/no-such-post")
    head = api.request("HEAD", "/posts/no-such-post")

    assert got.status == head.status == 404
    assert head.headers["content-type"] == "application/problem+json"
    assert head.body == b""


def test_head_of_a_cached_file_answers_304_to_its_etag(api: Api) -> None:
    etag = api.get("/widget.js").headers["etag"]

    head = api.request("HEAD", "/widget.js", headers={"If-None-Match": etag})

    assert head.status == 304
    assert head.body == b""


def test_writes_are_not_answered_to_head(api: Api) -> None:
    # /comments/{id}/vote is POST only: HEAD is added beside GET, never in place of it
    assert api.request("HEAD", "/comments/x/vote").status == 405
