"""Idempotency-Key on post creation: a retry gets the first answer and writes nothing new."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Blog, DynamoCalls, Reply


def create(api: Api, token: str, key: str, **fields: Any) -> Reply:
    payload = {"title": "Once only", "body": "Written **once**.", **fields}
    return api.post("/posts", payload, token=token, headers={"Idempotency-Key": key})


def test_a_retried_post_creation_creates_one_post(api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    author = blog.author()
    first = create(api, author, "draft-1")
    dynamo.clear()

    again = create(api, author, "draft-1")

    assert first.status == again.status == 201
    assert again.json == first.json
    assert "TransactWriteItems" not in dynamo.operations
    slugs = [p["slug"] for p in api.get("/posts").json["items"]]
    assert slugs == ["once-only"]


def test_the_same_key_for_a_different_post_is_refused(api: Api, blog: Blog) -> None:
    author = blog.author()
    create(api, author, "k")

    other = create(api, author, "k", title="Something else")

    assert other.status == 422
    assert "Idempotency-Key" in other.problem["errors"]


def test_keys_belong_to_their_author(api: Api, blog: Blog) -> None:
    ann, bob = blog.author(), blog.author()

    mine = create(api, ann, "same-key")
    theirs = create(api, bob, "same-key")

    assert mine.status == theirs.status == 201
    assert mine.json["slug"] != theirs.json["slug"]


def test_without_a_key_each_request_creates_a_post(api: Api, blog: Blog) -> None:
    author = blog.author()
    payload = {"title": "Twice", "body": "Twice."}

    api.post("/posts", payload, token=author)
    api.post("/posts", payload, token=author)

    assert sorted(p["slug"] for p in api.get("/posts").json["items"]) == ["twice", "twice-2"]
