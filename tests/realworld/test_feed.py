"""Specification: GET /api/articles/feed — the newest articles of the people the caller follows."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.realworld.conftest import Conduit, conduit_error

# Each writer's token, and who wrote which slug, in the order written.
Writers = tuple[dict[str, str], list[tuple[str, str]]]


@pytest.fixture
def writers(conduit: Conduit) -> Writers:
    """alice (4 articles), bob (3) and carol (2), writing in turns: a, b, c, a, b, c, a, b, a."""
    tokens = {name: conduit.register(name) for name in ("alice", "bob", "carol")}
    written: list[tuple[str, str]] = []
    for turn in ("alice", "bob", "carol", "alice", "bob", "carol", "alice", "bob", "alice"):
        written.append((turn, conduit.article(tokens[turn], title=f"{turn} {len(written)}")["slug"]))
    return tokens, written


def newest_by(written: list[tuple[str, str]], *authors: str) -> list[str]:
    return [slug for author, slug in reversed(written) if author in authors]


def test_the_feed_holds_only_followed_authors_newest_first_across_them(conduit: Conduit, writers: Writers) -> None:
    _, written = writers
    reader = conduit.register("reader")
    conduit.post("/profiles/alice/follow", token=reader)
    conduit.post("/profiles/bob/follow", token=reader)

    feed = conduit.get("/articles/feed", token=reader)

    assert feed.status == 200, feed.body
    assert [a["slug"] for a in feed.json["articles"]] == newest_by(written, "alice", "bob")
    assert feed.json["articlesCount"] == 4 + 3
    assert all(a["author"]["following"] for a in feed.json["articles"])
    assert all("body" not in a for a in feed.json["articles"])


def test_the_feed_pages_by_limit_and_offset_with_the_total_on_every_page(conduit: Conduit, writers: Writers) -> None:
    _, written = writers
    reader = conduit.register("reader")
    conduit.post("/profiles/alice/follow", token=reader)
    conduit.post("/profiles/bob/follow", token=reader)

    pages = [conduit.get(f"/articles/feed?limit=3&offset={offset}", token=reader).json for offset in (0, 3, 6, 9)]

    assert [len(p["articles"]) for p in pages] == [3, 3, 1, 0]
    assert {p["articlesCount"] for p in pages} == {7}
    assert [a["slug"] for p in pages for a in p["articles"]] == newest_by(written, "alice", "bob")


def test_unfollowing_takes_an_authors_articles_out_of_the_feed(conduit: Conduit, writers: Writers) -> None:
    _, written = writers
    reader = conduit.register("reader")
    conduit.post("/profiles/alice/follow", token=reader)
    conduit.post("/profiles/bob/follow", token=reader)

    conduit.delete("/profiles/bob/follow", token=reader)

    feed = conduit.get("/articles/feed", token=reader).json
    assert [a["slug"] for a in feed["articles"]] == newest_by(written, "alice")
    assert feed["articlesCount"] == 4


def test_the_feed_is_the_callers_own(conduit: Conduit, writers: Writers) -> None:
    tokens, written = writers
    reader = conduit.register("reader")
    conduit.post("/profiles/carol/follow", token=reader)
    conduit.post("/profiles/alice/follow", token=tokens["bob"])

    mine = conduit.get("/articles/feed", token=reader).json
    bobs = conduit.get("/articles/feed", token=tokens["bob"]).json

    assert ([a["slug"] for a in mine["articles"]], mine["articlesCount"]) == (newest_by(written, "carol"), 2)
    assert ([a["slug"] for a in bobs["articles"]], bobs["articlesCount"]) == (newest_by(written, "alice"), 4)


def test_following_no_one_gives_an_empty_feed(conduit: Conduit) -> None:
    conduit.article(conduit.register("alice"))
    reader = conduit.register("reader")

    assert conduit.get("/articles/feed", token=reader).json == {"articles": [], "articlesCount": 0}


def test_a_deleted_article_leaves_the_feed_and_its_count(conduit: Conduit, writers: Writers) -> None:
    tokens, written = writers
    reader = conduit.register("reader")
    conduit.post("/profiles/alice/follow", token=reader)
    newest = newest_by(written, "alice")

    assert conduit.delete(f"/articles/{newest[0]}", token=tokens["alice"]).status == 204

    feed = conduit.get("/articles/feed", token=reader).json
    assert [a["slug"] for a in feed["articles"]] == newest[1:]
    assert feed["articlesCount"] == 3


def test_the_feed_needs_a_signed_in_caller(conduit: Conduit, api: Api) -> None:
    conduit_error(conduit.get("/articles/feed"), 401)
    conduit_error(api.get("/api/articles/feed", headers={"Authorization": "Token not-a-jwt"}), 401)
