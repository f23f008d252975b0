"""Changing a comment after posting it: who may edit or delete, and what deleting leaves.

An anonymous commenter proves ownership with the edit token (X-Edit-Token) until
the edit window closes; a signed-in commenter is recognised by account; an admin
may change anything. A comment deleted while it has replies stays as a tombstone
(no text, no author, not counted) until its last reply goes.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib import services as services_module
from chalicelib.blog import rendering
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.tokens import issue_edit_token
from chalicelib.settings import Settings
from tests.conftest import Api, Blog, Reply
from tests.settings_steps import Clock, comment_count, confirm_email, send


@pytest.fixture
def slug(blog: Blog) -> str:
    return str(blog.post(blog.author("alice"), title="Hello world")["slug"])


@pytest.fixture
def anonymous(blog: Blog, slug: str) -> dict[str, Any]:
    """An anonymous comment as created: {comment, edit_token, edit_token_expires_at}."""
    return dict(blog.comment(slug, body="First thoughts"))


def token_header(created: dict[str, Any]) -> dict[str, str]:
    return {"X-Edit-Token": created["edit_token"]}


def listed(api: Api, slug: str) -> list[dict[str, Any]]:
    reply = api.get(f"/posts/{slug}/comments?limit=100")
    assert reply.status == 200, reply.body
    return list(reply.json["items"])


def shown(api: Api, slug: str) -> list[str]:
    """The listed comments' text as readers see it (their html without its tags: lists carry no Markdown)."""
    return [html.unescape(re.sub(r"<[^>]*>", "", item["html"])).strip() for item in listed(api, slug)]


def edit(api: Api, comment_id: str, body: str = "Second thoughts", **kwargs: Any) -> Reply:
    return api.patch(f"/comments/{comment_id}", {"body": body}, **kwargs)


# -- with the edit token ---------------------------------------------------------------


def test_edit_with_the_token_changes_the_text(api: Api, slug: str, anonymous: dict[str, Any]) -> None:
    comment_id = anonymous["comment"]["id"]

    reply = edit(api, comment_id, "Second *thoughts*", headers=token_header(anonymous))

    assert reply.status == 200, reply.body
    assert reply.json["html"] == "<p>Second <em>thoughts</em></p>\n"
    assert reply.json["body"] == "Second *thoughts*"
    assert reply.json["edited_at"] is not None
    assert listed(api, slug)[0]["html"] == "<p>Second <em>thoughts</em></p>\n"
    assert comment_count(api, slug) == 1


def test_delete_with_the_token_removes_the_comment(api: Api, slug: str, anonymous: dict[str, Any]) -> None:
    reply = api.delete(f"/comments/{anonymous['comment']['id']}", headers=token_header(anonymous))

    assert reply.status == 204
    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0


def test_forged_token_is_refused(api: Api, slug: str, anonymous: dict[str, Any]) -> None:
    expires, _, signature = anonymous["edit_token"].partition(".")
    forgeries = [
        "not-a-token",
        f"{int(expires) + 86400}.{signature}",  # a longer window, same signature
        f"{expires}.{'A' * len(signature)}",
        f"{expires}.",
        "².x",
        "1.é",
    ]

    for forged in forgeries:
        assert edit(api, anonymous["comment"]["id"], headers={"X-Edit-Token": forged}).status == 403, forged
        assert api.delete(f"/comments/{anonymous['comment']['id']}", headers={"X-Edit-Token": forged}).status == 403
    assert shown(api, slug)[0] == "First thoughts"


def test_token_for_another_comment_is_refused(api: Api, blog: Blog, slug: str, anonymous: dict[str, Any]) -> None:
    other = blog.comment(slug)

    reply = edit(api, anonymous["comment"]["id"], headers=token_header(other))
    deleting = api.delete(f"/comments/{anonymous['comment']['id']}", headers=token_header(other))

    assert reply.status == 403
    assert deleting.status == 403
    assert reply.problem["detail"]
    assert comment_count(api, slug) == 2


def test_token_expires_when_the_edit_window_closes(api: Api, slug: str, anonymous: dict[str, Any],
                                                   clock: Clock) -> None:
    # Given the edit window (EDIT_WINDOW_SECONDS=900) has passed since posting
    closes = int(anonymous["edit_token"].split(".")[0])
    assert closes - time.time() == pytest.approx(900, abs=5)
    clock.advance(closes + 1 - time.time())

    # When the commenter tries to change the comment, then it is refused
    assert edit(api, anonymous["comment"]["id"], headers=token_header(anonymous)).status == 403
    reply = api.delete(f"/comments/{anonymous['comment']['id']}", headers=token_header(anonymous))
    assert reply.status == 403
    assert "window" in reply.problem["detail"]
    assert shown(api, slug)[0] == "First thoughts"


