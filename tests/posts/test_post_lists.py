"""Specification: the lists readers browse — posts, labels and the archive — and their pages."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
import pytest

from chalicelib.blog import clock
from chalicelib.store.table import Table
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls
from tests.post_steps import iso_from_now, label_counts, slugs, walk, write_one_by_one

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BULK = 250
PAGE = 7


def newest_first(items: list[dict[str, Any]]) -> bool:
    order = [(item["published_at"], item["slug"]) for item in items]
    return order == sorted(order, reverse=True)


@dataclass
class BulkSeed:
    """The bulk fixture's posts, seeded once per module: their slugs and the table's items as stored."""

    slugs: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def bulk_seed() -> BulkSeed:
    return BulkSeed()


def _raw_client() -> DynamoDBClient:
    """A client of the test's own: the app's (recorded) client must never be seen to Scan."""
    return boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def bulk(blog: Blog, monkeypatch: pytest.MonkeyPatch, bulk_seed: BulkSeed) -> list[str]:
    """BULK published posts, two per day so that equal dates occur, all labelled "bulk".

    The first test of the module to ask creates them through the API, with
    transactions written item by item (see write_one_by_one), and keeps a copy
    of every item then in the table; each later test gets that copy written
    back into its fresh table with BatchWriteItem, in seconds rather than the
    half a minute the API takes.
    """
    if not bulk_seed.slugs:
        author = blog.author("bulky")
        start = datetime(2020, 1, 1, 12, tzinfo=UTC)
        made = []
        with monkeypatch.context() as patched:
            patched.setattr(Table, "transact", write_one_by_one)
            for i in range(BULK):
                labels = ["bulk", "even"] if i % 2 == 0 else ["bulk"]
                at = clock.to_iso(start + timedelta(days=i // 2))
                made.append(blog.post(author, title=f"Bulk {i}", labels=labels, published_at=at)["slug"])
        pages = _raw_client().get_paginator("scan").paginate(TableName=TEST_TABLE, ConsistentRead=True)
        bulk_seed.items = [item for page in pages for item in page["Items"]]
        bulk_seed.slugs = made
    else:
        client = _raw_client()
        for start_at in range(0, len(bulk_seed.items), 25):  # BatchWriteItem's limit
            batch: dict[str, Any] = {TEST_TABLE: [{"PutRequest": {"Item": item}}
                                                  for item in bulk_seed.items[start_at:start_at + 25]]}
            assert not client.batch_write_item(RequestItems=batch).get("UnprocessedItems")
    assert label_counts(blog.api) == {"bulk": BULK, "even": BULK // 2}
    return list(bulk_seed.slugs)


# -- what a list shows -------------------------------------------------------


def test_the_post_list_shows_published_posts_newest_first(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Oldest", published_at="2017-01-01T00:00:00Z")
    blog.post(author, title="Newest")
    blog.post(author, title="Middle", published_at="2018-06-01T00:00:00Z")
    blog.post(author, title="Draft", status="draft")
    blog.post(author, title="Planned", status="scheduled", published_at=iso_from_now(days=2))

    reply = api.get("/posts")

    assert reply.status == 200
    assert [i["slug"] for i in reply.json["items"]] == ["newest", "middle", "oldest"]
    assert reply.json["next_cursor"] is None
    assert all(i["status"] == "published" for i in reply.json["items"])


def test_a_list_item_is_a_summary(api: Api, blog: Blog) -> None:
    blog.post(blog.author("ann"), title="Summary shape", body="Some *text*.", labels=["x"])

    item = api.get("/posts").json["items"][0]

    assert item["summary"] == "Some text."
    assert {"slug", "title", "summary", "labels", "author", "status", "published_at", "comment_count"} <= set(item)
    assert "body" not in item and "html" not in item


def test_the_list_filters_by_author(api: Api, blog: Blog) -> None:
    alice, bob = blog.author("alice"), blog.author("bob")
    blog.post(alice, title="A1", published_at="2017-01-01T00:00:00Z")
    blog.post(bob, title="B1")
    blog.post(alice, title="A2")
    blog.post(alice, title="A draft", status="draft")

    assert slugs(api, "/posts?author=alice") == ["a2", "a1"]
    assert slugs(api, "/posts?author=bob") == ["b1"]
    assert slugs(api, "/posts?author=nobody") == []


def test_the_list_filters_by_label_ignoring_case(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Snake", labels=["Python"], published_at="2017-01-01T00:00:00Z")
    blog.post(author, title="Cloud", labels=["aws"])
    blog.post(author, title="Both", labels=["python", "aws"])
    blog.post(author, title="Hidden", labels=["python"], status="draft")

    assert slugs(api, "/posts?label=python") == ["both", "snake"]
    assert slugs(api, "/posts?label=PYTHON") == ["both", "snake"]
    assert slugs(api, "/posts?label=" + quote(" python ")) == ["both", "snake"]
    assert slugs(api, "/posts?label=" + quote("aws")) == ["both", "cloud"]
    assert slugs(api, "/posts?label=rust") == []


def test_the_list_filters_by_month(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="March start", published_at="2017-03-01T00:00:00Z")
    blog.post(author, title="March end", published_at="2017-03-31T23:59:59Z")
    blog.post(author, title="April", published_at="2017-04-01T00:00:00Z")
    blog.post(author, title="February", published_at="2017-02-28T23:59:59Z")

    assert slugs(api, "/posts?month=2017-03") == ["march-end", "march-start"]
    assert slugs(api, "/posts?month=2017-05") == []
    assert slugs(api, "/posts?month=2017-03&author=" + "nobody") == []


def test_an_author_lists_their_own_drafts_newest_edit_first(api: Api, blog: Blog) -> None:
    author = blog.author("dora")
    blog.post(author, title="First draft", status="draft")
    blog.post(author, title="Second draft", status="draft")
    blog.post(author, title="Public")
    blog.post(blog.author(), title="Someone else's draft", status="draft")
    api.patch("/posts/first-draft", {"title": "First draft, edited"}, token=author)

    assert slugs(api, "/posts?status=draft", token=author) == ["first-draft", "second-draft"]
    assert slugs(api, "/posts?status=draft&author=dora", token=author) == ["first-draft", "second-draft"]


def test_nobody_else_may_list_an_authors_drafts_but_an_admin(api: Api, blog: Blog) -> None:
    alice = blog.author("alice")
    blog.post(alice, title="Secret", status="draft")

    assert api.get("/posts?status=draft&author=alice", token=blog.author()).status == 403
    assert api.get("/posts?status=draft&author=alice", token=blog.user()).status == 403
    assert api.get("/posts?status=draft&author=alice").status == 403
    assert api.get("/posts?status=draft").status == 403
    assert slugs(api, "/posts?status=draft&author=alice", token=blog.admin()) == ["secret"]


def test_an_author_lists_their_scheduled_posts(api: Api, blog: Blog) -> None:
    author = blog.author("sam")
    blog.post(author, title="Next week", status="scheduled", published_at=iso_from_now(days=7))
    blog.post(author, title="Tomorrow", status="scheduled", published_at=iso_from_now(days=1))
    blog.post(author, title="Out already")
    blog.post(author, title="Draft", status="draft")

    assert slugs(api, "/posts?status=scheduled", token=author) == ["next-week", "tomorrow"]
    assert api.get("/posts?status=scheduled").status == 403
    assert api.get("/posts?status=scheduled&author=sam", token=blog.author()).status == 403


def test_an_admin_without_an_author_lists_every_authors_drafts_last_changed_first(api: Api, blog: Blog,
                                                                                  dynamo: DynamoCalls) -> None:
    dora, eve = blog.author("dora"), blog.author("eve")
    blog.post(dora, title="Dora's draft", status="draft")
    blog.post(eve, title="Eve's draft", status="draft")
    blog.post(dora, title="Dora's second", status="draft")
    blog.post(eve, title="Public")
    api.patch("/posts/dora-s-draft", {"title": "Dora's draft, edited"}, token=dora)
    admin = blog.admin()

    dynamo.clear()
    listed = slugs(api, "/posts?status=draft", token=admin)

    assert listed == ["dora-s-draft", "dora-s-second", "eve-s-draft"]
    assert dynamo.operations == ["GetItem", "Query"]  # the admin's account (their role is checked), one Query
    assert [p["slug"] for p in walk(api, "/posts?status=draft", 1, token=admin)] == listed
    # And an author filter, or an author's own list, still has theirs only
    assert slugs(api, "/posts?status=draft&author=eve", token=admin) == ["eve-s-draft"]
    assert slugs(api, "/posts?status=draft", token=eve) == ["eve-s-draft"]


def test_a_draft_published_or_deleted_leaves_the_admins_list_of_drafts(api: Api, blog: Blog) -> None:
    dora = blog.author("dora")
    blog.post(dora, title="Soon out", status="draft")
    blog.post(dora, title="Soon gone", status="draft")
    blog.post(dora, title="Stays", status="draft")

    assert api.patch("/posts/soon-out", {"status": "published"}, token=dora).status == 200
    assert api.delete("/posts/soon-gone", token=dora).status == 204

    assert slugs(api, "/posts?status=draft", token=blog.admin()) == ["stays"]


def test_an_admin_without_an_author_lists_every_authors_scheduled_posts(api: Api, blog: Blog) -> None:
    blog.post(blog.author("sam"), title="Next week", status="scheduled", published_at=iso_from_now(days=7))
    blog.post(blog.author("tia"), title="Tomorrow", status="scheduled", published_at=iso_from_now(days=1))
    blog.post(blog.author("uma"), title="Out already")

    assert slugs(api, "/posts?status=scheduled", token=blog.admin()) == ["next-week", "tomorrow"]


# -- pages -------------------------------------------------------------------


def test_walking_every_page_lists_each_post_exactly_once(api: Api, bulk: list[str]) -> None:
    walked = walk(api, "/posts", PAGE)

    assert len(walked) == BULK
    assert {item["slug"] for item in walked} == set(bulk)
    assert newest_first(walked)


def test_walking_every_page_of_a_label_lists_each_of_its_posts_exactly_once(api: Api, bulk: list[str]) -> None:
    everything = walk(api, "/posts?label=bulk", PAGE)
    evens = walk(api, "/posts?label=even", PAGE)

    assert len(everything) == BULK and {i["slug"] for i in everything} == set(bulk)
    assert len(evens) == BULK // 2 and {i["slug"] for i in evens} == set(bulk[::2])
    assert newest_first(everything) and newest_first(evens)


def test_walking_an_authors_posts_and_a_month_lists_each_exactly_once(api: Api, bulk: list[str]) -> None:
    by_author = walk(api, "/posts?author=bulky", PAGE)
    january = walk(api, "/posts?month=2020-01", PAGE)

    assert [i["slug"] for i in by_author] == [i["slug"] for i in walk(api, "/posts", PAGE)]
    assert len(january) == 62  # 31 days, two posts a day
    assert len({i["slug"] for i in january}) == 62
    assert all(i["published_at"].startswith("2020-01") for i in january)


def test_a_page_of_posts_is_one_query_that_reads_no_more_than_it_returns(api: Api, blog: Blog,
                                                                         dynamo: DynamoCalls) -> None:
    # Given many posts, drafts and scheduled posts among them
    author = blog.author()
    for i in range(30):
        blog.post(author, title=f"P{i}")
    for i in range(5):
        blog.post(author, title=f"D{i}", status="draft")
        blog.post(author, title=f"S{i}", status="scheduled", published_at=iso_from_now(days=i + 1))

    for path in ("/posts?limit=10", "/posts"):
        # When a reader asks for a page
        dynamo.clear()
        reply = api.get(path)

        # Then one Query answers it, reading at most a page and one item
        assert reply.status == 200
        limit = len(reply.json["items"])
        assert dynamo.operations == ["Query"]
        assert dynamo.scanned and all(count <= limit + 1 for count in dynamo.scanned)

    dynamo.clear()
    second = api.get("/posts?limit=10&cursor=" + api.get("/posts?limit=10").json["next_cursor"])
    assert second.status == 200 and len(second.json["items"]) == 10
    assert dynamo.operations == ["Query", "Query"]
    assert all(count <= 11 for count in dynamo.scanned)


def test_a_forged_cursor_is_refused(api: Api, blog: Blog) -> None:
    blog.post(blog.author())

    for forged in ("garbage", "abc.def", "a.b.c", "x" * 3000):
        reply = api.get("/posts?cursor=" + forged)
        assert reply.status == 400, forged
        assert "cursor" in reply.problem["errors"]


def test_a_tampered_cursor_is_refused(api: Api, blog: Blog) -> None:
    author = blog.author()
    for i in range(3):
        blog.post(author, title=f"T{i}")
    cursor = api.get("/posts?limit=1").json["next_cursor"]
    payload, signature = cursor.split(".")
    key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    key["GSI1SK"] = "9999"
    steered = base64.urlsafe_b64encode(json.dumps(key).encode()).rstrip(b"=").decode()

    reply = api.get(f"/posts?limit=1&cursor={steered}.{signature}")

    assert reply.status == 400


def test_a_cursor_only_works_on_the_list_that_issued_it(api: Api, blog: Blog) -> None:
    author = blog.author("carl")
    for i in range(3):
        blog.post(author, title=f"C{i}", labels=["x", "y", "z"])
    from_posts = api.get("/posts?limit=1").json["next_cursor"]
    from_label = api.get("/posts?label=x&limit=1").json["next_cursor"]
    from_labels = api.get("/labels?limit=1").json["next_cursor"]
    assert from_posts and from_label and from_labels

    assert api.get("/posts?label=x&cursor=" + from_posts).status == 400
    assert api.get("/posts?label=y&cursor=" + from_label).status == 400
    assert api.get("/posts?author=carl&cursor=" + from_posts).status == 400
    assert api.get("/posts?cursor=" + from_labels).status == 400
    assert api.get("/archive?cursor=" + from_labels).status == 400
    assert api.get("/posts/c0/comments?cursor=" + from_posts).status == 400


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5", "", "²"])
def test_a_limit_outside_1_to_100_is_refused(api: Api, limit: str) -> None:
    reply = api.get(f"/posts?limit={limit}")

    assert reply.status == 422, reply.body
    assert "limit" in reply.problem["errors"]


@pytest.mark.parametrize(("query", "field"), [
    ("month=2017-13", "month"),
    ("month=2017-3", "month"),
    ("status=deleted", "status"),
    ("label=x&author=y", "label"),
])
def test_malformed_list_parameters_are_refused(api: Api, query: str, field: str) -> None:
    reply = api.get(f"/posts?{query}")

    assert reply.status == 422, reply.body
    assert field in reply.problem["errors"]


def test_a_parameter_the_list_does_not_take_is_ignored(api: Api, blog: Blog) -> None:
    blog.post(blog.author(), title="Listed")

    tagged = api.get("/posts?sort=oldest&utm_source=feed&_=1796000000")

    assert tagged.status == 200, tagged.body
    assert tagged.json == api.get("/posts").json


def test_the_limits_bounds_are_accepted(api: Api, blog: Blog) -> None:
    author = blog.author()
    for i in range(3):
        blog.post(author, title=f"L{i}")

    assert len(api.get("/posts?limit=1").json["items"]) == 1
    assert len(api.get("/posts?limit=100").json["items"]) == 3


# -- labels and archive ------------------------------------------------------


def test_labels_are_listed_by_name_with_the_number_of_published_posts(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="One", labels=["python", "aws"])
    blog.post(author, title="Two", labels=["Python"])
    blog.post(author, title="Three", labels=["rust"], status="draft")

    reply = api.get("/labels")

    assert reply.status == 200
    assert reply.json["next_cursor"] is None
    items = reply.json["items"]
    assert [i["label"].casefold() for i in items] == ["aws", "python"]
    assert [i["count"] for i in items] == [1, 2]
    assert all(set(i) == {"label", "count"} for i in items)


def test_labels_page_through_every_label_once(api: Api, blog: Blog) -> None:
    author = blog.author()
    names = [f"label-{c}" for c in "abcdefghijk"]
    blog.post(author, title="Many", labels=names[:10])
    blog.post(author, title="One more", labels=names[10:])

    walked = walk(api, "/labels", 3)

    assert [i["label"] for i in walked] == names
    assert api.get("/labels?limit=0").status == 422
    # A parameter the list does not take is ignored (analytics tags, cache-busters), not refused
    assert api.get("/labels?colour=red").json == api.get("/labels").json


def test_the_archive_counts_posts_per_month_newest_first(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="A", published_at="2017-03-22T10:00:00Z")
    blog.post(author, title="B", published_at="2017-03-01T00:00:00Z")
    blog.post(author, title="C", published_at="2016-12-31T23:59:59Z")
    blog.post(author, title="D", published_at="2017-01-15T00:00:00Z", status="draft")

    reply = api.get("/archive")

    assert reply.status == 200
    assert reply.json == {
        "items": [{"year": 2017, "month": "2017-03", "count": 2}, {"year": 2016, "month": "2016-12", "count": 1}],
        "next_cursor": None,
    }


def test_the_archive_pages_through_every_month_once(api: Api, blog: Blog) -> None:
    author = blog.author()
    months = [f"2019-{m:02d}" for m in range(1, 13)]
    for month in months:
        blog.post(author, title=f"In {month}", published_at=f"{month}-10T00:00:00Z")

    walked = walk(api, "/archive", 5)

    assert [i["month"] for i in walked] == months[::-1]
    assert all(i["count"] == 1 and i["year"] == 2019 for i in walked)
    assert api.get("/archive?limit=101").status == 422
