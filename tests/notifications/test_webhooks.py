"""Webhooks: the blog's events POSTed, signed, to real local receivers, from stream records.

Stream records are built from the real items the API wrote (tests/notifications/test_notifications.Stream)
and delivered to the stream handler as Lambda would. The receivers are real HTTP servers on
loopback; only the pause between retries is skipped (recorded instead of slept).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.blog import webhooks
from chalicelib.errors import ConfigurationError
from chalicelib.services import services
from chalicelib.settings import Settings, load_settings
from chalicelib.store import keys
from tests.conftest import Api, Blog
from tests.notifications.test_notifications import Stream

SECRET = "w" * 40


class Receiver:
    """A real HTTP server that records what it is sent and answers the statuses it is told to."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[str]:
        return [headers["x-blog-event"] for headers, _ in self.received]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    started: list[Receiver] = []

    def start() -> Receiver:
        started.append(Receiver())
        return started[-1]

    yield start
    for receiver in started:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
def stream(api: Api) -> Stream:
    return Stream(api)


@pytest.fixture
def pauses(configure: Callable[..., Settings]) -> list[float]:
    return []


def hooks(configure: Callable[..., Settings], pauses: list[float], *entries: str) -> None:
    configure(WEBHOOKS=" ".join(entries), WEBHOOK_SECRET=SECRET)
    services().webhooks.sleep = pauses.append


def published(stream: Stream, slug: str, created: dict[str, Any]) -> dict[str, Any]:
    return stream.inserted(slug, created)


def test_a_published_comment_is_posted_signed_to_a_json_receiver(
        blog: Blog, stream: Stream, receivers: Callable[[], Receiver], configure: Callable[..., Settings],
        pauses: list[float]) -> None:
    # Given a receiver of the generic shape
    receiver = receivers()
    hooks(configure, pauses, f"json:{receiver.url}")
    slug = blog.post(blog.author(), title="Hooked")["slug"]
    created = blog.comment(slug, body="Hello *there*", author_name="Ann", author_email="ann@example.com")

    # When the stream delivers the comment's record
    stream.deliver(published(stream, slug, created))

    # Then one request arrived, whose signature the receiver can check with the shared secret
    [(headers, body)] = receiver.received
    expected = hmac.new(SECRET.encode(), headers["x-blog-timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-blog-signature"], "sha256=" + expected)
    assert headers["x-blog-event"] == "comment.published"
    assert headers["x-blog-delivery"] == f"comment.published:{created['comment']['id']}"
    sent = json.loads(body)
    assert sent["event"] == "comment.published"
    assert sent["data"]["author_name"] == "Ann"
    assert sent["data"]["html"] == created["comment"]["html"]
    assert "ann@example.com" not in body.decode()  # a commenter's address never leaves


def test_a_held_comment_and_its_approval_are_two_events(
        api: Api, blog: Blog, stream: Stream, receivers: Callable[[], Receiver],
        configure: Callable[..., Settings], pauses: list[float]) -> None:
    receiver = receivers()
    hooks(configure, pauses, f"json:{receiver.url}")
    admin = blog.admin()
    slug = blog.post(admin, title="Moderated")["slug"]
    configure(MODERATION="all", WEBHOOKS=f"json:{receiver.url}", WEBHOOK_SECRET=SECRET)
    held = api.post(f"/posts/{slug}/comments", {"body": "Wait for me", "author_name": "Hal"}).json["comment"]

    stream.deliver(stream.record("INSERT", None, stream.image(keys.held_comment(slug, held["id"]))))
    api.post(f"/comments/{held['id']}/moderate", {"action": "approve"}, token=admin)
    stream.deliver(stream.record("INSERT", None, stream.image(keys.comment(slug, held["id"]))))

    assert receiver.events() == ["comment.held", "comment.published"]
    assert receiver.bodies()[0]["data"]["status"] == "pending"


def test_a_post_is_an_event_when_it_becomes_published_and_not_before(
        api: Api, blog: Blog, stream: Stream, receivers: Callable[[], Receiver],
        configure: Callable[..., Settings], pauses: list[float]) -> None:
    receiver = receivers()
    hooks(configure, pauses, f"json:{receiver.url}")
    author = blog.author()
    draft = blog.post(author, title="Soon", status="draft")
    as_draft = stream.image(keys.post(draft["slug"]))
    stream.deliver(stream.record("INSERT", None, as_draft))
    assert receiver.received == []

    api.patch(f"/posts/{draft['slug']}", {"status": "published"}, token=author)
    stream.deliver(stream.record("MODIFY", as_draft, stream.image(keys.post(draft["slug"]))))

    assert receiver.events() == ["post.published"]
    assert receiver.bodies()[0]["data"]["title"] == "Soon"


def test_a_batch_delivered_twice_reaches_each_receiver_once(
        blog: Blog, stream: Stream, receivers: Callable[[], Receiver], configure: Callable[..., Settings],
        pauses: list[float]) -> None:
    first, second = receivers(), receivers()
    hooks(configure, pauses, f"json:{first.url}", f"slack:{second.url}")
    slug = blog.post(blog.author())["slug"]
    record = published(stream, slug, blog.comment(slug))

    stream.deliver(record)
    stream.deliver(record)

    assert len(first.received) == 1 and len(second.received) == 1


