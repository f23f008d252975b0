"""Held-comment mail is never silent: past a moderator's quota, the rest come in one digest per window.

Comments go through the Chalice test client, their HELD# items go to the app's own stream
handler as real stream records (tests/notifications/test_notifications.py's Stream), the one-minute
schedule is invoked as EventBridge would, and mail lands in moto's SES.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest

from chalicelib import mail
from chalicelib.services import services
from chalicelib.settings import Settings
from chalicelib.store import keys
from tests.conftest import ADMIN, Api, Blog
from tests.notifications.test_mail_quotas import flood
from tests.notifications.test_mail_quotas import from_address as from_address
from tests.notifications.test_notifications import SENDER, FlakySes, Stream, to
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.notifications.test_subscriptions import run_schedule
from tests.settings_steps import Clock

ADMIN_ADDRESS = f"{ADMIN}@example.com"
WINDOW = 900  # HELD_DIGEST_SECONDS' default
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def single_mails(address: str = ADMIN_ADDRESS) -> list[EmailMessage]:
    return [m for m in to(address) if str(m["Subject"]).startswith("Comment to moderate")]


def held_digests(address: str = ADMIN_ADDRESS) -> list[EmailMessage]:
    return [m for m in to(address) if re.match(r"\d+ held comments? to moderate$", str(m["Subject"]))]


def listed(message: EmailMessage) -> list[str]:
    """The comment bodies a mail quotes, in order."""
    return re.findall(r"^> (.*?)\r?$", message.get_content(), flags=re.MULTILINE)


def held_records(stream: Stream, slug: str, made: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [stream.record("INSERT", None, stream.image(keys.held_comment(slug, c["comment"]["id"]))) for c in made]


@pytest.fixture
def held_flood(api: Api, blog: Blog, stream: Stream, from_address: Callable[[str], Any],
               configure: Callable[..., Settings]) -> Callable[[int], tuple[str, list[dict[str, Any]]]]:
    """held_flood(n): the admin exists, every comment is held, NOTIFY_RATE_LIMIT is 4, and ``n`` anonymous
    comments from one address are held on a new post; returns the post's slug and the comments."""
    def make(count: int) -> tuple[str, list[dict[str, Any]]]:
        blog.admin()
        slug = blog.post(blog.author("alice"), title="Targeted")["slug"]
        configure(MODERATION="all", NOTIFY_RATE_LIMIT="4", NOTIFY_FROM=f"Blog <{SENDER}>")
        return slug, flood(api, slug, count, from_address, held=True)
    return make


def test_past_the_quota_held_comments_come_in_one_digest_each_exactly_once(
        api: Api, stream: Stream, clock: Clock, held_flood: Callable[[int], tuple[str, list[dict[str, Any]]]]) -> None:
    slug, held = held_flood(12)
    records = held_records(stream, slug, held)

    stream.deliver(*records)
    stream.deliver(*records)  # Lambda delivers the batch again
    assert [listed(m) for m in single_mails()] == [[f"Spam number {n} from 203.0.113.66"] for n in range(4)]
    run_schedule(api)
    assert held_digests() == []  # the window is still open

    clock.advance(WINDOW + 120)
    run_schedule(api)
    stream.deliver(*records)  # and again after the digest went
    run_schedule(api)
    clock.advance(WINDOW + 120)
    run_schedule(api)

    [digest] = held_digests()
    assert digest["Subject"] == "8 held comments to moderate"
    assert listed(digest) == [f"Spam number {n} from 203.0.113.66" for n in range(4, 12)]
    assert len(single_mails()) == 4
    assert services().table.query(keys.HELD_DIGESTS_DUE_PARTITION, limit=10).items == []  # the window is cleared


