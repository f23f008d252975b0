"""Comments as readers meet them: posting, replying, listing, paging and counting.

Every test goes through HTTP; the `dynamo` recorder checks the DynamoDB budgets
the design promises (one Query per page, at most two calls to post a comment).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib import services as services_module
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.views import avatar_url
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import TransactionCancelled, deserialize, serialize
from tests.conftest import Api, Blog, DynamoCalls
from tests.settings_steps import comment_count

EMAIL = "ann@example.org"


def listing(api: Api, slug: str, **params: Any) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    reply = api.get(f"/posts/{slug}/comments" + (f"?{query}" if query else ""))
    assert reply.status == 200, reply.body
    return dict(reply.json)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


# -- posting ---------------------------------------------------------------------


def test_anonymous_comment_is_created_with_an_edit_token(api: Api, slug: str) -> None:
    reply = api.post(f"/posts/{slug}/comments", {
        "body": "Nice *post*.", "author_name": "Ann", "author_email": EMAIL,
        "author_website": "https://ann.example",
    })

    assert reply.status == 201, reply.body
    created = reply.json
    assert set(created) == {"comment", "edit_token", "edit_token_expires_at"}
    assert created["edit_token"]
    comment = created["comment"]
    assert comment["html"] == "<p>Nice <em>post</em>.</p>\n"
    assert comment["author"]["name"] == "Ann"
    assert comment["author"]["username"] is None
    assert comment["author"]["website"] == "https://ann.example"
    assert comment["status"] == "approved"
    assert comment["parent_id"] is None
    assert comment["depth"] == 0
    assert created["edit_token_expires_at"] > comment["created_at"]


def test_anonymous_comment_without_a_name_is_signed_anonymous(api: Api, slug: str) -> None:
    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi"})

    assert reply.status == 201, reply.body
    assert reply.json["comment"]["author"]["name"] == "Anonymous"


def test_commenter_email_is_never_returned_nor_any_hash_of_it_by_default(api: Api, slug: str) -> None:
    """Without GRAVATAR a comment has no avatar URL: a Gravatar URL's SHA-256 would confirm a guessed address."""
    created = api.post(f"/posts/{slug}/comments", {"body": "Hi", "author_email": EMAIL})
    listed = api.get(f"/posts/{slug}/comments")
    embedded = api.get(f"/posts/{slug}?embed=comments")

    digest = hashlib.sha256(EMAIL.strip().lower().encode()).hexdigest()
    for reply in (created, listed, embedded):
        assert reply.status in (200, 201), reply.body
        assert EMAIL not in reply.body.decode()
        assert digest not in reply.body.decode()
    assert created.json["comment"]["author"]["avatar"] is None
    assert listed.json["items"][0]["author"]["avatar"] is None


def test_a_blog_that_opts_in_to_gravatar_gives_gravatar_avatars(api: Api, slug: str,
                                                                configure: Callable[..., Settings]) -> None:
    configure(GRAVATAR="true")
    created = api.post(f"/posts/{slug}/comments", {"body": "Hi", "author_email": EMAIL})
    listed = api.get(f"/posts/{slug}/comments")

    assert EMAIL not in created.body.decode()
    assert created.json["comment"]["author"]["avatar"] == avatar_url(EMAIL)
    assert listed.json["items"][0]["author"]["avatar"].startswith("https://www.gravatar.com/avatar/")


@pytest.mark.parametrize("website", [
    "javascript:alert(1)", "ftp://ann.example", "ann.example", "http://", "http://[oops", "data:text/html,x",
])
def test_commenter_website_must_be_an_http_address(api: Api, slug: str, website: str) -> None:
    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "author_website": website})

    assert reply.status == 422
    assert "author_website" in reply.problem["errors"]
    assert listing(api, slug)["items"] == []


def test_signed_in_comment_is_signed_with_the_username(api: Api, blog: Blog, slug: str) -> None:
    token = blog.user("bob")

    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "author_name": "Not Bob"}, token=token)

    assert reply.status == 201, reply.body
    assert reply.json["comment"]["author"]["name"] == "bob"
    assert reply.json["comment"]["author"]["username"] == "bob"


