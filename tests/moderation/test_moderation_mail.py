"""A held comment e-mailed to the blog's admins (and the post's author who asked), with links that moderate it once."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.blog.clock import epoch
from chalicelib.services import services
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from tests.conftest import ADMIN, TEST_TABLE, Api, Blog, make_admin
from tests.notifications.test_notifications import SENDER, Stream, outbox, to
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.settings_steps import Clock

ADMIN_ADDRESS = f"{ADMIN}@example.com"


@pytest.fixture
def hold(api: Api, stream: Stream, configure: Callable[..., Settings]) -> Callable[[str], dict[str, Any]]:
    """Hold a comment on a post under MODERATION=all and deliver its record to the stream: the held comment's view."""
    def held_on(slug: str) -> dict[str, Any]:
        configure(MODERATION="all", NOTIFY_FROM=f"Blog <{SENDER}>")
        comment = api.post(f"/posts/{slug}/comments", {
            "body": "Held *words* <script>alert(1)</script>", "author_name": "Hal",
            "author_website": "https://hal.example"}).json["comment"]
        stream.deliver(stream.record("INSERT", None, stream.image(keys.held_comment(slug, comment["id"]))))
        return dict(comment)
    return held_on


@pytest.fixture
def alice(blog: Blog) -> str:
    """An author's token; alice@example.com is her address."""
    blog.admin()
    return blog.author("alice")


