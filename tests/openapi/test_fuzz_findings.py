"""Regression tests for what fuzzing /openapi.json found (tests/openapi/test_fuzz_openapi.py), each as a plain test.

Each test names the request that disagreed with the document, and what the code and the
document now agree on.
"""

from __future__ import annotations

import pytest

from chalicelib.services import services
from tests.conftest import Api, Blog
from tests.openapi_document import check_reply, load_document

DOCUMENT = load_document()


# -- GET /posts/{slug}?comments_limit=... ---------------------------------------------------------
# comments_limit was validated only with embed=comments: without it, "?comments_limit=0" was a
# 200 that the document's schema (minimum 1) called invalid, and with it the refusal named `limit`.
# It is now checked whether or not embed is sent, and the refusal names comments_limit.


@pytest.mark.parametrize("query", ["comments_limit=0", "comments_limit=301", "comments_limit=ten",
                                   "comments_limit=", "embed=comments&comments_limit=0"])
def test_a_bad_comments_limit_is_refused_with_or_without_embed(api: Api, slug: str, query: str) -> None:
    reply = api.get(f"/posts/{slug}?{query}")
    assert reply.status == 422, reply.body
    assert list(reply.problem["errors"]) == ["comments_limit"]
    check_reply(DOCUMENT, reply, "/posts/{slug}", "get")


def test_a_good_comments_limit_without_embed_changes_nothing(api: Api, blog: Blog, slug: str) -> None:
    blog.comment(slug)
    plain = api.get(f"/posts/{slug}")
    limited = api.get(f"/posts/{slug}?comments_limit=1")
    assert limited.status == 200, limited.body
    assert limited.json == plain.json
    assert "comments" not in limited.json
    check_reply(DOCUMENT, limited, "/posts/{slug}", "get")


def test_the_document_says_comments_limit_is_checked_without_embed() -> None:
    parameters = DOCUMENT["components"]["parameters"]
    assert {"$ref": "#/components/parameters/CommentsLimit"} in DOCUMENT["paths"]["/posts/{slug}"]["get"]["parameters"]
    assert parameters["CommentsLimit"]["schema"] == {**parameters["ThreadLimit"]["schema"]}
    assert "whether or not `embed` is sent" in parameters["CommentsLimit"]["description"]
    assert "`comments_limit`" in DOCUMENT["info"]["description"]


# -- 415: a Content-Type the route does not take -------------------------------------------------
# Chalice refuses it before any view runs, on every method (a GET with "Content-Type:
# multipart/form-data" too), with its own {"Code", "Message"} body: an undocumented status in a
# body that was not a problem document. It is now a problem document, and documented everywhere.


@pytest.mark.parametrize(("method", "path", "template"), [
    ("GET", "/health", "/health"),
    ("GET", "/posts", "/posts"),
    ("POST", "/posts", "/posts"),
    ("POST", "/auth/login", "/auth/login"),
])
def test_a_content_type_the_route_does_not_take_is_a_documented_problem(
        api: Api, author: str, method: str, path: str, template: str) -> None:
    reply = api.request(method, path, raw=b'{"title": "t", "body": "b"}', token=author,
                        headers={"Content-Type": "multipart/form-data"})
    assert reply.status == 415, reply.body
    assert reply.problem["detail"] == "Unsupported media type: multipart/form-data"
    check_reply(DOCUMENT, reply, template, method.lower())


def test_the_realworld_api_keeps_chalices_own_refusal(api: Api) -> None:
    reply = api.request("POST", "/api/users/login", raw=b"{}", headers={"Content-Type": "text/plain"})
    assert reply.status == 415, reply.body
    assert set(reply.json) == {"Code", "Message"}


# -- headers whose documented limits the code never applied ----------------------------------------
# X-Edit-Token was documented with maxLength 128, but a token is only ever right or wrong: a long
# one is ignored where none is needed (reading an approved comment: 200) and refused where one is.
# X-Voter-Token was documented with minLength 1, but an empty header counts as none (200);
# so does an empty Idempotency-Key.


