"""Racing requests against the real local stack over HTTP: one key creates once; held comments stay uncounted.

The stack runs with MODERATION=all and the per-address limit lifted (every
thread shares the loopback address). Its sample data cannot be seeded under
MODERATION=all (the sample reply's parent would be held), so it is seeded with
moderation off, saved, and served again with moderation on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from devtools.seed import LOCAL_ADMIN
from tests.http.conftest import LocalStack, login, start_stack, walk

TWINS = 8
WRITERS = 12
EDITOR = {"email": "editor@example.com", "password": "local-editor-password"}  # the seeded author


@pytest.fixture(scope="module")
def moderated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    tmp = tmp_path_factory.mktemp("moderated")
    data = str(tmp / "blog.json")
    assert start_stack(tmp, data=data, MODERATION="off").stop() == 0
    running = start_stack(tmp, data=data, COMMENT_RATE_LIMIT="100000/60", MODERATION="all")
    yield running
    running.stop()


def new_post(stack: LocalStack, token: str, title: str) -> str:
    created = stack.post("/posts", {"title": title, "body": "Everyone talks at once."}, token)
    assert created.status_code == 201, created.text
    return str(created.json()["slug"])


def all_at_once(count: int, send: Callable[[requests.Session, int], requests.Response]) -> list[requests.Response]:
    """Run send(session, n) on `count` threads released together."""
    start = threading.Barrier(count)

    def run(n: int) -> requests.Response:
        with requests.Session() as session:
            start.wait(timeout=30)
            return send(session, n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def queued(stack: LocalStack, token: str, slug: str) -> list[str]:
    found = walk(stack, "/moderation/comments", 5, token, status="pending")
    return [c["id"] for c in found if c["post"] == slug]


def test_racing_retries_with_one_key_create_one_comment(moderated: LocalStack) -> None:
    # Given a post, and its author (whose comments are never held) on a flaky connection
    author = login(moderated, EDITOR)
    slug = new_post(moderated, author, "Racing retries")
    payload = {"body": "Sent once, retried by an impatient client"}

    # When the same request arrives eight times at once under one Idempotency-Key
    replies = all_at_once(TWINS, lambda session, _: session.post(
        f"{moderated.url}/posts/{slug}/comments", json=payload, timeout=60,
        headers={"Idempotency-Key": "race-0001", "Authorization": f"Bearer {author}"}))

    # Then all get the very same answer, and exactly one comment exists and is counted
    assert [r.status_code for r in replies] == [201] * TWINS, [r.text for r in replies]
    assert len({r.json()["comment"]["id"] for r in replies}) == 1
    assert len({r.text for r in replies}) == 1  # edit token included
    listing = moderated.get(f"/posts/{slug}/comments", params={"limit": 100}).json()
    assert [c["id"] for c in listing["items"]] == [replies[0].json()["comment"]["id"]]
    assert moderated.get(f"/posts/{slug}").json()["comment_count"] == 1


def test_racing_anonymous_retries_with_one_key_hold_one_comment(moderated: LocalStack) -> None:
    slug = new_post(moderated, login(moderated, EDITOR), "Racing anonymous retries")
    payload = {"body": "Me, eight times", "author_name": "Ann", "author_email": "ann@example.org"}

    replies = all_at_once(TWINS, lambda session, _: session.post(
        f"{moderated.url}/posts/{slug}/comments", json=payload, timeout=60,
        headers={"Idempotency-Key": "race-0002"}))

    assert [r.status_code for r in replies] == [202] * TWINS, [r.text for r in replies]
    assert len({r.text for r in replies}) == 1
    assert queued(moderated, login(moderated, LOCAL_ADMIN), slug) == [replies[0].json()["comment"]["id"]]
    assert moderated.get(f"/posts/{slug}").json()["comment_count"] == 0


def test_racing_comments_under_moderation_are_all_held_and_none_counted(moderated: LocalStack) -> None:
    slug = new_post(moderated, login(moderated, EDITOR), "Busy moderated thread")

    replies = all_at_once(WRITERS, lambda session, n: session.post(
        f"{moderated.url}/posts/{slug}/comments", timeout=60,
        json={"body": f"Writer {n} has a view", "author_name": f"W{n}"}))

    assert [r.status_code for r in replies] == [202] * WRITERS, [r.text for r in replies]
    assert moderated.get(f"/posts/{slug}").json()["comment_count"] == 0
    assert moderated.get(f"/posts/{slug}/comments").json()["items"] == []
    assert sorted(queued(moderated, login(moderated, LOCAL_ADMIN), slug)) == sorted(
        r.json()["comment"]["id"] for r in replies)
