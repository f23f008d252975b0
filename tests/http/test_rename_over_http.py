"""A rename over real HTTP: the local stack's stream consumer carries the job out, as Lambda's would.

The real local stack (a subprocess) runs the app's stream handler on the table's stream; nothing
here delivers a record by hand.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.http.conftest import LocalStack, all_at_once

JOB_SECONDS = 60
PASSWORD = "correct horse battery"


def conduit(stack: LocalStack, method: str, path: str, token: str, body: Any = None) -> requests.Response:
    return requests.request(method, stack.url + "/api" + path, json=body, timeout=30,
                            headers={"Authorization": f"Token {token}"})


def test_a_renamed_commenters_comments_follow_the_new_name_through_the_streams_consumer(stack: LocalStack) -> None:
    signed_up = stack.post("/auth/signup", {"username": "walt", "email": "walt@example.com", "password": PASSWORD})
    assert signed_up.status_code == 201, signed_up.text
    token = signed_up.json()["token"]
    slug = stack.get("/posts").json()["items"][0]["slug"]
    for n in range(3):
        made = stack.post(f"/posts/{slug}/comments", {"body": f"Walt's comment {n}"}, token=token)
        assert made.status_code == 201, made.text

    renamed = conduit(stack, "PUT", "/user", token, {"user": {"username": "walter", "email": "", "password": ""}})

    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["user"]["username"] == "walter"
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        comments = requests.get(f"{stack.url}/api/articles/{slug}/comments", timeout=30).json()["comments"]
        names = [c["author"]["username"] for c in comments if c["body"].startswith("Walt's comment")]
        if names == ["walter"] * 3:
            break
        assert time.monotonic() < deadline, f"the comments still name {names} after {JOB_SECONDS} s"
        time.sleep(0.3)  # polling: the stream consumer carries the job out after the request answered
    me = conduit(stack, "GET", "/user", token)  # the token from before the rename, as Conduit keeps it
    assert me.status_code == 200 and me.json()["user"]["username"] == "walter", me.text
    profile = requests.get(f"{stack.url}/api/profiles/walt", timeout=30)
    assert profile.status_code == 200 and profile.json()["profile"]["username"] == "walter", profile.text
    taken = stack.post("/auth/signup", {"username": "Walt", "email": "other@example.com", "password": PASSWORD})
    assert taken.status_code == 409, taken.text


def test_two_accounts_renaming_to_one_name_at_once_one_wins(stack: LocalStack) -> None:
    tokens = []
    for name in ("racer-one", "racer-two"):
        made = stack.post("/auth/signup", {"username": name, "email": f"{name}@example.com", "password": PASSWORD})
        assert made.status_code == 201, made.text
        tokens.append(made.json()["token"])

    replies, _ = all_at_once(lambda n: requests.patch(stack.url + "/auth/me", json={"username": "Winner"},
                                                      headers={"Authorization": f"Bearer {tokens[n]}"}, timeout=30),
                             2, 60)

    assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
    names = [requests.get(stack.url + "/auth/me", headers={"Authorization": f"Bearer {t}"}, timeout=30)
             .json()["user"]["username"] for t in tokens]
    loser = 1 - names.index("Winner")
    assert names[loser] == ("racer-one", "racer-two")[loser]