def test_without_anonymous_comments_only_signed_in_readers_may_comment(api: Api, blog: Blog, slug: str) -> None:
    # Given a deployment that turned anonymous comments off
    settings = services_module.services().settings
    services_module.reset(settings.replace(anonymous_comments=False))
    token = blog.user("bob")

    anonymous = api.post(f"/posts/{slug}/comments", {"body": "Hi"})
    signed_in = api.post(f"/posts/{slug}/comments", {"body": "Hi"}, token=token)

    assert anonymous.status == 401
    assert "www-authenticate" in anonymous.headers
    assert signed_in.status == 201


def test_posting_a_top_level_comment_is_one_read_and_one_transaction(api: Api, dynamo: DynamoCalls, slug: str) -> None:
    dynamo.clear()

    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi"})

    assert reply.status == 201
    # The read fetches the post (moderation and closing rules need it); the
    # transaction writes the comment with its count and anti-spam records.
    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]


def test_posting_a_reply_is_at_most_two_dynamodb_calls(api: Api, blog: Blog, dynamo: DynamoCalls, slug: str) -> None:
    parent = blog.comment(slug)["comment"]["id"]
    dynamo.clear()

    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "parent_id": parent})

    assert reply.status == 201
    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]


# -- where a comment may go --------------------------------------------------------


def test_comment_on_a_draft_post_is_not_found(api: Api, blog: Blog, dynamo: DynamoCalls, author: str) -> None:
    draft = blog.post(author, title="Secret", status="draft")["slug"]

    reply = api.post(f"/posts/{draft}/comments", {"body": "Hi"})

    assert reply.status == 404
    assert reply.problem["detail"]
    assert api.get(f"/posts/{draft}", token=author).json["comment_count"] == 0


def test_comment_on_a_scheduled_post_is_not_found_until_it_is_published(api: Api, blog: Blog, author: str) -> None:
    later = blog.post(author, title="Soon", status="scheduled", published_at="2999-01-01T00:00:00Z")["slug"]

    assert api.post(f"/posts/{later}/comments", {"body": "Hi"}).status == 404
    assert api.get(f"/posts/{later}/comments").status == 404


def test_comment_on_an_unknown_post_is_not_found(api: Api) -> None:
    assert api.post("/posts/no-such-post/comments", {"body": "Hi"}).status == 404
    assert api.get("/posts/no-such-post/comments").status == 404


def test_comment_on_an_unknown_post_writes_nothing(api: Api, dynamo: DynamoCalls, slug: str) -> None:
    api.post("/posts/no-such-post/comments", {"body": "Hi"})

    # The cancelled transaction left no comment or reference behind.
    assert listing(api, slug)["items"] == []
    assert api.get("/posts/no-such-post").status == 404


# -- replies ---------------------------------------------------------------------------


def test_reply_names_its_parent_and_sits_one_level_deeper(api: Api, blog: Blog, slug: str) -> None:
    parent = blog.comment(slug)["comment"]

    reply = api.post(f"/posts/{slug}/comments", {"body": "Agreed", "parent_id": parent["id"]})

    assert reply.status == 201, reply.body
    assert reply.json["comment"]["parent_id"] == parent["id"]
    assert reply.json["comment"]["depth"] == 1
    listed = listing(api, slug)["items"]
    assert ids(listed) == [parent["id"], reply.json["comment"]["id"]]
    assert listed[0]["reply_count"] == 1


def test_replies_nest_no_deeper_than_the_cap(api: Api, blog: Blog, slug: str) -> None:
    # Given a thread nested to the deepest level allowed (MAX_REPLY_DEPTH=5)
    parent = blog.comment(slug)["comment"]
    for depth in range(1, 6):
        parent = blog.comment(slug, parent_id=parent["id"])["comment"]
        assert parent["depth"] == depth

    # When someone replies to the deepest comment
    reply = api.post(f"/posts/{slug}/comments", {"body": "Too deep", "parent_id": parent["id"]})

    # Then the reply is refused, saying why
    assert reply.status == 422
    assert "parent_id" in reply.problem["errors"]
    assert comment_count(api, slug) == 6


def test_reply_to_a_comment_on_another_post_is_refused(api: Api, blog: Blog, author: str, slug: str) -> None:
    other = blog.post(author, title="Another post")["slug"]
    elsewhere = blog.comment(other)["comment"]["id"]

    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "parent_id": elsewhere})

    assert reply.status == 422
    assert "parent_id" in reply.problem["errors"]
    assert comment_count(api, slug) == 0


@pytest.mark.parametrize("parent_id", ["not-an-id", new_ulid(), "0" * 26, "Z" * 26],
                         ids=["not-an-id", "fresh-ulid", "zeros", "z"])