def test_any_edit_token_is_only_right_or_wrong(api: Api, blog: Blog, slug: str) -> None:
    comment_id = blog.comment(slug)["comment"]["id"]
    long_token = {"X-Edit-Token": "0" * 129}
    read = api.get(f"/comments/{comment_id}", headers=long_token)
    assert read.status == 200, read.body
    check_reply(DOCUMENT, read, "/comments/{comment_id}", "get")
    edit = api.patch(f"/comments/{comment_id}", {"body": "Edited."}, headers=long_token)
    assert edit.status == 403, edit.body
    check_reply(DOCUMENT, edit, "/comments/{comment_id}", "patch")
    assert "maxLength" not in DOCUMENT["components"]["parameters"]["EditToken"]["schema"]


@pytest.mark.parametrize(("voter", "status"), [("", 200), ("v" * 128, 200), ("v" * 129, 422)])
def test_an_empty_voter_token_counts_as_none(api: Api, blog: Blog, slug: str, voter: str, status: int) -> None:
    comment_id = blog.comment(slug)["comment"]["id"]
    reply = api.post(f"/comments/{comment_id}/vote", {"value": 1}, headers={"X-Voter-Token": voter})
    assert reply.status == status, reply.body
    check_reply(DOCUMENT, reply, "/comments/{comment_id}/vote", "post")


# Idempotency-Key was documented with minLength 1, but an empty header counts as none too (a 201
# with no key kept); a key that is not 1-128 printable ASCII characters is still a 422.


@pytest.mark.parametrize(("key", "status"), [("", 201), ("k" * 128, 201), ("k" * 129, 422), ("two words", 422)])
def test_an_empty_idempotency_key_counts_as_none(api: Api, slug: str, key: str, status: int) -> None:
    reply = api.post(f"/posts/{slug}/comments", {"body": f"Key {key!r:.20}", "author_name": "Ann"},
                     headers={"Idempotency-Key": key})
    assert reply.status == status, reply.body
    check_reply(DOCUMENT, reply, "/posts/{slug}/comments", "post")


# -- POST /unsubscribe reads no body ---------------------------------------------------------------
# The document required List-Unsubscribe=One-Click, but the signed token is the only proof the code
# reads (RFC 8058 asks nothing more): any form body is accepted, and the document now says so.


@pytest.mark.parametrize("body", [b"List-Unsubscribe=Something-Else", b"", b"unrelated=1"])
def test_unsubscribing_reads_only_the_token(api: Api, slug: str, body: bytes) -> None:
    # (services() as the test stage's requests build it: the slug fixture has sent some)
    token = services().notifications.unsubscribe_token("bob@example.com")
    reply = api.post(f"/unsubscribe?token={token}", raw=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200, reply.body
    check_reply(DOCUMENT, reply, "/unsubscribe", "post")


# -- POST /posts/{slug}/comments, found once challenge_token joined the body ---------------------
# An admin's comment with a filled honeypot ("homepage": "\u0084") was a 201, though the document's
# pattern (^\s*$) calls it invalid: the trap was checked with the anti-spam limits admins skip. And a
# website the request pattern takes ("HtTp://W@|®#…") came back where the response said `format: uri`.


def test_a_filled_honeypot_is_refused_from_an_admin_too(api: Api, blog: Blog, slug: str) -> None:
    reply = api.post(f"/posts/{slug}/comments", {"body": "An admin's trap.", "homepage": "\u0084"},
                     token=blog.admin())
    assert reply.status == 422, reply.body
    assert list(reply.problem["errors"]) == ["homepage"]


def test_a_website_the_request_takes_comes_back_as_the_document_says(api: Api, slug: str) -> None:
    website = "HtTp://W@|\u00ae#\U0008e70a"
    reply = api.post(f"/posts/{slug}/comments", {"body": "With an odd website.", "author_website": website})
    assert reply.status == 201, reply.body
    assert reply.json["comment"]["author"]["website"] == website
    check_reply(DOCUMENT, reply, "/posts/{slug}/comments", "post")
    # "|" and letters of other scripts are no RFC 3986 URI (schemathesis's `uri` check refused this one): the
    # document claims no such format for what comes back as typed
    assert "format" not in DOCUMENT["components"]["schemas"]["CommentAuthor"]["properties"]["website"]
