"""A real HTTP cache in front of the real stack: nginx proxy_cache (devtools/edge_cache.py) before `make run`.

The cache decides nothing itself: what it keeps, and for whom, comes from the
API's Cache-Control, ETag and Vary (chalicelib/api/caching.py), as at a CDN.
X-Cache-Status is nginx's $upstream_cache_status. Shared copies live 3 s here
(CACHE_PAGE/CACHE_LIST=3/0/0, no stale-while-revalidate) so expiry comes quickly.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devtools import edge_cache, stack_process
from devtools.seed import LOCAL_ADMIN
from tests.http.conftest import LocalStack, login, start_stack

pytestmark = pytest.mark.skipif(not Path(edge_cache.NGINX).exists(),
                                reason="no nginx: run devtools/install_nginx.sh (make nginx)")

SHARED_SECONDS = 3
_serial = itertools.count(1)


class Cached:
    """Requests through the cache, as readers' browsers send them."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, token: str | None = None, **headers: str) -> requests.Response:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(self.url + path, headers=headers, timeout=30)

    def send(self, method: str, path: str, body: Any, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, self.url + path, json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    times = f"{SHARED_SECONDS}/0/0"
    running = start_stack(tmp_path_factory.mktemp("stack"), MODERATION="first-time", CACHE_PAGE=times,
                          CACHE_LIST=times, COMMENT_RATE_LIMIT="1000/60", VOTE_RATE_LIMIT="1000/60")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def cache(origin: LocalStack) -> Iterator[Cached]:
    running = edge_cache.start(stack_process.free_port(), int(origin.url.rsplit(":", 1)[1]))
    yield Cached(running.url)
    running.stop()


@pytest.fixture(scope="module")
def admin(origin: LocalStack) -> str:
    return login(origin, LOCAL_ADMIN)


def new_post(cache: Cached, admin: str, **fields: Any) -> str:
    reply = cache.send("POST", "/posts", {"title": f"Cached post {next(_serial)}", "body": "Text.", **fields}, admin)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["slug"])


def new_reader(cache: Cached) -> str:
    name = f"cachereader{next(_serial)}"
    reply = cache.send("POST", "/auth/signup", {"username": name, "email": f"{name}@example.com",
                                                "password": "a long passphrase"})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["token"])


def first_fetch_after_expiry(cache: Cached, path: str) -> requests.Response:
    """The first answer to ``path`` that the cache did not give from a fresh copy (polls; never longer than expiry)."""
    deadline = time.monotonic() + SHARED_SECONDS * 10
    while time.monotonic() < deadline:
        reply = cache.get(path)
        if reply.headers["X-Cache-Status"] != "HIT":
            return reply
        time.sleep(0.2)  # polling until the copy expires, not waiting for an outcome
    raise AssertionError(f"{path} was still a HIT long after its s-maxage")


def test_a_second_identical_read_is_answered_by_the_cache(cache: Cached, admin: str) -> None:
    slug = new_post(cache, admin)
    path = f"/posts/{slug}?embed=comments"

    first = cache.get(path)
    second = cache.get(path)

    assert (first.status_code, first.headers["X-Cache-Status"]) == (200, "MISS")
    assert (second.status_code, second.headers["X-Cache-Status"]) == (200, "HIT")
    assert second.content == first.content
    assert second.headers["Cache-Control"] == f"public, s-maxage={SHARED_SECONDS}, max-age=0, stale-while-revalidate=0"


def test_a_browser_revalidating_its_copy_gets_a_304(cache: Cached, admin: str) -> None:
    slug = new_post(cache, admin)
    first = cache.get(f"/posts/{slug}/comments")

    again = cache.get(f"/posts/{slug}/comments", **{"If-None-Match": first.headers["ETag"]})

    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]


