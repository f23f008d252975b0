"""The demo blog at /demo/: what a new user sees right after `make run`."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog


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
