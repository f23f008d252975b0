"""Thread subscriptions: double opt-in, then one digest per window, each comment at most once per subscriber.

Requests go through the Chalice test client; the stream records are made of the table's real
items and delivered to the app's own stream handler (tests/notifications/test_notifications.py's Stream);
the one-minute schedule is invoked as Lambda would invoke it; mail goes to moto's SES.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from chalicelib import mail
from chalicelib.services import services
from chalicelib.store import keys
from tests.conftest import PASSWORD, Api, Blog
from tests.notifications.test_notifications import FlakySes, Stream, outbox, to

# The mail fixtures of the notifications' tests: NOTIFY_FROM set, moto's SES with the sender verified, the stream.
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.settings_steps import Clock

SUE = "sue@example.com"
WINDOW = 900  # SUBSCRIPTION_DIGEST_SECONDS' default
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
API = r"https://api\.blog\.test\.example"


def ask(api: Api, stream: Stream, slug: str, address: str = SUE, token: str | None = None) -> Any:
    """POST a subscription, then the stream delivers what it wrote (if it wrote anything)."""
    before = stream.image(keys.subscription(slug, services().antispam.email_hash(address)))
    reply = api.post(f"/posts/{slug}/subscriptions", {"email": address}, token=token)
    after = stream.image(keys.subscription(slug, services().antispam.email_hash(address)))
    if after is not None and after != before:
        stream.deliver(stream.record("INSERT" if before is None else "MODIFY", before, after))
    return reply


def confirmations(address: str = SUE) -> list[EmailMessage]:
    return [m for m in to(address) if str(m["Subject"]).startswith("Confirm: new comments")]


def digests(address: str = SUE) -> list[EmailMessage]:
    return [m for m in to(address) if re.match(r"\d+ new comments? on ", str(m["Subject"]))]


def link_in(message: EmailMessage, route: str) -> str:
    found = re.search(API + "(" + re.escape(route) + r"\?\S+)", message.get_content())
    assert found is not None, message.get_content()
    return found[1]


def subscribed(api: Api, stream: Stream, slug: str, address: str = SUE, token: str | None = None) -> None:
    """Asked, and confirmed from the mailed link's button."""
    assert ask(api, stream, slug, address, token).status == 202
    done = api.post(link_in(confirmations(address)[-1], "/subscriptions/confirm"), raw=b"", headers=FORM)
    assert done.status == 200, done.body


def commented(blog: Blog, stream: Stream, slug: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
    """A public comment, and the stream's record of it delivered."""
    created = blog.comment(slug, token, **fields)
    stream.deliver(stream.inserted(slug, created))
    return created


def run_schedule(api: Api) -> None:
    """The one-minute schedule fires, as EventBridge would invoke it."""
    event = api.client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [], region="us-east-1")
    api.client.lambda_.invoke("publish_due_posts", event)


def quoted(message: EmailMessage) -> list[str]:
    """The comment bodies a digest quotes, in order."""
    return re.findall(r"^> (.*?)\r?$", message.get_content(), flags=re.MULTILINE)


# -- asking and confirming ------------------------------------------------------------------------


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(
        api: Api, stream: Stream, slug: str) -> None:
    first = ask(api, stream, slug)
    subscribed(api, stream, slug, "old@example.com")
    again = ask(api, stream, slug, "old@example.com")
    assert (first.status, first.body) == (again.status, again.body)
    assert first.status == 202
    # One confirmation request per post and address per hour, however often it is asked.
    assert ask(api, stream, slug).status == 202
    assert len(confirmations()) == 1
    assert len(confirmations("old@example.com")) == 1


def test_nothing_is_sent_to_an_address_that_did_not_confirm(
        api: Api, blog: Blog, stream: Stream, slug: str, clock: Clock) -> None:
    ask(api, stream, slug)
    commented(blog, stream, slug, body="Anyone there?")
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert digests() == []
    message = confirmations()[0]
    assert "Anyone there?" not in message.get_content()  # a confirmation request quotes nobody
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_confirmation_page_changes_nothing_until_its_button(api: Api, stream: Stream, slug: str) -> None:
    ask(api, stream, slug)
    target = link_in(confirmations()[0], "/subscriptions/confirm")
    assert api.get(target).status == 200
    stored = services().table.get(keys.subscription(slug, services().antispam.email_hash(SUE)))
    assert stored is not None and stored["state"] == "pending"
    assert api.post(target, raw=b"", headers=FORM).status == 200
    assert api.post(target, raw=b"", headers=FORM).status == 200  # again: no change
    stored = services().table.get(keys.subscription(slug, services().antispam.email_hash(SUE)))
    assert stored is not None and stored["state"] == "confirmed" and "ttl" not in stored