def test_token_issued_with_a_past_expiry_is_refused(api: Api, anonymous: dict[str, Any]) -> None:
    key = services_module.services().settings.edit_token_key
    stale = issue_edit_token(anonymous["comment"]["id"], int(time.time()) - 1, key)

    reply = edit(api, anonymous["comment"]["id"], headers={"X-Edit-Token": stale})

    assert reply.status == 403


def test_token_signed_with_another_key_is_refused(api: Api, anonymous: dict[str, Any]) -> None:
    stolen = issue_edit_token(anonymous["comment"]["id"], int(time.time()) + 600, "x" * 40)

    assert edit(api, anonymous["comment"]["id"], headers={"X-Edit-Token": stolen}).status == 403


def test_without_a_token_an_anonymous_caller_must_authenticate(api: Api, slug: str, anonymous: dict[str, Any]) -> None:
    reply = edit(api, anonymous["comment"]["id"])
    deleting = api.delete(f"/comments/{anonymous['comment']['id']}")

    assert reply.status == 401
    assert deleting.status == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert "X-Edit-Token" in reply.problem["detail"]
    assert comment_count(api, slug) == 1


# -- by account ------------------------------------------------------------------------


def test_signed_in_author_edits_and_deletes_without_a_token(api: Api, blog: Blog, slug: str) -> None:
    token = blog.user("bob")
    mine = blog.comment(slug, token=token)["comment"]["id"]

    assert edit(api, mine, token=token).status == 200
    assert api.delete(f"/comments/{mine}", token=token).status == 204
    assert listed(api, slug) == []


def test_another_signed_in_user_may_not_change_a_comment(api: Api, blog: Blog, slug: str,
                                                         anonymous: dict[str, Any]) -> None:
    bobs = blog.comment(slug, token=blog.user("bob"))["comment"]["id"]
    carol = blog.user("carol")

    for target in (bobs, anonymous["comment"]["id"]):
        assert edit(api, target, token=carol).status == 403
        assert api.delete(f"/comments/{target}", token=carol).status == 403
    assert comment_count(api, slug) == 2


def test_admin_edits_and_deletes_any_comment(api: Api, blog: Blog, slug: str, anonymous: dict[str, Any]) -> None:
    admin = blog.admin()
    bobs = blog.comment(slug, token=blog.user("bob"))["comment"]["id"]

    assert edit(api, anonymous["comment"]["id"], token=admin).status == 200
    assert edit(api, bobs, token=admin).status == 200
    assert api.delete(f"/comments/{anonymous['comment']['id']}", token=admin).status == 204
    assert api.delete(f"/comments/{bobs}", token=admin).status == 204
    assert comment_count(api, slug) == 0


def test_edit_is_validated_like_a_new_comment(api: Api, slug: str, anonymous: dict[str, Any]) -> None:
    for body in ("", "   ", "x" * 5001):
        reply = edit(api, anonymous["comment"]["id"], body, headers=token_header(anonymous))
        assert reply.status == 422
        assert "body" in reply.problem["errors"]
    assert shown(api, slug)[0] == "First thoughts"


# -- unknown and gone ------------------------------------------------------------------


@pytest.mark.parametrize("comment_id", [new_ulid(), "01ARZ3NDEKTSV4RRFFQ69G5FAV", "not-an-id", "0" * 300, "%00"],
                         ids=["fresh-ulid", "old-ulid", "not-an-id", "over-long", "nul"])
def test_unknown_or_malformed_comment_id_is_not_found(api: Api, blog: Blog, comment_id: str) -> None:
    admin = blog.admin()

    assert edit(api, comment_id, token=admin).status == 404
    assert api.delete(f"/comments/{comment_id}", token=admin).status == 404


def test_deleted_comment_cannot_be_edited_or_deleted_again(api: Api, anonymous: dict[str, Any]) -> None:
    comment_id = anonymous["comment"]["id"]
    api.delete(f"/comments/{comment_id}", headers=token_header(anonymous))

    assert edit(api, comment_id, headers=token_header(anonymous)).status == 404
    assert api.delete(f"/comments/{comment_id}", headers=token_header(anonymous)).status == 404


