"""Anti-spam: honeypot, form token, links, blocked words, per-address rate limit, duplicates, closing.

Every limit is set per test through `configure(...)` (the test stage lifts the
rate limit for every other test). Time moves through `clock`; the caller's
address is the Chalice test client's sourceIp, changed through `address`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from chalice.local import LambdaEventConverter

from chalicelib.blog import rendering
from chalicelib.settings import Settings
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls
from tests.settings_steps import Clock, send


@pytest.fixture
def address(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Send the following requests from another source address (requestContext.identity.sourceIp)."""
    def use(ip: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return use


def created(api: Api, slug: str, body: str = "Nice post.", token: str | None = None, **fields: Any) -> dict[str, Any]:
    reply = send(api, slug, body, token, **fields)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def state(api: Api, slug: str) -> tuple[int, list[str]]:
    """The post's count and its listed comments' text (their html without tags: lists carry no Markdown)."""
    post = api.get(f"/posts/{slug}")
    listing = api.get(f"/posts/{slug}/comments?limit=100")
    assert post.status == listing.status == 200
    texts = [html.unescape(re.sub(r"<[^>]*>", "", c["html"])).strip() for c in listing.json["items"]]
    return int(post.json["comment_count"]), texts


def form_token(api: Api, slug: str) -> str:
    reply = api.get(f"/posts/{slug}/comment-form")
    assert reply.status == 200, reply.body
    return str(reply.json["form_token"])


def stored_items() -> Iterator[dict[str, Any]]:
    """Every item in the table, read with a client of the test's own (not the recorded one)."""
    raw = boto3.client("dynamodb", region_name="us-east-1")
    for page in raw.get_paginator("scan").paginate(TableName=TEST_TABLE):
        yield from page["Items"]


# -- honeypot and form token -----------------------------------------------------------------


def test_filled_honeypot_is_refused_and_writes_nothing(api: Api, slug: str) -> None:
    reply = send(api, slug, homepage="https://spam.example")

    assert reply.status == 422
    assert "homepage" in reply.problem["errors"]
    assert state(api, slug) == (0, [])


def test_empty_honeypot_is_accepted(api: Api, slug: str) -> None:
    created(api, slug, homepage="")


def test_comment_form_tells_its_rules(api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    configure(MIN_FORM_SECONDS="5", MODERATION="first-time")

    form = api.get(f"/posts/{slug}/comment-form").json

    assert form["form_token"]
    assert form["honeypot_field"] == "homepage"
    assert form["min_seconds"] == 5
    assert form["moderation"] == "first-time"


def test_required_form_token_must_be_sent(api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    configure(REQUIRE_FORM_TOKEN="true")

    reply = send(api, slug)

    assert reply.status == 422
    assert "form_token" in reply.problem["errors"]
    assert state(api, slug) == (0, [])


@pytest.mark.parametrize("forged", ["1700000000.0123456789abcdef0123456789abcdef", "not-a-token", "-5.abc", ".", ""])
def test_forged_form_token_is_refused(api: Api, slug: str, configure: Callable[..., Settings], forged: str) -> None:
    configure(REQUIRE_FORM_TOKEN="true", MIN_FORM_SECONDS="0")

    reply = send(api, slug, form_token=forged)

    assert reply.status == 422
    assert "form_token" in reply.problem["errors"]


def test_form_token_with_a_changed_time_is_refused(api: Api, slug: str, configure: Callable[..., Settings],
                                                   clock: Clock) -> None:
    configure(REQUIRE_FORM_TOKEN="true", MIN_FORM_SECONDS="3")
    issued, _, signature = form_token(api, slug).partition(".")
    clock.advance(10)

    reply = send(api, slug, form_token=f"{int(issued) - 60}.{signature}")

    assert reply.status == 422


def test_form_token_of_another_post_is_refused(api: Api, blog: Blog, author: str, slug: str,
                                               configure: Callable[..., Settings], clock: Clock) -> None:
    configure(REQUIRE_FORM_TOKEN="true")
    other = blog.post(author)["slug"]
    token = form_token(api, other)
    clock.advance(10)

    reply = send(api, slug, form_token=token)

    assert reply.status == 422
    assert "form_token" in reply.problem["errors"]


def test_comment_sent_faster_than_a_person_types_is_told_to_wait_then_accepted(api: Api, slug: str,
                                                                               configure: Callable[..., Settings],
                                                                               clock: Clock) -> None:
    configure(REQUIRE_FORM_TOKEN="true", MIN_FORM_SECONDS="3")
    token = form_token(api, slug)

    hasty = send(api, slug, form_token=token)
    assert hasty.status == 429
    assert 1 <= int(hasty.headers["retry-after"]) <= 3
    assert hasty.problem["detail"]
    assert state(api, slug) == (0, [])

    clock.advance(3)
    created(api, slug, form_token=token)
    assert state(api, slug) == (1, ["Nice post."])


def test_form_token_expires_after_a_day(api: Api, slug: str, configure: Callable[..., Settings], clock: Clock) -> None:
    configure(REQUIRE_FORM_TOKEN="true")
    token = form_token(api, slug)
    clock.advance(24 * 3600 + 1)

    reply = send(api, slug, form_token=token)

    assert reply.status == 422
    assert "expired" in reply.problem["errors"]["form_token"][0]


def test_a_form_token_sends_one_comment_and_a_replay_is_refused(api: Api, slug: str,
                                                                configure: Callable[..., Settings],
                                                                clock: Clock) -> None:
    """Found: a form token could be sent again and again within its lifetime (three reuses, all 201)."""
    configure(REQUIRE_FORM_TOKEN="true", MIN_FORM_SECONDS="3")
    token = form_token(api, slug)
    clock.advance(3)
    created(api, slug, "First", form_token=token)

    replays = [send(api, slug, f"Again {n}", form_token=token) for n in range(3)]

    assert [r.status for r in replays] == [409, 409, 409]
    assert "reload the form" in replays[0].problem["detail"]
    assert "form_token" in replays[0].problem["errors"]
    assert state(api, slug) == (1, ["First"])


def test_a_replayed_form_token_is_refused_even_without_the_requirement(api: Api, slug: str, clock: Clock) -> None:
    token = form_token(api, slug)
    clock.advance(10)
    created(api, slug, "First", form_token=token)

    assert send(api, slug, "Second", form_token=token).status == 409
    assert created(api, slug, "Second without a token")  # the token is optional here; a spent one is not


def test_forms_loaded_in_the_same_second_have_tokens_of_their_own(api: Api, slug: str,
                                                                  configure: Callable[..., Settings],
                                                                  clock: Clock) -> None:
    configure(REQUIRE_FORM_TOKEN="true", MIN_FORM_SECONDS="3")
    first, second = form_token(api, slug), form_token(api, slug)
    clock.advance(3)

    assert first != second
    created(api, slug, "From one reader", form_token=first)
    created(api, slug, "From another", form_token=second)


def test_a_retry_with_its_idempotency_key_is_answered_not_refused_as_a_replay(api: Api, slug: str,
                                                                              configure: Callable[..., Settings],
                                                                              clock: Clock) -> None:
    configure(REQUIRE_FORM_TOKEN="true", MIN_FORM_SECONDS="3")
    token = form_token(api, slug)
    clock.advance(3)
    payload = {"body": "Sent twice", "author_name": "Ann", "form_token": token}

    first = api.post(f"/posts/{slug}/comments", payload, headers={"Idempotency-Key": "lost-answer"})
    again = api.post(f"/posts/{slug}/comments", payload, headers={"Idempotency-Key": "lost-answer"})

    assert first.status == 201, first.body
    assert again.status == 201 and again.json["comment"]["id"] == first.json["comment"]["id"]
    assert state(api, slug) == (1, ["Sent twice"])


# -- content ------------------------------------------------------------------------------


def test_too_many_links_are_refused(api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    configure(COMMENT_MAX_LINKS="2")
    links = " ".join(f"[site {n}](https://site{n}.example)" for n in range(3))

    reply = send(api, slug, links)

    assert reply.status == 422
    assert "body" in reply.problem["errors"]
    assert state(api, slug) == (0, [])


def test_links_up_to_the_limit_are_accepted(api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    configure(COMMENT_MAX_LINKS="2")

    created(api, slug, "See [one](https://one.example) and [two](https://two.example).")


@pytest.mark.parametrize("fields", [
    {"body": "Best CASINO in town"},
    {"body": "cheap ViAgRa!"},
    {"body": "Fine words", "author_name": "Casino Bob"},
])
def test_blocked_words_are_refused_in_any_case(api: Api, slug: str, configure: Callable[..., Settings],
                                               fields: dict[str, str]) -> None:
    configure(BLOCKED_WORDS="casino, Viagra")

    reply = api.post(f"/posts/{slug}/comments", {"author_name": "Ann", **fields})

    assert reply.status == 422
    assert "body" in reply.problem["errors"]
    assert state(api, slug) == (0, [])


def test_blocked_word_inside_a_longer_word_is_not_refused(api: Api, slug: str,
                                                          configure: Callable[..., Settings]) -> None:
    configure(BLOCKED_WORDS="ass")

    created(api, slug, "A classic assessment.")


# -- per-address rate limit ------------------------------------------------------------------------


def test_rate_limit_refuses_the_third_comment_in_a_window_then_lets_the_next_window_in(
        api: Api, slug: str, configure: Callable[..., Settings], clock: Clock) -> None:
    configure(COMMENT_RATE_LIMIT="2/60")
    clock.align(60)
    created(api, slug, "One")
    created(api, slug, "Two")

    third = send(api, slug, "Three")

    assert third.status == 429
    assert 1 <= int(third.headers["retry-after"]) <= 60
    assert "at most 2 comments from one address every 60 s" in third.problem["detail"]
    assert state(api, slug) == (2, ["One", "Two"])

    clock.advance(int(third.headers["retry-after"]))
    created(api, slug, "Three")
    assert state(api, slug) == (3, ["One", "Two", "Three"])


def test_rate_limit_counts_each_address_apart(api: Api, slug: str, configure: Callable[..., Settings], clock: Clock,
                                              address: Callable[[str], None]) -> None:
    configure(COMMENT_RATE_LIMIT="1/60")
    clock.align(60)
    address("203.0.113.1")
    created(api, slug, "From the first address")
    assert send(api, slug, "Again from the first").status == 429

    address("203.0.113.2")
    created(api, slug, "From the second address")


def test_rate_limit_applies_to_signed_in_readers_too(api: Api, blog: Blog, slug: str,
                                                     configure: Callable[..., Settings], clock: Clock) -> None:
    configure(COMMENT_RATE_LIMIT="1/60")
    clock.align(60)
    bob = blog.user("bob")
    created(api, slug, "One", token=bob)

    assert send(api, slug, "Two", token=bob).status == 429


def test_address_is_stored_only_as_a_salted_hash(api: Api, slug: str, configure: Callable[..., Settings],
                                                 address: Callable[[str], None]) -> None:
    configure(COMMENT_RATE_LIMIT="5/60")
    address("203.0.113.1")

    created(api, slug)

    items = list(stored_items())
    windows = [i for i in items if i["PK"]["S"].startswith("RATE#")]
    assert len(windows) == 1
    hashed = windows[0]["PK"]["S"].split("#")[1]
    assert len(hashed) == 32 and all(c in "0123456789abcdef" for c in hashed)
    assert "203.0.113.1" not in repr(items)


def test_service_separates_addresses_it_is_given(api: Api, slug: str, configure: Callable[..., Settings],
                                                 clock: Clock) -> None:
    # The same rule at the service level, for callers other than HTTP
    from chalicelib.errors import RateLimited
    from chalicelib.services import services

    configure(COMMENT_RATE_LIMIT="1/60")
    clock.align(60)
    comments = services().comments
    comments.create(None, slug, {"body": "a"}, address="203.0.113.1")
    comments.create(None, slug, {"body": "b"}, address="203.0.113.2")

    with pytest.raises(RateLimited):
        comments.create(None, slug, {"body": "c"}, address="203.0.113.1")


# -- duplicates ---------------------------------------------------------------------------


def test_duplicate_comment_on_the_same_post_is_refused(api: Api, slug: str) -> None:
    created(api, slug, "Great   post!")

    for again in ("Great   post!", "great post!", "  GREAT\n\tpost! "):
        reply = send(api, slug, again)
        assert reply.status == 409, again
        assert "body" in reply.problem["errors"]
    assert state(api, slug) == (1, ["Great   post!"])


def test_same_comment_on_another_post_is_accepted(api: Api, blog: Blog, author: str, slug: str) -> None:
    other = blog.post(author)["slug"]
    created(api, slug, "Great post!")

    created(api, other, "Great post!")


def test_same_comment_is_accepted_again_after_the_duplicate_window(api: Api, slug: str,
                                                                   configure: Callable[..., Settings],
                                                                   clock: Clock) -> None:
    configure(DUPLICATE_WINDOW_SECONDS="600")
    created(api, slug, "Great post!")
    clock.advance(599)
    assert send(api, slug, "Great post!").status == 409

    clock.advance(2)

    created(api, slug, "Great post!")
    assert state(api, slug)[0] == 2


def test_refused_duplicate_does_not_use_up_the_rate_limit(api: Api, slug: str, configure: Callable[..., Settings],
                                                          clock: Clock) -> None:
    configure(COMMENT_RATE_LIMIT="2/60")
    clock.align(60)
    created(api, slug, "One")
    assert send(api, slug, "One").status == 409

    created(api, slug, "Two")
    assert state(api, slug) == (2, ["One", "Two"])


def test_refused_by_rate_limit_writes_nothing(api: Api, slug: str, configure: Callable[..., Settings],
                                              clock: Clock) -> None:
    configure(COMMENT_RATE_LIMIT="1/60")
    clock.align(60)
    created(api, slug, "One")
    before = sorted(repr(i) for i in stored_items())

    assert send(api, slug, "Two", parent_id=None).status == 429

    assert sorted(repr(i) for i in stored_items()) == before


# -- closed posts -----------------------------------------------------------------------------


def test_closing_comments_refuses_new_ones_and_reopening_lets_them_in(api: Api, slug: str, author: str) -> None:
    created(api, slug, "Before closing")
    assert api.patch(f"/posts/{slug}", {"comments_closed": True}, token=author).status == 200

    closed = send(api, slug, "After closing")
    closed_for_the_author = send(api, slug, "Mine", token=author)

    assert closed.status == 403
    assert "closed" in closed.problem["detail"]
    assert closed_for_the_author.status == 403
    assert state(api, slug) == (1, ["Before closing"])
    assert api.patch(f"/posts/{slug}", {"comments_closed": False}, token=author).status == 200
    created(api, slug, "After reopening")


def test_comments_close_some_days_after_publication(api: Api, blog: Blog, author: str,
                                                    configure: Callable[..., Settings]) -> None:
    configure(COMMENTS_CLOSE_AFTER_DAYS="30")
    old = blog.post(author, status="published", published_at="2015-01-01T00:00:00Z")["slug"]
    fresh = blog.post(author)["slug"]

    reply = send(api, old)

    assert reply.status == 403
    assert "30 days" in reply.problem["detail"]
    assert state(api, old) == (0, [])
    created(api, fresh)
    # The post says so itself, so a comment form can say "closed" instead of failing on send
    assert api.get(f"/posts/{old}").json["comments_closed"] is True
    assert api.get(f"/posts/{fresh}").json["comments_closed"] is False


# -- admins --------------------------------------------------------------------------------------


def test_admins_are_exempt_from_rate_limit_duplicates_and_links(api: Api, blog: Blog, slug: str,
                                                                configure: Callable[..., Settings],
                                                                clock: Clock) -> None:
    configure(COMMENT_RATE_LIMIT="1/60", COMMENT_MAX_LINKS="0")
    clock.align(60)
    admin = blog.admin()

    for _ in range(3):
        created(api, slug, "Read [the rules](https://blog.example/rules).", token=admin)

    assert state(api, slug)[0] == 3


def test_admins_are_not_exempt_from_validation(api: Api, blog: Blog, slug: str) -> None:
    admin = blog.admin()

    assert send(api, slug, "", token=admin).status == 422
    assert send(api, slug, "x" * 5001, token=admin).status == 422
    assert send(api, slug, "Hi", token=admin, parent_id="not-a-comment").status == 422
    assert state(api, slug) == (0, [])


# -- the budget ------------------------------------------------------------------------------------


def test_comment_with_every_check_on_is_one_read_and_one_transaction(api: Api, slug: str,
                                                                     configure: Callable[..., Settings], clock: Clock,
                                                                     dynamo: DynamoCalls) -> None:
    configure(COMMENT_RATE_LIMIT="5/60", MODERATION="first-time", REQUIRE_FORM_TOKEN="true",
              MIN_FORM_SECONDS="2", DUPLICATE_WINDOW_SECONDS="600", BLOCKED_WORDS="casino", COMMENT_MAX_LINKS="2")
    token = form_token(api, slug)
    clock.advance(3)
    dynamo.clear()

    reply = api.post(f"/posts/{slug}/comments",
                     {"body": "Hello", "author_name": "Ann", "author_email": "ann@example.org", "form_token": token},
                     headers={"Idempotency-Key": "first-try"})

    assert reply.status == 202, reply.body
    assert dynamo.operations == ["BatchGetItem", "TransactWriteItems"]


# -- links written as text ---------------------------------------------------------------------------


def test_bare_urls_count_as_links(api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    # Given three links allowed; bare URLs render as text, but a reader copies them all the same
    configure(COMMENT_MAX_LINKS="3")
    urls = " ".join(f"https://site{n}.example/offer" for n in range(25))

    reply = send(api, slug, urls)

    assert reply.status == 422, reply.body
    assert "25 links" in reply.problem["errors"]["body"][0]
    assert state(api, slug) == (0, [])


@pytest.mark.parametrize("body", [
    "Deals at www.one.example, www.two.example, www.three.example and www.four.example",
    "[one](https://one.example) http://two.example <https://three.example> WWW.FOUR.EXAMPLE",
    "`https://one.example` and\n\n    https://two.example\n    https://three.example\n    https://four.example",
])
def test_urls_of_every_kind_count_together(api: Api, slug: str, configure: Callable[..., Settings],
                                           body: str) -> None:
    configure(COMMENT_MAX_LINKS="3")

    assert send(api, slug, body).status == 422


def test_link_whose_text_is_its_url_counts_once_and_bare_domains_do_not_count(
        api: Api, slug: str, configure: Callable[..., Settings]) -> None:
    configure(COMMENT_MAX_LINKS="2")

    created(api, slug, "See [https://one.example](https://one.example) and https://two.example; "
                       "example.com and node.js are words here, and so is www alone.")


def test_honeypot_and_form_token_are_checked_before_the_body_is_rendered(
        api: Api, slug: str, configure: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    configure(REQUIRE_FORM_TOKEN="true")
    rendered: list[str] = []

    def render(body: str) -> str:
        rendered.append(body)
        return body

    monkeypatch.setattr(rendering, "comment_html", render)

    assert send(api, slug, "![" * 2500, homepage="https://spam.example").status == 422
    assert send(api, slug, "![" * 2500).status == 422
    assert send(api, slug, "![" * 2500, form_token="1.forged").status == 422
    assert rendered == []
