"""Comment notifications: sent from the table's stream by SES (moto), never inside a request.

Stream events are built from the real items the API wrote (read back from the
table in DynamoDB JSON), and delivered to the handler through Chalice's test
Lambda client, as the DynamoDB stream would deliver them.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from collections.abc import Callable
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import mail
from chalicelib.errors import ConfigurationError
from chalicelib.services import build, services
from chalicelib.settings import Settings, load_settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls
from tests.settings_steps import Clock

SENDER = "blog@example.com"
HANDLER = "notify_comments"


@pytest.fixture(autouse=True)
def mail_settings(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Set before the dynamo fixture resets the services, so the first request reads them.
    monkeypatch.setenv("NOTIFY_FROM", f"Blog <{SENDER}>")
    mail.use_ses_client(None)
    yield
    mail.use_ses_client(None)


@pytest.fixture
def ses(dynamo: DynamoCalls) -> Any:
    client = boto3.client("ses", region_name="us-east-1")
    client.verify_email_identity(EmailAddress=SENDER)
    return client


def outbox() -> list[EmailMessage]:
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return [message_from_string(m.raw_data, policy=policy.default) for m in backend.sent_messages]


def to(address: str) -> list[EmailMessage]:
    return [m for m in outbox() if m["To"] == address]


CONFIRM_SUBJECT = "Confirm your e-mail address"


def news(address: str) -> list[EmailMessage]:
    """The messages to ``address`` that are about comments (not requests to confirm it)."""
    return [m for m in to(address) if not m["Subject"].startswith(CONFIRM_SUBJECT)]


def confirmation_link(address: str) -> str:
    """The path and query of the confirmation link in the last confirmation request to ``address``."""
    requests = [m for m in to(address) if m["Subject"].startswith(CONFIRM_SUBJECT)]
    assert requests, f"no confirmation request reached {address}"
    found = re.search(r"https://api\.blog\.test\.example(/email/confirm\?token=\S+)", requests[-1].get_content())
    assert found is not None
    return found[1]


def confirm(api: Api, address: str) -> None:
    """The owner of ``address`` opens the link and presses the button."""
    done = api.post(confirmation_link(address))
    assert done.status == 200, done.body


class Stream:
    """Stream records made of the table's real items, delivered to the handler."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.sequence = itertools.count(1)

    def image(self, key: dict[str, str]) -> dict[str, Any] | None:
        found = dynamodb_client().get_item(TableName=TEST_TABLE, Key={k: {"S": v} for k, v in key.items()})
        return found.get("Item")

    def record(self, event_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
        item = new or old
        assert item is not None
        change: dict[str, Any] = {
            "ApproximateCreationDateTime": time.time(),
            "Keys": {"PK": item["PK"], "SK": item["SK"]},
            "SequenceNumber": str(next(self.sequence)),
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if new is not None:
            change["NewImage"] = new
        if old is not None:
            change["OldImage"] = old
        return {
            "eventID": f"event-{change['SequenceNumber']}",
            "eventName": event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "eventSourceARN": f"arn:aws:dynamodb:us-east-1:{DEFAULT_ACCOUNT_ID}:table/{TEST_TABLE}/stream/2024-01-01",
            "dynamodb": change,
        }

    def inserted(self, slug: str, created: dict[str, Any]) -> dict[str, Any]:
        return self.record("INSERT", None, self.image(keys.comment(slug, created["comment"]["id"])))

    def deliver(self, *records: dict[str, Any]) -> None:
        self.api.client.lambda_.invoke(HANDLER, {"Records": list(records)})


@pytest.fixture
def stream(api: Api, ses: Any) -> Stream:
    return Stream(api)


def test_the_post_author_hears_of_each_new_comment_but_not_their_own(blog: Blog, stream: Stream) -> None:
    author = blog.author("alice")
    slug = blog.post(author, title="Ash Wednesday, 2017")["slug"]
    first = blog.comment(slug, body="Lovely *words*.", author_name="Ann", author_email="ann@example.com")
    own = blog.comment(slug, token=author, body="Thank you.")
    own_anonymous = blog.comment(slug, author_name="Alice", author_email="Alice@Example.com")
    second = blog.comment(slug, token=blog.user("bob"), body="Agreed.")
    stream.deliver(*(stream.inserted(slug, c) for c in (first, own, own_anonymous, second)))

    messages = outbox()
    assert [m["To"] for m in messages] == ["alice@example.com", "alice@example.com"]
    message = messages[0]
    assert message["From"] == f"Blog <{SENDER}>"
    assert message["Subject"] == "New comment on “Ash Wednesday, 2017” from Ann"
    text = message.get_content()
    assert "> Lovely *words*." in text
    assert f"https://blog.test.example/posts/{slug}#comment-{first['comment']['id']}" in text
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://api.blog.test.example/unsubscribe?token=") and unsubscribe.endswith(">")
    assert unsubscribe[1:-1] in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "ann@example.com" not in messages[0].as_string()  # a commenter's address is never disclosed
    assert "from bob" in messages[1]["Subject"]


def test_the_batch_log_line_counts_the_mail_it_sent(blog: Blog, stream: Stream,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    author = blog.author("carol")
    slug = blog.post(author)["slug"]
    comments = [blog.comment(slug, author_name="Ann"), blog.comment(slug, token=author, body="Mine.")]
    capsys.readouterr()
    stream.deliver(*(stream.inserted(slug, c) for c in comments))
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines() if '"stream_batch"' in text]
    assert line["mail_sent"] == len(outbox()) == 1  # the author hears of Ann's comment, not of their own
    assert "mail_sent" in {m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


def test_replies_reach_parent_authors_who_opted_in_and_confirmed(api: Api, blog: Blog, stream: Stream) -> None:
    author = blog.author("alice")
    slug = blog.post(author, title="Hello")["slug"]
    keen = blog.comment(slug, author_name="Bob", author_email="bob@example.com", notify_replies=True)
    quiet = blog.comment(slug, author_name="Cy", author_email="cy@example.com")
    member = blog.comment(slug, token=blog.user("dora"), notify_replies=True)  # a signed-in commenter
    parents = (keen, quiet, member)
    stream.deliver(*(stream.inserted(slug, c) for c in parents))
    assert len(to("alice@example.com")) == 3
    assert to("cy@example.com") == []  # asked for nothing: not even a confirmation request
    confirm(api, "bob@example.com")
    confirm(api, "dora@example.com")  # an account's address is confirmed like any other
    before = len(outbox())

    replies = [blog.comment(slug, author_name="Eve", author_email="eve@example.com",
                            parent_id=p["comment"]["id"], body=f"Reply {i}") for i, p in enumerate(parents)]
    own = blog.comment(slug, author_name="Bob", author_email="bob@example.com", parent_id=keen["comment"]["id"])
    stream.deliver(*(stream.inserted(slug, c) for c in [*replies, own]))

    assert [m["Subject"] for m in news("bob@example.com")] == ["Eve replied to your comment on “Hello”"]
    assert "> Reply 0" in news("bob@example.com")[0].get_content()
    assert to("cy@example.com") == []  # did not opt in
    assert [m["Subject"] for m in news("dora@example.com")] == ["Eve replied to your comment on “Hello”"]
    assert len(to("alice@example.com")) == 3 + 4  # the post's author hears of every new comment
    assert len(outbox()) == before + 2 + 4


def test_the_post_author_replying_to_an_opted_in_comment_is_written_to_once(api: Api, blog: Blog,
                                                                              stream: Stream) -> None:
    author = blog.author("alice")
    slug = blog.post(author)["slug"]
    mine = blog.comment(slug, token=author, notify_replies=True)
    stream.deliver(stream.inserted(slug, mine))
    confirm(api, "alice@example.com")
    reply = blog.comment(slug, author_name="Eve", parent_id=mine["comment"]["id"])
    stream.deliver(stream.inserted(slug, reply))
    assert [m["Subject"].split(" ", 2)[:2] for m in news("alice@example.com")] == [["Eve", "replied"]]


def test_a_typed_address_gets_one_confirmation_request_and_no_replies(blog: Blog, stream: Stream) -> None:
    """The attack: anyone types a victim's address with notify_replies, then replies with spam."""
    slug = blog.post(blog.author("alice"), title="Hello")["slug"]
    bait = blog.comment(slug, author_name="Mallory", author_email="victim@example.com", notify_replies=True,
                        body="Buy pills at pills.example")
    again = blog.comment(slug, author_name="Mallory", author_email="Victim@Example.com", notify_replies=True)
    stream.deliver(stream.inserted(slug, bait), stream.inserted(slug, again))
    spam = [blog.comment(slug, author_name="Mallory", parent_id=bait["comment"]["id"], body=f"SPAM {i}")
            for i in range(3)]
    stream.deliver(*(stream.inserted(slug, c) for c in spam))

    received = to("victim@example.com")
    assert [m["Subject"] for m in received] == ["Confirm your e-mail address for “Hello”"]  # one, not two
    text = received[0].get_content()
    assert "pills" not in text and "Mallory" not in text  # nothing the commenter wrote reaches the victim
    assert "/email/confirm?token=" in text
    assert received[0]["List-Unsubscribe"].startswith("<https://api.blog.test.example/unsubscribe?token=")


def test_confirmation_links_show_a_page_and_only_a_post_confirms(api: Api, blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    parent = blog.comment(slug, author_email="bob@example.com", notify_replies=True)
    stream.deliver(stream.inserted(slug, parent))
    link = confirmation_link("bob@example.com")

    page = api.get(link)  # what a mail scanner fetches: it must confirm nothing
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert b'<form method="post" action="">' in page.body
    stream.deliver(stream.inserted(slug, blog.comment(slug, parent_id=parent["comment"]["id"])))
    assert news("bob@example.com") == []

    assert api.post(link).status == 200
    assert api.post(link, raw=b"", headers={"Content-Type": "multipart/form-data; boundary=x"}).status == 200
    stream.deliver(stream.inserted(slug, blog.comment(slug, parent_id=parent["comment"]["id"])))
    assert len(news("bob@example.com")) == 1


def test_confirmation_links_refuse_forged_expired_and_odd_tokens(api: Api, blog: Blog, stream: Stream,
                                                                 clock: Clock) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    bob = blog.comment(slug, author_email="bob@example.com", notify_replies=True)
    carol = blog.comment(slug, author_email="carol@example.com", notify_replies=True)
    stream.deliver(stream.inserted(slug, bob), stream.inserted(slug, carol))
    token = confirmation_link("bob@example.com").split("token=", 1)[1]
    digest, expires, signature = token.split(".")
    carol_digest = confirmation_link("carol@example.com").split("token=", 1)[1].split(".")[0]
    forged = [f"{carol_digest}.{expires}.{signature}",  # bob's signature on carol's address
              f"{digest}.{int(expires) + 10**6}.{signature}",  # a later expiry
              f"{digest}.{expires}.{'A' * 22}", f"{digest}.{expires}.{signature}x", "nonsense",
              token + "é", token.replace(".", "%C3%A9", 1), f"{digest}.{'9' * 40}.{signature}"]
    for bad in forged:
        for method in ("GET", "POST"):
            reply = api.request(method, f"/email/confirm?token={bad}")
            assert reply.status == 403, (bad, method, reply.body)
            assert reply.problem["detail"].startswith("this confirmation link is not valid")
    for method in ("GET", "POST"):
        assert api.request(method, "/email/confirm").problem["status"] == 400
        assert api.request(method, "/email/confirm?token=").problem["status"] == 400

    clock.advance(days=8)  # past the link's seven days
    expired = api.post(f"/email/confirm?token={token}")
    assert expired.status == 403 and "expired" in expired.problem["detail"]
    # Nothing was confirmed: neither bob nor carol hears of replies.
    stream.deliver(*(stream.inserted(slug, blog.comment(slug, parent_id=c["comment"]["id"])) for c in (bob, carol)))
    assert news("bob@example.com") == [] and news("carol@example.com") == []


def test_a_confirmation_used_twice_is_harmless_and_confirms_only_its_address(api: Api, blog: Blog,
                                                                             stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    bob = blog.comment(slug, author_email="bob@example.com", notify_replies=True)
    carol = blog.comment(slug, author_email="carol@example.com", notify_replies=True)
    stream.deliver(stream.inserted(slug, bob), stream.inserted(slug, carol))
    confirm(api, "bob@example.com")
    confirm(api, "bob@example.com")  # a replay changes nothing

    stream.deliver(*(stream.inserted(slug, blog.comment(slug, parent_id=c["comment"]["id"])) for c in (bob, carol)))
    assert len(news("bob@example.com")) == 1
    assert news("carol@example.com") == []


def test_an_opt_out_wins_over_a_confirmation(api: Api, blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    parent = blog.comment(slug, author_email="bob@example.com", notify_replies=True)
    stream.deliver(stream.inserted(slug, parent))
    request = to("bob@example.com")[0]
    unsubscribe = urlsplit(request["List-Unsubscribe"][1:-1])
    assert api.post(f"{unsubscribe.path}?{unsubscribe.query}").status == 200  # opted out from the request itself
    confirm(api, "bob@example.com")  # ... and then confirmed: the opt-out still wins

    stream.deliver(stream.inserted(slug, blog.comment(slug, parent_id=parent["comment"]["id"])))
    stream.deliver(stream.inserted(slug, blog.comment(slug, author_email="bob@example.com", notify_replies=True)))
    assert len(to("bob@example.com")) == 1  # only the one request


def test_mail_to_one_address_is_limited_per_day(api: Api, blog: Blog, stream: Stream, clock: Clock,
                                                configure: Callable[..., Settings]) -> None:
    configure(NOTIFY_RATE_LIMIT="3", NOTIFY_FROM=f"Blog <{SENDER}>")
    clock.align(24 * 3600)
    slug = blog.post(blog.author("alice"))["slug"]
    # The confirmation request counts too: bob's day holds it and two replies.
    parent = blog.comment(slug, author_email="bob@example.com", notify_replies=True)
    stream.deliver(stream.inserted(slug, parent))
    confirm(api, "bob@example.com")
    for _ in range(4):
        stream.deliver(stream.inserted(slug, blog.comment(slug, parent_id=parent["comment"]["id"])))
    assert len(to("bob@example.com")) == 3
    assert len(to("alice@example.com")) == 3  # the post's author: 5 comments, 3 mails

    clock.advance(days=1)  # a new day, a new window
    stream.deliver(stream.inserted(slug, blog.comment(slug, parent_id=parent["comment"]["id"])))
    assert len(to("bob@example.com")) == 4 and len(to("alice@example.com")) == 4


def test_the_daily_limit_has_a_sane_default_and_is_checked() -> None:
    assert load_settings({}).notify_rate_limit == 10
    assert load_settings({"NOTIFY_RATE_LIMIT": "2"}).notify_rate_limit == 2
    for bad in ("0", "-1", "ten"):
        with pytest.raises(ConfigurationError, match="NOTIFY_RATE_LIMIT"):
            load_settings({"NOTIFY_RATE_LIMIT": bad})


def test_a_second_delivery_of_the_same_records_sends_nothing(blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    records = [stream.inserted(slug, blog.comment(slug)) for _ in range(2)]
    stream.deliver(*records)
    stream.deliver(*records)
    stream.deliver(records[1])
    assert len(to("alice@example.com")) == 2


def test_only_comments_becoming_visible_are_news(api: Api, blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    created = blog.comment(slug)
    key = keys.comment(slug, created["comment"]["id"])
    old = stream.image(key)
    edited = api.patch(f"/comments/{created['comment']['id']}", {"body": "Edited."},
                       headers={"X-Edit-Token": created["edit_token"]})
    assert edited.status == 200, edited.body
    stream.deliver(
        stream.record("MODIFY", old, stream.image(key)),  # an edit
        stream.record("REMOVE", old, None),
        stream.record("INSERT", None, stream.image(keys.post(slug))),  # a post
        stream.record("MODIFY", stream.image(keys.post(slug)), stream.image(keys.post(slug))),
    )
    assert outbox() == []


def test_a_held_comment_is_news_when_moderation_approves_it(api: Api, blog: Blog, stream: Stream,
                                                            configure: Callable[..., Settings]) -> None:
    configure(MODERATION="all", NOTIFY_FROM=f"Blog <{SENDER}>")
    slug = blog.post(blog.author("alice"))["slug"]
    held = api.post(f"/posts/{slug}/comments", {"body": "Wait for it.", "author_name": "Ann"})
    assert held.status == 202, held.body
    comment_id = held.json["comment"]["id"]
    held_image = stream.image(keys.held_comment(slug, comment_id))
    stream.deliver(stream.record("INSERT", None, held_image))
    # Only the admins hear of a held comment (tests/moderation/test_moderation_mail.py); readers and the author not yet
    assert [m["To"] for m in outbox()] == ["root@example.com"]

    approved = api.post(f"/comments/{comment_id}/moderate", {"action": "approve"}, token=blog.admin())
    assert approved.status == 200, approved.body
    # The move from HELD# to COMMENT# reaches the stream as a REMOVE and an INSERT.
    stream.deliver(stream.record("REMOVE", held_image, None),
                   stream.record("INSERT", None, stream.image(keys.comment(slug, comment_id))))
    assert [m["To"] for m in outbox()] == ["root@example.com", "alice@example.com"]


def test_unsubscribing_stops_all_mail_to_the_address(api: Api, blog: Blog, stream: Stream) -> None:
    author = blog.author("alice")
    slug = blog.post(author)["slug"]
    parent = blog.comment(slug, author_name="Bob", author_email="bob@example.com", notify_replies=True)
    stream.deliver(stream.inserted(slug, parent))
    confirm(api, "bob@example.com")
    reply = blog.comment(slug, author_name="Eve", parent_id=parent["comment"]["id"])
    stream.deliver(stream.inserted(slug, reply))
    link = urlsplit(news("bob@example.com")[0]["List-Unsubscribe"][1:-1])
    path = f"{link.path}?{link.query}"

    # GET only shows the confirmation page (mail scanners fetch links); the address is still subscribed.
    page = api.get(path)
    assert page.status == 200, page.body
    assert page.headers["content-type"].startswith("text/html")
    assert b'<form method="post" action="">' in page.body
    stream.deliver(stream.inserted(slug, blog.comment(slug, parent_id=parent["comment"]["id"])))
    assert len(news("bob@example.com")) == 2

    # RFC 8058 one-click: a POST to the same URL.
    done = api.post(path, raw=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status == 200, done.body
    assert b"unsubscribed" in done.body
    assert api.post(path, raw=b"", headers={"Content-Type": "multipart/form-data; boundary=x"}).status == 200
    stream.deliver(stream.inserted(slug, blog.comment(slug, parent_id=parent["comment"]["id"])))
    assert len(news("bob@example.com")) == 2
    assert len(to("alice@example.com")) == 4  # others still hear

    # The post author's own link works the same way.
    alice_link = urlsplit(to("alice@example.com")[0]["List-Unsubscribe"][1:-1])
    assert api.post(f"{alice_link.path}?{alice_link.query}").status == 200
    stream.deliver(stream.inserted(slug, blog.comment(slug)))
    assert len(to("alice@example.com")) == 4


def test_forged_unsubscribe_tokens_are_refused(api: Api, blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    stream.deliver(stream.inserted(slug, blog.comment(slug)))
    token = urlsplit(to("alice@example.com")[0]["List-Unsubscribe"][1:-1]).query.removeprefix("token=")
    digest, signature = token.split(".")
    other = "0" * 64
    for forged in (f"{other}.{signature}", f"{digest}.{'A' * 22}", f"{digest}.{signature}x", "nonsense", token + "é"):
        for method in ("GET", "POST"):
            reply = api.request(method, f"/unsubscribe?token={forged}")
            assert reply.status == 403, (forged, method, reply.body)
            assert reply.problem["detail"].startswith("this unsubscribe link is not valid")
    assert api.get("/unsubscribe").problem["status"] == 400
    # Nothing was recorded: alice still hears.
    stream.deliver(stream.inserted(slug, blog.comment(slug)))
    assert len(to("alice@example.com")) == 2


class FlakySes:
    """The real (moto) SES, failing the first ``failures`` sends as SES does when it throttles."""

    def __init__(self, failures: int) -> None:
        self.real = boto3.client("ses", region_name="us-east-1")
        self.failures = failures
        self.calls = 0

    def send_raw_email(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}},
                              "SendRawEmail")
        return self.real.send_raw_email(**kwargs)


def test_a_transient_failure_fails_the_batch_and_the_retry_sends_exactly_once(blog: Blog, stream: Stream) -> None:
    author = blog.author("alice")
    slug = blog.post(author)["slug"]
    parent = blog.comment(slug, author_name="Bob", author_email="bob@example.com", notify_replies=True)
    records = [stream.inserted(slug, parent),
               stream.inserted(slug, blog.comment(slug, author_name="Eve", parent_id=parent["comment"]["id"]))]
    flaky = FlakySes(failures=1)
    mail.use_ses_client(flaky)

    with pytest.raises(mail.SendFailed) as failed:
        stream.deliver(*records)  # Lambda sees the error and delivers the batch again
    assert not failed.value.permanent
    assert flaky.calls == 3  # the failure did not stop the rest of the batch
    assert len(outbox()) == 2

    stream.deliver(*records)
    stream.deliver(*records)
    assert flaky.calls == 4  # only the failed message was sent again
    assert len(to("alice@example.com")) == 2 and len(to("bob@example.com")) == 1


def test_a_permanent_refusal_is_logged_and_not_retried(blog: Blog, stream: Stream,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    boto3.client("ses", region_name="us-east-1").delete_identity(Identity=SENDER)  # SES: MessageRejected
    record = stream.inserted(slug, blog.comment(slug))
    with caplog.at_level(logging.ERROR, logger="chalicelib.blog.mail_delivery"):
        stream.deliver(record)  # no exception: retrying cannot help
    assert "MessageRejected" in caplog.text
    assert outbox() == []
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
    stream.deliver(record)
    assert outbox() == []  # settled: a redelivery does not try again


class RefusingSes:
    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        self.calls += 1
        raise AssertionError(f"SES was called ({name}) while handling a request")


def test_posting_a_comment_never_calls_ses(api: Api, blog: Blog, ses: Any) -> None:
    author = blog.author("alice")
    slug = blog.post(author)["slug"]
    refusing = RefusingSes()
    mail.use_ses_client(refusing)
    parent = blog.comment(slug, author_email="bob@example.com", notify_replies=True)
    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "author_name": "Eve",
                                                 "parent_id": parent["comment"]["id"]})
    assert reply.status == 201, reply.body
    assert refusing.calls == 0 and outbox() == []


def test_notify_replies_is_an_opt_in_boolean(api: Api, blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    refused = api.post(f"/posts/{slug}/comments", {"body": "Hi", "notify_replies": "yes"})
    assert refused.status == 422 and "notify_replies" in refused.problem["errors"]
    plain = blog.comment(slug)
    stored = stream.image(keys.comment(slug, plain["comment"]["id"]))
    assert stored is not None and stored["notify_replies"] == {"BOOL": False}
    assert "notify_replies" not in plain["comment"]  # never shown


def test_nothing_is_sent_when_notifications_are_off_or_have_no_sender(blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    record = stream.inserted(slug, blog.comment(slug))
    settings = services().settings
    for changed in (settings.replace(notifications=False), settings.replace(notify_from="")):
        assert build(changed).notifications.handle([record]) == 0
    assert outbox() == []
    stream.deliver(record)
    assert len(outbox()) == 1


@pytest.mark.parametrize("sender", ["blog", "Blog <blog>", "blog@example.com\r\nBcc: x@example.com", "a b@example.com"])
def test_a_malformed_sender_is_a_configuration_error(sender: str) -> None:
    with pytest.raises(ConfigurationError):
        load_settings({"NOTIFY_FROM": sender})
    assert load_settings({"NOTIFY_FROM": "Blog <blog@example.com>"}).notify_from == "Blog <blog@example.com>"
    assert load_settings({}).notify_from == "" and load_settings({}).notifications is True


def test_under_first_time_an_approved_email_commenter_is_asked_to_confirm_then_goes_straight_through(
        api: Api, blog: Blog, stream: Stream, configure: Callable[..., Settings]) -> None:
    configure(MODERATION="first-time", NOTIFY_FROM=f"Blog <{SENDER}>")
    slug = blog.post(blog.author("alice"), title="Hello")["slug"]
    ann = {"author_name": "Ann", "author_email": "ann@example.org"}
    first = api.post(f"/posts/{slug}/comments", {"body": "Hello", **ann})
    assert first.status == 202, first.body
    comment_id = first.json["comment"]["id"]
    assert api.post(f"/comments/{comment_id}/moderate", {"action": "approve"}, token=blog.admin()).status == 200
    stream.deliver(stream.record("INSERT", None, stream.image(keys.comment(slug, comment_id))))

    assert [m["Subject"] for m in to("ann@example.org")] == ["Confirm your e-mail address for “Hello”"]
    assert api.post(f"/posts/{slug}/comments", {"body": "Approved, not confirmed", **ann}).status == 202
    confirm(api, "ann@example.org")
    assert api.post(f"/posts/{slug}/comments", {"body": "Approved and confirmed", **ann}).status == 201


def test_a_signed_in_commenter_asking_for_replies_confirms_their_account_address(
        api: Api, blog: Blog, stream: Stream) -> None:
    """Signing up proves no address: an account's e-mail is confirmed like a typed one."""
    slug = blog.post(blog.author("alice"), title="Hello")["slug"]
    parent = blog.comment(slug, token=blog.user("dora"), notify_replies=True)
    stream.deliver(stream.inserted(slug, parent))
    stream.deliver(stream.inserted(slug, blog.comment(slug, parent_id=parent["comment"]["id"])))

    assert [m["Subject"] for m in to("dora@example.com")] == ["Confirm your e-mail address for “Hello”"]


def test_a_post_author_who_has_not_confirmed_still_hears_of_replies_to_their_own_comment_as_new_comments(
        blog: Blog, stream: Stream) -> None:
    """An unconfirmed reply notice must not crowd out the post author's own news of the comment."""
    author = blog.author("alice")
    slug = blog.post(author, title="Hello")["slug"]
    mine = blog.comment(slug, token=author, notify_replies=True)
    stream.deliver(stream.inserted(slug, mine))
    stream.deliver(stream.inserted(slug, blog.comment(slug, author_name="Eve", parent_id=mine["comment"]["id"])))

    assert [m["Subject"] for m in news("alice@example.com")] == ["New comment on “Hello” from Eve"]