def test_an_expired_unchanged_copy_is_renewed_by_a_304_from_the_api(cache: Cached, admin: str) -> None:
    slug = new_post(cache, admin)
    path = f"/posts/{slug}"
    first = cache.get(path)

    renewed = first_fetch_after_expiry(cache, path)

    assert first.headers["X-Cache-Status"] == "MISS"
    assert (renewed.status_code, renewed.headers["X-Cache-Status"]) == (200, "REVALIDATED")
    assert renewed.content == first.content


def test_a_held_comment_shown_to_its_author_is_never_shown_to_another_reader(cache: Cached, admin: str) -> None:
    # Given a post, and a reader whose first comment is held for moderation (MODERATION=first-time)
    slug = new_post(cache, admin)
    reader = new_reader(cache)
    held = cache.send("POST", f"/posts/{slug}/comments", {"body": "Hold me"}, reader)
    assert held.status_code == 202, held.text
    path = f"/comments/{held.json()['comment']['id']}"

    # When the reader reads it signed in, then with its edit token, then someone else asks for the same URL
    theirs = cache.get(path, token=reader)
    by_token = cache.get(path, **{"X-Edit-Token": held.json()["edit_token"]})
    anonymous = cache.get(path)
    anonymous_again = cache.get(path)

    # Then the reader sees it, never from the cache, and the other reader does not
    assert (theirs.status_code, theirs.json()["status"]) == (200, "pending")
    assert theirs.headers["Cache-Control"] == "private, no-store"
    assert by_token.status_code == 200 and by_token.headers["Cache-Control"] == "private, no-store"
    for reply in (anonymous, anonymous_again):
        assert reply.status_code == 404
        assert "Hold me" not in reply.text


def test_a_signed_in_readers_view_of_a_public_page_is_not_what_the_cache_holds(cache: Cached, admin: str) -> None:
    # Given an anonymous copy of the post list in the cache, and a draft of the admin's
    slug = new_post(cache, admin)
    draft = new_post(cache, admin, status="draft")
    anonymous = cache.get("/posts?limit=50")
    assert anonymous.status_code == 200
    assert cache.get("/posts?limit=50").headers["X-Cache-Status"] == "HIT"

    # When the admin reads the same URLs signed in, and an anonymous reader then asks again
    drafts = cache.get("/posts?limit=50&status=draft", token=admin)
    own = cache.get(f"/posts/{draft}", token=admin)
    list_signed_in = cache.get("/posts?limit=50", token=admin)
    drafts_anonymous = cache.get("/posts?limit=50&status=draft")
    draft_anonymous = cache.get(f"/posts/{draft}")

    # Then each signed-in answer came from the API and went nowhere else
    assert draft in [item["slug"] for item in drafts.json()["items"]]
    assert own.status_code == 200
    for reply in (drafts, own, list_signed_in):
        assert reply.headers["X-Cache-Status"] != "HIT"
        assert reply.headers["Cache-Control"] == "private, no-store"
    assert drafts_anonymous.status_code in (401, 403)
    assert draft_anonymous.status_code == 404
    assert slug in [item["slug"] for item in anonymous.json()["items"]]


def test_a_writer_sees_their_comment_at_once_and_others_once_the_copy_expires(cache: Cached, admin: str) -> None:
    # Given another reader's copy of a post's comment page in the cache
    slug = new_post(cache, admin)
    path = f"/posts/{slug}/comments"
    before = cache.get(path)
    assert before.json()["items"] == []

    # When a comment is published (the widget draws it from this answer)
    written = cache.send("POST", path, {"body": "Fresh words"}, admin)
    assert written.status_code == 201
    assert written.json()["comment"]["html"].strip() == "<p>Fresh words</p>"
    assert written.headers["Cache-Control"] == "no-store"

    # Then the other reader sees the old page only while the copy is fresh, and the comment after
    while (reply := cache.get(path)).headers["X-Cache-Status"] == "HIT":
        assert reply.json()["items"] == []
        time.sleep(0.2)  # polling until the copy expires
    assert [item["html"] for item in reply.json()["items"]] == ["<p>Fresh words</p>\n"]