def test_a_server_error_is_retried_with_backoff_and_delivered_once(
        blog: Blog, stream: Stream, receivers: Callable[[], Receiver], configure: Callable[..., Settings],
        pauses: list[float]) -> None:
    receiver = receivers()
    receiver.answers = [500, 503]
    hooks(configure, pauses, f"json:{receiver.url}")
    slug = blog.post(blog.author())["slug"]

    stream.deliver(published(stream, slug, blog.comment(slug)))

    assert len(receiver.received) == 3
    assert pauses == [0.5, 1.0]
    assert len({headers["x-blog-delivery"] for headers, _ in receiver.received}) == 1


def test_a_refusal_is_final(blog: Blog, stream: Stream, receivers: Callable[[], Receiver],
                            configure: Callable[..., Settings], pauses: list[float]) -> None:
    receiver = receivers()
    receiver.answers = [400]
    hooks(configure, pauses, f"json:{receiver.url}")
    slug = blog.post(blog.author())["slug"]
    record = published(stream, slug, blog.comment(slug))

    stream.deliver(record)
    stream.deliver(record)

    assert len(receiver.received) == 1 and pauses == []


def test_a_failing_receiver_is_logged_and_blocks_nothing_else(
        blog: Blog, stream: Stream, receivers: Callable[[], Receiver], configure: Callable[..., Settings],
        pauses: list[float], caplog: pytest.LogCaptureFixture) -> None:
    # Given a receiver that always fails, and one that works
    failing, working = receivers(), receivers()
    failing.answers = [500] * 10
    hooks(configure, pauses, f"json:{failing.url}", f"discord:{working.url}")
    slug = blog.post(blog.author())["slug"]
    records = [published(stream, slug, blog.comment(slug, body=f"Comment {n}")) for n in range(3)]

    # When a batch of three comments is delivered
    with caplog.at_level(logging.WARNING, logger="chalicelib.blog.webhooks"):
        stream.deliver(*records)

    # Then the failing receiver was tried four times for the first, then skipped; the other got all three
    assert len(failing.received) == 4
    assert len(working.received) == 3
    assert "webhook failed" in caplog.text and "webhook skipped" in caplog.text


def test_a_receiver_that_never_answers_times_out_and_is_retried(
        blog: Blog, stream: Stream, configure: Callable[..., Settings], pauses: list[float],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a port that accepts connections but never answers
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.2)
    hooks(configure, pauses, f"json:http://127.0.0.1:{silent.getsockname()[1]}/hook")
    slug = blog.post(blog.author())["slug"]

    try:
        stream.deliver(published(stream, slug, blog.comment(slug)))
    finally:
        silent.close()

    assert pauses == list(webhooks.RETRY_DELAYS)


def test_chat_shapes_carry_plain_text_that_mentions_nobody(
        blog: Blog, stream: Stream, receivers: Callable[[], Receiver], configure: Callable[..., Settings],
        pauses: list[float]) -> None:
    slack, discord = receivers(), receivers()
    hooks(configure, pauses, f"slack:{slack.url}", f"discord:{discord.url}")
    slug = blog.post(blog.author())["slug"]
    stream.deliver(published(stream, slug, blog.comment(
        slug, body="Hey @everyone <script>x</script> **bold**", author_name="@here")))

    [slack_body], [discord_body] = slack.bodies(), discord.bodies()
    assert set(slack_body) == {"text"} and "@everyone" not in slack_body["text"]
    assert "<" not in slack_body["text"] and "&lt;script&gt;" in slack_body["text"]
    assert discord_body["allowed_mentions"] == {"parse": []}
    assert "**" not in discord_body["content"] and "bold" in discord_body["content"]
    assert f"/posts/{slug}" in slack_body["text"]


def test_imported_comments_raise_no_event(blog: Blog, stream: Stream, receivers: Callable[[], Receiver],
                                          configure: Callable[..., Settings], pauses: list[float]) -> None:
    receiver = receivers()
    hooks(configure, pauses, f"json:{receiver.url}")
    slug = blog.post(blog.author())["slug"]
    record = published(stream, slug, blog.comment(slug))
    record["dynamodb"]["NewImage"]["imported_from"] = {"S": "blogger"}

    stream.deliver(record)

    assert receiver.received == []


@pytest.mark.parametrize("entry", ["teams:https://example.com/hook", "json:http://example.com/hook",
                                   "json:ftp://example.com/x", "https://example.com/hook",
                                   'json:https://example.com/"><x>'],
                         ids=["unknown-shape", "plain-http-elsewhere", "not-http", "no-shape", "quote"])
def test_a_bad_webhook_setting_stops_the_app_with_a_clear_message(entry: str) -> None:
    with pytest.raises(ConfigurationError, match="WEBHOOKS"):
        load_settings({"WEBHOOKS": entry})


