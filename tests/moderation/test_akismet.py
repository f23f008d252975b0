"""Akismet: comments checked from the stream, moderators' verdicts sent back, against a local Akismet.

The receiver is a real HTTP server on loopback speaking Akismet's documented REST protocol
(form-encoded POSTs to /1.1/verify-key, comment-check, submit-spam, submit-ham; "valid"/"invalid",
"true"/"false", the X-akismet-pro-tip and X-akismet-debug-help headers). Comments are made through
the API; stream records are built from the real items written (tests/notifications/test_notifications.Stream)
and delivered to the stream handler as Lambda would. Pauses between retries are recorded, not slept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from chalicelib.blog import akismet
from chalicelib.errors import ConfigurationError
from chalicelib.services import services
from chalicelib.settings import load_settings, with_secrets
from chalicelib.store import client as client_module
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from tests.conftest import TEST_TABLE, Api, Blog
from tests.local_receiver import LocalReceiver, Posted, Reply
from tests.moderation.steps import audit, listed, spam_queue
from tests.notifications.test_notifications import Stream
from tests.settings_steps import comment_count

KEY = "a1b2c3d4e5f6"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
REFERRER = "https://blog.test.example/posts/somewhere"
SPAMMER = "akismet-guaranteed-spam"  # the author name Akismet documents as always spam
BLATANT = "blatant"  # this receiver's own cue for the discard hint (Akismet documents none)
THANKS = "Thanks for making the web a better place."


class Akismet(LocalReceiver):
    """A local Akismet: answers by the documented protocol and records every call it is sent.

    Queued failures: a status (answered with an empty body), or "hang" (no answer at all).
    """

    hang_seconds = 10.0  # longer than the client waits: it times out

    def __init__(self) -> None:
        super().__init__("/1.1")

    def recorded(self, request: Posted) -> tuple[str, dict[str, str], dict[str, str]]:
        return request.call, request.form, request.headers

    def answer(self, request: Posted, failure: Any) -> Reply:
        text, headers = ("", {}) if isinstance(failure, int) else self.respond(request.call, request.form)
        return Reply(failure if isinstance(failure, int) else 200, text.encode(), "text/plain; charset=utf-8", headers)

    def respond(self, call: str, form: dict[str, str]) -> tuple[str, dict[str, str]]:
        if form.get("api_key") != KEY:
            return "invalid", {"X-akismet-debug-help": "We were unable to verify your API key."}
        if not form.get("blog"):
            return "invalid", {"X-akismet-debug-help": "Empty \"blog\" value"}
        if call == "verify-key":
            return "valid", {}
        if not form.get("user_ip"):
            return "Missing required field: user_ip.", {"X-akismet-debug-help": "Missing required field: user_ip."}
        if call in ("submit-spam", "submit-ham"):
            return THANKS, {}
        content = form.get("comment_content", "")
        if BLATANT in content:
            return "true", {"X-akismet-pro-tip": "discard", "X-akismet-guid": "g-1"}
        if form.get("comment_author") == SPAMMER:
            return "true", {"X-akismet-guid": "g-2"}
        return "false", {"X-akismet-guid": "g-3"}

    def named(self, call: str) -> list[dict[str, str]]:
        return [form for name, form, _ in self.calls if name == call]


@pytest.fixture
def receiver() -> Iterator[Akismet]:
    started = Akismet()
    yield started
    started.stop()


@pytest.fixture
def stream(api: Api) -> Stream:
    return Stream(api)


@pytest.fixture
def pauses() -> list[float]:
    return []


@pytest.fixture
def on(configure: Callable[..., Any], receiver: Akismet, pauses: list[float]) -> Callable[..., None]:
    """on(MODERATION=…, AKISMET_KEY=…): the stage with Akismet pointed at the local receiver."""

    def switch(**env: str) -> None:
        configure(**{"AKISMET_KEY": KEY, "AKISMET_URL": receiver.url, **env})
        services().akismet.sleep = pauses.append

    switch()
    return switch


def comment(api: Api, slug: str, body: str = "A thoughtful reply.", token: str | None = None,
            **fields: Any) -> dict[str, Any]:
    payload = {"body": body, **({} if token else {"author_name": "Ann"}), **fields}
    reply = api.post(f"/posts/{slug}/comments", payload, token=token,
                     headers={"User-Agent": BROWSER, "Referer": REFERRER})
    assert reply.status in (201, 202), reply.body
    return dict(reply.json["comment"])


def context_record(stream: Stream, comment_id: str) -> dict[str, Any]:
    """The stream's INSERT of the comment's Akismet context, written with it."""
    new = stream.image(keys.akismet_context(comment_id))
    assert new is not None, "no Akismet context was written with the comment"
    return stream.record("INSERT", None, new)


def audit_records(stream: Stream) -> list[dict[str, Any]]:
    """The stream's INSERTs of every audit entry so far, oldest first."""
    found = dynamodb_client().query(TableName=TEST_TABLE, KeyConditionExpression="PK = :pk",
                                    ExpressionAttributeValues={":pk": {"S": keys.AUDIT_PARTITION}})
    return [stream.record("INSERT", None, item) for item in found["Items"]]