def test_reply_to_an_unknown_comment_is_refused(api: Api, slug: str, parent_id: str) -> None:
    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "parent_id": parent_id})

    assert reply.status == 422
    assert "parent_id" in reply.problem["errors"]
    assert comment_count(api, slug) == 0


def test_reply_to_deleted_comment_is_refused(api: Api, blog: Blog, slug: str) -> None:
    # Given a comment deleted outright and one left as a tombstone for its reply
    gone = blog.comment(slug)
    kept = blog.comment(slug)
    blog.comment(slug, parent_id=kept["comment"]["id"])
    for created in (gone, kept):
        reply = api.delete(f"/comments/{created['comment']['id']}", headers={"X-Edit-Token": created["edit_token"]})
        assert reply.status == 204

    # When someone replies to either, then the reply is refused
    for created in (gone, kept):
        reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "parent_id": created["comment"]["id"]})
        assert reply.status == 422
        assert "parent_id" in reply.problem["errors"]
    assert comment_count(api, slug) == 1


def test_null_parent_makes_a_top_level_comment(api: Api, slug: str) -> None:
    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "parent_id": None})

    assert reply.status == 201
    assert reply.json["comment"]["parent_id"] is None


# -- listing and paging ------------------------------------------------------------------


def test_comments_are_listed_oldest_first(api: Api, blog: Blog, slug: str) -> None:
    posted = [blog.comment(slug, body=f"number {n}")["comment"]["id"] for n in range(5)]

    assert ids(listing(api, slug)["items"]) == posted


def test_listed_comment_has_the_documented_fields(api: Api, blog: Blog, slug: str) -> None:
    blog.comment(slug)

    item = listing(api, slug)["items"][0]

    assert {"id", "parent_id", "author", "html", "created_at", "edited_at", "likes", "dislikes",
            "status"} <= set(item)
    assert {"name", "website", "avatar"} <= set(item["author"])
    assert "author_email" not in item and "PK" not in item


def seed_comments(slug: str, like: str, count: int) -> list[str]:
    """``count`` copies of comment ``like``, written straight to the table.

    moto copies the whole table on every TransactWriteItems, so posting hundreds
    of comments over HTTP takes minutes; copying a real comment item keeps the
    stored shape exactly what the API writes.
    """
    client = dynamodb_client()
    table = services_module.services().settings.table_name
    template = deserialize(client.get_item(TableName=table, Key=serialize(keys.comment(slug, like)))["Item"])
    made = [new_ulid() for _ in range(count)]
    items = [{**template, **keys.comment(slug, i), "id": i, "body": f"seeded {i}"} for i in made]
    items += [{**keys.comment_ref(i), "post_slug": slug} for i in made]
    for start in range(0, len(items), 25):
        batch: dict[str, Any] = {table: [{"PutRequest": {"Item": serialize(item)}} for item in items[start:start + 25]]}
        assert not client.batch_write_item(RequestItems=batch).get("UnprocessedItems")
    return made


