"""Many wrong passwords for one account at the same moment, over real HTTP: the account's limit holds exactly.

A sign-in claims its slot before the password is checked, so guesses sent together
cannot all be checked against a window that none of them has counted yet.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.http.conftest import LocalStack, all_at_once, passed_or_limited, start_stack

LIMIT, WINDOW = 5, 3600
SENT = 24


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # The account limit is under test; the address limit (one loopback address) is lifted.
    running = start_stack(tmp_path_factory.mktemp("stack"), LOGIN_ACCOUNT_LIMIT=f"{LIMIT}/{WINDOW}",
                          LOGIN_ADDRESS_LIMIT="1000/60")
    yield running
    running.stop()


def test_racing_guesses_at_one_account_never_pass_its_limit(stack: LocalStack) -> None:
    # Given an account
    account = {"username": "target", "email": "target@example.com", "password": "the real passphrase"}
    assert stack.post("/auth/signup", account).status_code == 201

    # When many wrong passwords for it arrive at the same moment
    def guess(n: int) -> requests.Response:
        return requests.post(f"{stack.url}/auth/login", json={"email": account["email"], "password": f"guess {n}"},
                             timeout=120)

    replies, straddled = all_at_once(guess, SENT, WINDOW)

    # Then each guess was checked and refused (401) or not checked at all (429 with Retry-After)
    checked, _ = passed_or_limited(replies, 401, WINDOW)
    # And no more guesses were checked than the limit (two windows' worth, had the race crossed one)
    assert len(checked) <= 2 * LIMIT if straddled else len(checked) == LIMIT
    # And the right password is refused too until the window ends
    right = stack.post("/auth/login", {"email": account["email"], "password": account["password"]})
    assert right.status_code == 429 or straddled
