"""Specification: the native API and /api are two views of the same posts, comments and people."""

from __future__ import annotations

from tests.conftest import Api, Blog, login
from tests.realworld.conftest import ISO_MILLIS, Conduit


def test_an_article_created_through_api_reads_the_same_natively(conduit: Conduit, api: Api) -> None:
    alice = conduit.register("alice")
    created = conduit.article(alice, title="Two views", description="One post, two shapes.",
                              body="Some **bold** text.", tags=["zeta", "Alpha", "beta"])
    conduit.post(f"/articles/{created['slug']}/favorite", token=conduit.register("bob"))

    native = api.get(f"/posts/{created['slug']}")
    conduit_view = conduit.get(f"/articles/{created['slug']}").json["article"]

    assert native.status == 200, native.body
    post = native.json
    assert conduit_view["slug"] == post["slug"] == created["slug"]
    assert conduit_view["title"] == post["title"] == "Two views"
    assert conduit_view["body"] == post["body"] == "Some **bold** text."
    assert conduit_view["description"] == post["summary"] == "One post, two shapes."
    assert sorted(post["labels"]) == ["Alpha", "beta", "zeta"]
    assert conduit_view["tagList"] == sorted(post["labels"], key=str.casefold) == ["Alpha", "beta", "zeta"]
    assert conduit_view["createdAt"] == post["created_at"] == created["createdAt"]
    assert conduit_view["updatedAt"] == post["updated_at"]
    assert conduit_view["favoritesCount"] == post["favorites_count"] == 1
    assert conduit_view["author"]["username"] == post["author"] == "alice"
    assert post["status"] == "published"


def test_an_article_updated_through_api_reads_the_same_natively(conduit: Conduit, api: Api) -> None:
    alice = conduit.register("alice")
    slug = conduit.article(alice, title="Before")["slug"]

    reply = conduit.put(f"/articles/{slug}", {"article": {"title": "After", "body": "New body.",
                                                          "description": "New summary."}}, token=alice)

    assert reply.status == 200, reply.body
    # The spec: the slug follows the title; the old one leads to the post (a 301 natively)
    assert reply.json["article"]["slug"] == "after"
    post = api.get("/posts/after").json
    assert (post["title"], post["body"], post["summary"]) == ("After", "New body.", "New summary.")
    assert reply.json["article"]["updatedAt"] == post["updated_at"] >= post["created_at"]
    assert api.get(f"/posts/{slug}").headers["location"] == "/posts/after"


def test_a_comment_added_through_api_is_the_native_comment(conduit: Conduit, api: Api) -> None:
    alice = conduit.register("alice")
    slug = conduit.article(alice)["slug"]
    added = conduit.post(f"/articles/{slug}/comments", {"comment": {"body": "First!"}}, token=alice)
    assert added.status == 200, added.body

    native = api.get(f"/posts/{slug}/comments")

    assert native.status == 200, native.body
    [comment] = native.json["items"]
    assert comment["id"] == added.json["comment"]["id"]
    # The native list shows the text as html (no Markdown source in public lists); the Conduit answer keeps body
    assert comment["html"].strip() == "<p>First!</p>" and added.json["comment"]["body"] == "First!"
    assert comment["created_at"] == added.json["comment"]["createdAt"]
    assert comment["author"]["username"] == added.json["comment"]["author"]["username"] == "alice"
    assert api.get(f"/posts/{slug}").json["comment_count"] == 1
    assert [c["comment_count"] for c in api.get("/posts").json["items"]] == [1]


def test_a_comment_deleted_through_api_leaves_the_native_count(conduit: Conduit, api: Api) -> None:
    alice = conduit.register("alice")
    slug = conduit.article(alice)["slug"]
    ids = [conduit.post(f"/articles/{slug}/comments", {"comment": {"body": f"Comment {i}"}}, token=alice)
           .json["comment"]["id"] for i in range(2)]

    assert conduit.delete(f"/articles/{slug}/comments/{ids[0]}", token=alice).status == 204

    assert api.get(f"/posts/{slug}").json["comment_count"] == 1
    assert [c["id"] for c in api.get(f"/posts/{slug}/comments").json["items"]] == [ids[1]]


def test_a_post_written_natively_is_an_article(conduit: Conduit, api: Api, blog: Blog) -> None:
    author = blog.author("writer")
    post = blog.post(author, title="Native post", body="Written *natively*.", labels=["News"])

    listed = conduit.articles()
    article = conduit.get(f"/articles/{post['slug']}").json["article"]

    assert listed["articlesCount"] == 1
    assert [a["slug"] for a in listed["articles"]] == [post["slug"]]
    assert conduit.articles("tag=news")["articlesCount"] == 1
    assert conduit.articles("author=writer")["articlesCount"] == 1
    assert article["title"] == "Native post"
    assert article["body"] == "Written *natively*."
    assert article["description"] == post["summary"]
    assert article["tagList"] == ["News"]
    assert article["author"]["username"] == "writer"
    assert ISO_MILLIS.match(article["createdAt"])


def test_a_native_draft_is_no_article(conduit: Conduit, api: Api, blog: Blog) -> None:
    author = blog.author("writer")
    draft = blog.post(author, title="Not yet", status="draft")

    assert conduit.articles() == {"articles": [], "articlesCount": 0}
    assert conduit.get(f"/articles/{draft['slug']}").status == 404


def test_a_conduit_user_is_a_native_account(conduit: Conduit, api: Api) -> None:
    token = conduit.register("alice")

    me = api.get("/auth/me", token=token)
    native = login(api, "alice@example.com")

    assert me.status == 200 and me.json["user"]["username"] == "alice"
    assert native.status == 200, native.body
    assert conduit.get("/user", token=native.json["token"]).json["user"]["username"] == "alice"


def test_tags_list_every_label_in_use(conduit: Conduit, blog: Blog) -> None:
    conduit.article(conduit.register("alice"), tags=["dragons", "Knights"])
    blog.post(blog.author("writer"), labels=["news"])

    reply = conduit.get("/tags")

    assert reply.status == 200, reply.body
    assert sorted(reply.json["tags"], key=str.casefold) == ["dragons", "Knights", "news"]
