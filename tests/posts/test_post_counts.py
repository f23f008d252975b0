"""A post's counts live on its small summary item and its label memberships, never on the post item,
and stay exact on every copy; a label page is one Query."""

from __future__ import annotations

import pytest

from chalicelib.blog import counters
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Item, Table
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls


def _table() -> Table:
    return Table(dynamodb_client(), TEST_TABLE)


def _label_page(api: Api, label: str) -> list[tuple[str, int, int]]:
    reply = api.get(f"/posts?label={label}")
    assert reply.status == 200, reply.body
    return [(p["slug"], p["comment_count"], p["favorites_count"]) for p in reply.json["items"]]


def _item(key: dict[str, str]) -> Item:
    found = _table().get(key)
    assert found is not None
    return found


def test_a_comment_counts_on_the_summary_item_and_leaves_the_post_item_alone(blog: Blog) -> None:
    author = blog.author()
    slug = blog.post(author, body="x" * 50_000, labels=["news"])["slug"]
    post_before = _item(keys.post(slug))
    blog.comment(slug)
    assert _item(keys.post(slug)) == post_before
    assert "comment_count" not in post_before
    assert _item(keys.post_summary(slug))["comment_count"] == 1


def test_a_label_page_is_one_query_and_shows_exact_counts(blog: Blog, api: Api, dynamo: DynamoCalls) -> None:
    author = blog.author()
    slug = blog.post(author, labels=["News", "tech"])["slug"]
    blog.comment(slug)
    dynamo.clear()
    assert _label_page(api, "news") == [(slug, 1, 0)]
    assert dynamo.operations == ["Query"]
    assert sum(dynamo.scanned) == 1


def test_counts_follow_the_post_when_its_labels_change(blog: Blog, api: Api) -> None:
    author = blog.author()
    slug = blog.post(author, labels=["old"])["slug"]
    blog.comment(slug)
    assert api.patch(f"/posts/{slug}", {"labels": ["new"]}, token=author).status == 200
    assert _label_page(api, "old") == []
    assert _label_page(api, "new") == [(slug, 1, 0)]
    blog.comment(slug)
    assert _label_page(api, "new") == [(slug, 2, 0)]
    assert api.get(f"/posts/{slug}").json["comment_count"] == 2


def test_deleting_a_comment_and_favoriting_move_every_copy(blog: Blog, api: Api) -> None:
    author = blog.author()
    slug = blog.post(author, labels=["a", "b"])["slug"]
    created = blog.comment(slug)
    assert _label_page(api, "a") == [(slug, 1, 0)]
    reply = api.delete(f"/comments/{created['comment']['id']}", headers={"X-Edit-Token": created["edit_token"]})
    assert reply.status == 204, reply.body
    assert api.post(f"/api/articles/{slug}/favorite", token=blog.user()).status == 200
    assert _label_page(api, "a") == _label_page(api, "b") == [(slug, 0, 1)]
    assert api.get(f"/posts?author={api.get(f'/posts/{slug}').json['author']}").json["items"][0][
        "favorites_count"] == 1


def test_a_count_read_before_a_post_edit_is_refused_not_written_to_old_copies(blog: Blog, api: Api) -> None:
    author = blog.author()
    slug = blog.post(author, labels=["before"])["slug"]
    stale = _item(keys.post_summary(slug))
    assert api.patch(f"/posts/{slug}", {"labels": ["after"]}, token=author).status == 200
    with pytest.raises(counters.PostChanged):
        _table().transact(counters.tally(stale, "comment_count", +1))
    assert _table().get(keys.label_member("before", stale["published_at"], slug)) is None
    assert _item(keys.post_summary(slug))["comment_count"] == 0
