"""Moderation links, tightened: what a mailed link may no longer do once things changed after the mail.

- an author's Approve link does not undo an admin's spam verdict;
- a link dies when its recipient signs out everywhere;
- a comment edited after the mail is acted on only from the page that shows its new text;
- a comment edited back into the queue is mailed about (and sent as comment.held) again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

from chalicelib.settings import Settings
from chalicelib.store import keys
from tests.conftest import PASSWORD, Api, Blog, make_admin
from tests.moderation.test_moderation_mail import ADMIN_ADDRESS, asks_for_held_mail, links, status_of
from tests.moderation.test_moderation_mail import alice as alice
from tests.moderation.test_moderation_mail import held as held
from tests.moderation.test_moderation_mail import hold as hold
from tests.notifications.test_notifications import SENDER, Stream, to
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.notifications.test_webhooks import SECRET, Receiver
from tests.notifications.test_webhooks import receivers as receivers

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ALICE = "alice@example.com"


def click(api: Api, path: str) -> Any:
    """What pressing the link's button (or a scanner's POST to the link itself) answers."""
    return api.post(path, raw=b"", headers=FORM)


def button_target(api: Api, path: str) -> str:
    """The path and query the confirming page's button posts to."""
    page = api.get(path)
    assert page.status == 200, page.body
    found = re.search(r'<form method="post" action="([^"]+)"', page.body.decode())
    assert found is not None
    return path.split("?")[0] + unescape(found[1])


# --- an author's link and an admin's verdict ----------------------------------------------------

