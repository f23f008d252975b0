"""`make migrate`: a table in the old shape (counts and list keys on the post item, label
memberships holding only the slug) comes out as today's code writes it, whether the
command runs once, is killed half-way and run again, or runs twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.blog.post_upkeep import COUNT_FIELDS
from chalicelib.services import services
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Item, Table, deserialize, serialize
from deploy.migrate import index_accounts, index_comments, index_drafts, index_held_by_author, index_votes, migrate
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls, make_admin


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


# -- accounts and commenters written before their indexes --------------------------------------------


def _without(table: Table, wanted: Callable[[Item], bool], *attributes: str) -> list[Item]:
    """Take ``attributes`` off every item ``wanted`` keeps, as older code wrote those items; returns them."""
    changed = []
    for item in _everything(table):
        if wanted(item):
            _put(table, {k: v for k, v in item.items() if k not in attributes})
            changed.append(item)
    return changed


def _commenter_entries(table: Table) -> list[Item]:
    return [i for i in _everything(table)
            if str(i["PK"]).startswith("COMMENTER#") and str(i["SK"]).startswith(keys.COMMENT_PREFIX)]


def _is_account(item: Item) -> bool:
    return str(item["SK"]) == keys.user("x")["SK"]


def test_accounts_made_before_their_indexes_join_people_and_stored_admins_join_admins(
        table: Table, api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    # Given accounts, one of them an admin by `make admin`, written without their index keys
    make_admin("keeper")
    admin = blog.admin()
    expected = _everything(table)
    stripped = _without(table, _is_account, "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")
    assert api.get("/users", token=admin).json["items"] == []

    outcome = index_accounts(table)

    assert outcome == {"accounts indexed": len(stripped)}
    assert _everything(table) == expected
    assert "keeper" in [u["username"] for u in api.get("/users", token=admin).json["items"]]
    assert index_accounts(table) == {"accounts indexed already": len(stripped)}
    dynamo.clear()


def test_accounts_made_before_ids_get_one_and_their_older_tokens_end(
        table: Table, api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    # Given an account written before accounts had ids, signed in then
    token = blog.user("uma")
    _without(table, lambda item: _is_account(item) and item["username"] == "uma", "account_id")
    assert api.get("/auth/me", token=token).status == 401  # a token naming an id the account lacks

    outcome = index_accounts(table)

    # Then it has an id, which a second run leaves as it is, and signing in again works
    assert outcome["accounts indexed"] == 1
    given = table.get(keys.user("uma"))
    assert given is not None and len(given["account_id"]) == 26
    assert index_accounts(table)["accounts indexed"] == 0
    assert table.get(keys.user("uma")) == given
    assert api.get("/auth/me", token=blog.login("uma")).status == 200
    dynamo.clear()


def test_comments_written_before_the_commenters_index_get_their_entries(
        table: Table, api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    # Given comments by an account and by an e-mail address, their commenter entries missing
    rita = blog.user("rita")
    blog.comment("quiet", token=rita)
    blog.comment("quiet", author_email="ann@example.com")
    gone = _commenter_entries(table)
    for entry in gone:
        table.client.delete_item(TableName=table.name, Key=serialize({"PK": entry["PK"], "SK": entry["SK"]}))
    assert not api.get("/me/export", token=rita).json["comments"]

    outcome = index_comments(table, services().comments.antispam.email_hash)

    assert outcome["commenter entries written"] == len(gone) >= 2
    assert _commenter_entries(table) == gone
    assert len(api.get("/me/export", token=rita).json["comments"]) == 1
    again = index_comments(table, services().comments.antispam.email_hash)
    assert again["commenter entries written"] == 0 and again["commenter entries there already"] == len(gone)
    dynamo.clear()


def test_comments_by_e_mail_are_left_and_counted_without_the_hash_key(table: Table, blog: Blog,
                                                                       dynamo: DynamoCalls) -> None:
    blog.comment("quiet", author_email="ann@example.com")

    outcome = index_comments(table, None)

    assert outcome["comments by e-mail left (no HASH_KEY)"] == 1
    dynamo.clear()


def test_public_comments_written_before_the_feeds_index_join_it_and_tombstones_do_not(
        table: Table, api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    # Given public comments and a tombstone (a deleted comment with a reply), written without the feed's keys
    parent = blog.comment("quiet")["comment"]["id"]
    blog.comment("quiet", parent_id=parent)
    admin = blog.admin()
    assert api.delete(f"/comments/{parent}", token=admin).status == 204
    expected = [i for i in _everything(table) if str(i["PK"]).startswith("POST#")]
    stripped = _without(table, lambda i: str(i["PK"]).startswith("POST#") and str(i["SK"]).startswith(
        keys.COMMENT_PREFIX) and "GSI2PK" in i, "GSI2PK", "GSI2SK")
    assert api.get("/moderation/recent", token=admin).json["items"] == []

    outcome = index_comments(table, None)

    assert outcome["comments put in the feed's index"] == len(stripped) >= 3
    assert [i for i in _everything(table) if str(i["PK"]).startswith("POST#")] == expected
    assert parent not in [c["id"] for c in api.get("/moderation/recent", token=admin).json["items"]]
    assert index_comments(table, None)["comments put in the feed's index"] == 0
    dynamo.clear()


def test_comments_held_before_the_authors_queue_join_it_once(table: Table, api: Api, blog: Blog,
                                                              configure: Callable[..., Settings],
                                                              dynamo: DynamoCalls) -> None:
    # Given two comments held on Alice's post, written without their post's author (as older code wrote them)
    configure(MODERATION="all")
    held = [api.post("/posts/quiet/comments", {"body": f"Held {n}", "author_name": "Hal"}).json["comment"]["id"]
            for n in range(2)]
    stripped = _without(table, lambda i: str(i["SK"]).startswith(keys.HELD_PREFIX), "post_author", "GSI2PK", "GSI2SK")
    alice = blog.login("alice")
    assert len(stripped) == 2
    assert api.get("/moderation/comments", token=alice).json["items"] == []

    outcome = index_held_by_author(table)

    assert outcome == {"held comments put in their author's queue": 2}
    assert sorted(c["id"] for c in api.get("/moderation/comments", token=alice).json["items"]) == sorted(held)
    assert index_held_by_author(table) == {}
    dynamo.clear()


def test_drafts_saved_before_the_drafts_index_join_the_admins_list(table: Table, api: Api, blog: Blog,
                                                                     dynamo: DynamoCalls) -> None:
    admin = blog.admin()
    expected = _everything(table)
    stripped = _without(table, lambda i: str(i["SK"]) == keys.POST_SUMMARY_SK and i["status"] == "draft",
                        "GSI1PK", "GSI1SK")
    assert api.get("/posts?status=draft", token=admin).json["items"] == []

    assert index_drafts(table) == {"drafts indexed": len(stripped)} == {"drafts indexed": 1}

    assert _everything(table) == expected
    assert [p["slug"] for p in api.get("/posts?status=draft", token=admin).json["items"]] == ["draft"]
    assert index_drafts(table) == {}
    dynamo.clear()


def test_votes_given_before_the_voters_index_join_it_and_anonymous_ones_are_left(
        table: Table, api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    comment_id = blog.comment("quiet")["comment"]["id"]
    rita = blog.user("rita")
    assert api.post(f"/comments/{comment_id}/vote", {"value": 1}, token=rita).status == 200
    assert api.post(f"/comments/{comment_id}/vote", {"value": -1}, headers={"X-Voter-Token": "t"}).status == 200
    expected = _everything(table)
    stripped = _without(table, lambda i: str(i["SK"]).startswith("VOTE#"), "GSI2PK", "GSI2SK")
    assert len(stripped) == 2

    assert index_votes(table) == {"votes indexed": 1}

    assert [i for i in _everything(table) if str(i["SK"]).startswith("VOTE#")] == [
        i for i in expected if str(i["SK"]).startswith("VOTE#")]
    assert index_votes(table) == {}
    dynamo.clear()