@pytest.fixture
def held(blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """A comment held on alice's post, who did not ask to be told."""
    return hold(blog.post(alice, title="Ash Wednesday, 2017")["slug"])


def asks_for_held_mail(api: Api, token: str, wanted: bool = True) -> None:
    reply = api.patch("/auth/me", {"mail_held_comments": wanted}, token=token)
    assert reply.status == 200, reply.body
    assert reply.json["user"]["mail_held_comments"] is wanted


def links(address: str = ADMIN_ADDRESS) -> dict[str, str]:
    """The action -> path-and-query of the moderation links in the last mail to ``address``."""
    [*_, message] = to(address)
    found = dict(re.findall(r"^(Approve|Spam|Delete): https://api\.blog\.test\.example(/moderation/by-mail\?token=\S+)\r?$",
                            message.get_content(), re.MULTILINE))
    assert set(found) == {"Approve", "Spam", "Delete"}
    return {action.lower(): path for action, path in found.items()}


def account(username: str) -> dict[str, Any]:
    """The account's stored item (a moderation link is signed for it)."""
    found = services().table.get(keys.user(username))
    assert found is not None
    return dict(found)


def located(comment_id: str) -> dict[str, Any]:
    """The comment's stored item, wherever it is (queue or thread)."""
    return dict(services().moderation.threads.locate(comment_id))


def status_of(api: Api, blog: Blog, comment_id: str) -> str:
    return str(api.get(f"/comments/{comment_id}", token=blog.admin()).json["status"])


def test_a_held_comment_is_mailed_to_the_admins_only(held: dict[str, Any]) -> None:
    [message] = outbox()

    assert message["To"] == ADMIN_ADDRESS
    assert message["Subject"] == "Comment to moderate on “Ash Wednesday, 2017” from Hal"
    text = message.get_content()
    assert "> Held *words*" in text and "Website: https://hal.example" in text
    assert len(links()) == 3


def test_a_batch_delivered_again_mails_nobody_twice(held: dict[str, Any], stream: Stream) -> None:
    slug = held["post"]
    stream.deliver(stream.record("INSERT", None, stream.image(keys.held_comment(slug, held["id"]))))

    assert len(outbox()) == 1


def test_opening_a_link_changes_nothing_and_shows_the_comment_as_text(api: Api, blog: Blog,
                                                                       held: dict[str, Any]) -> None:
    page = api.get(links()["approve"])

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    body = page.body.decode()
    assert "&lt;script&gt;" in body and "<script>" not in body
    assert '<form method="post"' in body
    assert status_of(api, blog, held["id"]) == "pending"


def test_the_confirming_click_approves_once_as_the_admin(api: Api, blog: Blog, held: dict[str, Any]) -> None:
    approve = links()["approve"]

    done = api.post(approve, headers={"Content-Type": "application/x-www-form-urlencoded"}, raw=b"")
    again = api.post(approve, headers={"Content-Type": "application/x-www-form-urlencoded"}, raw=b"")

    assert done.status == 200 and "approved" in done.body.decode()
    assert again.status == 409
    assert [c["id"] for c in api.get(f"/posts/{held['post']}/comments").json["items"]] == [held["id"]]
    [entry] = api.get("/moderation/audit", token=blog.admin()).json["items"]
    assert (entry["who"], entry["action"], entry["comment_id"]) == (ADMIN, "approve", held["id"])


@pytest.mark.parametrize(("action", "status"), [("spam", "spam"), ("delete", "deleted")])
def test_the_other_links_mark_spam_or_delete(api: Api, blog: Blog, held: dict[str, Any], action: str,
                                             status: str) -> None:
    done = api.post(links()[action], headers={"Content-Type": "application/x-www-form-urlencoded"}, raw=b"")

    assert done.status == 200
    if action == "spam":
        assert status_of(api, blog, held["id"]) == status
    else:
        assert api.get(f"/comments/{held['id']}", token=blog.admin()).status == 404


@pytest.mark.parametrize("tamper", ["other-signature", "other-action", "other-user", "other-expiry", "garbage"])
def test_a_forged_or_altered_link_is_refused(api: Api, blog: Blog, held: dict[str, Any], tamper: str) -> None:
    path = links()["approve"]
    prefix, token = path.split("token=")
    comment_id, action, expires, signature, username = token.split(".", 4)
    altered = {
        "other-signature": f"{comment_id}.{action}.{expires}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
                           f".{username}",
        "other-action": f"{comment_id}.delete.{expires}.{signature}.{username}",
        "other-user": f"{comment_id}.{action}.{expires}.{signature}.mallory",
        "other-expiry": f"{comment_id}.{action}.{int(expires) + 86400}.{signature}.{username}",
        "garbage": "\u202e<script>.x",
    }[tamper]

    assert api.get(prefix + "token=" + altered).status == 403
    assert api.post(prefix + "token=" + altered, headers={"Content-Type": "text/plain"}, raw=b"").status == 403
    assert status_of(api, blog, held["id"]) == "pending"


def test_a_link_without_its_token_is_a_bad_request(api: Api) -> None:
    assert api.get("/moderation/by-mail").status == 400


def test_an_expired_link_is_refused(api: Api, held: dict[str, Any], clock: Clock) -> None:
    approve = links()["approve"]
    clock.advance(days=8)

    assert api.get(approve).status == 403


def test_a_link_stops_working_when_its_admin_is_no_longer_one(
        api: Api, blog: Blog, held: dict[str, Any], configure: Callable[..., Settings]) -> None:
    approve = links()["approve"]
    # The operator takes root out of BLOG_ADMINS, and its stored role back to reader
    configure(MODERATION="all", BLOG_ADMINS="someone-else")
    dynamodb_client().update_item(TableName=TEST_TABLE, Key={k: {"S": v} for k, v in keys.user(ADMIN).items()},
                                  UpdateExpression="SET #r = :r", ExpressionAttributeNames={"#r": "role"},
                                  ExpressionAttributeValues={":r": {"S": "reader"}})

    refused = api.post(approve, headers={"Content-Type": "text/plain"}, raw=b"")

    assert refused.status == 403
    assert "no longer moderates" in refused.problem["detail"]


# -- the post's author, when they asked ---------------------------------------------------


def test_an_author_who_asked_is_mailed_about_a_comment_held_on_their_post(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> None:
    asks_for_held_mail(api, alice)

    hold(blog.post(alice, title="Lent")["slug"])

    assert sorted(m["To"] for m in outbox()) == sorted([ADMIN_ADDRESS, "alice@example.com"])
    [message] = to("alice@example.com")
    assert "because you wrote the post" in message.get_content()
    assert len(links("alice@example.com")) == 3


def test_an_author_is_not_mailed_about_another_authors_post(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> None:
    asks_for_held_mail(api, blog.author("bob"))

    hold(blog.post(alice)["slug"])

    assert [m["To"] for m in outbox()] == [ADMIN_ADDRESS]


def test_the_authors_link_moderates_as_the_author(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> None:
    asks_for_held_mail(api, alice)
    comment = hold(blog.post(alice)["slug"])

    done = api.post(links("alice@example.com")["spam"], headers={"Content-Type": "text/plain"}, raw=b"")

    assert done.status == 200
    assert status_of(api, blog, comment["id"]) == "spam"
    [entry] = api.get("/moderation/audit", token=blog.admin()).json["items"]
    assert (entry["who"], entry["action"]) == ("alice", "spam")


def test_an_authors_link_dies_when_they_turn_the_mail_off(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> None:
    asks_for_held_mail(api, alice)
    comment = hold(blog.post(alice)["slug"])
    approve = links("alice@example.com")["approve"]
    asks_for_held_mail(api, blog.login("alice"), wanted=False)

    refused = api.post(approve, headers={"Content-Type": "text/plain"}, raw=b"")

    assert refused.status == 403
    assert status_of(api, blog, comment["id"]) == "pending"


def test_an_authors_signed_link_for_another_authors_post_is_refused(
        api: Api, blog: Blog, held: dict[str, Any]) -> None:
    # Given bob, an author who asked for the mail, holding a genuinely signed link to a comment on alice's post
    asks_for_held_mail(api, blog.author("bob"))
    path = services().moderation_mail.link(located(held["id"]), "approve", account("bob"), epoch() + 3600)

    refused = api.post(path.removeprefix(services().settings.api_url), headers={"Content-Type": "text/plain"},
                       raw=b"")

    assert refused.status == 403
    assert status_of(api, blog, held["id"]) == "pending"


def test_an_authors_link_dies_when_they_are_made_a_reader(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> None:
    asks_for_held_mail(api, alice)
    comment = hold(blog.post(alice)["slug"])
    approve = links("alice@example.com")["approve"]
    assert api.put("/users/alice/role", {"role": "reader"}, token=blog.admin()).status == 200

    refused = api.post(approve, headers={"Content-Type": "text/plain"}, raw=b"")

    assert refused.status == 403
    assert status_of(api, blog, comment["id"]) == "pending"


def test_an_admins_mail_and_the_authors_are_one_when_the_author_is_the_admin(
        api: Api, blog: Blog, hold: Callable[[str], dict[str, Any]]) -> None:
    admin = blog.admin()
    asks_for_held_mail(api, admin)

    hold(blog.post(admin)["slug"])

    [message] = outbox()
    assert message["To"] == ADMIN_ADDRESS
    assert "because you are an admin" in message.get_content()


# -- admins whose role is stored on their account (make admin), not named in BLOG_ADMINS ------------


def test_an_admin_made_by_make_admin_and_no_longer_named_is_mailed(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]],
        configure: Callable[..., Settings]) -> None:
    # Given "keeper" made an admin by `make admin`, and BLOG_ADMINS naming only root
    make_admin("keeper")
    configure(MODERATION="all", BLOG_ADMINS=ADMIN)

    comment = hold(blog.post(alice)["slug"])

    assert sorted(m["To"] for m in outbox()) == ["keeper@example.com", ADMIN_ADDRESS]
    done = api.post(links("keeper@example.com")["approve"], headers={"Content-Type": "text/plain"}, raw=b"")
    assert done.status == 200
    assert status_of(api, blog, comment["id"]) == "approved"


def test_a_stored_admin_made_an_author_is_mailed_no_more(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]],
        configure: Callable[..., Settings]) -> None:
    make_admin("keeper")
    configure(MODERATION="all", BLOG_ADMINS=ADMIN)
    assert api.put("/users/keeper/role", {"role": "author"}, token=blog.admin()).status == 200

    hold(blog.post(alice)["slug"])

    assert [m["To"] for m in outbox()] == [ADMIN_ADDRESS]
