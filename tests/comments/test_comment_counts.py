"""Specification: GET /counts, the comment counts an index page shows under its posts, many posts per request."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import Api, Blog, DynamoCalls

# Cached as lists are (CACHE_LIST at its defaults: tests/api/test_caching.py).
CACHE = "public, s-maxage=30, max-age=0, stale-while-revalidate=0"


def counts(api: Api, slugs: list[str] | str) -> dict[str, int]:
    raw = slugs if isinstance(slugs, str) else ",".join(quote(s) for s in slugs)
    reply = api.get(f"/counts?posts={raw}")
    assert reply.status == 200, reply.body
    found: dict[str, int] = reply.json["counts"]
    return found


def test_each_post_gets_its_count_of_public_comments_from_one_batch_read(
        api: Api, blog: Blog, author: str, dynamo: DynamoCalls) -> None:
    # Given two posts, one with two comments and one with none
    talked = blog.post(author)["slug"]
    quiet = blog.post(author)["slug"]
    blog.comment(talked)
    blog.comment(talked)
    dynamo.clear()

    # When an index page asks for both
    reply = api.get(f"/counts?posts={talked},{quiet}")

    # Then each has its count, read by one BatchGetItem, and shared caches may keep the answer
    assert reply.status == 200
    assert reply.json == {"counts": {talked: 2, quiet: 0}}
    assert dynamo.operations == ["BatchGetItem"]
    assert reply.headers["cache-control"] == CACHE


def test_unknown_and_unpublished_posts_answer_zero_so_nothing_is_revealed(api: Api, blog: Blog, author: str) -> None:
    draft = blog.post(author, status="draft")["slug"]

    assert counts(api, [draft, "no-such-post"]) == {draft: 0, "no-such-post": 0}


def test_a_repeated_slug_is_counted_once_and_spaces_around_slugs_are_ignored(api: Api, blog: Blog, slug: str) -> None:
    blog.comment(slug)

    assert counts(api, f"{slug},%20{slug}") == {slug: 1}


def test_a_unicode_slug_is_read_percent_encoded(api: Api, blog: Blog, author: str) -> None:
    post = blog.post(author, title="Ünïcödé café")["slug"]
    blog.comment(post)

    assert counts(api, [post]) == {post: 1}


def test_a_hundred_posts_are_one_request_and_slugs_not_found_one_more(api: Api, dynamo: DynamoCalls) -> None:
    slugs = [f"post-{n}" for n in range(100)]
    dynamo.clear()

    assert counts(api, slugs) == dict.fromkeys(slugs, 0)
    # The second: the slugs not found may be a renamed post's (their pointers); found ones cost only the first
    assert dynamo.operations == ["BatchGetItem", "BatchGetItem"]


@pytest.mark.parametrize(("query", "says"), [
    pytest.param("", "is required", id="no-parameter"),
    pytest.param("?posts=", "is required", id="empty"),
    pytest.param("?posts=" + ",".join(f"post-{n}" for n in range(101)), "at most 100", id="over-100"),
    pytest.param("?posts=Upper-Case", "is not a post slug", id="upper-case"),
    pytest.param("?posts=a,,b", "is not a post slug", id="empty-between-commas"),
    pytest.param("?posts=a%2Fb", "is not a post slug", id="slash"),
    pytest.param("?posts=" + "x" * 400, "is not a post slug", id="over-long"),
    pytest.param("?posts=caf%C3%A9%E2%80%AE", "is not a post slug", id="bidi-override"),
    pytest.param("?posts=e%CC%81", "is not a post slug", id="not-nfc"),
    pytest.param("?posts=a%00b", "is not a post slug", id="nul"),
])
def test_bad_slug_lists_are_refused_naming_the_parameter(api: Api, dynamo: DynamoCalls, query: str, says: str) -> None:
    dynamo.clear()
    reply = api.get(f"/counts{query}")

    assert reply.status == 422, reply.body
    assert says in reply.problem["errors"]["posts"][0]
    assert dynamo.operations == []


def test_a_refusal_quotes_a_long_bad_slug_shortened(api: Api) -> None:
    reply = api.get("/counts?posts=" + "X" * 300)

    assert len(reply.problem["errors"]["posts"][0]) < 120


def test_the_count_follows_comments_as_they_are_deleted(api: Api, blog: Blog, slug: str) -> None:
    written = blog.comment(slug)
    blog.comment(slug)

    reply = api.delete(f"/comments/{written['comment']['id']}", headers={"X-Edit-Token": written["edit_token"]})

    assert reply.status == 204, reply.body
    assert counts(api, [slug]) == {slug: 1}
