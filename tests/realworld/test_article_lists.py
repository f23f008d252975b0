"""Specification: GET /api/articles — offset pages, filters, counts and what a page costs.

Conduit pages by limit and offset and reports articlesCount, the size of the
whole result, on every page. Each list here is walked page by page: the pages
must hold exactly the expected articles, newest first, with no repeats.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import DynamoCalls
from tests.realworld.conftest import Conduit, conduit_error, seeding

MANY = 25
LIMIT = 10

# The shelf fixture's tokens (alice, bob) and slugs (dragons, everything), newest first.
Shelf = dict[str, Any]


def walk(conduit: Conduit, query: str, expected_total: int, token: str | None = None) -> list[dict[str, Any]]:
    """Read offsets 0, LIMIT, 2*LIMIT… up to the first empty page; check every page's size and count."""
    seen: list[dict[str, Any]] = []
    for offset in range(0, expected_total + LIMIT + 1, LIMIT):
        page = conduit.articles(f"{query}&limit={LIMIT}&offset={offset}".lstrip("&"), token=token)
        assert page["articlesCount"] == expected_total, (offset, page["articlesCount"])
        assert len(page["articles"]) == max(0, min(LIMIT, expected_total - offset)), offset
        if not page["articles"]:
            return seen
        seen.extend(page["articles"])
    raise AssertionError("the list never ran out")


def assert_walks_to(conduit: Conduit, query: str, expected_newest_first: list[str], token: str | None = None) -> None:
    articles = walk(conduit, query, len(expected_newest_first), token)
    slugs = [a["slug"] for a in articles]
    assert len(slugs) == len(set(slugs)), "an article appeared on two pages"
    assert slugs == expected_newest_first
    created = [a["createdAt"] for a in articles]
    assert created == sorted(created, reverse=True)


@pytest.fixture
def shelf(conduit: Conduit, monkeypatch: pytest.MonkeyPatch) -> Shelf:
    """MANY articles by alice tagged "dragons", and two untagged ones by bob in between."""
    alice = conduit.register("alice")
    bob = conduit.register("bob")
    dragons: list[str] = []
    everything: list[str] = []
    with seeding(monkeypatch):
        for i in range(MANY):
            dragons.append(conduit.article(alice, tags=["dragons"])["slug"])
            everything.append(dragons[-1])
            if i in (3, 17):
                everything.append(conduit.article(bob)["slug"])
    return {"alice": alice, "bob": bob, "dragons": dragons[::-1], "everything": everything[::-1]}


def test_all_articles_come_in_pages_newest_first_with_the_total_on_each(conduit: Conduit, shelf: Shelf) -> None:
    assert_walks_to(conduit, "", shelf["everything"])


def test_a_tag_pages_through_exactly_its_articles(conduit: Conduit, shelf: Shelf) -> None:
    assert_walks_to(conduit, "tag=dragons", shelf["dragons"])


def test_an_author_pages_through_exactly_their_articles(conduit: Conduit, shelf: Shelf) -> None:
    assert_walks_to(conduit, "author=alice", shelf["dragons"])


