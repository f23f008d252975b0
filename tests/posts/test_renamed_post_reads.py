"""Specification: everything that shows a renamed post shows its current slug, once, and its current slug
works wherever a slug is taken (comments, counts, feeds, subscriptions, search); an unrenamed post's reads
cost what they did."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from chalicelib.services import services
from chalicelib.store import keys
from tests.conftest import Api, Blog, DynamoCalls
from tests.notifications.test_notifications import Stream
from tests.notifications.test_subscriptions import SUE
from tests.posts.test_feeds import SITE, A, fetch, post_url
from tests.posts.test_search import Indexer, found

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _renamed(api: Api, blog: Blog, old: str = "before-rename", new: str = "after-rename") -> str:
    author = blog.author()
    blog.post(author, title=old.replace("-", " ").capitalize(), labels=["Kept"])
    blog.comment(old)
    reply = api.patch(f"/posts/{old}", {"slug": new}, token=author)
    assert reply.status == 200, reply.body
    return author


def test_feeds_and_the_sitemap_link_the_current_slug_and_keep_the_entry_id(api: Api, blog: Blog) -> None:
    _renamed(api, blog)

    posts, _ = fetch(api, "/feeds/posts.atom")
    labelled, _ = fetch(api, "/feeds/posts.atom?label=kept")
    comments, _ = fetch(api, "/feeds/comments.atom")
    thread, _ = fetch(api, "/posts/after-rename/comments.atom")
    sitemap = ET.fromstring(api.get("/sitemap.xml").body)

    for feed in (posts, labelled):
        [entry] = feed.findall(A + "entry")
        assert entry.find(A + "link").get("href") == post_url("after-rename")  # type: ignore[union-attr]
        assert entry.findtext(A + "id") == post_url("before-rename")  # stable: feed readers see no new entry
    for feed in (comments, thread):
        [entry] = feed.findall(A + "entry")
        href = entry.find(A + "link").get("href")  # type: ignore[union-attr]
        assert href is not None and href.startswith(post_url("after-rename") + "#comment-")
    assert [loc.text for loc in sitemap.iter(SM + "loc")] == [f"{SITE}/posts/after-rename"]
    assert api.get("/posts/before-rename/comments.atom").headers["location"] == "/posts/after-rename/comments.atom"


def test_search_shows_the_current_slug_once(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Searchable words")
    indexer = Indexer(api)
    indexer.sync("searchable-words")
    assert api.patch("/posts/searchable-words", {"slug": "found-again"}, token=author).status == 200

    indexer.sync("searchable-words")  # the stream's record of the post item, filed under its first slug

    assert found(api, "searchable") == ["found-again"]


def test_counts_answer_for_every_slug_of_a_renamed_post(api: Api, blog: Blog) -> None:
    _renamed(api, blog)
    blog.comment("after-rename")

    counts = api.get("/counts?posts=before-rename,after-rename,never-was").json["counts"]

    assert counts == {"before-rename": 2, "after-rename": 2, "never-was": 0}


def test_counts_of_posts_never_renamed_are_one_request(api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    author = blog.author()
    made = [blog.post(author, title=f"Counted {n}")["slug"] for n in range(3)]
    dynamo.clear()

    assert api.get("/counts?posts=" + ",".join(made)).json["counts"] == dict.fromkeys(made, 0)
    assert dynamo.operations == ["BatchGetItem"]


def test_a_subscription_by_the_current_slug_is_filed_with_the_post(api: Api, blog: Blog) -> None:
    _renamed(api, blog)

    reply = api.post("/posts/after-rename/subscriptions", {"email": SUE})
    moved = api.post("/posts/before-rename/subscriptions", {"email": SUE})

    assert reply.status == 202, reply.body
    digest = services().antispam.email_hash(SUE)
    assert Stream(api).image(keys.subscription("before-rename", digest)) is not None
    assert (moved.status, moved.headers["location"]) == (308, "/posts/after-rename/subscriptions")


def test_the_comment_fragment_and_sorted_lists_follow_the_current_slug(api: Api, blog: Blog) -> None:
    _renamed(api, blog)

    fragment = api.get("/posts/after-rename/comments.html")
    best = api.get("/posts/after-rename/comments?sort=score")

    assert fragment.status == 200 and b"Comment" in fragment.body
    assert len(best.json["items"]) == 1
    assert api.get("/posts/before-rename/comments.html").status == 301


def test_realworld_comments_are_deleted_through_the_current_slug(api: Api, blog: Blog) -> None:
    author = _renamed(api, blog)
    created = api.post("/api/articles/after-rename/comments", {"comment": {"body": "mine"}}, token=author)
    comment_id = created.json["comment"]["id"]

    gone = api.delete(f"/api/articles/after-rename/comments/{comment_id}", token=author)

    assert gone.status == 204, gone.body
    assert len(api.get("/api/articles/before-rename/comments").json["comments"]) == 1


def test_an_unrenamed_post_is_read_in_one_call_as_before(api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    blog.post(blog.author(), title="Plain post")
    blog.comment("plain-post")

    for path in ("/posts/plain-post", "/posts/plain-post?embed=comments", "/posts/plain-post/comments"):
        dynamo.clear()
        assert api.get(path).status == 200
        assert len(dynamo.operations) == 1, (path, dynamo.operations)


def test_a_renamed_posts_old_slug_costs_one_read_and_its_current_slug_three_more(
        api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    _renamed(api, blog)

    dynamo.clear()
    assert api.get("/posts/before-rename").status == 301
    old = len(dynamo.operations)
    dynamo.clear()
    assert api.get("/posts/after-rename").status == 200

    assert (old, len(dynamo.operations)) == (1, 4)


def test_a_reaction_by_the_current_slug_counts_on_the_post(api: Api, blog: Blog) -> None:
    _renamed(api, blog)
    kinds = api.get("/posts/after-rename?embed=comments").json["comment_form"]["reactions"]

    reacted = api.post("/posts/after-rename/reactions", {"emoji": kinds[0], "active": True})
    moved = api.post("/posts/before-rename/reactions", {"emoji": kinds[0], "active": True})

    assert reacted.status == 200, reacted.body
    assert reacted.json["post"] == "after-rename"
    assert api.get("/posts/after-rename").json["reactions"] == {kinds[0]: 1}
    assert (moved.status, moved.headers["location"]) == (308, "/posts/after-rename/reactions")
