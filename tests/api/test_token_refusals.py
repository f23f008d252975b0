"""Signed tokens sent back odd are the caller's mistake: a 4xx problem, never a 500.

Cursors, form tokens, edit tokens and unsubscribe tokens all come back from
clients, and any of them may be non-ASCII, empty, huge or garbage. Before
chalicelib.signing, a non-ASCII cursor on any list and a non-ASCII form token
reached hmac.compare_digest, which raises TypeError on such text: a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Api, Blog, DynamoCalls

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
# As they appear in a query string: percent-encoded where they would have to be.
ODD_CURSORS = [
    "a.%C3%A9",  # the signature non-ASCII: was a 500
    "%C3%A9.%C3%A9",
    "e30.%F0%9F%92%A9%F0%9F%92%A9",
    "e30.AAAAAAAAAAAAAAAAAAAAA%C3%A9",  # right length in characters, not in bytes
    "e30.%FF%FE",  # not even UTF-8
    "%C3%A9",
    "e30.%00",
    "e30%7Cx.AAAAAAAAAAAAAAAAAAAAAA",  # a "|" in the payload
    "e30.AAAAAAAAAAAAAAAAAAAAAA",
    ".",
    "a.b.c",
    "e30." + "A" * 2000,
]


@dataclass(frozen=True)
class ListRoute:
    path: str
    caller: str | None = None  # "author" or "admin": who may read the list

    def __str__(self) -> str:
        return self.path


LISTS = [
    ListRoute("/posts"),
    ListRoute("/posts?label=news"),
    ListRoute("/posts?author=alice&status=draft", "author"),
    ListRoute("/labels"),
    ListRoute("/archive"),
    ListRoute("/posts/{slug}/comments"),
    ListRoute("/posts/{slug}/comments?sort=oldest"),
    ListRoute("/posts/{slug}/comments?sort=newest"),
    ListRoute("/posts/{slug}/comments?sort=score"),
    ListRoute("/moderation/comments", "admin"),
    ListRoute("/moderation/comments?status=spam", "admin"),
    ListRoute("/moderation/audit", "admin"),
]


def assert_refused(reply: Any, status: int, field: str) -> None:
    assert reply.status == status, reply.body
    problem = reply.problem
    assert problem["detail"]
    assert field in problem["errors"], problem


def assert_nothing_written(dynamo: DynamoCalls) -> None:
    assert not WRITES & set(dynamo.operations), dynamo.operations


@pytest.mark.parametrize("route", LISTS, ids=str)
def test_non_ascii_or_odd_cursor_is_refused_with_400_on_every_list(
        api: Api, blog: Blog, author: str, slug: str, route: ListRoute) -> None:
    token = {"author": author, "admin": blog.admin(), None: None}[route.caller]
    path = route.path.replace("{slug}", slug)
    assert api.get(path, token=token).status == 200, "the list itself is readable"

    for cursor in ODD_CURSORS:
        reply = api.get(f"{path}{'&' if '?' in path else '?'}cursor={cursor}", token=token)
        assert_refused(reply, 400, "cursor")


@pytest.mark.parametrize("form_token", [
    "1.é",  # was a 500
    "1796049133.ａｂｃｄｅｆ",
    "1796049133." + "é" * 32,
    "1796049133.\U0001f4a9",
    "é.abc",
    "²3.abc",
    "9" * 90 + ".abc",
    "1796049133",
    "1796049133.",
    ".",
    "",
    "1796049133.0123456789abcdef0123456789abcdef",
])
def test_non_ascii_or_odd_form_token_is_refused_with_422(
        api: Api, dynamo: DynamoCalls, slug: str, form_token: str) -> None:
    dynamo.clear()

    reply = api.post(f"/posts/{slug}/comments", {"body": "Hello", "author_name": "Ann", "form_token": form_token})

    assert_refused(reply, 422, "form_token")
    assert_nothing_written(dynamo)


ODD_EDIT_TOKENS = [
    "1.é", "é", "9999999999.é", "²3.abc", "1.€", "\u00ff" * 100, "1." + "A" * 5000, "9" * 5000 + ".abc",
    "99999999999999.abc", "9999999999." + "A" * 43 + "é", "9999999999.", ".", "0.0",
]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_non_ascii_empty_or_huge_edit_token_is_refused_not_a_server_error(
        api: Api, blog: Blog, dynamo: DynamoCalls, slug: str, method: str) -> None:
    comment_id = blog.comment(slug)["comment"]["id"]
    dynamo.clear()

    for edit_token in ODD_EDIT_TOKENS:
        reply = api.request(method, f"/comments/{comment_id}", json_body={"body": "Edited"},
                            headers={"X-Edit-Token": edit_token})
        assert reply.status == 403, (edit_token[:20], reply.body)
        assert reply.problem["detail"].startswith("the edit token is not valid")
    # An empty header is no credential at all: the caller is asked for one.
    empty = api.request(method, f"/comments/{comment_id}", json_body={"body": "Edited"},
                        headers={"X-Edit-Token": ""})
    assert empty.status == 401, empty.body
    assert "X-Edit-Token" in empty.problem["detail"]
    assert_nothing_written(dynamo)


ODD_UNSUBSCRIBE_TOKENS = [
    "%C3%A9",
    "a.%C3%A9",
    "0" * 64 + ".%C3%A9" * 11,
    "0" * 64 + "." + "A" * 21 + "%C3%A9",
    "0" * 64 + ".%FF%FE" + "A" * 20,
    "é" * 64 + "." + "A" * 22,
    "0" * 64 + "." + "A" * 22,
    "0" * 64 + "." + "A" * 5000,
    "x" * 5000,
    "0" * 64,
    ".",
    "%00",
]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_non_ascii_or_odd_unsubscribe_token_is_refused_not_a_server_error(
        api: Api, dynamo: DynamoCalls, method: str) -> None:
    dynamo.clear()

    for token in ODD_UNSUBSCRIBE_TOKENS:
        reply = api.request(method, f"/unsubscribe?token={token}")
        assert reply.status == 403, (token[:20], reply.body)
        assert reply.problem["detail"].startswith("this unsubscribe link is not valid")
    for query in ("", "?token=", "?token"):
        reply = api.request(method, f"/unsubscribe{query}")
        assert_refused(reply, 400, "token")
    assert_nothing_written(dynamo)
