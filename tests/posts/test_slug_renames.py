"""Specification: a published post's slug can change, and every old slug keeps leading to it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from chalicelib.blog.tokens import Principal
from chalicelib.errors import Conflict
from chalicelib.services import Services
from chalicelib.store import keys
from chalicelib.store.table import Table
from devtools.moto_server import MotoServer
from infra.table import create_table
from tests.conftest import Api, Blog
from tests.post_steps import label_counts, slugs
from tests.settings_steps import stage_settings

RACE_TABLE = "slug-races"


def _client(url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


# -- renaming ------------------------------------------------------------------


def _rename(api: Api, slug: str, to: str, token: str) -> dict[str, Any]:
    reply = api.patch(f"/posts/{quote(slug, safe='')}", {"slug": to}, token=token)
    assert reply.status == 200, reply.body
    return dict(reply.json)


def test_a_published_post_is_renamed_with_its_comments_votes_favorites_and_labels(api: Api, blog: Blog) -> None:
    author, reader = blog.author(), blog.user()
    blog.post(author, title="Old name", labels=["News"])
    comments = [blog.comment("old-name") for _ in range(3)]
    assert api.post(f"/comments/{comments[0]['comment']['id']}/vote", {"value": 1}, token=reader).status == 200
    assert api.post("/api/articles/old-name/favorite", token=reader).status == 200

    renamed = _rename(api, "old-name", "new-name", author)

    assert renamed["slug"] == "new-name"
    post = api.get("/posts/new-name?embed=comments").json
    assert (post["slug"], post["comment_count"], post["favorites_count"]) == ("new-name", 3, 1)
    assert [c["id"] for c in post["comments"]] == [c["comment"]["id"] for c in comments]
    assert post["comments"][0]["likes"] == 1
    assert slugs(api, "/posts") == ["new-name"]
    assert slugs(api, "/posts?label=News") == ["new-name"]
    assert label_counts(api) == {"News": 1}
    listed = api.get("/posts/new-name/comments").json["items"]
    assert len(listed) == 3
    article = api.get("/api/articles/new-name", token=reader).json["article"]
    assert (article["slug"], article["favorited"], article["favoritesCount"]) == ("new-name", True, 1)
    favorites = api.get("/api/articles?favorited=" + "reader2", token=reader).json
    assert [a["slug"] for a in favorites["articles"]] == ["new-name"]


def test_comments_posted_after_a_rename_count_on_the_same_post(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Before")
    blog.comment("before")
    _rename(api, "before", "after", author)

    blog.comment("after")
    reply = api.post("/posts/before/comments", {"body": "via the old slug", "author_name": "Ann"})

    assert reply.status == 308
    assert reply.headers["location"] == "/posts/after/comments"
    post = api.get("/posts/after?embed=comments").json
    assert (post["comment_count"], len(post["comments"])) == (2, 2)


def test_the_old_slug_answers_a_permanent_redirect_to_the_new_one(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="First name")
    _rename(api, "first-name", "second-name", author)

    for method in ("GET", "HEAD"):
        reply = api.request(method, "/posts/first-name?embed=comments&comments_limit=5")
        assert reply.status == 301
        assert reply.headers["location"] == "/posts/second-name?embed=comments&comments_limit=5"
        assert reply.headers["cache-control"] == "no-store"
        assert "etag" not in reply.headers
    comments = api.get("/posts/first-name/comments?sort=newest")
    assert comments.status == 301
    assert comments.headers["location"] == "/posts/second-name/comments?sort=newest"
    assert api.get("/posts/second-name").status == 200


def test_a_chain_of_renames_lands_on_the_current_slug_in_one_hop(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="One")
    for old, new in (("one", "two"), ("two", "three"), ("three", "four")):
        _rename(api, old, new, author)

    for old in ("one", "two", "three"):
        reply = api.get(f"/posts/{old}")
        assert (reply.status, reply.headers["location"]) == (301, "/posts/four")
    assert api.get("/posts/four").json["slug"] == "four"


def test_renaming_back_to_an_old_slug_leaves_no_loop(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Home")
    _rename(api, "home", "away", author)
    _rename(api, "away", "elsewhere", author)

    _rename(api, "elsewhere", "away", author)
    assert api.get("/posts/away").json["slug"] == "away"
    assert api.get("/posts/elsewhere").headers["location"] == "/posts/away"
    assert api.get("/posts/home").headers["location"] == "/posts/away"

    _rename(api, "away", "home", author)
    assert api.get("/posts/home").json["slug"] == "home"
    assert api.get("/posts/away").headers["location"] == "/posts/home"
    assert slugs(api, "/posts") == ["home"]


# -- refusals ------------------------------------------------------------------


def test_a_slug_another_post_holds_is_refused(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Mine")
    blog.post(author, title="Theirs")

    reply = api.patch("/posts/mine", {"slug": "theirs"}, token=author)

    assert reply.status == 409
    assert "slug" in reply.problem["errors"]
    assert api.get("/posts/mine").json["version"] == 1


def test_a_slug_another_post_was_renamed_from_or_to_is_refused(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Alpha")
    blog.post(author, title="Beta")
    _rename(api, "alpha", "gamma", author)
    _rename(api, "gamma", "delta", author)

    for taken in ("alpha", "gamma", "delta"):
        reply = api.patch("/posts/beta", {"slug": taken}, token=author)
        assert reply.status == 409, (taken, reply.body)
    assert api.get("/posts/beta").json["slug"] == "beta"


def test_a_new_post_cannot_take_a_live_alias(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Was")
    _rename(api, "was", "is", author)

    explicit = api.post("/posts", {"title": "Another", "body": "x", "slug": "is"}, token=author)
    by_title = blog.post(author, title="Is")

    assert explicit.status == 409
    assert by_title["slug"] == "is-2"
    assert api.get("/posts/is").json["title"] == "Was"


def test_another_author_cannot_rename_a_post(api: Api, blog: Blog) -> None:
    author, other = blog.author(), blog.author()
    blog.post(author, title="Guarded")

    reply = api.patch("/posts/guarded", {"slug": "taken-over"}, token=other)

    assert reply.status == 403
    assert api.get("/posts/taken-over").status == 404
    assert _rename(api, "guarded", "by-admin", blog.admin())["slug"] == "by-admin"


@pytest.mark.parametrize("slug", ["", "Upper", "two words", "x" * 81, "a\u200bb", "-lead", "a--b",
                                  "\u0301mark", "emoji-\U0001f600", "ｆｕｌｌ"])
def test_an_invalid_new_slug_is_refused(api: Api, blog: Blog, slug: str) -> None:
    author = blog.author()
    blog.post(author, title="Stays")

    reply = api.patch("/posts/stays", {"slug": slug}, token=author)

    assert reply.status == 422, reply.body
    assert "slug" in reply.problem["errors"]
    assert api.get("/posts/stays").json["version"] == 1


def test_concurrent_renames_to_the_same_slug_let_one_win() -> None:
    # Through a moto server that applies one request at a time, as DynamoDB applies a transaction whole
    # (in-process moto runs each transaction on a copy of the table, so two may both commit), each
    # racer with a boto3 client of its own.
    running = MotoServer().start()
    try:
        create_table(_client(running.url), RACE_TABLE)
        settings = stage_settings(TABLE_NAME=RACE_TABLE)
        admin = Principal(username="alice", role="admin")
        seeding = Services(settings, Table(_client(running.url), RACE_TABLE))
        posts = [seeding.posts.create(admin, {"title": f"Racer {n}", "body": "Go."})["slug"] for n in range(4)]
        start = threading.Barrier(len(posts))

        def rename(slug: str) -> int:
            racer = Services(settings, Table(_client(running.url), RACE_TABLE))
            start.wait()
            try:
                racer.posts.update(admin, slug, {"slug": "finish-line"}, None)
                return 200
            except Conflict:
                return 409

        with ThreadPoolExecutor(max_workers=len(posts)) as pool:
            outcomes = list(pool.map(rename, posts))

        assert sorted(outcomes) == [200, 409, 409, 409]
        winner = posts[outcomes.index(200)]
        home = seeding.table.get(keys.slug_alias("finish-line"))
        assert home is not None and home["home"] == winner
        shown = [seeding.posts.get(None, slug, {})[0]["slug"] for slug in posts if slug != winner]
        assert shown == [slug for slug in posts if slug != winner]
    finally:
        running.stop()


def test_deleting_a_renamed_post_frees_its_slugs(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Short lived")
    _rename(api, "short-lived", "renamed", author)

    assert api.delete("/posts/renamed", token=author).status == 204

    for gone in ("short-lived", "renamed"):
        assert api.get(f"/posts/{gone}").status == 404
    assert blog.post(author, title="Renamed")["slug"] == "renamed"
    assert blog.post(author, title="Short lived")["slug"] == "short-lived"


# -- RealWorld -----------------------------------------------------------------


def test_realworld_serves_an_old_slug_with_the_article_under_its_new_slug(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Conduit post")
    blog.comment("conduit-post")
    _rename(api, "conduit-post", "conduit-renamed", author)

    article = api.get("/api/articles/conduit-post")
    comments = api.get("/api/articles/conduit-post/comments")

    assert article.status == 200
    assert article.json["article"]["slug"] == "conduit-renamed"
    assert len(comments.json["comments"]) == 1


def test_realworld_slug_follows_the_title_and_keeps_the_old_one(api: Api, blog: Blog) -> None:
    author = blog.author()
    created = api.post("/api/articles", {"article": {"title": "How to train", "description": "d", "body": "b"}},
                       token=author).json["article"]
    blog.post(author, title="Taken title")

    changed = api.put(f"/api/articles/{created['slug']}", {"article": {"title": "How to train again"}},
                      token=author).json["article"]
    clash = api.put("/api/articles/how-to-train-again", {"article": {"title": "Taken title"}},
                    token=author).json["article"]

    assert changed["slug"] == "how-to-train-again"
    assert clash["slug"] == "taken-title-2"
    assert api.get("/api/articles/how-to-train").json["article"]["slug"] == "taken-title-2"
    assert api.get("/posts/how-to-train").headers["location"] == "/posts/taken-title-2"


def test_realworld_keeps_a_chosen_slug_when_the_title_is_sent_unchanged(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="A title", slug="my-chosen-slug")

    same = api.put("/api/articles/my-chosen-slug", {"article": {"title": "A title", "body": "New body."}},
                   token=author).json["article"]

    assert (same["slug"], same["body"]) == ("my-chosen-slug", "New body.")
