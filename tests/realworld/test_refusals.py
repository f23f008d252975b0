"""Specification: what /api refuses — 401, 403, 404 and 422, each in Conduit's error form, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Api, DynamoCalls
from tests.realworld.conftest import Conduit, conduit_error

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
NEW_ARTICLE = {"title": "A title", "description": "A description", "body": "A body"}


@dataclass
class World:
    """alice's article with bob's comment on it, and a second article of alice's."""

    alice: str
    bob: str
    slug: str
    other_slug: str
    comment_id: str


@pytest.fixture
def world(conduit: Conduit) -> World:
    alice = conduit.register("alice")
    bob = conduit.register("bob")
    slug = conduit.article(alice, title="First", tags=["one"])["slug"]
    other = conduit.article(alice, title="Second")["slug"]
    comment = conduit.post(f"/articles/{slug}/comments", {"comment": {"body": "Nice."}}, token=bob)
    assert comment.status == 200, comment.body
    return World(alice, bob, slug, other, comment.json["comment"]["id"])


def article(conduit: Conduit, slug: str) -> dict[str, Any]:
    reply = conduit.get(f"/articles/{slug}")
    assert reply.status == 200, reply.body
    return dict(reply.json["article"])


def comment_ids(conduit: Conduit, slug: str) -> list[str]:
    return [c["id"] for c in conduit.get(f"/articles/{slug}/comments").json["comments"]]


def write_routes(w: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("POST", "/articles", {"article": NEW_ARTICLE}),
        ("PUT", f"/articles/{w.slug}", {"article": {"title": "Changed"}}),
        ("DELETE", f"/articles/{w.slug}", None),
        ("POST", f"/articles/{w.slug}/favorite", None),
        ("DELETE", f"/articles/{w.slug}/favorite", None),
        ("POST", f"/articles/{w.slug}/comments", {"comment": {"body": "Hi"}}),
        ("DELETE", f"/articles/{w.slug}/comments/{w.comment_id}", None),
        ("POST", "/profiles/alice/follow", None),
        ("DELETE", "/profiles/alice/follow", None),
        ("PUT", "/user", {"user": {"bio": "Changed"}}),
    ]


# -- 401 -------------------------------------------------------------------------------


def test_every_write_route_needs_a_valid_token_and_writes_nothing(conduit: Conduit, api: Api, dynamo: DynamoCalls,
                                                                  world: World) -> None:
    before = article(conduit, world.slug)

    for authorization in (None, "Token", "Token not-a-jwt", "Bearer x.y.z", world.alice):
        headers = {"Authorization": authorization} if authorization else {}
        for method, path, body in write_routes(world):
            dynamo.clear()
            reply = api.request(method, "/api" + path, body, headers=headers)
            conduit_error(reply, 401)
            assert not WRITES & set(dynamo.operations), (method, path, dynamo.operations)

    assert article(conduit, world.slug) == before
    assert comment_ids(conduit, world.slug) == [world.comment_id]


# -- 403 -------------------------------------------------------------------------------


def test_updating_someone_elses_article_is_403(conduit: Conduit, world: World) -> None:
    before = article(conduit, world.slug)

    reply = conduit.put(f"/articles/{world.slug}", {"article": {"title": "Mine now"}}, token=world.bob)

    conduit_error(reply, 403)
    assert article(conduit, world.slug) == before


def test_deleting_someone_elses_article_is_403(conduit: Conduit, world: World) -> None:
    reply = conduit.delete(f"/articles/{world.slug}", token=world.bob)

    conduit_error(reply, 403)
    assert article(conduit, world.slug)["title"] == "First"
    assert conduit.articles()["articlesCount"] == 2


def test_deleting_someone_elses_comment_is_403(conduit: Conduit, world: World) -> None:
    # alice owns the article, but not bob's comment on it.
    reply = conduit.delete(f"/articles/{world.slug}/comments/{world.comment_id}", token=world.alice)

    conduit_error(reply, 403)
    assert comment_ids(conduit, world.slug) == [world.comment_id]