def test_a_digest_leaves_out_what_was_moderated_meanwhile_and_its_links_work(
        api: Api, blog: Blog, stream: Stream, clock: Clock,
        held_flood: Callable[[int], tuple[str, list[dict[str, Any]]]]) -> None:
    slug, held = held_flood(7)
    stream.deliver(*held_records(stream, slug, held))
    moderated = api.post(f"/comments/{held[5]['comment']['id']}/moderate", {"action": "approve"}, token=blog.admin())
    assert moderated.status == 200, moderated.body

    clock.advance(WINDOW + 120)
    run_schedule(api)

    [digest] = held_digests()
    assert listed(digest) == ["Spam number 4 from 203.0.113.66", "Spam number 6 from 203.0.113.66"]
    spam = re.findall(r"^Spam: https://api\.blog\.test\.example(/moderation/by-mail\?token=\S+)\r?$",
                      digest.get_content(), flags=re.MULTILINE)
    assert len(spam) == 2
    done = api.post(spam[1], headers=FORM, raw=b"")
    assert done.status == 200, done.body
    stored = services().table.get(keys.held_comment(slug, held[6]["comment"]["id"]))
    assert stored is not None and stored["status"] == "spam"


def test_a_failed_digest_is_sent_by_the_next_run_exactly_once(
        api: Api, stream: Stream, clock: Clock, held_flood: Callable[[int], tuple[str, list[dict[str, Any]]]]) -> None:
    slug, held = held_flood(5)
    stream.deliver(*held_records(stream, slug, held))
    clock.advance(WINDOW + 120)
    flaky = FlakySes(failures=1)
    mail.use_ses_client(flaky)

    run_schedule(api)  # SES throttles: nothing went, nothing is lost
    run_schedule(api)
    run_schedule(api)

    assert flaky.calls == 2
    [digest] = held_digests()
    assert listed(digest) == ["Spam number 4 from 203.0.113.66"]


def test_held_comments_within_the_quota_make_no_digest(
        api: Api, stream: Stream, clock: Clock, held_flood: Callable[[int], tuple[str, list[dict[str, Any]]]]) -> None:
    slug, held = held_flood(4)
    stream.deliver(*held_records(stream, slug, held))
    clock.advance(WINDOW + 120)
    run_schedule(api)

    assert len(single_mails()) == 4
    assert held_digests() == []


def test_an_author_who_asked_gets_their_own_digest_until_they_turn_the_mail_off(
        api: Api, blog: Blog, stream: Stream, clock: Clock, from_address: Callable[[str], Any],
        configure: Callable[..., Settings]) -> None:
    blog.admin()
    alice = blog.author("alice")
    assert api.patch("/auth/me", {"mail_held_comments": True}, token=alice).status == 200
    slug = blog.post(alice, title="Hers")["slug"]
    configure(MODERATION="all", NOTIFY_RATE_LIMIT="2", NOTIFY_FROM=f"Blog <{SENDER}>")
    first = flood(api, slug, 3, from_address, held=True)
    stream.deliver(*held_records(stream, slug, first))
    clock.advance(WINDOW + 120)
    run_schedule(api)
    assert [listed(m) for m in held_digests("alice@example.com")] == [["Spam number 2 from 203.0.113.66"]]

    second = flood(api, slug, 2, from_address, held=True, ip="203.0.113.67")
    stream.deliver(*held_records(stream, slug, second))  # this address's quota: two single mails each
    third = flood(api, slug, 1, from_address, held=True, ip="203.0.113.66")
    stream.deliver(*held_records(stream, slug, third))  # past the first address's quota: into the digests
    # (its text repeats the first flood's first comment, which went as a single mail)
    assert api.patch("/auth/me", {"mail_held_comments": False}, token=alice).status == 200
    clock.advance(WINDOW + 120)
    run_schedule(api)

    assert len(held_digests("alice@example.com")) == 1  # she stopped moderating by mail: no second digest
    assert [listed(m) for m in held_digests()] == [["Spam number 2 from 203.0.113.66"],
                                                   ["Spam number 0 from 203.0.113.66"]]