@pytest.mark.parametrize("change", ["token", "post", "signature", "missing"])
def test_a_forged_or_altered_confirmation_link_is_refused(
        api: Api, blog: Blog, stream: Stream, slug: str, author: str, change: str) -> None:
    other = blog.post(author, title="Another post")["slug"]
    ask(api, stream, slug)
    params = {k: v[0] for k, v in parse_qs(urlsplit(link_in(confirmations()[0], "/subscriptions/confirm")).query)
              .items()}
    if change == "token":
        params["token"] = "0" * 32 + params["token"][32:]
    elif change == "post":
        params["post"] = other  # a genuine token is bound to its post
    elif change == "signature":
        params["token"] = params["token"][:-2] + ("AA" if not params["token"].endswith("AA") else "BB")
    else:
        params.pop("token")
    refused = api.post("/subscriptions/confirm?" + urlencode(params), raw=b"", headers=FORM)
    assert refused.status == (400 if change == "missing" else 403)
    assert refused.headers["content-type"].startswith("application/problem+json")
    for post in (slug, other):
        stored = services().table.get(keys.subscription(post, services().antispam.email_hash(SUE)))
        assert stored is None or stored["state"] == "pending"


def test_an_expired_confirmation_link_is_refused(api: Api, stream: Stream, slug: str, clock: Clock) -> None:
    ask(api, stream, slug)
    clock.advance(days=7, seconds=1)
    refused = api.post(link_in(confirmations()[0], "/subscriptions/confirm"), raw=b"", headers=FORM)
    assert refused.status == 403
    assert "expired" in refused.problem["detail"]


def test_an_old_confirmation_link_does_not_bring_back_an_ended_subscription(
        api: Api, stream: Stream, slug: str) -> None:
    subscribed(api, stream, slug)
    old = link_in(confirmations()[0], "/subscriptions/confirm")
    assert api.post(link_in(confirmations()[0], "/subscriptions/unsubscribe"), raw=b"", headers=FORM).status == 200
    assert api.post(old, raw=b"", headers=FORM).status == 403
    assert services().table.get(keys.subscription(slug, services().antispam.email_hash(SUE))) is None


@pytest.mark.parametrize(("body", "status"), [
    ({"email": "not an address"}, 422),
    ({"email": ""}, 422),
    ({"email": "sue@exa\u200bmple.com\u0000"}, 422),
    ({"email": "x" * 250 + "@example.com"}, 422),
    ({}, 422),
    ({"email": SUE, "admin": True}, 422),
    (["sue@example.com"], 422),
])
def test_a_bad_request_is_refused_and_writes_nothing(api: Api, slug: str, body: Any, status: int) -> None:
    refused = api.post(f"/posts/{slug}/subscriptions", body)
    assert refused.status == status, refused.body
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert services().table.query(keys.subscriptions_partition(slug), limit=5).items == []


def test_a_post_that_is_not_public_cannot_be_subscribed_to(api: Api, blog: Blog, author: str) -> None:
    draft = blog.post(author, title="Not yet", status="draft")["slug"]
    assert api.post(f"/posts/{draft}/subscriptions", {"email": SUE}).status == 404
    assert api.post("/posts/no-such-post/subscriptions", {"email": SUE}).status == 404
    assert services().table.query(keys.subscriptions_partition(draft), limit=5).items == []


# -- digests ------------------------------------------------------------------------------------


