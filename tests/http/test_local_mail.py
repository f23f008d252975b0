"""Mail under `make run`: the stack runs the app's stream handler, SES (moto) keeps the mail, the outbox shows it.

Real HTTP to the real local stack (a subprocess); the mail's links are followed over HTTP too.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.http.conftest import PROJECT, LocalStack

MAIL_SECONDS = 30
EDITOR = "editor@example.com"  # the seeded posts' author (devtools/seed.py)


def mail_to(stack: LocalStack, address: str, about: Callable[[dict[str, Any]], bool] = lambda m: True,
            seconds: float = MAIL_SECONDS) -> dict[str, Any]:
    """The newest message to ``address`` that ``about`` accepts, once the stream has sent it."""
    deadline = time.monotonic() + seconds
    while True:
        reply = stack.get("/local/outbox.json")
        assert reply.status_code == 200, reply.text
        found = [m for m in reply.json()["items"] if m["to"] == address and about(m)]
        if found:
            return dict(found[0])
        assert time.monotonic() < deadline, f"no mail to {address} in {seconds:g} s"
        time.sleep(0.2)  # polling: the stream handler sends after the request has answered


def seeded_post(stack: LocalStack) -> dict[str, Any]:
    post: dict[str, Any] = stack.get("/posts").json()["items"][0]
    return post


def test_a_comment_mails_the_posts_author_through_the_stream(stack: LocalStack) -> None:
    post = seeded_post(stack)
    made = stack.post(f"/posts/{post['slug']}/comments", {"body": "Mailed over the stream", "author_name": "Ann"})
    assert made.status_code == 201, made.text

    message = mail_to(stack, EDITOR, lambda m: "Mailed over the stream" in m["text"])

    assert message["subject"] == f"New comment on “{post['title']}” from Ann"
    assert message["from"].endswith("<blog@localhost.localdomain>")
    # Its links: the post on the (demo) blog, and unsubscribing on the API itself; both answer over HTTP
    links = message["links"]
    assert any(u.startswith(f"{stack.url}/demo/posts/{post['slug']}#comment-") for u in links)
    [unsubscribe] = [u for u in links if urlsplit(u).path == "/unsubscribe"]
    assert unsubscribe.startswith(stack.url + "/")
    page = requests.get(unsubscribe, timeout=30)
    assert page.status_code == 200 and "Unsubscribe" in page.text


def test_the_outbox_page_and_make_mail_show_the_mail(stack: LocalStack) -> None:
    post = seeded_post(stack)
    stack.post(f"/posts/{post['slug']}/comments", {"body": "Shown <b>as text</b>", "author_name": "Cy"})
    mail_to(stack, EDITOR, lambda m: "Shown <b>as text</b>" in m["text"])

    page = stack.get("/local/outbox")
    printed = subprocess.run([sys.executable, "-m", "devtools.local_outbox", "--port",
                              str(urlsplit(stack.url).port), "--last", "1"],
                             cwd=PROJECT, capture_output=True, text=True, timeout=60)

    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Shown &lt;b&gt;as text&lt;/b&gt;" in page.text and "<b>as text</b>" not in page.text
    assert printed.returncode == 0, printed.stderr
    assert f"To: {EDITOR}" in printed.stdout and "> Shown <b>as text</b>" in printed.stdout


def test_make_mail_says_so_when_no_stack_answers(tmp_path: Any) -> None:
    from devtools.stack_process import free_port

    printed = subprocess.run([sys.executable, "-m", "devtools.local_outbox", "--port", str(free_port())],
                             cwd=PROJECT, capture_output=True, text=True, timeout=60)

    assert printed.returncode == 1 and "make run" in printed.stderr


# Last: the seeded author hears nothing more from this stack after it.
def test_one_click_unsubscribe_from_the_header_over_http(stack: LocalStack) -> None:
    post = seeded_post(stack)
    stack.post(f"/posts/{post['slug']}/comments", {"body": "Before the click", "author_name": "Bo"})
    message = mail_to(stack, EDITOR, lambda m: "Before the click" in m["text"])
    assert message["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    url = message["list_unsubscribe"].strip("<>")

    clicked = requests.post(url, data={"List-Unsubscribe": "One-Click"}, timeout=30)  # what a mail client sends

    assert clicked.status_code == 200, clicked.text
    stack.post(f"/posts/{post['slug']}/comments", {"body": "After the click", "author_name": "Bo",
                                                   "author_email": "bo@example.com", "notify_replies": True})
    mail_to(stack, "bo@example.com")  # the stream handled the later comment…
    items = stack.get("/local/outbox.json").json()["items"]
    assert not [m for m in items if "After the click" in m["text"]]  # …and the author heard nothing of it
