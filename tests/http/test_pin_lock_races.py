"""Pins and locks raced over real HTTP against the local stack.

Eight moderators pin eight comments of one thread at once: exactly one pin
stands, and the others hear that another comment is pinned. Twelve readers
comment while a moderator locks the thread: every comment is either taken and
counted, or refused as locked; none slips in after the lock, none is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.http.conftest import LocalStack, walk

PINNERS = 8
WRITERS = 12


def released_together(count: int,
                      send: Callable[[requests.Session, int], requests.Response]) -> list[requests.Response]:
    start = threading.Barrier(count)

    def run(n: int) -> requests.Response:
        with requests.Session() as session:
            start.wait(timeout=30)
            return send(session, n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def new_thread(stack: LocalStack, token: str, title: str, comments: int) -> tuple[str, list[str]]:
    created = stack.post("/posts", {"title": title, "body": "Everyone talks at once."}, token)
    assert created.status_code == 201, created.text
    slug = str(created.json()["slug"])
    ids = []
    for n in range(comments):
        reply = stack.post(f"/posts/{slug}/comments", {"body": f"Candidate {n}", "author_name": f"C{n}"})
        assert reply.status_code == 201, reply.text
        ids.append(str(reply.json()["comment"]["id"]))
    return slug, ids


def test_racing_pins_leave_exactly_one_pinned_comment(stack: LocalStack, admin_token: str) -> None:
    slug, ids = new_thread(stack, admin_token, "Racing pins", PINNERS)
    auth = {"Authorization": f"Bearer {admin_token}"}

    replies = released_together(PINNERS, lambda session, n: session.put(
        f"{stack.url}/posts/{slug}/pin", json={"comment_id": ids[n]}, headers=auth, timeout=60))

    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] + [409] * (PINNERS - 1), [r.text for r in replies]
    winner = next(r.json()["pinned"]["id"] for r in replies if r.status_code == 200)
    assert all("another comment is pinned" in r.json()["detail"] for r in replies if r.status_code == 409)
    post = stack.get(f"/posts/{slug}", params={"embed": "comments"}).json()
    assert post["pinned_comment"]["id"] == winner
    # The losers left nothing behind: unpinning frees the thread for any of them.
    assert requests.delete(f"{stack.url}/posts/{slug}/pin", headers=auth, timeout=30).status_code == 200
    loser = next(i for i in ids if i != winner)
    again = requests.put(f"{stack.url}/posts/{slug}/pin", json={"comment_id": loser}, headers=auth, timeout=30)
    assert again.status_code == 200, again.text


def test_comments_racing_a_lock_are_each_counted_or_refused(stack: LocalStack, admin_token: str) -> None:
    slug, _ = new_thread(stack, admin_token, "Racing a lock", 0)
    auth = {"Authorization": f"Bearer {admin_token}"}

    def send(session: requests.Session, n: int) -> requests.Response:
        if n == WRITERS:
            return session.put(f"{stack.url}/posts/{slug}/lock", headers=auth, timeout=60)
        return session.post(f"{stack.url}/posts/{slug}/comments", timeout=60,
                            json={"body": f"Writer {n} got in", "author_name": f"W{n}"})

    replies = released_together(WRITERS + 1, send)

    assert replies[WRITERS].status_code == 200, replies[WRITERS].text
    written = [r for r in replies[:WRITERS] if r.status_code == 201]
    refused = [r for r in replies[:WRITERS] if r.status_code == 403]
    # 409 only for contention, which the client is told to retry; nothing else, and never a 500
    busy = [r for r in replies[:WRITERS] if r.status_code == 409]
    assert len(written) + len(refused) + len(busy) == WRITERS, sorted(r.status_code for r in replies)
    assert all("locked" in r.json()["detail"] for r in refused)
    listed = walk(stack, f"/posts/{slug}/comments", 5)
    assert sorted(c["id"] for c in listed) == sorted(r.json()["comment"]["id"] for r in written)
    assert stack.get(f"/posts/{slug}").json()["comment_count"] == len(written)
    late = stack.post(f"/posts/{slug}/comments", {"body": "After the lock", "author_name": "Late"})
    assert late.status_code == 403
