"""Many fresh voters from one address vote at once, over real HTTP: the address's limit holds exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.http.conftest import LocalStack, all_at_once, login, passed_or_limited, start_stack

LIMIT, WINDOW = 10, 3600
SENT = 40


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # Votes keep a limit of their own here; comments (only two are posted) keep theirs lifted.
    running = start_stack(tmp_path_factory.mktemp("stack"), COMMENT_RATE_LIMIT="1000/60",
                          VOTE_RATE_LIMIT=f"{LIMIT}/{WINDOW}")
    yield running
    running.stop()


def test_racing_votes_from_one_address_never_pass_its_limit(stack: LocalStack) -> None:
    from devtools.seed import LOCAL_ADMIN

    # Given two comments on a fresh post
    slug = stack.post("/posts", {"title": "Ballot box", "body": "Stuff it."}, login(stack, LOCAL_ADMIN)).json()["slug"]
    comments = [stack.post(f"/posts/{slug}/comments", {"body": f"Like me {n}", "author_name": "Ann"}).json()
                ["comment"]["id"] for n in range(2)]

    # When one address sends many votes at the same moment, each as a fresh voter
    def cast(n: int) -> requests.Response:
        return requests.post(f"{stack.url}/comments/{comments[n % 2]}/vote", json={"value": 1},
                             headers={"X-Voter-Token": f"fresh-voter-{n}"}, timeout=60)

    replies, straddled = all_at_once(cast, SENT, WINDOW)

    # Then every vote was either counted or refused with 429 and a Retry-After
    accepted, _ = passed_or_limited(replies, 200, WINDOW)
    # And exactly the limit was accepted (at most two windows' worth, should the race
    # have crossed from one window into the next), and the counts hold those votes only
    assert len(accepted) <= 2 * LIMIT if straddled else len(accepted) == LIMIT
    listed = stack.get(f"/posts/{slug}/comments").json()["items"]
    assert sum(c["likes"] for c in listed) == len(accepted)
