"""Racing retries of one post creation, over real HTTP: one post, one answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.http.conftest import LocalStack

TWINS = 6


def test_racing_retries_with_one_key_create_one_post(stack: LocalStack, admin_token: str) -> None:
    payload = {"title": "Exactly one of me", "body": "However often the network retries."}
    headers = {"Authorization": f"Bearer {admin_token}", "Idempotency-Key": "race-post-1"}

    def send(_: int) -> tuple[int, str]:
        reply = requests.post(f"{stack.url}/posts", json=payload, headers=headers, timeout=60)
        return reply.status_code, reply.json()["slug"]

    with ThreadPoolExecutor(max_workers=TWINS) as pool:
        answers = list(pool.map(send, range(TWINS)))

    assert {status for status, _ in answers} == {201}
    assert len({slug for _, slug in answers}) == 1
    mine = [p for p in stack.get("/posts", params={"limit": 100}).json()["items"] if p["title"] == payload["title"]]
    assert len(mine) == 1
