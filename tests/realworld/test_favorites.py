"""Specification: favoriting articles — idempotent, counted once, and relative to the caller."""

from __future__ import annotations

import pytest

from tests.realworld.conftest import Conduit, conduit_error


@pytest.fixture
def story(conduit: Conduit) -> dict[str, str]:
    """alice's article, and bob and carol who read it."""
    alice = conduit.register("alice")
    slug = conduit.article(alice, title="A story")["slug"]
    return {"alice": alice, "bob": conduit.register("bob"), "carol": conduit.register("carol"), "slug": slug}


def favorite_state(conduit: Conduit, slug: str, token: str | None) -> tuple[bool, int]:
    article = conduit.get(f"/articles/{slug}", token=token).json["article"]
    return article["favorited"], article["favoritesCount"]


def test_favoriting_marks_the_article_and_counts_it(conduit: Conduit, story: dict[str, str]) -> None:
    reply = conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])

    assert reply.status == 200, reply.body
    assert (reply.json["article"]["favorited"], reply.json["article"]["favoritesCount"]) == (True, 1)
    assert reply.json["article"]["body"]
    assert favorite_state(conduit, story["slug"], story["bob"]) == (True, 1)


def test_favoriting_twice_counts_once(conduit: Conduit, story: dict[str, str]) -> None:
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])

    again = conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])

    assert again.status == 200, again.body
    assert (again.json["article"]["favorited"], again.json["article"]["favoritesCount"]) == (True, 1)
    assert favorite_state(conduit, story["slug"], story["bob"]) == (True, 1)
    assert conduit.articles("favorited=bob")["articlesCount"] == 1


def test_unfavoriting_twice_leaves_the_count_at_zero(conduit: Conduit, story: dict[str, str]) -> None:
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])

    first = conduit.delete(f"/articles/{story['slug']}/favorite", token=story["bob"])
    second = conduit.delete(f"/articles/{story['slug']}/favorite", token=story["bob"])

    for reply in (first, second):
        assert reply.status == 200, reply.body
        assert (reply.json["article"]["favorited"], reply.json["article"]["favoritesCount"]) == (False, 0)
    assert favorite_state(conduit, story["slug"], None) == (False, 0)
    assert conduit.articles("favorited=bob") == {"articles": [], "articlesCount": 0}


def test_unfavoriting_what_was_never_favorited_changes_no_count(conduit: Conduit, story: dict[str, str]) -> None:
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])

    reply = conduit.delete(f"/articles/{story['slug']}/favorite", token=story["carol"])

    assert (reply.json["article"]["favorited"], reply.json["article"]["favoritesCount"]) == (False, 1)
    assert favorite_state(conduit, story["slug"], story["bob"]) == (True, 1)


def test_favorited_is_relative_to_the_caller_and_the_count_is_everyones(conduit: Conduit,
                                                                        story: dict[str, str]) -> None:
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["carol"])
    conduit.delete(f"/articles/{story['slug']}/favorite", token=story["carol"])

    assert favorite_state(conduit, story["slug"], story["bob"]) == (True, 1)
    assert favorite_state(conduit, story["slug"], story["carol"]) == (False, 1)
    assert favorite_state(conduit, story["slug"], story["alice"]) == (False, 1)
    assert favorite_state(conduit, story["slug"], None) == (False, 1)
    listed = {token: conduit.articles(token=story[token])["articles"][0]["favorited"] for token in ("bob", "carol")}
    assert listed == {"bob": True, "carol": False}


def test_favorited_lists_what_a_user_favorited(conduit: Conduit, story: dict[str, str]) -> None:
    other = conduit.article(story["alice"], title="Another story")["slug"]
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])

    bobs = conduit.articles("favorited=bob")
    carols = conduit.articles("favorited=carol")

    assert [a["slug"] for a in bobs["articles"]] == [story["slug"]] and bobs["articlesCount"] == 1
    assert carols == {"articles": [], "articlesCount": 0}
    assert other not in [a["slug"] for a in bobs["articles"]]


def test_deleting_a_favorited_article_leaves_no_favorite_behind(conduit: Conduit, story: dict[str, str]) -> None:
    other = conduit.article(story["alice"], title="Another story")["slug"]
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])
    conduit.post(f"/articles/{other}/favorite", token=story["bob"])
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["carol"])

    assert conduit.delete(f"/articles/{story['slug']}", token=story["alice"]).status == 204

    assert [a["slug"] for a in conduit.articles("favorited=bob")["articles"]] == [other]
    assert conduit.articles("favorited=bob")["articlesCount"] == 1
    assert conduit.articles("favorited=carol") == {"articles": [], "articlesCount": 0}


def test_a_new_article_under_a_deleted_ones_slug_starts_unfavorited(conduit: Conduit, story: dict[str, str]) -> None:
    conduit.post(f"/articles/{story['slug']}/favorite", token=story["bob"])
    conduit.delete(f"/articles/{story['slug']}", token=story["alice"])

    again = conduit.article(story["alice"], title="A story")

    assert again["slug"] == story["slug"]
    assert favorite_state(conduit, again["slug"], story["bob"]) == (False, 0)
    assert conduit.articles("favorited=bob")["articlesCount"] == 0


def test_favoriting_an_unknown_article_is_404_and_counts_nothing(conduit: Conduit, story: dict[str, str]) -> None:
    conduit_error(conduit.post("/articles/no-such-article/favorite", token=story["bob"]), 404)
    conduit_error(conduit.delete("/articles/no-such-article/favorite", token=story["bob"]), 404)

    assert conduit.articles("favorited=bob")["articlesCount"] == 0
