"""The demo blog at /demo/: what a new user sees right after `make run`."""

from __future__ import annotations

import re

import feedparser
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_item


def test_the_demo_lists_the_newest_posts_and_opens_one_with_its_comments(blog: Blog, page: Page) -> None:
    blog.new_post("Freshly written", body="A *new* post.", labels=["news", "demo day"])
    page.goto(f"{blog.url}/demo/")

    # The newest post comes first, with its date, labels and comment count
    first = page.locator("article.summary").first
    expect(first.get_by_role("heading")).to_have_text("Freshly written")
    expect(first.get_by_role("link", name="No comments")).to_be_visible()
    expect(first.get_by_role("link", name="demo day")).to_be_visible()

    first.get_by_role("link", name="Freshly written").click()

    expect(page).to_have_title("Freshly written · A serverless blog")
    expect(page.get_by_role("heading", level=1)).to_have_text("Freshly written")
    expect(page.locator(".post-body em")).to_have_text("new")
    expect(page.locator(".bc-count")).to_have_text("No comments")
    expect(page.get_by_role("heading", name="Post a Comment")).to_be_visible()


def test_a_label_link_lists_only_that_labels_posts(blog: Blog, page: Page) -> None:
    blog.new_post("Labelled once", labels=["rare label"])
    blog.new_post("Not labelled")
    page.goto(f"{blog.url}/demo/")
    page.locator("article.summary").filter(has_text="Labelled once").get_by_role("link", name="rare label").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Posts labelled “rare label”")
    expect(page.locator("article.summary")).to_have_count(1)
    expect(page.locator("article.summary h2")).to_have_text("Labelled once")


def test_an_unknown_post_says_so_in_the_page_and_the_widget(blog: Blog, page: Page) -> None:
    page.goto(f"{blog.url}/demo/posts/no-such-post")

    expect(page.get_by_role("heading", level=1)).to_have_text("No such post")
    expect(page.locator(".bc-status")).to_have_text("There is no post here to comment on.")


def test_a_comment_link_from_the_feed_lands_on_that_comment_in_the_demo(blog: Blog, page: Page) -> None:
    # Given a thread longer than a screen, and the post's comment feed (make run's SITE_URL is the demo)
    slug = blog.new_post()
    for n in range(1, 16):
        blog.comment(slug, f"Line {n} of a long thread.")
    feed = feedparser.parse(requests.get(f"{blog.url}/posts/{slug}/comments.atom", timeout=30).text)
    linked = next(entry.link for entry in feed.entries if "Line 12 of" in entry.content[0].value)
    assert linked.startswith(f"{blog.url}/demo/posts/{slug}#comment-")

    # When a reader follows the entry's link
    page.goto(linked)

    # Then the page opens on that comment, marked and focused, not at the top
    target = comment_item(page, "Line 12 of a long thread.")
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    expect(target).to_have_class(re.compile(r"\bbc-linked\b"))
    expect(page.locator(".bc-count")).not_to_be_in_viewport()