def test_an_authors_approve_link_does_not_undo_an_admins_spam_verdict(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> None:
    # Given alice, who asked for the mail, mailed about a comment held on her post
    asks_for_held_mail(api, alice)
    comment = hold(blog.post(alice)["slug"])
    approve = links(ALICE)["approve"]
    # and an admin who then marks it as spam
    assert api.post(f"/comments/{comment['id']}/moderate", {"action": "spam"}, token=blog.admin()).status == 200

    refused = click(api, approve)

    assert refused.status == 409
    assert "only an admin can approve it now" in refused.problem["detail"]
    assert status_of(api, blog, comment["id"]) == "spam"
    # The admin's own link still may (an admin undoes an admin's verdict)
    assert click(api, links(ADMIN_ADDRESS)["approve"]).status == 200
    assert status_of(api, blog, comment["id"]) == "approved"


def test_an_author_may_approve_what_she_marked_as_spam_herself(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> None:
    asks_for_held_mail(api, alice)
    comment = hold(blog.post(alice)["slug"])
    mailed = links(ALICE)

    assert click(api, mailed["spam"]).status == 200
    assert click(api, mailed["approve"]).status == 200
    assert status_of(api, blog, comment["id"]) == "approved"


# --- signing out everywhere ----------------------------------------------------------------------

def test_links_die_when_their_recipient_signs_out_everywhere(api: Api, blog: Blog, held: dict[str, Any]) -> None:
    approve = links()["approve"]
    assert api.post("/auth/sign-out-everywhere", token=blog.admin()).status == 204

    refused = click(api, approve)

    assert refused.status == 403
    assert "signed out everywhere" in refused.problem["detail"]
    assert status_of(api, blog, held["id"]) == "pending"


def test_an_authors_links_die_too_when_she_signs_out_everywhere(
        api: Api, blog: Blog, alice: str, hold: Callable[[str], dict[str, Any]]) -> None:
    asks_for_held_mail(api, alice)
    comment = hold(blog.post(alice)["slug"])
    assert api.post("/auth/sign-out-everywhere", token=alice).status == 204

    assert click(api, links(ALICE)["delete"]).status == 403
    assert status_of(api, blog, comment["id"]) == "pending"


def test_a_link_never_works_for_the_next_owner_of_a_deleted_accounts_name(
        api: Api, blog: Blog, held: dict[str, Any]) -> None:
    # Given the admin's link to a held comment
    approve = links()["approve"]
    # When the admin deletes their account, and the name gets a new owner (by `make admin`: BLOG_ADMINS reserves it)
    deleted = api.delete("/me", json_body={"comments": "tombstone", "current_password": PASSWORD},
                         token=blog.admin())
    assert deleted.status == 204, deleted.body
    make_admin()  # as `make admin` makes the name's next owner

    # Then the old link does nothing for them (same name, same token version: another account)
    refused = click(api, approve)
    assert refused.status == 403 and "not valid" in refused.problem["detail"]
    assert status_of(api, blog, held["id"]) == "pending"


# --- a comment edited after its mail -----------------------------------------------------------

def held_with_token(api: Api, blog: Blog, stream: Stream, configure: Callable[..., Settings]) -> dict[str, Any]:
    """An anonymous comment held under MODERATION=all, mailed to the admins: {comment, edit_token, slug}."""
    blog.admin()
    slug = blog.post(blog.author("alice"))["slug"]
    configure(MODERATION="all", NOTIFY_FROM=f"Blog <{SENDER}>")
    created = api.post(f"/posts/{slug}/comments", {"body": "A harmless remark.", "author_name": "Eve"}).json
    stream.deliver(stream.record("INSERT", None, stream.image(keys.held_comment(slug, created["comment"]["id"]))))
    return {**created, "slug": slug}


def edit(api: Api, created: dict[str, Any], body: str) -> None:
    reply = api.patch(f"/comments/{created['comment']['id']}", {"body": body},
                      headers={"X-Edit-Token": created["edit_token"]})
    assert reply.status == 200, reply.body


def test_a_comment_edited_after_its_mail_is_not_approved_by_the_old_link_alone(
        api: Api, blog: Blog, stream: Stream, configure: Callable[..., Settings]) -> None:
    created = held_with_token(api, blog, stream, configure)
    approve = links()["approve"]
    edit(api, created, "Buy pills at https://spam.example")

    # The link itself (a scanner, or a click that never saw the page) approves nothing
    refused = click(api, approve)
    assert refused.status == 409 and "edited after this e-mail" in refused.problem["detail"]
    assert status_of(api, blog, created["comment"]["id"]) == "pending"
    # The page says the text changed and shows the new one
    page = api.get(approve).body.decode()
    assert "Edited after the e-mail was sent" in page and "Buy pills at https://spam.example" in page
    # and its button, which says what it showed, acts
    assert click(api, button_target(api, approve)).status == 200
    assert status_of(api, blog, created["comment"]["id"]) == "approved"


def test_a_page_seen_before_a_later_edit_approves_nothing(
        api: Api, blog: Blog, stream: Stream, configure: Callable[..., Settings]) -> None:
    created = held_with_token(api, blog, stream, configure)
    approve = links()["approve"]
    edit(api, created, "A second version.")
    shown = button_target(api, approve)  # the moderator opens the page…
    edit(api, created, "A third version, with a link to https://spam.example")  # …and the text changes again

    assert click(api, shown).status == 409
    assert status_of(api, blog, created["comment"]["id"]) == "pending"


def test_an_unchanged_comment_is_approved_from_the_link_and_from_its_page(
        api: Api, blog: Blog, stream: Stream, configure: Callable[..., Settings]) -> None:
    created = held_with_token(api, blog, stream, configure)

    page = api.get(links()["approve"]).body.decode()

    assert "Edited after" not in page
    assert click(api, button_target(api, links()["approve"])).status == 200
    assert status_of(api, blog, created["comment"]["id"]) == "approved"


def test_an_odd_seen_is_a_bad_request(api: Api, blog: Blog, held: dict[str, Any]) -> None:
    for seen in ("x", "<script>", "A" * 12, "../../etc"):
        refused = click(api, f"{links()['approve']}&seen={seen}")
        assert refused.status == 400, seen
    assert status_of(api, blog, held["id"]) == "pending"


# --- edited back into the queue ----------------------------------------------------------------

def test_a_comment_edited_back_into_the_queue_is_mailed_and_sent_as_held_again(
        api: Api, blog: Blog, stream: Stream, configure: Callable[..., Settings],
        receivers: Callable[[], Receiver]) -> None:
    receiver = receivers()
    admin = blog.admin()
    slug = blog.post(blog.author("alice"))["slug"]
    configure(MODERATION="all", NOTIFY_FROM=f"Blog <{SENDER}>", WEBHOOKS=f"json:{receiver.url}",
              WEBHOOK_SECRET=SECRET)
    created = api.post(f"/posts/{slug}/comments", {"body": "Fine words.", "author_name": "Eve"}).json
    comment_id = created["comment"]["id"]
    stream.deliver(stream.record("INSERT", None, stream.image(keys.held_comment(slug, comment_id))))
    assert api.post(f"/comments/{comment_id}/moderate", {"action": "approve"}, token=admin).status == 200

    # When its writer edits the approved comment, which sends it back to the queue
    edit(api, created, "Fine words, and now a link: https://spam.example")
    stream.deliver(stream.record("INSERT", None, stream.image(keys.held_comment(slug, comment_id))))

    # Then the admins are mailed again, with the new text, and the receiver hears comment.held twice
    mails = to(ADMIN_ADDRESS)
    assert len(mails) == 2
    assert "https://spam.example" in mails[1].get_content()
    assert receiver.events() == ["comment.held", "comment.held"]
    deliveries = [headers["x-blog-delivery"] for headers, _ in receiver.received]
    assert len(set(deliveries)) == 2
    # and a second delivery of the same record sends nothing more
    stream.deliver(stream.record("INSERT", None, stream.image(keys.held_comment(slug, comment_id))))
    assert len(to(ADMIN_ADDRESS)) == 2 and len(receiver.received) == 2