def test_a_digest_holds_the_windows_new_comments_but_not_the_subscribers_own(
        api: Api, blog: Blog, stream: Stream, slug: str, clock: Clock) -> None:
    subscribed(api, stream, slug)
    commented(blog, stream, slug, body="First from Bob.", author_email="bob@example.com")
    commented(blog, stream, slug, body="Sue's own.", author_email="Sue@Example.com")
    commented(blog, stream, slug, body="Second from Cy.")
    clock.advance(WINDOW - 10)
    run_schedule(api)
    assert digests() == []  # the window is still open
    clock.advance(120)
    run_schedule(api)
    [digest] = digests()
    assert quoted(digest) == ["First from Bob.", "Second from Cy."]
    assert str(digest["Subject"]).startswith("2 new comments on ")
    # The next comment opens the next window: a second digest with only it.
    commented(blog, stream, slug, body="Later from Dee.")
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert [quoted(m) for m in digests()] == [["First from Bob.", "Second from Cy."], ["Later from Dee."]]


def test_a_signed_in_subscribers_own_comments_are_left_out(
        api: Api, blog: Blog, stream: Stream, slug: str, clock: Clock) -> None:
    sue = blog.user("sue")  # her account's address is sue<n>@example.com
    address = str(services().table.get(keys.user("sue"))["email"])  # type: ignore[index]
    subscribed(api, stream, slug, address, token=sue)
    commented(blog, stream, slug, sue, body="Mine, signed in.")
    commented(blog, stream, slug, body="From someone else.")
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert [quoted(m) for m in digests(address)] == [["From someone else."]]


def test_a_redelivered_batch_and_a_second_run_send_nothing_twice(
        api: Api, blog: Blog, stream: Stream, slug: str, clock: Clock) -> None:
    subscribed(api, stream, slug)
    created = commented(blog, stream, slug, body="Once only.")
    record = stream.inserted(slug, created)
    stream.deliver(record)  # delivered again within the window
    clock.advance(WINDOW + 120)
    run_schedule(api)
    stream.deliver(record)  # and again after the window was sent
    run_schedule(api)
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert [quoted(m) for m in digests()] == [["Once only."]]


def test_a_failed_send_is_sent_by_the_next_run_exactly_once(
        api: Api, blog: Blog, stream: Stream, slug: str, clock: Clock) -> None:
    subscribed(api, stream, slug)
    commented(blog, stream, slug, body="Worth the wait.")
    clock.advance(WINDOW + 120)
    flaky = FlakySes(failures=1)
    mail.use_ses_client(flaky)
    run_schedule(api)  # SES throttles: nothing went, nothing is lost
    assert digests() == []
    run_schedule(api)
    run_schedule(api)
    assert flaky.calls == 2
    assert [quoted(m) for m in digests()] == [["Worth the wait."]]


def test_every_digest_carries_one_click_unsubscribe_that_ends_this_subscription(
        api: Api, blog: Blog, stream: Stream, slug: str, author: str, clock: Clock) -> None:
    other = blog.post(author, title="Another post")["slug"]
    subscribed(api, stream, slug)
    subscribed(api, stream, other)
    commented(blog, stream, slug, body="One.")
    commented(blog, stream, other, body="Elsewhere.")
    clock.advance(WINDOW + 120)
    run_schedule(api)
    first = next(m for m in digests() if quoted(m) == ["One."])
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = re.fullmatch(r"<" + API + r"(/subscriptions/unsubscribe\?\S+)>", str(first["List-Unsubscribe"]))
    assert header is not None
    assert link_in(first, "/unsubscribe")  # and a link that stops all mail
    assert api.get(header[1]).status == 200  # the page (a mail scanner's fetch) ends nothing
    assert services().table.get(keys.subscription(slug, services().antispam.email_hash(SUE))) is not None
    # The mail client's one-click POST, body as RFC 8058 has it.
    assert api.post(header[1], raw=b"List-Unsubscribe=One-Click", headers=FORM).status == 200
    commented(blog, stream, slug, body="Two.")
    commented(blog, stream, other, body="Still here.")
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert [quoted(m) for m in digests()][-1] == ["Still here."]
    assert ["Two."] not in [quoted(m) for m in digests()]


