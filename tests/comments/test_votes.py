"""Votes on comments: one per voter, changeable, exact counts, and sorting by score."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from chalice.local import LambdaEventConverter

from chalicelib.services import services
from chalicelib.settings import Settings, load_settings
from tests.conftest import Api, Blog, DynamoCalls, Reply
from tests.settings_steps import Clock


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

    api.get("/health")  # settings are read inside the stage's environment
    services_now = services()
    from chalicelib import services as services_module

    services_module.reset(services_now.settings.replace(moderation="all"))
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


# -- votes per address -----------------------------------------------------------------------------


@pytest.fixture
def address(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Send the following requests from another source address (requestContext.identity.sourceIp)."""
    def use(ip: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return use


def likes(api: Api, slug: str) -> int:
    return int(api.get(f"/posts/{slug}/comments").json["items"][0]["likes"])


def test_votes_are_limited_per_address_whatever_the_voter_token(api: Api, blog: Blog, slug: str,
                                                                configure: Callable[..., Settings],
                                                                clock: Clock) -> None:
    # Given a limit of three votes a minute, and a comment
    configure(VOTE_RATE_LIMIT="3/60")
    clock.align(60)
    comment = blog.comment(slug)["comment"]["id"]

    # When one address votes five times, each time as a fresh voter
    replies = [vote(api, comment, 1, voter=f"fresh-{n}") for n in range(5)]

    # Then three count and the other two are told when to come back
    assert [r.status for r in replies] == [200, 200, 200, 429, 429]
    refused = replies[3]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "at most 3 votes from one address every 60 s" in refused.problem["detail"]
    assert likes(api, slug) == 3

    # And in the next window the address may vote again
    clock.advance(int(refused.headers["retry-after"]))
    assert vote(api, comment, 1, voter="fresh-5").status == 200
    assert likes(api, slug) == 4


def test_the_vote_limit_counts_each_address_apart_and_signed_in_voters_by_address(
        api: Api, blog: Blog, slug: str, configure: Callable[..., Settings], clock: Clock,
        address: Callable[[str], None]) -> None:
    configure(VOTE_RATE_LIMIT="1/60")
    clock.align(60)
    comment = blog.comment(slug)["comment"]["id"]
    reader = blog.user()

    address("203.0.113.1")
    assert vote(api, comment, 1, voter="a").status == 200
    # An account does not get a window of its own: accounts cost nothing to make
    assert vote(api, comment, 1, token=reader).status == 429

    address("203.0.113.2")
    assert vote(api, comment, 1, token=reader).status == 200
    assert likes(api, slug) == 2


def test_changing_or_taking_back_a_vote_counts_against_the_limit_and_repeating_it_does_not(
        api: Api, blog: Blog, slug: str, configure: Callable[..., Settings], clock: Clock) -> None:
    configure(VOTE_RATE_LIMIT="2/60")
    clock.align(60)
    comment = blog.comment(slug)["comment"]["id"]

    assert vote(api, comment, 1, voter="a").status == 200
    assert vote(api, comment, 1, voter="a").status == 200  # the same vote again writes nothing
    assert vote(api, comment, -1, voter="a").status == 200
    refused = vote(api, comment, 0, voter="a")

    assert refused.status == 429
    stored = api.get(f"/comments/{comment}").json
    assert (stored["likes"], stored["dislikes"]) == (0, 1)


def test_admins_are_exempt_from_the_vote_limit(api: Api, blog: Blog, slug: str,
                                               configure: Callable[..., Settings], clock: Clock) -> None:
    configure(VOTE_RATE_LIMIT="1/60")
    clock.align(60)
    comments = [blog.comment(slug, body=f"c{n}")["comment"]["id"] for n in range(3)]
    admin = blog.admin()

    assert [vote(api, c, 1, token=admin).status for c in comments] == [200, 200, 200]


def test_the_vote_limit_rides_in_the_vote_transaction(api: Api, blog: Blog, dynamo: DynamoCalls, slug: str,
                                                      configure: Callable[..., Settings], clock: Clock) -> None:
    configure(VOTE_RATE_LIMIT="1/60")
    clock.align(60)
    comment = blog.comment(slug)["comment"]["id"]
    vote(api, comment, 1, voter="a")
    dynamo.clear()

    assert vote(api, comment, 1, voter="b").status == 429

    # The reads, then the one transaction the window cancelled: no round trip of its own
    assert dynamo.operations == ["GetItem", "BatchGetItem", "TransactWriteItems"]


def test_the_default_limit_takes_thirty_votes_from_one_address_in_ten_minutes_not_thirty_one(
        api: Api, blog: Blog, slug: str, configure: Callable[..., Settings], clock: Clock) -> None:
    assert load_settings({}).vote_rate_limit == (30, 600)
    configure(VOTE_RATE_LIMIT=Settings.vote_rate_limit.default)
    clock.align(600)
    comments = [blog.comment(slug, body=f"c{n}")["comment"]["id"] for n in range(2)]

    statuses = [vote(api, comments[n % 2], 1, voter=f"fresh-{n}").status for n in range(31)]

    assert statuses == [200] * 30 + [429]
