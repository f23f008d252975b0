"""Akismet under `make run`: comments over real HTTP, the table's real stream, a local Akismet on loopback.

The local stack (a subprocess) runs the app's stream handler as Lambda's mapping would
(devtools/local_stream.py); AKISMET_URL points it at the protocol-speaking receiver of
tests/moderation/test_akismet.py. Polling waits for the stream, which acts after the request has answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.http.conftest import LocalStack, login, start_stack
from tests.moderation.test_akismet import BROWSER, KEY, SPAMMER, Akismet

STREAM_SECONDS = 30


@pytest.fixture(scope="module")
def receiver() -> Iterator[Akismet]:
    started = Akismet()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, receiver: Akismet) -> Iterator[LocalStack]:
    running = start_stack(Path(tmp_path_factory.mktemp("akismet")), AKISMET_KEY=KEY, AKISMET_URL=receiver.url,
                          COMMENT_RATE_LIMIT="1000/60")
    yield running
    running.stop()


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STREAM_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {STREAM_SECONDS} s"
        time.sleep(0.2)  # polling: the stream handler acts after the request has answered


def send(stack: LocalStack, slug: str, body: dict[str, str]) -> requests.Response:
    """A comment as a browser posts it: with its User-Agent, which Akismet is sent."""
    return requests.post(f"{stack.url}/posts/{slug}/comments", json=body, headers={"User-Agent": BROWSER},
                         timeout=30)


def comment_ids(stack: LocalStack, slug: str) -> list[str]:
    reply = stack.get(f"/posts/{slug}/comments?limit=100")
    assert reply.status_code == 200, reply.text
    return [c["id"] for c in reply.json()["items"]]


def test_spam_posted_over_http_leaves_the_thread_through_the_stream_and_a_moderators_spam_is_reported(
        stack: LocalStack, receiver: Akismet) -> None:
    from devtools.seed import LOCAL_ADMIN

    token = login(stack, LOCAL_ADMIN)
    admin = {"Authorization": f"Bearer {token}"}
    slug = stack.get("/posts").json()["items"][0]["slug"]
    spam = send(stack, slug, {"body": "Cheap pills", "author_name": SPAMMER})
    ham = send(stack, slug, {"body": "Subtle, missed spam", "author_name": "Eve"})
    assert spam.status_code == ham.status_code == 201, (spam.text, ham.text)
    spam_id, ham_id = spam.json()["comment"]["id"], ham.json()["comment"]["id"]

    eventually(lambda: spam_id not in comment_ids(stack, slug), "Akismet's spam moved out of the thread")
    eventually(lambda: len(receiver.named("comment-check")) == 2, "both comments checked")
    assert ham_id in comment_ids(stack, slug)
    [sent] = [f for f in receiver.named("comment-check") if f["comment_content"] == "Cheap pills"]
    assert sent["user_ip"] == "127.0.0.1" and sent["user_agent"] == BROWSER
    entries = stack.get("/moderation/audit", headers=admin).json()["items"]
    assert [(e["who"], e["action"], e.get("reason")) for e in entries if e["comment_id"] == spam_id] == [
        ("akismet (filter)", "spam", "Akismet: spam")]

    marked = stack.post(f"/comments/{ham_id}/moderate", {"action": "spam"}, token=token)
    assert marked.status_code == 200, marked.text
    eventually(lambda: bool(receiver.named("submit-spam")), "the moderator's verdict sent to Akismet")
    [reported] = receiver.named("submit-spam")
    assert reported["comment_content"] == "Subtle, missed spam" and reported["user_agent"] == BROWSER