def test_a_comment_queued_before_unsubscribing_is_not_sent(
        api: Api, blog: Blog, stream: Stream, slug: str, clock: Clock) -> None:
    subscribed(api, stream, slug)
    commented(blog, stream, slug, body="Queued.")
    assert api.post(link_in(confirmations()[0], "/subscriptions/unsubscribe"), raw=b"", headers=FORM).status == 200
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert digests() == []
    assert services().table.query(keys.DIGESTS_DUE_PARTITION, limit=5).items == []


def test_an_unpublished_or_deleted_post_sends_nothing(
        api: Api, blog: Blog, stream: Stream, author: str, clock: Clock) -> None:
    unpublished = blog.post(author, title="Soon a draft")["slug"]
    deleted = blog.post(author, title="Soon gone")["slug"]
    for slug in (unpublished, deleted):
        subscribed(api, stream, slug)
        commented(blog, stream, slug, body=f"On {slug}.")
    assert api.patch(f"/posts/{unpublished}", {"status": "draft"}, token=author).status == 200
    assert api.delete(f"/posts/{deleted}", token=author).status in (200, 204)
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert digests() == []
    assert services().table.query(keys.DIGESTS_DUE_PARTITION, limit=5).items == []


def test_a_comment_deleted_before_the_digest_is_left_out(
        api: Api, blog: Blog, stream: Stream, slug: str, clock: Clock) -> None:
    subscribed(api, stream, slug)
    gone = commented(blog, stream, slug, body="Regretted.")
    commented(blog, stream, slug, body="Kept.")
    deleted = api.delete(f"/comments/{gone['comment']['id']}", headers={"X-Edit-Token": gone["edit_token"]})
    assert deleted.status in (200, 204)
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert [quoted(m) for m in digests()] == [["Kept."]]


def test_an_address_that_opted_out_of_all_mail_gets_no_digest(
        api: Api, blog: Blog, stream: Stream, slug: str, clock: Clock) -> None:
    subscribed(api, stream, slug)
    everything = link_in(confirmations()[0], "/unsubscribe")
    assert api.post(everything, raw=b"List-Unsubscribe=One-Click", headers=FORM).status == 200
    commented(blog, stream, slug, body="Unheard.")
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert digests() == []


# -- personal data ----------------------------------------------------------------------------


def test_an_accounts_subscriptions_are_in_its_export_and_go_with_it(
        api: Api, blog: Blog, stream: Stream, slug: str) -> None:
    token = blog.user("sue")
    address = str(services().table.get(keys.user("sue"))["email"])  # type: ignore[index]
    subscribed(api, stream, slug, address, token=token)
    pages, cursor = [], None
    while True:
        page = api.get("/me/export" + (f"?cursor={cursor}" if cursor else ""), token=token)
        assert page.status == 200, page.body
        pages.append(page.json)
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    exported = [s for p in pages for s in p["subscriptions"]]
    assert [(s["post"], s["state"]) for s in exported] == [(slug, "confirmed")]
    deleted = api.delete("/me", json_body={"comments": "tombstone", "current_password": PASSWORD}, token=token)
    assert deleted.status == 204, deleted.body
    digest = services().antispam.email_hash(address)
    assert services().table.get(keys.subscription(slug, digest)) is None
    assert services().table.query(keys.subscriber_partition(digest), limit=5).items == []


def test_an_addresss_subscriptions_are_in_its_mailed_export_and_deletion(
        api: Api, stream: Stream, slug: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.accounts.test_data_requests import ask as ask_for_data
    from tests.accounts.test_data_requests import link as data_link

    subscribed(api, stream, slug)  # no comments: the link is mailed all the same
    ask_for_data(api, stream, monkeypatch, SUE, "export", "01J00000000000000000000001")
    exported = api.post(data_link(SUE), raw=b"", headers=FORM)
    assert exported.status == 200, exported.body
    assert [(s["post"], s["state"]) for s in exported.json["subscriptions"]] == [(slug, "confirmed")]
    ask_for_data(api, stream, monkeypatch, SUE, "delete", "01J00000000000000000000002")
    assert api.post(data_link(SUE) + "&comments=tombstone", raw=b"", headers=FORM).status == 200
    assert services().table.get(keys.subscription(slug, services().antispam.email_hash(SUE))) is None
    assert len(outbox()) >= 3
