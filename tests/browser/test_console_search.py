"""The console's post list searches published posts (GET /search), in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.browser.console_steps import new_account, sign_in
from tests.browser.test_demo_search import index_the_stack


def test_an_author_searches_published_posts_from_the_post_list(blog: Blog, page: Page) -> None:
    blog.new_post("Kingfisher sightings", body="A kingfisher <b>dived</b> twice.")
    blog.new_post("Kingfisher draft", body="Not yet.", status="draft")
    index_the_stack(blog)
    sign_in(page, blog, new_account(blog))

    page.get_by_role("searchbox", name="Search published posts").fill("kingfisher")
    page.get_by_role("button", name="Search").click()

    rows = page.locator("li.post-row")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link")).to_have_text("Kingfisher sightings")
    expect(rows.locator("mark").first).to_have_text("kingfisher")  # the snippet: "A kingfisher dived…"
    expect(rows.locator("b")).to_have_count(0)  # the post's markup is text in a snippet
