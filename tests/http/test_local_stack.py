"""`make run`'s stack, over real HTTP: concurrency, persistence, settings from the environment."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.http.conftest import LocalStack, login, start_stack, walk

# Sized for moto, which copies the whole table on every transaction and serves
# one request at a time: 8 concurrent writers keep each request well inside the
# client's 5 s read timeout while still interleaving their transactions.
WRITERS = 8
COMMENTS_EACH = 8


def test_seeded_blog_is_served_on_loopback(stack: LocalStack) -> None:
    listing = stack.get("/posts").json()
    assert listing["items"], "make run should start with sample posts"
    assert stack.get("/health").json() == {"status": "ok"}


def test_concurrent_comments_on_one_post_leave_the_count_exact(stack: LocalStack, admin_token: str) -> None:
    # Given a fresh post
    created = stack.post("/posts", {"title": "Busy thread", "body": "Everyone talks at once."}, admin_token)
    assert created.status_code == 201, created.text
    slug = created.json()["slug"]

    # When many readers comment at the same moment, over real HTTP
    def write(writer: int) -> list[int]:
        with requests.Session() as session:
            return [
                session.post(f"{stack.url}/posts/{slug}/comments", timeout=60,
                             json={"body": f"writer {writer} comment {n}", "author_name": f"W{writer}"}).status_code
                for n in range(COMMENTS_EACH)
            ]

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        statuses = [s for batch in pool.map(write, range(WRITERS)) for s in batch]

    # Then every comment landed once and the post's count agrees exactly
    assert statuses == [201] * (WRITERS * COMMENTS_EACH)
    assert stack.get(f"/posts/{slug}").json()["comment_count"] == WRITERS * COMMENTS_EACH
    seen = [c["html"] for c in walk(stack, f"/posts/{slug}/comments", 50)]
    written = (f"<p>writer {w} comment {n}</p>\n" for w in range(WRITERS) for n in range(COMMENTS_EACH))
    assert sorted(seen) == sorted(written)


def test_data_survives_a_stop_and_restart(tmp_path: Path) -> None:
    data = tmp_path / "blog.json"
    first = start_stack(tmp_path, data=str(data))
    try:
        reply = first.post("/auth/signup", {"username": "keeper", "email": "keeper@example.com",
                                            "password": "a long passphrase"})
        assert reply.status_code == 201, reply.text
    finally:
        assert first.stop() == 0
    assert data.exists()
    assert stat.S_IMODE(data.stat().st_mode) == 0o600  # it holds password hashes

    second = start_stack(tmp_path, data=str(data))
    try:
        login(second, {"email": "keeper@example.com", "password": "a long passphrase"})
        assert "Restored" in second.log.read_text()
    finally:
        second.stop()


def test_environment_overrides_the_stage_file(tmp_path: Path) -> None:
    # The local stage names "admin" as admin; the operator's environment wins.
    running = start_stack(tmp_path, BLOG_ADMINS="zed", ANONYMOUS_COMMENTS="false")
    try:
        # zed is an admin's name here, so sign-up keeps it for `make admin`
        zed = running.post("/auth/signup", {"username": "zed", "email": "zed@example.com",
                                            "password": "a long passphrase"})
        assert zed.status_code == 409
        assert zed.json()["errors"] == {"username": ["is reserved for an administrator of this blog"]}
        slug = running.get("/posts").json()["items"][0]["slug"]
        anonymous = running.post(f"/posts/{slug}/comments", {"body": "hi", "author_name": "Ann"})
        assert anonymous.status_code == 401
    finally:
        running.stop()
