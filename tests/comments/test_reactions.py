"""Emoji reactions on posts and comments: one of each kind per reader, toggled, counted exactly, refused clearly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from chalicelib.errors import ConfigurationError
from chalicelib.settings import DEFAULT_REACTIONS, Settings, load_settings
from chalicelib.store import keys
from tests.accounts.test_personal_data import raw_items
from tests.conftest import PASSWORD, Api, Blog, DynamoCalls, Reply
from tests.settings_steps import Clock

THUMBS, HEART, LAUGH = "\U0001f44d", "\u2764\ufe0f", "\U0001f602"


def react(api: Api, path: str, emoji: Any, active: Any = True, token: str | None = None,
          voter: str | None = None) -> Reply:
    headers = {"X-Voter-Token": voter} if voter else {}
    return api.post(f"{path}/reactions", {"emoji": emoji, "active": active}, token=token, headers=headers)


@pytest.fixture
def comment(blog: Blog, slug: str) -> str:
    return str(blog.comment(slug)["comment"]["id"])


def on_comment(comment_id: str) -> str:
    return f"/comments/{comment_id}"


def test_a_reaction_counts_once_per_reader_and_kind(api: Api, comment: str) -> None:
    first = react(api, on_comment(comment), THUMBS, voter="reader-a")
    again = react(api, on_comment(comment), THUMBS, voter="reader-a")
    heart = react(api, on_comment(comment), HEART, voter="reader-a")
    other = react(api, on_comment(comment), THUMBS, voter="reader-b")

    assert [r.status for r in (first, again, heart, other)] == [200] * 4
    assert first.json["reactions"] == {THUMBS: 1}
    assert again.json["reactions"] == {THUMBS: 1}
    assert other.json["reactions"] == {THUMBS: 2, HEART: 1}


def test_a_reaction_is_taken_back_and_its_kind_disappears_at_zero(api: Api, slug: str, comment: str) -> None:
    react(api, on_comment(comment), THUMBS, voter="reader-a")
    react(api, on_comment(comment), LAUGH, voter="reader-a")

    taken_back = react(api, on_comment(comment), THUMBS, active=False, voter="reader-a")
    twice = react(api, on_comment(comment), THUMBS, active=False, voter="reader-a")
    never_had = react(api, on_comment(comment), HEART, active=False, voter="reader-b")

    assert taken_back.json["reactions"] == {LAUGH: 1}
    assert twice.json["reactions"] == {LAUGH: 1} and never_had.json["reactions"] == {LAUGH: 1}
    assert not [i for i in raw_items(keys.post_partition(slug)) if THUMBS in i["SK"]["S"]]


def test_a_signed_in_reader_is_one_reader_whatever_their_voter_token(api: Api, blog: Blog, comment: str) -> None:
    reader = blog.user()

    react(api, on_comment(comment), THUMBS, token=reader, voter="one")
    result = react(api, on_comment(comment), THUMBS, token=reader, voter="two")

    assert result.json["reactions"] == {THUMBS: 1}


def test_the_post_page_shows_post_and_comment_reactions_from_its_one_query(
        api: Api, blog: Blog, slug: str, comment: str, dynamo: DynamoCalls) -> None:
    assert react(api, f"/posts/{slug}", HEART, voter="a").json == {"post": slug, "reactions": {HEART: 1}}
    react(api, f"/posts/{slug}", HEART, voter="b")
    react(api, on_comment(comment), LAUGH, voter="a")
    dynamo.clear()

    page = api.get(f"/posts/{slug}?embed=comments").json

    assert dynamo.operations == ["Query"]
    assert page["reactions"] == {HEART: 2}
    assert page["comments"][0]["reactions"] == {LAUGH: 1}
    assert page["comment_form"]["reactions"] == list(DEFAULT_REACTIONS.split(","))
    assert api.get(f"/posts/{slug}").json["reactions"] == {HEART: 2}
    assert api.get(f"/posts/{slug}/comments").json["items"][0]["reactions"] == {LAUGH: 1}


def test_post_reactions_survive_an_edit_of_the_post(api: Api, blog: Blog, author: str, slug: str) -> None:
    react(api, f"/posts/{slug}", THUMBS, voter="a")

    edited = api.patch(f"/posts/{slug}", {"title": "Hello again"}, token=author)

    assert edited.status == 200, edited.body
    assert api.get(f"/posts/{slug}").json["reactions"] == {THUMBS: 1}
    assert react(api, f"/posts/{slug}", THUMBS, active=False, voter="a").json["reactions"] == {}


@pytest.mark.parametrize("emoji", [
    "\U0001f44e",  # a thumbs down: an emoji, but not one of this stage's
    "\U0001f44d\ufe0e",  # the thumb with a text-style variation selector
    "\u2764",  # the heart without its emoji-style selector: not the configured one
    "\U0001f44d\U0001f3fd",  # a skin tone the set does not name
    "\U0001f44d\u200b",  # a zero-width space after it
    "\U0001f44d" * 2,
    "\U0001f44d" * 10_000,  # oversize
    "+1", "", None, 1, ["\U0001f44d"], {"emoji": "\U0001f44d"},
])
def test_a_reaction_outside_the_set_is_refused(api: Api, slug: str, comment: str, emoji: Any) -> None:
    for path in (on_comment(comment), f"/posts/{slug}"):
        reply = react(api, path, emoji, voter="a")

        assert reply.status == 422, reply.body
        assert "emoji" in reply.problem["errors"]
        assert len(reply.body) < 2000  # an oversize emoji is not echoed back
    assert api.get(f"/posts/{slug}?embed=comments").json["comments"][0]["reactions"] == {}


@pytest.mark.parametrize("body", [{"emoji": THUMBS}, {"emoji": THUMBS, "active": "yes"},
                                  {"emoji": THUMBS, "active": True, "weight": 5}, [THUMBS], "nonsense"])
def test_a_malformed_reaction_is_refused(api: Api, comment: str, body: Any) -> None:
    reply = api.post(f"{on_comment(comment)}/reactions", body)

    assert reply.status in (400, 422), reply.body
    assert reply.problem["status"] == reply.status


def test_an_odd_voter_token_is_refused(api: Api, comment: str) -> None:
    assert react(api, on_comment(comment), THUMBS, voter="é" * 3).status in (400, 422)
    assert react(api, on_comment(comment), THUMBS, voter="x" * 129).status == 422


def test_reacting_to_an_unknown_comment_or_post_is_not_found(api: Api, blog: Blog, author: str) -> None:
    draft = blog.post(author, status="draft")["slug"]

    assert react(api, on_comment("01J0000000000000000000000Z"), THUMBS).status == 404
    assert react(api, on_comment("not-an-id"), THUMBS).status == 404
    assert react(api, "/posts/no-such-post", THUMBS).status == 404
    assert react(api, f"/posts/{draft}", THUMBS).status == 404


def test_a_held_or_deleted_comment_takes_no_reactions(api: Api, blog: Blog, slug: str,
                                                      configure: Callable[..., Settings]) -> None:
    standing = blog.comment(slug)
    doomed = standing["comment"]["id"]
    react(api, on_comment(doomed), THUMBS, voter="a")
    assert api.delete(on_comment(doomed), headers={"X-Edit-Token": standing["edit_token"]}).status == 204
    configure(MODERATION="all")
    held = api.post(f"/posts/{slug}/comments", {"body": "wait for it", "author_name": "Ann"})
    assert held.status == 202

    assert react(api, on_comment(doomed), THUMBS, voter="b").status == 404
    assert react(api, on_comment(held.json["comment"]["id"]), THUMBS, voter="b").status == 409


def test_reactions_off_answers_not_found_and_the_form_offers_none(api: Api, slug: str, comment: str,
                                                                 configure: Callable[..., Settings]) -> None:
    configure(REACTIONS="")

    assert react(api, on_comment(comment), THUMBS).status == 404
    assert api.get(f"/posts/{slug}?embed=comments").json["comment_form"]["reactions"] == []


def test_a_stage_may_name_its_own_set_and_only_that_set(api: Api, slug: str, comment: str,
                                                       configure: Callable[..., Settings]) -> None:
    configure(REACTIONS="\U0001f44d\U0001f3fd, \U0001f389")

    assert react(api, on_comment(comment), "\U0001f44d\U0001f3fd").json["reactions"] == {"\U0001f44d\U0001f3fd": 1}
    assert react(api, on_comment(comment), THUMBS).status == 422


@pytest.mark.parametrize("setting", [
    "like", "\U0001f44d\U0001f44d", "\U0001f44d\ufe0e", "1\ufe0f\u20e3", "\U0001f44d,\U0001f44d",
    ",".join(chr(0x1F600 + n) for n in range(13)), "\u200b", "\U0001f44d\u200d",
])
def test_the_reactions_setting_is_checked(setting: str) -> None:
    with pytest.raises(ConfigurationError, match="REACTIONS"):
        load_settings({"REACTIONS": setting})


def test_the_default_set_and_flags_and_joined_emoji_are_accepted() -> None:
    assert load_settings({}).reactions == (THUMBS, HEART, LAUGH, "\U0001f62e", "\U0001f622")
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert load_settings({"REACTIONS": f"\U0001f1eb\U0001f1f7,{family}"}).reactions == ("\U0001f1eb\U0001f1f7", family)


@pytest.fixture
def address(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def use(ip: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return use


def test_reactions_share_the_vote_window_of_their_address(api: Api, blog: Blog, slug: str, comment: str,
                                                         configure: Callable[..., Settings], clock: Clock,
                                                         address: Callable[[str], None],
                                                         dynamo: DynamoCalls) -> None:
    configure(VOTE_RATE_LIMIT="3/60")
    clock.align(60)
    address("203.0.113.7")

    assert api.post(f"{on_comment(comment)}/vote", {"value": 1}, headers={"X-Voter-Token": "a"}).status == 200
    assert react(api, on_comment(comment), THUMBS, voter="a").status == 200
    assert react(api, on_comment(comment), THUMBS, voter="a").status == 200  # already so: not counted
    assert react(api, f"/posts/{slug}", THUMBS, voter="b").status == 200
    dynamo.clear()
    refused = react(api, on_comment(comment), HEART, voter="c")

    assert refused.status == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert dynamo.operations == ["GetItem", "BatchGetItem", "TransactWriteItems"]  # the window rides along
    assert api.get(on_comment(comment)).json["reactions"] == {THUMBS: 1}
    address("203.0.113.8")
    assert react(api, on_comment(comment), HEART, voter="c").status == 200


def test_admins_are_exempt_from_the_window(api: Api, blog: Blog, slug: str, configure: Callable[..., Settings],
                                           clock: Clock) -> None:
    configure(VOTE_RATE_LIMIT="1/60")
    clock.align(60)
    admin = blog.admin()

    assert [react(api, f"/posts/{slug}", emoji, token=admin).status for emoji in (THUMBS, HEART, LAUGH)] == [200] * 3


def test_a_held_comment_keeps_its_counts_and_shows_them_again_when_approved(
        api: Api, blog: Blog, slug: str, comment: str) -> None:
    react(api, on_comment(comment), THUMBS, voter="a")
    admin = blog.admin()

    assert api.post(f"/comments/{comment}/moderate", {"action": "spam"}, token=admin).status == 200
    assert api.post(f"/comments/{comment}/moderate", {"action": "approve"}, token=admin).status == 200

    assert api.get(on_comment(comment)).json["reactions"] == {THUMBS: 1}


def test_the_export_holds_the_reactions_given_while_signed_in(api: Api, blog: Blog, slug: str,
                                                              comment: str) -> None:
    reader = blog.user("rhea")
    react(api, on_comment(comment), THUMBS, token=reader)
    react(api, f"/posts/{slug}", HEART, token=reader)
    react(api, f"/posts/{slug}", LAUGH, token=reader)
    react(api, f"/posts/{slug}", LAUGH, active=False, token=reader)
    react(api, f"/posts/{slug}", THUMBS, token=blog.user("oscar"))  # not hers

    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        page = api.get("/me/export?limit=1" + (f"&cursor={cursor}" if cursor else ""), token=reader).json
        found += page["reactions"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted((r["post"], r["comment_id"] or "", r["emoji"]) for r in found) == sorted(
        [(slug, comment, THUMBS), (slug, "", HEART)])
    assert all(r["at"] for r in found)


def test_deleting_an_account_takes_its_reactions_back_and_keeps_the_others(
        api: Api, blog: Blog, slug: str, comment: str) -> None:
    reader = blog.user("rhea")
    for path in (on_comment(comment), f"/posts/{slug}"):
        react(api, path, THUMBS, token=reader)
        react(api, path, THUMBS, voter="someone-else")

    assert api.delete("/me", json_body={"comments": "tombstone", "current_password": PASSWORD},
                      token=reader).status == 204

    assert api.get(on_comment(comment)).json["reactions"] == {THUMBS: 1}
    assert api.get(f"/posts/{slug}").json["reactions"] == {THUMBS: 1}
    assert not [i for i in raw_items(keys.post_partition(slug)) if "#user:rhea#" in i["SK"]["S"]]