# -- tombstones ---------------------------------------------------------------------------


def test_deleted_comment_with_replies_becomes_an_uncounted_tombstone(api: Api, blog: Blog, slug: str,
                                                                     anonymous: dict[str, Any]) -> None:
    # Given a comment with a reply
    parent = anonymous["comment"]["id"]
    reply = blog.comment(slug, parent_id=parent)["comment"]["id"]

    # When the comment is deleted
    assert api.delete(f"/comments/{parent}", headers=token_header(anonymous)).status == 204

    # Then it keeps its place in the thread without its text or its author
    items = listed(api, slug)
    assert [item["id"] for item in items] == [parent, reply]
    tombstone = items[0]
    assert tombstone["status"] == "deleted"
    assert tombstone["author"] is None
    assert "body" not in tombstone and not tombstone["html"]
    assert "First thoughts" not in api.get(f"/posts/{slug}/comments").body.decode()
    # And only the reply is counted
    assert comment_count(api, slug) == 1
    # And the tombstone cannot be edited
    assert edit(api, parent, token=blog.admin()).status == 404


def test_deleting_the_last_reply_removes_the_tombstone(api: Api, blog: Blog, slug: str,
                                                       anonymous: dict[str, Any]) -> None:
    parent = anonymous["comment"]["id"]
    first = blog.comment(slug, parent_id=parent)
    second = blog.comment(slug, parent_id=parent)
    api.delete(f"/comments/{parent}", headers=token_header(anonymous))

    # One reply goes: the tombstone stays for the other
    assert api.delete(f"/comments/{first['comment']['id']}", headers=token_header(first)).status == 204
    assert [item["id"] for item in listed(api, slug)] == [parent, second["comment"]["id"]]

    # The last reply goes: so does the tombstone
    assert api.delete(f"/comments/{second['comment']['id']}", headers=token_header(second)).status == 204
    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0


def test_pruning_climbs_a_chain_of_tombstones(api: Api, blog: Blog, slug: str, anonymous: dict[str, Any]) -> None:
    # Given a thread root -> middle -> leaf where root and middle were deleted
    root = anonymous
    middle = blog.comment(slug, parent_id=root["comment"]["id"])
    leaf = blog.comment(slug, parent_id=middle["comment"]["id"])
    sibling = blog.comment(slug)
    for created in (root, middle):
        api.delete(f"/comments/{created['comment']['id']}", headers=token_header(created))
    assert [i["status"] for i in listed(api, slug)] == ["deleted", "deleted", "approved", "approved"]
    assert comment_count(api, slug) == 2

    # When the leaf is deleted, then both tombstones go and the unrelated comment stays
    assert api.delete(f"/comments/{leaf['comment']['id']}", headers=token_header(leaf)).status == 204
    assert [i["id"] for i in listed(api, slug)] == [sibling["comment"]["id"]]
    assert comment_count(api, slug) == 1


def test_tombstone_stays_while_a_reply_of_a_reply_remains(api: Api, blog: Blog, slug: str,
                                                          anonymous: dict[str, Any]) -> None:
    middle = blog.comment(slug, parent_id=anonymous["comment"]["id"])
    leaf = blog.comment(slug, parent_id=middle["comment"]["id"])
    api.delete(f"/comments/{anonymous['comment']['id']}", headers=token_header(anonymous))

    # Deleting the middle comment, which still has a reply, tombstones it too
    assert api.delete(f"/comments/{middle['comment']['id']}", headers=token_header(middle)).status == 204

    assert [i["id"] for i in listed(api, slug)] == [
        anonymous["comment"]["id"], middle["comment"]["id"], leaf["comment"]["id"]]
    assert comment_count(api, slug) == 1


# -- an edit passes the checks a new comment passes --------------------------------------------


SIX_LINKS = " ".join(f"[site {n}](https://site{n}.example)" for n in range(6))


def test_edit_with_more_links_than_a_comment_may_have_is_refused(api: Api, slug: str, anonymous: dict[str, Any],
                                                                  configure: Callable[..., Settings]) -> None:
    # Given a blog that allows three links in a comment (a new comment of six links gets 422)
    configure(COMMENT_MAX_LINKS="3")

    # When the commenter edits the comment into six links
    reply = edit(api, anonymous["comment"]["id"], SIX_LINKS, headers=token_header(anonymous))

    # Then the edit is refused as the comment would be, and the text stays
    assert reply.status == 422, reply.body
    assert "body" in reply.problem["errors"]
    assert shown(api, slug)[0] == "First thoughts"


