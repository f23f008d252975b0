"""Idempotency-Key on POST /posts/{slug}/comments: a retry gets the first answer and creates nothing.

The key is remembered for 24 hours per commenter and post. Time moves through
`clock`; the `dynamo` recorder shows which calls a retry makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.settings import Settings
from tests.conftest import Api, Blog, DynamoCalls, Reply
from tests.settings_steps import Clock

EMAIL = "ann@example.org"


def send(api: Api, slug: str, key: str | None, body: str = "Nice post.", token: str | None = None,
         **fields: Any) -> Reply:
    payload = {"body": body, **({} if token else {"author_name": "Ann", "author_email": EMAIL}), **fields}
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(f"/posts/{slug}/comments", payload, token=token, headers=headers)


def state(api: Api, slug: str) -> tuple[int, list[str]]:
    """The post's count and its listed comments' ids."""
    post = api.get(f"/posts/{slug}")
    listing = api.get(f"/posts/{slug}/comments?limit=100")
    assert post.status == listing.status == 200
    return int(post.json["comment_count"]), [c["id"] for c in listing.json["items"]]


def test_retry_with_the_same_key_gets_the_same_answer_and_creates_once(api: Api, slug: str) -> None:
    first = send(api, slug, "retry-1")
    second = send(api, slug, "retry-1")

    assert first.status == second.status == 201, (first.body, second.body)
    assert second.json == first.json
    assert state(api, slug) == (1, [first.json["comment"]["id"]])


def test_retry_makes_no_write(api: Api, dynamo: DynamoCalls, slug: str) -> None:
    send(api, slug, "retry-1")
    dynamo.clear()

    replayed = send(api, slug, "retry-1")

    assert replayed.status == 201
    assert dynamo.operations == ["BatchGetItem"]


def test_retry_of_a_held_comment_answers_202_again(api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    configure(MODERATION="all")
    first = send(api, slug, "held-1")

    second = send(api, slug, "held-1")

    assert first.status == second.status == 202
    assert second.json == first.json
    assert state(api, slug) == (0, [])


def test_retry_is_answered_even_after_the_comment_changed(api: Api, slug: str) -> None:
    first = send(api, slug, "retry-1")
    comment_id = first.json["comment"]["id"]
    edit = api.patch(f"/comments/{comment_id}", {"body": "Edited"}, headers={"X-Edit-Token": first.json["edit_token"]})
    assert edit.status == 200, edit.body

    second = send(api, slug, "retry-1")

    assert second.json == first.json
    assert state(api, slug) == (1, [comment_id])


def test_same_key_with_another_body_is_refused(api: Api, slug: str) -> None:
    send(api, slug, "retry-1", "First words")

    reply = send(api, slug, "retry-1", "Other words")

    assert reply.status == 422
    assert "Idempotency-Key" in reply.problem["errors"]
    assert state(api, slug)[0] == 1


def test_different_keys_create_different_comments(api: Api, slug: str) -> None:
    first = send(api, slug, "key-1", "First words")
    second = send(api, slug, "key-2", "Second words")

    assert first.status == second.status == 201
    assert state(api, slug) == (2, [first.json["comment"]["id"], second.json["comment"]["id"]])


def test_key_is_forgotten_after_a_day(api: Api, slug: str, clock: Clock) -> None:
    first = send(api, slug, "retry-1")
    clock.advance(24 * 3600 - 1)
    assert send(api, slug, "retry-1").json == first.json

    clock.advance(2)
    later = send(api, slug, "retry-1")

    assert later.status == 201
    assert later.json["comment"]["id"] != first.json["comment"]["id"]
    assert state(api, slug)[0] == 2
    assert send(api, slug, "retry-1").json == later.json


@pytest.mark.parametrize("key", ["has space", "x" * 129, "tab\there", "ünïcode"])
def test_malformed_key_is_refused(api: Api, slug: str, key: str) -> None:
    reply = send(api, slug, key)

    assert reply.status == 422
    assert "Idempotency-Key" in reply.problem["errors"]
    assert state(api, slug) == (0, [])


def test_longest_key_is_accepted(api: Api, slug: str) -> None:
    assert send(api, slug, "k" * 128).status == 201


def test_keys_are_scoped_per_commenter(api: Api, blog: Blog, slug: str) -> None:
    by_ann = send(api, slug, "shared-key", "Ann's words", author_email="ann@example.org")
    by_eve = send(api, slug, "shared-key", "Eve's words", author_email="eve@example.org")
    by_bob = send(api, slug, "shared-key", "Bob's words", token=blog.user("bob"))
    by_cy = send(api, slug, "shared-key", "Cy's words", token=blog.user("cyril"))

    assert [r.status for r in (by_ann, by_eve, by_bob, by_cy)] == [201] * 4
    assert state(api, slug)[0] == 4


def test_same_commenter_with_another_case_of_email_shares_the_key(api: Api, slug: str) -> None:
    send(api, slug, "shared-key", "First words", author_email="ann@example.org")

    # A different request under the same key is refused: the key is the same commenter's
    reply = send(api, slug, "shared-key", "Second words", author_email="ANN@Example.org")

    assert reply.status == 422
    assert "Idempotency-Key" in reply.problem["errors"]
    assert state(api, slug)[0] == 1


def test_key_is_scoped_per_post(api: Api, blog: Blog, author: str, slug: str) -> None:
    other = blog.post(author)["slug"]

    on_first = send(api, slug, "shared-key")
    on_second = send(api, other, "shared-key")

    assert on_first.status == on_second.status == 201
    assert on_first.json["comment"]["id"] != on_second.json["comment"]["id"]


def test_refused_request_does_not_use_up_its_key(api: Api, slug: str, configure: Callable[..., Settings],
                                                 clock: Clock) -> None:
    # Given a rate limit that refuses the request the first time
    configure(COMMENT_RATE_LIMIT="1/60")
    clock.align(60)
    send(api, slug, "other", "Earlier words")
    refused = send(api, slug, "retry-1")
    assert refused.status == 429

    # When it is sent again with the same key once the window has passed
    clock.advance(int(refused.headers["retry-after"]))
    accepted = send(api, slug, "retry-1")

    # Then it is created, not answered with the refusal
    assert accepted.status == 201, accepted.body
    assert state(api, slug)[0] == 2


def test_invalid_request_does_not_use_up_its_key(api: Api, slug: str) -> None:
    assert send(api, slug, "retry-1", "").status == 422

    assert send(api, slug, "retry-1", "Now with words").status == 201