def test_webhooks_need_their_secret() -> None:
    settings = load_settings({"WEBHOOKS": "json:https://example.com/hook", "JWT_SECRET": "j" * 40,
                              "EDIT_TOKEN_KEY": "e" * 40, "HASH_KEY": "h" * 40, "MAIL_LINK_KEY": "m" * 40})

    with pytest.raises(ConfigurationError, match="WEBHOOK_SECRET"):
        settings.check_secrets()


# -- found this week: redirects, URLs read loosely, private addresses, links in chat text ----------


class Redirector:
    """A real receiver that answers every POST with a redirect to ``location``."""

    def __init__(self, location: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Internal(Receiver):
    """A receiver that also records GETs: an internal service a redirect might point at."""

    def __init__(self) -> None:
        super().__init__()
        receiver = self
        handler = self.server.RequestHandlerClass

        def do_get(request: BaseHTTPRequestHandler) -> None:
            receiver.received.append(({k.lower(): v for k, v in request.headers.items()}, b""))
            request.send_response(200)
            request.send_header("Content-Length", "0")
            request.end_headers()

        handler.do_GET = do_get  # type: ignore[attr-defined]


def test_a_redirect_is_the_receivers_answer_and_is_not_followed(
        blog: Blog, stream: Stream, configure: Callable[..., Settings], pauses: list[float],
        caplog: pytest.LogCaptureFixture) -> None:
    """Found: a receiver's 302 became a GET to an internal http URL carrying the X-Blog-* headers."""
    internal = Internal()
    redirector = Redirector(internal.url)
    try:
        hooks(configure, pauses, f"json:{redirector.url}")
        slug = blog.post(blog.author())["slug"]

        with caplog.at_level(logging.WARNING):
            stream.deliver(published(stream, slug, blog.comment(slug)))

        assert internal.received == []
        assert "answered 302" in caplog.text and pauses == []  # final, not retried
    finally:
        for server in (internal.server, redirector.server):
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:80@169.254.169.254/",
    "https://127.0.0.1@169.254.169.254/latest/meta-data/",
    "https://user:pass@hooks.example.com/x",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.5/hook",
    "https://192.168.1.20/hook",
    "https://[fe80::1]/hook",
    "https://[fd00::5]/hook",
    "http://0.0.0.0:8080/hook",
    "https://hooks.example.com\\@evil.example/",
    "https://hooks.example.com:port/",
    "https:///hook",
])
def test_a_webhook_url_is_read_as_a_url_parser_reads_it(url: str) -> None:
    with pytest.raises(ConfigurationError, match="WEBHOOKS"):
        load_settings({"WEBHOOKS": f"json:{url}"})


def test_private_addresses_are_allowed_where_the_stage_says_so_and_loopback_stays_allowed() -> None:
    allowed = load_settings({"WEBHOOKS": "json:https://10.0.0.5/hook json:https://169.254.10.1/x",
                             "WEBHOOKS_ALLOW_PRIVATE": "true"})
    local = load_settings({"WEBHOOKS": "json:http://127.0.0.1:9000/hook slack:http://localhost/x "
                                       "discord:http://[::1]:8080/y json:https://hooks.example.com/z"})

    assert [h.url for h in allowed.webhooks] == ["https://10.0.0.5/hook", "https://169.254.10.1/x"]
    assert len(local.webhooks) == 4


def test_a_name_that_resolves_to_a_link_local_address_is_not_sent_to(
        blog: Blog, stream: Stream, configure: Callable[..., Settings], pauses: list[float],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    hooks(configure, pauses, "json:https://metadata.hooks.example/hook")
    sent: list[str] = []

    def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        sent.append(url)
        return 204

    services().webhooks.post = post
    # The resolver answers as a hostile DNS server would (no network here: the machine's resolver, replaced).
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, **_: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))])
    slug = blog.post(blog.author())["slug"]

    with caplog.at_level(logging.ERROR):
        stream.deliver(published(stream, slug, blog.comment(slug)))

    assert sent == []
    assert "resolves to 169.254.169.254" in caplog.text


@pytest.mark.parametrize("shape", ["slack", "discord"])
def test_a_markdown_link_in_a_name_or_body_reaches_chat_as_text(
        blog: Blog, stream: Stream, receivers: Callable[[], Receiver], configure: Callable[..., Settings],
        pauses: list[float], shape: str) -> None:
    receiver = receivers()
    hooks(configure, pauses, f"{shape}:{receiver.url}")
    slug = blog.post(blog.author())["slug"]
    notice = "[Admin notice](https://phish.example)"
    # In the body, as code: so it renders as the text it is (a link there would render as an anchor, its URL dropped)
    stream.deliver(published(stream, slug, blog.comment(slug, body=f"Read `{notice}` now", author_name=notice)))

    [sent] = receiver.bodies()
    text = sent["text" if shape == "slack" else "content"]
    assert "](" not in text
    assert text.count("Admin notice") == 2 and text.count("phish.example") == 2