def test_favorites_page_through_exactly_what_the_user_favorited(conduit: Conduit, shelf: Shelf,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Favorited in the order the articles were written, so newest first holds either way:
    # by the articles' dates (Conduit's order) and by when they were favorited.
    carol = conduit.register("carol")
    with seeding(monkeypatch):
        for slug in reversed(shelf["dragons"]):
            assert conduit.post(f"/articles/{slug}/favorite", token=carol).status == 200

    assert_walks_to(conduit, "favorited=carol", shelf["dragons"], token=carol)
    assert all(a["favorited"] for a in walk(conduit, "favorited=carol", MANY, token=carol))
    assert not any(a["favorited"] for a in conduit.articles("favorited=carol", token=shelf["bob"])["articles"])


def test_a_list_article_has_the_specs_fields_but_no_body(conduit: Conduit) -> None:
    conduit.article(conduit.register("alice"))

    article = conduit.articles()["articles"][0]

    assert set(article) == {"slug", "title", "description", "tagList", "createdAt", "updatedAt",
                            "favorited", "favoritesCount", "author"}


def test_an_offset_past_the_end_gives_no_articles_and_the_full_count(conduit: Conduit) -> None:
    alice = conduit.register("alice")
    for _ in range(3):
        conduit.article(alice, tags=["dragons"])

    for query in ("", "tag=dragons&", "author=alice&"):
        for offset in (3, 8, 1000):
            page = conduit.articles(f"{query}offset={offset}")
            assert page == {"articles": [], "articlesCount": 3}, (query, offset)


def test_a_filter_that_matches_nothing_gives_an_empty_list(conduit: Conduit) -> None:
    conduit.article(conduit.register("alice"), tags=["dragons"])

    for query in ("tag=nothing-has-this", "author=nobody", "favorited=nobody", "favorited=alice",
                  "tag=" + "x" * 300, "author=no%20such%20name", "author=" + "a" * 300):
        assert conduit.articles(query) == {"articles": [], "articlesCount": 0}, query


BAD_WINDOWS = ["limit=0", "limit=-1", "limit=abc", "limit=101", "limit=1.5", "limit=", "limit=%C2%B2",
               "limit=" + "9" * 5000, "offset=-1", "offset=abc", "offset=1e3", "offset=10001",
               "offset=" + "9" * 5000]


@pytest.mark.parametrize("path", ["/articles", "/articles/feed"])
def test_a_bad_limit_or_offset_is_refused_with_422(conduit: Conduit, path: str) -> None:
    token = conduit.register("alice")

    for window in BAD_WINDOWS:
        reply = conduit.get(f"{path}?{window}", token=token)
        errors = conduit_error(reply, 422)
        assert window.split("=")[0] in errors, (window, errors)


def test_the_largest_limit_and_a_zero_offset_are_accepted(conduit: Conduit) -> None:
    conduit.article(conduit.register("alice"))

    page = conduit.articles("limit=100&offset=0")

    assert page["articlesCount"] == 1 and len(page["articles"]) == 1


def test_filtering_by_two_things_at_once_is_refused_with_422(conduit: Conduit) -> None:
    conduit.register("alice")

    conduit_error(conduit.get("/articles?tag=dragons&author=alice"), 422)


def test_a_page_of_articles_costs_three_dynamodb_calls_signed_in_or_not(conduit: Conduit,
                                                                            dynamo: DynamoCalls) -> None:
    alice = conduit.register("alice")
    bob = conduit.register("bob")
    carol = conduit.register("carol")
    for i in range(12):
        slug = conduit.article(alice if i % 2 else bob)["slug"]
        if i % 3 == 0:
            conduit.post(f"/articles/{slug}/favorite", token=carol)
    conduit.post("/profiles/alice/follow", token=carol)

    for token in (None, carol):
        dynamo.clear()
        page = conduit.articles("limit=10", token=token)
        assert len(page["articles"]) == 10 and page["articlesCount"] == 12
        # Query (GSI1, newest ten), GetItem (the posts counter), and one BatchGetItem
        # for the authors' profiles plus, for a signed-in caller, their follows and
        # favorites of the page's articles. Nothing else, whoever is asking. (That is
        # at most 3 keys per article: a page of up to 33, the default 20 included,
        # always fits the one BatchGetItem; see the page of 100 below.) A token is
        # checked against its account in that same BatchGetItem, before the page is answered.
        assert dynamo.operations == ["Query", "GetItem", "BatchGetItem"], dynamo.operations

    favorited = [a["favorited"] for a in page["articles"]]
    assert any(favorited) and not all(favorited)
    following = {a["author"]["username"]: a["author"]["following"] for a in page["articles"]}
    assert following == {"alice": True, "bob": False}


def test_a_full_page_of_100_reads_for_a_signed_in_caller(conduit: Conduit, dynamo: DynamoCalls,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # 100 articles of one author, seen by a signed-in reader: the author, the follow and
    # 100 favorites are 102 keys, more than one BatchGetItem may ask for (100).
    alice = conduit.register("alice")
    with seeding(monkeypatch):
        slugs = [conduit.article(alice)["slug"] for _ in range(101)]
    bob = conduit.register("bob")
    conduit.post(f"/articles/{slugs[-1]}/favorite", token=bob)
    conduit.post("/profiles/alice/follow", token=bob)

    dynamo.clear()
    page = conduit.articles("limit=100", token=bob)

    assert [a["slug"] for a in page["articles"]] == slugs[:0:-1]
    assert page["articlesCount"] == 101
    assert [a["favorited"] for a in page["articles"]] == [True] + [False] * 99
    assert all(a["author"]["following"] for a in page["articles"])
    # (bob's token is checked against his account in the relations' reads: the 103rd key)
    assert dynamo.operations == ["Query", "GetItem", "BatchGetItem", "BatchGetItem"], dynamo.operations
