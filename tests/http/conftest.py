"""The real local stack over real HTTP: `python -m devtools.local_stack` in a subprocess."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from devtools import stack_process

PROJECT = stack_process.PROJECT


class LocalStack:
    def __init__(self, running: stack_process.StackProcess) -> None:
        self.running = running
        self.url = running.url
        self.log = running.log

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, body: Any, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(self.url + path, json=body, headers=headers, timeout=30, **kwargs)

    def stop(self) -> int:
        return self.running.stop()


def all_at_once(send: Callable[[int], requests.Response], count: int,
                window: int) -> tuple[list[requests.Response], bool]:
    """``send(0)`` to ``send(count - 1)``, eight at a time; and whether they straddled two windows of ``window`` s."""
    before = int(time.time()) // window
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(send, range(count)))
    return replies, int(time.time()) // window != before


def passed_or_limited(replies: list[requests.Response], passed: int,
                      window: int) -> tuple[list[requests.Response], list[requests.Response]]:
    """The replies with status ``passed``, and the 429s; nothing else was answered, and every 429 says when to retry."""
    through = [r for r in replies if r.status_code == passed]
    limited = [r for r in replies if r.status_code == 429]
    assert len(through) + len(limited) == len(replies), sorted({r.status_code for r in replies})
    assert all(1 <= int(r.headers["Retry-After"]) <= window for r in limited)
    return through, limited


def start_stack(tmp: Path, data: str = "none", **env: str) -> LocalStack:
    return LocalStack(stack_process.start(tmp, data, **env))


def login(stack: LocalStack, account: dict[str, str]) -> str:
    """The account's token: POST /auth/login with its email and password, which must succeed."""
    reply = stack.post("/auth/login", {"email": account["email"], "password": account["password"]})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


def walk(stack: LocalStack, path: str, limit: int, token: str | None = None, **params: str) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor over HTTP from the first page to the last."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = stack.get(path, headers=headers,
                         params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # Every simulated reader shares the loopback address, so lift the per-address limits.
    running = start_stack(tmp_path_factory.mktemp("stack"), COMMENT_RATE_LIMIT="1000/60", VOTE_RATE_LIMIT="1000/60")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin_token(stack: LocalStack) -> str:
    from devtools.seed import LOCAL_ADMIN

    return login(stack, LOCAL_ADMIN)
