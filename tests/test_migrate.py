"""`make migrate`: a table in the old shape (counts and list keys on the post item, label
memberships holding only the slug) comes out as today's code writes it, whether the
command runs once, is killed half-way and run again, or runs twice."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.blog.post_upkeep import COUNT_FIELDS
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Item, Table, deserialize, serialize
from deploy.migrate import migrate
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls


class Killed(Exception):
    """Stands for the operator's Ctrl-C, or the process dying, in the middle of a run."""


def _everything(table: Table) -> list[Item]:
    items: list[Item] = []
    start: dict[str, Any] | None = None
    while True:
        params: dict[str, Any] = {"TableName": table.name, "ConsistentRead": True}
        if start:
            params["ExclusiveStartKey"] = start
        response = table.client.scan(**params)
        items += [deserialize(i) for i in response["Items"]]
        start = response.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda i: (str(i["PK"]), str(i["SK"])))


def _put(table: Table, item: Item) -> None:
    table.client.put_item(TableName=table.name, Item=serialize(item))


def _to_old_shape(table: Table) -> None:
    """Rewrite the table as the code before summary items wrote it."""
    for item in _everything(table):
        if item["SK"] == keys.POST_SUMMARY_SK:
            post = table.get(keys.post(str(item["slug"])))
            assert post is not None
            old = {**post, **{name: item[name] for name in COUNT_FIELDS}}
            old.update({name: item[name] for name in keys.INDEX_KEY_ATTRIBUTES if name in item})
            _put(table, old)
            table.client.delete_item(TableName=table.name, Key=serialize(keys.post_summary(str(item["slug"]))))
        elif str(item["PK"]).startswith("LABEL#"):
            _put(table, {"PK": item["PK"], "SK": item["SK"], "slug": item["slug"]})


@pytest.fixture
def table(blog: Blog, api: Api, dynamo: DynamoCalls) -> Table:
    """A blog with what a migration must carry over: labels, counts of both kinds, a draft, a scheduled post."""
    author = blog.author("alice")
    reader = blog.user("bob")
    busy = blog.post(author, title="Busy", labels=["news", "Tech"])["slug"]
    first = blog.comment(busy)["comment"]["id"]
    blog.comment(busy, parent_id=first)
    assert api.post(f"/api/articles/{busy}/favorite", token=reader).status == 200
    quiet = blog.post(author, title="Quiet", labels=["news"])["slug"]
    blog.comment(quiet)
    blog.post(author, title="Plain")
    blog.post(author, title="Draft", status="draft", labels=["news"])
    blog.post(author, title="Later", status="scheduled", published_at="2099-01-01T00:00:00Z", labels=["news"])
    return Table(dynamodb_client(), TEST_TABLE)


def test_a_table_in_the_old_shape_comes_out_as_today_s_code_writes_it(table: Table, dynamo: DynamoCalls) -> None:
    # Given the blog as today's code wrote it, rewritten in the old shape
    expected = _everything(table)
    _to_old_shape(table)
    assert _everything(table) != expected
    # When the migration runs
    outcome = migrate(table)
    # Then every post was moved, and the table is exactly as today's code would have written it
    assert outcome == {"migrated": 5}
    assert _everything(table) == expected
    dynamo.clear()  # the migration Scans; no request path may


def test_a_run_killed_half_way_then_run_again_ends_as_an_uninterrupted_run(table: Table,
                                                                          dynamo: DynamoCalls) -> None:
    expected = _everything(table)
    _to_old_shape(table)

    def die_after_two(_slug: str, _result: str, seen: list[str] = []) -> None:  # noqa: B006
        seen.append(_slug)
        if len(seen) == 2:
            raise Killed()

    with pytest.raises(Killed):
        migrate(table, progress=die_after_two)
    half = _everything(table)
    assert half != expected
    outcome = migrate(table)
    assert outcome == {"migrated": 3, "already in the new shape": 2}
    assert _everything(table) == expected
    dynamo.clear()


def test_a_second_run_changes_nothing(table: Table, dynamo: DynamoCalls) -> None:
    _to_old_shape(table)
    migrate(table)
    after_first = _everything(table)
    assert migrate(table) == {"already in the new shape": 5}
    assert _everything(table) == after_first
    dynamo.clear()


def test_a_migrated_blog_counts_and_lists_as_before(table: Table, api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    _to_old_shape(table)
    migrate(table)
    dynamo.clear()
    listed = api.get("/posts?label=news").json["items"]
    assert [(p["title"], p["comment_count"]) for p in listed] == [("Quiet", 1), ("Busy", 2)]
    blog.comment("quiet")
    assert api.get("/posts/quiet").json["comment_count"] == 2
    assert [p["comment_count"] for p in api.get("/posts?label=news").json["items"]] == [2, 2]