def state(comment_id: str) -> str:
    item = dynamodb_client().get_item(TableName=TEST_TABLE, Key={
        k: {"S": v} for k, v in keys.akismet_context(comment_id).items()}).get("Item")
    assert item is not None
    return str(item["state"]["S"])


def moderate(api: Api, admin: str, comment_id: str, action: str) -> None:
    reply = api.post(f"/comments/{comment_id}/moderate", {"action": action}, token=admin)
    assert reply.status == 200, reply.body


# -- comment-check ---------------------------------------------------------------------------


def test_a_comment_akismet_calls_spam_moves_to_spam_with_its_reason_in_the_audit_trail(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    admin = blog.admin()
    spam = comment(api, slug, "Cheap watches here", author_name=SPAMMER)
    assert comment_count(api, slug) == 1

    stream.deliver(stream.inserted(slug, {"comment": spam}), context_record(stream, spam["id"]))

    assert [name for name, _, _ in receiver.calls] == ["verify-key", "comment-check"]
    assert listed(api, slug) == [] and comment_count(api, slug) == 0  # counted out by the same transaction
    [queued] = spam_queue(api, admin)
    assert queued["id"] == spam["id"] and queued["held_because"] == "Akismet: spam"
    [entry] = audit(api, admin)
    assert (entry["who"], entry["action"], entry["from_status"], entry["reason"]) == (
        akismet.FILTER, "spam", "approved", "Akismet: spam")
    assert state(spam["id"]) == "spam"


def test_a_held_comment_akismet_calls_spam_leaves_the_pending_queue_for_the_spam_list(
        api: Api, blog: Blog, slug: str, stream: Stream, on: Callable[..., None]) -> None:
    on(MODERATION="all")
    admin = blog.admin()
    spam = comment(api, slug, "Buy now", author_name=SPAMMER)

    stream.deliver(context_record(stream, spam["id"]))

    assert api.get("/moderation/comments?status=pending", token=admin).json["items"] == []
    assert [c["id"] for c in spam_queue(api, admin)] == [spam["id"]]


def test_a_comment_akismet_calls_ham_keeps_its_status(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    admin = blog.admin()
    ham = comment(api, slug, "I liked the second paragraph.")

    stream.deliver(context_record(stream, ham["id"]))

    assert receiver.named("comment-check")
    assert listed(api, slug) == [ham["id"]] and comment_count(api, slug) == 1
    assert audit(api, admin) == [] and spam_queue(api, admin) == []
    assert state(ham["id"]) == "ham"


def test_the_discard_hint_deletes_blatant_spam_without_keeping_it_in_the_spam_list(
        api: Api, blog: Blog, slug: str, stream: Stream, on: Callable[..., None]) -> None:
    admin = blog.admin()
    blatant = comment(api, slug, f"{BLATANT} spam, all links")

    stream.deliver(context_record(stream, blatant["id"]))

    assert listed(api, slug) == [] and comment_count(api, slug) == 0
    assert spam_queue(api, admin) == []
    [entry] = audit(api, admin)
    assert (entry["who"], entry["action"], entry["reason"]) == (
        akismet.FILTER, "delete", "Akismet: blatant spam (its discard hint)")
    assert state(blatant["id"]) == "discarded"


def test_the_request_carries_what_akismet_needs_and_nothing_it_should_not(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    parent = comment(api, slug, "First!")
    reply = comment(api, slug, "Second, in reply.", parent_id=parent["id"], author_name="Bea",
                    author_email="bea@example.com", author_website="https://bea.example")
    receiver.calls.clear()
    stream.deliver(context_record(stream, reply["id"]))

    [(_, form, headers)] = [c for c in receiver.calls if c[0] == "comment-check"]
    assert form == {
        "api_key": KEY, "blog": "https://blog.test.example", "user_ip": "127.0.0.1", "user_agent": BROWSER,
        "referrer": REFERRER, "permalink": f"https://blog.test.example/posts/{slug}", "comment_type": "reply",
        "comment_author": "Bea", "comment_author_email": "bea@example.com",
        "comment_author_url": "https://bea.example", "comment_content": "Second, in reply.",
        "comment_date_gmt": reply["created_at"], "blog_charset": "UTF-8",
    }
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert headers["user-agent"] == akismet.USER_AGENT


def test_a_signed_in_commenter_is_sent_without_an_email_and_a_first_comment_as_a_comment(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    signed_in = comment(api, slug, "From an account.", token=blog.user("carol"))
    stream.deliver(context_record(stream, signed_in["id"]))

    [form] = receiver.named("comment-check")
    assert form["comment_author"] == "carol" and form["comment_type"] == "comment"
    assert "comment_author_email" not in form and "comment_author_url" not in form


def test_a_batch_delivered_again_checks_and_moves_nothing_twice(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    admin = blog.admin()
    spam = comment(api, slug, "Again and again", author_name=SPAMMER)
    ham = comment(api, slug, "Said once.")
    batch = [context_record(stream, spam["id"]), context_record(stream, ham["id"])]

    stream.deliver(*batch)
    stream.deliver(*batch)

    assert len(receiver.named("comment-check")) == 2
    assert len(audit(api, admin)) == 1 and len(spam_queue(api, admin)) == 1
    assert listed(api, slug) == [ham["id"]]


def test_a_public_comment_with_replies_that_akismet_calls_spam_is_left_to_the_moderators(
        api: Api, slug: str, stream: Stream, on: Callable[..., None]) -> None:
    parent = comment(api, slug, "Answered already", author_name=SPAMMER)
    answer = comment(api, slug, "An answer.", parent_id=parent["id"])

    stream.deliver(context_record(stream, parent["id"]))

    assert listed(api, slug) == [parent["id"], answer["id"]] and comment_count(api, slug) == 2
    assert state(parent["id"]) == "spam-unmoved"


def test_a_comment_a_moderator_acted_on_first_is_not_sent(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    admin = blog.admin()
    marked = comment(api, slug, "Marked by hand", author_name=SPAMMER)
    deleted = comment(api, slug, "Deleted by hand", author_name=SPAMMER)
    moderate(api, admin, marked["id"], "spam")
    moderate(api, admin, deleted["id"], "delete")

    stream.deliver(context_record(stream, marked["id"]), context_record(stream, deleted["id"]))

    assert receiver.named("comment-check") == []
    assert (state(marked["id"]), state(deleted["id"])) == ("skipped", "gone")
    assert [e["who"] for e in audit(api, admin)] == ["root", "root"]


def test_admins_comments_are_never_sent(api: Api, blog: Blog, slug: str, stream: Stream,
                                        on: Callable[..., None]) -> None:
    own = comment(api, slug, "Moderator here.", token=blog.admin())

    assert stream.image(keys.akismet_context(own["id"])) is None


def test_without_a_key_nothing_is_kept_and_nothing_is_sent(
        api: Api, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    on(AKISMET_KEY="")
    plain = comment(api, slug, "Quiet stage.", author_name=SPAMMER)
    stream.deliver(stream.inserted(slug, {"comment": plain}))

    assert stream.image(keys.akismet_context(plain["id"])) is None
    assert receiver.calls == []
    assert listed(api, slug) == [plain["id"]]


def test_an_invalid_key_leaves_comments_to_the_moderators_and_logs_akismets_help(
        api: Api, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None],
        caplog: pytest.LogCaptureFixture) -> None:
    on(AKISMET_KEY="not-the-key")
    first = comment(api, slug, "One", author_name=SPAMMER)
    second = comment(api, slug, "Two", author_name=SPAMMER)

    with caplog.at_level(logging.ERROR, logger=akismet.__name__):
        stream.deliver(context_record(stream, first["id"]), context_record(stream, second["id"]))

    assert [name for name, _, _ in receiver.calls] == ["verify-key"]  # asked once per container
    assert listed(api, slug) == [first["id"], second["id"]]
    assert state(first["id"]) == state(second["id"]) == "key-invalid"
    assert "We were unable to verify your API key." in caplog.text


# -- Akismet down ---------------------------------------------------------------------------


def test_a_5xx_is_retried_in_place_and_the_answer_then_counts(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None],
        pauses: list[float]) -> None:
    admin = blog.admin()
    spam = comment(api, slug, "Retry me", author_name=SPAMMER)
    receiver.failures = [None, 503]  # verify-key answers; comment-check: a 503 once, then the verdict

    stream.deliver(context_record(stream, spam["id"]))

    assert pauses == [akismet.RETRY_DELAYS[0]]
    assert len(receiver.named("comment-check")) == 2
    assert [c["id"] for c in spam_queue(api, admin)] == [spam["id"]]


def test_akismet_failing_keeps_every_comment_as_it_was_and_skips_it_for_the_rest_of_the_batch(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None],
        pauses: list[float], caplog: pytest.LogCaptureFixture) -> None:
    admin = blog.admin()
    first = comment(api, slug, "One", author_name=SPAMMER)
    second = comment(api, slug, "Two", author_name=SPAMMER)
    receiver.failures = [None, 500, 502, 503]  # verify-key answers; then comment-check fails three times

    with caplog.at_level(logging.ERROR, logger=akismet.__name__):
        stream.deliver(context_record(stream, first["id"]), context_record(stream, second["id"]))

    # verify-key, then the first comment's three attempts; none for the second
    assert [name for name, _, _ in receiver.calls] == ["verify-key"] + ["comment-check"] * 3
    assert pauses == list(akismet.RETRY_DELAYS)
    assert listed(api, slug) == [first["id"], second["id"]] and comment_count(api, slug) == 2
    assert audit(api, admin) == []
    assert state(first["id"]) == state(second["id"]) == "unreachable"
    assert "akismet unreachable" in caplog.text


def test_a_timeout_keeps_the_comment_and_lets_the_rest_of_the_stream_handler_run(
        api: Api, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(akismet, "TIMEOUT_SECONDS", 0.2)
    waiting = comment(api, slug, "Slow Akismet", author_name=SPAMMER)
    receiver.failures = [None, "hang", "hang", "hang"]

    stream.deliver(context_record(stream, waiting["id"]))  # the handler returns: it did not raise

    assert [name for name, _, _ in receiver.calls] == ["verify-key"] + ["comment-check"] * 3
    assert listed(api, slug) == [waiting["id"]]
    assert state(waiting["id"]) == "unreachable"


def test_akismet_not_running_at_all_loses_no_comment(
        api: Api, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    kept = comment(api, slug, "Nobody listens", author_name=SPAMMER)
    receiver.stop()  # the port refuses connections

    stream.deliver(context_record(stream, kept["id"]))

    assert listed(api, slug) == [kept["id"]]
    assert state(kept["id"]) == "unreachable"


# -- submit-spam and submit-ham ---------------------------------------------------------------


def test_a_moderators_spam_sends_submit_spam_from_the_stream_after_the_response(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    admin = blog.admin()
    missed = comment(api, slug, "Subtle spam", author_name="Dan", author_email="dan@example.com")
    stream.deliver(context_record(stream, missed["id"]))  # Akismet called it ham
    receiver.calls.clear()

    moderate(api, admin, missed["id"], "spam")
    assert receiver.calls == []  # the moderator did not wait on Akismet
    stream.deliver(*audit_records(stream))

    [form] = receiver.named("submit-spam")
    assert form["user_ip"] == "127.0.0.1" and form["user_agent"] == BROWSER
    assert form["comment_content"] == "Subtle spam" and form["comment_author_email"] == "dan@example.com"
    assert receiver.named("submit-ham") == []


def test_approving_from_the_spam_list_sends_submit_ham_once(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    admin = blog.admin()
    flagged = comment(api, slug, "Honest words", author_name=SPAMMER)
    stream.deliver(context_record(stream, flagged["id"]))  # Akismet called it spam: to the spam list

    moderate(api, admin, flagged["id"], "approve")
    records = audit_records(stream)  # Akismet's own entry, then the moderator's
    stream.deliver(*records)
    stream.deliver(*records)  # delivered again

    assert len(receiver.named("submit-ham")) == 1
    assert receiver.named("submit-spam") == []  # Akismet's own verdict is not sent back to it
    assert listed(api, slug) == [flagged["id"]] and comment_count(api, slug) == 1


def test_approving_a_pending_comment_sends_nothing(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    on(MODERATION="all")
    admin = blog.admin()
    waiting = comment(api, slug, "Please approve")
    stream.deliver(context_record(stream, waiting["id"]))
    receiver.calls.clear()

    moderate(api, admin, waiting["id"], "approve")
    stream.deliver(*audit_records(stream))

    assert receiver.calls == []


def test_moderating_while_akismet_is_down_succeeds_and_the_stream_does_not_fail(
        api: Api, blog: Blog, slug: str, stream: Stream, receiver: Akismet, on: Callable[..., None]) -> None:
    admin = blog.admin()
    missed = comment(api, slug, "More subtle spam")
    stream.deliver(context_record(stream, missed["id"]))
    receiver.stop()

    moderate(api, admin, missed["id"], "spam")
    stream.deliver(*audit_records(stream))

    assert [c["id"] for c in spam_queue(api, admin)] == [missed["id"]]


# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://akismet.example/1.1", "http://127.0.0.1:80@169.254.169.254/1.1",
                                 "https://rest.akismet.com/1.1/", "ftp://rest.akismet.com/1.1",
                                 "https://rest.akismet.com/1.1?x=1", "http://localhost:notaport/1.1"])
def test_akismet_url_is_https_or_loopback_only(url: str) -> None:
    with pytest.raises(ConfigurationError, match="AKISMET_URL"):
        load_settings({"AKISMET_URL": url})


def test_akismet_is_off_and_points_at_akismet_by_default() -> None:
    settings = load_settings({})
    assert settings.akismet_key == "" and settings.akismet_url == "https://rest.akismet.com/1.1"


def test_a_deployed_stage_reads_its_akismet_key_from_ssm_when_there(api: Api,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "_ssm", None)
    ssm = boto3.client("ssm", region_name="us-east-1")
    for leaf in ("jwt-secret", "edit-token-key", "hash-key", "mail-link-key", "webhook-secret"):
        ssm.put_parameter(Name=f"/blog/t/{leaf}", Value="s" * 40, Type="SecureString")
    assert "AKISMET_KEY" not in with_secrets({"SECRETS_PARAMETER_PATH": "/blog/t"})

    ssm.put_parameter(Name="/blog/t/akismet-key", Value=KEY, Type="SecureString")
    assert with_secrets({"SECRETS_PARAMETER_PATH": "/blog/t"})["AKISMET_KEY"] == KEY
