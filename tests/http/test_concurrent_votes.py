"""Many readers vote on one comment at once, over real HTTP: every vote counts exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.http.conftest import LocalStack

VOTERS = 24


def test_concurrent_votes_on_one_comment_are_all_counted(stack: LocalStack, admin_token: str) -> None:
    # Given a comment on a fresh post
    slug = stack.post("/posts", {"title": "Vote early", "body": "Vote often."}, admin_token).json()["slug"]
    comment = stack.post(f"/posts/{slug}/comments", {"body": "Like me", "author_name": "Ann"}).json()["comment"]

    # When many readers vote at the same moment (and each of them twice, racing themselves)
    def cast(voter: int) -> int:
        url = f"{stack.url}/comments/{comment['id']}/vote"
        headers = {"X-Voter-Token": f"voter-{voter % (VOTERS // 2)}"}
        return requests.post(url, json={"value": 1}, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(cast, range(VOTERS)))

    # Then each voter counted exactly once
    assert statuses == [200] * VOTERS
    listed = stack.get(f"/posts/{slug}/comments").json()["items"][0]
    assert listed["likes"] == VOTERS // 2
    assert listed["dislikes"] == 0
