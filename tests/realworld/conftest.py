"""The RealWorld (Conduit) API under /api: open authoring, and a client that speaks Conduit.

OPEN_AUTHORING is switched on through the environment, not with
``services.reset(settings)``: reset also forgets the DynamoDB client, and the
``dynamo`` fixture records operations (and refuses Scan) only on the client it
made. The ``dynamo`` fixture has already reset the services, so they are built
on the first request, from the stage "test" variables the Chalice test client
lays over os.environ, plus the one set here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chalicelib.store.table import Table
from tests.conftest import Api, DynamoCalls, Reply
from tests.post_steps import write_one_by_one

PASSWORD = "correct horse battery"
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(autouse=True)
def open_authoring(monkeypatch: pytest.MonkeyPatch, dynamo: DynamoCalls) -> None:
    monkeypatch.setenv("OPEN_AUTHORING", "true")


@contextmanager
def seeding(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Write transactions item by item while seeding many articles (see write_one_by_one):
    moto copies every table per transaction, and seeding is not what is under test."""
    with monkeypatch.context() as patched:
        patched.setattr(Table, "transact", write_one_by_one)
        yield


def token_header(token: str) -> dict[str, str]:
    """How Conduit clients authenticate: "Authorization: Token <jwt>"."""
    return {"Authorization": f"Token {token}"}


def conduit_error(reply: Reply, status: int, field: str | None = None) -> dict[str, list[str]]:
    """Assert Conduit's error form, {"errors": {"body": [...], field: [...]}}, and return the errors.

    With ``field``, the errors must name it. "body" is both Conduit's general list
    and an article's field: the field's own message then follows the general one.
    """
    assert reply.status == status, (reply.status, reply.body)
    assert reply.headers.get("content-type") == "application/json", reply.headers
    errors = reply.json["errors"]
    assert isinstance(errors["body"], list) and errors["body"], errors
    assert all(isinstance(m, str) for messages in errors.values() for m in messages), errors
    if field == "body":
        assert len(errors["body"]) >= 2, errors
    elif field is not None:
        assert field in errors, (field, errors)
    return dict(errors)


class Conduit:
    """A Conduit client over the Chalice test client: wrapped bodies, Token scheme."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._serial = 0

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None, raw: bytes | str | None = None) -> Reply:
        sent = {**(token_header(token) if token else {}), **(headers or {})}
        return self.api.request(method, "/api" + path, body, headers=sent, raw=raw)

    def get(self, path: str, token: str | None = None) -> Reply:
        return self.request("GET", path, token=token)

    def post(self, path: str, body: Any = None, token: str | None = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, body, token=token, **kwargs)

    def put(self, path: str, body: Any = None, token: str | None = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, body, token=token, **kwargs)

    def delete(self, path: str, token: str | None = None) -> Reply:
        return self.request("DELETE", path, token=token)

    def register(self, username: str | None = None) -> str:
        """Register a Conduit user; return its token."""
        username = username or f"user{self._next()}"
        reply = self.post("/users", {"user": {"username": username, "email": f"{username}@example.com",
                                              "password": PASSWORD}})
        assert reply.status == 201, reply.body
        return str(reply.json["user"]["token"])

    def article(self, token: str, title: str | None = None, tags: list[str] | None = None,
                **fields: Any) -> dict[str, Any]:
        """Create an article; return it as Conduit shows it."""
        n = self._next()
        payload = {"title": title or f"Article {n}", "description": f"About article {n}",
                   "body": f"The *body* of article {n}.", "tagList": tags or [], **fields}
        reply = self.post("/articles", {"article": payload}, token=token)
        assert reply.status == 201, reply.body
        return dict(reply.json["article"])

    def articles(self, query: str = "", token: str | None = None) -> dict[str, Any]:
        reply = self.get("/articles" + (f"?{query}" if query else ""), token=token)
        assert reply.status == 200, reply.body
        return dict(reply.json)

    def slugs(self, query: str = "", token: str | None = None, path: str = "/articles") -> list[str]:
        reply = self.get(path + (f"?{query}" if query else ""), token=token)
        assert reply.status == 200, reply.body
        return [a["slug"] for a in reply.json["articles"]]


@pytest.fixture
def conduit(api: Api) -> Conduit:
    return Conduit(api)
