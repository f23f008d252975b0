"""Votes on comments: one per voter, changeable, exact counts, and sorting by score."""

from __future__ import annotations

import pytest

from chalicelib.services import services
from tests.conftest import Api, Blog, Reply


@pytest.fixture
def slug(blog: Blog) -> str:
    return str(blog.post(blog.author(), title="Vote on me")["slug"])


def vote(api: Api, comment_id: str, value: object, token: str | None = None, voter: str | None = None) -> Reply:
    headers = {"X-Voter-Token": voter} if voter else {}
    return api.post(f"/comments/{comment_id}/vote", {"value": value}, token=token, headers=headers)


def test_a_vote_counts_once_per_voter(api: Api, blog: Blog, slug: str) -> None:
    comment = blog.comment(slug)["comment"]["id"]

    first = vote(api, comment, 1, voter="reader-a")
    again = vote(api, comment, 1, voter="reader-a")

    assert first.status == 200 and again.status == 200
    assert again.json["likes"] == 1
    assert again.json["dislikes"] == 0


def test_a_vote_can_be_changed_and_taken_back(api: Api, blog: Blog, slug: str) -> None:
    comment = blog.comment(slug)["comment"]["id"]
    vote(api, comment, 1, voter="reader-a")

    changed = vote(api, comment, -1, voter="reader-a").json
    assert (changed["likes"], changed["dislikes"]) == (0, 1)

    withdrawn = vote(api, comment, 0, voter="reader-a").json
    assert (withdrawn["likes"], withdrawn["dislikes"]) == (0, 0)


def test_different_voters_each_count(api: Api, blog: Blog, slug: str) -> None:
    comment = blog.comment(slug)["comment"]["id"]
    reader = blog.user()

    vote(api, comment, 1, voter="reader-a")
    vote(api, comment, 1, voter="reader-b")
    last = vote(api, comment, -1, token=reader).json

    assert (last["likes"], last["dislikes"]) == (2, 1)
    listed = api.get(f"/posts/{slug}/comments").json["items"][0]
    assert (listed["likes"], listed["dislikes"]) == (2, 1)


def test_a_signed_in_voter_is_one_voter_whatever_their_voter_token(api: Api, blog: Blog, slug: str) -> None:
    comment = blog.comment(slug)["comment"]["id"]
    reader = blog.user()

    vote(api, comment, 1, token=reader, voter="one")
    result = vote(api, comment, 1, token=reader, voter="two").json

    assert result["likes"] == 1


@pytest.mark.parametrize("value", [2, -2, "1", True, None, 1.5])
def test_a_vote_must_be_one_minus_one_or_zero(api: Api, blog: Blog, slug: str, value: object) -> None:
    comment = blog.comment(slug)["comment"]["id"]

    reply = vote(api, comment, value)

    assert reply.status == 422
    assert "value" in reply.problem["errors"]


def test_voting_on_an_unknown_comment_is_not_found(api: Api) -> None:
    assert vote(api, "01J0000000000000000000000Z", 1).status == 404
    assert vote(api, "not-an-id", 1).status == 404


def test_a_held_comment_takes_no_votes(api: Api, blog: Blog, slug: str) -> None:
    from dataclasses import replace

    api.get("/health")  # settings are read inside the stage's environment
    services_now = services()
    from chalicelib import services as services_module

    services_module.reset(replace(services_now.settings, moderation="all"))
    held = api.post(f"/posts/{slug}/comments", {"body": "wait for it", "author_name": "Ann"})
    assert held.status == 202

    assert vote(api, held.json["comment"]["id"], 1).status == 404 or vote(
        api, held.json["comment"]["id"], 1).status == 409


def test_comments_sort_by_score_newest_and_oldest(api: Api, blog: Blog, slug: str) -> None:
    first = blog.comment(slug)["comment"]["id"]
    second = blog.comment(slug)["comment"]["id"]
    third = blog.comment(slug)["comment"]["id"]
    vote(api, second, 1, voter="a")
    vote(api, second, 1, voter="b")
    vote(api, third, -1, voter="a")

    def order(sort: str) -> list[str]:
        reply = api.get(f"/posts/{slug}/comments?sort={sort}")
        assert reply.status == 200, reply.body
        return [c["id"] for c in reply.json["items"]]

    assert order("oldest") == [first, second, third]
    assert order("newest") == [third, second, first]
    assert order("score") == [second, first, third]


def test_score_order_pages_with_a_cursor_of_its_own(api: Api, blog: Blog, slug: str) -> None:
    ids = [blog.comment(slug)["comment"]["id"] for _ in range(5)]
    for n, comment in enumerate(ids):
        for v in range(n):
            vote(api, comment, 1, voter=f"v{v}")

    page = api.get(f"/posts/{slug}/comments?sort=score&limit=2").json
    rest = api.get(f"/posts/{slug}/comments?sort=score&limit=10&cursor={page['next_cursor']}").json
    wrong = api.get(f"/posts/{slug}/comments?sort=newest&cursor={page['next_cursor']}")

    assert [c["id"] for c in page["items"] + rest["items"]] == list(reversed(ids))
    assert wrong.status == 400


def test_an_unknown_sort_is_refused(api: Api, blog: Blog, slug: str) -> None:
    reply = api.get(f"/posts/{slug}/comments?sort=best")

    assert reply.status == 422
    assert "sort" in reply.problem["errors"]
