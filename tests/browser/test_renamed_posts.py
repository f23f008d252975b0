"""Renaming a published post in the console, and the widget on a page that still names its old slug:
it follows the post to its new slug."""

from __future__ import annotations

from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog, api_get
from tests.browser.console_steps import as_user, new_account, sign_in, token_of
from tests.browser.widget_steps import comment_item, comment_on, embedding_page


def test_a_page_naming_an_old_slug_shows_the_thread_and_takes_comments(
        blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    # Given a post with a comment, renamed after a static page embedded its widget under the first slug
    old = blog.new_post("Named once")
    blog.comment(old, "Said under the first name.", author_name="Ada")
    new = blog.as_admin("PATCH", f"/posts/{old}", {"slug": f"{old}-renamed"})["slug"]
    folder, site = static_site
    moved = requests.get(f"{blog.url}/posts/{old}", allow_redirects=False, timeout=30)
    assert (moved.status_code, moved.headers["Location"]) == (301, f"/posts/{new}")
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(f"{r.method} {r.url.removeprefix(blog.url)}")
            if r.url.startswith(blog.url) and r.resource_type == "fetch" else None)

    # When a reader opens that page (cross-origin, as a static blog's)
    page.goto(f"{site}/{embedding_page(folder, blog.url, old)}")

    # Then the thread shows, and a comment goes to the post under its new slug
    expect(comment_item(page, "Said under the first name.")).to_be_visible()
    expect(page.locator(".bc-count")).to_have_text("1 comment")
    comment_on(page, "Said after the rename.", name="Grace")
    expect(comment_item(page, "Said after the rename.")).to_be_visible()
    expect(page.locator(".bc-count")).to_have_text("2 comments")
    assert api_get(blog, f"/posts/{new}")["comment_count"] == 2
    assert [c["html"] for c in api_get(blog, f"/posts/{new}/comments")["items"]][-1].startswith("<p>Said after")
    # Only the first read went to the old slug: the rest asked the new one directly
    assert any(call.startswith(f"POST /posts/{new}/") for call in fetched), fetched
    assert not any(f"/posts/{old}/" in call for call in fetched), fetched


def test_an_author_renames_a_published_post_in_the_console(blog: Blog, page: Page) -> None:
    author = new_account(blog)
    token = token_of(blog, author)
    made = as_user(blog, token, "POST", "/posts", {"title": "Typo in the slgu", "body": "Words."}).json()
    sign_in(page, blog, author, f"#edit/{made['slug']}")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("Words.")

    page.get_by_label("Slug").fill("typo-in-the-slug")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved (published)")).to_be_visible()
    page.wait_for_url("**#edit/typo-in-the-slug")
    moved = requests.get(f"{blog.url}/posts/{made['slug']}", allow_redirects=False, timeout=30)
    assert (moved.status_code, moved.headers["Location"]) == (301, "/posts/typo-in-the-slug")
    assert api_get(blog, "/posts/typo-in-the-slug")["title"] == "Typo in the slgu"
