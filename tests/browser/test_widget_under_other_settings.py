"""The widget under other settings: every comment held for approval with few per address; signed-in comments only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog, api_get
from tests.browser.widget_steps import comment_item, comment_on, expect_no_form

ALLOWED_PER_HOUR = 3


@pytest.fixture(scope="module")
def moderated(start_blog: Callable[..., Blog]) -> Blog:
    return start_blog(MODERATION="all", COMMENT_RATE_LIMIT=f"{ALLOWED_PER_HOUR}/3600")


def test_a_held_comment_shows_its_author_a_pending_notice_and_nobody_else_anything(
        moderated: Blog, open_reader: Callable[[], Page]) -> None:
    slug = moderated.new_post()
    author, other = open_reader(), open_reader()
    author.goto(moderated.post_page(slug))
    expect(author.get_by_text("Comments appear after the blog's author approves them.")).to_be_visible()

    comment_on(author, "Please approve me.")

    expect(author.locator(".bc-status")).to_have_text("Thank you. Your comment is awaiting moderation.")
    held = comment_item(author, "Please approve me.")
    expect(held.locator(".bc-pending")).to_have_text(
        "Awaiting moderation: only you can see this comment until it is approved.")
    expect(held.get_by_role("button", name="Reply")).to_have_count(0)
    expect(author.locator(".bc-count")).to_have_text("No comments")
    # Coming back later, its author still sees it held (the widget asks for it with the edit token)
    author.reload()
    expect(comment_item(author, "Please approve me.").locator(".bc-pending")).to_be_visible()
    expect(author.locator(".bc-count")).to_have_text("No comments")
    other.goto(moderated.post_page(slug))
    expect(other.locator(".bc-count")).to_have_text("No comments")
    expect(other.locator("li.bc-comment")).to_have_count(0)

    # Once the admin approves it, every reader sees it and the count
    moderated.as_admin("POST", f"/comments/{held.get_attribute('data-id')}/moderate", {"action": "approve"})
    other.reload()
    expect(other.locator(".bc-count")).to_have_text("1 comment")
    expect(comment_item(other, "Please approve me.").locator(".bc-pending")).to_have_count(0)


def test_a_reader_over_the_rate_limit_is_told_how_long_to_wait(moderated: Blog, page: Page) -> None:
    # Given this address has used its allowance (earlier tests here may have used part of it)
    slug = moderated.new_post()
    for n in range(ALLOWED_PER_HOUR):
        sent = requests.post(f"{moderated.url}/posts/{slug}/comments", json={"body": f"Filler {n}."}, timeout=30)
        if sent.status_code == 429:
            break
        assert sent.status_code == 202, sent.text
    page.goto(moderated.post_page(slug))

    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/comments")) as refused:
        comment_on(page, "One too many.")

    # The wait is the API's Retry-After, in words
    assert refused.value.status == 429
    wait = int(refused.value.headers["retry-after"])
    in_words = f"{wait} seconds" if wait < 90 else f"{-(-wait // 60)} minutes"
    expect(page.locator("form.bc-form .bc-error[role=alert]")).to_have_text(
        f"You are sending comments faster than this blog allows. Please try again in {in_words}.")
    # Nothing was stored, and what the reader typed is still there to send later
    expect(page.locator("form.bc-form").get_by_label("Comment")).to_have_value("One too many.")
    queue = moderated.as_admin("GET", "/moderation/comments")
    assert "One too many." not in [item["body"] for item in queue["items"]]
    assert api_get(moderated, f"/posts/{slug}")["comment_count"] == 0


def test_a_blog_that_takes_only_signed_in_comments_shows_the_thread_without_form_or_reply(
        start_blog: Callable[..., Blog], page: Page) -> None:
    members_only = start_blog(ANONYMOUS_COMMENTS="false")
    slug = members_only.new_post()
    members_only.as_admin("POST", f"/posts/{slug}/comments", {"body": "Signed in, I was."})

    page.goto(members_only.post_page(slug))

    expect(comment_item(page, "Signed in, I was.")).to_be_visible()
    expect_no_form(page, "This blog takes comments from signed-in readers only.")