def test_edit_with_bare_urls_beyond_the_link_limit_is_refused(api: Api, slug: str, anonymous: dict[str, Any],
                                                              configure: Callable[..., Settings]) -> None:
    configure(COMMENT_MAX_LINKS="3")
    urls = " ".join(f"https://site{n}.example/offer" for n in range(25))

    reply = edit(api, anonymous["comment"]["id"], urls, headers=token_header(anonymous))

    assert reply.status == 422, reply.body
    assert shown(api, slug)[0] == "First thoughts"


def test_edit_with_a_blocked_word_is_refused(api: Api, slug: str, anonymous: dict[str, Any],
                                             configure: Callable[..., Settings]) -> None:
    configure(BLOCKED_WORDS="casino")

    reply = edit(api, anonymous["comment"]["id"], "Visit the best CASINO", headers=token_header(anonymous))

    assert reply.status == 422, reply.body
    assert shown(api, slug)[0] == "First thoughts"


def test_admin_edit_is_exempt_from_the_link_limit_as_a_new_comment_is(api: Api, blog: Blog, slug: str,
                                                                       anonymous: dict[str, Any],
                                                                       configure: Callable[..., Settings]) -> None:
    configure(COMMENT_MAX_LINKS="0")

    reply = edit(api, anonymous["comment"]["id"], "Read [the rules](https://blog.example/rules).",
                 token=blog.admin())

    assert reply.status == 200, reply.body
    assert shown(api, slug)[0] == "Read the rules."


def test_edits_count_in_the_address_rate_limit(api: Api, slug: str, anonymous: dict[str, Any],
                                               configure: Callable[..., Settings], clock: Clock) -> None:
    # Given two comments or edits a minute from one address, and one comment sent this minute
    configure(COMMENT_RATE_LIMIT="2/60")
    clock.align(60)
    comment_id = anonymous["comment"]["id"]
    created = send(api, slug, "Fresh thoughts")
    assert created.status == 201, created.body

    # When the commenter edits twice, then the second edit is over the limit
    assert edit(api, comment_id, "Second thoughts", headers=token_header(anonymous)).status == 200
    refused = edit(api, comment_id, "Third thoughts", headers=token_header(anonymous))
    assert refused.status == 429, refused.body
    assert int(refused.headers["retry-after"]) >= 1
    assert shown(api, slug) == ["Second thoughts", "Fresh thoughts"]

    # And in the next window the edit goes through
    clock.advance(int(refused.headers["retry-after"]))
    assert edit(api, comment_id, "Third thoughts", headers=token_header(anonymous)).status == 200