def test_walking_the_pages_returns_every_comment_exactly_once(api: Api, blog: Blog, dynamo: DynamoCalls,
                                                              slug: str) -> None:
    # Given a few hundred comments, a reply among them
    first = blog.comment(slug)["comment"]["id"]
    reply = blog.comment(slug, parent_id=first)["comment"]["id"]
    posted = sorted([first, reply, *seed_comments(slug, first, 298)])  # ULIDs sort oldest first

    # When a reader follows next_cursor to the end, seven at a time
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        dynamo.clear()
        page = listing(api, slug, limit=7, **({"cursor": cursor} if cursor else {}))
        pages += 1
        # Then each page is one Query that read no more than a page and one; a page after
        # a cursor reads the post first (is it still public?)
        assert dynamo.operations == (["GetItem", "Query"] if cursor else ["Query"])
        assert dynamo.scanned[0] <= 8
        assert len(page["items"]) <= 7
        seen.extend(ids(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 100, "the cursor never ran out"

    # And nothing is missing, repeated or out of order
    assert seen == posted


def test_comment_listing_is_one_query_however_many_comments_exist(api: Api, blog: Blog, dynamo: DynamoCalls,
                                                                  slug: str) -> None:
    for n in range(30):
        blog.comment(slug, body=f"c{n}")
    dynamo.clear()

    page = listing(api, slug, limit=10)

    assert len(page["items"]) == 10
    assert page["next_cursor"]
    assert dynamo.operations == ["Query"]
    assert dynamo.scanned == [11]


def test_last_page_has_no_cursor(api: Api, blog: Blog, slug: str) -> None:
    for n in range(3):
        blog.comment(slug, body=f"c{n}")

    assert listing(api, slug, limit=5)["next_cursor"] is None


def test_cursor_from_another_post_is_refused(api: Api, blog: Blog, author: str, slug: str) -> None:
    other = blog.post(author, title="Another post")["slug"]
    for n in range(3):
        blog.comment(other, body=f"c{n}")
    cursor = listing(api, other, limit=1)["next_cursor"]

    reply = api.get(f"/posts/{slug}/comments?cursor={cursor}")

    assert reply.status == 400
    assert "cursor" in reply.problem["errors"]


@pytest.mark.parametrize("query", ["limit=0", "limit=301", "limit=ten", "limit=-1", "cursor=forged.cursor",
                                   "sort=best"])
def test_bad_listing_parameters_are_refused(api: Api, slug: str, query: str) -> None:
    reply = api.get(f"/posts/{slug}/comments?{query}")

    assert reply.status in (400, 422)
    assert reply.problem["errors"]


def test_post_embeds_its_first_comments_and_a_cursor_for_the_rest(api: Api, blog: Blog, dynamo: DynamoCalls,
                                                                  slug: str) -> None:
    # Given a post with more comments than one page
    posted = [blog.comment(slug, body=f"c{n}")["comment"]["id"] for n in range(25)]
    dynamo.clear()

    # When a reader opens the post with its comments
    post = api.get(f"/posts/{slug}?embed=comments")

    # Then one Query brought the post and the first page
    assert post.status == 200, post.body
    assert dynamo.operations == ["Query"]
    first = ids(post.json["comments"])
    assert first == posted[:20]
    # And the cursor continues in the comment listing where the page stopped
    rest = listing(api, slug, cursor=post.json["comments_next_cursor"], limit=100)
    assert first + ids(rest["items"]) == posted
    assert rest["next_cursor"] is None


def test_post_with_few_comments_embeds_them_all_without_a_cursor(api: Api, blog: Blog, slug: str) -> None:
    posted = [blog.comment(slug)["comment"]["id"] for _ in range(3)]

    post = api.get(f"/posts/{slug}?embed=comments").json

    assert ids(post["comments"]) == posted
    assert post["comments_next_cursor"] is None


# -- counting ------------------------------------------------------------------------------


def test_comment_count_is_exact_after_creates_and_deletes(api: Api, blog: Blog, slug: str) -> None:
    created = [blog.comment(slug) for _ in range(4)]
    reply = blog.comment(slug, parent_id=created[0]["comment"]["id"])
    assert comment_count(api, slug) == 5

    for doomed in (created[1], reply, created[0]):
        answer = api.delete(f"/comments/{doomed['comment']['id']}", headers={"X-Edit-Token": doomed["edit_token"]})
        assert answer.status == 204

    assert comment_count(api, slug) == 2
    assert len(listing(api, slug)["items"]) == 2
    summary = next(p for p in api.get("/posts").json["items"] if p["slug"] == slug)
    assert summary["comment_count"] == 2


def test_refused_comments_are_not_counted(api: Api, slug: str) -> None:
    api.post(f"/posts/{slug}/comments", {"body": ""})
    api.post(f"/posts/{slug}/comments", {"body": "x" * 5001})
    api.post(f"/posts/{slug}/comments", {"body": "Hi", "parent_id": new_ulid()})

    assert comment_count(api, slug) == 0
    assert listing(api, slug)["items"] == []


def test_comment_lost_to_contention_is_a_conflict_to_retry(api: Api, blog: Blog, slug: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Given DynamoDB keeps cancelling the transaction for contention, not for a condition
    parent = blog.comment(slug)["comment"]["id"]

    def contended(writes: Any) -> None:
        raise TransactionCancelled(["None"] * (len(writes) - 1) + ["TransactionConflict"])

    monkeypatch.setattr(services_module.services().comments.table, "transact", contended)

    # Then neither a comment nor a reply is blamed on the post or the parent: the caller may retry
    for payload in ({"body": "Hi"}, {"body": "Hi", "parent_id": parent}):
        reply = api.post(f"/posts/{slug}/comments", payload)
        assert reply.status == 409
        assert reply.problem["errors"] == {}
