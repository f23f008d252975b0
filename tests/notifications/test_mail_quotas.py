"""Mail quotas nobody else can spend: NOTIFY_RATE_LIMIT counts per recipient *and sender*.

The sender is whoever made the mail happen: the commenter's account, else the
network address the comment came from. Ten anonymous comments from one address
use up their own quota for the post's author (or the admins), never the one a
genuine reader's comment draws on; a flood from many addresses meets the
recipient's ceiling (RECIPIENT_CEILING times the limit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from chalicelib.blog.mail_delivery import RECIPIENT_CEILING
from chalicelib.services import services
from chalicelib.settings import Settings
from chalicelib.store import keys
from tests.accounts.test_data_requests import ask
from tests.conftest import ADMIN, PASSWORD, Api, Blog
from tests.notifications.test_notifications import SENDER, Stream, to
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream

ALICE = "alice@example.com"
ADMIN_ADDRESS = f"{ADMIN}@example.com"


@pytest.fixture
def from_address(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Any]:
    """from_address(ip): a context in which the API's requests come from ``ip``."""
    @contextmanager
    def at(ip: str) -> Iterator[None]:
        with monkeypatch.context() as patched:
            patched.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
            yield
    return at


def flood(api: Api, slug: str, count: int, from_address: Callable[[str], Any], ip: str = "203.0.113.66",
          held: bool = False) -> list[dict[str, Any]]:
    """``count`` anonymous comments from ``ip``, each signed by a new name (names cost nothing)."""
    made = []
    with from_address(ip):
        for n in range(count):
            reply = api.post(f"/posts/{slug}/comments", {"body": f"Spam number {n} from {ip}",
                                                         "author_name": f"Bot {n}"})
            assert reply.status == (202 if held else 201), reply.body
            made.append(dict(reply.json))
    return made


def test_an_anonymous_flood_does_not_spend_a_genuine_readers_notice(
        api: Api, blog: Blog, stream: Stream, from_address: Callable[[str], Any],
        configure: Callable[..., Settings]) -> None:
    configure(NOTIFY_RATE_LIMIT="10", NOTIFY_FROM=f"Blog <{SENDER}>")
    slug = blog.post(blog.author("alice"), title="Targeted")["slug"]
    spam = flood(api, slug, 12, from_address)
    with from_address("198.51.100.7"):
        genuine = blog.comment(slug, body="A genuine reader's thought", author_name="Rea")

    stream.deliver(*(stream.inserted(slug, c) for c in [*spam, genuine]))

    received = to(ALICE)
    assert sum("from Bot" in m["Subject"] for m in received) == 10  # the flood's own quota, spent
    assert [m["Subject"] for m in received if "from Rea" in m["Subject"]] == ["New comment on “Targeted” from Rea"]


def test_a_signed_in_readers_notice_survives_a_flood_from_the_same_address(
        api: Api, blog: Blog, stream: Stream, from_address: Callable[[str], Any],
        configure: Callable[..., Settings]) -> None:
    configure(NOTIFY_RATE_LIMIT="3", NOTIFY_FROM=f"Blog <{SENDER}>")
    slug = blog.post(blog.author("alice"), title="Shared office")["slug"]
    reader = blog.user("bob")
    spam = flood(api, slug, 5, from_address, ip="192.0.2.10")
    with from_address("192.0.2.10"):  # the same network as the flood: an office, a café
        signed_in = blog.comment(slug, token=reader, body="From bob")

    stream.deliver(*(stream.inserted(slug, c) for c in [*spam, signed_in]))

    subjects = [m["Subject"] for m in to(ALICE)]
    assert sum("from Bot" in s for s in subjects) == 3
    assert "New comment on “Shared office” from bob" in subjects


def test_a_flood_of_held_comments_does_not_silence_the_admins_about_others(
        api: Api, blog: Blog, stream: Stream, from_address: Callable[[str], Any],
        configure: Callable[..., Settings]) -> None:
    blog.admin()
    slug = blog.post(blog.author("alice"))["slug"]
    configure(MODERATION="all", NOTIFY_RATE_LIMIT="4", NOTIFY_FROM=f"Blog <{SENDER}>")
    held = flood(api, slug, 6, from_address, held=True) + flood(api, slug, 1, from_address, ip="198.51.100.8",
                                                                held=True)

    stream.deliver(*(stream.record("INSERT", None, stream.image(keys.held_comment(slug, c["comment"]["id"])))
                     for c in held))

    bodies = [m.get_content() for m in to(ADMIN_ADDRESS)]
    assert len(bodies) == 5  # four of the flood's, and the other commenter's
    assert sum("from 203.0.113.66" in b for b in bodies) == 4
    assert any("Spam number 0 from 198.51.100.8" in b for b in bodies)


def test_many_addresses_together_meet_the_recipients_ceiling(
        api: Api, blog: Blog, stream: Stream, from_address: Callable[[str], Any],
        configure: Callable[..., Settings]) -> None:
    configure(NOTIFY_RATE_LIMIT="1", NOTIFY_FROM=f"Blog <{SENDER}>")
    slug = blog.post(blog.author("alice"))["slug"]
    comments = [c for n in range(RECIPIENT_CEILING + 2)
                for c in flood(api, slug, 1, from_address, ip=f"203.0.113.{n + 1}")]

    stream.deliver(*(stream.inserted(slug, c) for c in comments))

    assert len(to(ALICE)) == RECIPIENT_CEILING  # one from each address, up to the ceiling


def test_data_request_links_spend_no_comment_notices(
        api: Api, blog: Blog, stream: Stream, monkeypatch: pytest.MonkeyPatch,
        configure: Callable[..., Settings]) -> None:
    configure(NOTIFY_RATE_LIMIT="2", NOTIFY_FROM=f"Blog <{SENDER}>")
    slug = blog.post(blog.author("alice"))["slug"]
    blog.comment(slug, author_email=ALICE, body="Alice's own anonymous comment")
    for n in range(3):  # someone asks for alice's data again and again
        ask(api, stream, monkeypatch, address=ALICE, request_id=f"01J0000000000000000000000{n}")

    stream.deliver(stream.inserted(slug, blog.comment(slug, body="News for alice", author_name="Nia")))

    subjects = [m["Subject"] for m in to(ALICE)]
    assert subjects.count("Your comments on this blog") == 2  # the requests' own quota
    assert any("from Nia" in s for s in subjects)


@pytest.mark.parametrize("choice", ["anonymous", "tombstone"])
def test_a_deleted_account_leaves_no_sender_on_its_comments(api: Api, blog: Blog, choice: str) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    reader = blog.user("bob")
    kept = blog.comment(slug, token=reader, body="Bob's words")
    blog.comment(slug, body="A reply keeps it as a tombstone", parent_id=kept["comment"]["id"])
    def stored() -> dict[str, Any]:
        item = services().table.get(keys.comment(slug, kept["comment"]["id"]))
        assert item is not None
        return dict(item)
    assert stored()["sender"] == "user:bob"

    deleted = api.delete("/me", json_body={"comments": choice, "current_password": PASSWORD}, token=reader)

    assert deleted.status == 204, deleted.body
    assert "sender" not in stored()
