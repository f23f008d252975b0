"""What the widget asks the API for: a long thread in one cacheable request, and the form's
token (the one answer no cache may keep) only once a reader starts to write."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, Request, Route, expect

from tests.browser.conftest import Blog
from tests.browser.thread_steps import seed_thread
from tests.browser.widget_steps import comment_item, comment_on, embedding_page


def api_calls(page: Page, blog: Blog) -> list[str]:
    """The API requests the page makes from here on ("GET /posts/…"), scripts' fetches only."""
    calls: list[str] = []

    def note(request: Request) -> None:
        if request.url.startswith(blog.url) and request.resource_type == "fetch":
            calls.append(f"{request.method} {request.url.removeprefix(blog.url)}")

    page.on("request", note)
    return calls


def form_requests(calls: list[str]) -> list[str]:
    return [call for call in calls if call.endswith("/comment-form")]


def test_a_200_comment_thread_with_replies_shows_whole_from_one_api_request(
        blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    # Given a post with 200 comments, 50 of them replies, on a static page that embeds the widget
    slug = blog.new_post()
    seed_thread(blog, slug, 200, replies=50)
    folder, site = static_site
    calls = api_calls(page, blog)

    page.goto(f"{site}/{embedding_page(folder, blog.url, slug)}")

    # Then every comment is on the page, the replies nested under their parents
    expect(page.locator(".bc-count")).to_have_text("200 comments")
    expect(page.locator("li.bc-comment")).to_have_count(200)
    expect(page.locator("ol.bc-replies > li.bc-comment")).to_have_count(50)
    expect(page.get_by_role("button", name="Load more comments")).to_be_hidden()
    expect(page.locator("form.bc-form")).to_be_visible()
    # From one request (at most two are allowed), and not the form's token
    assert calls == [f"GET /posts/{slug}?embed=comments&comments_limit=300"]


def test_the_form_token_is_fetched_when_the_reader_starts_to_write_and_again_for_the_next_comment(
        blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    blog.comment(slug, "Already here.")
    calls = api_calls(page, blog)
    page.goto(blog.post_page(slug))
    expect(comment_item(page, "Already here.")).to_be_visible()
    # Reading, replying buttons and all, asks for no token
    expect(page.get_by_role("button", name="Reply")).to_be_visible()
    assert form_requests(calls) == []

    # When the reader puts the cursor in the comment box, the token is fetched (once)
    with page.expect_request(lambda r: r.url.endswith(f"/posts/{slug}/comment-form")):
        page.locator("form.bc-form").get_by_label("Comment").focus()
    page.locator("form.bc-form").get_by_label("Name").focus()
    comment_on(page, "My first.", name="Tess")
    expect(page.locator(".bc-status")).to_have_text("Your comment was published.")
    assert len(form_requests(calls)) == 1

    # And a second comment asks for a new token (a token is spent by the comment it sent)
    comment_on(page, "My second.", name="Tess")
    expect(comment_item(page, "My second.")).to_be_visible()
    expect(page.locator(".bc-count")).to_have_text("3 comments")
    assert len(form_requests(calls)) == 2


def test_a_reader_who_sends_before_the_form_token_is_old_enough_is_published_not_refused(
        start_blog: Callable[..., Blog], page: Page) -> None:
    # Given a blog that refuses a form token younger than two seconds
    blog = start_blog(MIN_FORM_SECONDS="2")
    slug = blog.new_post()
    page.goto(blog.post_page(slug))

    # When a reader types and sends at once (the token was fetched as they started)
    comment_on(page, "Quick!", name="Flash")

    # Then the widget waits out the rest of the minimum, and the comment is published
    expect(page.locator(".bc-status")).to_have_text("Your comment was published.")
    expect(comment_item(page, "Quick!")).to_be_visible()
    expect(page.locator("form.bc-form .bc-error[role=alert]")).to_have_text("")


def test_a_refused_form_token_is_replaced_and_the_comment_sent_again(blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    calls = api_calls(page, blog)
    page.goto(blog.post_page(slug))
    tampered: list[str] = []

    def spoil_first(route: Route) -> None:
        # The first comment goes out with a token the API does not accept (as an expired or spent one)
        if tampered:
            route.continue_()
            return
        sent = json.loads(route.request.post_data or "{}")
        tampered.append(sent["form_token"])
        route.continue_(post_data=json.dumps({**sent, "form_token": "1.not-a-signature"}))

    page.route(f"{blog.url}/posts/{slug}/comments", spoil_first)
    comment_on(page, "Sent twice, posted once.", name="Rey")

    expect(page.locator(".bc-status")).to_have_text("Your comment was published.")
    expect(page.locator("li.bc-comment")).to_have_count(1)
    assert tampered and len(form_requests(calls)) == 2
    assert [call for call in calls if call.startswith("POST")] == [f"POST /posts/{slug}/comments"] * 2


def test_after_a_reload_the_author_edits_from_the_markdown_they_wrote(blog: Blog, page: Page) -> None:
    # Given a comment the reader wrote, and the page read again (lists carry html, not Markdown)
    slug = blog.new_post()
    page.goto(blog.post_page(slug))
    comment_on(page, "Some **bold** words.")
    expect(comment_item(page, "Some bold words.")).to_be_visible()
    page.reload()
    mine = comment_item(page, "Some bold words.")
    comment_id = mine.get_attribute("data-id")
    mine = page.locator(f'li[data-id="{comment_id}"]')

    # When they edit it, the box holds their Markdown, read with their edit token
    with page.expect_request(lambda r: r.url.endswith(f"/comments/{comment_id}") and r.method == "GET") as read:
        mine.get_by_role("button", name="Edit").click()
    assert read.value.headers.get("x-edit-token")
    box = mine.get_by_label("Edit your comment")
    expect(box).to_have_value("Some **bold** words.")
    box.fill("Some *slanted* words.")
    mine.get_by_role("button", name="Save").click()
    expect(mine.locator(".bc-body em")).to_have_text("slanted")