def test_without_open_authoring_a_conduit_user_may_not_write_articles(conduit: Conduit,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # The default: only authors and admins write posts. Conduit assumes everyone may.
    monkeypatch.delenv("OPEN_AUTHORING")
    reader = conduit.register("reader")

    conduit_error(conduit.post("/articles", {"article": NEW_ARTICLE}, token=reader), 403)
    assert conduit.articles() == {"articles": [], "articlesCount": 0}


def test_the_comments_author_may_delete_it(conduit: Conduit, world: World) -> None:
    reply = conduit.delete(f"/articles/{world.slug}/comments/{world.comment_id}", token=world.bob)

    assert reply.status == 204, reply.body
    assert comment_ids(conduit, world.slug) == []


# -- 404 -------------------------------------------------------------------------------


def test_an_unknown_article_is_404_on_every_route(conduit: Conduit, world: World) -> None:
    for slug in ("no-such-article", "x" * 300, "%E2%9C%93", "First"):
        routes = [
            ("GET", f"/articles/{slug}", None, None),
            ("PUT", f"/articles/{slug}", {"article": {"title": "T"}}, world.alice),
            ("DELETE", f"/articles/{slug}", None, world.alice),
            ("POST", f"/articles/{slug}/favorite", None, world.bob),
            ("DELETE", f"/articles/{slug}/favorite", None, world.bob),
            ("GET", f"/articles/{slug}/comments", None, None),
            ("POST", f"/articles/{slug}/comments", {"comment": {"body": "Hi"}}, world.bob),
            ("DELETE", f"/articles/{slug}/comments/{world.comment_id}", None, world.bob),
        ]
        for method, path, body, token in routes:
            conduit_error(conduit.request(method, path, body, token=token), 404)

    assert comment_ids(conduit, world.slug) == [world.comment_id]
    assert conduit.articles()["articlesCount"] == 2


def test_deleting_a_comment_through_another_article_is_404(conduit: Conduit, world: World) -> None:
    reply = conduit.delete(f"/articles/{world.other_slug}/comments/{world.comment_id}", token=world.bob)

    conduit_error(reply, 404)
    assert comment_ids(conduit, world.slug) == [world.comment_id]


def test_deleting_an_unknown_comment_is_404(conduit: Conduit, world: World) -> None:
    for comment_id in ("01ARZ3NDEKTSV4RRFFQ69G5FAV", "42", "not-an-id", "x" * 300):
        conduit_error(conduit.delete(f"/articles/{world.slug}/comments/{comment_id}", token=world.bob), 404)


def test_an_unknown_profile_is_404_on_every_route(conduit: Conduit, world: World) -> None:
    for method in ("GET", "POST", "DELETE"):
        path = "/profiles/nobody" + ("/follow" if method != "GET" else "")
        conduit_error(conduit.request(method, path, token=world.bob), 404)


# -- 422 -------------------------------------------------------------------------------


def test_creating_an_article_without_a_required_field_is_422_naming_it(conduit: Conduit, world: World) -> None:
    for missing in ("title", "description", "body"):
        fields = {k: v for k, v in NEW_ARTICLE.items() if k != missing}
        reply = conduit.post("/articles", {"article": fields}, token=world.alice)
        conduit_error(reply, 422, missing)

    assert conduit.articles()["articlesCount"] == 2


def test_creating_an_article_with_an_invalid_field_is_422_naming_it(conduit: Conduit, world: World) -> None:
    refused: list[tuple[dict[str, Any], str]] = [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 42}, "title"),
        ({"body": ""}, "body"),
        ({"description": "x" * 301}, "description"),
        ({"tagList": "dragons"}, "tagList"),
        ({"tagList": [1, 2]}, "tagList"),
    ]
    for changes, field in refused:
        reply = conduit.post("/articles", {"article": {**NEW_ARTICLE, **changes}}, token=world.alice)
        conduit_error(reply, 422, field)

    assert conduit.articles()["articlesCount"] == 2


def test_an_article_outside_its_wrapper_is_422(conduit: Conduit, world: World) -> None:
    for payload in (NEW_ARTICLE, {"article": None}, {"article": "A title"}, [NEW_ARTICLE], "article"):
        reply = conduit.post("/articles", payload, token=world.alice)
        conduit_error(reply, 422, "article")

    assert conduit.articles()["articlesCount"] == 2


def test_an_unreadable_body_is_422(conduit: Conduit, world: World) -> None:
    headers = {"Content-Type": "application/json"}
    routes = (("POST", "/articles"), ("PUT", f"/articles/{world.slug}"), ("POST", f"/articles/{world.slug}/comments"),
              ("PUT", "/user"), ("POST", "/users"), ("POST", "/users/login"))

    for raw in (b'{"article": {', b"", b"   ", b"NaN", b"\xff\xfe"):
        for method, path in routes:
            conduit_error(conduit.request(method, path, token=world.alice, headers=headers, raw=raw), 422)

    assert conduit.articles()["articlesCount"] == 2


def test_updating_an_article_with_an_invalid_field_is_422_and_changes_nothing(conduit: Conduit, world: World) -> None:
    before = article(conduit, world.slug)

    for changes in ({"title": ""}, {"body": ""}, {"description": "x" * 301}, {"tagList": "one"}):
        reply = conduit.put(f"/articles/{world.slug}", {"article": changes}, token=world.alice)
        conduit_error(reply, 422, next(iter(changes)))

    assert article(conduit, world.slug) == before


def test_an_empty_comment_is_422(conduit: Conduit, world: World) -> None:
    payloads: list[dict[str, Any]] = [{"comment": {"body": ""}}, {"comment": {}}, {"body": "Hi"}]
    for payload in payloads:
        conduit_error(conduit.post(f"/articles/{world.slug}/comments", payload, token=world.bob), 422)

    assert comment_ids(conduit, world.slug) == [world.comment_id]
