"""CORS: the test stage lets https://reader.example and https://other.example call the API.

An allowed Origin is echoed (never "*", since the list is explicit) with
Vary: Origin; any other origin gets no allow header; the app answers preflights
itself for every path, including those with parameters.
"""

from __future__ import annotations

import pytest

from tests.conftest import Api, Blog

ALLOWED = ["https://reader.example", "https://other.example"]


@pytest.fixture
def slug(blog: Blog) -> str:
    return str(blog.post(blog.author("alice"), title="Hello world")["slug"])


@pytest.mark.parametrize("origin", ALLOWED)
def test_allowed_origin_is_echoed_and_varies(api: Api, slug: str, origin: str) -> None:
    reply = api.get(f"/posts/{slug}/comments", headers={"Origin": origin})

    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == origin
    assert "Origin" in reply.headers["vary"]
    assert "ETag" in reply.headers["access-control-expose-headers"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://reader.example", "https://reader.example.evil",
                                    "null", "*"])
def test_other_origins_get_no_allow_header(api: Api, slug: str, origin: str) -> None:
    reply = api.get(f"/posts/{slug}/comments", headers={"Origin": origin})

    assert reply.status == 200  # the answer itself is public; only the browser withholds it
    assert "access-control-allow-origin" not in reply.headers
    # A shared cache must still not serve this answer to an allowed origin, or the reverse
    assert "Origin" in reply.headers["vary"]


def test_request_without_an_origin_gets_no_allow_header(api: Api, slug: str) -> None:
    reply = api.get(f"/posts/{slug}/comments")

    assert "access-control-allow-origin" not in reply.headers


def test_refusals_carry_cors_headers_so_the_widget_can_read_them(api: Api, slug: str) -> None:
    reply = api.post(f"/posts/{slug}/comments", {"body": ""}, headers={"Origin": ALLOWED[0]})

    assert reply.status == 422
    assert reply.headers["access-control-allow-origin"] == ALLOWED[0]


def test_preflight_for_posting_a_comment(api: Api, slug: str) -> None:
    reply = api.request("OPTIONS", f"/posts/{slug}/comments", headers={
        "Origin": ALLOWED[0], "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    })

    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == ALLOWED[0]
    methods = {m.strip() for m in reply.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST"} <= methods
    allowed_headers = {h.strip().lower() for h in reply.headers["access-control-allow-headers"].split(",")}
    # The widget sends these from the embedding blog's origin: Idempotency-Key on comments, X-Voter-Token on votes
    assert {"content-type", "authorization", "x-edit-token", "idempotency-key", "x-voter-token"} <= allowed_headers
    assert int(reply.headers["access-control-max-age"]) > 0


def test_preflight_for_editing_a_comment_allows_patch_and_delete(api: Api) -> None:
    reply = api.request("OPTIONS", "/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers={
        "Origin": ALLOWED[1], "Access-Control-Request-Method": "PATCH"})

    assert reply.status == 204
    assert {"PATCH", "DELETE"} <= {m.strip() for m in reply.headers["access-control-allow-methods"].split(",")}
    assert reply.headers["access-control-allow-origin"] == ALLOWED[1]


def test_preflight_from_another_origin_is_not_allowed(api: Api, slug: str) -> None:
    reply = api.request("OPTIONS", f"/posts/{slug}/comments", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})

    assert reply.status < 500
    assert "access-control-allow-origin" not in reply.headers