def test_edit_is_checked_before_it_is_rendered(api: Api, anonymous: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []

    def render(body: str) -> str:
        rendered.append(body)
        return body

    monkeypatch.setattr(rendering, "comment_html", render)

    assert edit(api, anonymous["comment"]["id"], "![" * 2500, headers={"X-Edit-Token": "1.x"}).status == 403
    assert edit(api, anonymous["comment"]["id"], "![" * 2501, headers=token_header(anonymous)).status == 422
    assert rendered == []


# -- an edit under moderation ----------------------------------------------------------------------


def queue(api: Api, admin: str) -> list[str]:
    reply = api.get("/moderation/comments?status=pending", token=admin)
    assert reply.status == 200, reply.body
    return [c["id"] for c in reply.json["items"]]


def test_under_moderation_all_an_edited_comment_goes_back_to_the_queue(
        api: Api, blog: Blog, slug: str, anonymous: dict[str, Any], configure: Callable[..., Settings]) -> None:
    # Given a public comment, and then every comment held for moderation
    comment_id = anonymous["comment"]["id"]
    configure(MODERATION="all")

    # When its commenter edits it
    reply = edit(api, comment_id, "Something else entirely", headers=token_header(anonymous))

    # Then it is held again, out of the thread and the count, and waits in the queue as edited
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "pending"
    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0
    admin = blog.admin()
    assert queue(api, admin) == [comment_id]
    read = api.get(f"/comments/{comment_id}", headers=token_header(anonymous))
    assert read.status == 200, read.body
    assert read.json["body"] == "Something else entirely"

    # And approving it puts the edited text back in the thread
    approved = api.post(f"/comments/{comment_id}/moderate", {"action": "approve"}, token=admin)
    assert approved.status == 200, approved.body
    assert shown(api, slug) == ["Something else entirely"]
    assert comment_count(api, slug) == 1


def test_under_moderation_all_an_edited_reply_leaves_its_parents_count(
        api: Api, blog: Blog, slug: str, anonymous: dict[str, Any], configure: Callable[..., Settings]) -> None:
    reply_comment = blog.comment(slug, parent_id=anonymous["comment"]["id"])
    configure(MODERATION="all")

    edited = edit(api, reply_comment["comment"]["id"], "Edited reply", headers=token_header(reply_comment))

    assert edited.status == 200, edited.body
    assert [(c["id"], c["reply_count"]) for c in listed(api, slug)] == [(anonymous["comment"]["id"], 0)]
    assert comment_count(api, slug) == 1


def test_under_moderation_all_a_comment_with_replies_cannot_be_edited(
        api: Api, blog: Blog, slug: str, anonymous: dict[str, Any], configure: Callable[..., Settings]) -> None:
    # Given a public comment with a reply, and then every comment held for moderation
    blog.comment(slug, parent_id=anonymous["comment"]["id"])
    configure(MODERATION="all")

    # When its commenter edits it, then the edit is refused (it could not leave the thread for the queue)
    reply = edit(api, anonymous["comment"]["id"], "Something else", headers=token_header(anonymous))

    assert reply.status == 409, reply.body
    assert "replies" in reply.problem["detail"]
    assert shown(api, slug)[0] == "First thoughts"
    assert comment_count(api, slug) == 2


def test_under_moderation_all_the_post_authors_and_admins_edits_stay_public(
        api: Api, blog: Blog, slug: str, anonymous: dict[str, Any], configure: Callable[..., Settings]) -> None:
    alice = blog.login("alice")
    own = blog.comment(slug, token=alice)
    configure(MODERATION="all")

    by_author = edit(api, own["comment"]["id"], "The author's second thoughts", token=alice)
    by_admin = edit(api, anonymous["comment"]["id"], "Tidied by an admin", token=blog.admin())

    assert by_author.status == by_admin.status == 200
    assert by_author.json["status"] == by_admin.json["status"] == "approved"
    assert comment_count(api, slug) == 2


def test_edit_of_a_held_comment_keeps_it_held(api: Api, blog: Blog, slug: str,
                                              configure: Callable[..., Settings]) -> None:
    configure(MODERATION="all")
    sent = send(api, slug, "Waiting")
    assert sent.status == 202, sent.body
    configure(MODERATION="off")

    reply = edit(api, sent.json["comment"]["id"], "Still waiting", headers=token_header(sent.json))

    assert reply.status == 200, reply.body
    assert reply.json["status"] == "pending"
    assert listed(api, slug) == []
    assert queue(api, blog.admin()) == [sent.json["comment"]["id"]]


def test_under_first_time_a_known_commenters_edit_stays_public(
        api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    # Given a commenter known by e-mail: their public comment recorded them, and they confirmed the address
    created = send(api, slug, "Hello", author_email="ann@example.org")
    assert created.status == 201, created.body
    configure(MODERATION="first-time")
    confirm_email(api, "ann@example.org")

    reply = edit(api, created.json["comment"]["id"], "Hello, edited", headers=token_header(created.json))

    assert reply.status == 200, reply.body
    assert reply.json["status"] == "approved"
    assert shown(api, slug) == ["Hello, edited"]


def test_under_first_time_an_edit_under_an_unconfirmed_email_goes_back_to_the_queue(
        api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    # A typed e-mail proves nothing until its owner confirms it: the edit is judged as a new comment would be
    created = send(api, slug, "Hello", author_email="ann@example.org")
    assert created.status == 201, created.body
    configure(MODERATION="first-time")

    reply = edit(api, created.json["comment"]["id"], "Hello, edited", headers=token_header(created.json))

    assert reply.status == 200, reply.body
    assert reply.json["status"] == "pending"
    assert listed(api, slug) == []


def test_under_first_time_an_anonymous_edit_without_email_goes_back_to_the_queue(
        api: Api, slug: str, anonymous: dict[str, Any], configure: Callable[..., Settings]) -> None:
    # Anonymous and without an e-mail, the commenter is never known: each new comment of theirs is held
    configure(MODERATION="first-time")

    reply = edit(api, anonymous["comment"]["id"], "Second thoughts", headers=token_header(anonymous))

    assert reply.status == 200, reply.body
    assert reply.json["status"] == "pending"
    assert listed(api, slug) == []
    assert comment_count(api, slug) == 0
