"""Regression tests for what fuzzing /openapi.json found (tests/test_fuzz_openapi.py), each as a plain test.

Each test names the request that disagreed with the document, and what the code and the
document now agree on.
"""

from __future__ import annotations

import pytest

from tests.conftest import Api, Blog
from tests.openapi_document import check_reply, load_document

DOCUMENT = load_document()


# -- GET /posts/{slug}?comments_limit=... ---------------------------------------------------------
# comments_limit was validated only with embed=comments: without it, "?comments_limit=0" was a
# 200 that the document's schema (minimum 1) called invalid, and with it the refusal named `limit`.
# It is now checked whether or not embed is sent, and the refusal names comments_limit.


@pytest.mark.parametrize("query", ["comments_limit=0", "comments_limit=101", "comments_limit=ten",
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
    assert parameters["CommentsLimit"]["schema"] == {**parameters["Limit"]["schema"]}
    assert "whether or not `embed` is sent" in parameters["CommentsLimit"]["description"]
    assert "`comments_limit`" in DOCUMENT["info"]["description"]
